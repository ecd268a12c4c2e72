import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { queueStatusWriteBack, type StatusWriteBackRequest } from '../../core/outbound/status-writeback.ts';
import { listStatusUpdates, retryStatusUpdate, MAX_WRITE_BACK_ATTEMPTS } from '../../core/outbound/status-updates.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { sendDueStatusUpdates } from '../../jobs/processors/status-writeback.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import type { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import { PAYLOAD_QUEUE, SEND_STATUS_UPDATES_JOB } from '../../jobs/runtime/types.ts';
import { actingAs, makeUser } from '../helpers/auth.ts';
import { createTestPostgres, DATABASE_KINDS, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';

const KEY = 'ck_writeback_000000000000000000000000000000';
const SECRET = 'cs_writeback_000000000000000000000000000000';
const T0 = new Date('2026-12-03T12:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/**
 * Status write-back end to end on both databases: the lifecycle's queueStatusWriteBack inside a
 * transaction, the sender job, the real WooCommerce connector and mapping against the Woo sandbox,
 * and the ops routes. Time moves by passing the clock, never by waiting.
 */
describe.each(DATABASE_KINDS)('status write-back to a WooCommerce channel (%s)', (_kind, createDb) => {
  let t: TestDatabase;
  let hub: Hub;
  let sandbox: WooSandbox;
  let app: FastifyInstance;
  let channelId: string;
  /** Core order id by Woo order id. */
  const orderIds = new Map<number, string>();

  beforeAll(async () => {
    t = await createDb();
    sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 48 });
    hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
    channelId = (
      await hub.channels.create({
        name: 'Woo shop',
        connectorType: 'woocommerce',
        config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET },
        mapping: { statusWriteBack: { enabled: true } },
      })
    ).id;
    const outcome = await syncChannel(hub.context, channelId, 'manual');
    expect(outcome.status).toBe('succeeded');
    for (const order of await t.db.prisma.order.findMany({ where: { channelId }, select: { id: true, externalId: true } })) orderIds.set(Number(order.externalId), order.id);
    app = await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions });
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await sandbox?.close();
    await t?.drop();
  });

  /** A sandbox order in `status` that no test has used yet. */
  const used = new Set<number>();
  function shopOrder(status: string): { wooId: number; orderId: string } {
    const order = sandbox.orders.find((o) => o.status === status && !used.has(o.id) && orderIds.has(o.id));
    if (!order) throw new Error(`the sandbox has no unused ${status} order`);
    used.add(order.id);
    return { wooId: order.id, orderId: orderIds.get(order.id)! };
  }

  const queue = (request: StatusWriteBackRequest) => t.db.prisma.$transaction((tx) => queueStatusWriteBack(tx, request));
  const updatesOf = (orderId: string) => listStatusUpdates(t.db, { orderId });
  const send = (at: Date) => sendDueStatusUpdates(hub.context, { now: () => at });
  const statusAtShop = (wooId: number) => sandbox.orders.find((o) => o.id === wooId)?.status;

  it("a dealer's completion queued with the status change reaches the shop", async () => {
    const { wooId, orderId } = shopOrder('processing');
    await queue({ orderId, status: 'completed', cause: 'dealer D-17 completed the order' });
    const [queued] = await updatesOf(orderId);
    expect(queued).toMatchObject({ state: 'pending', coreStatus: 'completed', externalId: String(wooId), cause: 'dealer D-17 completed the order', attempts: 0 });

    const report = await send(T0);
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    expect(statusAtShop(wooId)).toBe('completed');
    const put = sandbox.requests.filter((r) => r.method === 'PUT' && r.path === `/wp-json/wc/v3/orders/${wooId}`);
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({ authorized: true });
    expect(JSON.parse(put[0]!.body!)).toEqual({ status: 'completed' });
    const [sent] = await updatesOf(orderId);
    expect(sent).toMatchObject({ state: 'sent', channelStatus: 'completed', attempts: 1, sentAt: T0.toISOString(), lastError: null });
    expect(sent!.history).toEqual([expect.objectContaining({ outcome: 'sent', at: T0.toISOString(), message: 'the channel now shows completed' })]);
    // Nothing is due any more.
    expect((await send(minutes(10))).claimed).toBe(0);
  });

  it('queues nothing while the channel has write-back switched off (the default)', async () => {
    const { orderId } = shopOrder('processing');
    await hub.channels.update(channelId, { mapping: {} });
    try {
      await queue({ orderId, status: 'cancelled', cause: 'the manufacturer cancelled it' });
      expect(await updatesOf(orderId)).toEqual([]);
    } finally {
      await hub.channels.update(channelId, { mapping: { statusWriteBack: { enabled: true } } });
    }
  });

  it('cannot be switched on for a channel whose connector cannot write statuses', async () => {
    await expect(hub.channels.create({ name: 'Desk', connectorType: 'manual', config: {}, mapping: { statusWriteBack: { enabled: true } } })).rejects.toMatchObject({
      code: 'invalid_data',
      field: 'mapping.statusWriteBack',
    });
  });

  it('a newer status supersedes an unsent older one: the shop ends with the latest', async () => {
    const { wooId, orderId } = shopOrder('processing');
    await queue({ orderId, status: 'in_progress', cause: 'dealer D-1 started work' });
    await queue({ orderId, status: 'cancelled', cause: 'dealer D-1 cancelled' });
    const [newer, older] = await updatesOf(orderId);
    expect(older).toMatchObject({ coreStatus: 'in_progress', state: 'skipped', lastError: expect.stringContaining('superseded') });
    expect(newer).toMatchObject({ coreStatus: 'cancelled', state: 'pending' });
    await send(T0);
    expect(statusAtShop(wooId)).toBe('cancelled');
    expect((await updatesOf(orderId)).map((u) => u.state)).toEqual(['sent', 'skipped']);
  });

  it('a 503 is retried after the backoff, then sent', async () => {
    const { wooId, orderId } = shopOrder('processing');
    await queue({ orderId, status: 'completed', cause: 'dealer D-2 completed the order' });
    sandbox.injectFaults({ status: 503, body: '<html>Service Unavailable</html>' });

    expect(await send(T0)).toMatchObject({ claimed: 1, retrying: 1, sent: 0 });
    expect(statusAtShop(wooId)).toBe('processing');
    const [waiting] = await updatesOf(orderId);
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: minutes(1).toISOString(), lastError: expect.stringContaining('503') });

    // Not due before its time.
    expect((await send(new Date(T0.getTime() + 59_000))).claimed).toBe(0);
    expect(await send(minutes(1))).toMatchObject({ claimed: 1, sent: 1 });
    expect(statusAtShop(wooId)).toBe('completed');
    const [sent] = await updatesOf(orderId);
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, lastError: null });
    expect(sent!.history.map((h) => h.outcome)).toEqual(['failed', 'sent']);
    expect(sent!.history[0]).toMatchObject({ retryable: true });
  });

  it('backs off 1, 5, 15, 60 minutes, then hourly, and fails after the last attempt', async () => {
    const { orderId } = shopOrder('processing');
    await queue({ orderId, status: 'completed', cause: 'dealer D-3 completed the order' });
    const waits: number[] = [];
    let at = T0;
    for (let attempt = 1; attempt <= MAX_WRITE_BACK_ATTEMPTS; attempt++) {
      sandbox.injectFaults({ status: 503 });
      expect((await send(at)).claimed).toBe(1);
      const [update] = await updatesOf(orderId);
      if (attempt < MAX_WRITE_BACK_ATTEMPTS) {
        const next = new Date(update!.nextAttemptAt!);
        waits.push((next.getTime() - at.getTime()) / 60_000);
        at = next;
      } else {
        expect(update).toMatchObject({ state: 'failed', attempts: MAX_WRITE_BACK_ATTEMPTS, nextAttemptAt: null });
      }
    }
    expect(waits).toEqual([1, 5, 15, 60, 60, 60, 60, 60, 60]);
  });

  it('a 404 fails at once, tells the admins, and ops can retry it', async () => {
    const { wooId, orderId } = shopOrder('on-hold');
    const index = sandbox.orders.findIndex((o) => o.id === wooId);
    const [removed] = sandbox.orders.splice(index, 1);
    await queue({ orderId, status: 'cancelled', cause: 'the manufacturer cancelled it: out of stock' });

    expect(await send(T0)).toMatchObject({ claimed: 1, failed: 1 });
    const [failed] = await updatesOf(orderId);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, nextAttemptAt: null, lastError: expect.stringContaining('404') });
    expect(failed!.history[0]).toMatchObject({ outcome: 'failed', retryable: false });
    expect(await listStatusUpdates(t.db, { channelId, state: 'failed' })).toEqual(expect.arrayContaining([expect.objectContaining({ id: failed!.id })]));
    const notices = await t.db.prisma.notification.findMany({ where: { orderId, dealerId: null, kind: 'status_write_back_failed' } });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toContain('Woo shop');

    // The order is back in the shop; ops retry through the route.
    sandbox.orders.splice(index, 0, removed!);
    const ops = await makeUser(t.db, { roles: ['ops'] });
    const retried = await actingAs(app, ops).inject({ method: 'POST', url: `/v1/status-updates/${failed!.id}/retry` });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: null });
    // The route nudged the in-process sender (the minute's run would do the same); wait for that send.
    await hub.runner.nudgeStatusWriteBack();
    expect(statusAtShop(wooId)).toBe('cancelled');
    const [sent] = await updatesOf(orderId);
    expect(sent).toMatchObject({ state: 'sent' });
    expect(sent!.history.map((h) => h.outcome)).toEqual(['failed', 'retry_requested', 'sent']);
  });

  it('skips, with the reason, a status the channel has no counterpart for, and one the shop already shows', async () => {
    const first = shopOrder('processing');
    await queue({ orderId: first.orderId, status: 'shipped', cause: 'dealer D-4 shipped it' });
    const done = shopOrder('completed');
    await queue({ orderId: done.orderId, status: 'completed', cause: 'dealer D-4 completed the order' });
    const puts = sandbox.requests.filter((r) => r.method === 'PUT').length;
    expect(await send(T0)).toMatchObject({ skipped: 2, sent: 0 });
    expect(sandbox.requests.filter((r) => r.method === 'PUT')).toHaveLength(puts);
    expect((await updatesOf(first.orderId))[0]).toMatchObject({ state: 'skipped', lastError: expect.stringContaining('statusWriteBack.statuses.shipped') });
    expect((await updatesOf(done.orderId))[0]).toMatchObject({ state: 'skipped', lastError: 'the channel already shows completed' });
  });

  it("a channel's own status for a core status overrides the default", async () => {
    const { wooId, orderId } = shopOrder('processing');
    await hub.channels.update(channelId, { mapping: { statusWriteBack: { enabled: true, statuses: { shipped: 'completed' } } } });
    try {
      await queue({ orderId, status: 'shipped', cause: 'dealer D-5 shipped it' });
      await send(T0);
      expect(statusAtShop(wooId)).toBe('completed');
    } finally {
      await hub.channels.update(channelId, { mapping: { statusWriteBack: { enabled: true } } });
    }
  });

  it('a failed update superseded by a newer one is not retried', async () => {
    const { wooId, orderId } = shopOrder('processing');
    await queue({ orderId, status: 'completed', cause: 'dealer D-6 completed the order' });
    sandbox.injectFaults({ status: 400, body: '{"code":"rest_invalid_param","message":"Invalid parameter(s): status"}' });
    await send(T0);
    const [failed] = await updatesOf(orderId);
    expect(failed).toMatchObject({ state: 'failed' });
    await queue({ orderId, status: 'cancelled', cause: 'the manufacturer cancelled it' });
    await expect(retryStatusUpdate(t.db, failed!.id, T0, 'ops')).rejects.toMatchObject({ code: 'conflict' });
    await send(T0);
    expect(statusAtShop(wooId)).toBe('cancelled');
  });

  describe('routes', () => {
    it('lists status updates filtered by channel and state, for staff who read channels', async () => {
      const accountant = await makeUser(t.db, { roles: ['accountant'] });
      const res = await actingAs(app, accountant).inject({ method: 'GET', url: `/v1/status-updates?channelId=${channelId}&state=sent` });
      expect(res.statusCode, res.body).toBe(200);
      const items = res.json<{ items: Array<{ state: string; channelId: string; channelName: string; history: unknown[] }> }>().items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((u) => u.state === 'sent' && u.channelId === channelId && u.channelName === 'Woo shop')).toBe(true);
      const one = await actingAs(app, accountant).inject({ method: 'GET', url: `/v1/status-updates/${(items[0] as unknown as { id: string }).id}` });
      expect(one.statusCode).toBe(200);
      expect((await actingAs(app, accountant).inject({ method: 'GET', url: '/v1/status-updates?state=lost' })).statusCode).toBe(400);
    });

    it('refuses the anonymous, dealers, and staff who may not start channel work', async () => {
      const [failed] = await listStatusUpdates(t.db, { state: 'failed' });
      expect((await app.inject({ method: 'GET', url: '/v1/status-updates' })).statusCode).toBe(401);
      const accountant = await makeUser(t.db, { roles: ['accountant'] });
      const refused = await actingAs(app, accountant).inject({ method: 'POST', url: `/v1/status-updates/${failed!.id}/retry` });
      expect(refused.statusCode).toBe(403);
      expect((await listStatusUpdates(t.db, { state: 'failed' })).map((u) => u.id)).toContain(failed!.id);
    });

    it('answers 409 for an update that is not failed and 404 for an unknown one', async () => {
      const ops = await makeUser(t.db, { roles: ['ops'] });
      const [sent] = await listStatusUpdates(t.db, { state: 'sent' });
      expect((await actingAs(app, ops).inject({ method: 'POST', url: `/v1/status-updates/${sent!.id}/retry` })).statusCode).toBe(409);
      expect((await actingAs(app, ops).inject({ method: 'POST', url: '/v1/status-updates/00000000-0000-0000-0000-000000000000/retry' })).statusCode).toBe(404);
    });
  });
});

/** The PostgreSQL + BullMQ runtime: a nudge is a job on the payload queue that the worker runs. */
describe('status write-back in the BullMQ runtime', () => {
  let t: TestDatabase;
  let hub: Hub;
  let sandbox: WooSandbox;
  let events: QueueEvents;
  const prefix = `orderhub-writeback-${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    t = await createTestPostgres();
    sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 24 });
    hub = await createHub(loadConfig({ DATABASE_URL: t.url, REDIS_URL: REDIS_TEST_URL, HUB_QUEUE_PREFIX: prefix }), { db: t.db, schedules: false });
    events = new QueueEvents(PAYLOAD_QUEUE, { connection: { url: REDIS_TEST_URL }, prefix });
    await events.waitUntilReady();
    await hub.runner.start();
  });

  afterAll(async () => {
    await events?.close();
    await (hub?.runner as BullmqRunner | undefined)?.payloadQueue.obliterate({ force: true }).catch(() => undefined);
    await hub?.close();
    await sandbox?.close();
    await t?.drop();
  });

  it('a nudge after the commit sends the update through the worker', async () => {
    const channelId = (
      await hub.channels.create({
        name: 'Woo shop (BullMQ)',
        connectorType: 'woocommerce',
        config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET },
        mapping: { statusWriteBack: { enabled: true } },
      })
    ).id;
    expect((await syncChannel(hub.context, channelId, 'manual')).status).toBe('succeeded');
    const target = sandbox.orders.find((o) => o.status === 'processing')!;
    const order = await t.db.prisma.order.findFirstOrThrow({ where: { channelId, externalId: String(target.id) } });
    await t.db.prisma.$transaction((tx) => queueStatusWriteBack(tx, { orderId: order.id, status: 'completed', cause: 'dealer D-9 completed the order' }));

    await hub.runner.nudgeStatusWriteBack();
    const runner = hub.runner as BullmqRunner;
    const [job] = (await runner.payloadQueue.getJobs(['waiting', 'active', 'delayed', 'completed'])).filter((j) => j?.name === SEND_STATUS_UPDATES_JOB);
    expect(job).toBeDefined();
    const report = await job!.waitUntilFinished(events);
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    expect(sandbox.orders.find((o) => o.id === target.id)?.status).toBe('completed');
    expect((await listStatusUpdates(t.db, { orderId: order.id }))[0]).toMatchObject({ state: 'sent', channelStatus: 'completed' });
  });
});
