import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ingestOrders } from '../../core/orders/intake.ts';
import { listStatusUpdates } from '../../core/outbound/status-updates.ts';
import { queueStatusWriteBack } from '../../core/outbound/status-writeback.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { sendDueStatusUpdates } from '../../jobs/processors/status-writeback.ts';
import { shoprenterMapping } from '../../mappings/shoprenter/index.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

const webhook = readFileSync(new URL('../fixtures/shoprenter/webhook-order-confirm.json', import.meta.url), 'utf8');
const token = readFileSync(new URL('../fixtures/shoprenter/token.json', import.meta.url), 'utf8');
const order172 = (JSON.parse(readFileSync(new URL('../fixtures/shoprenter/orders-page-0.json', import.meta.url), 'utf8')) as { items: unknown[] }).items[0];
const T0 = new Date('2026-12-04T12:00:00Z');

/**
 * Shoprenter takes status ids ("1") while the order shows the status by name ("Pending"): the
 * write-back compares the id the shop reported with the one it would send, so a status the shop
 * already shows is not sent again, and another one is.
 */
describe('status write-back to a Shoprenter channel compares status ids', () => {
  let t: TestDatabase;
  let hub: Hub;
  let channelId: string;
  let orderId: string;

  beforeAll(async () => {
    nock.disableNetConnect();
    t = await createTestPostgres();
    hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
    channelId = (
      await hub.channels.create({
        name: 'Shoprenter demo',
        connectorType: 'shoprenter',
        config: { shopName: 'demo', clientId: 'client-id-1', clientSecret: 'client-secret-2' },
        mapping: { statusWriteBack: { enabled: true, statuses: { received: '1', completed: '5' } } },
      })
    ).id;
    // The vendor's documented order_confirm webhook: order 190, status 1 "Pending".
    const mapped = shoprenterMapping.map({ kind: 'webhook', body: webhook, receivedAt: T0.toISOString() }, {});
    const [result] = await ingestOrders(t.db, { channelId, drafts: mapped.orders });
    orderId = result!.orderId!;
  });

  afterEach(() => nock.cleanAll());

  afterAll(async () => {
    nock.enableNetConnect();
    await hub?.close();
    await t?.drop();
  });

  const queue = (status: 'received' | 'completed') => t.db.prisma.$transaction((tx) => queueStatusWriteBack(tx, { orderId, status, cause: 'dealer D-9' }));
  const send = () => sendDueStatusUpdates(hub.context, { now: () => T0 });

  it('keeps the status id beside its name', async () => {
    expect(await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: { sourceStatus: true, sourceStatusId: true } })).toEqual({
      sourceStatus: 'Pending',
      sourceStatusId: '1',
    });
  });

  it('does not send the status id the shop already shows', async () => {
    await queue('received');
    expect(await send()).toMatchObject({ skipped: 1, sent: 0 });
    const [update] = await listStatusUpdates(t.db, { orderId });
    expect(update).toMatchObject({ state: 'skipped', channelStatus: '1', lastError: 'the channel already shows Pending' });
  });

  it('sends another status id', async () => {
    let body: unknown;
    nock('https://oauth.app.shoprenter.net').post('/demo/app/token').reply(200, token, { 'Content-Type': 'application/json' });
    nock('https://demo.api2.myshoprenter.hu')
      .put('/api/orders/b3JkZXItb3JkZXJfaWQ9MTkw')
      .reply((_uri, sent) => {
        body = sent;
        return [200, JSON.stringify(order172), { 'Content-Type': 'application/json' }];
      });
    await queue('completed');
    expect(await send()).toMatchObject({ sent: 1 });
    expect(body).toEqual({ orderStatus: { id: 'b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTU=' } });
    expect(nock.isDone()).toBe(true);
  });
});
