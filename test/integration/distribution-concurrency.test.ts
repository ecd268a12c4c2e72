import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../core/db/database.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { dealerScope } from '../../core/dealers/dealer-scope.ts';
import { DistributionService, type AdvanceReport, type TakeResult } from '../../core/distribution/distribution-service.ts';
import { HubError } from '../../core/errors.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * Many dealers click at once. On the real PostgreSQL server, through two pools (as two workers
 * would), each racer with its own service instance: exactly one take wins, a distribution is decided
 * once, and a take racing a decline and the deadline leaves one consistent outcome. The clock is
 * injected and never moves during a race; only the database decides who comes first.
 */

const MINUTE = 60_000;
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
const TAKERS = 50;
const ROUNDS = 10;

type Line = OrderDraft['lines'][number];
const productLine = (sku: string): Line => ({
  kind: 'product', sku, name: `Tile ${sku}`, quantity: '1', unitPrice: '10.00', subtotal: '10.00', discount: '0', tax: '0', total: '10.00', attributes: {},
});

describe('distribution under concurrency on PostgreSQL', () => {
  let t: TestDatabase;
  let extra: Database;
  let channelId: string;
  let now = T0;
  const clock = () => new Date(now);
  /** Alternates between the two pools. */
  const serviceNo = (i: number) => new DistributionService(i % 2 === 0 ? t.db : extra, { clock });
  const admin = () => serviceNo(0);

  beforeAll(async () => {
    t = await createTestPostgres({ poolSize: 20 });
    extra = await openDatabase({ url: t.url, poolSize: 10 });
    await new RegionService(t.db).load([
      { code: 'RU', name: 'Russia', level: 'country' },
      { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
      { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
    ]);
    channelId = (await t.db.prisma.channel.create({ data: { name: 'Webshop', kind: 'webshop', connectorType: 'woocommerce' } })).id;
  });
  afterAll(async () => {
    await extra.close();
    await t.drop();
  });

  /** Dealers `${tag}-NN` in Moscow holding the tag's own product line (other tags' orders never reach them). */
  async function createDealers(tag: string, count: number, more: { code: string; region: string }[] = []): Promise<string[]> {
    await t.db.prisma.product.create({ data: { sku: `${tag}-SKU`, name: `${tag} tile`, productLine: `${tag}-LINE` } });
    const codes = Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(2, '0')}`);
    await new DealerService(t.db).load([
      ...codes.map((code) => ({ code, name: `Dealer ${code}`, mainRegion: 'RU-MOW', authorised: true, productLines: [`${tag}-LINE`] })),
      ...more.map((d) => ({ code: d.code, name: `Dealer ${d.code}`, mainRegion: d.region, authorised: true })),
    ]);
    return codes;
  }

  async function placeOrder(tag: string, externalId: string): Promise<string> {
    const [result] = await ingestOrders(t.db, {
      channelId,
      drafts: [orderDraft(`${tag}-${externalId}`, { region: 'RU-MOW', currency: 'RUB', lines: [productLine(`${tag}-SKU`)] })],
    });
    if (!result?.orderId) throw new Error(`order not stored: ${JSON.stringify(result)}`);
    return result.orderId;
  }

  async function offerStatuses(orderId: string): Promise<Record<string, number>> {
    const rows = await t.db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM dealer_offer WHERE order_id = $1 GROUP BY status`, [orderId]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async function eventCount(orderId: string, kind: string): Promise<number> {
    const [row] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM distribution_event WHERE order_id = $1 AND kind = $2`, [orderId, kind]);
    return row!.n;
  }

  async function distribution(orderId: string) {
    const [row] = await t.db.query<{ status: string; round: number; dealer: string | null; assigned_via: string | null }>(
      `SELECT d.status, d.round, dl.code AS dealer, d.assigned_via FROM order_distribution d LEFT JOIN dealer dl ON dl.id = d.dealer_id WHERE d.order_id = $1`,
      [orderId],
    );
    return row!;
  }

  function reasonOf(result: PromiseSettledResult<unknown>): string {
    if (result.status === 'fulfilled') return 'won';
    const error = result.reason as unknown;
    if (!(error instanceof HubError)) throw error;
    return `${error.code}:${(error.details as { reason?: string } | undefined)?.reason ?? '?'}`;
  }

  describe('when 50 dealers take the same order at once', () => {
    it(`gives each of ${ROUNDS} orders to exactly one of them and tells the other 49 it is not offered to them (taken by another)`, async () => {
      const codes = await createDealers('RACE', TAKERS);
      now = T0;
      await admin().configs.save({ settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] }, 'test');
      const racers = codes.map((_, i) => serviceNo(i));
      const winners: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        now = T0;
        const orderId = await placeOrder('RACE', String(round));
        expect(await admin().distribute(orderId)).toMatchObject({ action: 'distributed', status: 'offering' });
        now = T0 + MINUTE;

        const results = await Promise.allSettled(codes.map((code, i) => racers[i]!.take(dealerScope(code), orderId)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ code: codes[i]!, result: r.value }] : []));
        expect(won).toHaveLength(1);
        const winner = won[0]!;
        expect(winner.result).toMatchObject<Partial<TakeResult>>({ dealerCode: winner.code, status: 'assigned', alreadyYours: false, secondsToTake: 60 });
        const tally = results.map(reasonOf).reduce<Record<string, number>>((acc, r) => ({ ...acc, [r]: (acc[r] ?? 0) + 1 }), {});
        expect(tally).toEqual({ won: 1, 'not_found:taken_by_another': TAKERS - 1 });

        expect(await distribution(orderId)).toEqual({ status: 'assigned', round: 1, dealer: winner.code, assigned_via: 'take' });
        expect(await offerStatuses(orderId)).toEqual({ taken: 1, lost: TAKERS - 1 });
        const [taken] = await t.db.query<{ code: string }>(`SELECT dl.code FROM dealer_offer o JOIN dealer dl ON dl.id = o.dealer_id WHERE o.order_id = $1 AND o.status = 'taken'`, [orderId]);
        expect(taken!.code).toBe(winner.code);
        expect(await eventCount(orderId, 'taken')).toBe(1);
        winners.push(winner.code);
      }
      // Every win, and only a win, counts towards the winner's acceptance time.
      const takes = await t.db.query<{ code: string; takes_count: number; take_seconds_total: string }>(
        `SELECT code, takes_count, take_seconds_total::text FROM dealer WHERE code LIKE 'RACE-%' AND takes_count > 0 ORDER BY code`,
      );
      const expected = new Map<string, number>();
      for (const code of winners) expected.set(code, (expected.get(code) ?? 0) + 1);
      expect(takes.map((r) => [r.code, r.takes_count, Number(r.take_seconds_total)])).toEqual([...expected].sort().map(([code, n]) => [code, n, 60 * n]));
    });
  });

  describe('when 8 workers distribute the same new order at once', () => {
    it('decides it once: one round, one set of offers, one notification per dealer', async () => {
      const codes = await createDealers('DUP', 12);
      now = T0;
      await admin().configs.save({ settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] }, 'test');
      const orderId = await placeOrder('DUP', '1');
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => serviceNo(i).distribute(orderId)));
      expect(outcomes.map((o) => o.action).sort()).toEqual(['distributed', ...Array<string>(7).fill('unchanged')]);
      expect(outcomes.filter((o) => o.action === 'unchanged').every((o) => o.status === 'offering')).toBe(true);

      expect(await distribution(orderId)).toMatchObject({ status: 'offering', round: 1 });
      const offers = await t.db.query<{ round: number; n: number; dealers: number }>(
        `SELECT round, count(*)::int AS n, count(DISTINCT dealer_id)::int AS dealers FROM dealer_offer WHERE order_id = $1 GROUP BY round`,
        [orderId],
      );
      expect(offers).toEqual([{ round: 1, n: codes.length, dealers: codes.length }]);
      expect(await eventCount(orderId, 'distributed')).toBe(1);
      const [sent] = await t.db.query<{ n: number; dealers: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT dealer_id)::int AS dealers FROM notification WHERE order_id = $1 AND kind = 'offered'`,
        [orderId],
      );
      expect(sent).toEqual({ n: codes.length, dealers: codes.length });
    });
  });

  describe('when a take, a decline and the deadline meet', () => {
    it('at the deadline, hands every order to the fallback exactly once, whether the take, the decline or the tick comes first', async () => {
      const [taker, decliner] = await createDealers('MIX', 2, [{ code: 'MIX-DEPT', region: 'RU-SPE' }]);
      now = T0;
      await admin().configs.save({ settings: { fallbackDealer: 'MIX-DEPT' }, tiers: [{ kind: 'taxi', windowMinutes: 10, scope: 'region' }] }, 'test');
      for (let round = 0; round < ROUNDS; round++) {
        now = T0;
        const orderId = await placeOrder('MIX', String(round));
        await admin().distribute(orderId);
        // The deadline is exactly now: the window is closed. A take refused for it hands the order to
        // the fallback itself; advance() does the same; they meet on the row and only one does it.
        now = T0 + 10 * MINUTE;
        let taking!: Promise<TakeResult>;
        let declining!: Promise<unknown>;
        let advancing!: Promise<AdvanceReport>;
        const starts = [
          () => (taking = serviceNo(0).take(dealerScope(taker!), orderId)),
          () => (declining = serviceNo(1).decline(dealerScope(decliner!), orderId, 'busy')),
          () => (advancing = serviceNo(2).advance()),
        ];
        // Each round starts them in another order, so each gets a head start in some rounds.
        for (let k = 0; k < starts.length; k++) starts[(k + round) % starts.length]!();
        const [take, decline, advance] = await Promise.allSettled([taking, declining, advancing]);
        if (advance.status === 'rejected') throw advance.reason;
        const dist = await distribution(orderId);
        const offers = await offerStatuses(orderId);
        expect(dist).toMatchObject({ status: 'assigned', dealer: 'MIX-DEPT', assigned_via: 'fallback' });
        expect(offers.open ?? 0).toBe(0);
        expect(offers.taken ?? 0).toBe(0);
        expect(reasonOf(take)).toBe('conflict:window_closed');
        expect(await eventCount(orderId, 'taken')).toBe(0);
        expect(await eventCount(orderId, 'fallback')).toBe(1);
        expect(advance.value.fellBack).toBeLessThanOrEqual(1);
        // The decline either landed while the order was offered, or found its window closed, as a take does.
        const declined = offers.declined ?? 0;
        expect(reasonOf(decline)).toBe(declined === 1 ? 'won' : 'conflict:window_closed');
        expect(await eventCount(orderId, 'declined')).toBe(declined);
      }
      const [row] = await t.db.query<{ takes_count: number }>(`SELECT takes_count FROM dealer WHERE code = $1`, [taker]);
      expect(row!.takes_count).toBe(0);
    });
  });

  describe('when a new round is written while a take waits for the row', () => {
    it('does not let the take win with the old round\'s offer', async () => {
      const [stale, fresh] = await createDealers('RND', 2);
      now = T0;
      await admin().configs.save({ settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] }, 'test');
      const orderId = await placeOrder('RND', '1');
      await admin().distribute(orderId);

      // Another session holds the distribution row, as a redistribution does while it writes round 2 (offered to the other dealer only).
      const session = new pg.Client({ connectionString: t.url });
      await session.connect();
      try {
        await session.query('BEGIN');
        await session.query(`SELECT 1 FROM order_distribution WHERE order_id = $1 FOR UPDATE`, [orderId]);
        let settled = false;
        const take = serviceNo(0).take(dealerScope(stale!), orderId).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ).finally(() => (settled = true));
        // Wait until the take's statement has read its offer and is queued behind the row lock.
        while (!settled) {
          const [waiting] = await t.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%WITH offer AS%'`,
          );
          if (waiting!.n > 0) break;
        }
        expect(settled).toBe(false);
        await session.query(`UPDATE dealer_offer SET status = 'withdrawn' WHERE order_id = $1 AND status = 'open'`, [orderId]);
        await session.query(`UPDATE order_distribution SET round = round + 1, revision = revision + 1 WHERE order_id = $1`, [orderId]);
        await session.query(
          `INSERT INTO dealer_offer (id, order_id, round, dealer_id, tier, tier_kind, rank, visible_from, status)
           SELECT gen_random_uuid()::text, $1, 2, id, 0, 'taxi', 0, $2::timestamptz, 'open' FROM dealer WHERE code = $3`,
          [orderId, new Date(T0).toISOString(), fresh],
        );
        await session.query('COMMIT');
        const outcome = await take;
        expect('error' in outcome && outcome.error).toMatchObject({ code: 'not_found', details: { reason: 'offer_ended' } });
      } finally {
        await session.end();
      }
      expect(await distribution(orderId)).toEqual({ status: 'offering', round: 2, dealer: null, assigned_via: null });
      expect((await serviceNo(1).take(dealerScope(fresh!), orderId)).dealerCode).toBe(fresh);
    });
  });

  describe('when orders with a Base+ quota are decided at once', () => {
    it('gives the quota dealer exactly its count, as if the orders had come one by one', async () => {
      const [quota] = await createDealers('QT', 3);
      await admin().configs.save(
        {
          settings: {},
          tiers: [
            { kind: 'base_plus', windowMinutes: 10, period: 'day', quotas: [{ dealer: quota!, unit: 'count', limit: 4 }] },
            { kind: 'taxi', windowMinutes: 60, scope: 'region' },
          ],
        },
        'test',
      );
      const orders: string[] = [];
      for (let i = 0; i < 16; i++) orders.push(await placeOrder('QT', String(i)));
      // Without the quota lock all 16 decisions read "0 of 4 given" and every one goes to the quota dealer first.
      await Promise.all(orders.map((id, i) => serviceNo(i).distribute(id)));
      const [given] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM order_distribution d JOIN dealer q ON q.id = d.quota_dealer_id WHERE q.code = $1 AND d.order_id = ANY($2::text[])`,
        [quota, orders],
      );
      expect(given!.n).toBe(4);
      const [first] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM dealer_offer o JOIN dealer d ON d.id = o.dealer_id WHERE d.code = $1 AND o.tier_kind = 'base_plus' AND o.order_id = ANY($2::text[])`,
        [quota, orders],
      );
      expect(first!.n).toBe(4);
    });
  });
});
