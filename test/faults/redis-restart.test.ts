import { createHmac, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConnectorDefinition } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import type { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { OwnRedis } from '../helpers/own-redis.ts';

/** A shop that is pulled (so it has a schedule) and pushes signed webhooks. */
const shop: ConnectorDefinition<{ secret: string }> = {
  type: 'fault-shop',
  title: 'Fault shop',
  channelKind: 'webshop',
  spec: Type.Object({ secret: Type.String({ minLength: 1 }) }),
  secretFields: ['secret'],
  check: async () => ({ ok: true, message: 'ok' }),
  // eslint-disable-next-line require-yield -- a shop with nothing new: the schedule is what is tested
  async *pull() {
    return;
  },
  webhook: {
    verify(request, config) {
      const expected = createHmac('sha256', config.secret).update(request.rawBody).digest('base64');
      return request.headers['x-signature'] === expected ? { kind: 'accepted', topic: 'order.created' } : { kind: 'rejected', reason: 'signature mismatch' };
    },
  },
};

const mapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    const body = JSON.parse(payload.body) as { id: string };
    return { orders: [orderDraft(body.id)], errors: [] };
  },
};

function signed(body: object) {
  const rawBody = Buffer.from(JSON.stringify(body));
  return { rawBody, headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', 's3cret').update(rawBody).digest('base64') } };
}

/**
 * Redis restarted without persistence forgets every schedule and every waiting job, and says
 * nothing. The hub must notice: schedules set again, pending payloads queued again, and while
 * Redis is away a webhook is still answered (archived; queued once Redis is back).
 */
describe('a Redis restart (its own Redis, killed and started empty)', () => {
  let redis: OwnRedis;
  let t: TestDatabase;
  /** The API process: takes webhooks and keeps the schedules. */
  let api: Hub;
  /** A worker process: reads payloads. */
  let worker: Hub | undefined;
  let channelId: string;
  let prefix: string;
  const runner = () => api.runner as BullmqRunner;
  const schedulerKeys = async () => [
    ...(await runner().queue.getJobSchedulers(0, -1)).map((s) => s.key),
    ...(await runner().payloadQueue.getJobSchedulers(0, -1)).map((s) => s.key),
  ].sort();
  const registry = () => new ConnectorRegistry([{ connector: shop, mapping }]);
  const config = () => loadConfig({ DATABASE_URL: t.url, REDIS_URL: redis.url, HUB_QUEUE_PREFIX: prefix });

  async function startWorker(): Promise<void> {
    worker = await createHub(config(), { db: t.db, registry: registry(), workers: true, schedules: false, retry: { attempts: 3, backoffMs: 10 } });
    await worker.runner.start();
  }

  async function stopWorker(): Promise<void> {
    await worker?.close();
    worker = undefined;
  }

  const statusOf = async (payloadId: string) => (await t.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { status: true } })).status;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await createTestPostgres();
    prefix = `orderhub-faults-${randomBytes(4).toString('hex')}`;
    api = await createHub(config(), {
      db: t.db,
      registry: registry(),
      workers: false,
      schedules: true,
      redisCallTimeoutMs: 1_000,
      // The periodic look is tested by calling it; the reconnect is what heals here.
      scheduleCheckMs: 0,
    });
    // Once a year: the schedule is what is looked at, never a sync it fires.
    channelId = (await api.channels.create({ name: 'Fault shop', connectorType: 'fault-shop', config: { secret: 's3cret' }, syncSchedule: '0 0 1 1 *' })).id;
    await api.runner.start();
    await startWorker();
  });

  afterAll(async () => {
    await stopWorker();
    await api?.close();
    await t?.drop();
    await redis?.down();
  });

  const expectedSchedules = () => [`schedule-${channelId}`, 'advance-distribution', 'reap-sync-runs', 'reconcile-channels', 'retention', 'send-status-updates', 'sweep-pending-payloads'].sort();

  it('has the schedules to start with, and reads a webhook', async () => {
    expect(await schedulerKeys()).toEqual(expectedSchedules());
    const receipt = await api.actions.receiveWebhook(channelId, signed({ id: 'before' }));
    const payloadId = (receipt as { payloadId: string }).payloadId;
    await vi.waitFor(async () => expect(await statusOf(payloadId)).toBe('parsed'), { timeout: 30_000, interval: 100 });
  });

  it('answers a webhook while Redis is down, and reads it once Redis is back with every schedule set again', async () => {
    await redis.down();
    const receipt = await api.actions.receiveWebhook(channelId, signed({ id: 'during-outage' }));
    expect(receipt).toMatchObject({ kind: 'accepted', duplicate: false });
    const payloadId = (receipt as { payloadId: string }).payloadId;
    expect(await statusOf(payloadId)).toBe('pending');
    // A sync asked for while Redis is away is refused in words, not left hanging.
    await expect(api.actions.requestSync(channelId, 'manual')).rejects.toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining('did not answer') });

    await redis.up();
    await vi.waitFor(async () => expect(await schedulerKeys()).toEqual(expectedSchedules()), { timeout: 30_000, interval: 100 });
    // The channel's next scheduled sync waits in Redis again, for its cron's next moment.
    const scheduler = await runner().queue.getJobScheduler(`schedule-${channelId}`);
    expect(scheduler?.next).toBeGreaterThan(Date.now());
    expect(await runner().queue.getJobCountByTypes('delayed')).toBe(1);
    await vi.waitFor(async () => expect(await statusOf(payloadId)).toBe('parsed'), { timeout: 30_000, interval: 100 });
    expect(await t.db.prisma.order.count({ where: { channelId, externalId: 'during-outage' } })).toBe(1);
  });

  it('queues again a payload whose job the restart wiped', async () => {
    // Queued while no worker runs, then Redis is killed: the job is gone, the payload pending.
    await stopWorker();
    const receipt = await api.actions.receiveWebhook(channelId, signed({ id: 'job-wiped' }));
    const payloadId = (receipt as { payloadId: string }).payloadId;
    expect(await runner().payloadQueue.getJob(`payload-${payloadId}`)).toBeTruthy();
    await redis.restart();
    await startWorker();
    await vi.waitFor(async () => expect(await statusOf(payloadId)).toBe('parsed'), { timeout: 30_000, interval: 100 });
    expect(await schedulerKeys()).toEqual(expectedSchedules());
  });

  it('sets the schedules again when the periodic look finds them gone (a flushed Redis, no reconnect)', async () => {
    const client = new Redis(redis.url);
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
    expect(await schedulerKeys()).toEqual([]);
    expect(await runner().checkSchedules()).toEqual(expect.arrayContaining(expectedSchedules()));
    expect(await schedulerKeys()).toEqual(expectedSchedules());
    expect(await runner().checkSchedules()).toEqual([]);
  });

  it("fires a channel's next scheduled sync after a restart, with no manual step", async () => {
    // A second channel on a 2-second cron: the schedule's firing, not the yearly one's presence, is looked at.
    const frequent = (await api.channels.create({ name: 'Frequent shop', connectorType: 'fault-shop', config: { secret: 's3cret' }, syncSchedule: '*/2 * * * * *' })).id;
    // As the API does when a channel is added.
    await runner().channelChanged(frequent);
    expect(await runner().queue.getJobScheduler(`schedule-${frequent}`)).toBeTruthy();
    await redis.restart();
    const restartedAt = new Date();
    await vi.waitFor(async () => expect(await runner().queue.getJobScheduler(`schedule-${frequent}`)).toBeTruthy(), { timeout: 30_000, interval: 100 });
    // Nobody asks for a sync: the schedule set again by the hub runs it on a worker.
    await vi.waitFor(
      async () => expect(await t.db.prisma.syncRun.count({ where: { channelId: frequent, trigger: 'schedule', status: 'succeeded', startedAt: { gt: restartedAt } } })).toBeGreaterThan(0),
      { timeout: 30_000, interval: 100 },
    );
    await api.channels.update(frequent, { syncSchedule: '0 0 1 1 *' });
    await runner().channelChanged(frequent);
  });

  it('closes while Redis is away: the connections are dropped after the deadline, never waited on for ever', async () => {
    const leaving = await createHub(config(), { db: t.db, registry: registry(), workers: true, schedules: true, redisCallTimeoutMs: 500, scheduleCheckMs: 0, closeTimeoutMs: 1_000 });
    await leaving.runner.start();
    await redis.down();
    try {
      await expect(leaving.close()).resolves.toBeUndefined();
    } finally {
      await redis.up();
    }
  });
});
