// Lint: typescript-eslint's recommended rules plus the import boundaries of the architecture
// (connector → mapping → core → jobs → api/cli; see docs/architecture.md and shared STYLE.md "Boundaries").
// test/unit/import-boundaries.test.ts proves each rule refuses what it must and allows what it may.
//
// Note on flat config: when several blocks below match one file, the LAST block's options for a rule
// replace the earlier ones entirely, so every block lists all the patterns that apply to its files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import orderhub from './scripts/lint/orderhub-plugin.js';

const pattern = (group, message, extra = {}) => ({ group, message, ...extra });
const regex = (source, message, extra = {}) => ({ regex: source, message, ...extra });

// `(\.\.(/|$)){n}` = climbing n folders up (`'..'` and `'../..'` included); an optional leading `./` is tolerated.
// A sibling rule below also refuses stopping right there (`'..'` = the layer folder's own index, i.e. every sibling).
const up = (n) => `^(\\./)?(\\.\\.(/|$)){${n}}`;
// Files 0..MAX_DEPTH folders below a layer folder: `connectors/*.ts`, `connectors/*/*.ts`, `connectors/*/*/*.ts`, …
const MAX_DEPTH = 6;
const depths = Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => depth);
const filesAt = (layer, depth) => [`${layer}/${'*/'.repeat(depth)}*.ts`];

// Packages, grouped by what they are.
const QUEUE = ['bullmq', 'bullmq/*', 'ioredis', 'ioredis/*', 'node-cron'];
const HTTP_SERVER = ['fastify', 'fastify/*', '@fastify/*'];
const HTTP_CLIENT = ['axios', 'axios/*', 'undici', 'undici/*', 'soap', 'soap/*', 'node-fetch', 'got'];
const NETWORK = ['node:http', 'node:https', 'node:http2', 'node:net', 'node:tls', 'node:dgram', 'http', 'https', 'http2', 'net', 'tls', 'dgram'];
const DB_DRIVER = ['@prisma/*', 'prisma', 'prisma/*', 'pg', 'pg/*', '@electric-sql/*', 'pglite-prisma-adapter'];
const FILES_AND_PROCESSES = ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:child_process', 'child_process', 'node:worker_threads', 'worker_threads'];
// The drivers on top of jobs: nothing below them may reach up.
const DRIVERS = ['**/api/**', '**/cli/**', '**/demo/**', '**/bench/**'];

// ---- connectors/<name>: connectors/_kit and its own files only --------------------------------------------------
const CONNECTOR_PACKAGES = pattern(
  [...QUEUE, ...HTTP_SERVER, ...DB_DRIVER],
  'A connector yields raw pages only: queues, the HTTP server and the database belong to jobs, api and core/db.',
);
// A file `depth` folders below connectors/ reaches connectors/ with `depth` climbs and the project root with one more.
// Leaving connectors/ is refused whatever follows (core, mappings, jobs, api, and `../../connectors/<other>/…` spellings).
const leaveConnectors = (depth) =>
  regex(`${up(depth + 1)}(?!lib/)`, 'Connectors talk to the outside world only; they never import core, mappings, jobs, api or anything outside connectors/ but lib/ (reach your own files with ./ and the kit with ../_kit).');
const otherConnector = (depth) =>
  regex(`${up(depth)}($|(?!_kit(/|$))[^./])`, 'A connector never imports another connector (only connectors/_kit and its own files).');
const connectorPatterns = (depth) => [CONNECTOR_PACKAGES, leaveConnectors(depth), ...(depth > 0 ? [otherConnector(depth)] : [])];

// ---- core ----------------------------------------------------------------------------------------------------------
const CORE_NO_DRIVERS = pattern(
  [...HTTP_SERVER, ...QUEUE, ...HTTP_CLIENT, ...NETWORK, '**/connectors/**', '**/mappings/**', '**/jobs/**', ...DRIVERS],
  'Core is domain rules and persistence: no HTTP server, queue, HTTP client, network, connector, mapping, job or driver.',
);
const CORE_DB_ONLY = pattern(DB_DRIVER, 'Only core/db talks to the database driver and Prisma packages; core flows use core/db (and its generated client).');
const CORE_PURE = pattern(['**/db/**', ...DB_DRIVER], 'core/model, core rules and strategies hold shapes and decisions only: no persistence (core/db, Prisma, pg).');
// Pure core: the shapes, the error vocabulary, rules and strategies by convention, and today's pure rule files by name.
// (Not `*-status.ts`: core/channels/sync-status.ts is a query flow.)
const CORE_PURE_FILES = [
  'core/model/**/*.ts',
  'core/errors.ts',
  'core/**/rules/**/*.ts',
  'core/**/strategies/**/*.ts',
  'core/**/*-strategy.ts',
  'core/orders/order-status.ts',
  'core/orders/order-diff.ts',
  'core/orders/content-hash.ts',
  'core/channels/channel-kinds.ts',
  'core/channels/cron.ts',
  'core/**/*-rules.ts',
  'core/quotes/quote-status.ts',
  'core/distribution/distribution-config.ts',
  'core/distribution/distribution-plan.ts',
  'core/distribution/dealer-reach.ts',
];

// ---- mappings/<source>: core/model, their connector's raw types (type-only), mappings/common ----------------------
const MAPPING_NO_IO = pattern(
  [...HTTP_CLIENT, ...NETWORK, ...FILES_AND_PROCESSES, ...QUEUE, ...HTTP_SERVER, ...DB_DRIVER, '**/jobs/**', ...DRIVERS],
  'Mappings are pure: raw payload in, core draft out; no I/O (network, files, database, queues).',
);
const MAPPING_CORE_MODEL_ONLY = regex('(^|/)core/(?!model(/|$))', 'Mappings are pure: they import core/model only, never core flows, core/db or the rest of core.');
const MAPPING_CONNECTOR_TYPES = pattern(['**/connectors/**'], "Mappings are pure: from connectors they take only the raw payload types, with `import type`.", { allowTypeImports: true });
const otherMapping = (depth) => regex(`${up(depth)}($|(?!common(/|$))[^./])`, "A mapping never imports another source's mapping (only mappings/common).");
const OTHER_MAPPING_SPELLED_OUT = regex(`${up(1)}(\\.\\./)*mappings/(?!common(/|$))`, "A mapping never imports another source's mapping (only mappings/common; reach your own files with ./).");
const mappingPatterns = (depth) => [
  MAPPING_NO_IO,
  MAPPING_CORE_MODEL_ONLY,
  MAPPING_CONNECTOR_TYPES,
  OTHER_MAPPING_SPELLED_OUT,
  ...(depth > 0 ? [otherMapping(depth)] : []),
];

// ---- api: core and jobs' queue definitions (jobs/queues.ts) only ---------------------------------------------------
const API_NO_INTERNALS = pattern(
  ['**/connectors/**', '**/mappings/**', '**/jobs/**', '!**/jobs/queues.ts', '**/cli/**', '**/demo/**', '**/bench/**'],
  'The API reaches connectors and jobs through core/ports (HubActions), injected by the composition root; from jobs/ only the queue definitions (jobs/queues.ts).',
);
const API_NO_CLIENTS = pattern(
  [...QUEUE, ...HTTP_CLIENT, ...DB_DRIVER, '**/core/db/generated/**'],
  'The API does not enqueue, call out or query by itself: it goes through core (and jobs/queues.ts for queue definitions).',
);
// The API is handed its database by the composition root; it may name the Database type, never open one.
const API_NO_OPEN_DATABASE = pattern(['**/core/db/database.ts', '**/core/db/migrate.ts'], 'The API never opens or migrates a database: the composition root (jobs/hub.ts, cli) hands it one.', {
  importNames: ['openDatabase', 'migrate'],
});

// ---- jobs: the composition root, below the drivers ----------------------------------------------------------------
const JOBS_NO_DRIVERS = pattern(DRIVERS, 'jobs is the composition root below the drivers: it never imports api, cli, demo or bench (they import jobs).');

// ---- dynamic import(): no-restricted-imports does not see it ------------------------------------------------------
const NO_DYNAMIC_IMPORT = {
  selector: 'ImportExpression',
  message: 'Dynamic import() escapes the import-boundary lint: use a static import (only core/db loads its database drivers lazily).',
};
const CORE_DB_LAZY_DRIVERS = {
  selector: "ImportExpression:not([source.type='Literal'][source.value=/^(pg|@prisma\\u002Fadapter-pg|@electric-sql\\u002Fpglite|pglite-prisma-adapter)$/])",
  message: 'core/db loads only its database drivers lazily (pg, @prisma/adapter-pg, @electric-sql/pglite, pglite-prisma-adapter); use a static import otherwise.',
};
const COMPUTED_IMPORT = {
  selector: "ImportExpression[source.type!='Literal']",
  message: 'import() of a computed path escapes the import-boundary lint: import a literal path.',
};
const JOBS_NO_DYNAMIC_DRIVERS = {
  selector: "ImportExpression[source.value=/(^|\\u002F)(api|cli|demo|bench)(\\u002F|$)/]",
  message: JOBS_NO_DRIVERS.message,
};

const restrict = (patterns) => ['error', { patterns }];

// ---- where an import lands (scripts/lint/orderhub-plugin.js resolves relative imports) --------------------------
const PURE_TARGETS = {
  allowOnly: [...CORE_PURE_FILES, 'lib/**/*.ts'],
  message: 'core/model, core rules and strategies import only pure files (shapes, errors, rules, strategies, lib/), never a flow or a service',
};
const CORE_DB_TARGETS = {
  allowOnly: ['core/db/**/*.ts', 'core/errors.ts', 'core/model/**/*.ts'],
  message: 'core/db is the persistence under the domain: it imports core/db, core/errors and core/model only, never a domain module',
};
const NO_TEST_EQUIPMENT = {
  deny: ['test/**', 'testkit/**', 'bench/**'],
  message: 'The hub never imports its tests, test equipment (testkit/) or benchmarks',
};
const NO_TESTS = {
  deny: ['test/**'],
  message: "test/ is the tests' own; equipment shared with the demo and the benchmarks lives in testkit/",
};
const targets = (...checks) => ['error', checks];
// Files the layer blocks do not see (they match *.ts) escape every boundary, so the layers hold TypeScript only.
const LAYERS = ['connectors', 'core', 'mappings', 'jobs', 'api', 'lib', 'cli', 'demo', 'bench', 'testkit'];
const ONLY_TS = { selector: 'Program', message: 'Hub code is .ts: a .js, .mjs, .cjs, .mts or .cts file escapes the import-boundary lint (eslint.config.js matches *.ts).' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'core/db/generated/**', 'data/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    plugins: { orderhub },
    rules: {
      'orderhub/no-require': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },

  // web: the browser app talks to the hub over HTTP only (its generated OpenAPI types); no server package, Node module or hub code.
  {
    files: ['web/**/*.{ts,tsx}'],
    ignores: ['web/vite.config.ts'],
    rules: {
      'no-restricted-imports': restrict([
        pattern([...HTTP_SERVER, ...QUEUE, ...DB_DRIVER, ...HTTP_CLIENT, 'node:*', '@sinclair/*'], 'The web app runs in the browser and reaches the hub through web/src/api/client.ts only.'),
        // (web/src/api/client and web/src/api/schema are the web app's own: a screen two folders deep reaches them with ../../api/…)
        regex('^(\\.\\./)+(\\.\\./)(core|jobs|connectors|mappings|cli|lib|demo|testkit|api(?!/(client|schema)$))(/|$)', 'The web app never imports hub code: it is typed by the generated OpenAPI types (npm run web:types).'),
      ]),
    },
  },

  // connectors (connectors/_kit included: the kit serves every connector and depends on none)
  ...depths.map((depth) => ({ files: filesAt('connectors', depth), rules: { 'no-restricted-imports': restrict(connectorPatterns(depth)) } })),
  { files: ['connectors/**/*.ts'], rules: { 'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT] } },

  { files: LAYERS.map((layer) => `${layer}/**/*.{js,mjs,cjs,mts,cts}`), rules: { 'no-restricted-syntax': ['error', ONLY_TS] } },

  // The hub's own layers never reach into tests, test equipment or benchmarks (the core blocks below repeat it).
  { files: ['connectors/**/*.ts', 'mappings/**/*.ts', 'jobs/**/*.ts', 'api/**/*.ts', 'lib/**/*.ts'], rules: { 'orderhub/import-targets': targets(NO_TEST_EQUIPMENT) } },

  // core: flows (core/orders, core/channels, …) → core/db → pure files (later blocks override earlier ones)
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([CORE_NO_DRIVERS, CORE_DB_ONLY]), 'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT], 'orderhub/import-targets': targets(NO_TEST_EQUIPMENT) },
  },
  {
    files: ['core/db/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([CORE_NO_DRIVERS]), 'no-restricted-syntax': ['error', CORE_DB_LAZY_DRIVERS], 'orderhub/import-targets': targets(NO_TEST_EQUIPMENT, CORE_DB_TARGETS) },
  },
  { files: CORE_PURE_FILES, rules: { 'no-restricted-imports': restrict([CORE_NO_DRIVERS, CORE_PURE]), 'orderhub/import-targets': targets(PURE_TARGETS) } },

  // lib: pure helpers shared by connectors and mappings (XML parsing, time zones); it imports nothing of the hub.
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        pattern([...NETWORK, ...FILES_AND_PROCESSES, ...QUEUE, ...HTTP_SERVER, ...HTTP_CLIENT, ...DB_DRIVER], 'lib/ is pure: no I/O, no drivers.'),
        regex('^(\\./)?\\.\\./', 'lib/ imports nothing of the hub (core, connectors, mappings, jobs, api); it is what they share.'),
      ]),
      'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT],
    },
  },
  // mappings
  ...depths.map((depth) => ({ files: filesAt('mappings', depth), rules: { 'no-restricted-imports': restrict(mappingPatterns(depth)) } })),
  { files: ['mappings/**/*.ts'], rules: { 'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT] } },

  // api
  { files: ['api/**/*.ts'], rules: { 'no-restricted-imports': restrict([API_NO_INTERNALS, API_NO_CLIENTS, API_NO_OPEN_DATABASE]), 'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT] } },

  // jobs
  { files: ['jobs/**/*.ts'], rules: { 'no-restricted-imports': restrict([JOBS_NO_DRIVERS]), 'no-restricted-syntax': ['error', JOBS_NO_DYNAMIC_DRIVERS] } },

  // the drivers: cli, demo and bench may use the whole hub, never the tests' own files. The CLI loads the API and the
  // demo lazily (a `hub users list` need not load fastify), so cli and demo may import() a literal path, which
  // import-targets checks like a static import; a computed one would escape it.
  { files: ['cli/**/*.ts', 'demo/**/*.ts'], rules: { 'orderhub/import-targets': targets(NO_TESTS), 'no-restricted-syntax': ['error', COMPUTED_IMPORT] } },
  { files: ['bench/**/*.ts'], rules: { 'orderhub/import-targets': targets(NO_TESTS) } },
  // testkit: equipment for tests, the demo and benchmarks (throw-away databases, a WooCommerce sandbox); never the tests themselves
  { files: ['testkit/**/*.ts'], rules: { 'orderhub/import-targets': targets(NO_TESTS) } },
);
