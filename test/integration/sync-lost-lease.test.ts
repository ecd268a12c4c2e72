import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition, PulledPage } from '../../connectors/_kit/definition.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { JobRunner, ProcessorContext, SyncFinishedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * A sync whose lease is taken from it between two pages (a worker that stalled past its lease, and
 * another that took the channel). Both job runners run the same processor, so they must agree: a
 * live holder keeps the channel (nothing more to do); a holder that is gone leaves a channel nobody
 * syncs, so the sync runs again soon, from the stored cursor, without waiting for the cron.
 */

const PAGES = [['L1', 'L2'], ['L3', 'L4'], ['L5', 'L6']];

/** Three pages of two orders after a cursor; `beforePage` runs before a page is handed over (the first pull only). */
function steppedShop() {
  const shop = { pulls: 0, beforePage: undefined as ((page: number) => Promise<void>) | undefined };
  const connector: ConnectorDefinition<{ token: string }, { cursor?: number }> = {
    type: 'stepped',
    title: 'Stepped shop',
    channelKind: 'webshop',
    spec: Type.Object({ token: Type.String({ minLength: 1 }) }),
    secretFields: ['token'],
    check: async () => ({ ok: true, message: 'reachable' }),
    async *pull(_config, state) {
      const pull = ++shop.pulls;
      for (let page = (state?.cursor ?? 0) + 1; page <= PAGES.length; page++) {
        if (pull === 1) await shop.beforePage?.(page);
        const ids = PAGES[page - 1]!;
        yield { source: `memory://stepped/orders?page=${page}`, contentType: 'application/json', body: JSON.stringify(ids), page, state: { cursor: page } } satisfies PulledPage<{ cursor?: number }>;
      }
    },
  };
  const mapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map: (payload) => ({ orders: (JSON.parse(payload.body) as string[]).map((id) => orderDraft(id)), errors: [] }),
  };
  return { shop, registry: new ConnectorRegistry([{ connector, mapping }]) };
}

function finalEvent(runner: JobRunner, events: SyncFinishedEvent[]): Promise<SyncFinishedEvent> {
  return new Promise((resolve) => {
    const off = runner.onSyncFinished((event) => {
      events.push(event);
      if (event.final) {
        off();
        resolve(event);
      }
    });
  });
}

describe('when a sync loses its lease mid-pull', () => {
  let t: TestDatabase;
  let kit: ReturnType<typeof steppedShop>;
  let ctx: ProcessorContext;
  let channelId: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    t = await createTestPostgres();
    kit = steppedShop();
    ctx = { db: t.db, registry: kit.registry, leaseTtlMs: 30_000 };
    channelId = (await new ChannelService(t.db, kit.registry).create({ name: 'Stepped shop', connectorType: 'stepped', config: { token: 't' } })).id;
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await t.drop();
  });

  /** Before page 2 (page 1 stored, its cursor saved), another holder writes the lease: live for an hour, or already gone. */
  function stealBeforePage2(holder: 'live' | 'gone'): void {
    kit.shop.beforePage = async (page) => {
      if (page !== 2) return;
      const until = holder === 'live' ? `now() + interval '1 hour'` : `now() - interval '1 second'`;
      await t.db.query(`UPDATE channel SET sync_lease_owner = 'other-host/9/x', sync_lease_until = ${until} WHERE id = $1`, [channelId]);
    };
  }

  async function expectSyncedAgain(events: SyncFinishedEvent[]): Promise<void> {
    // The attempt that lost the lease failed retryably; the next one finished the pull from page 2.
    expect(events.map((e) => e.outcome?.status ?? e.error?.code)).toEqual(['upstream_unavailable', 'succeeded']);
    expect(events[0]).toMatchObject({ final: false });
    const runs = await t.db.prisma.syncRun.findMany({ where: { channelId }, orderBy: { startedAt: 'asc' } });
    expect(runs.map((r) => [r.status, r.errorCode])).toEqual([['failed', 'conflict'], ['succeeded', null]]);
    expect(kit.shop.pulls).toBe(2);
    // Every order once, each in its first version (page 2, read by both attempts, changed nothing the second time).
    const orders = await t.db.prisma.order.findMany({ where: { channelId }, select: { externalId: true, version: true }, orderBy: { externalId: 'asc' } });
    expect(orders).toEqual(PAGES.flat().map((externalId) => ({ externalId, version: 1 })));
    const channel = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
    expect(channel.syncState).toEqual({ cursor: 3 });
    expect(channel.syncLeaseOwner).toBeNull();
  }

  describe('in-process', () => {
    function inProcess(): InProcessRunner {
      const runner = new InProcessRunner({ ctx, retry: { attempts: 3, backoffMs: 10 }, schedules: false, followUpDelayMs: 20 });
      cleanups.push(() => runner.stop());
      return runner;
    }

    it('syncs again from the stored cursor when the holder that took it is gone: every order once', async () => {
      stealBeforePage2('gone');
      const runner = inProcess();
      const events: SyncFinishedEvent[] = [];
      const done = finalEvent(runner, events);
      await runner.requestSync(channelId, 'manual');
      await done;
      await expectSyncedAgain(events);
    });

    it('leaves the channel to a live holder: conflict, and no second sync', async () => {
      stealBeforePage2('live');
      const runner = inProcess();
      const events: SyncFinishedEvent[] = [];
      const done = finalEvent(runner, events);
      await runner.requestSync(channelId, 'manual');
      expect(await done).toMatchObject({ final: true, error: { code: 'conflict', permanent: true } });
      await runner.whenIdle(channelId);
      expect(events).toHaveLength(1);
      expect(kit.shop.pulls).toBe(1);
      const runs = await t.db.prisma.syncRun.findMany({ where: { channelId } });
      expect(runs.map((r) => [r.status, r.errorCode])).toEqual([['failed', 'conflict']]);
      // The cursor stays where this sync's lease ended (page 1): the holder goes on from there.
      const channel = await t.db.prisma.channel.findUniqueOrThrow({ where: { id: channelId } });
      expect(channel).toMatchObject({ syncState: { cursor: 1 }, syncLeaseOwner: 'other-host/9/x' });
    });
  });

  describe('on BullMQ (shared Redis, a queue prefix of its own)', () => {
    function onBullmq(): BullmqRunner {
      const prefix = `orderhub-test-${randomBytes(5).toString('hex')}`;
      const runner = new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix, workers: true, schedules: false, retry: { attempts: 3, backoffMs: 20 }, followUpDelayMs: 30 });
      cleanups.push(async () => {
        await runner.stop();
        const cleanup = new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix, workers: false, schedules: false });
        await cleanup.queue.obliterate({ force: true });
        await cleanup.stop();
      });
      return runner;
    }

    it('syncs again from the stored cursor when the holder that took it is gone: every order once', async () => {
      stealBeforePage2('gone');
      const runner = onBullmq();
      await runner.start();
      const events: SyncFinishedEvent[] = [];
      const done = finalEvent(runner, events);
      await runner.requestSync(channelId, 'manual');
      await done;
      await expectSyncedAgain(events);
    });
  });
});
