import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { createWooCommerceConnector } from '../../connectors/woocommerce/index.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { reprocessPayload } from '../../jobs/processors/process-payload.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { woocommerceMapping } from '../../mappings/woocommerce/index.ts';
import { asAdmin } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

const STORE = 'https://refunds.example.hu';
const ORDERS = '/wp-json/wc/v3/orders';
const WEBHOOK_SECRET = 'whsec refunds';
const raw = (name: string): string => readFileSync(new URL(`../fixtures/woocommerce/${name}`, import.meta.url), 'utf8');
/** The documented list example: 727 (no refunds) and 723 (refunds 726: −10.00 and 724: −9.00, total 39.00). */
const listPage = JSON.parse(raw('list-orders-page.json')) as Array<Record<string, unknown>>;
const order727 = raw('order-727.json');
/** The documented "List all refunds" answer of order 723, verbatim: 726 (10.00, no lines) and 724 (9.00, line 311 "Woo Album #2" × 1). */
const refunds723 = raw('list-refunds-723.json');
const REFUNDS_723 = `${ORDERS}/723/refunds`;
const wpHeaders = (total: number, totalPages: number) => ({ 'Content-Type': 'application/json; charset=UTF-8', 'X-WP-Total': String(total), 'X-WP-TotalPages': String(totalPages) });

/**
 * WooCommerce refunds, broken pages and the webhook fallback through the whole hub on PostgreSQL: the
 * real connector (its sleep injected, so nothing waits) and mapping, a nock'd store, the sync
 * processor, the payload job and the orders API.
 */
describe('WooCommerce refunds, page retries and the webhook fallback', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let channelId: string;
  const sleeps: number[] = [];

  beforeAll(async () => {
    testDb = await createTestPostgres();
    const connector = createWooCommerceConnector({ http: { jitter: 0, baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) } });
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), {
      db: testDb.db,
      schedules: false,
      registry: new ConnectorRegistry([{ connector, mapping: woocommerceMapping }]),
      retry: { attempts: 2, backoffMs: 10 },
    });
    await hub.runner.start();
    app = (await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db)).app;
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  beforeEach(async () => {
    sleeps.length = 0;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/channels',
      payload: { name: `Woo ${Math.random()}`, connectorType: 'woocommerce', config: { url: STORE, consumerKey: 'ck_r', consumerSecret: 'cs_r', webhookSecret: WEBHOOK_SECRET, maxAttempts: 3 } },
    });
    expect(response.statusCode, response.body).toBe(201);
    channelId = response.json().id as string;
  });

  afterEach(() => {
    nock.cleanAll();
  });

  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(hub.runner);

  async function deliver(body: string): Promise<PayloadProcessedEvent> {
    const done = processed();
    const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('base64');
    const receipt = await hub.actions.receiveWebhook(channelId, {
      headers: {
        'content-type': 'application/json',
        'x-wc-webhook-topic': 'order.updated',
        'x-wc-webhook-resource': 'order',
        'x-wc-webhook-event': 'updated',
        'x-wc-webhook-signature': signature,
        'x-wc-delivery-id': String(Math.random()),
      },
      rawBody: Buffer.from(body),
    });
    expect(receipt).toMatchObject({ kind: 'accepted' });
    return done;
  }

  const orderByExternalId = async (externalId: string) => {
    const order = await testDb.db.prisma.order.findUniqueOrThrow({ where: { channelId_externalId: { channelId, externalId } } });
    const response = await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };
  const payloads = () => testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });

  describe('refunds', () => {
    it('shows the refunds of the documented order 723 as refund records and its net total, in the order and in the list', async () => {
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify(listPage), wpHeaders(2, 1));
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded', counts: { created: 2 } });

      const order = await orderByExternalId('723');
      expect(order.totals).toMatchObject({ total: '39', refunded: '19', netTotal: '20' });
      expect(order.refunds).toEqual([
        { externalId: '724', amount: '9', reason: null, lines: [], refundedAt: null },
        { externalId: '726', amount: '10', reason: null, lines: [], refundedAt: null },
      ]);
      expect((await orderByExternalId('727')).totals).toMatchObject({ total: '29.35', refunded: '0', netTotal: '29.35' });

      const list = await app.inject({ method: 'GET', url: `/v1/orders?channelId=${channelId}` });
      expect(list.json().items.map((o: { externalId: string; totals: { netTotal: string } }) => [o.externalId, o.totals.netTotal])).toEqual(
        expect.arrayContaining([
          ['723', '20'],
          ['727', '29.35'],
        ]),
      );
    });

    it('does not double a refund read again, and a new refund adds a version and a record', async () => {
      const order723 = listPage[1]!;
      const first = await deliver(JSON.stringify(order723));
      expect(first.outcome).toMatchObject({ status: 'parsed' });
      // The same order again (other bytes, same content): nothing changes.
      const again = await deliver(JSON.stringify(order723, null, 1));
      expect(again.outcome).toMatchObject({ status: 'parsed' });
      const before = await orderByExternalId('723');
      expect(before.version).toBe(1);
      expect(before.refunds).toHaveLength(2);
      expect(await testDb.db.prisma.orderRefund.count({ where: { orderId: before.id } })).toBe(2);

      // The shop refunds another 5.00 (a generated refund of the documented shape; its id has one digit
      // more, so the oldest-first order is by number, not by text).
      const refunds = [{ id: 1730, refund: '', total: '-5.00' }, ...(order723.refunds as unknown[])];
      await deliver(JSON.stringify({ ...order723, refunds, date_modified_gmt: '2017-03-23T10:00:00' }));
      const after = await orderByExternalId('723');
      expect(after.version).toBe(2);
      expect(after.history.at(-1).changes.map((c: { field: string }) => c.field)).toEqual(expect.arrayContaining([expect.stringMatching(/^refunds/)]));
      expect(after.refunds.map((r: { externalId: string; amount: string }) => [r.externalId, r.amount])).toEqual([
        ['724', '9'],
        ['726', '10'],
        ['1730', '5'],
      ]);
      expect(after.totals).toMatchObject({ total: '39', refunded: '24', netTotal: '15' });
    });
  });

  describe('a page broken on every try', () => {
    it('ends the run partial with the page failed, keeps the cursor before it, and the next run imports its orders', async () => {
      // By date_modified_gmt: 723 (2017-03-21), 727 (2017-03-22T19:28:08), the coupon order 116 (2017-11-29), 5012 (2024-03-15).
      const [o727, o723] = [listPage[0]!, listPage[1]!];
      const o116 = JSON.parse(raw('coupon-fee-refund-order.json')) as Record<string, unknown>;
      const o5012 = JSON.parse(raw('variation-order-wc8.json')) as Record<string, unknown>;
      const html = '<!DOCTYPE html><html><body><h1>Error establishing a database connection</h1></body></html>';
      // Run 1 (2 a page): 723 and 727; the next page (727, 116 from 727's second) is broken on every try; its page 2 holds 5012.
      nock(STORE)
        .get(ORDERS)
        .query((q) => q.modified_after === undefined)
        .reply(200, JSON.stringify([o723, o727]), wpHeaders(4, 2))
        .get(ORDERS)
        .query((q) => q.modified_after === '2017-03-22T19:28:07Z' && q.page === '1')
        .times(3)
        .reply(200, html, { ...wpHeaders(3, 2), 'Content-Type': 'text/html' })
        .get(ORDERS)
        .query((q) => q.modified_after === '2017-03-22T19:28:07Z' && q.page === '2')
        .reply(200, JSON.stringify([o5012]), wpHeaders(3, 2));
      await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { config: { url: STORE, consumerKey: 'ck_r', consumerSecret: 'cs_r', maxAttempts: 3, perPage: 2 } } });
      const run1 = await syncChannel(hub.context, channelId, 'manual');
      expect(run1).toMatchObject({ status: 'partial', counts: { pages: 3, created: 3, failed: 1 }, errors: [{ page: 2, code: 'invalid_data', message: expect.stringMatching(/still broken after 3 tries/) }] });
      expect(sleeps).toEqual([100, 200]);
      const afterRun1 = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(afterRun1.syncState).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
      const failed = (await payloads()).filter((p) => p.status === 'failed');
      expect(failed.map((p) => [p.kind, p.errorCode, Buffer.from(p.body).toString('utf8')])).toEqual([['pull', 'invalid_data', html]]);
      const externalIds = async () => (await testDb.db.prisma.order.findMany({ where: { channelId }, orderBy: { externalId: 'asc' } })).map((o) => o.externalId);
      expect(await externalIds()).toEqual(['5012', '723', '727']);

      // Run 2: the store answers again; the run starts before the broken page and imports 116.
      nock.cleanAll();
      const queries: Array<Record<string, string>> = [];
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          queries.push(q as Record<string, string>);
          return true;
        })
        .reply(200, JSON.stringify([o727, o116, o5012]), wpHeaders(3, 1));
      await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { config: { url: STORE, consumerKey: 'ck_r', consumerSecret: 'cs_r', maxAttempts: 3 } } });
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded', counts: { created: 1, unchanged: 2 } });
      expect(queries[0]?.modified_after).toBe('2017-03-22T19:18:07Z'); // cursor − 10 min overlap − 1 s
      expect(await externalIds()).toEqual(['116', '5012', '723', '727']);
    });
  });

  describe('a webhook the mapping cannot read', () => {
    it('stays failed and visible, and the order it names is fetched from the store and imported', async () => {
      const fetched = nock(STORE).get(`${ORDERS}/727`).reply(200, order727, { 'Content-Type': 'application/json; charset=UTF-8' });
      const cut = order727.slice(0, 300);
      const event = await deliver(cut);
      expect(fetched.isDone()).toBe(true);
      expect(event.outcome).toMatchObject({ status: 'failed', orderCount: 0 });
      expect((await payloads()).map((p) => [p.kind, p.status, p.kind === 'webhook' ? Buffer.from(p.body).toString('utf8') : p.source])).toEqual([
        ['webhook', 'failed', cut],
        ['pull', 'parsed', `${STORE}${ORDERS}/727`],
      ]);
      expect((await orderByExternalId('727')).totals.total).toBe('29.35');
    });

    it('leaves the webhook failed when the store does not know the order', async () => {
      nock(STORE).get(`${ORDERS}/727`).reply(404, { code: 'woocommerce_rest_shop_order_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
      const event = await deliver(order727.slice(0, 300));
      expect(event.outcome).toMatchObject({ status: 'failed', orderCount: 0 });
      expect((await payloads()).map((p) => [p.kind, p.status])).toEqual([['webhook', 'failed']]);
      expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(0);
    });
  });

  describe('refund details (refundDetails: true)', () => {
    const withDetails = () =>
      testDb.db.prisma.channel.update({
        where: { id: channelId },
        data: { config: { url: STORE, consumerKey: 'ck_r', consumerSecret: 'cs_r', webhookSecret: WEBHOOK_SECRET, maxAttempts: 3, refundDetails: true } },
      });
    const detailed = [
      { externalId: '724', amount: '9', reason: null, refundedAt: '2017-03-21T19:55:37.000Z', lines: [{ kind: 'product', externalId: '314', orderLineExternalId: '311', productId: '87', name: 'Woo Album #2', quantity: '1', amount: '9', tax: '0' }] },
      { externalId: '726', amount: '10', reason: null, refundedAt: '2017-03-21T20:07:11.000Z', lines: [] },
    ];
    const refundRows = async () => {
      const order = await testDb.db.prisma.order.findUniqueOrThrow({ where: { channelId_externalId: { channelId, externalId: '723' } } });
      return testDb.db.prisma.orderRefund.findMany({ where: { orderId: order.id }, orderBy: { externalId: 'asc' } });
    };

    it('fetches the refund list of a pulled order, stores it as its own payload, and shows lines and dates; a summary-only update and a re-read keep them', async () => {
      await withDetails();
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify(listPage), wpHeaders(2, 1));
      const listed = nock(STORE).get(REFUNDS_723).query({ per_page: '100', page: '1' }).reply(200, refunds723, wpHeaders(2, 1));
      const run = await syncChannel(hub.context, channelId, 'manual');
      expect(run).toMatchObject({ status: 'succeeded', counts: { pages: 2, created: 2, failed: 0 } });
      expect(listed.isDone()).toBe(true);
      expect((await payloads()).map((p) => [p.source?.replace(STORE, '').split('?')[0], p.status, p.orderCount])).toEqual([
        [ORDERS, 'parsed', 2],
        [REFUNDS_723, 'parsed', 0],
      ]);
      // The list is archived as received, byte for byte.
      expect(Buffer.from((await payloads())[1]!.body).toString('utf8')).toBe(refunds723);
      // The cursor moved with the refund list (the last page of the run).
      expect((await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });

      const order = await orderByExternalId('723');
      expect(order.refunds).toEqual(detailed);
      expect(order.totals).toMatchObject({ total: '39', refunded: '19', netTotal: '20' });
      const rowsBefore = await refundRows();

      // The order's webhook arrives later with the summary only ({ id, refund, total }): lines and dates stay.
      const update = await deliver(JSON.stringify({ ...listPage[1], date_modified_gmt: '2017-03-23T10:00:00', customer_note: 'ring twice' }));
      expect(update.outcome).toMatchObject({ status: 'parsed', counts: { updated: 1 } });
      expect((await orderByExternalId('723')).refunds).toEqual(detailed);

      // The list read again (a reprocess, and a later pull with the same answer) changes nothing.
      const listPayload = (await payloads()).find((p) => p.source?.includes(REFUNDS_723))!;
      expect(await reprocessPayload(hub.context, listPayload.id)).toMatchObject({ status: 'parsed', errorCount: 0 });
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify([listPage[1]]), wpHeaders(1, 1));
      nock(STORE).get(REFUNDS_723).query(true).reply(200, refunds723, wpHeaders(2, 1));
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded' });
      const rowsAfter = await refundRows();
      expect(rowsAfter.map((r) => [r.id, r.updatedAt.toISOString()])).toEqual(rowsBefore.map((r) => [r.id, r.updatedAt.toISOString()]));
      expect((await orderByExternalId('723')).refunds).toEqual(detailed);
    });

    it('when the refund list cannot be fetched: the order is imported from its summary, the run is partial with a failed payload, and the next run fetches it', async () => {
      await withDetails();
      const stateBefore = (await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState;
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify(listPage), wpHeaders(2, 1));
      nock(STORE).get(REFUNDS_723).query(true).times(3).reply(503, 'Service Unavailable');
      const run = await syncChannel(hub.context, channelId, 'manual');
      expect(run).toMatchObject({
        status: 'partial',
        counts: { pages: 2, created: 2, failed: 1 },
        errors: [{ code: 'upstream_unavailable', source: `${STORE}${REFUNDS_723}`, message: expect.stringMatching(/^the refunds of order 723 could not be fetched: .*503/) }],
      });
      expect((await orderByExternalId('723')).refunds).toEqual([
        { externalId: '724', amount: '9', reason: null, lines: [], refundedAt: null },
        { externalId: '726', amount: '10', reason: null, lines: [], refundedAt: null },
      ]);
      const failed = (await payloads()).filter((p) => p.status === 'failed');
      expect(failed.map((p) => [p.source, p.errorCode, p.body.length])).toEqual([[`${STORE}${REFUNDS_723}`, 'upstream_unavailable', 0]]);
      // The cursor did not pass the order whose refunds are missing.
      expect((await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState).toEqual(stateBefore);

      nock.cleanAll();
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify(listPage), wpHeaders(2, 1));
      nock(STORE).get(REFUNDS_723).query(true).reply(200, refunds723, wpHeaders(2, 1));
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'succeeded', counts: { unchanged: 2 } });
      expect((await orderByExternalId('723')).refunds).toEqual(detailed);
    });

    it('a refund list of an order the hub does not hold fails visibly, and reads once the order is there', async () => {
      await withDetails();
      // Order 723 is refused (no currency), its refund list comes all the same.
      const { currency: _none, ...noCurrency } = listPage[1]!;
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify([listPage[0], noCurrency]), wpHeaders(2, 1));
      nock(STORE).get(REFUNDS_723).query(true).reply(200, refunds723, wpHeaders(2, 1));
      // Both pages hold an error (the order page a refused order, the list its missing order), but one order was read: partial.
      expect(await syncChannel(hub.context, channelId, 'manual')).toMatchObject({ status: 'partial', counts: { pages: 2, created: 1 } });
      expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(1);
      const list = (await payloads()).find((p) => p.source?.includes(REFUNDS_723))!;
      expect(list).toMatchObject({ status: 'failed', errorCode: 'invalid_data' });
      expect(list.error).toMatch(/^723: the refund details of order 723 arrived, but the hub does not hold that order \(yet\): reprocess this payload once the order is imported/);

      // The order arrives (a webhook); the list is reprocessed and read.
      expect((await deliver(JSON.stringify(listPage[1]))).outcome).toMatchObject({ status: 'parsed' });
      expect(await reprocessPayload(hub.context, list.id)).toMatchObject({ status: 'parsed', errorCount: 0 });
      expect((await orderByExternalId('723')).refunds).toEqual(detailed);
    });
  });
});
