// `npm run test:unit`: the tests that need no peer, no build and no child process (core, the lab's
// pure logic, the runtime's and provenance layer's in-process parts): under a minute.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: undefined,
  testMatch: [
    '<rootDir>/test/core/**/*.test.ts',
    '<rootDir>/test/lab/**/*.test.ts',
    '<rootDir>/test/client/client.test.ts',
    '<rootDir>/test/runtime/{objects,stack-mapping,prediction-line,thread-errors}.test.ts',
    '<rootDir>/test/repro/{drift,fs-memo,git-tree,stat-cache}.test.ts',
  ],
};
