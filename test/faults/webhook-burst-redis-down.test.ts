import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { OwnRedis } from '../helpers/own-redis.ts';
import { parseMetrics } from '../helpers/prometheus.ts';

const WEBHOOK_SECRET = 'whsec burst: of the WooCommerce webhook';
/** The documented order 727, verbatim; each delivery varies only its id (and an update its modification time and status). */
const fixture = readFileSync(new URL('../fixtures/woocommerce/order-727.json', import.meta.url), 'utf8');

/** Orders in the burst; each is delivered once as created, some again byte for byte, some as a later update. */
const ORDERS = 120;
const RESENT = 40;
const UPDATED = 40;
const firstId = 90_001;
const ids = Array.from({ length: ORDERS }, (_, i) => firstId + i);

function created(id: number): string {
  return fixture.replace('"id": 727,', `"id": ${id},`);
}

/** The same order modified an hour later and completed: the newer version must win whatever order the two are read in. */
function updated(id: number): string {
  return created(id)
    .replace('"status": "processing"', '"status": "completed"')
    .replace('"date_modified": "2017-03-22T16:28:08"', '"date_modified": "2017-03-22T17:28:08"')
    .replace('"date_modified_gmt": "2017-03-22T19:28:08"', '"date_modified_gmt": "2017-03-22T20:28:08"');
}

/**
 * Redis is down (its own server, killed) while WooCommerce delivers a burst of ~200 signed order
 * webhooks at once, over real HTTP: each delivery is answered 202 (the enqueue is time-boxed, the
 * body archived first), the same bytes twice are one payload counted twice, and once Redis is back
 * (empty) the hub queues the pending payloads by itself: every order exactly once, at its newest
 * version, and the metrics say what was received.
 */
describe('Redis down during a burst of webhooks (its own Redis, killed and started empty)', () => {
  let redis: OwnRedis;
  let t: TestDatabase;
  /** The API process: takes webhooks and keeps the schedules (it heals Redis when it comes back). */
  let api: Hub;
  /** A worker process: reads payloads. */
  let worker: Hub;
  let app: FastifyInstance;
  let base: string;
  let monitoring: TestUser;
  let channelId: string;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await createTestPostgres();
    const config = loadConfig({ DATABASE_URL: t.url, REDIS_URL: redis.url, HUB_QUEUE_PREFIX: `orderhub-burst-${randomBytes(4).toString('hex')}` });
    api = await createHub(config, { db: t.db, workers: false, schedules: true, redisCallTimeoutMs: 500, scheduleCheckMs: 0 });
    // Once a year: no scheduled pull of the (unreachable) shop fires during the test.
    channelId = (
      await api.channels.create({
        name: 'Burst shop',
        connectorType: 'woocommerce',
        config: { url: 'https://burst.example.hu', consumerKey: 'ck_burst', consumerSecret: 'cs_burst', webhookSecret: WEBHOOK_SECRET },
        syncSchedule: '0 0 1 1 *',
      })
    ).id;
    await api.runner.start();
    worker = await createHub(config, { db: t.db, workers: true, schedules: false, retry: { attempts: 3, backoffMs: 50 } });
    await worker.runner.start();
    app = await buildApp({ db: t.db, catalog: api.catalog, actions: api.actions });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    monitoring = await makeUser(t.db, { login: 'prometheus', roles: ['monitoring'] });
  }, 60_000);

  afterAll(async () => {
    // Redis back before the hubs close: BullMQ's queues say goodbye to a Redis that answers.
    await redis?.up().catch(() => undefined);
    await app?.close();
    await worker?.close();
    await api?.close();
    await t?.drop();
    await redis?.down();
  });

  /** One delivery as WooCommerce makes it: the body's bytes signed with the webhook secret. */
  async function deliver(body: string): Promise<{ status: number; body: { payloadId?: string; duplicate?: boolean } }> {
    const bytes = Buffer.from(body, 'utf8');
    const response = await fetch(`${base}/v1/channels/${channelId}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
        'x-wc-webhook-source': 'https://burst.example.hu/',
        'x-wc-webhook-topic': 'order.updated',
        'x-wc-webhook-resource': 'order',
        'x-wc-webhook-event': 'updated',
        'x-wc-webhook-id': '12',
        'x-wc-delivery-id': randomBytes(8).toString('hex'),
        'x-wc-webhook-signature': createHmac('sha256', WEBHOOK_SECRET).update(bytes).digest('base64'),
      },
      body: bytes,
    });
    return { status: response.status, body: (await response.json()) as { payloadId?: string; duplicate?: boolean } };
  }

  it('answers every delivery while Redis is down, archives each body once, and reads them all once Redis is back', async () => {
    await redis.down();

    // Every created order, 40 of them again byte for byte, 40 updated: 200 deliveries at once, shuffled.
    const bodies = [...ids.map(created), ...ids.slice(0, RESENT).map(created), ...ids.slice(ORDERS - UPDATED).map(updated)];
    const burst = bodies.map((body, i) => ({ body, key: (i * 7919) % bodies.length })).sort((a, b) => a.key - b.key).map((d) => d.body);
    expect(burst).toHaveLength(200);
    const distinct = new Set(burst).size;
    expect(distinct).toBe(ORDERS + UPDATED);

    // Every request resolves (none hangs on the missing Redis) and is accepted.
    const answers = await Promise.all(burst.map(deliver));
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(distinct);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(RESENT);

    // Archived: one row per distinct body, the resent ones counted as received twice; nothing read yet.
    const rows = await t.db.prisma.rawPayload.findMany({ where: { channelId }, select: { id: true, status: true, receivedCount: true } });
    expect(rows).toHaveLength(distinct);
    expect(new Set(answers.map((a) => a.body.payloadId))).toEqual(new Set(rows.map((r) => r.id)));
    expect(rows.filter((r) => r.receivedCount === 2)).toHaveLength(RESENT);
    expect(rows.reduce((sum, r) => sum + r.receivedCount, 0)).toBe(burst.length);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
    expect(await t.db.prisma.order.count({ where: { channelId } })).toBe(0);

    // Redis comes back empty; nobody does anything: the API process queues the pending payloads, the worker reads them.
    await redis.up();
    await vi.waitFor(
      async () => expect(await t.db.prisma.rawPayload.count({ where: { channelId, status: 'pending' } })).toBe(0),
      { timeout: 60_000, interval: 200 },
    );
    const statuses = await t.db.prisma.rawPayload.groupBy({ by: ['status'], where: { channelId }, _count: true });
    expect(statuses).toEqual([{ status: 'parsed', _count: distinct }]);

    // Each order once, at its newest version, whichever of its deliveries was read first.
    const orders = await t.db.prisma.order.findMany({ where: { channelId }, select: { externalId: true, sourceStatus: true, sourceUpdatedAt: true } });
    expect(orders.map((o) => o.externalId).sort()).toEqual(ids.map(String).sort());
    const updatedIds = new Set(ids.slice(ORDERS - UPDATED).map(String));
    for (const order of orders) {
      expect(order, order.externalId).toMatchObject(
        updatedIds.has(order.externalId)
          ? { sourceStatus: 'completed', sourceUpdatedAt: new Date('2017-03-22T20:28:08Z') }
          : { sourceStatus: 'processing', sourceUpdatedAt: new Date('2017-03-22T19:28:08Z') },
      );
    }

    // The metrics count what was sent: every distinct body accepted, every resend a duplicate, nothing else.
    const metrics = parseMetrics((await app.inject({ url: '/metrics', headers: monitoring.headers })).body);
    const webhooks = metrics.samples('orderhub_webhooks_total', { channel: channelId });
    expect(Object.fromEntries(webhooks.map((s) => [s.labels.result, s.value]))).toEqual({ accepted: distinct, duplicate: RESENT });
    expect(metrics.value('orderhub_up', { dependency: 'redis' })).toBe(1);
    // The worker's own: each payload read once, none retried or failed (the enqueues cut short by the outage queued nothing twice).
    const read = parseMetrics((await worker.actions.metrics!()).body).samples('orderhub_payloads_processed_total');
    expect(Object.fromEntries(read.map((s) => [s.labels.outcome, s.value]))).toEqual({ parsed: distinct });
  }, 90_000);
});
