import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelService } from '../../core/channels/channels.ts';
import { acquireSyncLease, renewSyncLease } from '../../core/channels/sync-lease.ts';
import { channelsToResume, REAPED_RUN_CODE, reapOrphanedSyncRuns } from '../../core/channels/sync-reaper.ts';
import { startSyncRun } from '../../core/channels/sync-runs.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import { followUpDelay, type ProcessorContext } from '../../jobs/runtime/types.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { SLOW_SHOP_ORDERS, SLOW_SHOP_TOKEN, slowShopRegistry } from '../helpers/slow-shop.ts';

/**
 * The reaper on a holder that stops heartbeating (simulated: its lease is moved into the past, as
 * the database clock would see it once the TTL ran out without a renewal). States only, no timing.
 */
describe('the reaper of runs whose worker is gone', () => {
  let t: TestDatabase;
  let ctx: ProcessorContext;
  let channels: ChannelService;

  beforeEach(async () => {
    t = await createTestPostgres();
    ctx = { db: t.db, registry: slowShopRegistry(), leaseTtlMs: 60_000 };
    channels = new ChannelService(t.db, ctx.registry);
  });
  afterEach(async () => {
    await t.drop();
  });

  async function runningSync(name: string, owner: string) {
    const channel = await channels.create({ name, connectorType: 'slow-shop', config: { token: SLOW_SHOP_TOKEN } });
    const lease = await acquireSyncLease(t.db, channel.id, owner, 60_000);
    expect(lease).toBeDefined();
    const run = await startSyncRun(t.db, channel.id, 'schedule', owner);
    return { channel, lease: lease!, run };
  }

  /** The holder stopped heartbeating and its TTL ran out. */
  async function expire(channelId: string): Promise<void> {
    await t.db.query(`UPDATE channel SET sync_lease_until = now() - interval '1 second' WHERE id = $1`, [channelId]);
  }

  it('leaves runs whose holder still holds the lease, closes the one whose lease expired, with the reason in words', async () => {
    const alive = await runningSync('Alive shop', 'worker-a/1');
    const dead = await runningSync('Dead shop', 'worker-b/1');
    expect(await reapOrphanedSyncRuns(t.db)).toEqual([]);

    await expire(dead.channel.id);
    const reaped = await reapOrphanedSyncRuns(t.db);
    expect(reaped).toHaveLength(1);
    expect(reaped[0]).toMatchObject({ runId: dead.run.id, channelId: dead.channel.id, channelName: 'Dead shop' });
    expect(reaped[0]!.leaseExpiredAt).toBeInstanceOf(Date);

    const closed = await t.db.prisma.syncRun.findUniqueOrThrow({ where: { id: dead.run.id } });
    expect(closed.status).toBe('failed');
    expect(closed.errorCode).toBe(REAPED_RUN_CODE);
    expect(closed.error).toBe(`Sync run closed: the worker running it stopped (lease expired at ${reaped[0]!.leaseExpiredAt!.toISOString()}); 0 page(s) were stored, the next sync resumes from the stored cursor.`);
    expect(closed.errors).toEqual([{ page: null, source: null, payloadId: null, code: REAPED_RUN_CODE, message: closed.error }]);
    expect(closed.finishedAt).not.toBeNull();
    expect((await t.db.prisma.syncRun.findUniqueOrThrow({ where: { id: alive.run.id } })).status).toBe('running');
    // Closed once: a second pass finds nothing.
    expect(await reapOrphanedSyncRuns(t.db)).toEqual([]);
  });

  it('closes a run whose lease another holder took over, and a run left running after its lease was released', async () => {
    const taken = await runningSync('Taken shop', 'worker-a/1');
    await expire(taken.channel.id);
    expect(await acquireSyncLease(t.db, taken.channel.id, 'worker-c/2', 60_000)).toBeDefined();
    // The stalled holder can no longer renew: it stops between pages.
    expect(await renewSyncLease(t.db, taken.lease, 60_000)).toBe(false);
    const released = await runningSync('Released shop', 'worker-b/1');
    await t.db.query(`UPDATE channel SET sync_lease_owner = NULL, sync_lease_until = NULL WHERE id = $1`, [released.channel.id]);

    const reaped = await reapOrphanedSyncRuns(t.db);
    expect(reaped.map((r) => r.channelName).sort()).toEqual(['Released shop', 'Taken shop']);
    expect(reaped.find((r) => r.channelName === 'Taken shop')!.reason).toContain('the worker running it stopped (its lease was taken over by another sync)');
    expect(reaped.find((r) => r.channelName === 'Released shop')!.reason).toContain('the worker running it stopped (its lease was released without the run being closed)');
  });

  it('keeps a run of an older worker (no holder named) while the channel lease is held, and closes it once it expired', async () => {
    const channel = await channels.create({ name: 'Legacy shop', connectorType: 'slow-shop', config: { token: SLOW_SHOP_TOKEN } });
    await acquireSyncLease(t.db, channel.id, 'old-worker/1', 60_000);
    const run = await startSyncRun(t.db, channel.id, 'schedule');
    expect(await reapOrphanedSyncRuns(t.db)).toEqual([]);
    await expire(channel.id);
    expect((await reapOrphanedSyncRuns(t.db)).map((r) => r.runId)).toEqual([run.id]);
  });

  it('the runner’s reaper syncs the channel again: the work resumes from the cursor', async () => {
    const dead = await runningSync('Dead shop', 'worker-b/1');
    await t.db.query(`UPDATE channel SET sync_state = '{"cursor": 4}'::jsonb WHERE id = $1`, [dead.channel.id]);
    await expire(dead.channel.id);
    const runner = new InProcessRunner({ ctx, schedules: false });
    try {
      const report = await runner.reapSyncRuns();
      expect(report.reaped.map((r) => r.runId)).toEqual([dead.run.id]);
      expect(report.resumed).toEqual([dead.channel.id]);
      await runner.whenIdle(dead.channel.id);
    } finally {
      await runner.stop();
    }
    const runs = await t.db.prisma.syncRun.findMany({ where: { channelId: dead.channel.id }, orderBy: { startedAt: 'asc' } });
    expect(runs.map((r) => [r.status, r.errorCode])).toEqual([
      ['failed', REAPED_RUN_CODE],
      ['succeeded', null],
    ]);
    // Orders 5 and 6 only: after the cursor.
    expect(runs[1]).toMatchObject({ pages: 1, created: 2 });
    expect(await t.db.prisma.order.count({ where: { channelId: dead.channel.id } })).toBe(SLOW_SHOP_ORDERS - 4);
  });

  it('a sync that takes over a dead holder’s lease closes its run first, naming when the lease expired', async () => {
    const dead = await runningSync('Dead shop', 'worker-b/1');
    await expire(dead.channel.id);
    const before = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: dead.channel.id } });
    const outcome = await syncChannel(ctx, dead.channel.id, 'manual');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { created: SLOW_SHOP_ORDERS } });
    const closed = await t.db.prisma.syncRun.findUniqueOrThrow({ where: { id: dead.run.id } });
    expect(closed.status).toBe('failed');
    expect(closed.error).toContain(`the worker running it stopped (lease expired at ${before.syncLeaseUntil!.toISOString()}; another sync took the channel over)`);
  });

  it('a sync that finds the lease held says when it ends, and the follow-up waits no longer than that', async () => {
    const held = await runningSync('Held shop', 'worker-b/1');
    const outcome = await syncChannel(ctx, held.channel.id, 'manual');
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'already running' });
    const retryInMs = (outcome as { retryInMs?: number }).retryInMs!;
    expect(retryInMs).toBeGreaterThan(0);
    expect(retryInMs).toBeLessThanOrEqual(60_000);
    expect(followUpDelay(5_000, retryInMs)).toBe(5_000);
    expect(followUpDelay(5_000, 300)).toBe(350);
    expect(followUpDelay(5_000, 0)).toBe(50);
    expect(followUpDelay(5_000, undefined)).toBe(5_000);
  });

  it('a slow page keeps the lease: the heartbeat renews it past its first end while the page waits, and keeps another sync out', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let hung!: () => void;
    const hanging = new Promise<void>((resolve) => (hung = resolve));
    const registry = slowShopRegistry({ hangAfterPage: 1, gate, onHang: () => hung() });
    const slow = { db: t.db, registry, leaseTtlMs: 1000 };
    const channel = await new ChannelService(t.db, registry).create({ name: 'Slow page shop', connectorType: 'slow-shop', config: { token: SLOW_SHOP_TOKEN } });
    const sync = syncChannel(slow, channel.id, 'manual');
    await hanging;
    const [{ until }] = (await t.db.query<{ until: Date }>('SELECT sync_lease_until AS until FROM channel WHERE id = $1', [channel.id])) as [{ until: Date }];
    await vi.waitFor(
      async () => {
        const [row] = await t.db.query<{ renewed: boolean }>(`SELECT sync_lease_until > $2::timestamptz + interval '1500 milliseconds' AS renewed FROM channel WHERE id = $1`, [channel.id, until]);
        expect(row!.renewed).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(await syncChannel(slow, channel.id, 'manual')).toMatchObject({ status: 'skipped', reason: 'already running' });
    expect(await reapOrphanedSyncRuns(t.db)).toEqual([]);
    open();
    expect(await sync).toMatchObject({ status: 'succeeded', counts: { pages: 3, created: SLOW_SHOP_ORDERS } });
  });

  it('lists for resuming at start the channels whose latest run was interrupted or left running', async () => {
    const reaped = await runningSync('Reaped shop', 'worker-a/1');
    await expire(reaped.channel.id);
    await reapOrphanedSyncRuns(t.db);
    const running = await runningSync('Running shop', 'worker-b/1');
    const done = await channels.create({ name: 'Done shop', connectorType: 'slow-shop', config: { token: SLOW_SHOP_TOKEN } });
    await syncChannel(ctx, done.id, 'manual');
    const disabled = await runningSync('Disabled shop', 'worker-c/1');
    await channels.update(disabled.channel.id, { enabled: false });
    expect((await channelsToResume(t.db)).sort()).toEqual([reaped.channel.id, running.channel.id].sort());
  });
});
