// Lint rules that the tests enforce (npm test runs `eslint .`).
// The import-direction rules encode design.md: protocol <- domain <- handlers <- transport <- main.ts,
// and only the composition root (main.ts, cli/) imports port implementations.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impl = ['**/store/sqlite/**', '**/store/postgres/**', '**/store/sql/**', '**/bus/memory*', '**/bus/redis*',
  '**/push/senders/**', '**/files/local*', '**/files/s3*', '**/mail/smtp*', '**/ai/gemini*', '**/ai/openai*', '**/ai/http-json*',
  '**/sandbox/quickjs*', '**/sandbox/worker*', '**/sandbox/sandbox-worker*', '**/sandbox/guarded*', '**/sandbox/address*'];
const layer = (names) => names.map((n) => `**/${n}/**`);
const restrict = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tmp/**', 'eslint.config.js', 'scripts/**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/it return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/only-throw-error': 'error',
      'eqeqeq': ['error', 'smart'],
    },
  },
  {
    // Tests read arbitrary server frames; typing every one adds noise, not safety.
    files: ['test/**', '**/*.test.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['src/protocol/**'], rules: restrict([...layer(['config', 'domain', 'handlers', 'transport', 'store', 'bus', 'push', 'files', 'mail', 'ai', 'cli']), '**/main*'], 'protocol/ depends on nothing else in src (design.md).') },
  { files: ['src/config/**'], rules: restrict([...layer(['protocol', 'domain', 'handlers', 'transport', 'store', 'bus', 'push', 'files', 'mail', 'ai', 'cli']), '**/main*'], 'config/ imports nothing from src (design.md).') },
  { files: ['src/domain/**'], rules: restrict([...layer(['handlers', 'transport', 'cli']), '**/main*', ...impl], 'domain/ may use protocol and port interfaces only (design.md).') },
  { files: ['src/handlers/**'], rules: restrict([...layer(['transport', 'cli']), '**/main*', ...impl], 'handlers/ may use protocol, domain and port interfaces only (design.md).') },
  { files: ['src/transport/**'], rules: restrict([...layer(['cli']), '**/main*', ...impl], 'transport/ must not import port implementations; main.ts wires them (design.md).') },
  { files: ['src/store/**', 'src/bus/**', 'src/push/**', 'src/files/**', 'src/mail/**', 'src/ai/**', 'src/sandbox/**'], ignores: ['**/*.test.ts', 'src/store/contract/**'], rules: restrict([...layer(['handlers', 'transport', 'cli']), '**/main*'], 'ports and adapters must not depend on handlers or transport (design.md).') },
);
