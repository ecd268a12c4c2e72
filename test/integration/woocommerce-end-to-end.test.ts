import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { asAdmin } from '../helpers/auth.ts';
import type { WooOrder } from '../../connectors/woocommerce/types.ts';
import { phpJsonEncode, startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { schedulerId, type BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

const KEY = 'ck_e2e_0000000000000000000000000000000000';
const SECRET = 'cs_e2e_0000000000000000000000000000000000';
const WEBHOOK_SECRET = 'whsec e2e: of the WooCommerce webhook';

/**
 * The real WooCommerce connector and mapping end to end, on PostgreSQL and BullMQ: the API's raw
 * bytes, the signature check, the archive, the payload job, intake — and pulls from the sandbox
 * shop converging with webhooks on one order.
 */
describe('WooCommerce end to end', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let sandbox: WooSandbox;
  let runner: BullmqRunner;
  let channelId: string;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, initialOrders: 3 });
    const config = loadConfig({ DATABASE_URL: testDb.url, REDIS_URL: REDIS_TEST_URL, HUB_QUEUE_PREFIX: `orderhub-e2e-${randomBytes(5).toString('hex')}` });
    hub = await createHub(config, { db: testDb.db, retry: { attempts: 3, backoffMs: 20 } });
    runner = hub.runner as BullmqRunner;
    await runner.start();
    app = (await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db)).app;
  });

  afterAll(async () => {
    await app?.close();
    if (runner) {
      await runner.queue.obliterate({ force: true }).catch(() => undefined);
      await runner.payloadQueue.obliterate({ force: true }).catch(() => undefined);
    }
    await hub?.close();
    await sandbox?.close();
    await testDb?.drop();
  });

  /** The next final payload job event (register before the webhook is sent). */
  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(runner);

  /** A delivery as WooCommerce sends it: the order JSON as PHP encodes it, signed over those bytes. */
  function delivery(order: WooOrder, secret = WEBHOOK_SECRET) {
    const body = Buffer.from(phpJsonEncode(order), 'utf8');
    return {
      method: 'POST' as const,
      url: `/v1/channels/${channelId}/webhook`,
      payload: body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
        'x-wc-webhook-source': `${sandbox.url}/`,
        'x-wc-webhook-topic': 'order.updated',
        'x-wc-webhook-resource': 'order',
        'x-wc-webhook-event': 'updated',
        'x-wc-webhook-id': '12',
        'x-wc-delivery-id': randomBytes(8).toString('hex'),
        'x-wc-webhook-signature': createHmac('sha256', secret).update(body).digest('base64'),
      },
    };
  }

  const orderOf = (wooId: number) => testDb.db.prisma.order.findUniqueOrThrow({ where: { channelId_externalId: { channelId, externalId: String(wooId) } } });
  const versionsOf = async (wooId: number) => testDb.db.prisma.orderVersion.count({ where: { orderId: (await orderOf(wooId)).id } });

  it('creates the channel through the API and keeps its job scheduler in step', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/channels',
      payload: { name: 'E2E Woo shop', connectorType: 'woocommerce', config: { url: sandbox.url, consumerKey: KEY, consumerSecret: SECRET, webhookSecret: WEBHOOK_SECRET } },
    });
    expect(created.statusCode).toBe(201);
    channelId = created.json().id;
    expect((await runner.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/5 * * * *');

    const changed = await app.inject({ method: 'PATCH', url: `/v1/channels/${channelId}`, payload: { syncSchedule: '*/15 * * * *' } });
    expect(changed.statusCode).toBe(200);
    expect((await runner.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/15 * * * *');

    expect((await app.inject({ method: 'PATCH', url: `/v1/channels/${channelId}`, payload: { enabled: false } })).statusCode).toBe(200);
    expect(await runner.queue.getJobScheduler(schedulerId(channelId))).toBeUndefined();
    // A disabled channel refuses webhooks with a clear reason.
    const refused = await app.inject(delivery(sandbox.orders[0]!));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('"E2E Woo shop" is disabled') });

    expect((await app.inject({ method: 'PATCH', url: `/v1/channels/${channelId}`, payload: { enabled: true } })).statusCode).toBe(200);
    expect((await runner.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/15 * * * *');
    expect(await testDb.db.prisma.rawPayload.count()).toBe(0);
  });

  it('rejects a delivery whose signature does not match the raw body', async () => {
    const forged = delivery(sandbox.orders[0]!, 'not the secret');
    const response = await app.inject(forged);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/X-WC-Webhook-Signature does not match/);
    expect(await testDb.db.prisma.rawPayload.count()).toBe(0);
  });

  it('takes a webhook first, then the pull of the same order changes nothing', async () => {
    const order = sandbox.orders[0]!;
    const done = processed();
    const response = await app.inject(delivery(order));
    expect(response.statusCode).toBe(202);
    const { payloadId, duplicate } = response.json() as { payloadId: string; duplicate: boolean };
    expect(duplicate).toBe(false);
    const event = await done;
    expect(event).toMatchObject({ payloadId, jobId: `payload-${payloadId}`, outcome: { status: 'parsed', orderCount: 1 } });
    expect(event.outcome!.results.map((r) => r.outcome)).toEqual(['created']);

    const payload = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId } });
    expect(payload).toMatchObject({ kind: 'webhook', source: 'order.updated', status: 'parsed' });
    expect(Buffer.from(payload.body).equals(Buffer.from(phpJsonEncode(order), 'utf8'))).toBe(true);
    const stored = await orderOf(order.id);
    expect(stored).toMatchObject({ number: order.number, currency: order.currency, version: 1 });

    const pulled = await syncChannel(hub.context, channelId, 'manual');
    expect(pulled).toMatchObject({ status: 'succeeded', counts: { created: 2, updated: 0, unchanged: 1, failed: 0 } });
    expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(3);
    expect(await versionsOf(order.id)).toBe(1);
    expect((await orderOf(order.id)).version).toBe(1);
  });

  it('takes a pull first, then the webhook of the same order changes nothing', async () => {
    const [added] = sandbox.addOrders(1);
    const pulled = await syncChannel(hub.context, channelId, 'manual');
    expect(pulled).toMatchObject({ status: 'succeeded', counts: { created: 1, updated: 0 } });

    const done = processed();
    expect((await app.inject(delivery(added!))).statusCode).toBe(202);
    expect((await done).outcome!.results.map((r) => r.outcome)).toEqual(['unchanged']);
    expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(4);
    expect(await versionsOf(added!.id)).toBe(1);
  });

  it('makes a second version when the content changed, whichever path brings it first', async () => {
    const [touched] = sandbox.touchOrders(1);
    const done = processed();
    expect((await app.inject(delivery(touched!))).statusCode).toBe(202);
    expect((await done).outcome!.results.map((r) => r.outcome)).toEqual(['updated']);
    expect((await orderOf(touched!.id)).version).toBe(2);

    const pulled = await syncChannel(hub.context, channelId, 'manual');
    expect(pulled).toMatchObject({ status: 'succeeded', counts: { created: 0, updated: 0 } });
    expect((await orderOf(touched!.id)).version).toBe(2);
    expect(await versionsOf(touched!.id)).toBe(2);
    expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(4);
  });
  it("keeps the connector's warning about a cursor in the future on the run and in the sync status", async () => {
    await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { syncState: { modifiedAfter: '2099-01-01T00:00:00.000Z' } } });
    const said = { page: 1, message: expect.stringMatching(/^The stored cursor 2099-01-01T00:00:00\.000Z is later than now .* it was reset/) };

    const outcome = await syncChannel(hub.context, channelId, 'manual');

    expect(outcome).toMatchObject({ status: 'succeeded', warnings: [said] });
    const status = await app.inject({ method: 'GET', url: `/v1/channels/${channelId}/sync-status` });
    expect(status.json().lastRun).toMatchObject({ status: 'succeeded', warnings: [said] });
  });
});
