import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { BullmqRunner } from '../../jobs/runtime/bullmq-runner.ts';
import { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { DistributionAdvancedEvent, JobRunner, ProcessorContext } from '../../jobs/runtime/types.ts';
import { createTestPglite, createTestPostgres, REDIS_TEST_URL, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * The due-time timer with real runners: an order whose deadline passes goes to the fallback at
 * the deadline, with no minute tick (the runners run without schedules). Nothing sleeps: the
 * orders are decided "59.7 seconds ago" with a one-minute window, so their deadline is a moment
 * away in real time, and the test awaits the advance the runner reports.
 */

const WINDOW_MS = 60_000;

interface World {
  t: TestDatabase;
  ctx: ProcessorContext;
  channelId: string;
}

async function createWorld(t: TestDatabase): Promise<World> {
  await new RegionService(t.db).load([
    { code: 'RU', name: 'Russia', level: 'country' },
    { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
    { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
  ]);
  await t.db.prisma.product.create({ data: { sku: 'TM-SKU', name: 'Tile', productLine: 'TM-LINE' } });
  await new DealerService(t.db).load([
    { code: 'TM-A', name: 'Dealer A', mainRegion: 'RU-MOW', authorised: true, productLines: ['TM-LINE'] },
    { code: 'TM-DEPT', name: 'Distribution department', mainRegion: 'RU-SPE', authorised: true },
  ]);
  const channelId = (await t.db.prisma.channel.create({ data: { name: 'Webshop', kind: 'webshop', connectorType: 'woocommerce' } })).id;
  await new DistributionService(t.db).configs.save({ settings: { fallbackDealer: 'TM-DEPT' }, tiers: [{ kind: 'taxi', windowMinutes: 1, scope: 'region' }] }, 'test');
  return { t, ctx: { db: t.db, registry: new ConnectorRegistry([]) }, channelId };
}

/** An order decided so that its deadline (`windowMs` after the decision) is `inMs` from now (real time). Returns its id and deadline. */
async function offerEndingIn(w: World, externalId: string, inMs: number, windowMs = WINDOW_MS): Promise<{ orderId: string; deadline: Date }> {
  const [stored] = await ingestOrders(w.t.db, {
    channelId: w.channelId,
    drafts: [orderDraft(`TM-${externalId}`, { region: 'RU-MOW', currency: 'RUB', lines: [{ kind: 'product', sku: 'TM-SKU', name: 'Tile', quantity: '1', unitPrice: '10.00', subtotal: '10.00', discount: '0', tax: '0', total: '10.00', attributes: {} }] })],
  });
  const decidedAt = new Date(Date.now() + inMs - windowMs);
  const outcome = await new DistributionService(w.t.db, { clock: () => decidedAt }).distribute(stored!.orderId!);
  expect(outcome).toMatchObject({ status: 'offering' });
  return { orderId: stored!.orderId!, deadline: new Date(decidedAt.getTime() + windowMs) };
}

function nextAdvance(runner: JobRunner, predicate: (e: DistributionAdvancedEvent) => boolean = () => true): Promise<DistributionAdvancedEvent> {
  return new Promise((resolve) => {
    const off = runner.onDistributionAdvanced((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}

async function distributionOf(w: World, orderId: string) {
  const [row] = await w.t.db.query<{ status: string; dealer: string | null; assigned_via: string | null; due_at: Date | null }>(
    `SELECT d.status, dl.code AS dealer, d.assigned_via, d.due_at FROM order_distribution d LEFT JOIN dealer dl ON dl.id = d.dealer_id WHERE d.order_id = $1`,
    [orderId],
  );
  return row!;
}

const runtimes = [
  {
    name: 'in-process runner on PGlite',
    database: createTestPglite,
    runner: (ctx: ProcessorContext) => new InProcessRunner({ ctx, schedules: false, distributionTimer: true }),
    cleanup: async () => {},
  },
  {
    name: 'in-process runner on PostgreSQL',
    database: () => createTestPostgres(),
    runner: (ctx: ProcessorContext) => new InProcessRunner({ ctx, schedules: false, distributionTimer: true }),
    cleanup: async () => {},
  },
  {
    name: 'BullMQ runner on PostgreSQL and Redis',
    database: () => createTestPostgres(),
    runner: (ctx: ProcessorContext) => new BullmqRunner({ ctx, redisUrl: REDIS_TEST_URL, prefix: `orderhub-test-${randomBytes(5).toString('hex')}`, workers: true, schedules: false, distributionTimer: true }),
    cleanup: async (runner: JobRunner) => {
      await (runner as BullmqRunner).payloadQueue.obliterate({ force: true }).catch(() => undefined);
    },
  },
] as const;

for (const runtime of runtimes) {
  describe(`distribution at its due moments: ${runtime.name}`, () => {
    let w: World;
    let runner: (InProcessRunner | BullmqRunner) | undefined;

    beforeEach(async () => {
      w = await createWorld(await runtime.database());
    });

    afterEach(async () => {
      if (runner) {
        await runtime.cleanup(runner);
        await runner.stop();
        runner = undefined;
      }
      await w.t.drop();
    });

    it('hands an order nobody took to the fallback at its deadline, without a minute tick', async () => {
      runner = runtime.runner(w.ctx);
      await runner.start();
      expect(runner.distributionDueAt).toBeNull();

      // Deciding the order tells the runner its moments moved: it arms for the deadline.
      const advanced = nextAdvance(runner, (e) => e.report.fellBack > 0);
      const { orderId } = await offerEndingIn(w, '1', 300);
      const event = await advanced;
      expect(event).toMatchObject({ trigger: 'due', report: { fellBack: 1 } });
      const after = await distributionOf(w, orderId);
      expect(after).toMatchObject({ status: 'assigned', dealer: 'TM-DEPT', assigned_via: 'fallback' });
      // Armed again from the rows: the fulfilment term is the next thing due.
      expect(runner.distributionDueAt).toEqual(new Date(new Date(after.due_at!).getTime() + 1));
    });

    it("tells the next tier's dealers at the moment their offers become visible", async () => {
      await new DealerService(w.t.db).load([{ code: 'TM-TOP', name: 'Top dealer', mainRegion: 'RU-MOW', authorised: true, productLines: ['TM-LINE'] }]);
      await new DealerService(w.t.db).adjustPoints('TM-TOP', { delta: 150, note: 'rated' }, 'test');
      await new DistributionService(w.t.db).configs.save(
        { settings: { fallbackDealer: 'TM-DEPT' }, tiers: [{ kind: 'rating', windowMinutes: 1, minPoints: 100 }, { kind: 'taxi', windowMinutes: 60, scope: 'region' }] },
        'test',
      );
      runner = runtime.runner(w.ctx);
      await runner.start();
      const advanced = nextAdvance(runner, (e) => e.report.notified > 0);
      // Decided 59.7 s ago: the rating tier closes a moment from now; then the taxi tier's dealer sees the order.
      const { orderId } = await offerEndingIn(w, '1', 60 * WINDOW_MS + 300, 61 * WINDOW_MS);
      expect(await advanced).toMatchObject({ trigger: 'due', report: { notified: 1, fellBack: 0 } });
      const [notice] = await w.t.db.query<{ code: string }>(
        `SELECT d.code FROM notification n JOIN dealer d ON d.id = n.dealer_id WHERE n.order_id = $1 AND n.kind = 'offered' AND d.code = 'TM-A'`,
        [orderId],
      );
      expect(notice).toEqual({ code: 'TM-A' });
      expect(await distributionOf(w, orderId)).toMatchObject({ status: 'offering' });
    });

    it('arms from the rows when it starts (a restart loses no deadline), for the earliest moment only', async () => {
      const later = await offerEndingIn(w, '1', 3_600_000);
      const sooner = await offerEndingIn(w, '2', 300);
      runner = runtime.runner(w.ctx);
      const advanced = nextAdvance(runner, (e) => e.report.fellBack > 0);
      await runner.start();
      expect(runner.distributionDueAt).toEqual(sooner.deadline);

      expect(await advanced).toMatchObject({ trigger: 'due', report: { fellBack: 1 } });
      expect(await distributionOf(w, sooner.orderId)).toMatchObject({ status: 'assigned', dealer: 'TM-DEPT', assigned_via: 'fallback' });
      expect(await distributionOf(w, later.orderId)).toMatchObject({ status: 'offering' });
      expect(runner.distributionDueAt).toEqual(later.deadline);
    });
  });
}
