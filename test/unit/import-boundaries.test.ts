import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The architecture's import boundaries (docs/architecture.md, shared STYLE.md "Boundaries") are enforced by lint
 * (eslint.config.js); these cases prove each rule refuses what it must and allows what it may.
 */
const eslint = new ESLint({ cwd: process.cwd() });
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

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
      ['api/routes/v1/orders.ts', `import { woocommerceConnector } from '../../../connectors/woocommerce/index.ts';`, /through core\/ports/],
      ['api/app.ts', `import axios from 'axios';`, /does not enqueue, call out or query by itself/],
      ['api/app.ts', `import { Queue } from 'bullmq';`, /does not enqueue, call out or query by itself/],
      ['api/app.ts', `const { startHub } = await import('../jobs/hub.ts');`, /Dynamic import\(\)/],
    ])('refuses %s importing %s', async (file, code, message) => {
      expect((await boundaryErrors(file, code)).join('\n')).toMatch(message);
    });

    it.each([
      ['api/app.ts', `import { HubError } from '../core/errors.ts';`],
      ['api/routes/v1/orders.ts', `import { listOrders } from '../../../core/orders/order-queries.ts';`],
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
});
