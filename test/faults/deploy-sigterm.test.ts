import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatWooParam } from '../../connectors/woocommerce/streams/orders.ts';
import { INTERRUPTED_RUN_CODE } from '../../core/channels/sync-reaper.ts';
import { SYNC_QUEUE } from '../../jobs/runtime/types.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { HubProcess } from '../helpers/hub-process.ts';
import { OwnRedis } from '../helpers/own-redis.ts';
import { differences, hubOrders, payloadStatuses, pidOfOwner, shopOrders, WooDeployment } from '../helpers/woo-deployment.ts';

const KEY = 'ck_deploy_0000000000000000000000000000000000';
const SECRET = 'cs_deploy_0000000000000000000000000000000000';
const ORDERS = 3_000;
/** The sync's 4th page is in flight (3 stored, the cursor after them) when the deploy stops its worker. */
const HELD_PAGE = 4;
/** The connector's default overlap: a run reads from its cursor − 10 min − 1 s. */
const OVERLAP_MS = 10 * 60_000 + 1_000;

/**
 * A rolling deploy: the worker holding a sync gets SIGTERM while a page is in flight, and its
 * replacement starts at the same moment. The stopped worker ends the sync between pages, records
 * its run as interrupted (not as an outage of the shop), exits 0 within its close deadline, and
 * another worker continues from the stored cursor: every shop order held once, every page read.
 */
describe('SIGTERM during a deploy (API + two BullMQ workers, real processes)', { timeout: 180_000 }, () => {
  let redis: OwnRedis;
  let t: TestDatabase;
  let sandbox: WooSandbox;
  let release: () => void = () => undefined;
  let reachedHeldPage: () => void = () => undefined;
  const heldPageRequested = new Promise<void>((resolve) => (reachedHeldPage = resolve));

  beforeAll(async () => {
    [redis, t] = await Promise.all([OwnRedis.start(), createTestPostgres()]);
    let syncPages = 0;
    const hold = new Promise<void>((resolve) => (release = resolve));
    sandbox = await startWooSandbox({
      consumerKey: KEY,
      consumerSecret: SECRET,
      initialOrders: ORDERS,
      beforeList: (query) => {
        if (query.orderby !== 'modified' || ++syncPages !== HELD_PAGE) return undefined;
        reachedHeldPage();
        return hold;
      },
    });
  });

  afterAll(async () => {
    release();
    await HubProcess.killAll();
    await sandbox?.close();
    await t?.drop();
    await redis?.down();
  });

  it('records the stopped worker\'s run as interrupted, exits 0, and the sync goes on from the cursor elsewhere: every order once', async () => {
    const deployment = new WooDeployment(t.db, t.url!, redis.url);
    // Started side by side: each process loads the hub's TypeScript on its own, which takes a while on 2 cores.
    const [, channelId, ...workers] = await Promise.all([
      deployment.startApi(),
      deployment.addWooChannel('Deployed shop', sandbox, { consumerKey: KEY, consumerSecret: SECRET }),
      deployment.startWorker(),
      deployment.startWorker(),
    ]);
    await deployment.requestSync(channelId);

    // Page 4 is in flight: three pages are stored and the cursor stands after them.
    await heldPageRequested;
    const running = await t.db.prisma.syncRun.findFirstOrThrow({ where: { channelId, status: 'running' } });
    expect(running.pages).toBe(HELD_PAGE - 1);
    const holder = workers.find((w) => w.pid === pidOfOwner(running.leaseOwner));
    expect(holder, `the lease holder ${running.leaseOwner} is one of the workers`).toBeDefined();
    const cursor = ((await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } })).syncState as { modifiedAfter?: string }).modifiedAfter;
    expect(cursor).toBeDefined();

    // The deploy: SIGTERM to the holder, its replacement starts now.
    holder!.kill('SIGTERM');
    const replacement = deployment.startWorker();
    // The page stays in flight until the worker is gone: the stop must not wait for the shop.
    const exit = await holder!.exited;
    release();
    await replacement;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(holder!.output).toContain('Shutting down: finishing running syncs');
    // Closed within its deadline: it did not have to drop its connections.
    expect(holder!.output).not.toContain('could not close its Redis connections in time');

    const interrupted = await t.db.prisma.syncRun.findUniqueOrThrow({ where: { id: running.id } });
    expect(interrupted).toMatchObject({ status: 'failed', errorCode: INTERRUPTED_RUN_CODE, pages: HELD_PAGE - 1 });
    expect(interrupted.error).toMatch(/interrupted; will run again \(the hub is shutting down; 3 page\(s\) were stored\)/);
    expect(interrupted.finishedAt).not.toBeNull();

    // Another worker takes the retried job and reads on from the cursor.
    await vi.waitFor(
      async () => {
        const runs = await t.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
        expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
      },
      { timeout: 120_000, interval: 250 },
    );
    const continued = (await t.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } }))[1]!;
    expect(pidOfOwner(continued.leaseOwner)).not.toBe(holder!.pid);
    expect(continued).toMatchObject({ trigger: 'manual', created: ORDERS - interrupted.created, updated: 0 });
    const listings = sandbox.requests.filter((r) => r.query.orderby === 'modified');
    // The continuation's first request starts at the stored cursor (less the overlap), not at the beginning.
    expect(listings[HELD_PAGE]!.query.modified_after).toBe(formatWooParam(new Date(Date.parse(cursor!) - OVERLAP_MS)));

    // Every shop order once, at the shop's version; every page read; nothing left running or held.
    const held = await hubOrders(t.db, channelId);
    expect(differences(held, shopOrders(sandbox))).toEqual({ missing: [], stale: [], extra: [] });
    expect(held.size).toBe(ORDERS);
    expect([...held.values()].every((o) => o.version === 1)).toBe(true);
    const pages = Math.ceil(ORDERS / 100);
    const statuses = await payloadStatuses(t.db, channelId);
    expect(Object.keys(statuses)).toEqual(['pull:parsed']);
    // The overlap re-read at the continuation may archive one more page than the shop has.
    expect(statuses['pull:parsed']).toBeGreaterThanOrEqual(pages);
    expect(await t.db.prisma.syncRun.count({ where: { status: 'running' } })).toBe(0);
    const channel = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(channel.syncLeaseOwner).toBeNull();
    // The shutdown used none of the job's retry attempts: it went back to wait, then completed once.
    const queue = new Queue(SYNC_QUEUE, { connection: { url: redis.url }, prefix: deployment.env.HUB_QUEUE_PREFIX! });
    try {
      const [job] = await queue.getJobs(['completed']);
      // Started twice (the stopped worker, then the one that finished it), one attempt made.
      expect({ started: job?.attemptsStarted, made: job?.attemptsMade, failedReason: job?.failedReason }).toEqual({ started: 2, made: 1, failedReason: undefined });
    } finally {
      await queue.close();
    }
  });
});
