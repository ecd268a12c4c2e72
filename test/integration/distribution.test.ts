import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../core/db/database.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { ADMIN_SCOPE, dealerScope } from '../../core/dealers/dealer-scope.ts';
import type { DecisionTrace, PlanInput } from '../../core/distribution/distribution-plan.ts';
import { DistributionQueries, type OrderView } from '../../core/distribution/distribution-queries.ts';
import { DistributionService } from '../../core/distribution/distribution-service.ts';
import { DefaultDistributionStrategy } from '../../core/distribution/distribution-strategy.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * The whole distribution flow on a real database: configuration, the decision written as offers
 * with their moments, what dealers see as an injected clock moves, take / decline / status changes,
 * and what advance() does when time passes. No sleeping: the clock is moved.
 *
 * Tests share one database per kind, so each works in its own "lab": its own product line, which
 * only its own dealers hold (every other dealer fails the assortment check and is never offered the
 * lab's orders, even by a nationwide tier), and saves its own configuration before distributing.
 * advance() acts on every order of the database, so its tests get a fresh database each.
 */

type Line = OrderDraft['lines'][number];

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The clock's starting point: a whole minute just before the real time (orders' created_at is the database's time). */
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const at = (ms: number) => new Date(T0 + ms).toISOString();

const REGIONS = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
  { code: 'RU-MOS', name: 'Moscow Oblast', level: 'region', parentCode: 'RU' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
];

const PHONE = '+7 495 123-45-67';

class TestClock {
  private ms = T0;
  readonly now = (): Date => new Date(this.ms);
  /** Sets the clock to T0 + offset. */
  set(offsetMs: number): void {
    this.ms = T0 + offsetMs;
  }
}

interface DealerSpec {
  name: string;
  region?: string;
  points?: number;
  /** Holds the lab's product line (default true); false fails the assortment check. */
  holdsLine?: boolean;
}

interface Lab {
  tag: string;
  sku: string;
  line: string;
  code(name: string): string;
}

interface World {
  t: TestDatabase;
  db: Database;
  clock: TestClock;
  service: DistributionService;
  queries: DistributionQueries;
  dealers: DealerService;
  channelId: string;
}

async function createWorld(t: TestDatabase): Promise<World> {
  await new RegionService(t.db).load(REGIONS);
  const channelId = (await t.db.prisma.channel.create({ data: { name: 'Webshop', kind: 'webshop', connectorType: 'woocommerce' } })).id;
  const clock = new TestClock();
  return {
    t,
    db: t.db,
    clock,
    service: new DistributionService(t.db, { clock: clock.now }),
    queries: new DistributionQueries(t.db, clock.now),
    dealers: new DealerService(t.db),
    channelId,
  };
}

/** A product line of the lab's own and its dealers (codes `${tag}-${name}`), authorised, in RU-MOW unless told. */
async function createLab(w: World, tag: string, dealers: DealerSpec[], products: { sku: string; line: string }[] = []): Promise<Lab> {
  const lab: Lab = { tag, sku: `${tag}-SKU`, line: `${tag}-LINE`, code: (name) => `${tag}-${name}` };
  await w.db.prisma.product.createMany({
    data: [{ sku: lab.sku, name: `${tag} tile`, productLine: lab.line, brand: 'Novus' }, ...products.map((p) => ({ sku: p.sku, name: p.sku, productLine: p.line, brand: 'Novus' }))],
  });
  if (dealers.length > 0) {
    await w.dealers.load(
      dealers.map((d) => ({
        code: lab.code(d.name),
        name: `Dealer ${d.name} of ${tag}`,
        mainRegion: d.region ?? 'RU-MOW',
        authorised: true,
        productLines: d.holdsLine === false ? [] : [lab.line],
      })),
    );
  }
  for (const d of dealers) if (d.points) await w.dealers.adjustPoints(lab.code(d.name), { delta: d.points, note: 'test rating' }, 'test');
  return lab;
}

function productLine(sku: string, quantity = '2'): Line {
  return { kind: 'product', sku, name: `Tile ${sku}`, quantity, unitPrice: '1000.00', subtotal: '2000.00', discount: '0', tax: '0', total: '2000.00', attributes: {} };
}

function draftFor(lab: Lab, externalId: string, overrides: Partial<OrderDraft> = {}): OrderDraft {
  return orderDraft(`${lab.tag}-${externalId}`, {
    region: 'RU-MOW',
    currency: 'RUB',
    customer: { name: 'Ivanova Olga', phone: PHONE, email: 'olga@example.ru' },
    billingAddress: { name: 'Ivanova Olga', city: 'Moscow', postcode: '101000', country: 'RU' },
    lines: [productLine(lab.sku)],
    ...overrides,
  });
}

/** Stores the order through intake (as a channel sync would); distribution is the caller's next step. */
async function placeOrder(w: World, lab: Lab, externalId: string, overrides: Partial<OrderDraft> = {}): Promise<string> {
  const [result] = await ingestOrders(w.db, { channelId: w.channelId, drafts: [draftFor(lab, externalId, overrides)] });
  if (!result?.orderId) throw new Error(`order not stored: ${JSON.stringify(result)}`);
  return result.orderId;
}

async function saveConfig(w: World, tiers: unknown[], settings: Record<string, unknown> = {}): Promise<number> {
  return (await w.service.configs.save({ settings, tiers }, 'test')).version;
}

/** Order ids a dealer's view lists now. */
async function listed(w: World, code: string, view: OrderView): Promise<string[]> {
  return (await w.queries.listOrders(dealerScope(code), { view })).orders.map((o) => o.orderId);
}

async function offersOf(w: World, orderId: string) {
  return (await w.queries.details(ADMIN_SCOPE, orderId)).offers;
}

async function eventKinds(w: World, orderId: string): Promise<string[]> {
  return (await w.queries.details(ADMIN_SCOPE, orderId)).events.map((e) => e.kind);
}

async function notificationsFor(w: World, code: string | null, orderId: string): Promise<string[]> {
  const scope = code === null ? ADMIN_SCOPE : dealerScope(code);
  return (await w.queries.notifications(scope, { limit: 1000 })).filter((n) => n.orderId === orderId).map((n) => n.kind);
}

async function pointsLedger(w: World, code: string) {
  return w.db.query<{ delta: number; balance: number; cause: string; order_id: string | null }>(
    `SELECT c.delta, c.balance, c.cause, c.order_id FROM dealer_points_change c JOIN dealer d ON d.id = c.dealer_id WHERE d.code = $1 AND c.cause <> 'manual' ORDER BY c.id`,
    [code],
  );
}

/** rating (100+ points, 5 min) → base (15 min delay for the priority dealer, 30 min) → taxi everywhere (60 min); a fixed tier first that this order does not match. */
function fourTiers(lab: Lab): unknown[] {
  return [
    { kind: 'fixed', windowMinutes: 10, rules: [{ dealer: lab.code('FAR'), match: { channelKinds: ['marketplace'] } }] },
    { kind: 'rating', windowMinutes: 5, minPoints: 100 },
    { kind: 'base', windowMinutes: 30, delayMinutes: 15, priorityDealers: [lab.code('PRIO')] },
    { kind: 'taxi', windowMinutes: 60, scope: 'everywhere' },
  ];
}

/** TOP is rated, PRIO is the base tier's priority dealer, BASE an ordinary one, FAR in another region, BARE does not hold the line. */
const FOUR_TIER_DEALERS: DealerSpec[] = [
  { name: 'TOP', points: 150 },
  { name: 'PRIO' },
  { name: 'BASE', points: 20 },
  { name: 'FAR', region: 'RU-SPE' },
  { name: 'BARE', holdsLine: false },
];

/** The database, but the first statement matching `pattern` waits for `work` to run first (a deterministic interleaving). */
function interleaved(db: Database, pattern: RegExp, work: () => Promise<unknown>): Database {
  let pending = true;
  return {
    ...db,
    query: async (sql, params) => {
      if (pending && pattern.test(sql)) {
        pending = false;
        await work();
      }
      return db.query(sql, params);
    },
  };
}

const taxiInRegion = (windowMinutes = 60) => [{ kind: 'taxi', windowMinutes, scope: 'region' }];

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`distribution on ${kind}`, () => {
    describe('when no strategy configuration has been saved', () => {
      let w: World;
      beforeAll(async () => {
        w = await createWorld(await createDatabase());
      });
      afterAll(() => w.t.drop());

      it('skips every order until a first configuration is saved, then distributes', async () => {
        const lab = await createLab(w, 'OFF', [{ name: 'A' }]);
        const orderId = await placeOrder(w, lab, '1');
        expect(await w.service.configs.active()).toBeUndefined();
        expect(await w.service.distribute(orderId)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('distribution is off') });
        expect(await w.service.distributeOrders([orderId])).toEqual([{ orderId, action: 'skipped', reason: 'distribution is off' }]);
        expect(await w.db.prisma.orderDistribution.count()).toBe(0);
        expect(await w.db.prisma.dealerOffer.count()).toBe(0);

        expect(await saveConfig(w, taxiInRegion())).toBe(1);
        expect(await w.service.distribute(orderId)).toMatchObject({ action: 'distributed', status: 'offering' });
        expect((await offersOf(w, orderId)).map((o) => o.dealer)).toEqual([lab.code('A')]);
      });

      it('refuses a configuration naming an unknown dealer, a delay as long as the window, or quotas over 100%, and saves nothing', async () => {
        const lab = await createLab(w, 'CFG', [{ name: 'A' }, { name: 'B' }]);
        const before = (await w.service.configs.list()).length;
        await expect(w.service.configs.save({ settings: { fallbackDealer: 'NOBODY' }, tiers: taxiInRegion() }, 'test')).rejects.toMatchObject({
          code: 'invalid_data',
          field: 'dealers',
          details: { missing: ['NOBODY'] },
        });
        await expect(
          w.service.configs.save({ settings: {}, tiers: [{ kind: 'base', windowMinutes: 15, delayMinutes: 15, priorityDealers: [lab.code('A')] }] }, 'test'),
        ).rejects.toMatchObject({ code: 'invalid_data', field: 'tiers.0.delayMinutes' });
        await expect(
          w.service.configs.save(
            {
              settings: {},
              tiers: [
                ...taxiInRegion(),
                { kind: 'base_plus', windowMinutes: 10, quotas: [{ dealer: lab.code('A'), unit: 'percent', limit: 60 }, { dealer: lab.code('B'), unit: 'percent', limit: 50 }] },
              ],
            },
            'test',
          ),
        ).rejects.toMatchObject({ code: 'invalid_data', field: 'tiers.1.quotas', message: expect.stringContaining('110%') });
        expect((await w.service.configs.list()).length).toBe(before);

        const first = await w.service.configs.save({ settings: { fallbackDealer: lab.code('A') }, tiers: taxiInRegion() }, 'test', 'with a fallback');
        const second = await w.service.configs.save({ settings: {}, tiers: taxiInRegion(30) }, 'test');
        expect(second.version).toBe(first.version + 1);
        expect((await w.service.configs.active())?.version).toBe(second.version);
        expect((await w.service.configs.get(first.version)).config.settings).toMatchObject({ fallbackDealer: lab.code('A'), fulfilmentDays: 14, pointsOnCompletion: 100 });
        expect((await w.service.configs.list()).map((c) => c.version).slice(0, 2)).toEqual([second.version, first.version]);
      });

      it('leaves out orders of channels that are not distributed to dealers', async () => {
        const lab = await createLab(w, 'EDI', [{ name: 'A' }]);
        await saveConfig(w, taxiInRegion());
        const edi = await w.db.prisma.channel.create({ data: { name: 'EDI partner', kind: 'edi', connectorType: 'edifact' } });
        const [stored] = await ingestOrders(w.db, { channelId: edi.id, drafts: [draftFor(lab, 'EDI-1')] });
        expect(await w.service.distribute(stored!.orderId!)).toMatchObject({ action: 'skipped', reason: 'channel EDI partner (edi) is not distributed to dealers' });
        expect(await w.db.prisma.orderDistribution.count({ where: { orderId: stored!.orderId! } })).toBe(0);
      });
    });

    describe('when orders are distributed', () => {
      let w: World;
      beforeAll(async () => {
        w = await createWorld(await createDatabase());
      });
      afterAll(() => w.t.drop());
      beforeEach(() => w.clock.set(0));

      it('writes every tier\'s offers with its moment, and each dealer sees exactly what is visible to it now', async () => {
        const lab = await createLab(w, 'VIS', FOUR_TIER_DEALERS);
        await saveConfig(w, fourTiers(lab));
        const orderId = await placeOrder(w, lab, '1');
        expect(await w.service.distribute(orderId)).toMatchObject({ action: 'distributed', status: 'offering' });

        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(details).toMatchObject({ status: 'offering', round: 1, startedAt: at(0), deadlineAt: at(95 * MINUTE), dealer: null });
        expect(details.offers.map((o) => [o.dealer, o.tier, o.tierKind, o.visibleFrom, o.expiresAt, o.status])).toEqual([
          [lab.code('TOP'), 1, 'rating', at(0), null, 'open'],
          [lab.code('PRIO'), 2, 'base', at(5 * MINUTE), null, 'open'],
          [lab.code('BASE'), 2, 'base', at(20 * MINUTE), null, 'open'],
          [lab.code('FAR'), 3, 'taxi', at(35 * MINUTE), null, 'open'],
        ]);

        const dealers = ['TOP', 'PRIO', 'BASE', 'FAR', 'BARE'].map(lab.code);
        const seeing = async () => {
          const seen: string[] = [];
          for (const code of dealers) if ((await listed(w, code, 'offered')).includes(orderId)) seen.push(code.slice(lab.tag.length + 1));
          return seen;
        };
        const moments: [number, string[]][] = [
          [0, ['TOP']],
          [5 * MINUTE - 1, ['TOP']],
          [5 * MINUTE, ['TOP', 'PRIO']],
          [20 * MINUTE - 1, ['TOP', 'PRIO']],
          [20 * MINUTE, ['TOP', 'PRIO', 'BASE']],
          [35 * MINUTE - 1, ['TOP', 'PRIO', 'BASE']],
          [35 * MINUTE, ['TOP', 'PRIO', 'BASE', 'FAR']],
        ];
        for (const [offset, expected] of moments) {
          w.clock.set(offset);
          expect({ at: offset, seeing: await seeing() }).toEqual({ at: offset, seeing: expected });
        }

        // Before taking it, a dealer sees who and where, not how to reach the client.
        const [row] = (await w.queries.listOrders(dealerScope(lab.code('FAR')), { view: 'offered' })).orders;
        expect(row).toMatchObject({ orderId, distributionStatus: 'offering', region: 'RU-MOW', client: { name: 'Ivanova Olga', city: 'Moscow' }, offer: { tier: 'taxi', visibleFrom: at(35 * MINUTE) } });
        expect(row!.client).not.toHaveProperty('phone');
        expect(row!.client).not.toHaveProperty('email');
        expect(await listed(w, lab.code('TOP'), 'mine')).toEqual([]);
      });

      it('explains the decision: every dealer considered with its failed checks, and each tier\'s offers and filters', async () => {
        const lab = await createLab(w, 'TRC', FOUR_TIER_DEALERS);
        await saveConfig(w, fourTiers(lab));
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        const trace = (await w.queries.details(ADMIN_SCOPE, orderId)).trace!;
        const verdict = (name: string) => trace.dealers.find((d) => d.code === lab.code(name));
        expect(verdict('TOP')).toMatchObject({ regionMatch: 'covers', failed: [], points: 150 });
        expect(verdict('FAR')).toMatchObject({ regionMatch: 'none', failed: [{ check: 'region' }] });
        expect(verdict('BARE')!.failed).toEqual([{ check: 'assortment', message: expect.stringContaining(`missing ${lab.sku}`) }]);

        const tier = (i: number) => trace.tiers[i]!;
        const codes = (list: { code: string }[]) => list.map((x) => x.code);
        expect(tier(0)).toMatchObject({ kind: 'fixed', offeredTo: [], skipped: 'no fixed rule matches the order' });
        expect(tier(1)).toMatchObject({ kind: 'rating', opensAt: at(0), closesAt: at(5 * MINUTE), skipped: null });
        expect(codes(tier(1).offeredTo)).toEqual([lab.code('TOP')]);
        expect(tier(1).filtered.filter((f) => f.code.startsWith(lab.tag)).map((f) => [f.code, f.filter]).sort()).toEqual([
          [lab.code('BASE'), 'points'],
          [lab.code('PRIO'), 'points'],
        ]);
        expect(tier(2)).toMatchObject({ kind: 'base', opensAt: at(5 * MINUTE), closesAt: at(35 * MINUTE), details: { appliedDelayMinutes: 15, priorityDealers: [lab.code('PRIO')] } });
        expect(tier(2).offeredTo.map((o) => [o.code, o.rank, o.visibleFrom])).toEqual([
          [lab.code('PRIO'), 0, at(5 * MINUTE)],
          [lab.code('BASE'), 1, at(20 * MINUTE)],
        ]);
        expect(tier(2).filtered).toContainEqual(expect.objectContaining({ code: lab.code('TOP'), filter: 'already_offered' }));
        expect(tier(3)).toMatchObject({ kind: 'taxi', opensAt: at(35 * MINUTE), closesAt: at(95 * MINUTE) });
        expect(codes(tier(3).offeredTo)).toEqual([lab.code('FAR')]);
        expect(trace.result).toMatchObject({ outcome: 'offer', dealer: null });
      });

      it('gives the order to the first dealer who takes it: the rest are told it was taken, early or foreign takers are refused', async () => {
        const lab = await createLab(w, 'TK', FOUR_TIER_DEALERS);
        await saveConfig(w, fourTiers(lab));
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        // A newer configuration does not change the term of an order the older one distributed.
        await saveConfig(w, fourTiers(lab), { fulfilmentDays: 30 });

        w.clock.set(1 * MINUTE);
        await expect(w.service.take(dealerScope(lab.code('PRIO')), orderId)).rejects.toMatchObject({ code: 'not_allowed', details: { reason: 'not_yet_visible' } });
        await expect(w.service.take(dealerScope(lab.code('BARE')), orderId)).rejects.toMatchObject({ code: 'not_found', message: `Order ${orderId} is not offered to you.`, details: { reason: 'not_offered' } });
        await expect(w.service.take(ADMIN_SCOPE, orderId)).rejects.toMatchObject({ code: 'not_allowed' });

        w.clock.set(20 * MINUTE + 30_000);
        const taken = await w.service.take(dealerScope(lab.code('BASE')), orderId);
        expect(taken).toEqual({ orderId, dealerCode: lab.code('BASE'), status: 'assigned', dueAt: at(20 * MINUTE + 30_000 + 14 * DAY), secondsToTake: 30, alreadyYours: false });
        // The dealers that lost the race hear it is not theirs, not who has it.
        const number = `${lab.tag}-1`;
        const lost = await w.service.take(dealerScope(lab.code('TOP')), orderId).catch((error: unknown) => error);
        expect(lost).toMatchObject({ code: 'not_found', message: `Order ${number} is not offered to you.`, details: { reason: 'taken_by_another' } });
        expect(JSON.stringify(lost)).not.toContain(lab.code('BASE'));
        expect(await w.service.take(dealerScope(lab.code('BASE')), orderId)).toEqual({ ...taken, alreadyYours: true });
        // A dealer it was never offered to learns nothing about the order, before or after it was taken.
        await expect(w.service.take(dealerScope(lab.code('BARE')), orderId)).rejects.toMatchObject({ code: 'not_found', message: `Order ${orderId} is not offered to you.`, details: { reason: 'not_offered' } });

        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(details).toMatchObject({ status: 'assigned', dealer: lab.code('BASE'), assignedVia: 'take', assignedAt: at(20 * MINUTE + 30_000), dueAt: taken.dueAt });
        expect(details.offers.map((o) => [o.dealer, o.status])).toEqual([
          [lab.code('TOP'), 'lost'],
          [lab.code('PRIO'), 'lost'],
          [lab.code('BASE'), 'taken'],
          [lab.code('FAR'), 'lost'],
        ]);
        expect(details.events.filter((e) => e.kind === 'taken').map((e) => e.dealer)).toEqual([lab.code('BASE')]);

        const base = await w.dealers.get(lab.code('BASE'));
        expect([base.takesCount, base.avgTakeSeconds]).toEqual([1, 30]);
        expect((await w.dealers.get(lab.code('TOP'))).takesCount).toBe(0);

        // The taker now has the client's contacts; the others no longer see the order.
        const [mine] = (await w.queries.listOrders(dealerScope(lab.code('BASE')), { view: 'mine' })).orders;
        expect(mine).toMatchObject({ orderId, distributionStatus: 'assigned', dealer: lab.code('BASE'), client: { name: 'Ivanova Olga', phone: PHONE, email: 'olga@example.ru' } });
        for (const code of ['TOP', 'PRIO', 'BASE', 'FAR']) expect(await listed(w, lab.code(code), 'offered')).toEqual([]);
        // Nor its details: a dealer that lost the race cannot follow the winner's work.
        await expect(w.queries.details(dealerScope(lab.code('TOP')), orderId)).rejects.toMatchObject({ code: 'not_found' });
        expect(await w.queries.details(dealerScope(lab.code('BASE')), orderId)).toMatchObject({ dealer: lab.code('BASE'), dueAt: taken.dueAt, trace: null });
      });

      it('opens the next tier at once when everyone who sees the order declines, and gives it to the fallback when nobody is left', async () => {
        const lab = await createLab(w, 'DC', [...FOUR_TIER_DEALERS, { name: 'DEPT', region: 'RU-SPE', holdsLine: false }]);
        await saveConfig(w, fourTiers(lab), { fallbackDealer: lab.code('DEPT') });
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);

        w.clock.set(2 * MINUTE);
        await expect(w.service.decline(dealerScope(lab.code('TOP')), orderId, '  ')).rejects.toMatchObject({ code: 'invalid_data', field: 'reason' });
        // The answers of a take: PRIO's offer is not visible yet.
        await expect(w.service.decline(dealerScope(lab.code('PRIO')), orderId, 'too far')).rejects.toMatchObject({ code: 'not_allowed', details: { reason: 'not_yet_visible' } });

        expect(await w.service.decline(dealerScope(lab.code('TOP')), orderId, 'too far')).toEqual({ orderId, escalated: true, status: 'offering' });
        // The base tier opens now instead of at 5 min: everything after it moves 3 minutes earlier.
        const visible = async () => (await offersOf(w, orderId)).map((o) => [o.dealer.slice(lab.tag.length + 1), o.status, o.visibleFrom]);
        expect(await visible()).toEqual([
          ['TOP', 'declined', at(0)],
          ['PRIO', 'open', at(2 * MINUTE)],
          ['BASE', 'open', at(17 * MINUTE)],
          ['FAR', 'open', at(32 * MINUTE)],
        ]);
        expect((await w.queries.details(ADMIN_SCOPE, orderId)).deadlineAt).toBe(at(92 * MINUTE));
        expect(await listed(w, lab.code('PRIO'), 'offered')).toEqual([orderId]);
        expect(await notificationsFor(w, lab.code('PRIO'), orderId)).toEqual(['offered']);

        w.clock.set(4 * MINUTE);
        expect(await w.service.decline(dealerScope(lab.code('PRIO')), orderId, 'no stock')).toMatchObject({ escalated: true, status: 'offering' });
        expect(await visible()).toEqual([
          ['TOP', 'declined', at(0)],
          ['PRIO', 'declined', at(2 * MINUTE)],
          ['BASE', 'open', at(4 * MINUTE)],
          ['FAR', 'open', at(19 * MINUTE)],
        ]);
        expect((await w.queries.details(ADMIN_SCOPE, orderId)).deadlineAt).toBe(at(79 * MINUTE));
        expect(await w.service.decline(dealerScope(lab.code('BASE')), orderId, 'too far')).toMatchObject({ escalated: true, status: 'offering' });
        expect((await w.queries.details(ADMIN_SCOPE, orderId)).deadlineAt).toBe(at(64 * MINUTE));
        expect(await listed(w, lab.code('FAR'), 'offered')).toEqual([orderId]);

        expect(await w.service.decline(dealerScope(lab.code('FAR')), orderId, 'not our region')).toMatchObject({ status: 'assigned' });
        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(details).toMatchObject({ status: 'assigned', dealer: lab.code('DEPT'), assignedVia: 'fallback', dueAt: at(4 * MINUTE + 14 * DAY) });
        expect(details.offers.map((o) => [o.dealer.slice(lab.tag.length + 1), o.status, o.declineReason])).toEqual([
          ['TOP', 'declined', 'too far'],
          ['PRIO', 'declined', 'no stock'],
          ['BASE', 'declined', 'too far'],
          ['FAR', 'declined', 'not our region'],
        ]);
        expect(details.events.map((e) => e.kind)).toEqual(['offer_visible', 'distributed', 'declined', 'escalated', 'offer_visible', 'declined', 'escalated', 'offer_visible', 'declined', 'escalated', 'offer_visible', 'declined', 'fallback']);
        expect(await notificationsFor(w, lab.code('DEPT'), orderId)).toEqual(['assigned']);
        expect(await listed(w, lab.code('DEPT'), 'mine')).toEqual([orderId]);
        await expect(w.service.decline(dealerScope(lab.code('FAR')), orderId, 'again')).rejects.toMatchObject({ code: 'not_allowed', details: { reason: 'declined' } });
      });

      it('leaves the order unassigned and tells the admins when nobody takes it and there is no fallback dealer', async () => {
        const lab = await createLab(w, 'UN', [{ name: 'A' }]);
        await saveConfig(w, taxiInRegion());
        const declined = await placeOrder(w, lab, '1');
        await w.service.distribute(declined);
        expect(await w.service.decline(dealerScope(lab.code('A')), declined, 'closed for holidays')).toMatchObject({ status: 'unassigned' });
        expect(await eventKinds(w, declined)).toContain('unassigned');
        expect(await notificationsFor(w, null, declined)).toEqual(['unassigned']);
        expect((await offersOf(w, declined)).map((o) => o.status)).toEqual(['declined']);

        // Nobody serves Moscow Oblast: unassigned at once.
        const nowhere = await placeOrder(w, lab, '2', { region: 'RU-MOS' });
        expect(await w.service.distribute(nowhere)).toMatchObject({ action: 'distributed', status: 'unassigned', reason: expect.stringContaining('no fallback dealer is configured') });
        expect(await offersOf(w, nowhere)).toEqual([]);
        expect(await notificationsFor(w, null, nowhere)).toEqual(['unassigned']);
      });

      it('does not offer an order again to a dealer that declined it when the changed order is distributed again', async () => {
        const lab = await createLab(w, 'RD', [{ name: 'A' }, { name: 'B' }]);
        await saveConfig(w, taxiInRegion());
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        expect(await w.service.decline(dealerScope(lab.code('A')), orderId, 'too small')).toEqual({ orderId, escalated: false, status: 'offering' });
        expect(await w.service.distribute(orderId)).toMatchObject({ action: 'unchanged', reason: 'nothing changed' });

        w.clock.set(10 * MINUTE);
        const [changed] = await ingestOrders(w.db, { channelId: w.channelId, drafts: [draftFor(lab, '1', { lines: [productLine(lab.sku, '5')], sourceUpdatedAt: '2026-11-21T10:00:00.000Z' })] });
        expect(changed).toMatchObject({ outcome: 'updated', version: 2 });
        expect(await w.service.distribute(orderId)).toMatchObject({ action: 'redistributed', status: 'offering' });

        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(details.round).toBe(2);
        expect(details.offers.map((o) => [o.round, o.dealer, o.status])).toEqual([
          [1, lab.code('A'), 'declined'],
          [1, lab.code('B'), 'withdrawn'],
          [2, lab.code('B'), 'open'],
        ]);
        expect(details.trace!.dealers.find((d) => d.code === lab.code('A'))!.failed.map((f) => f.check)).toEqual(['declined']);
        expect(await listed(w, lab.code('A'), 'offered')).toEqual([]);
        expect(await listed(w, lab.code('B'), 'offered')).toEqual([orderId]);
        // A was offered it in the first round: it may hear the number, and that its offer ended.
        await expect(w.service.take(dealerScope(lab.code('A')), orderId)).rejects.toMatchObject({ code: 'not_found', message: `Order ${lab.tag}-1 is not offered to you.`, details: { reason: 'offer_ended' } });
        expect((await w.service.take(dealerScope(lab.code('B')), orderId)).dealerCode).toBe(lab.code('B'));
      });

      it('keeps the order with a dealer who takes it while its change is being decided: the change is noted, not re-offered', async () => {
        const lab = await createLab(w, 'RT', [{ name: 'A' }, { name: 'B' }]);
        await saveConfig(w, taxiInRegion());
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        await ingestOrders(w.db, { channelId: w.channelId, drafts: [draftFor(lab, '1', { lines: [productLine(lab.sku, '7')], sourceUpdatedAt: '2026-11-21T10:00:00.000Z' })] });

        // B takes it after the redistribution has read the distribution (still offering) but before it writes the new round.
        const racing = new DistributionService(interleaved(w.db, /WITH candidate AS/, () => w.service.take(dealerScope(lab.code('B')), orderId)), { clock: w.clock.now });
        expect(await racing.distribute(orderId)).toMatchObject({ action: 'unchanged', status: 'assigned' });

        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(details).toMatchObject({ status: 'assigned', dealer: lab.code('B'), assignedVia: 'take', round: 1 });
        expect(details.offers.map((o) => [o.round, o.dealer, o.status])).toEqual([
          [1, lab.code('A'), 'lost'],
          [1, lab.code('B'), 'taken'],
        ]);
        expect(details.events.filter((e) => e.kind === 'order_changed').map((e) => e.detail)).toEqual([{ version: 2, status: 'assigned' }]);
        expect(await notificationsFor(w, lab.code('B'), orderId)).toEqual(['order_changed', 'offered']);
        expect(await listed(w, lab.code('B'), 'mine')).toEqual([orderId]);
      });

      it('moves a taken order through its statuses, awarding completion once and charging a dealer\'s cancellation', async () => {
        const lab = await createLab(w, 'ST', [{ name: 'A' }, { name: 'B' }]);
        await saveConfig(w, taxiInRegion());
        const a = dealerScope(lab.code('A'));
        const completed = await placeOrder(w, lab, '1');
        await w.service.distribute(completed);
        await w.service.take(a, completed);

        // Another dealer's order reads as an unknown one.
        await expect(w.service.changeStatus(dealerScope(lab.code('B')), completed, { status: 'contacted' })).rejects.toMatchObject({ code: 'not_found' });
        await expect(w.service.changeStatus(a, completed, { status: 'completed' })).rejects.toMatchObject({ code: 'conflict', details: { from: 'assigned', to: 'completed' } });
        expect(await w.service.changeStatus(a, completed, { status: 'contacted' })).toEqual({ orderId: completed, status: 'contacted', points: null });
        expect(await w.service.changeStatus(a, completed, { status: 'in_progress' })).toMatchObject({ status: 'in_progress', points: null });
        w.clock.set(3 * DAY);
        expect(await w.service.changeStatus(a, completed, { status: 'completed' })).toEqual({ orderId: completed, status: 'completed', points: { delta: 100, balance: 100 } });
        await expect(w.service.changeStatus(a, completed, { status: 'completed' })).rejects.toMatchObject({ code: 'conflict' });
        await expect(w.service.changeStatus(ADMIN_SCOPE, completed, { status: 'cancelled', reason: 'oops' })).rejects.toMatchObject({ code: 'conflict' });
        expect((await w.dealers.get(lab.code('A'))).points).toBe(100);
        expect(await pointsLedger(w, lab.code('A'))).toEqual([{ delta: 100, balance: 100, cause: 'order_completed', order_id: completed }]);
        expect(await w.queries.details(ADMIN_SCOPE, completed)).toMatchObject({ status: 'completed', completedAt: at(3 * DAY) });
        expect(await listed(w, lab.code('A'), 'completed')).toEqual([completed]);
        expect(await listed(w, lab.code('A'), 'mine')).toEqual([]);

        const dropped = await placeOrder(w, lab, '2');
        await w.service.distribute(dropped);
        await w.service.take(a, dropped);
        await expect(w.service.changeStatus(a, dropped, { status: 'cancelled' })).rejects.toMatchObject({ code: 'invalid_data', field: 'reason' });
        expect(await w.service.changeStatus(a, dropped, { status: 'cancelled', reason: 'client unreachable' })).toEqual({ orderId: dropped, status: 'cancelled', points: { delta: -50, balance: 50 } });
        expect(await w.queries.details(ADMIN_SCOPE, dropped)).toMatchObject({ status: 'cancelled', cancelledBy: 'dealer', cancelReason: 'client unreachable' });
        expect(await notificationsFor(w, null, dropped)).toEqual(['cancelled_by_dealer']);
        expect((await w.dealers.get(lab.code('A'))).points).toBe(50);
        expect((await pointsLedger(w, lab.code('A'))).map((c) => [c.cause, c.delta, c.balance])).toEqual([
          ['order_completed', 100, 100],
          ['cancelled_by_dealer', -50, 50],
        ]);
      });

      it('withdraws an order its channel cancelled, from the dealer that had it or from the offers, without points', async () => {
        const lab = await createLab(w, 'CC', [{ name: 'A' }, { name: 'B' }]);
        await saveConfig(w, taxiInRegion());
        const cancelAt = (id: string) => ingestOrders(w.db, { channelId: w.channelId, drafts: [draftFor(lab, id, { status: 'cancelled', sourceStatus: 'cancelled', sourceUpdatedAt: '2026-11-22T10:00:00.000Z' })] });

        const assigned = await placeOrder(w, lab, '1');
        await w.service.distribute(assigned);
        await w.service.take(dealerScope(lab.code('B')), assigned);
        await w.service.changeStatus(dealerScope(lab.code('B')), assigned, { status: 'contacted' });
        w.clock.set(1 * DAY);
        expect((await cancelAt('1'))[0]).toMatchObject({ outcome: 'updated', version: 2 });
        expect(await w.service.distribute(assigned)).toEqual({ orderId: assigned, action: 'cancelled', status: 'cancelled', reason: 'the order was cancelled at its channel' });
        expect(await w.queries.details(ADMIN_SCOPE, assigned)).toMatchObject({ status: 'cancelled', cancelledBy: 'client', cancelledAt: at(1 * DAY), dealer: lab.code('B') });
        expect(await notificationsFor(w, lab.code('B'), assigned)).toEqual(['cancelled', 'offered']);
        expect(await w.service.distribute(assigned)).toMatchObject({ action: 'skipped', status: 'cancelled' });

        const offered = await placeOrder(w, lab, '2');
        await w.service.distribute(offered);
        await cancelAt('2');
        expect(await w.service.distribute(offered)).toMatchObject({ action: 'cancelled' });
        expect((await offersOf(w, offered)).map((o) => o.status)).toEqual(['withdrawn', 'withdrawn']);
        expect(await listed(w, lab.code('A'), 'offered')).toEqual([]);
        await expect(w.service.take(dealerScope(lab.code('A')), offered)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'cancelled' } });

        for (const code of ['A', 'B']) {
          expect((await w.dealers.get(lab.code(code))).points).toBe(0);
          expect(await pointsLedger(w, lab.code(code))).toEqual([]);
        }
      });

      it('gives installation orders to the default dealer at once, without offers', async () => {
        const lab = await createLab(w, 'DF', [{ name: 'A' }, { name: 'INST', region: 'RU-SPE', holdsLine: false }], [{ sku: 'DF-MOUNT', line: 'DF-INSTALL' }]);
        await saveConfig(w, taxiInRegion(), {
          orderKinds: [{ kind: 'installation', productLines: ['DF-INSTALL'] }],
          defaultDealers: [{ dealer: lab.code('INST'), match: { orderKinds: ['installation'] } }],
        });
        const installation = await placeOrder(w, lab, '1', { lines: [productLine(lab.sku), productLine('DF-MOUNT', '1')] });
        expect(await w.service.distribute(installation)).toMatchObject({ action: 'distributed', status: 'assigned' });
        const details = await w.queries.details(ADMIN_SCOPE, installation);
        expect(details).toMatchObject({ status: 'assigned', dealer: lab.code('INST'), assignedVia: 'default', assignedAt: at(0), dueAt: at(14 * DAY), deadlineAt: null, offers: [] });
        expect(details.trace!.order.orderKinds).toEqual(['installation']);
        expect(details.trace!.defaultDealer).toEqual([{ dealer: lab.code('INST'), matched: true, usable: true, message: expect.stringContaining('gets the order') }]);
        expect(await notificationsFor(w, lab.code('INST'), installation)).toEqual(['assigned']);
        expect(await listed(w, lab.code('INST'), 'mine')).toEqual([installation]);

        const plain = await placeOrder(w, lab, '2');
        expect(await w.service.distribute(plain)).toMatchObject({ status: 'offering' });
        expect((await offersOf(w, plain)).map((o) => o.dealer)).toEqual([lab.code('A')]);
      });

      it('leaves out a dealer regional exclusivity forbids, saying why; a dealer sees only its own part of the details', async () => {
        const lab = await createLab(w, 'EX', [{ name: 'PARTNER' }, { name: 'OTHER' }, { name: 'ZEL', region: 'RU-MOW-ZEL' }]);
        await new ExclusivityService(w.db).create({ scope: 'product_line', value: lab.line, regionCode: 'RU-MOW', dealerCodes: [lab.code('PARTNER')] });
        await saveConfig(w, taxiInRegion());
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);

        const admin = await w.queries.details(ADMIN_SCOPE, orderId);
        expect(admin.offers.map((o) => o.dealer)).toEqual([lab.code('PARTNER')]);
        const trace: DecisionTrace = admin.trace!;
        for (const name of ['OTHER', 'ZEL']) {
          expect(trace.dealers.find((d) => d.code === lab.code(name))!.failed).toEqual([
            {
              check: 'exclusivity',
              message: expect.stringMatching(new RegExp(`excluded by regional exclusivity: .*product line "${lab.line}" is exclusive in RU-MOW.*; the order is delivered in RU-MOW$`)),
              rules: [expect.objectContaining({ scope: 'product_line', value: lab.line, regionCode: 'RU-MOW', dealerCodes: [lab.code('PARTNER')] })],
            },
          ]);
        }
        expect(trace.dealers.find((d) => d.code === lab.code('PARTNER'))!.failed).toEqual([]);

        const own = await w.queries.details(dealerScope(lab.code('PARTNER')), orderId);
        expect(own.trace).toBeNull();
        expect(own.offers.map((o) => o.dealer)).toEqual([lab.code('PARTNER')]);
        expect(own.events.every((e) => e.dealer === lab.code('PARTNER'))).toBe(true);
        await expect(w.queries.details(dealerScope(lab.code('OTHER')), orderId)).rejects.toMatchObject({ code: 'not_found' });
        // A dealer's "all" (the cabinet's tab) is its own orders and offers only: an order it was never offered is not in it.
        const otherAll = await w.queries.listOrders(dealerScope(lab.code('OTHER')), { view: 'all' });
        expect(otherAll.orders.map((o) => o.orderId)).not.toContain(orderId);
      });

      it('counts a 25% Base+ quota exactly: of 8 orders in a day, the 4th and the 8th go to the quota dealer', async () => {
        const lab = await createLab(w, 'QT', [{ name: 'Q' }, { name: 'A' }]);
        await saveConfig(w, [
          { kind: 'base_plus', windowMinutes: 10, period: 'day', quotas: [{ dealer: lab.code('Q'), unit: 'percent', limit: 25 }] },
          ...taxiInRegion(),
        ]);
        // A day of its own, far from every other test's distributions (quotas count all of the period's orders).
        const day = Math.floor((T0 + 200 * DAY) / DAY) * DAY - T0 + 9 * 60 * MINUTE;
        const quotaDealers: (string | null)[] = [];
        const firstOffers: string[][] = [];
        for (let i = 1; i <= 8; i++) {
          w.clock.set(day + i * MINUTE);
          const orderId = await placeOrder(w, lab, String(i));
          await w.service.distribute(orderId);
          const [row] = await w.db.query<{ code: string | null }>(
            `SELECT q.code FROM order_distribution d LEFT JOIN dealer q ON q.id = d.quota_dealer_id WHERE d.order_id = $1`,
            [orderId],
          );
          quotaDealers.push(row!.code);
          firstOffers.push((await offersOf(w, orderId)).filter((o) => o.tier === 0).map((o) => o.dealer));
        }
        const q = lab.code('Q');
        expect(quotaDealers).toEqual([null, null, null, q, null, null, null, q]);
        expect(firstOffers).toEqual([[], [], [], [q], [], [], [], [q]]);
      });

      it('reports refusals: declines grouped by reason, cancellations by who cancelled', async () => {
        const lab = await createLab(w, 'RF', [{ name: 'A' }, { name: 'B' }, { name: 'C' }]);
        await saveConfig(w, taxiInRegion());
        // A window of its own: the report reads every order of the period.
        const from = 50 * DAY;
        w.clock.set(from);
        const one = await placeOrder(w, lab, '1');
        const two = await placeOrder(w, lab, '2');
        const three = await placeOrder(w, lab, '3');
        const four = await placeOrder(w, lab, '4');
        for (const id of [one, two, three, four]) await w.service.distribute(id);
        await w.service.decline(dealerScope(lab.code('A')), one, 'too far');
        await w.service.decline(dealerScope(lab.code('B')), one, 'too far');
        await w.service.decline(dealerScope(lab.code('C')), two, 'no stock');
        w.clock.set(from + 30 * MINUTE);
        await w.service.take(dealerScope(lab.code('A')), three);
        await w.service.changeStatus(dealerScope(lab.code('A')), three, { status: 'cancelled', reason: 'client unreachable' });
        await ingestOrders(w.db, { channelId: w.channelId, drafts: [draftFor(lab, '4', { status: 'cancelled', sourceUpdatedAt: '2026-11-22T10:00:00.000Z' })] });
        await w.service.distribute(four);

        const report = await w.queries.refusals({ from: at(from), to: at(from + DAY) });
        expect(report.declines).toEqual([
          { reason: 'too far', count: 2, dealers: 2 },
          { reason: 'no stock', count: 1, dealers: 1 },
        ]);
        expect(report.cancellations).toEqual([
          { cancelledBy: 'client', reason: 'the order was cancelled at its channel', count: 1 },
          { cancelledBy: 'dealer', reason: 'client unreachable', count: 1 },
        ]);
        expect(report.takes).toEqual([{ dealer: lab.code('A'), taken: 1, avgSecondsToTake: 1800, avgMinutesToTake: 30 }]);
        expect(await w.queries.refusals({ from: at(from + DAY), to: at(from + 2 * DAY) })).toMatchObject({ declines: [], cancellations: [], takes: [] });
      });

      it('refuses a take one second after the deadline as window_closed, before any tick, and hands the order to the fallback then', async () => {
        const lab = await createLab(w, 'WC', [{ name: 'A' }, { name: 'B' }, { name: 'DEPT', region: 'RU-SPE', holdsLine: false }]);
        await saveConfig(w, taxiInRegion(30), { fallbackDealer: lab.code('DEPT') });
        const inTime = await placeOrder(w, lab, '1');
        const late = await placeOrder(w, lab, '2');
        await w.service.distribute(inTime);
        await w.service.distribute(late);

        // The window's last second still counts.
        w.clock.set(30 * MINUTE - 1000);
        expect(await w.service.take(dealerScope(lab.code('A')), inTime)).toMatchObject({ status: 'assigned', secondsToTake: 30 * 60 - 1 });

        w.clock.set(30 * MINUTE + 1000);
        const refused = await w.service.take(dealerScope(lab.code('B')), late).catch((error: unknown) => error);
        expect(refused).toMatchObject({
          code: 'conflict', message: `The window to take order ${lab.tag}-2 closed at ${at(30 * MINUTE)}.`, details: { reason: 'window_closed', closedAt: at(30 * MINUTE) },
        });
        // No tick has run: the refused take handed the order on, as the tick would have.
        expect(await w.queries.details(ADMIN_SCOPE, late)).toMatchObject({ status: 'assigned', dealer: lab.code('DEPT'), assignedVia: 'fallback', assignedAt: at(30 * MINUTE + 1000) });
        expect((await offersOf(w, late)).map((o) => [o.dealer, o.status])).toEqual([[lab.code('A'), 'withdrawn'], [lab.code('B'), 'withdrawn']]);
        expect(await notificationsFor(w, lab.code('DEPT'), late)).toEqual(['assigned']);
        expect((await w.dealers.get(lab.code('B'))).takesCount).toBe(0);
        // Asking again (or another dealer asking) hears the same.
        await expect(w.service.take(dealerScope(lab.code('A')), late)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'window_closed', closedAt: at(30 * MINUTE) } });
      });

      it('refuses a take after the offer expired (a tier that does not keep its offers) as window_closed', async () => {
        const lab = await createLab(w, 'KO', [{ name: 'TOP', points: 150 }, { name: 'A' }]);
        await saveConfig(w, [{ kind: 'rating', windowMinutes: 10, minPoints: 100, keepOffered: false }, ...taxiInRegion(30)]);
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        w.clock.set(10 * MINUTE + 1000);
        await expect(w.service.take(dealerScope(lab.code('TOP')), orderId)).rejects.toMatchObject({
          code: 'conflict', message: `The window to take order ${lab.tag}-1 closed at ${at(10 * MINUTE)}.`, details: { reason: 'window_closed', closedAt: at(10 * MINUTE) },
        });
        // The distribution goes on: the next tier's dealer may still take it.
        expect(await w.service.take(dealerScope(lab.code('A')), orderId)).toMatchObject({ status: 'assigned', secondsToTake: 1 });
      });

      it('counts take time from the moment the offer actually became visible, the same in the dealer record, the report and the trace', async () => {
        const lab = await createLab(w, 'TT', [{ name: 'TOP', points: 150 }, { name: 'A' }]);
        await saveConfig(w, [{ kind: 'rating', windowMinutes: 10, minPoints: 100 }, ...taxiInRegion(30)]);
        // A period of its own: the report reads every take of the period.
        const from = 60 * DAY;
        w.clock.set(from);
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);

        // TOP declines at 2 min: A's offer, planned for 10 min, becomes visible at 2 min.
        w.clock.set(from + 2 * MINUTE);
        expect(await w.service.decline(dealerScope(lab.code('TOP')), orderId, 'too far')).toMatchObject({ escalated: true });
        w.clock.set(from + 5 * MINUTE);
        const taken = await w.service.take(dealerScope(lab.code('A')), orderId);
        // 3 minutes from visible (not 5 from the start, nor -5 from the planned moment).
        expect(taken.secondsToTake).toBe(180);
        expect(await w.dealers.get(lab.code('A'))).toMatchObject({ takesCount: 1, avgTakeSeconds: 180 });
        const report = await w.queries.refusals({ from: at(from), to: at(from + DAY) });
        expect(report.takes).toEqual([{ dealer: lab.code('A'), taken: 1, avgSecondsToTake: 180, avgMinutesToTake: 3 }]);

        const details = await w.queries.details(ADMIN_SCOPE, orderId);
        const [rating, taxi] = details.trace!.tiers;
        // The plan stays; the moments that applied are beside it.
        expect(rating).toMatchObject({ opensAt: at(from), closesAt: at(from + 10 * MINUTE), actualClosesAt: at(from + 2 * MINUTE) });
        expect(rating!.actualOpensAt).toBeUndefined();
        expect(taxi).toMatchObject({ opensAt: at(from + 10 * MINUTE), closesAt: at(from + 40 * MINUTE), actualOpensAt: at(from + 2 * MINUTE), actualClosesAt: at(from + 32 * MINUTE) });
        expect(taxi!.offeredTo).toEqual([{ code: lab.code('A'), rank: 0, visibleFrom: at(from + 10 * MINUTE), visibleAt: at(from + 2 * MINUTE), expiresAt: null }]);
        expect(details.offers.find((o) => o.dealer === lab.code('A'))).toMatchObject({ visibleFrom: at(from + 2 * MINUTE), respondedAt: at(from + 5 * MINUTE) });
        const detailOf = (kind: string) => details.events.find((e) => e.kind === kind)!.detail;
        expect(detailOf('escalated')).toMatchObject({ visibleFrom: at(from + 2 * MINUTE), insteadOf: at(from + 10 * MINUTE), earlierBySeconds: 480 });
        expect(detailOf('taken')).toEqual({ dealer: lab.code('A'), secondsToTake: 180, visibleFrom: at(from + 2 * MINUTE) });
      });
    });

    describe('when time passes (advance)', () => {
      let w: World;
      beforeEach(async () => {
        w = await createWorld(await createDatabase());
      });
      afterEach(() => w.t.drop());

      const idle = { notified: 0, fellBack: 0, overdue: 0, swept: 0 };

      it('tells each dealer once when its offer becomes visible', async () => {
        const lab = await createLab(w, 'AV', [{ name: 'TOP', points: 150 }, { name: 'A' }, { name: 'B' }]);
        await saveConfig(w, [{ kind: 'rating', windowMinutes: 10, minPoints: 100 }, ...taxiInRegion(30)]);
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);
        // The first tier is told when the order is distributed; advance has nothing to add yet.
        expect(await notificationsFor(w, lab.code('TOP'), orderId)).toEqual(['offered']);
        expect(await w.service.advance()).toEqual(idle);
        w.clock.set(10 * MINUTE - 1);
        expect(await w.service.advance()).toEqual(idle);

        w.clock.set(10 * MINUTE);
        expect(await w.service.advance()).toEqual({ ...idle, notified: 2 });
        expect(await w.service.advance()).toEqual(idle);
        w.clock.set(11 * MINUTE);
        expect(await w.service.advance()).toEqual(idle);
        for (const name of ['TOP', 'A', 'B']) expect(await notificationsFor(w, lab.code(name), orderId)).toEqual(['offered']);
        const visibleEvents = (await w.queries.details(ADMIN_SCOPE, orderId)).events.filter((e) => e.kind === 'offer_visible').map((e) => e.detail);
        expect(visibleEvents).toEqual([
          { tier: 'rating', dealers: [lab.code('TOP')] },
          { tier: 'taxi', dealers: [lab.code('A'), lab.code('B')] },
        ]);

        const [first] = await w.queries.notifications(dealerScope(lab.code('A')), { unreadOnly: true });
        expect(first).toMatchObject({ kind: 'offered', orderId, readAt: null, message: expect.stringContaining('(RU-MOW) is offered to you') });
        expect(await w.queries.markRead(dealerScope(lab.code('B')), [first!.id])).toBe(0);
        expect(await w.queries.markRead(dealerScope(lab.code('A')), [first!.id])).toBe(1);
        expect(await w.queries.notifications(dealerScope(lab.code('A')), { unreadOnly: true })).toEqual([]);
      });

      it('gives an order nobody took to the fallback at the deadline, then flags its fulfilment overdue once', async () => {
        const lab = await createLab(w, 'DL', [{ name: 'A' }, { name: 'DEPT', region: 'RU-SPE', holdsLine: false }]);
        await saveConfig(w, taxiInRegion(30), { fallbackDealer: lab.code('DEPT'), fulfilmentDays: 10 });
        const orderId = await placeOrder(w, lab, '1');
        await w.service.distribute(orderId);

        w.clock.set(30 * MINUTE - 1);
        expect(await w.service.advance()).toEqual(idle);
        w.clock.set(30 * MINUTE);
        expect(await w.service.advance()).toEqual({ ...idle, fellBack: 1 });
        expect(await w.service.advance()).toEqual(idle);
        const due = 30 * MINUTE + 10 * DAY;
        expect(await w.queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ status: 'assigned', dealer: lab.code('DEPT'), assignedVia: 'fallback', dueAt: at(due), overdue: false });
        expect((await offersOf(w, orderId)).map((o) => o.status)).toEqual(['withdrawn']);
        expect(await notificationsFor(w, lab.code('DEPT'), orderId)).toEqual(['assigned']);
        await expect(w.service.take(dealerScope(lab.code('A')), orderId)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'window_closed', closedAt: at(30 * MINUTE) } });

        // The term is met up to and including its last moment.
        w.clock.set(due);
        expect(await w.service.advance()).toEqual(idle);
        expect(await w.queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ overdue: false });
        expect((await w.queries.listOrders(ADMIN_SCOPE, { view: 'all', overdue: true })).orders).toEqual([]);
        w.clock.set(due + MINUTE);
        expect(await w.service.advance()).toEqual({ ...idle, overdue: 1 });
        expect(await w.service.advance()).toEqual(idle);
        expect(await notificationsFor(w, lab.code('DEPT'), orderId)).toEqual(['overdue', 'assigned']);
        expect(await notificationsFor(w, null, orderId)).toEqual(['overdue']);
        expect((await eventKinds(w, orderId)).filter((k) => k === 'overdue')).toHaveLength(1);
        const overdue = await w.queries.listOrders(ADMIN_SCOPE, { view: 'all', overdue: true });
        expect(overdue.orders.map((o) => [o.orderId, o.overdue])).toEqual([[orderId, true]]);
        expect((await w.queries.listOrders(dealerScope(lab.code('DEPT')), { view: 'mine' })).orders[0]).toMatchObject({ orderId, overdue: true });
      });

      it('distributes an order an interrupted intake left out, but not one that came before distribution was turned on', async () => {
        const lab = await createLab(w, 'SW', [{ name: 'A' }]);
        const before = await placeOrder(w, lab, '0');
        await saveConfig(w, taxiInRegion());
        const left = await placeOrder(w, lab, '1');
        expect(await w.service.advance()).toEqual({ ...idle, swept: 1 });
        expect(await w.service.advance()).toEqual(idle);
        expect(await w.queries.details(ADMIN_SCOPE, left)).toMatchObject({ status: 'offering', round: 1 });
        expect(await listed(w, lab.code('A'), 'offered')).toEqual([left]);
        expect(await notificationsFor(w, lab.code('A'), left)).toEqual(['offered']);
        await expect(w.queries.details(ADMIN_SCOPE, before)).rejects.toMatchObject({ code: 'not_found' });
      });

      it('shows ops a distribution that fails, once per error, and succeeds on the tick once the cause is gone', async () => {
        const lab = await createLab(w, 'FL', [{ name: 'A' }]);
        await saveConfig(w, taxiInRegion());
        const orderId = await placeOrder(w, lab, '1');
        let broken = true;
        const real = new DefaultDistributionStrategy();
        const strategy = { name: 'flaky', plan: (input: PlanInput) => { if (broken) throw new Error('the strategy service is down'); return real.plan(input); } };
        const service = new DistributionService(w.db, { clock: w.clock.now, strategy });

        const [result] = await service.distributeOrders([orderId]);
        expect(result).toMatchObject({ orderId, error: expect.objectContaining({ message: 'the strategy service is down' }) });
        // The tick retries it every minute; ops hear of it once.
        expect(await service.advance()).toEqual(idle);
        // Never distributed, so there is no distribution to show yet: the history and the admins' notices carry it.
        const failed = await w.db.query<{ kind: string; error: string }>(`SELECT kind, detail->>'error' AS error FROM distribution_event WHERE order_id = $1`, [orderId]);
        expect(failed).toEqual([{ kind: 'failed', error: 'the strategy service is down' }]);
        expect(await notificationsFor(w, null, orderId)).toEqual(['distribution_failed']);

        broken = false;
        expect(await service.advance()).toEqual({ ...idle, swept: 1 });
        expect(await w.queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ status: 'offering' });
      });

      it('catches up a change and a cancellation that intake stored but distribution never applied', async () => {
        const lab = await createLab(w, 'LG', [{ name: 'A' }, { name: 'NORTH', region: 'RU-SPE' }]);
        await saveConfig(w, [{ kind: 'taxi', windowMinutes: 30, scope: 'region' }]);
        const moved = await placeOrder(w, lab, '1');
        const cancelled = await placeOrder(w, lab, '2');
        await w.service.distributeOrders([moved, cancelled]);
        // New versions stored as a sync would, with the distribution step lost (a crash between the two).
        await placeOrder(w, lab, '1', { region: 'RU-SPE', sourceUpdatedAt: '2026-11-23T11:00:00Z' });
        await placeOrder(w, lab, '2', { status: 'cancelled', sourceUpdatedAt: '2026-11-23T11:00:00Z' });

        expect(await w.service.advance()).toEqual({ ...idle, swept: 2 });
        expect(await w.service.advance()).toEqual(idle);
        expect(await w.queries.details(ADMIN_SCOPE, moved)).toMatchObject({ status: 'offering', round: 2 });
        expect(await listed(w, lab.code('NORTH'), 'offered')).toEqual([moved]);
        expect(await w.queries.details(ADMIN_SCOPE, cancelled)).toMatchObject({ status: 'cancelled', cancelledBy: 'client' });
        // A dealer that still had it open hears why it cannot take it: not a rival's take, a cancellation.
        await expect(w.service.take(dealerScope(lab.code('A')), cancelled)).rejects.toMatchObject({ code: 'conflict', details: { reason: 'cancelled' } });
      });
    });
  });
}
