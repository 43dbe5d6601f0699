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
// Relative imports of the layers above the runtime.
const UPPER_LAYERS = '^(\\.\\./)+(src/)?(cli|client|lab|kernel)(/|$)';
// A runtime file that is not one of the runtime's entry points.
const RUNTIME_INSIDE =
  '^(\\.\\./)+(src/)?runtime/(?!(execution|loading|scope|codecs|datastore|serve|engines|repro/(capture|replay|binder))$)';

const RUNTIME_ENTRY_POINTS_ONLY = {
  regex: RUNTIME_INSIDE,
  message: "import the runtime through its entry points (src/runtime/index.ts or a role folder's index)",
};

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
    // The runtime sits under every layer but core: it never reaches up.
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: UPPER_LAYERS, message: 'the runtime never imports the layers above it' }] },
      ],
    },
  },
  {
    // Above the runtime, code imports its entry points only (src/runtime/index.ts and one index per
    // role folder), so the runtime can be rearranged inside without touching its users.
    files: ['src/cli/**/*.ts', 'src/client/**/*.ts', 'kernel/**/*.ts', 'src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            RUNTIME_ENTRY_POINTS_ONLY,
            {
              regex: '(^|/)lab(/|$)',
              message: 'the JupyterLab extension runs in the browser; nothing here may import it',
            },
          ],
        },
      ],
    },
  },
  {
    // The Client API is what user code and the kernel read runs with: no CLI, no kernel.
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            RUNTIME_ENTRY_POINTS_ONLY,
            {
              regex: '^(\\.\\./)+(cli|lab|kernel)(/|$)',
              message: 'the Client API does not depend on the CLI, the kernel or the extension',
            },
          ],
        },
      ],
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
