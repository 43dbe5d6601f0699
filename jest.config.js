/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `npm run typecheck`; jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 60000,
  // The Python venv, Chromium, Slurm, versitygw: set up (or checked, in well under a second) before
  // any test file runs, so `npx jest FILE` works on a fresh machine too.
  globalSetup: '<rootDir>/scripts/setup-test-peers.js',
};
