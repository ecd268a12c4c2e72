import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { BullmqRunner, schedulerId } from '../../jobs/runtime/bullmq-runner.ts';
import { ADVANCE_DISTRIBUTION_JOB, REAP_SYNC_RUNS_JOB, SEND_STATUS_UPDATES_JOB, type ProcessorContext, type SyncFinishedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/** A shop in memory: orders with a modification counter, pulled two per page after a cursor. */
function fakeShop() {
  const orders = new Map<string, { id: string; total: string; modified: number }>();
  let clock = 0;
  const shop = {
    orders,
    /** Throws this many times before pulling (then pulls normally). */
    failures: [] as ConnectorError[],
    pulls: 0,
    /** When set, a pull waits for it before its first page (and resolves `entered`). */
    gate: undefined as Promise<void> | undefined,
    entered: undefined as ((value: void) => void) | undefined,
    add(n: number) {
      for (let i = 0; i < n; i++) {
        const id = String(orders.size + 1);
        orders.set(id, { id, total: '100.00', modified: ++clock });
      }
    },
    touch(id: string) {
      const order = orders.get(id)!;
      order.total = (Number(order.total) + 1).toFixed(2);
      order.modified = ++clock;
    },
  };
  const connector: ConnectorDefinition<{ token: string }, { cursor?: number }> = {
    type: 'fake',
    title: 'Fake shop',
    channelKind: 'webshop',
    spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
    secretFields: ['token'],
    async check() {
      return { ok: true, message: 'fake shop reachable' };
    },
    async *pull(_config, state) {
      shop.pulls += 1;
      const failure = shop.failures.shift();
      if (failure) throw failure;
      if (shop.gate) {
        shop.entered?.();
        await shop.gate;
      }
      const changed = [...orders.values()].filter((o) => o.modified > (state?.cursor ?? 0)).sort((a, b) => a.modified - b.modified);
      for (let i = 0; i < changed.length; i += 2) {
        const slice = changed.slice(i, i + 2);
        const page: PulledPage<{ cursor?: number }> = {
          source: `memory://fake/orders?page=${i / 2 + 1}`,
          contentType: 'application/json',
          body: JSON.stringify(slice),
          page: i / 2 + 1,
          state: { cursor: slice.at(-1)!.modified },
        };
        yield page;
      }
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map(payload) {
      const rows = JSON.parse(payload.body) as { id: string; total: string }[];
      return { orders: rows.map((r) => orderDraft(r.id, { totals: { subtotal: r.total, discount: '0', shipping: '0', fee: '0', tax: '0', total: r.total } })), errors: [] };
    },
  };
  return { shop, registry: new ConnectorRegistry([{ connector, mapping }]) };
}

function waitFor(runner: BullmqRunner, predicate: (e: SyncFinishedEvent) => boolean): Promise<SyncFinishedEvent> {
  return new Promise((resolve) => {
    const off = runner.onSyncFinished((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}

describe('sync jobs on PostgreSQL and BullMQ', () => {
  let testDb: TestDatabase;
  let ctx: ProcessorContext;
  let kit: ReturnType<typeof fakeShop>;
  let channelId: string;
  const runners: BullmqRunner[] = [];

  beforeEach(async () => {
    testDb = await createTestPostgres();
    kit = fakeShop();
    ctx = { db: testDb.db, registry: kit.registry, leaseTtlMs: 30_000 };
    const channel = await new ChannelService(testDb.db, kit.registry).create({ name: 'Fake shop', connectorType: 'fake', config: { token: 't' } });
    channelId = channel.id;
  });

  afterEach(async () => {
    for (const runner of runners.splice(0)) {
      await runner.stop();
      const cleanup = new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix: runnerPrefix.get(runner)!, workers: false, schedules: false });
      await cleanup.queue.obliterate({ force: true });
      await cleanup.stop();
    }
    await testDb.drop();
  });

  const runnerPrefix = new WeakMap<BullmqRunner, string>();
  function runner(options: { workers?: boolean; attempts?: number; schedules?: boolean } = {}): BullmqRunner {
    const prefix = `orderhub-test-${randomBytes(5).toString('hex')}`;
    const created = new BullmqRunner({
      ctx,
      redisUrl: REDIS_TEST_URL,
      prefix,
      workers: options.workers ?? true,
      schedules: options.schedules ?? false,
      retry: { attempts: options.attempts ?? 5, backoffMs: 20 },
      followUpDelayMs: 30,
    });
    runnerPrefix.set(created, prefix);
    runners.push(created);
    return created;
  }

  describe('when a sync is requested', () => {
    it('runs it on a worker: the run row and the orders land, the cursor moves', async () => {
      kit.shop.add(5);
      const jobs = runner();
      await jobs.start();
      const finished = waitFor(jobs, (e) => e.final);
      const receipt = await jobs.requestSync(channelId, 'manual');
      expect(receipt).toEqual({ jobId: expect.stringMatching(new RegExp(`^sync-${channelId}-[0-9a-f-]{36}$`)), queued: true });
      expect(receipt.jobId).not.toContain(':');
      const event = await finished;
      expect(event.outcome).toMatchObject({ status: 'succeeded', counts: { pages: 3, created: 5, updated: 0, unchanged: 0, failed: 0 } });

      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId } });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'succeeded', trigger: 'manual', pages: 3, created: 5, received: 5 });
      expect(runs[0]!.finishedAt).not.toBeNull();
      expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(5);
      expect(await testDb.db.prisma.rawPayload.count({ where: { channelId, kind: 'pull' } })).toBe(3);
      const channel = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(channel.syncState).toEqual({ cursor: 5 });
      expect(channel.syncLeaseOwner).toBeNull();

      // The next run pulls only what changed since the cursor.
      kit.shop.touch('2');
      kit.shop.add(1);
      const second = waitFor(jobs, (e) => e.final);
      expect((await jobs.requestSync(channelId, 'schedule')).queued).toBe(true);
      expect((await second).outcome).toMatchObject({ status: 'succeeded', counts: { created: 1, updated: 1, unchanged: 0 } });
    });

    it('queues one job when asked twice while one waits', async () => {
      const jobs = runner({ workers: false });
      const first = await jobs.requestSync(channelId, 'manual');
      const second = await jobs.requestSync(channelId, 'schedule');
      expect(first.queued).toBe(true);
      // Deduplicated: the answer names the job that already waits.
      expect(second).toEqual({ jobId: first.jobId, queued: false });
      const counts = await jobs.queue.getJobCounts('waiting', 'delayed', 'active');
      expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBe(1);
      const job = await jobs.queue.getJob(first.jobId);
      expect(job?.data).toEqual({ channelId, trigger: 'manual' }); // ids only, no config or secrets
    });
  });

  describe('when the shop rejects the credentials', () => {
    it('fails the run once, does not retry, and keeps the failed job', async () => {
      kit.shop.add(2);
      kit.shop.failures.push(new ConnectorError('unauthorized', 'WooCommerce answered 401: invalid consumer key', { status: 401 }));
      const jobs = runner();
      await jobs.start();
      const finished = waitFor(jobs, (e) => e.final);
      const failedReceipt = await jobs.requestSync(channelId, 'manual');
      const event = await finished;
      expect(event.error).toMatchObject({ permanent: true });
      expect(event.attempt).toBe(1);
      expect(kit.shop.pulls).toBe(1);

      const failed = await jobs.queue.getFailed();
      expect(failed.map((j) => j.id)).toEqual([failedReceipt.jobId]);
      expect(failed[0]!.attemptsMade).toBe(1);
      expect(failed[0]!.failedReason).toContain('invalid consumer key');

      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId } });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'failed', errorCode: 'unauthorized' });
      expect(runs[0]!.error).toMatch(/Sync of "Fake shop" failed: WooCommerce answered 401: invalid consumer key\. Check the channel credentials/);
      expect(await testDb.db.prisma.order.count()).toBe(0);
      const channel = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(channel.syncLeaseOwner).toBeNull();

      // A later request runs as a job of its own; the failed job stays for inspection.
      const again = waitFor(jobs, (e) => e.final);
      const later = await jobs.requestSync(channelId, 'manual');
      expect(later.queued).toBe(true);
      expect(later.jobId).not.toBe(failedReceipt.jobId);
      expect((await again).outcome).toMatchObject({ status: 'succeeded', counts: { created: 2 } });
      const stillFailed = await jobs.queue.getFailed();
      expect(stillFailed.map((j) => j.id)).toEqual([failedReceipt.jobId]);
      expect(stillFailed[0]!.failedReason).toContain('invalid consumer key');
      expect((await jobs.queue.getCompleted()).map((j) => j.id)).toEqual([later.jobId]);
    });
  });

  describe('when the shop is briefly unavailable', () => {
    it('retries with backoff until the sync succeeds', async () => {
      kit.shop.add(3);
      kit.shop.failures.push(
        new ConnectorError('upstream_unavailable', 'WooCommerce answered 503', { status: 503 }),
        new ConnectorError('upstream_unavailable', 'connect ECONNREFUSED'),
      );
      const jobs = runner();
      const attempts: SyncFinishedEvent[] = [];
      jobs.onSyncFinished((e) => attempts.push(e));
      await jobs.start();
      const finished = waitFor(jobs, (e) => e.final);
      await jobs.requestSync(channelId, 'manual');
      const event = await finished;
      expect(event.outcome).toMatchObject({ status: 'succeeded', counts: { created: 3 } });
      expect(attempts.map((a) => [a.final, a.error?.code ?? 'ok'])).toEqual([
        [false, 'upstream_unavailable'],
        [false, 'upstream_unavailable'],
        [true, 'ok'],
      ]);
      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
      expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'succeeded']);
      expect(runs[0]!.errorCode).toBe('upstream_unavailable');
    });
  });

  describe('when two syncs of one channel start at once', () => {
    it('runs one and skips the other', async () => {
      kit.shop.add(3);
      let open!: () => void;
      kit.shop.gate = new Promise<void>((resolve) => (open = resolve));
      const entered = new Promise<void>((resolve) => (kit.shop.entered = resolve));
      // A second worker process is a second connection pool on the same database.
      const first = syncChannel(ctx, channelId, 'schedule');
      await entered;
      const second = await syncChannel({ ...ctx, workerId: 'other-machine' }, channelId, 'manual');
      // It says when the holder's lease ends: a follow-up tries again by then at the latest.
      expect(second).toEqual({ status: 'skipped', reason: 'already running', channelId, retryInMs: expect.any(Number) });
      expect((second as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(30_000);
      open();
      expect(await first).toMatchObject({ status: 'succeeded', counts: { created: 3 } });
      expect(await testDb.db.prisma.syncRun.count({ where: { channelId } })).toBe(1);
    });

    it('takes over the lease of a crashed worker once it has expired, not before', async () => {
      kit.shop.add(1);
      await testDb.db.query(`UPDATE channel SET sync_lease_owner = 'crashed-worker', sync_lease_until = now() + interval '1 minute' WHERE id = $1`, [channelId]);
      expect(await syncChannel(ctx, channelId, 'schedule')).toMatchObject({ status: 'skipped' });

      await testDb.db.query(`UPDATE channel SET sync_lease_until = now() - interval '1 second' WHERE id = $1`, [channelId]);
      expect(await syncChannel(ctx, channelId, 'schedule')).toMatchObject({ status: 'succeeded', counts: { created: 1 } });
      const channel = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(channel.syncLeaseOwner).toBeNull();
    });
  });

  describe('when a sync is requested while another process syncs the channel', () => {
    it('runs one follow-up after the running sync instead of dropping the request', async () => {
      kit.shop.add(2);
      let open!: () => void;
      kit.shop.gate = new Promise<void>((resolve) => (open = resolve));
      const entered = new Promise<void>((resolve) => (kit.shop.entered = resolve));
      // `hub channels sync` in the foreground, on another machine.
      const foreground = syncChannel({ ...ctx, workerId: 'cli' }, channelId, 'manual');
      await entered;
      kit.shop.gate = undefined;

      const jobs = runner();
      const events: SyncFinishedEvent[] = [];
      jobs.onSyncFinished((e) => events.push(e));
      await jobs.start();
      const skipped = waitFor(jobs, (e) => e.outcome?.status === 'skipped');
      const succeeded = waitFor(jobs, (e) => e.outcome?.status === 'succeeded');
      const receipt = await jobs.requestSync(channelId, 'manual');
      expect(await skipped).toMatchObject({ jobId: receipt.jobId, outcome: { status: 'skipped', reason: 'already running' } });

      kit.shop.add(1); // arrives while the foreground sync still runs
      open();
      expect(await foreground).toMatchObject({ status: 'succeeded' });
      const followUp = await succeeded;
      expect(followUp.jobId).not.toBe(receipt.jobId);
      expect(followUp.trigger).toBe('manual');
      expect(await testDb.db.prisma.order.count({ where: { channelId } })).toBe(3);
      expect(events.filter((e) => e.outcome?.status === 'succeeded')).toHaveLength(1);
    });
  });

  describe('when a channel is disabled', () => {
    it('skips its sync with the reason, whatever the trigger', async () => {
      kit.shop.add(1);
      await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { enabled: false } });
      expect(await syncChannel(ctx, channelId, 'manual')).toEqual({ status: 'skipped', reason: 'disabled', channelId });
      expect(await testDb.db.prisma.syncRun.count({ where: { channelId } })).toBe(0);
      expect(kit.shop.pulls).toBe(0);
    });
  });

  describe('when channels are created and changed', () => {
    it('upserts the channel’s job scheduler, changes its pattern and removes it when disabled', async () => {
      const jobs = runner({ workers: false, schedules: true });
      await jobs.start();
      expect((await jobs.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/5 * * * *');
      // The distribution tick (offers becoming visible, fallbacks, overdue fulfilment) runs every minute.
      expect((await jobs.payloadQueue.getJobScheduler(ADVANCE_DISTRIBUTION_JOB))?.pattern).toBe('* * * * *');
      // So does the sending of due channel status updates (status write-back).
      expect((await jobs.payloadQueue.getJobScheduler(SEND_STATUS_UPDATES_JOB))?.pattern).toBe('* * * * *');
      // And the reaper of runs whose worker is gone.
      expect((await jobs.payloadQueue.getJobScheduler(REAP_SYNC_RUNS_JOB))?.pattern).toBe('* * * * *');

      const channels = new ChannelService(testDb.db, kit.registry);
      const added = await channels.create({ name: 'Second shop', connectorType: 'fake', config: { token: 't' }, syncSchedule: '*/10 * * * *' });
      expect(await jobs.queue.getJobScheduler(schedulerId(added.id))).toBeUndefined();
      await jobs.channelChanged(added.id);
      expect((await jobs.queue.getJobScheduler(schedulerId(added.id)))?.pattern).toBe('*/10 * * * *');

      await channels.update(added.id, { syncSchedule: '0 * * * *' });
      await jobs.channelChanged(added.id);
      expect((await jobs.queue.getJobScheduler(schedulerId(added.id)))?.pattern).toBe('0 * * * *');

      await channels.update(added.id, { enabled: false });
      await jobs.channelChanged(added.id);
      expect(await jobs.queue.getJobScheduler(schedulerId(added.id))).toBeUndefined();
      expect((await jobs.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/5 * * * *');
    });

    it('starts with a channel whose stored cron is invalid: logs it and schedules the others', async () => {
      const bad = await new ChannelService(testDb.db, kit.registry).create({ name: 'Bad cron shop', connectorType: 'fake', config: { token: 't' } });
      await testDb.db.prisma.channel.update({ where: { id: bad.id }, data: { syncSchedule: 'every now and then' } });
      const logged: string[] = [];
      ctx.logger = { info() {}, warn() {}, error: (_data, message) => logged.push(message ?? '') };
      const jobs = runner({ workers: false, schedules: true });
      await expect(jobs.start()).resolves.toBeUndefined();
      expect((await jobs.queue.getJobScheduler(schedulerId(channelId)))?.pattern).toBe('*/5 * * * *');
      expect(await jobs.queue.getJobScheduler(schedulerId(bad.id))).toBeUndefined();
      expect(logged.some((m) => m.includes('Bad cron shop') && m.includes('every now and then'))).toBe(true);
    });
  });

  describe('when a page is broken or was pulled before', () => {
    it('archives the broken page with its error, goes on, ends partial, and counts a re-pulled page as unchanged', async () => {
      const broken: PulledPage = { source: 'memory://fake/orders?page=1', contentType: 'text/html', body: '<html>502</html>', page: 1, error: { code: 'invalid_data', message: 'not JSON' } };
      const good: PulledPage = { source: 'memory://fake/orders?page=2', contentType: 'application/json', body: JSON.stringify([{ id: 'A', total: '5.00' }]), page: 2, state: { cursor: 9 } };
      const connector = kit.registry.connector('fake')!;
      connector.pull = async function* () {
        yield broken;
        yield good;
      };
      const first = await syncChannel(ctx, channelId, 'manual');
      expect(first).toMatchObject({
        status: 'partial',
        counts: { pages: 2, created: 1, failed: 1 },
        errors: [{ page: 1, source: 'memory://fake/orders?page=1', code: 'invalid_data', message: 'not JSON' }],
      });
      const payloads = await testDb.db.prisma.rawPayload.findMany({ where: { channelId }, orderBy: { source: 'asc' } });
      expect(payloads.map((p) => [p.status, p.errorCode])).toEqual([
        ['failed', 'invalid_data'],
        ['parsed', null],
      ]);
      expect(Buffer.from(payloads[0]!.body).toString('utf8')).toBe('<html>502</html>');

      const second = await syncChannel(ctx, channelId, 'manual');
      // The broken page is the same archived failure: the run is still partial.
      expect(second).toMatchObject({ status: 'partial', counts: { created: 0, updated: 0, unchanged: 1, failed: 1 }, errors: [{ page: 1, code: 'invalid_data' }] });
      expect(await testDb.db.prisma.rawPayload.count({ where: { channelId } })).toBe(2);
    });
  });
});
