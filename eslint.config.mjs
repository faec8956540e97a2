import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** extension/, mode/ and contract/ import nothing of server/ (the wire contract is the only shared module). */
const NO_SERVER = { group: ['**/server', '**/server/*', '**/server/**'], message: 'extension/ and contract/ must not import server code: use contract/.' };

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', '.cache/', '.gpu/', '.gl/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser bundle and the wire contract import nothing of the server; the extension takes the
    // contract's schemas as types only (a value import would put TypeBox in the bundle).
    files: ['extension/**/*.{ts,tsx}', 'mode/**/*.ts', 'contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_SERVER,
          ],
        },
      ],
    },
  },
  {
    files: ['extension/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_SERVER,
            { group: ['**/contract/schemas', '**/contract/examples'], allowTypeImports: true, message: 'import the contract schemas as types only (import type): TypeBox stays out of the browser bundle.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
  },
);
