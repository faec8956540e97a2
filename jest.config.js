// Two unit projects (server in node, extension in jsdom) and the end-to-end suite.
/** @type {import('jest').Config} */
const ts = { '^.+\\.tsx?$': ['ts-jest', { diagnostics: false }] };

module.exports = {
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'server',
      testEnvironment: '<rootDir>/tests/support/node-environment.js',
      roots: ['<rootDir>/tests/server'],
      transform: ts,
    },
    {
      displayName: 'extension',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/tests/extension'],
      transform: ts,
    },
    {
      displayName: 'e2e',
      testEnvironment: '<rootDir>/tests/support/node-environment.js',
      roots: ['<rootDir>/tests/e2e'],
      transform: ts,
    },
  ],
};
