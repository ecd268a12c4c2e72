// Lint: typescript-eslint's recommended rules plus the import boundaries of the architecture
// (connector → mapping → core → jobs/api; see docs/architecture.md and shared STYLE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pattern = (group, message) => ({ group, message });

const NO_CORE = pattern(['**/core/**', '**/mappings/**'], 'Connectors talk to the outside world only; they never import core or mappings.');
// Sibling connectors are reached by climbing out of one's own folder to a name other than _kit.
const otherConnector = (up) => ({ regex: `^${'\\.\\./'.repeat(up)}(?!_kit/)[^./]`, message: 'A connector never imports another connector.' });
const NO_DRIVERS = pattern(['fastify', 'fastify/*', '@fastify/*', 'bullmq', 'ioredis', 'axios', 'node-cron', '**/connectors/**', '**/mappings/**', '**/jobs/**', '**/api/**'], 'Core is domain rules and persistence: no HTTP server, queue, HTTP client, connector, mapping or driver.');
const NO_IO = pattern(['**/core/db/**', '**/core/orders/**', '**/core/channels/**', '**/connectors/*/client*', '**/connectors/*/streams/**', '@prisma/*', 'axios', 'pg', 'fastify', 'bullmq', 'ioredis', 'node:fs', 'node:fs/*', 'node:net', 'node:http'], 'Mappings are pure: raw payload in, core draft out; no I/O.');
const NO_API_INTERNALS = pattern(['**/connectors/**', '**/jobs/processors/**', '**/jobs/runtime/**', '**/mappings/**'], 'The API reaches connectors and jobs through core/ports (HubActions), injected by the composition root.');

export default tseslint.config(
  { ignores: ['node_modules/**', 'core/db/generated/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  { files: ['connectors/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_CORE] }] } },
  { files: ['connectors/*/*.ts'], ignores: ['connectors/_kit/**'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_CORE, otherConnector(1)] }] } },
  { files: ['connectors/*/*/*.ts'], ignores: ['connectors/_kit/**'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_CORE, otherConnector(2)] }] } },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_DRIVERS] }] } },
  { files: ['core/model/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_DRIVERS, pattern(['**/db/**', '@prisma/*'], 'core/model holds shapes only, no persistence.')] }] } },
  { files: ['mappings/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_IO] }] } },
  { files: ['api/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_API_INTERNALS] }] } },
);
