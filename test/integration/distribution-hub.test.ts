import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { ADMIN_SCOPE, dealerScope } from '../../core/dealers/dealer-scope.ts';
import { DistributionConfigs } from '../../core/distribution/distribution-configs.ts';
import { DistributionQueries } from '../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { whatIf } from '../../core/distribution/what-if.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { advanceDistributions } from '../../jobs/processors/distribution.ts';
import { createTestPglite, type TestDatabase } from '../helpers/databases.ts';

/**
 * Distribution as the hub runs it: orders recorded through the hub's actions (the same processors
 * every channel's intake goes through) reach dealers without anyone calling the distribution
 * service, and the what-if replay reads the history without changing a row.
 */
describe('distribution inside the hub (embedded database)', () => {
  let t: TestDatabase;
  let hub: Hub;
  let desk: string;

  const order = (externalId: string, region: string, sku = 'PANEL-1', placedAt?: string) => ({
    operator: 'anna',
    via: 'phone' as const,
    externalId,
    region,
    ...(placedAt && { placedAt }),
    customer: { name: 'Roman', phone: '+7 900 000 00 00' },
    currency: 'RUB',
    lines: [{ sku, name: 'Acrylic panel, light oak', quantity: '40', unitPrice: '223' }],
  });

  beforeAll(async () => {
    t = await createTestPglite();
    hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
    await new RegionService(t.db).load([
      { code: 'RU', name: 'Russia', level: 'country' },
      { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
      { code: 'RU-ARK', name: 'Arkhangelsk', level: 'region', parentCode: 'RU' },
      { code: 'HQ', name: 'Manufacturer', level: 'office' },
    ]);
    await t.db.prisma.product.create({ data: { sku: 'PANEL-1', name: 'Acrylic panel', productLine: 'Canada+' } });
    await new DealerService(t.db).load([
      { code: 'ALFA', name: 'Alfa-innovate', mainRegion: 'RU-MOW', authorised: true, wholeRange: true },
      { code: 'SB', name: 'SB-Motor', mainRegion: 'RU-MOW', authorised: true, productLines: ['Canada+'] },
      { code: 'NORD', name: 'Nord', mainRegion: 'RU-ARK', authorised: true, wholeRange: true },
      { code: 'DEPT', name: 'Order distribution department', mainRegion: 'HQ', authorised: true, wholeRange: true },
    ]);
    desk = (await hub.channels.create({ name: 'Sales desk', connectorType: 'manual', config: {} })).id;
  });

  afterAll(async () => {
    await hub?.close();
    await t?.drop();
  });

  it('leaves orders alone while no strategy configuration is saved', async () => {
    const receipt = await hub.actions.recordManualOrder(desk, order('CALL-0', 'RU-MOW'));
    expect(await t.db.prisma.orderDistribution.findUnique({ where: { orderId: receipt.orderId } })).toBeNull();
  });

  it('offers an order recorded on the desk to the dealers of its region as soon as it is stored', async () => {
    await new DistributionConfigs(t.db).save(
      { settings: { fallbackDealer: 'DEPT' }, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] },
      'admin',
    );
    const receipt = await hub.actions.recordManualOrder(desk, order('CALL-1', 'RU-MOW'));
    const offers = await t.db.prisma.dealerOffer.findMany({ where: { orderId: receipt.orderId }, include: { dealer: true } });
    expect(offers.map((o) => o.dealer.code).sort()).toEqual(['ALFA', 'SB']);

    const queries = new DistributionQueries(t.db);
    const seen = await queries.listOrders(dealerScope('SB'), { view: 'offered' });
    expect(seen.orders.map((o) => o.orderId)).toContain(receipt.orderId);
    expect((await queries.listOrders(dealerScope('NORD'), { view: 'offered' })).orders).toEqual([]);
    // The manufacturer's stock check ran first (nothing in stock here); the trace shows it to whoever reads the decision.
    expect((await queries.details(ADMIN_SCOPE, receipt.orderId)).trace?.order.stockCheck).toBe('unavailable');
  });

  it('withdraws the offers when the order is changed into another region, and offers it there', async () => {
    const first = await hub.actions.recordManualOrder(desk, order('CALL-2', 'RU-MOW'));
    const changed = await hub.actions.recordManualOrder(desk, order('CALL-2', 'RU-ARK'));
    expect(changed).toMatchObject({ orderId: first.orderId, outcome: 'updated', version: 2 });
    const offers = await t.db.prisma.dealerOffer.findMany({ where: { orderId: first.orderId }, include: { dealer: true }, orderBy: [{ round: 'asc' }] });
    expect(offers.map((o) => [o.round, o.dealer.code, o.status])).toEqual([
      [1, 'ALFA', 'withdrawn'],
      [1, 'SB', 'withdrawn'],
      [2, 'NORD', 'open'],
    ]);
  });

  it('the minute’s tick hands an order nobody took to the fallback dealer when its window has passed', async () => {
    const receipt = await hub.actions.recordManualOrder(desk, order('CALL-3', 'RU-MOW'));
    // The tick at the real time does nothing to an order whose hour has not passed.
    await advanceDistributions(hub.context);
    expect((await t.db.prisma.orderDistribution.findUniqueOrThrow({ where: { orderId: receipt.orderId } })).status).toBe('offering');
    const later = new DistributionService(t.db, { clock: () => new Date(Date.now() + 61 * 60_000) });
    const report = await later.advance();
    expect(report.fellBack).toBeGreaterThanOrEqual(1);
    const dist = await t.db.prisma.orderDistribution.findUniqueOrThrow({ where: { orderId: receipt.orderId }, include: { dealer: true } });
    expect([dist.status, dist.assignedVia, dist.dealer?.code]).toEqual(['assigned', 'fallback', 'DEPT']);
  });

  it('what-if replays another configuration over the same orders without changing anything', async () => {
    const taken = await hub.actions.recordManualOrder(desk, order('CALL-4', 'RU-MOW'));
    // ALFA takes it ten minutes after it became visible.
    await new DistributionService(t.db, { clock: () => new Date(Date.now() + 10 * 60_000) }).take(dealerScope('ALFA'), taken.orderId);
    const [takenEvent] = await t.db.prisma.distributionEvent.findMany({ where: { orderId: taken.orderId, kind: 'taken' } });
    const recorded = (takenEvent!.detail as { secondsToTake: number }).secondsToTake;
    expect(recorded).toBeGreaterThanOrEqual(600);
    const tables = ['order_distribution', 'dealer_offer', 'distribution_event', 'notification', 'dealer', 'dealer_points_change', 'distribution_config'];
    const snapshot = async () => Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await t.db.query(`SELECT * FROM ${table} ORDER BY 1`)])));
    const before = await snapshot();

    const report = await whatIf(t.db, {
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      config: { settings: { fallbackDealer: 'DEPT' }, tiers: [{ kind: 'fixed', windowMinutes: 30, rules: [{ dealer: 'SB', match: { regions: ['RU-MOW'] } }] }] },
    });
    expect(await snapshot()).toEqual(before);

    // CALL-0 .. CALL-4: four Moscow orders and the one moved to Arkhangelsk.
    expect(report.orders).toBe(5);
    const sb = report.byDealer.find((d) => d.dealer === 'SB')!;
    expect(sb.offered).toBe(4);
    const alfa = report.byDealer.find((d) => d.dealer === 'ALFA');
    expect(alfa?.actuallyGot).toBe(1);
    expect(alfa?.wouldGet ?? 0).toBe(0);
    // Nobody has an acceptance history but ALFA (one take): SB is modelled with the network's average.
    expect(report.byTier).toEqual([expect.objectContaining({ kind: 'fixed', orders: 4 })]);
    expect(report.sample.find((s) => s.orderId === taken.orderId)).toMatchObject({ actualDealer: 'ALFA', actualVia: 'take', actualSecondsToTake: recorded });
    // Take time is the dealer record's (seconds from visible, as the taken event says); the wait is the order's, from distribution start.
    expect(report.secondsToTake.actual).toEqual({ count: 1, average: recorded, median: recorded, p90: recorded });
    // SB has no history: it is modelled taking after the network's average, i.e. ALFA's one take, from when its offer became visible.
    expect(report.secondsToTake.simulated).toMatchObject({ count: 4, average: recorded });
    expect(report.minutesToAssignment.simulated).toMatchObject({ count: 4, average: Math.round(recorded / 6) / 10 });
    expect(report.minutesToAssignment.actual).toMatchObject({ count: 1, average: 10 });
  });

  it('what-if hands an order to the fallback when the offered dealer is too slow for the window, and skips cancelled orders', async () => {
    // SB takes an hour on average; a 30-minute window closes before it would.
    await t.db.query(`UPDATE dealer SET takes_count = 2, take_seconds_total = 7200 WHERE code = 'SB'`);
    const cancelled = await hub.actions.recordManualOrder(desk, order('CALL-5', 'RU-MOW'));
    await t.db.query(`UPDATE "order" SET status = 'cancelled' WHERE id = $1`, [cancelled.orderId]);
    const report = await whatIf(t.db, {
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      config: { settings: { fallbackDealer: 'DEPT' }, tiers: [{ kind: 'fixed', windowMinutes: 30, rules: [{ dealer: 'SB', match: { regions: ['RU-MOW'] } }] }] },
    });
    expect(report.notDistributed).toBe(1);
    expect(report.outcomes).toMatchObject({ offered: 4, fellBackAfterOffers: 4 });
    expect(report.byDealer.find((d) => d.dealer === 'DEPT')).toMatchObject({ wouldGet: 5 });
    expect(report.byDealer.find((d) => d.dealer === 'SB')).toMatchObject({ offered: 4, wouldGet: 0 });
    expect(report.minutesToAssignment.simulated).toBeNull();
    expect(report.secondsToTake.simulated).toBeNull();
  });

  it('refuses a dealer’s own purchase that breaks exclusivity line by line, recording nothing of it', async () => {
    const rules = new ExclusivityService(t.db);
    const rule = await rules.create({ scope: 'product_line', value: 'Canada+', regionCode: 'RU-MOW', dealerCodes: ['ALFA'], externalId: 'EX-CANADA' });
    const payloads = async () => Number((await t.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM raw_payload`))[0]!.n);
    const before = await payloads();
    // NORD is registered in Arkhangelsk: buying Canada+ for delivery into Moscow breaks ALFA's exclusivity there.
    await expect(hub.actions.recordManualOrder(desk, { ...order('BUY-1', 'RU-MOW'), dealerCode: 'NORD' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Dealer NORD may not buy line 1 under regional exclusivity: PANEL-1: product line "Canada+" is exclusive in RU-MOW to dealer ALFA'),
      details: { reason: 'exclusivity', dealerCode: 'NORD', regionCodes: ['RU-ARK', 'RU-MOW'], lines: [expect.objectContaining({ index: 0, sku: 'PANEL-1', allowed: false })] },
    });
    expect(await payloads()).toBe(before);
    expect(await t.db.prisma.order.count({ where: { externalId: 'BUY-1' } })).toBe(0);
    // SB is registered in Moscow: not a partner, refused even without a delivery region.
    await expect(hub.actions.recordManualOrder(desk, { ...order('BUY-2', ''), dealerCode: 'SB' })).rejects.toMatchObject({ code: 'conflict' });

    expect((await hub.actions.recordManualOrder(desk, { ...order('BUY-3', 'RU-MOW'), dealerCode: 'ALFA' })).outcome).toBe('created');
    expect((await hub.actions.recordManualOrder(desk, { ...order('BUY-4', 'RU-ARK'), dealerCode: 'NORD' })).outcome).toBe('created');
    await rules.delete(rule.id);
  });
});
