// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'worker_threads',
  'net',
  'http',
  'v8',
  'vm',
];
const nodeImports = nodeBuiltins.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'cellflow_lab/labextension',
      'coverage',
      'examples/**/*.flow.ts',
      'test/golden',
      'test/fixtures',
      'bench/out',
      'bench/peers',
      'bench/.venv',
      'bench/.deno',
      '.venv-test',
      'release',
      '**/*.js',
      '!bin/*.js',
      '!bench/*.js',
      '!bench/lib/*.js',
      '!scripts/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      // `== null` is the one loose comparison allowed: it means "null or undefined".
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Braces on every branch: a one-line `if` that grows a second statement stays correct.
      curly: ['error', 'all'],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its error (a run that fails silently).
    files: ['src/**/*.ts', 'kernel/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    // The launcher is plain CommonJS run by Node.
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
  },
  {
    // The benchmarks are plain CommonJS scripts run by Node (`npm run bench`).
    files: ['bench/**/*.js', 'scripts/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
  {
    // src/core runs in the browser too: no Node built-ins and no upper layers.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...nodeImports, '../runtime/*', '../cli/*', '../lab/*', '../client/*'] },
      ],
    },
  },
  {
    // The JupyterLab extension may use core, never Node or the runtime.
    files: ['src/lab/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...nodeImports, '../runtime/*', '../cli/*', '../client/*'] },
      ],
    },
  },
);
