import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The architecture's import boundaries (docs/architecture.md, shared STYLE.md "Boundaries") are enforced by lint
 * (eslint.config.js); these cases prove each rule refuses what it must and allows what it may.
 */
const eslint = new ESLint({ cwd: process.cwd() });
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'orderhub/import-targets', 'orderhub/no-require']);

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const used = code.match(/\{ (?:\w+: )?(?:type )?(\w+) \}|import (\w+)/)!.slice(1).find(Boolean);
  const [result] = await eslint.lintText(`${code}\nexport const used = [${used}];\n`, { filePath });
  // A parse error would make every "allows" case pass vacuously.
  const fatal = result!.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`${filePath}: ${fatal.map((m) => m.message).join('; ')}`);
  return result!.messages.filter((m) => BOUNDARY_RULES.has(m.ruleId ?? '')).map((m) => m.message);
}

describe('import boundaries', () => {
  describe('when a connector imports', () => {
    it.each([
      ['connectors/woocommerce/client.ts', `import { ingestOrders } from '../../core/orders/intake.ts';`, /never import core/],
      ['connectors/woocommerce/client.ts', `import { mapWooOrders } from '../../mappings/woocommerce/index.ts';`, /never import core/],
      ['connectors/woocommerce/client.ts', `import { syncChannel } from '../../jobs/processors/sync-channel.ts';`, /never import core, mappings, jobs/],
      ['connectors/woocommerce/streams/orders.ts', `import { buildApp } from '../../../api/app.ts';`, /never import core, mappings, jobs, api/],
      ['connectors/woocommerce/client.ts', `import { Queue } from 'bullmq';`, /queues, the HTTP server and the database/],
      ['connectors/woocommerce/index.ts', `import Fastify from 'fastify';`, /queues, the HTTP server and the database/],
      ['connectors/woocommerce/client.ts', `import { PrismaClient } from '@prisma/client';`, /queues, the HTTP server and the database/],
      ['connectors/woocommerce/client.ts', `import pg from 'pg';`, /queues, the HTTP server and the database/],
      ['connectors/woocommerce/client.ts', `import { x } from '../shoprenter/client.ts';`, /another connector/],
      ['connectors/woocommerce/streams/orders.ts', `import { x } from '../../unas/client.ts';`, /another connector/],
      ['connectors/woocommerce/client.ts', `import { x } from '../../connectors/shoprenter/client.ts';`, /anything outside connectors/],
      ['connectors/woocommerce/streams/orders/page.ts', `import { x } from '../../../shoprenter/client.ts';`, /another connector/],
      ['connectors/woocommerce/streams/orders/page.ts', `import { x } from '../../../../core/orders/intake.ts';`, /never import core/],
      ['connectors/_kit/http.ts', `import { x } from '../woocommerce/client.ts';`, /another connector/],
      ['connectors/woocommerce/client.ts', `const { Queue } = await import('bullmq');`, /Dynamic import\(\)/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['connectors/woocommerce/client.ts', `import { ConnectorError } from '../_kit/connector-error.ts';`],
      ['connectors/woocommerce/client.ts', `import axios from 'axios';`],
      ['connectors/woocommerce/index.ts', `import { fetchPage } from './client.ts';`],
      ['connectors/woocommerce/streams/orders.ts', `import { fetchPage } from '../client.ts';`],
      ['connectors/woocommerce/streams/orders.ts', `import { ConnectorError } from '../../_kit/connector-error.ts';`],
      ['connectors/woocommerce/streams/orders/page.ts', `import { ConnectorError } from '../../../_kit/connector-error.ts';`],
      ['connectors/woocommerce/streams/orders/page.ts', `import { fetchPage } from '../../client.ts';`],
      ['connectors/_kit/http.ts', `import { ConnectorError } from './connector-error.ts';`],
      ['connectors/_kit/xml.ts', `import { parseXml } from '../../lib/xml.ts';`],
      ['connectors/unas/streams/orders.ts', `import { zonedTimeToUtc } from '../../../lib/time-zones.ts';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });

  describe('when lib imports', () => {
    it.each([
      ['lib/xml.ts', `import { ingestOrders } from '../core/orders/intake.ts';`, /lib\/ imports nothing of the hub/],
      ['lib/xml.ts', `import { parseXmlBytes } from '../connectors/_kit/xml.ts';`, /lib\/ imports nothing of the hub/],
      ['lib/time-zones.ts', `import { readFile } from 'node:fs/promises';`, /lib\/ is pure/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it('allows a library package', async () => {
      expect(await boundaryErrors('lib/xml.ts', `import xml2js from 'xml2js';`)).toEqual([]);
    });
  });

  describe('when core imports', () => {
    it.each([
      ['core/orders/intake.ts', `import Fastify from 'fastify';`, /Core is domain rules/],
      ['core/orders/intake.ts', `import { Queue } from 'bullmq';`, /Core is domain rules/],
      ['core/channels/channels.ts', `import { woocommerceConnector } from '../../connectors/woocommerce/index.ts';`, /Core is domain rules/],
      ['core/orders/intake.ts', `import soap from 'soap';`, /Core is domain rules/],
      ['core/orders/intake.ts', `import { request } from 'undici';`, /Core is domain rules/],
      ['core/channels/channels.ts', `import { request } from 'node:https';`, /Core is domain rules/],
      ['core/channels/channels.ts', `import { createServer } from 'node:http';`, /Core is domain rules/],
      ['core/orders/intake.ts', `import { program } from '../../cli/hub.ts';`, /Core is domain rules/],
      ['core/orders/intake.ts', `import { PrismaClient } from '@prisma/client';`, /Only core\/db talks to the database driver/],
      ['core/channels/sync-lease.ts', `import pg from 'pg';`, /Only core\/db talks to the database driver/],
      ['core/orders/order-status.ts', `import { Prisma } from '@prisma/client';`, /no persistence/],
      ['core/orders/order-status.ts', `import { openDatabase } from '../db/database.ts';`, /no persistence/],
      ['core/model/order.ts', `import { PrismaClient } from '../db/generated/client.ts';`, /no persistence/],
      ['core/stock/rules/allocation.ts', `import { openDatabase } from '../../db/database.ts';`, /no persistence/],
      ['core/orders/intake.ts', `const { Queue } = await import('bullmq');`, /Dynamic import\(\)/],
      ['core/model/order.ts', `const { Value } = await import('@sinclair/typebox/value');`, /Dynamic import\(\)/],
      ['core/db/database.ts', `const { Queue } = await import('bullmq');`, /core\/db loads only its database drivers lazily/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['core/orders/intake.ts', `import { PrismaClient } from '../db/generated/client.ts';`],
      ['core/channels/sync-status.ts', `import { openDatabase } from '../db/database.ts';`],
      ['core/db/database.ts', `import { PrismaClient } from '@prisma/client';`],
      ['core/db/database.ts', `import pg from 'pg';`],
      ['core/db/database.ts', `const { default: pg } = await import('pg');`],
      ['core/db/database.ts', `const { PrismaPg } = await import('@prisma/adapter-pg');`],
      ['core/db/database.ts', `const { PGlite } = await import('@electric-sql/pglite');`],
      ['core/db/database.ts', `const { PrismaPGlite } = await import('pglite-prisma-adapter');`],
      ['core/model/order.ts', `import { checkTransition } from '../orders/order-status.ts';`],
      ['core/orders/order-status.ts', `import { OrderStatusSchema } from '../model/order.ts';`],
      ['core/db/migrate.ts', `import { readFile } from 'node:fs/promises';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });

  describe('when a mapping imports', () => {
    it.each([
      ['mappings/woocommerce/index.ts', `import { readFile } from 'node:fs/promises';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { request } from 'node:https';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { request } from 'node:http';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { connect } from 'node:net';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { readFileSync } from 'node:fs';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { fetch } from 'undici';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import soap from 'soap';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { ingestOrders } from '../../core/orders/intake.ts';`, /Mappings are pure/],
      ['mappings/woocommerce/index.ts', `import { HubError } from '../../core/errors.ts';`, /core\/model only/],
      ['mappings/woocommerce/index.ts', `import { woocommerceConnector } from '../../connectors/woocommerce/index.ts';`, /only the raw payload types/],
      ['mappings/woocommerce/index.ts', `import { createHttpClient } from '../../connectors/_kit/http.ts';`, /only the raw payload types/],
      ['mappings/woocommerce/index.ts', `import { mapShoprenter } from '../shoprenter/index.ts';`, /another source's mapping/],
      ['mappings/woocommerce/index.ts', `import { mapShoprenter } from '../../mappings/shoprenter/index.ts';`, /another source's mapping/],
      ['mappings/common/money.ts', `import { mapWooStatus } from '../woocommerce/status.ts';`, /another source's mapping/],
      ['mappings/woocommerce/index.ts', `const { readFile } = await import('node:fs/promises');`, /Dynamic import\(\)/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['mappings/woocommerce/index.ts', `import { OrderDraftSchema } from '../../core/model/order.ts';`],
      ['mappings/woocommerce/index.ts', `import type { WooMeta } from '../../connectors/woocommerce/types.ts';`],
      ['mappings/woocommerce/index.ts', `import { Money } from '../common/money.ts';`],
      ['mappings/woocommerce/index.ts', `import { mapWooStatus } from './status.ts';`],
      ['mappings/shoprenter/index.ts', `import { parseStringPromise } from 'xml2js';`],
      ['mappings/woocommerce/index.ts', `import { Decimal } from 'decimal.js';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });

  describe('when the api imports', () => {
    it.each([
      ['api/routes/v1/channels/index.ts', `import { syncChannel } from '../../../../jobs/processors/sync-channel.ts';`, /through core\/ports/],
      ['api/app.ts', `import { connectorRegistry } from '../jobs/registry.ts';`, /through core\/ports/],
      ['api/app.ts', `import { startHub } from '../jobs/hub.ts';`, /through core\/ports/],
      ['api/routes/v1/orders/index.ts', `import { woocommerceConnector } from '../../../../connectors/woocommerce/index.ts';`, /through core\/ports/],
      ['api/app.ts', `import axios from 'axios';`, /does not enqueue, call out or query by itself/],
      ['api/app.ts', `import { Queue } from 'bullmq';`, /does not enqueue, call out or query by itself/],
      ['api/app.ts', `const { startHub } = await import('../jobs/hub.ts');`, /Dynamic import\(\)/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['api/app.ts', `import { HubError } from '../core/errors.ts';`],
      ['api/routes/v1/orders/index.ts', `import { listOrders } from '../../../../core/orders/order-queries.ts';`],
      ['api/routes/v1/channels/index.ts', `import { SYNC_QUEUE } from '../../../../jobs/queues.ts';`],
      ['api/app.ts', `import Fastify from 'fastify';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });

  describe('when jobs import', () => {
    it.each([
      ['jobs/hub.ts', `import { buildApp } from '../api/app.ts';`, /composition root below the drivers/],
      ['jobs/processors/sync-channel.ts', `import { ApiError } from '../../api/errors.ts';`, /composition root below the drivers/],
      ['jobs/hub.ts', `const { buildApp } = await import('../api/app.ts');`, /composition root below the drivers/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['jobs/hub.ts', `import { woocommerceConnector } from '../connectors/woocommerce/index.ts';`],
      ['jobs/registry.ts', `import { mapWooOrders } from '../mappings/woocommerce/index.ts';`],
      ['jobs/runtime/bullmq-runner.ts', `import { Queue } from 'bullmq';`],
      ['jobs/hub.ts', `const { Queue } = await import('bullmq');`],
      ['cli/hub.ts', `import { buildApp } from '../api/app.ts';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });

  describe('where an import lands (holes a probe found)', () => {
    it.each([
      ['core/model/order.ts', `import { ingestOrders } from '../orders/intake.ts';`, /import only pure files/],
      ['core/model/manual-order.ts', `import { OrderQueries } from '../orders/order-queries.ts';`, /import only pure files/],
      ['core/stock/allocation-strategy.ts', `import { StockService } from './stock-service.ts';`, /import only pure files/],
      ['core/distribution/distribution-strategy.ts', `import { DistributionService } from './distribution-service.ts';`, /import only pure files/],
      ['core/exclusivity/exclusivity-rules.ts', `import { excludedDealers } from './exclusivity-service.ts';`, /import only pure files/],
      ['core/db/database.ts', `import { ingestOrders } from '../orders/intake.ts';`, /core\/db is the persistence under the domain/],
      ['core/db/migrate.ts', `import { StockService } from '../stock/stock-service.ts';`, /core\/db is the persistence under the domain/],
      ['api/routes/v1/orders/index.ts', `import { PrismaClient } from '../../../../core/db/generated/client.ts';`, /does not enqueue, call out or query by itself/],
      ['api/app.ts', `import { openDatabase } from '../core/db/database.ts';`, /never opens or migrates a database/],
      ['api/app.ts', `import { migrate } from '../core/db/migrate.ts';`, /never opens or migrates a database/],
      ['core/orders/intake.ts', `import { createTestPostgres } from '../../testkit/databases.ts';`, /never imports its tests, test equipment/],
      ['jobs/hub.ts', `import { makeUser } from '../test/helpers/auth.ts';`, /never imports its tests, test equipment/],
      ['api/app.ts', `import { run } from '../bench/intake/run.ts';`, /never imports its tests, test equipment|through core\/ports/],
      ['bench/intake/run.ts', `import { createTestPostgres } from '../../test/helpers/databases.ts';`, /test\/ is the tests' own/],
      ['demo/run-demo.ts', `import { makeUser } from '../test/helpers/auth.ts';`, /test\/ is the tests' own/],
      ['cli/hub.ts', `import { makeUser } from '../test/helpers/auth.ts';`, /test\/ is the tests' own/],
      ['cli/hub.ts', `const { makeUser } = await import('../test/helpers/auth.ts');`, /test\/ is the tests' own/],
      ['cli/hub.ts', `const where = '../api/app.ts'; const { buildApp } = await import(where);`, /computed path escapes/],
      ['core/orders/intake.ts', `import { createRequire } from 'node:module';`, /require\(\) and node:module/],
      ['bench/edi/run.ts', `import { createRequire } from 'module';`, /require\(\) and node:module/],
      ['jobs/hub.ts', `const { Queue } = require('bullmq');`, /require\(\) and node:module/],
      ['core/orders/intake.mts', `export const x = 1; import { Queue } from 'bullmq';`, /Hub code is \.ts/],
      ['connectors/woocommerce/client.cts', `import { Queue } from 'bullmq';`, /Hub code is \.ts/],
      ['core/orders/intake.js', `import { Queue } from 'bullmq';`, /Hub code is \.ts/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['core/model/order.ts', `import { checkTransition } from '../orders/order-status.ts';`],
      ['core/distribution/distribution-strategy.ts', `import { isPathWithin } from '../exclusivity/exclusivity-rules.ts';`],
      ['core/distribution/distribution-strategy.ts', `import type { Plan } from './distribution-plan.ts';`],
      ['core/db/migrate.ts', `import { HubError } from '../errors.ts';`],
      ['api/deps.ts', `import type { Database } from '../core/db/database.ts';`],
      ['bench/intake/run.ts', `import { createTestPostgres } from '../../testkit/databases.ts';`],
      ['demo/run-demo.ts', `import { startWooSandbox } from '../testkit/woo-sandbox.ts';`],
      ['cli/hub.ts', `const { buildApp } = await import('../api/app.ts');`],
      ['testkit/databases.ts', `import { openDatabase } from '../core/db/database.ts';`],
    ])('allows %s importing %s', async (file, code) => {
      expect(await boundaryErrors(file, code)).toEqual([]);
    });
  });
});
