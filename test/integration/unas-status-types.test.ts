import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { resetUnasAuthCache } from '../../connectors/unas/index.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { asAdmin } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { SHOP_STATUSES, keyOfStatus, ordersInStatuses, statusListXml } from '../helpers/unas-statuses.ts';

const UNAS_API = 'https://api.unas.eu';
const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
/** login.xml with an Expire in the future (the hub runs the connector with the real clock). */
const login = readFileSync(new URL('../fixtures/unas/login.xml', import.meta.url), 'utf8').replace(/<Expire>[^<]*<\/Expire>/, '<Expire>2099.12.31 23:00:00</Expire>');
const ORDERS = ordersInStatuses(SHOP_STATUSES);
const EXPECTED = SHOP_STATUSES.map((s, i) => [keyOfStatus(i), s.name, s.expected]);

/**
 * A UNAS channel synced through the hub against nock'd UNAS: the shop's getOrderStatus list is archived,
 * kept in the channel's sync state and handed to the mapping, so the 16 shop-specific statuses of the
 * pulled orders get the core status their type gives, none on_hold.
 */
describe('UNAS status types from getOrderStatus, end to end', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, schedules: false, retry: { attempts: 3, backoffMs: 10 } });
    await (hub.runner as InProcessRunner).start();
    app = (await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db)).app;
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  beforeEach(() => resetUnasAuthCache());
  afterEach(() => nock.cleanAll());

  async function createChannel(name: string, apiKey: string): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: { name, connectorType: 'unas', config: { apiKey, maxAttempts: 1, timeoutMs: 5_000 } } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  }

  function mockShop(statusAnswer: [number, string]) {
    const calls: string[] = [];
    nock(UNAS_API)
      .post('/shop/login').reply(() => (calls.push('login'), [200, login, XML]))
      .post('/shop/getOrder').reply(() => (calls.push('getOrder'), [200, ORDERS, XML]))
      .post('/shop/getOrderStatus').reply(() => (calls.push('getOrderStatus'), [...statusAnswer, XML]));
    return calls;
  }

  const ordersOf = async (channelId: string) =>
    (await testDb.db.prisma.order.findMany({ where: { channelId }, orderBy: { externalId: 'asc' } })).map((o) => [o.externalId, o.sourceStatus, o.status]);
  const payloadsOf = (channelId: string) => testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });
  const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

  it('ends with orders whose core status comes from the status types, the list archived and kept in the channel state', async () => {
    const channelId = await createChannel('UNAS shop with its own statuses', 'unas-key-types');
    const calls = mockShop([200, statusListXml(SHOP_STATUSES)]);

    const outcome = await syncChannel(hub.context, channelId, 'manual');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, received: 16, created: 16, failed: 0 } });
    expect(calls).toEqual(['login', 'getOrder', 'getOrderStatus']);

    const orders = await ordersOf(channelId);
    expect(orders).toEqual(sorted(EXPECTED));
    expect(orders.filter(([, , status]) => status === 'on_hold')).toEqual([]);

    // Every answer is archived: the list (skipped: no orders in it) before the orders page.
    const payloads = await payloadsOf(channelId);
    expect(payloads.map((p) => [p.source?.replace(/\?.*/, ''), p.status, p.orderCount])).toEqual([
      [`${UNAS_API}/shop/getOrderStatus`, 'skipped', 0],
      [`${UNAS_API}/shop/getOrder`, 'parsed', 16],
    ]);
    expect(payloads[0]!.error).toContain('order status list (getOrderStatus)');
    const state = (await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState as Record<string, any>;
    expect(state.referenceData.orderStatuses.statuses).toHaveLength(16);
    expect(state.calls.count).toBe(2);
  });

  it('a refused getOrderStatus does not stop the orders (named statuses only, the refusal visible); once the list comes, reprocessing the page gives them their types', async () => {
    const channelId = await createChannel('UNAS shop without the getOrderStatus permission', 'unas-key-no-status');
    mockShop([400, '<?xml version="1.0" encoding="UTF-8" ?>\n<Error>Permission denied</Error>']);

    const outcome = await syncChannel(hub.context, channelId, 'manual');
    expect(outcome).toMatchObject({ status: 'partial', counts: { pages: 2, created: 16, failed: 1 } });
    const named = await ordersOf(channelId);
    expect(named.filter(([, , status]) => status === 'on_hold')).toHaveLength(14);
    const [refusal, orderPage] = await payloadsOf(channelId);
    expect([refusal!.status, refusal!.errorCode, Buffer.from(refusal!.body).toString('utf8')]).toEqual(['failed', 'upstream_rejected', expect.stringContaining('Permission denied')]);
    expect(refusal!.error).toMatch(/getOrderStatus was refused: .*Permission denied; statuses are mapped with the list kept from an earlier fetch, or by their names alone/);

    // The list arrives (here: the state the connector writes after a later successful fetch), and ops
    // read the stored page again: the orders move from on_hold to the status their type gives.
    const state = (await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState as Record<string, unknown>;
    const list = { fetchedAt: new Date().toISOString(), statuses: SHOP_STATUSES.map(({ id, name, type }) => ({ id, name, type })) };
    await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { syncState: { ...state, referenceData: { orderStatuses: list } } } });
    const reprocessed = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${orderPage!.id}/reprocess` });
    expect(reprocessed.json()).toMatchObject({ status: 'parsed', orderCount: 16 });
    expect(await ordersOf(channelId)).toEqual(sorted(EXPECTED));
  });
});
