import { Type } from '@sinclair/typebox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { ConnectorDefinition } from '../../connectors/_kit/definition.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { ProcessorContext, SyncFinishedEvent } from '../../jobs/runtime/types.ts';
import { createTestPglite, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/** A shop in memory yielding all orders after the cursor, one page per order. */
function fakeShop() {
  const shop = {
    orders: [] as string[],
    failures: [] as ConnectorError[],
    /** This many pulls yield only a broken page (an HTML error page) and end. */
    brokenPulls: 0,
    pulls: 0,
    gate: undefined as Promise<void> | undefined,
    entered: undefined as (() => void) | undefined,
    /** When set, the pull waits for it after its first page (and calls `betweenPages`). */
    afterFirstPage: undefined as Promise<void> | undefined,
    betweenPages: undefined as (() => void) | undefined,
  };
  const connector: ConnectorDefinition<{ token: string }, { cursor?: number }> = {
    type: 'fake',
    title: 'Fake shop',
    channelKind: 'webshop',
    spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
    secretFields: ['token'],
    check: async () => ({ ok: true, message: 'ok' }),
    async *pull(_config, state) {
      shop.pulls += 1;
      const failure = shop.failures.shift();
      if (failure) throw failure;
      if (shop.brokenPulls > 0) {
        shop.brokenPulls -= 1;
        yield { source: 'memory://fake/broken', contentType: 'text/html', body: '<html>502</html>', page: 1, error: { code: 'invalid_data', message: 'not JSON' } };
        return;
      }
      if (shop.gate) {
        shop.entered?.();
        await shop.gate;
      }
      for (let i = state?.cursor ?? 0; i < shop.orders.length; i++) {
        yield { source: `memory://fake/${i}`, contentType: 'application/json', body: JSON.stringify({ id: shop.orders[i] }), page: i + 1, state: { cursor: i + 1 } };
        if (shop.afterFirstPage) {
          shop.betweenPages?.();
          await shop.afterFirstPage;
        }
      }
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map: (payload) => ({ orders: [orderDraft((JSON.parse(payload.body) as { id: string }).id)], errors: [] }),
  };
  return { shop, registry: new ConnectorRegistry([{ connector, mapping }]) };
}

function nextEvent(runner: InProcessRunner, predicate: (e: SyncFinishedEvent) => boolean): Promise<SyncFinishedEvent> {
  return new Promise((resolve) => {
    const off = runner.onSyncFinished((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}

function nextFinal(runner: InProcessRunner): Promise<SyncFinishedEvent> {
  return new Promise((resolve) => {
    const off = runner.onSyncFinished((event) => {
      if (event.final) {
        off();
        resolve(event);
      }
    });
  });
}

describe('in-process job runner on PGlite', () => {
  let testDb: TestDatabase;
  let kit: ReturnType<typeof fakeShop>;
  let ctx: ProcessorContext;
  let channels: ChannelService;
  let channelId: string;
  let runner: InProcessRunner;

  // One embedded database for the file (creating one is slow); every test starts from empty tables.
  beforeAll(async () => {
    testDb = await createTestPglite();
  });

  afterAll(async () => {
    await testDb.drop();
  });

  beforeEach(async () => {
    await testDb.db.execScript('DELETE FROM order_version; DELETE FROM order_line; DELETE FROM "order"; DELETE FROM raw_payload; DELETE FROM sync_run; DELETE FROM channel;');
    kit = fakeShop();
    ctx = { db: testDb.db, registry: kit.registry };
    channels = new ChannelService(testDb.db, kit.registry);
    channelId = (await channels.create({ name: 'Fake shop', connectorType: 'fake', config: { token: 't' } })).id;
    runner = new InProcessRunner({ ctx, retry: { attempts: 3, backoffMs: 10 }, schedules: false, followUpDelayMs: 20 });
  });

  afterEach(async () => {
    await runner.stop();
  });

  describe('when a sync is requested', () => {
    it('runs the sync processor and records the run', async () => {
      kit.shop.orders.push('A', 'B');
      const finished = nextFinal(runner);
      expect(await runner.requestSync(channelId, 'manual')).toEqual({ jobId: `sync-${channelId}`, queued: true });
      expect((await finished).outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, created: 2 } });
      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run).toMatchObject({ status: 'succeeded', created: 2, trigger: 'manual' });
      expect(await testDb.db.prisma.order.count()).toBe(2);
    });

    it('does not queue a second sync while one runs', async () => {
      kit.shop.orders.push('A');
      let open!: () => void;
      kit.shop.gate = new Promise<void>((resolve) => (open = resolve));
      const entered = new Promise<void>((resolve) => (kit.shop.entered = resolve));
      const finished = nextFinal(runner);
      expect((await runner.requestSync(channelId, 'manual')).queued).toBe(true);
      await entered;
      expect(await runner.requestSync(channelId, 'schedule')).toEqual({ jobId: `sync-${channelId}`, queued: false });
      open();
      await finished;
      expect(kit.shop.pulls).toBe(1);
      expect(await testDb.db.prisma.syncRun.count()).toBe(1);
      // Once it is over, a new request runs again.
      const again = nextFinal(runner);
      expect((await runner.requestSync(channelId, 'manual')).queued).toBe(true);
      expect((await again).outcome).toMatchObject({ status: 'succeeded', counts: { pages: 0 } });
    });
  });

  describe('when the sync fails', () => {
    it('does not retry a permanent failure', async () => {
      kit.shop.failures.push(new ConnectorError('upstream_rejected', 'WooCommerce answered 400'));
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      const event = await finished;
      expect(event).toMatchObject({ attempt: 1, final: true, error: { code: 'upstream_rejected', permanent: true } });
      expect(kit.shop.pulls).toBe(1);
      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      expect(run).toMatchObject({ status: 'failed', errorCode: 'upstream_rejected' });
    });

    it('retries a transient failure with backoff', async () => {
      kit.shop.orders.push('A');
      kit.shop.failures.push(new ConnectorError('upstream_unavailable', 'timeout'));
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      const event = await finished;
      expect(event).toMatchObject({ attempt: 2, outcome: { status: 'succeeded' } });
      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
      expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    });

    it('retries a run whose every page failed, like any failed run', async () => {
      kit.shop.orders.push('A');
      kit.shop.brokenPulls = 1;
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      const event = await finished;
      expect(event).toMatchObject({ attempt: 2, outcome: { status: 'succeeded', counts: { created: 1 } } });
      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
      expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
      expect(runs[0]).toMatchObject({ errorCode: 'invalid_data', errors: [{ page: 1, source: 'memory://fake/broken', code: 'invalid_data', message: 'not JSON' }] });
    });

    it('gives up after the last attempt', async () => {
      kit.shop.failures.push(...[1, 2, 3].map(() => new ConnectorError('upstream_unavailable', 'down')));
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      expect(await finished).toMatchObject({ attempt: 3, final: true, error: { code: 'upstream_unavailable', permanent: false } });
      expect(await testDb.db.prisma.syncRun.count({ where: { status: 'failed' } })).toBe(3);
    });

    it('reports a channel with a config its connector no longer accepts as a permanent failure', async () => {
      await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { config: { token: '' } } });
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      expect(await finished).toMatchObject({ attempt: 1, error: { code: 'invalid_data', permanent: true } });
      expect(kit.shop.pulls).toBe(0);
    });
  });

  describe('when channels are scheduled', () => {
    it('runs each enabled channel on its cron and stops with the runner', async () => {
      kit.shop.orders.push('A');
      await channels.update(channelId, { syncSchedule: '* * * * * *' });
      await channels.create({ name: 'Disabled shop', connectorType: 'fake', config: { token: 't' }, enabled: false, syncSchedule: '* * * * * *' });
      const scheduled = new InProcessRunner({ ctx, retry: { attempts: 1, backoffMs: 10 } });
      const finished = nextFinal(scheduled);
      await scheduled.start();
      const event = await finished;
      await scheduled.stop();
      expect(event).toMatchObject({ channelId, trigger: 'schedule', outcome: { status: 'succeeded' } });
      const runs = await testDb.db.prisma.syncRun.findMany({ include: { channel: true } });
      expect(new Set(runs.map((r) => r.channel.name))).toEqual(new Set(['Fake shop']));
      expect(await scheduled.requestSync(channelId, 'manual')).toMatchObject({ queued: false });
    });
  });
  describe('when channels are created and changed', () => {
    it('sets, replaces and stops the channel’s cron task', async () => {
      const scheduled = new InProcessRunner({ ctx, retry: { attempts: 1, backoffMs: 10 } });
      try {
        await scheduled.start();
        expect(scheduled.scheduledChannels()).toEqual(new Map([[channelId, '*/5 * * * *']]));
        expect(scheduled.sweepScheduled).toBe(true);
        expect(scheduled.distributionTickScheduled).toBe(true);

        const added = await channels.create({ name: 'Second shop', connectorType: 'fake', config: { token: 't' }, syncSchedule: '*/10 * * * *' });
        expect(scheduled.scheduledChannels().has(added.id)).toBe(false);
        await scheduled.channelChanged(added.id);
        expect(scheduled.scheduledChannels().get(added.id)).toBe('*/10 * * * *');

        await channels.update(added.id, { syncSchedule: '0 * * * *' });
        await scheduled.channelChanged(added.id);
        expect(scheduled.scheduledChannels().get(added.id)).toBe('0 * * * *');

        await channels.update(added.id, { enabled: false });
        await scheduled.channelChanged(added.id);
        expect(scheduled.scheduledChannels().has(added.id)).toBe(false);
        expect(scheduled.scheduledChannels().get(channelId)).toBe('*/5 * * * *');
      } finally {
        await scheduled.stop();
      }
    });

    it('starts with a channel whose stored cron is invalid: logs it and schedules the others', async () => {
      const bad = await channels.create({ name: 'Bad cron shop', connectorType: 'fake', config: { token: 't' } });
      await testDb.db.prisma.channel.update({ where: { id: bad.id }, data: { syncSchedule: 'every now and then' } });
      const logged: string[] = [];
      const scheduled = new InProcessRunner({ ctx: { ...ctx, logger: { info() {}, warn() {}, error: (_d, message) => logged.push(message ?? '') } } });
      try {
        await expect(scheduled.start()).resolves.toBeUndefined();
        expect(scheduled.scheduledChannels()).toEqual(new Map([[channelId, '*/5 * * * *']]));
        expect(logged.some((m) => m.includes('Bad cron shop') && m.includes('every now and then'))).toBe(true);
      } finally {
        await scheduled.stop();
      }
    });
  });

  describe('when the channel is disabled', () => {
    it('skips the sync with the reason', async () => {
      await channels.update(channelId, { enabled: false });
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      expect((await finished).outcome).toEqual({ status: 'skipped', reason: 'disabled', channelId });
      expect(kit.shop.pulls).toBe(0);
    });
  });

  describe('when another process syncs the channel', () => {
    it('keeps one follow-up and runs it once the other sync is over', async () => {
      kit.shop.orders.push('A');
      let open!: () => void;
      kit.shop.gate = new Promise<void>((resolve) => (open = resolve));
      const entered = new Promise<void>((resolve) => (kit.shop.entered = resolve));
      // `hub channels sync` in the foreground holds the channel's lease.
      const foreground = syncChannel({ ...ctx, workerId: 'cli' }, channelId, 'manual');
      await entered;
      kit.shop.gate = undefined;

      const skipped = nextEvent(runner, (e) => e.outcome?.status === 'skipped');
      const succeeded = nextEvent(runner, (e) => e.outcome?.status === 'succeeded');
      expect((await runner.requestSync(channelId, 'manual')).queued).toBe(true);
      expect((await skipped).outcome).toMatchObject({ status: 'skipped', reason: 'already running' });
      // One pending follow-up: asking again meanwhile queues nothing more.
      expect((await runner.requestSync(channelId, 'schedule')).queued).toBe(false);

      kit.shop.orders.push('B'); // arrives while the foreground sync still runs
      open();
      expect(await foreground).toMatchObject({ status: 'succeeded' });
      expect(await succeeded).toMatchObject({ trigger: 'manual', outcome: { status: 'succeeded' } });
      await runner.whenIdle(channelId);
      expect(await testDb.db.prisma.order.count()).toBe(2);
      expect(await testDb.db.prisma.syncRun.count({ where: { status: 'succeeded' } })).toBe(2);
    });
  });

  describe('when the runner stops during a sync', () => {
    it('interrupts it between pages, records the run as interrupted, releases the lease, and the next start resumes it: every order once', async () => {
      kit.shop.orders.push('A', 'B', 'C');
      let next!: () => void;
      kit.shop.afterFirstPage = new Promise<void>((resolve) => (next = resolve));
      const between = new Promise<void>((resolve) => (kit.shop.betweenPages = resolve));
      const finished = nextFinal(runner);
      await runner.requestSync(channelId, 'manual');
      await between;
      const stopped = runner.stop();
      next();
      await stopped;
      expect(await finished).toMatchObject({ final: true, error: { code: 'upstream_unavailable', permanent: false } });

      const run = await testDb.db.prisma.syncRun.findFirstOrThrow({ where: { channelId } });
      // Recorded as interrupted (not as an outage of the shop); the job runner still sees a retryable error.
      expect(run).toMatchObject({ status: 'failed', errorCode: 'interrupted', pages: 1, created: 1 });
      expect(run.error).toContain('interrupted; will run again');
      expect(run.finishedAt).not.toBeNull();
      const channel = await testDb.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(channel.syncLeaseOwner).toBeNull();
      expect(channel.syncState).toEqual({ cursor: 1 });
      expect(await testDb.db.prisma.order.count()).toBe(1);

      // The next release starts (a deploy): it resumes the interrupted channel at once, from its cursor.
      kit.shop.afterFirstPage = undefined;
      const nextRelease = new InProcessRunner({ ctx, schedules: true, distributionTimer: false });
      try {
        await nextRelease.start();
        await nextRelease.whenIdle(channelId);
      } finally {
        await nextRelease.stop();
      }
      const runs = await testDb.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
      expect(runs.map((r) => [r.status, r.errorCode, r.pages])).toEqual([
        ['failed', 'interrupted', 1],
        ['succeeded', null, 2],
      ]);
      const orders = await testDb.db.prisma.order.findMany({ select: { externalId: true } });
      expect(orders.map((o) => o.externalId).sort()).toEqual(['A', 'B', 'C']);
    });
  });
});
