import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { asAdmin } from '../helpers/auth.ts';
import { resetUnasAuthCache } from '../../connectors/unas/index.ts';
import { HubError } from '../../core/errors.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { PayloadProcessedEvent, SyncFinishedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

// ---------------------------------------------------------------- Shoprenter (fixtures and nock setup of test/unit/shoprenter-connector.test.ts)
const SR_API = 'https://shopname.api2.myshoprenter.hu';
const SR_OAUTH = 'https://oauth.app.shoprenter.net';
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const srRaw = (name: string): string => readFileSync(new URL(`../fixtures/shoprenter/${name}`, import.meta.url), 'utf8');
const srFixture = (name: string): Record<string, any> => JSON.parse(srRaw(name)) as Record<string, any>;
const page0 = srFixture('orders-page-0.json'); // orders 172 (status 1), 173 (status 5); last page 1
const page1 = srFixture('orders-page-1.json'); // order 174 (status 7, EUR), dateUpdated 2024-05-01T13:30:00 local
const srToken = srFixture('token.json');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const oid = (n: number) => b64(`order-order_id=${n}`);
const LEGACY_HOST = 'http://shopname.api.myshoprenter.hu';
/** A one-page order list (page 0 is also the last page) in the documented collection shape. */
const onePage = (items: unknown[]) => ({ ...page0, next: null, last: { href: `${LEGACY_HOST}/orders?page=0&limit=2` }, items });

// ---------------------------------------------------------------- UNAS (fixtures and nock setup of test/unit/unas-connector.test.ts)
const UNAS_API = 'https://api.unas.eu';
const UNAS_CUSTOM = 'https://erp.example.hu';
const unasRaw = (name: string): Buffer => readFileSync(new URL(`../fixtures/unas/${name}`, import.meta.url));
const unasText = (name: string): string => unasRaw(name).toString('utf8');
const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
const UNAS_TOKEN = '6f0c1e2d3b4a59687766554433221100aabbccdd';
/**
 * login.xml as UNAS answers it, with an Expire in the future: the fixture's Expire (2024) is in the
 * past for the hub's real clock, and the hub runs the connector with the real clock.
 */
const unasLogin = (): string => unasText('login.xml').replace(/<Expire>[^<]*<\/Expire>/, '<Expire>2099.12.31 23:00:00</Expire>');
const xmlParam = (body: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

interface Call {
  path: string;
  body: string;
  auth: string | undefined;
}

/**
 * Shoprenter, UNAS and the "custom API based on the Unas API" through the whole hub: channels created
 * through the API, syncs run by the sync processor against nock'd vendor APIs, webhooks through the
 * API route and the in-process payload job, every payload archived and read into core orders on
 * PostgreSQL.
 */
describe('webshop channels (Shoprenter, UNAS, Unas-based custom API) end to end', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let runner: InProcessRunner;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    // No cron schedules: only the syncs the tests run may reach the (mocked) vendors.
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, schedules: false, retry: { attempts: 3, backoffMs: 10 } });
    runner = hub.runner as InProcessRunner;
    await runner.start();
    app = (await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db)).app;
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  beforeEach(() => resetUnasAuthCache());
  afterEach(() => {
    nock.cleanAll();
  });

  async function createChannel(body: Record<string, unknown>): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: body });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ connectorType: body.connectorType, kind: 'webshop' });
    return response.json().id as string;
  }

  /** The next final payload job event (register before the webhook is sent). */
  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(runner);

  const ordersOf = (channelId: string) =>
    testDb.db.prisma.order.findMany({ where: { channelId }, orderBy: { externalId: 'asc' }, include: { lines: { orderBy: { position: 'asc' } } } });
  const payloadsOf = (channelId: string) => testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });
  const runsOf = (channelId: string) => testDb.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
  const syncStateOf = async (channelId: string) => (await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState;
  const summary = (orders: Awaited<ReturnType<typeof ordersOf>>) => orders.map((o) => [o.externalId, o.status, o.currency, o.total.toFixed(), o.version]);
  const lineSummary = (order: Awaited<ReturnType<typeof ordersOf>>[number]) =>
    order.lines.map((l) => [l.kind, l.sku, l.quantity.toFixed(), l.unitPrice.toFixed(), l.total.toFixed(), l.tax.toFixed()]);
  const counts = (run: Awaited<ReturnType<typeof runsOf>>[number]) => ({
    status: run.status,
    pages: run.pages,
    received: run.received,
    created: run.created,
    updated: run.updated,
    unchanged: run.unchanged,
    failed: run.failed,
    errorCode: run.errorCode,
  });

  async function syncFailure(channelId: string): Promise<HubError> {
    try {
      await syncChannel(hub.context, channelId, 'manual');
    } catch (error) {
      expect(error).toBeInstanceOf(HubError);
      return error as HubError;
    }
    throw new Error('expected the sync to fail');
  }

  // -------------------------------------------------------------- Shoprenter helpers
  function mockShoprenterToken(shop: string, times = 1) {
    const bodies: unknown[] = [];
    const scope = nock(SR_OAUTH)
      .post(`/${shop}/app/token`, (body) => {
        bodies.push(body);
        return true;
      })
      .times(times)
      .reply(200, srToken, JSON_HEADERS);
    return { scope, bodies };
  }

  /** The order list: one interceptor per page, recording the query each page was asked with. */
  function mockOrderList(pages: unknown[]) {
    const queries: Array<Record<string, string>> = [];
    const scope = nock(SR_API);
    pages.forEach((body, page) => {
      scope
        .get('/api/orders')
        .query((q) => q.excludeAbandonedCart === '1' && q.page === String(page))
        .reply(200, (uri) => {
          queries.push(Object.fromEntries(new URL(uri, SR_API).searchParams));
          return typeof body === 'string' ? body : JSON.stringify(body);
        }, JSON_HEADERS);
    });
    return { scope, queries };
  }

  /** Products and totals of the orders, the currencies and the status names (each exactly once). */
  function mockOrderChildren(orderIds: number[], currencies: Array<'huf' | 'eur'>) {
    const scope = nock(SR_API);
    for (const id of orderIds) {
      scope
        .get('/api/orderProducts')
        .query((q) => q.orderId === oid(id) && q.full === '1' && q.page === '0')
        .reply(200, srRaw(`order-products-${id}.json`), JSON_HEADERS)
        .get('/api/orderTotals')
        .query((q) => q.orderId === oid(id) && q.full === '1' && q.page === '0')
        .reply(200, srRaw(`order-totals-${id}.json`), JSON_HEADERS);
    }
    for (const currency of currencies) {
      scope.get(`/api/currencies/${encodeURIComponent(b64(`currency-currency_id=${currency === 'huf' ? 4 : 2}`))}`).reply(200, srRaw(`currency-${currency}.json`), JSON_HEADERS);
    }
    scope.get('/api/orderStatusDescriptions').query({ full: '1', limit: '200', page: '0' }).reply(200, srRaw('order-status-descriptions.json'), JSON_HEADERS);
    return scope;
  }

  /** Shoprenter channel config: no real waiting (one attempt, the highest rate that keeps a burst of 10 under 180/min). */
  const shoprenterConfig = (overrides: Record<string, unknown>) => ({
    shopName: 'shopname',
    clientId: 'client-id-1',
    clientSecret: 'client-secret-2',
    maxAttempts: 1,
    requestsPerMinute: 170,
    timeoutMs: 5_000,
    ...overrides,
  });

  describe('Shoprenter pull', () => {
    let channelId: string;

    beforeAll(async () => {
      channelId = await createChannel({ name: 'Shoprenter shop', connectorType: 'shoprenter', config: shoprenterConfig({}) });
    });

    it('creates the orders of a two-page list on the first sync, archives each page and stores the cursor of the last page', async () => {
      const token = mockShoprenterToken('shopname');
      const list = mockOrderList([page0, page1]);
      const children = mockOrderChildren([172, 173, 174], ['huf', 'eur']);

      const outcome = await syncChannel(hub.context, channelId, 'manual');

      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, received: 3, created: 3, updated: 0, unchanged: 0, failed: 0 } });
      expect(token.bodies).toEqual([{ grant_type: 'client_credentials', client_id: 'client-id-1', client_secret: 'client-secret-2' }]);
      expect(list.queries).toEqual([
        { limit: '100', excludeAbandonedCart: '1', page: '0', full: '1' },
        { limit: '100', excludeAbandonedCart: '1', page: '1', full: '1' },
      ]);
      expect(token.scope.isDone() && list.scope.isDone() && children.isDone()).toBe(true);

      const orders = await ordersOf(channelId);
      expect(summary(orders)).toEqual([
        ['172', 'received', 'HUF', '3990', 1],
        ['173', 'completed', 'HUF', '7873.025', 1],
        ['174', 'cancelled', 'EUR', '31.75', 1],
      ]);
      const [o172, o173, o174] = orders;
      expect(o172).toMatchObject({ number: '172', sourceStatus: 'Függőben lévő' });
      expect(o172!.customer).toMatchObject({ name: 'Test Test', email: 'test@test.com' });
      expect(lineSummary(o172!)).toEqual([
        ['product', '9789639715615', '1', '2400', '2400', '600'],
        ['shipping', null, '1', '792', '792', '198'],
      ]);
      expect([o172!.subtotal, o172!.shippingTotal, o172!.taxTotal].map((d) => d.toFixed())).toEqual(['2400', '792', '798']);
      expect(o173!.customer).toMatchObject({ name: 'Kovács Anna', company: 'Példa Kft.' });
      expect(lineSummary(o173!).map(([kind, sku, , , total]) => [kind, sku, total])).toEqual([
        ['product', 'CS-3060-W', '3000'],
        ['product', 'MN-1', '3990.5'],
        ['discount', null, '-500'],
        ['shipping', null, '0'],
        ['fee', null, '400'],
      ]);
      expect(o173!.taxTotal.toFixed()).toBe('982.525');
      expect(o173!.notes).toBe('Kérem délután hozzák');
      expect(lineSummary(o174!)).toEqual([['product', expect.anything(), '2', '12.5', '25', '6.75']]);

      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.kind, p.status, p.orderCount, p.contentType, p.errorCode])).toEqual([
        ['pull', 'parsed', 2, 'application/json', null],
        ['pull', 'parsed', 1, 'application/json', null],
      ]);
      expect(JSON.parse(Buffer.from(payloads[0]!.body).toString('utf8'))).toMatchObject({ source: 'shoprenter-pull', page: { page: '0' } });
      // Each version points at the page it was read from.
      const v1 = await testDb.db.prisma.orderVersion.findFirstOrThrow({ where: { orderId: o174!.id } });
      expect(v1.rawPayloadId).toBe(payloads[1]!.id);

      const [run] = await runsOf(channelId);
      expect(counts(run!)).toEqual({ status: 'succeeded', pages: 2, received: 3, created: 3, updated: 0, unchanged: 0, failed: 0, errorCode: null });
      // The largest dateUpdated seen: order 174, 2024-05-01T13:30:00 Budapest (CEST) = 11:30Z.
      expect(await syncStateOf(channelId)).toEqual({ updatedAfter: '2024-05-01T11:30:00.000Z' });
    });

    it('sends updatedAtMin from the stored cursor on the next sync, reuses the token, and makes a status change version 2 with its history', async () => {
      const token = mockShoprenterToken('shopname');
      const changed = {
        ...page0.items[0],
        dateUpdated: '2024-05-02T09:00:00',
        orderStatus: { href: `${LEGACY_HOST}/orderStatuses/${b64('orderStatus-order_status_id=5')}` },
      };
      const list = mockOrderList([onePage([changed])]);
      const children = mockOrderChildren([172], ['huf']);

      const outcome = await syncChannel(hub.context, channelId, 'manual');

      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 1, received: 1, created: 0, updated: 1, unchanged: 0, failed: 0 } });
      // 11:30Z = 13:30 CEST, minus the default 10 minutes of overlap; never createdAtMin.
      expect(list.queries).toEqual([{ limit: '100', excludeAbandonedCart: '1', page: '0', full: '1', updatedAtMin: '2024-05-01T13:20:00' }]);
      expect(list.scope.isDone() && children.isDone()).toBe(true);
      expect(token.scope.isDone()).toBe(false); // the cached token was used
      expect(token.bodies).toEqual([]);

      const orders = await ordersOf(channelId);
      expect(summary(orders)).toEqual([
        ['172', 'completed', 'HUF', '3990', 2],
        ['173', 'completed', 'HUF', '7873.025', 1],
        ['174', 'cancelled', 'EUR', '31.75', 1],
      ]);
      const detail = await app.inject({ method: 'GET', url: `/v1/orders/${orders[0]!.id}` });
      expect(detail.statusCode).toBe(200);
      const body = detail.json();
      expect(body).toMatchObject({ externalId: '172', status: 'completed', sourceStatus: 'Teljesítve', version: 2, totals: { total: '3990', tax: '798' } });
      expect(body.history.map((v: { version: number }) => v.version)).toEqual([1, 2]);
      expect(body.history[0].changes).toEqual([]);
      expect(body.history[1].changes).toEqual(
        expect.arrayContaining([
          { field: 'status', from: 'received', to: 'completed' },
          { field: 'sourceStatus', from: 'Függőben lévő', to: 'Teljesítve' },
          { field: 'sourceUpdatedAt', from: '2019-09-06T13:47:59.000Z', to: '2024-05-02T07:00:00.000Z' },
        ]),
      );

      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.status, p.orderCount])).toEqual([
        ['parsed', 2],
        ['parsed', 1],
        ['parsed', 1],
      ]);
      expect(body.history[1].rawPayloadId).toBe(payloads[2]!.id);
      const runs = await runsOf(channelId);
      expect(counts(runs[1]!)).toEqual({ status: 'succeeded', pages: 1, received: 1, created: 0, updated: 1, unchanged: 0, failed: 0, errorCode: null });
      expect(await syncStateOf(channelId)).toEqual({ updatedAfter: '2024-05-02T07:00:00.000Z' });
    });

    it('archives a list page that is not JSON as failed, lists it among the errors, keeps the cursor, and a reprocess of the still broken body stays failed with a clear error', async () => {
      const broken = JSON.stringify(page0).slice(0, 300);
      const list = mockOrderList([broken]);

      // Documented: the broken page is archived with invalid_data; with no known last page the run stops there.
      // Its only page failed, so the run is failed (and retried like any failed run), not "succeeded".
      await expect(syncChannel(hub.context, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining('1 of 1 page(s) failed') });
      expect((await runsOf(channelId)).at(-1)).toMatchObject({ status: 'failed', pages: 1, received: 0, created: 0, updated: 0, failed: 1 });
      expect(list.queries).toEqual([{ limit: '100', excludeAbandonedCart: '1', page: '0', full: '1', updatedAtMin: '2024-05-02T08:50:00' }]);
      expect(list.scope.isDone()).toBe(true);

      const payloads = await payloadsOf(channelId);
      expect(payloads).toHaveLength(4);
      const failed = payloads[3]!;
      expect(failed).toMatchObject({ kind: 'pull', status: 'failed', errorCode: 'invalid_data', orderCount: 0, encoding: 'utf-8', contentType: 'application/json' });
      expect(Buffer.from(failed.body).toString('utf8')).toBe(broken);
      expect(failed.error).toMatch(/^expected a JSON orders page, got malformed JSON: /);
      expect(failed.source).toContain(`${SR_API}/api/orders?`);

      const errors = await app.inject({ method: 'GET', url: `/v1/raw-payloads?status=errors&channelId=${channelId}` });
      expect(errors.statusCode).toBe(200);
      expect(errors.json().items.map((p: { id: string; status: string; errorCode: string }) => [p.id, p.status, p.errorCode])).toEqual([[failed.id, 'failed', 'invalid_data']]);

      const reprocessed = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${failed.id}/reprocess` });
      expect(reprocessed.statusCode).toBe(200);
      expect(reprocessed.json()).toMatchObject({
        payloadId: failed.id,
        status: 'failed',
        orderCount: 0,
        errorCode: 'invalid_data',
        error: expect.stringMatching(/^body is not JSON: /),
        counts: { created: 0, updated: 0, unchanged: 0, stale: 0, rejected: 0 },
      });
      const stored = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: failed.id } });
      expect(stored).toMatchObject({ status: 'failed', errorCode: 'invalid_data', attempts: 2 });

      const runs = await runsOf(channelId);
      expect(counts(runs[2]!)).toEqual({ status: 'failed', pages: 1, received: 0, created: 0, updated: 0, unchanged: 0, failed: 1, errorCode: 'invalid_data' });
      expect(await syncStateOf(channelId)).toEqual({ updatedAfter: '2024-05-02T07:00:00.000Z' });
      expect(summary(await ordersOf(channelId))).toEqual([
        ['172', 'completed', 'HUF', '3990', 2],
        ['173', 'completed', 'HUF', '7873.025', 1],
        ['174', 'cancelled', 'EUR', '31.75', 1],
      ]);
    });
  });

  describe('Shoprenter webhooks', () => {
    const WEBHOOK_TOKEN = 'e2e-shoprenter-webhook-token-0123';
    const webhookFor172 = srRaw('webhook-order-confirm.json').replace('"innerId":"190"', '"innerId":"172"').replace('b3JkZXItb3JkZXJfaWQ9MTkw', oid(172));
    let channelId: string;

    beforeAll(async () => {
      channelId = await createChannel({
        name: 'Shoprenter shop with webhooks',
        connectorType: 'shoprenter',
        config: shoprenterConfig({ clientId: 'client-id-webhooks', webhookToken: WEBHOOK_TOKEN }),
      });
    });

    const deliver = (body: string, options: { query?: string; headers?: Record<string, string> }) =>
      app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/webhook${options.query ?? ''}`,
        headers: { 'content-type': 'application/json', ...options.headers },
        payload: Buffer.from(body, 'utf8'),
      });

    it('takes the webhook of a pulled order by the URL token and by the X-Orderhub-Token header: one order, newer versions', async () => {
      mockShoprenterToken('shopname');
      mockOrderList([onePage([page0.items[0]])]);
      mockOrderChildren([172], ['huf']);
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded', counts: { created: 1 } });
      expect(await syncStateOf(channelId)).toEqual({ updatedAfter: '2019-09-06T13:47:59.000Z' });

      // A wrong token is refused before anything is stored.
      const refused = await deliver(webhookFor172, { query: '?token=not-the-webhook-token-0000' });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.message).toBe('Wrong webhook token.');
      expect(await payloadsOf(channelId)).toHaveLength(1);

      // The token in the webhook URL (how the shop is configured).
      const first = processed();
      const byQuery = await deliver(webhookFor172, { query: `?token=${WEBHOOK_TOKEN}` });
      expect(byQuery.statusCode, byQuery.body).toBe(202);
      expect(byQuery.json()).toMatchObject({ duplicate: false });
      const firstEvent = await first;
      expect(firstEvent).toMatchObject({ payloadId: byQuery.json().payloadId, outcome: { status: 'parsed', orderCount: 1 } });
      expect(firstEvent.outcome!.results.map((r) => [r.externalId, r.outcome, r.version])).toEqual([['172', 'updated', 2]]);

      // The header (set by a reverse proxy): a status change, later than the first delivery.
      const statusChange = webhookFor172
        .replace('"orderHistory":{"status":"1","statusText":"Pending"', '"orderHistory":{"status":"5","statusText":"Teljes\\u00edtve"')
        .replace('"dateAdded":"2025-12-01 20:57:40"', '"dateAdded":"2025-12-02 08:00:00"');
      expect(statusChange).not.toBe(webhookFor172);
      const second = processed();
      const byHeader = await deliver(statusChange, { headers: { 'X-Orderhub-Token': WEBHOOK_TOKEN } });
      expect(byHeader.statusCode, byHeader.body).toBe(202);
      const secondEvent = await second;
      expect(secondEvent.outcome!.results.map((r) => [r.externalId, r.outcome, r.version])).toEqual([['172', 'updated', 3]]);

      // The same delivery again: one payload, not read twice.
      const again = await deliver(statusChange, { headers: { 'x-orderhub-token': WEBHOOK_TOKEN } });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ payloadId: byHeader.json().payloadId, duplicate: true });
      await runner.whenPayloadsIdle();

      const orders = await ordersOf(channelId);
      expect(summary(orders)).toEqual([['172', 'completed', 'HUF', '11206', 3]]);
      expect(orders[0]!.sourceStatus).toBe('Teljesítve');
      expect(lineSummary(orders[0]!)).toEqual([
        ['product', '996000004', '1', '945', '945', '255.15'],
        ['product', 'TTA1234', '1', '9000', '9000', '0'],
        ['shipping', null, '1', '970.0714', '970.0714', '35.9286'],
      ]);
      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.kind, p.source, p.status, p.orderCount, p.receivedCount])).toEqual([
        ['pull', expect.stringContaining('/api/orders?'), 'parsed', 1, 1],
        ['webhook', 'orders', 'parsed', 1, 1],
        ['webhook', 'orders', 'parsed', 1, 2],
      ]);
    });

    it('a later pull of the same order (older in the shop than the webhooks) neither duplicates nor rolls it back', async () => {
      mockShoprenterToken('shopname');
      const list = mockOrderList([onePage([page0.items[0]])]);
      mockOrderChildren([172], ['huf']);
      const outcome = await syncChannel(hub.context, channelId, 'manual');
      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 1, received: 1, created: 0, updated: 0, unchanged: 1, failed: 0 } });
      expect(list.queries[0]?.updatedAtMin).toBe('2019-09-06T15:37:59');

      expect(summary(await ordersOf(channelId))).toEqual([['172', 'completed', 'HUF', '11206', 3]]);
      expect(await testDb.db.prisma.order.count({ where: { channelId, externalId: '172' } })).toBe(1);
      const runs = await runsOf(channelId);
      expect(runs.map(counts)).toEqual([
        { status: 'succeeded', pages: 1, received: 1, created: 1, updated: 0, unchanged: 0, failed: 0, errorCode: null },
        { status: 'succeeded', pages: 1, received: 1, created: 0, updated: 0, unchanged: 1, failed: 0, errorCode: null },
      ]);
    });

    describe('with the API request log on (as `hub start` runs it: LOG_LEVEL info)', () => {
      const logLines: string[] = [];

      it('logs the webhook request that carried the token in its URL', async () => {
        const stream = new Writable({
          write(chunk, _encoding, done) {
            logLines.push(String(chunk));
            done();
          },
        });
        const loggingApp = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions, logger: { level: 'info', stream } });
        try {
          // The bytes of an earlier delivery: accepted as a duplicate, nothing new to read.
          const response = await loggingApp.inject({
            method: 'POST',
            url: `/v1/channels/${channelId}/webhook?token=${WEBHOOK_TOKEN}`,
            headers: { 'content-type': 'application/json' },
            payload: Buffer.from(webhookFor172, 'utf8'),
          });
          expect(response.statusCode).toBe(202);
          expect(response.json()).toMatchObject({ duplicate: true });
        } finally {
          await loggingApp.close();
        }
        expect(logLines.some((line) => line.includes(`/v1/channels/${channelId}/webhook`))).toBe(true);
      });

      // The webhook secret given as `?token=` must never reach the log (api/app.ts redacts request URLs).
      it('does not write the ?token= webhook secret into the request log', () => {
        expect(logLines.length).toBeGreaterThan(0);
        expect(logLines.join('\n')).not.toContain(WEBHOOK_TOKEN);
      });
    });
  });

  describe('Shoprenter webhooks the mapping cannot read (fallback: the order is fetched from the shop)', () => {
    const WEBHOOK_TOKEN = 'e2e-shoprenter-fallback-token-4567';
    let channelId: string;

    beforeAll(async () => {
      channelId = await createChannel({
        name: 'Shoprenter shop with a webhook fallback',
        connectorType: 'shoprenter',
        config: shoprenterConfig({ clientId: 'client-id-fallback', webhookToken: WEBHOOK_TOKEN }),
      });
    });

    const deliver = (body: string) =>
      app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/webhook?token=${WEBHOOK_TOKEN}`,
        headers: { 'content-type': 'application/json' },
        payload: Buffer.from(body, 'utf8'),
      });

    it('maps the vendor example without orderHistory.dateAdded, placed when the hub received it', async () => {
      const done = processed();
      const response = await deliver(srRaw('webhook-order-confirm-hu.json'));
      expect(response.statusCode, response.body).toBe(202);
      const event = await done;
      expect(event.outcome).toMatchObject({ status: 'parsed', orderCount: 1 });
      const [payload] = await payloadsOf(channelId);
      const [order] = await ordersOf(channelId);
      expect(order).toMatchObject({ externalId: '190', status: 'received', sourceStatus: 'Függőben lévő', currency: 'HUF' });
      expect(order!.placedAt.toISOString()).toBe(payload!.receivedAt.toISOString());
      expect(order!.total.toFixed()).toBe('11206');
    });

    it('fails a webhook it cannot read (visible, reprocessable) and reads the order fetched from the shop by its id instead', async () => {
      // The vendor example about order 172, with a product price the mapping cannot read.
      const unreadable = srRaw('webhook-order-confirm-hu.json')
        .replace('"innerId":"190"', '"innerId":"172"')
        .replace('b3JkZXItb3JkZXJfaWQ9MTkw', oid(172))
        .replace('"price":"945"', '"price":"n\\/a"');
      mockShoprenterToken('shopname');
      const order = nock(SR_API).get(`/api/orders/${oid(172)}`).reply(200, srRaw('order-172.json'), JSON_HEADERS);
      const children = mockOrderChildren([172], ['huf']);

      const done = processed();
      const response = await deliver(unreadable);
      expect(response.statusCode, response.body).toBe(202);
      const event = await done;
      expect(event.outcome).toMatchObject({ status: 'failed', orderCount: 0, errorCode: 'invalid_data' });
      expect(order.isDone() && children.isDone()).toBe(true);

      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.kind, p.status, p.orderCount])).toEqual([
        ['webhook', 'parsed', 1],
        ['webhook', 'failed', 0],
        ['pull', 'parsed', 1],
      ]);
      expect(payloads[1]!.error).toBe('172: orderProducts.orderProduct[0].price is not a decimal number: "n/a"');
      expect(payloads[2]!.source).toBe(`${SR_API}/api/orders/${encodeURIComponent(oid(172))}`);
      expect(JSON.parse(Buffer.from(payloads[2]!.body).toString('utf8'))).toMatchObject({ source: 'shoprenter-pull', fetched: '172', orders: [{ innerId: '172' }] });

      const orders = await ordersOf(channelId);
      expect(summary(orders)).toEqual([
        ['172', 'received', 'HUF', '3990', 1],
        ['190', 'received', 'HUF', '11206', 1],
      ]);
      expect(orders[0]).toMatchObject({ sourceStatus: 'Függőben lévő', notes: 'Megjegyzés' });
      const version = await testDb.db.prisma.orderVersion.findFirstOrThrow({ where: { orderId: orders[0]!.id } });
      expect(version.rawPayloadId).toBe(payloads[2]!.id);

      // The webhook stays listed among the errors for ops, and can be read again.
      const errors = await app.inject({ method: 'GET', url: `/v1/raw-payloads?status=errors&channelId=${channelId}` });
      expect(errors.json().items.map((p: { id: string }) => p.id)).toEqual([payloads[1]!.id]);
    });

    it('leaves the webhook failed when the shop does not know the order either', async () => {
      mockShoprenterToken('shopname');
      const missing = nock(SR_API).get(`/api/orders/${oid(999)}`).reply(404, { message: 'Not found' }, JSON_HEADERS);
      const unreadable = srRaw('webhook-order-confirm-hu.json').replace('"innerId":"190"', '"innerId":"999"').replace('"currency":"HUF",', '"currency":"",').replace(/"currency":"HUF"/g, '"currency":""');

      const done = processed();
      expect((await deliver(unreadable)).statusCode).toBe(202);
      expect((await done).outcome).toMatchObject({ status: 'failed', error: '999: the order currency is unknown' });
      expect(missing.isDone()).toBe(true);
      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.kind, p.status])).toEqual([
        ['webhook', 'parsed'],
        ['webhook', 'failed'],
        ['pull', 'parsed'],
        ['webhook', 'failed'],
      ]);
      expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(2);
    });
  });

  describe('Shoprenter with a rejected API client', () => {
    const SECRET = 'revoked-client-secret-value';
    let channelId: string;

    beforeAll(async () => {
      channelId = await createChannel({
        name: 'Shoprenter locked shop',
        connectorType: 'shoprenter',
        // Retries allowed: a 401 must still not be retried.
        config: shoprenterConfig({ shopName: 'lockedshop', clientId: 'revoked-client', clientSecret: SECRET, maxAttempts: 3 }),
      });
    });

    it('fails the sync with a clear unauthorized error on a 401 from the token endpoint, without retrying', async () => {
      const unmatched: string[] = [];
      const onNoMatch = (req: { path?: string }) => unmatched.push(String(req.path));
      nock.emitter.on('no match', onNoMatch);
      try {
        const tokenEndpoint = nock(SR_OAUTH)
          .post('/lockedshop/app/token')
          .times(2)
          .reply(401, { error: 'invalid_client', error_description: 'Client authentication failed' }, JSON_HEADERS);

        const error = await syncFailure(channelId);
        expect(error.code).toBe('unauthorized');
        expect(error.permanent).toBe(true);
        expect(error.message).toMatch(/^Sync of "Shoprenter locked shop" failed: Shoprenter rejected the API client for shop "lockedshop" \(HTTP 401 invalid_client\)/);
        expect(error.message).toContain('Check the channel credentials');
        expect(error.message).not.toContain(SECRET);
        expect(tokenEndpoint.pendingMocks()).toHaveLength(1); // one token request, not retried

        // Through the job runner: a permanent failure ends after the first attempt.
        const events: SyncFinishedEvent[] = [];
        const off = runner.onSyncFinished((event) => events.push(event));
        expect(await hub.actions.requestSync(channelId, 'manual')).toMatchObject({ queued: true });
        await runner.whenIdle(channelId);
        off();
        expect(events).toEqual([expect.objectContaining({ channelId, attempt: 1, final: true, error: expect.objectContaining({ code: 'unauthorized', permanent: true }) })]);
        expect(tokenEndpoint.isDone()).toBe(true);
        expect(unmatched).toEqual([]);
      } finally {
        nock.emitter.removeListener('no match', onNoMatch);
      }

      const runs = await runsOf(channelId);
      expect(runs.map(counts)).toEqual([
        { status: 'failed', pages: 0, received: 0, created: 0, updated: 0, unchanged: 0, failed: 0, errorCode: 'unauthorized' },
        { status: 'failed', pages: 0, received: 0, created: 0, updated: 0, unchanged: 0, failed: 0, errorCode: 'unauthorized' },
      ]);
      for (const run of runs) {
        expect(run.error).toMatch(/Shoprenter rejected the API client for shop "lockedshop" \(HTTP 401 invalid_client\): check the client id and secret/);
        expect(run.finishedAt).not.toBeNull();
      }
      expect(await ordersOf(channelId)).toEqual([]);
      expect(await payloadsOf(channelId)).toEqual([]);
      expect(await syncStateOf(channelId)).toEqual({});
      // The lease was released: the channel is not stuck "running".
      expect(await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).toMatchObject({ syncLeaseOwner: null });
    });
  });

  // -------------------------------------------------------------- UNAS
  /** login once (counted), getOrder answering `answers` in turn; records every call. */
  function mockUnas(base: string, prefix: string, answers: Array<{ body: string | Buffer; headers: Record<string, string> }>) {
    const calls: Call[] = [];
    const scope = nock(base)
      .post(`${prefix}/login`)
      .reply(function (_uri, body) {
        calls.push({ path: 'login', body: String(body), auth: this.req.headers.authorization as string | undefined });
        return [200, unasLogin(), XML];
      });
    for (const answer of answers) {
      scope.post(`${prefix}/getOrder`).reply(function (_uri, body) {
        calls.push({ path: 'getOrder', body: String(body), auth: this.req.headers.authorization as string | undefined });
        return [200, answer.body, answer.headers];
      });
    }
    return { scope, calls };
  }

  const isoAnswer = () => ({ body: unasRaw('get-order-iso-8859-2.xml'), headers: { 'Content-Type': 'text/xml' } });
  const UNAS_ORDER = ['1000-1000001|146194507', 'completed', 'HUF', '12700', 1];

  async function expectAccentedOrder(channelId: string) {
    const orders = await ordersOf(channelId);
    expect(summary(orders)).toEqual([UNAS_ORDER]);
    const [order] = orders;
    expect(order).toMatchObject({ number: '1000-1000001', sourceStatus: 'Teljesítve' });
    expect(order!.customer).toEqual({ name: 'Kővári Győző', email: 'gyozo@example.hu' });
    expect(order!.billingAddress).toMatchObject({ name: 'Kővári Győző', line1: 'Fűzfa utca 3.', country: 'HU' });
    expect([order!.subtotal, order!.taxTotal, order!.total].map((d) => d.toFixed())).toEqual(['10000', '2700', '12700']);
    expect(lineSummary(order!)).toEqual([['product', 'SZONYEG-1', '10', '1000', '10000', '2700']]);
    expect(order!.lines[0]!.name).toBe('Szőnyeg "Űrhajó" 120x170 ő ű Ő Ű');
    // Through the API as well (JSON out, UTF-8).
    const listed = await app.inject({ method: 'GET', url: `/v1/orders?channelId=${channelId}&text=${encodeURIComponent('Győző')}` });
    expect(listed.json().items.map((o: { externalId: string; customer: { name: string } }) => [o.externalId, o.customer.name])).toEqual([['1000-1000001|146194507', 'Kővári Győző']]);
  }

  async function syncTwiceReusingTheToken(channelId: string, base: string, prefix: string) {
    const { scope, calls } = mockUnas(base, prefix, [isoAnswer(), isoAnswer()]);

    const before = Math.floor(Date.now() / 1000) * 1000;
    const first = await syncChannel(hub.context, channelId, 'manual');
    const after = Date.now();
    expect(first).toMatchObject({ status: 'succeeded', counts: { pages: 1, received: 1, created: 1, updated: 0, unchanged: 0, failed: 0 } });
    await expectAccentedOrder(channelId);
    const state = (await syncStateOf(channelId)) as { modifiedAfter: string };
    // The cursor is the run start (TimeModEnd of the first call).
    const cursor = Date.parse(state.modifiedAfter);
    expect(cursor).toBeGreaterThanOrEqual(before);
    expect(cursor).toBeLessThanOrEqual(after);
    expect(xmlParam(calls[1]!.body, 'TimeModEnd')).toBe(String(cursor / 1000));
    expect(xmlParam(calls[1]!.body, 'TimeModStart')).toBeUndefined();

    const payloads = await payloadsOf(channelId);
    expect(payloads.map((p) => [p.kind, p.status, p.orderCount, p.contentType])).toEqual([['pull', 'parsed', 1, 'text/xml']]);
    // The decoded text is archived: ő/ű survive the ISO-8859-2 bytes.
    expect(Buffer.from(payloads[0]!.body).toString('utf8')).toContain('Kővári Győző');
    expect(Buffer.from(payloads[0]!.body).toString('utf8')).toContain('Fűzfa utca');
    expect(payloads[0]!.source).toMatch(new RegExp(`^${base.replace(/\./g, '\\.')}${prefix}/getOrder\\?TimeModStart=&TimeModEnd=`));

    const second = await syncChannel(hub.context, channelId, 'manual');
    // The same answer again: the page is stored once and counted as unchanged.
    expect(second).toMatchObject({ status: 'succeeded', counts: { pages: 1, received: 1, created: 0, updated: 0, unchanged: 1, failed: 0 } });
    expect(scope.isDone()).toBe(true);
    expect(calls.map((c) => c.path)).toEqual(['login', 'getOrder', 'getOrder']);
    expect(xmlParam(calls[0]!.body, 'ApiKey')).toBeDefined();
    expect(calls[0]!.auth).toBeUndefined();
    expect(calls.slice(1).map((c) => c.auth)).toEqual([`Bearer ${UNAS_TOKEN}`, `Bearer ${UNAS_TOKEN}`]);
    expect(xmlParam(calls[2]!.body, 'TimeModStart')).toBe(String(cursor / 1000 - 10 * 60));
    expect(calls.some((c) => /InvoiceAutoSet/.test(c.body))).toBe(false);

    await expectAccentedOrder(channelId);
    const runs = await runsOf(channelId);
    expect(runs.map(counts)).toEqual([
      { status: 'succeeded', pages: 1, received: 1, created: 1, updated: 0, unchanged: 0, failed: 0, errorCode: null },
      { status: 'succeeded', pages: 1, received: 1, created: 0, updated: 0, unchanged: 1, failed: 0, errorCode: null },
    ]);
    const payloadsAfter = await payloadsOf(channelId);
    expect(payloadsAfter.map((p) => [p.status, p.receivedCount])).toEqual([['parsed', 2]]);
    expect(Date.parse(((await syncStateOf(channelId)) as { modifiedAfter: string }).modifiedAfter)).toBeGreaterThanOrEqual(cursor);
  }

  describe('UNAS pull', () => {
    it('reads an ISO-8859-2 getOrder answer into orders whose names keep ő/ű, and the next sync reuses the login token', async () => {
      const channelId = await createChannel({ name: 'UNAS shop', connectorType: 'unas', config: { apiKey: 'unas-key-e2e-1', maxAttempts: 1, timeoutMs: 5_000 } });
      await syncTwiceReusingTheToken(channelId, UNAS_API, '/shop');
    });

    it('does the same for the "Custom API based on the Unas API" type against its own base URL', async () => {
      const channelId = await createChannel({
        name: 'ERP shop (Unas-compatible API)',
        connectorType: 'unas-custom',
        config: { apiKey: 'custom-key-e2e', baseUrl: `${UNAS_CUSTOM}/unas-api/`, maxAttempts: 1, timeoutMs: 5_000 },
      });
      await syncTwiceReusingTheToken(channelId, UNAS_CUSTOM, '/unas-api');
    });

    it('stores a ban with its end in the channel state: the ban answer is archived, no call is sent before the end (new process), the error says until when', async () => {
      const channelId = await createChannel({ name: 'UNAS banned shop', connectorType: 'unas', config: { apiKey: 'unas-key-e2e-ban', maxAttempts: 1, timeoutMs: 5_000 } });
      // The documented ban answer, with an end one hour from now (MM.DD.YYYY, Budapest time).
      const end = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60 * 60_000);
      const part = Object.fromEntries(
        new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Budapest', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
          .formatToParts(end)
          .map((p) => [p.type, p.value]),
      );
      const ban = `<?xml version="1.0" encoding="UTF-8" ?>\n<Error>Too much getOrder query, IP is banned till ${part.month}.${part.day}.${part.year} ${part.hour}:${part.minute}:${part.second}</Error>`;
      const calls: string[] = [];
      nock(UNAS_API)
        .post('/shop/login').reply(() => (calls.push('login'), [200, unasLogin(), XML]))
        .post('/shop/getOrder').reply(() => (calls.push('getOrder'), [400, ban, XML]));

      await expect(syncChannel(hub.context, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining(`until ${end.toISOString()}`) });
      expect(calls).toEqual(['login', 'getOrder']);
      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.status, p.errorCode])).toEqual([['failed', 'upstream_unavailable']]);
      expect(Buffer.from(payloads[0]!.body).toString('utf8')).toBe(ban);
      expect(payloads[0]!.error).toContain('IP is banned till');
      expect(await syncStateOf(channelId)).toEqual({
        calls: { since: expect.any(String), count: 1 },
        hold: { reason: 'ban', until: end.toISOString(), message: expect.stringContaining('banned') },
      });

      // Another process (a CLI call): nothing in memory, the stored hold keeps every call back.
      resetUnasAuthCache();
      nock.cleanAll();
      nock(UNAS_API).post(/.*/).reply(() => (calls.push('sent'), [200, unasLogin(), XML]));
      const held = syncChannel(hub.context, channelId, 'manual');
      await expect(held).rejects.toMatchObject({
        code: 'upstream_unavailable',
        message: expect.stringContaining(`no call to UNAS before ${end.toISOString()}`),
      });
      // It says until when, not that it "looks temporary".
      await expect(held).rejects.toMatchObject({ message: expect.stringContaining(`No attempt is worth making before ${end.toISOString()}.`) });
      await expect(held).rejects.not.toMatchObject({ message: expect.stringContaining('looks temporary') });
      expect(calls).toEqual(['login', 'getOrder']);
      const runs = await runsOf(channelId);
      expect(runs.map((run) => [run.status, run.errorCode])).toEqual([
        ['failed', 'upstream_unavailable'],
        ['failed', 'upstream_unavailable'],
      ]);
    });

    it('archives DOCTYPE/entity answers as failed, records the run with the failed count, creates no order from them, and the channel syncs again afterwards', async () => {
      const channelId = await createChannel({ name: 'UNAS hostile shop', connectorType: 'unas', config: { apiKey: 'unas-key-e2e-hostile', maxAttempts: 1, timeoutMs: 5_000 } });
      const { scope, calls } = mockUnas(UNAS_API, '/shop', [{ body: unasText('hostile-xxe.xml'), headers: XML }]);

      // A broken page is archived with invalid_data and ends the run: it is not counted as a full page,
      // no further page is requested (multi-order getOrder calls are 30/h), the cursor stays.
      await expect(syncChannel(hub.context, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining('1 of 1 page(s) failed') });
      expect((await runsOf(channelId)).at(-1)).toMatchObject({ status: 'failed', pages: 1, received: 0, created: 0, updated: 0, unchanged: 0, failed: 1 });
      expect(scope.isDone()).toBe(true);
      expect(calls.map((c) => [c.path, xmlParam(c.body, 'LimitStart') ?? null])).toEqual([
        ['login', null],
        ['getOrder', null],
      ]);
      nock.cleanAll();
      const laughs = mockUnas(UNAS_API, '/shop', [{ body: unasText('hostile-billion-laughs.xml'), headers: XML }]);
      await expect(syncChannel(hub.context, channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable' });
      expect((await runsOf(channelId)).at(-1)).toMatchObject({ status: 'failed', pages: 1, failed: 1 });
      expect(laughs.calls.map((c) => c.path)).toEqual(['getOrder']); // token reused

      const payloads = await payloadsOf(channelId);
      expect(payloads.map((p) => [p.status, p.errorCode, p.orderCount])).toEqual([
        ['failed', 'invalid_data', 0],
        ['failed', 'invalid_data', 0],
      ]);
      for (const payload of payloads.slice(0, 2)) expect(payload.error).toMatch(/DOCTYPE declaration is refused/);
      // Archived as received: the entity was never expanded.
      expect(Buffer.from(payloads[0]!.body).toString('utf8')).toContain('<!ENTITY xxe SYSTEM "file:///etc/passwd">');
      expect(Buffer.from(payloads[0]!.body).toString('utf8')).not.toMatch(/root:/);
      expect(payloads[1]!.body.length).toBeLessThan(2_000);

      const runs = await runsOf(channelId);
      expect(runs.map((run) => counts(run))).toEqual([
        { status: 'failed', pages: 1, received: 0, created: 0, updated: 0, unchanged: 0, failed: 1, errorCode: 'invalid_data' },
        { status: 'failed', pages: 1, received: 0, created: 0, updated: 0, unchanged: 0, failed: 1, errorCode: 'invalid_data' },
      ]);
      expect(await syncStateOf(channelId)).toEqual({ calls: { since: expect.any(String), count: 2 } }); // no cursor: the broken runs froze it
      expect(await ordersOf(channelId)).toEqual([]);

      const errors = await app.inject({ method: 'GET', url: `/v1/raw-payloads?status=errors&channelId=${channelId}` });
      expect(errors.json().items).toHaveLength(2);
      // Reading it again (the mapping's own XML reader) refuses it too.
      const reprocessed = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${payloads[0]!.id}/reprocess` });
      expect(reprocessed.json()).toMatchObject({ status: 'failed', orderCount: 0, errorCode: 'invalid_data', error: expect.stringMatching(/DOCTYPE/) });
      expect(await ordersOf(channelId)).toEqual([]);

      // Nothing is stuck: the next sync reads a good answer (token reused) and moves the cursor.
      nock.cleanAll();
      const good = mockUnas(UNAS_API, '/shop', [isoAnswer()]);
      const next = await syncChannel(hub.context, channelId, 'manual');
      expect(next).toMatchObject({ status: 'succeeded', counts: { pages: 1, created: 1, failed: 0 } });
      expect(good.calls.map((c) => c.path)).toEqual(['getOrder']);
      expect(xmlParam(good.calls[0]!.body, 'TimeModStart')).toBeUndefined(); // the frozen run left no cursor
      expect(summary(await ordersOf(channelId))).toEqual([UNAS_ORDER]);
      expect(await syncStateOf(channelId)).toEqual({ modifiedAfter: expect.any(String), calls: { since: expect.any(String), count: 3 } });
    });
  });
});
