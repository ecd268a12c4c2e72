import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { HubError } from '../../core/errors.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp, fakeCatalog, FakeActions } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let actions: FakeActions;

beforeAll(async () => {
  testDb = await createTestPostgres();
  ({ app, actions } = await buildTestApp(testDb.db));
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

beforeEach(() => {
  actions.failWith = undefined;
  actions.healthReport = { ok: true, database: { ok: true, kind: 'postgres' }, redis: { ok: true, configured: true } };
});

describe('GET /health', () => {
  it('answers 200 with the database and Redis state when all is well', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, database: { ok: true, kind: 'postgres' }, redis: { ok: true, configured: true } });
  });

  it('answers 503 with the report when something is down', async () => {
    actions.healthReport = { ok: false, database: { ok: true, kind: 'postgres' }, redis: { ok: false, configured: true, error: 'connect ECONNREFUSED 127.0.0.1:6379' } };
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ ok: false, redis: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:6379' } });
  });
});

describe('when a route does not exist', () => {
  it.each([
    ['POST', '/nope'],
    ['GET', '/v1/nope'],
    ['GET', '/v2/orders'],
    ['DELETE', '/v1/orders'],
  ] as const)('answers %s %s with 404 JSON', async (method, url) => {
    const response = await app.inject({ method, url });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining(url) } });
  });
});

describe('a path that is no API route', () => {
  it('is the web app\'s (its own router says "no such page"), not a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope' });
    expect(response.headers['content-type']).not.toContain('application/json');
  });
});

describe('when a handler fails', () => {
  it('hides the details of an unexpected error behind a 500 and logs them', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const failing = new FakeActions(testDb.db);
    failing.failWith = new Error('connection string postgres://admin:hunter2@db/hub refused');
    const logged = await buildApp({ db: testDb.db, catalog: fakeCatalog, actions: failing, logger: { level: 'error', stream } });
    try {
      const response = await logged.inject({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'internal', message: 'Internal error' } });
      expect(response.body).not.toContain('hunter2');
      expect(lines.join('')).toContain('hunter2');
    } finally {
      await logged.close();
    }
  });

  it('maps a HubError to its status and code', async () => {
    actions.failWith = new HubError('upstream_unavailable', 'Redis is not reachable.');
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'upstream_unavailable', message: 'Redis is not reachable.' } });
  });

  it('hides the message of an internal HubError', async () => {
    actions.failWith = new HubError('internal', 'lease table corrupt at row 17');
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'internal', message: 'Internal error' } });
  });
});

describe('OpenAPI', () => {
  const ROUTES: [string, string][] = [
    ['get', '/health'],
    ['get', '/health/live'],
    ['get', '/health/ready'],
    ['get', '/metrics'],
    ['post', '/v1/auth/login'],
    ['post', '/v1/auth/logout'],
    ['get', '/v1/auth/me'],
    ['post', '/v1/auth/password'],
    ['get', '/v1/auth/tokens'],
    ['post', '/v1/auth/tokens'],
    ['delete', '/v1/auth/tokens/{id}'],
    ['get', '/v1/users'],
    ['post', '/v1/users'],
    ['get', '/v1/users/{login}'],
    ['patch', '/v1/users/{login}'],
    ['put', '/v1/users/{login}/password'],
    ['get', '/v1/users/{login}/tokens'],
    ['post', '/v1/users/{login}/tokens'],
    ['delete', '/v1/users/{login}/tokens/{id}'],
    ['get', '/v1/audit'],
    ['get', '/v1/connectors'],
    ['post', '/v1/channels'],
    ['get', '/v1/channels'],
    ['get', '/v1/channels/{id}'],
    ['patch', '/v1/channels/{id}'],
    ['post', '/v1/channels/{id}/check'],
    ['post', '/v1/channels/{id}/resync'],
    ['post', '/v1/channels/{id}/sync'],
    ['get', '/v1/channels/{id}/sync-status'],
    ['post', '/v1/channels/{id}/webhook'],
    ['get', '/v1/orders'],
    ['get', '/v1/orders/{id}'],
    ['get', '/v1/raw-payloads'],
    ['get', '/v1/raw-payloads/{id}'],
    ['post', '/v1/raw-payloads/{id}/reprocess'],
    ['post', '/v1/raw-payloads/{id}/acknowledge'],
    ['get', '/v1/jobs/failed'],
    ['post', '/v1/jobs/failed/{id}/retry'],
    ['post', '/v1/jobs/failed/retry'],
    ['get', '/v1/status-updates'],
    ['get', '/v1/status-updates/{id}'],
    ['post', '/v1/status-updates/{id}/retry'],
    ['post', '/v1/channels/{id}/files'],
    ['post', '/v1/channels/{id}/orders'],
    ['get', '/v1/channels/{id}/outbox'],
    ['get', '/v1/outbox/{id}'],
    ['get', '/v1/reports/turnover'],
    ['get', '/v1/quotes'],
    ['post', '/v1/quotes'],
    ['get', '/v1/quotes/{id}'],
    ['put', '/v1/quotes/{id}'],
    ['post', '/v1/quotes/{id}/send'],
    ['post', '/v1/quotes/{id}/accept'],
    ['post', '/v1/quotes/{id}/lose'],
    ['post', '/v1/quotes/{id}/convert'],
    ['put', '/v1/regions'],
    ['get', '/v1/regions'],
    ['get', '/v1/exclusivity-rules'],
    ['post', '/v1/exclusivity-rules'],
    ['put', '/v1/exclusivity-rules'],
    ['get', '/v1/exclusivity-rules/{id}'],
    ['patch', '/v1/exclusivity-rules/{id}'],
    ['delete', '/v1/exclusivity-rules/{id}'],
    ['post', '/v1/exclusivity/check'],
    ['put', '/v1/stock/products'],
    ['put', '/v1/stock/warehouses'],
    ['put', '/v1/stock/levels'],
    ['put', '/v1/stock/incoming'],
    ['get', '/v1/products'],
    ['get', '/v1/products/{id}'],
    ['get', '/v1/price-columns'],
    ['get', '/v1/price-columns/{id}/prices'],
    ['post', '/v1/stock/incoming/{id}/receive'],
    ['post', '/v1/stock/availability'],
    ['post', '/v1/orders/{id}/reservations'],
    ['get', '/v1/orders/{id}/reservations'],
    ['post', '/v1/orders/{id}/release'],
    ['post', '/v1/orders/{id}/ship'],
    ['get', '/v1/stock/reviews'],
    ['post', '/v1/stock/reviews/{id}/resolve'],
    ['get', '/v1/stock/ledger/verify'],
    ['post', '/v1/dealers'],
    ['get', '/v1/dealers'],
    ['put', '/v1/dealers'],
    ['get', '/v1/dealers/{code}'],
    ['patch', '/v1/dealers/{code}'],
    ['delete', '/v1/dealers/{code}'],
    ['get', '/v1/dealers/{code}/assortment'],
    ['put', '/v1/dealers/{code}/assortment'],
    ['get', '/v1/dealers/{code}/price-column'],
    ['put', '/v1/dealers/{code}/price-column'],
    ['get', '/v1/dealers/{code}/settlements'],
    ['get', '/v1/dealers/{code}/settlements/statement.csv'],
    ['get', '/v1/dealers/{code}/settlements/statement.pdf'],
    ['post', '/v1/accounting/sync'],
    ['get', '/v1/accounting/syncs'],
    ['get', '/v1/dealers/{code}/managers'],
    ['post', '/v1/dealers/{code}/managers'],
    ['patch', '/v1/dealers/{code}/managers/{login}'],
    ['delete', '/v1/dealers/{code}/managers/{login}'],
    ['put', '/v1/dealers/{code}/managers/{login}/password'],
    ['post', '/v1/dealers/{code}/head'],
    ['get', '/v1/promotions'],
    ['post', '/v1/promotions'],
    ['put', '/v1/dealers/{code}/promotions/{promotionCode}'],
    ['delete', '/v1/dealers/{code}/promotions/{promotionCode}'],
    ['get', '/v1/dealers/{code}/points'],
    ['post', '/v1/dealers/{code}/points'],
    ['get', '/v1/distribution/config'],
    ['put', '/v1/distribution/config'],
    ['post', '/v1/distribution/config/validate'],
    ['get', '/v1/distribution/config/versions'],
    ['get', '/v1/distribution/config/versions/{version}'],
    ['get', '/v1/distribution/orders'],
    ['get', '/v1/dealers/{code}/orders'],
    ['post', '/v1/dealers/{code}/orders/{orderId}/take'],
    ['post', '/v1/dealers/{code}/orders/{orderId}/decline'],
    ['post', '/v1/dealers/{code}/orders/{orderId}/status'],
    ['post', '/v1/dealers/{code}/orders/{orderId}/responsible'],
    ['get', '/v1/dealers/{code}/orders/{orderId}/distribution'],
    ['get', '/v1/orders/{id}/distribution'],
    ['post', '/v1/orders/{id}/distribution'],
    ['post', '/v1/orders/{id}/assign'],
    ['post', '/v1/distribution/advance'],
    ['post', '/v1/distribution/what-if'],
    ['get', '/v1/distribution/reports/refusals'],
    ['get', '/v1/notifications'],
    ['post', '/v1/notifications/read'],
    ['post', '/v1/orders/{id}/status'],
    ['get', '/v1/dealers/{code}/notifications'],
    ['post', '/v1/dealers/{code}/notifications/read'],
    ['get', '/1c/exchange'],
    ['post', '/1c/exchange'],
    ['get', '/bitrix/admin/1c_exchange.php'],
    ['post', '/bitrix/admin/1c_exchange.php'],
    ['get', '/v1/onec/exchanges'],
    ['get', '/v1/onec/exchanges/{id}'],
    ['get', '/v1/dealers/{code}/orders/counts'],
    ['get', '/v1/dealers/{code}/orders/{orderId}'],
    ['get', '/v1/dealers/{code}/orders/{orderId}/comments'],
    ['post', '/v1/dealers/{code}/orders/{orderId}/comments'],
    ['get', '/v1/dealers/{code}/events'],
    ['get', '/v1/orders/{id}/comments'],
    ['post', '/v1/dealers/{code}/purchases/check'],
    ['post', '/v1/dealers/{code}/purchases'],
    ['get', '/v1/dealers/{code}/purchases'],
    ['get', '/v1/dealers/{code}/purchases/{orderId}'],
    ['get', '/v1/dealers/{code}/catalogue'],
  ];

  it('serves a valid OpenAPI 3 document at /docs/json listing every route', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [method, path] of ROUTES) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        expect(operation.parameters).toContainEqual(expect.objectContaining({ in: 'path', name: name.slice(1, -1), required: true }));
      }
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
    // Every response and body is described by a schema, and refs (if any) resolve.
    expect(doc.paths['/v1/orders'].get.responses['200'].content['application/json'].schema.properties.items.type).toBe('array');
    expect(doc.paths['/v1/orders'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['channelId', 'status', 'placedFrom', 'placedTo', 'region', 'q', 'cursor', 'limit']),
    );
    expect(doc.paths['/v1/channels'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'connectorType', 'config']);
    for (const ref of JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []) {
      const pointer = ref.slice(9, -1).replace(/^#\//, '').split('/');
      expect(pointer.reduce((node: Record<string, unknown> | undefined, key) => node?.[key] as Record<string, unknown> | undefined, doc), ref).toBeDefined();
    }
  });

  it('serves the UI at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });
});
