import { describe, expect, it } from 'vitest';
import type { DistributionSettings, Tier } from '../../core/distribution/distribution-config.ts';
import type { DealerFacts, OrderFacts, OrderLineFacts, Plan, PlanInput, QuotaState, TierTrace } from '../../core/distribution/distribution-plan.ts';
import { planDistribution } from '../../core/distribution/distribution-strategy.ts';

const NOW = new Date('2026-03-02T09:00:00.000Z');
const RU = '/RU/';
const MOW = '/RU/RU-MOW/';
const ZEL = '/RU/RU-MOW/RU-MOW-ZEL/';
const SPE = '/RU/RU-SPE/';

/** NOW + minutes, as the ISO string the trace and the assertions use. */
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

function dealer(code: string, overrides: Partial<DealerFacts> = {}): DealerFacts {
  return {
    id: `id-${code}`,
    code,
    name: `Dealer ${code}`,
    active: true,
    authorised: true,
    acceptsSiteOrders: true,
    regionPaths: [MOW],
    points: 0,
    avgTakeSeconds: null,
    takesCount: 0,
    wholeRange: true,
    productLines: [],
    stockedProductIds: [],
    exclusionReason: null,
    declined: false,
    ...overrides,
  };
}

let position = 0;
function line(sku: string, overrides: Partial<OrderLineFacts> = {}): OrderLineFacts {
  position += 1;
  return { position, sku, productId: `p-${sku}`, productLine: 'Tiles', brand: 'Kerama', ...overrides };
}

function order(overrides: Partial<OrderFacts> = {}): OrderFacts {
  return {
    orderId: 'order-1',
    number: '1001',
    channel: { id: 'ch-1', name: 'site', kind: 'webshop', labels: ['b2c'] },
    regionCode: 'RU-MOW',
    regionPath: MOW,
    lines: [line('TILE-1')],
    placedAt: '2026-03-02T08:55:00.000Z',
    ...overrides,
  };
}

function settings(overrides: Partial<DistributionSettings> = {}): DistributionSettings {
  return {
    pointsOnCompletion: 100,
    pointsOnDealerCancel: 50,
    fulfilmentDays: 14,
    defaultDealers: [],
    orderKinds: [],
    assortment: { rule: 'all' },
    distribute: { channelKinds: ['webshop', 'manual'], channels: [], statuses: ['received'] },
    preferFastAcceptance: false,
    timeZone: 'UTC',
    ...overrides,
  };
}

interface Scenario {
  dealers?: DealerFacts[];
  tiers?: Tier[];
  settings?: Partial<DistributionSettings>;
  order?: Partial<OrderFacts>;
  quota?: Record<number, QuotaState>;
  regionPaths?: Record<string, string>;
}

function input(s: Scenario = {}): PlanInput {
  return {
    order: order(s.order),
    dealers: s.dealers ?? [],
    config: { settings: settings(s.settings), tiers: s.tiers ?? [] },
    configVersion: 7,
    now: NOW,
    regionPaths: s.regionPaths ?? { 'RU-MOW': MOW, 'RU-SPE': SPE, RU },
    quota: s.quota ?? {},
  };
}

const plan = (s: Scenario = {}) => planDistribution(input(s));

const taxi = (extra: Partial<Extract<Tier, { kind: 'taxi' }>> = {}): Tier => ({ kind: 'taxi', windowMinutes: 60, scope: 'region', ...extra });
const base = (extra: Partial<Extract<Tier, { kind: 'base' }>> = {}): Tier => ({ kind: 'base', windowMinutes: 30, delayMinutes: 0, priorityDealers: [], ...extra });
const rating = (extra: Partial<Extract<Tier, { kind: 'rating' }>> = {}): Tier => ({ kind: 'rating', windowMinutes: 5, minPoints: 0, ...extra });
const fastest = (extra: Partial<Extract<Tier, { kind: 'fastest' }>> = {}): Tier => ({ kind: 'fastest', windowMinutes: 5, top: 3, minTakes: 5, ...extra });
const fixed = (rules: { dealer: string; match?: Record<string, string[]> }[], extra: Partial<Extract<Tier, { kind: 'fixed' }>> = {}): Tier => ({
  kind: 'fixed',
  windowMinutes: 10,
  rules: rules.map((r) => ({ dealer: r.dealer, match: r.match ?? {} })),
  ...extra,
});
const basePlus = (quotas: { dealer: string; unit: 'percent' | 'count'; limit: number }[], extra: Partial<Extract<Tier, { kind: 'base_plus' }>> = {}): Tier => ({
  kind: 'base_plus',
  windowMinutes: 15,
  period: 'month',
  quotas,
  ...extra,
});

/** Offers as [code, tier, rank, visibleFrom, expiresAt] for readable timeline assertions. */
function offers(p: Plan): [string, number, number, string, string | null][] {
  return p.offers.map((o) => [o.dealerCode, o.tier, o.rank, o.visibleFrom.toISOString(), o.expiresAt?.toISOString() ?? null]);
}

const codes = (p: Plan) => p.offers.map((o) => o.dealerCode);
const filtered = (t: TierTrace | undefined) => (t?.filtered ?? []).map((f) => [f.code, f.filter]);
const verdict = (p: Plan, code: string) => p.trace.dealers.find((d) => d.code === code)!;

describe('planDistribution', () => {
  describe('when a fixed tier runs alone', () => {
    const dealers = [dealer('F1', { regionPaths: [SPE] }), dealer('F2'), dealer('OFF', { active: false }), dealer('NOPE')];

    it('offers the dealers of every matching rule in rule order, wherever they are, once each', () => {
      const p = plan({
        dealers,
        tiers: [
          fixed([
            { dealer: 'F1', match: { channelKinds: ['webshop'] } },
            { dealer: 'NOPE', match: { channelKinds: ['pos'] } },
            { dealer: 'F2' },
            { dealer: 'F1', match: { productLines: ['Tiles'] } },
          ]),
        ],
      });
      expect(p.outcome).toBe('offer');
      expect(offers(p)).toEqual([
        ['F1', 0, 0, at(0), null],
        ['F2', 0, 1, at(0), null],
      ]);
      expect(p.deadlineAt?.toISOString()).toBe(at(10));
      expect(p.trace.tiers[0]!.details.rules).toEqual([
        { rule: 1, dealer: 'F1', match: 'channelKinds: webshop', matched: true, unmet: [] },
        { rule: 2, dealer: 'NOPE', match: 'channelKinds: pos', matched: false, unmet: ['channelKinds: pos'] },
        { rule: 3, dealer: 'F2', match: 'every order', matched: true, unmet: [] },
        { rule: 4, dealer: 'F1', match: 'productLines: Tiles', matched: true, unmet: [] },
      ]);
    });

    it('filters a rule dealer that is unknown or fails a general check, with the reason', () => {
      const p = plan({ dealers, tiers: [fixed([{ dealer: 'GHOST' }, { dealer: 'OFF' }, { dealer: 'F2' }])] });
      expect(codes(p)).toEqual(['F2']);
      expect(p.trace.tiers[0]!.filtered).toEqual([
        { code: 'GHOST', filter: 'fixed_rule', message: 'rule 1 names GHOST, which is not among the candidate dealers (unknown or not loaded)' },
        { code: 'OFF', filter: 'fixed_rule', message: 'rule 2 names a dealer that cannot take the order: Dealer OFF (OFF) is deactivated' },
      ]);
    });

    it('is skipped when no rule matches', () => {
      const p = plan({ dealers, tiers: [fixed([{ dealer: 'F1', match: { channels: ['other-shop'] } }])] });
      expect(p.outcome).toBe('unassigned');
      expect(p.trace.tiers[0]!.skipped).toBe('no fixed rule matches the order');
    });
  });

  describe('when a base_plus tier runs alone', () => {
    const dealers = [dealer('Q1'), dealer('Q2'), dealer('Q3'), dealer('OTHER')];

    it('offers the order to the one quota dealer furthest behind, counts it against that dealer, and explains the others', () => {
      const p = plan({
        dealers,
        tiers: [
          basePlus([
            { dealer: 'Q1', unit: 'percent', limit: 12 },
            { dealer: 'Q2', unit: 'percent', limit: 30 },
            { dealer: 'Q3', unit: 'count', limit: 2 },
          ]),
        ],
        quota: { 0: { periodStart: '2026-03-01T00:00:00.000Z', distributedInPeriod: 9, allocated: { Q1: 0, Q2: 1, Q3: 2 } } },
      });
      // Q1: 12% of 10 = 1.2, has 0 → behind by 1.2; Q2: 30% of 10 = 3, has 1 → behind by 2; Q3: count 2 reached.
      expect(offers(p)).toEqual([['Q2', 0, 0, at(0), null]]);
      expect(p.quotaDealerId).toBe('id-Q2');
      const tier = p.trace.tiers[0]!;
      expect(tier.details).toMatchObject({ period: 'month', periodStart: '2026-03-01T00:00:00.000Z', distributedInPeriod: 9, chosen: 'Q2' });
      expect(tier.details.quotas).toEqual([
        { dealer: 'Q1', unit: 'percent', limit: 12, inReach: 9, allocated: 0, target: 1.2, deficit: 1.2, behind: true, status: 'behind' },
        { dealer: 'Q2', unit: 'percent', limit: 30, inReach: 9, allocated: 1, target: 3, deficit: 2, behind: true, status: 'chosen' },
        { dealer: 'Q3', unit: 'count', limit: 2, inReach: 9, allocated: 2, target: 2, deficit: 0, behind: false, status: 'not_behind' },
      ]);
      expect(tier.filtered).toEqual([
        { code: 'Q3', filter: 'quota', message: 'Dealer Q3 (Q3) is not behind its quota (2 orders = target 2, has 2; one more would exceed it)' },
        { code: 'Q1', filter: 'quota', message: 'Dealer Q1 (Q1) is behind its quota by 1.2, but Dealer Q2 (Q2) is further behind (2)' },
      ]);
    });

    it('reads a missing period state as zeros: a count quota is behind, a small percentage is not yet', () => {
      const p = plan({ dealers, tiers: [basePlus([{ dealer: 'Q1', unit: 'percent', limit: 12 }, { dealer: 'Q3', unit: 'count', limit: 1 }])] });
      expect(codes(p)).toEqual(['Q3']);
      expect(p.trace.tiers[0]!.details).toMatchObject({ periodStart: null, distributedInPeriod: 0 });
    });

    it('breaks a tie in the deficit by the lower code', () => {
      const p = plan({ dealers, tiers: [basePlus([{ dealer: 'Q2', unit: 'count', limit: 3 }, { dealer: 'Q1', unit: 'count', limit: 3 }])] });
      expect(codes(p)).toEqual(['Q1']);
    });

    it('is skipped, with no quota dealer, when nobody is behind', () => {
      const p = plan({ dealers, tiers: [basePlus([{ dealer: 'Q1', unit: 'percent', limit: 50 }]), taxi()], quota: { 0: { periodStart: 'x', distributedInPeriod: 1, allocated: { Q1: 1 } } } });
      expect(p.trace.tiers[0]!.skipped).toBe('no eligible quota dealer is behind its quota');
      expect(p.quotaDealerId).toBeNull();
      expect(codes(p)).toEqual(['OTHER', 'Q1', 'Q2', 'Q3']);
      expect(p.offers.every((o) => o.tier === 1 && o.visibleFrom.toISOString() === at(0))).toBe(true);
    });

    it('leaves out quota dealers that are unknown, ineligible or outside the region', () => {
      const p = plan({
        dealers: [dealer('Q1', { declined: true }), dealer('Q2', { regionPaths: [SPE] })],
        tiers: [basePlus([{ dealer: 'Q0', unit: 'count', limit: 5 }, { dealer: 'Q1', unit: 'count', limit: 5 }, { dealer: 'Q2', unit: 'count', limit: 5 }])],
      });
      expect(p.offers).toEqual([]);
      expect(filtered(p.trace.tiers[0])).toEqual([
        ['Q0', 'quota'],
        ['Q1', 'quota'],
        ['Q2', 'region'],
      ]);
      expect((p.trace.tiers[0]!.details.quotas as { status: string }[]).map((q) => q.status)).toEqual(['unknown', 'ineligible', 'region']);
    });
  });

  describe('when base_plus distributes a sequence of orders over a period', () => {
    /** Distributes `n` orders one after another, feeding each decision into the next order's period counts. */
    function simulate(quotas: { dealer: string; unit: 'percent' | 'count'; limit: number }[], n: number): Record<string, number[]> {
      const dealers = quotas.map((q) => dealer(q.dealer));
      const state: QuotaState = { periodStart: '2026-03-01T00:00:00.000Z', distributedInPeriod: 0, allocated: {} };
      const got: Record<string, number[]> = Object.fromEntries(quotas.map((q) => [q.dealer, []]));
      for (let i = 1; i <= n; i += 1) {
        const p = plan({ dealers, tiers: [basePlus(quotas)], quota: { 0: structuredClone(state) } });
        const code = p.offers[0]?.dealerCode;
        if (code) {
          expect(p.quotaDealerId).toBe(`id-${code}`);
          got[code]!.push(i);
          state.allocated[code] = (state.allocated[code] ?? 0) + 1;
        }
        state.distributedInPeriod += 1;
        // Never ahead: after order i a percent dealer holds at most its share of i orders.
        for (const q of quotas) {
          const cap = q.unit === 'percent' ? (q.limit / 100) * i : q.limit;
          expect(state.allocated[q.dealer] ?? 0).toBeLessThanOrEqual(cap + 1e-9);
        }
      }
      return got;
    }

    it('gives a 12% dealer exactly 12 of 100 orders, evenly spread (its first is the 9th), and a count dealer exactly its count', () => {
      const got = simulate(
        [
          { dealer: 'A', unit: 'percent', limit: 12 },
          { dealer: 'C', unit: 'count', limit: 5 },
        ],
        100,
      );
      expect(got.A).toEqual([9, 17, 25, 34, 42, 50, 59, 67, 75, 84, 92, 100]);
      expect(got.C).toEqual([1, 2, 3, 4, 5]);
    });

    it('with quotas 12%, 12% and a count of 5: 12, 11 and 5 after 100 orders, and the second 12% dealer gets its 12th with the 101st', () => {
      // Neither 12% dealer may run ahead of its share, and both shares reach 12 only at the 100th
      // order, which only one of them can get: the other's 12th is the next order.
      const quotas = [
        { dealer: 'A', unit: 'percent' as const, limit: 12 },
        { dealer: 'B', unit: 'percent' as const, limit: 12 },
        { dealer: 'C', unit: 'count' as const, limit: 5 },
      ];
      const got = simulate(quotas, 101);
      const upTo100 = (list: number[]) => list.filter((i) => i <= 100).length;
      expect([upTo100(got.A!), upTo100(got.B!), upTo100(got.C!)]).toEqual([12, 11, 5]);
      expect(got.A).toEqual([9, 17, 25, 34, 42, 50, 59, 67, 75, 84, 92, 100]);
      expect(got.B).toEqual([10, 18, 26, 35, 43, 51, 60, 68, 76, 85, 93, 101]);
      expect(got.C).toEqual([1, 2, 3, 4, 5]);
    });

    it('leaves one of two percent dealers one short at a round number of orders: 25% and 10% → 25 and 9 of 100', () => {
      const got = simulate(
        [
          { dealer: 'A', unit: 'percent', limit: 25 },
          { dealer: 'B', unit: 'percent', limit: 10 },
        ],
        100,
      );
      // At the 100th order both are exactly one short (deficit 1): the tie goes to the lower code.
      expect(got.A!.length).toBe(25);
      expect(got.B!.length).toBe(9);
    });
  });

  describe('when a rating tier runs alone', () => {
    const dealers = [
      dealer('R1', { points: 300, avgTakeSeconds: 600 }),
      dealer('R2', { points: 300, avgTakeSeconds: 60 }),
      dealer('R3', { points: 900 }),
      dealer('R4', { points: 99 }),
      dealer('R5', { points: 150, regionPaths: [SPE] }),
      dealer('R6', { points: 120 }),
    ];

    it('offers the dealers with at least minPoints, most points first, ties by code, limited to the top N', () => {
      const p = plan({ dealers, tiers: [rating({ minPoints: 100, top: 3, windowMinutes: 5 })] });
      expect(offers(p)).toEqual([
        ['R3', 0, 0, at(0), null],
        ['R1', 0, 1, at(0), null],
        ['R2', 0, 2, at(0), null],
      ]);
      expect(p.trace.tiers[0]!.filtered).toEqual([
        { code: 'R4', filter: 'points', message: 'Dealer R4 (R4) has 99 points, below the minimum of 100' },
        { code: 'R6', filter: 'top', message: 'Dealer R6 (R6) is number 4 by points, outside the top 3' },
      ]);
      expect(p.deadlineAt?.toISOString()).toBe(at(5));
    });

    it('breaks ties by the shorter acceptance time when the settings prefer fast acceptance', () => {
      const p = plan({ dealers, settings: { preferFastAcceptance: true }, tiers: [rating({ minPoints: 100, top: 3 })] });
      expect(codes(p)).toEqual(['R3', 'R2', 'R1']);
    });

    it('is skipped when nobody has enough points', () => {
      const p = plan({ dealers, tiers: [rating({ minPoints: 10_000 })] });
      expect(p.trace.tiers[0]!.skipped).toBe('no eligible dealer has at least 10000 points');
    });
  });

  describe('when a fastest tier runs alone', () => {
    it('offers the quickest takers with enough takes, quickest first, limited to the top N', () => {
      const p = plan({
        dealers: [
          dealer('S1', { avgTakeSeconds: 300, takesCount: 10 }),
          dealer('S2', { avgTakeSeconds: 30, takesCount: 2 }),
          dealer('S3', { avgTakeSeconds: 120, takesCount: 5 }),
          dealer('S4', { avgTakeSeconds: null, takesCount: 0 }),
          dealer('S5', { avgTakeSeconds: 120, takesCount: 50 }),
          dealer('S6', { avgTakeSeconds: 900, takesCount: 50 }),
        ],
        tiers: [fastest({ top: 3, minTakes: 5 })],
      });
      expect(codes(p)).toEqual(['S3', 'S5', 'S1']);
      expect(filtered(p.trace.tiers[0])).toEqual([
        ['S2', 'no_takes'],
        ['S4', 'no_takes'],
        ['S6', 'top'],
      ]);
      expect(p.trace.tiers[0]!.filtered[0]!.message).toBe('Dealer S2 (S2) has taken 2 orders; an average acceptance time needs at least 5');
    });
  });

  describe('when a base tier runs alone', () => {
    const dealers = [dealer('P1', { points: 5 }), dealer('B1', { points: 50 }), dealer('B2', { points: 80 }), dealer('P2', { points: 1, regionPaths: [SPE] })];

    it('shows the order to the priority dealers at once and to the rest of the region after the delay', () => {
      const p = plan({ dealers, tiers: [base({ windowMinutes: 30, delayMinutes: 15, priorityDealers: ['P1', 'P2'] })] });
      expect(offers(p)).toEqual([
        ['P1', 0, 0, at(0), null],
        ['B2', 0, 1, at(15), null],
        ['B1', 0, 2, at(15), null],
      ]);
      expect(p.trace.tiers[0]!.details).toEqual({ delayMinutes: 15, appliedDelayMinutes: 15, priorityDealers: ['P1'], priorityNotOffered: ['P2'] });
      expect(p.deadlineAt?.toISOString()).toBe(at(30));
    });

    it('clamps the delay to the window', () => {
      const p = plan({ dealers, tiers: [base({ windowMinutes: 10, delayMinutes: 60, priorityDealers: ['P1'] })] });
      expect(offers(p).map((o) => o[3])).toEqual([at(0), at(10), at(10)]);
    });

    it('does not hold the order back when no priority dealer is eligible', () => {
      const p = plan({ dealers, tiers: [base({ delayMinutes: 15, priorityDealers: ['P2'] })] });
      expect(offers(p).map((o) => [o[0], o[3]])).toEqual([
        ['B2', at(0)],
        ['B1', at(0)],
        ['P1', at(0)],
      ]);
      expect(p.trace.tiers[0]!.details.appliedDelayMinutes).toBe(0);
    });
  });

  describe('when a taxi tier runs alone', () => {
    const dealers = [dealer('T1', { points: 10 }), dealer('T2', { points: 20, regionPaths: [SPE] }), dealer('T3', { points: 20 })];

    it('with scope region: every eligible dealer of the region, at once', () => {
      const p = plan({ dealers, tiers: [taxi({ scope: 'region' })] });
      expect(offers(p)).toEqual([
        ['T3', 0, 0, at(0), null],
        ['T1', 0, 1, at(0), null],
      ]);
      expect(filtered(p.trace.tiers[0])).toEqual([]);
      expect(verdict(p, 'T2').failed.map((f) => f.check)).toEqual(['region']);
    });

    it('with scope everywhere: every eligible dealer wherever it is', () => {
      const p = plan({ dealers, tiers: [taxi({ scope: 'everywhere' })] });
      expect(codes(p)).toEqual(['T2', 'T3', 'T1']);
    });

    it('with scope everywhere still reaches dealers when the order has no known region', () => {
      const p = plan({ dealers, order: { regionCode: 'XX', regionPath: null }, tiers: [taxi({ scope: 'region' }), taxi({ scope: 'everywhere' })] });
      expect(p.trace.tiers[0]!.skipped).toBe("the order's region XX is unknown, and this tier offers by region");
      expect(offers(p).map((o) => [o[0], o[1], o[3]])).toEqual([
        ['T2', 1, at(0)],
        ['T3', 1, at(0)],
        ['T1', 1, at(0)],
      ]);
    });
  });

  describe('when all tiers run together by priority', () => {
    const dealers = [
      dealer('FIX', { regionPaths: [SPE], points: 1000 }),
      dealer('Q1', { points: 10 }),
      dealer('R1', { points: 500 }),
      dealer('R2', { points: 300 }),
      dealer('R3', { points: 200 }),
      dealer('PRI', { points: 5 }),
      dealer('D1', { points: 20 }),
      dealer('FAR', { regionPaths: [SPE] }),
    ];
    const tiers: Tier[] = [
      fixed([{ dealer: 'FIX', match: { channelKinds: ['webshop'] } }], { windowMinutes: 10 }),
      basePlus([{ dealer: 'Q1', unit: 'count', limit: 3 }], { windowMinutes: 15 }),
      rating({ minPoints: 100, top: 2, windowMinutes: 5, keepOffered: false }),
      base({ windowMinutes: 30, delayMinutes: 15, priorityDealers: ['PRI'] }),
      taxi({ scope: 'everywhere', windowMinutes: 60 }),
    ];

    it('lays the tiers on one timeline: each opens when the previous closes, and no dealer is offered twice', () => {
      const p = plan({ dealers, tiers });
      expect(p.outcome).toBe('offer');
      expect(p.assignTo).toBeNull();
      expect(offers(p)).toEqual([
        ['FIX', 0, 0, at(0), null],
        ['Q1', 1, 0, at(10), null],
        ['R1', 2, 0, at(25), at(30)],
        ['R2', 2, 1, at(25), at(30)],
        ['PRI', 3, 0, at(30), null],
        ['R3', 3, 1, at(45), null],
        ['D1', 3, 2, at(45), null],
        ['FAR', 4, 0, at(60), null],
      ]);
      expect(p.deadlineAt?.toISOString()).toBe(at(120));
      expect(p.quotaDealerId).toBe('id-Q1');
      expect(p.trace.tiers.map((t) => [t.kind, t.opensAt, t.closesAt, t.skipped])).toEqual([
        ['fixed', at(0), at(10), null],
        ['base_plus', at(10), at(25), null],
        ['rating', at(25), at(30), null],
        ['base', at(30), at(60), null],
        ['taxi', at(60), at(120), null],
      ]);
      expect(p.trace.tiers[3]!.filtered).toEqual([
        { code: 'R1', filter: 'already_offered', message: 'Dealer R1 (R1) was already offered the order by tier 3 (rating)' },
        { code: 'R2', filter: 'already_offered', message: 'Dealer R2 (R2) was already offered the order by tier 3 (rating)' },
        { code: 'Q1', filter: 'already_offered', message: 'Dealer Q1 (Q1) was already offered the order by tier 2 (base_plus)' },
      ]);
      expect(p.trace.result).toEqual({
        outcome: 'offer',
        dealer: null,
        via: null,
        reason: `offered to 8 dealers by 5 tiers (fixed, base_plus, rating, base, taxi); if nobody takes it by ${at(120)}, the admins are told (no fallback dealer is configured)`,
      });
    });

    it('skips tiers that find nobody without spending their window', () => {
      const withEmpty: Tier[] = [
        fixed([{ dealer: 'FIX', match: { channels: ['other'] } }], { windowMinutes: 10 }),
        tiers[0]!,
        fastest({ windowMinutes: 7, name: 'quick ones' }),
        rating({ minPoints: 100_000, windowMinutes: 9 }),
        ...tiers.slice(1),
        taxi({ scope: 'region', windowMinutes: 600 }),
      ];
      const p = plan({ dealers, tiers: withEmpty });
      expect(offers(p).map((o) => [o[0], o[3]])).toEqual([
        ['FIX', at(0)],
        ['Q1', at(10)],
        ['R1', at(25)],
        ['R2', at(25)],
        ['PRI', at(30)],
        ['R3', at(45)],
        ['D1', at(45)],
        ['FAR', at(60)],
      ]);
      expect(p.trace.tiers.map((t) => [t.name, t.opensAt, t.skipped])).toEqual([
        ['fixed', null, 'no fixed rule matches the order'],
        ['fixed', at(0), null],
        ['quick ones', null, 'no eligible dealer has taken at least 5 orders'],
        ['rating', null, 'no eligible dealer has at least 100000 points'],
        ['base_plus', at(10), null],
        ['rating', at(25), null],
        ['base', at(30), null],
        ['taxi', at(60), null],
        ['taxi', null, 'every eligible dealer was already offered the order'],
      ]);
      expect(p.deadlineAt?.toISOString()).toBe(at(120));
    });

    it('lists in a top-N tier the dealers already offered, so "top 2" stays the two best', () => {
      const p = plan({ dealers, tiers: [fixed([{ dealer: 'R1' }]), rating({ minPoints: 100, top: 2 })] });
      expect(codes(p)).toEqual(['R1', 'R2']);
      expect(filtered(p.trace.tiers[1]).filter(([, f]) => f === 'top' || f === 'already_offered')).toEqual([
        ['R3', 'top'],
        ['R1', 'already_offered'],
      ]);
    });
  });

  describe('when dealers fail the general checks', () => {
    const tiles = [line('TILE-1', { productId: 'p1', productLine: 'Marmi' }), line('TILE-2', { productId: 'p2', productLine: 'Basic' }), line('TILE-3', { productId: 'p3', productLine: 'Grout' })];

    it('lists every failed check in order, each a sentence naming the dealer, the region and the lines', () => {
      const bad = dealer('BAD', {
        name: 'Keramika',
        active: false,
        authorised: false,
        acceptsSiteOrders: false,
        regionPaths: [SPE],
        wholeRange: false,
        stockedProductIds: ['p1'],
        exclusionReason: 'brand Kerama is exclusive to D-17 in RU-MOW',
        declined: true,
      });
      const p = plan({ dealers: [bad], order: { lines: tiles }, tiers: [taxi({ scope: 'everywhere' })] });
      expect(verdict(p, 'BAD')).toEqual({
        code: 'BAD',
        name: 'Keramika',
        regionMatch: 'none',
        points: 0,
        avgTakeSeconds: null,
        failed: [
          { check: 'inactive', message: 'Keramika (BAD) is deactivated' },
          { check: 'not_authorised', message: 'Keramika (BAD) is not an authorised dealer' },
          { check: 'not_accepting', message: "Keramika (BAD) does not take orders from the manufacturer's site" },
          { check: 'region', message: "Keramika (BAD) serves /RU/RU-SPE/, not the order's region RU-MOW (/RU/RU-MOW/)" },
          { check: 'assortment', message: 'the assortment of Keramika (BAD) covers 1 of 3 product lines (all required): missing TILE-2, TILE-3' },
          { check: 'exclusivity', message: 'Keramika (BAD) is excluded by regional exclusivity: brand Kerama is exclusive to D-17 in RU-MOW' },
          { check: 'declined', message: 'Keramika (BAD) declined this order in an earlier round' },
        ],
      });
      expect(p.offers).toEqual([]);
    });

    it.each([
      ['inactive', { active: false }],
      ['not_authorised', { authorised: false }],
      ['not_accepting', { acceptsSiteOrders: false }],
      ['exclusivity', { exclusionReason: 'exclusive to D-17' }],
      ['declined', { declined: true }],
    ] as const)('never offers a dealer failing %s, in any tier, and traces it', (check, overrides) => {
      const p = plan({
        dealers: [dealer('X', { ...overrides, points: 1000, avgTakeSeconds: 1, takesCount: 100 }), dealer('OK')],
        tiers: [fixed([{ dealer: 'X' }]), basePlus([{ dealer: 'X', unit: 'count', limit: 5 }]), rating(), fastest({ minTakes: 1 }), base({ priorityDealers: ['X'] }), taxi({ scope: 'everywhere' })],
      });
      expect(codes(p)).toEqual(['OK']);
      expect(verdict(p, 'X').failed.map((f) => f.check)).toEqual([check]);
      expect(p.trace.tiers[0]!.filtered).toEqual([{ code: 'X', filter: 'fixed_rule', message: expect.stringContaining('Dealer X (X)') }]);
    });

    it('lists every dealer of the input in the trace, eligible or not, by code', () => {
      const p = plan({ dealers: [dealer('Z'), dealer('A', { active: false }), dealer('M', { regionPaths: [SPE] })], tiers: [taxi()] });
      expect(p.trace.dealers.map((d) => [d.code, d.failed.map((f) => f.check)])).toEqual([
        ['A', ['inactive']],
        ['M', ['region']],
        ['Z', []],
      ]);
    });
  });

  describe('when the region decides', () => {
    it('matches a dealer whose region contains the order (covers) and one inside the order coarser region (within)', () => {
      const dealers = [dealer('CITY', { regionPaths: [ZEL] }), dealer('MOSCOW', { regionPaths: [SPE, MOW] }), dealer('COUNTRY', { regionPaths: [RU] }), dealer('PITER', { regionPaths: [SPE] })];
      const inCity = plan({ dealers, order: { regionCode: 'RU-MOW-ZEL', regionPath: ZEL }, tiers: [taxi()] });
      expect(inCity.trace.dealers.map((d) => [d.code, d.regionMatch])).toEqual([
        ['CITY', 'covers'],
        ['COUNTRY', 'covers'],
        ['MOSCOW', 'covers'],
        ['PITER', 'none'],
      ]);
      const inCountry = plan({ dealers, order: { regionCode: 'RU', regionPath: RU }, tiers: [taxi()] });
      expect(inCountry.trace.dealers.map((d) => [d.code, d.regionMatch])).toEqual([
        ['CITY', 'within'],
        ['COUNTRY', 'covers'],
        ['MOSCOW', 'within'],
        ['PITER', 'within'],
      ]);
      expect(codes(inCountry)).toEqual(['CITY', 'COUNTRY', 'MOSCOW', 'PITER']);
    });

    it('matches nobody by region when the order region is unknown or missing, and says so', () => {
      const unknown = plan({ dealers: [dealer('D1')], order: { regionCode: 'XX', regionPath: null }, tiers: [taxi()] });
      expect(unknown.trace.order.regionKnown).toBe(false);
      expect(verdict(unknown, 'D1').failed).toEqual([
        { check: 'region', message: "the order's region XX is not in the region hierarchy, so Dealer D1 (D1) cannot be matched by region" },
      ]);
      // Said once, in the dealer's verdict; the regional tier does not repeat it.
      expect(unknown.trace.tiers[0]!.filtered).toEqual([]);
      const none = plan({ dealers: [dealer('D1')], order: { regionCode: null, regionPath: null }, tiers: [taxi()] });
      expect(none.trace.tiers[0]!.skipped).toBe('the order has no region, and this tier offers by region');
      expect(verdict(none, 'D1').failed[0]!.message).toBe('the order has no region, so Dealer D1 (D1) cannot be matched by region');
    });
  });

  describe('when the assortment decides', () => {
    const lines = [line('TILE-1', { productId: 'p1', productLine: 'Marmi' }), line('TILE-2', { productId: 'p2', productLine: 'Basic' }), line('TILE-3', { productId: 'p3', productLine: 'Grout' })];
    const dealers = [
      dealer('ALL', { wholeRange: true }),
      dealer('STOCK', { wholeRange: false, stockedProductIds: ['p1', 'p2', 'p3'] }),
      dealer('LINES', { wholeRange: false, productLines: ['Marmi', 'Basic'] }),
      dealer('ONE', { wholeRange: false, stockedProductIds: ['p1'] }),
      dealer('NONE', { wholeRange: false }),
    ];
    const eligible = (assortment: DistributionSettings['assortment'], orderLines = lines) =>
      plan({ dealers, settings: { assortment }, order: { lines: orderLines }, tiers: [taxi()] }).offers.map((o) => o.dealerCode).sort();

    it('all: every line covered by the whole range, stocked products or complete product lines', () => {
      expect(eligible({ rule: 'all' })).toEqual(['ALL', 'STOCK']);
    });

    it('any: one covered line is enough', () => {
      expect(eligible({ rule: 'any' })).toEqual(['ALL', 'LINES', 'ONE', 'STOCK']);
    });

    it('share: at least minShare of the lines (all of them without minShare)', () => {
      expect(eligible({ rule: 'share', minShare: 0.6 })).toEqual(['ALL', 'LINES', 'STOCK']);
      expect(eligible({ rule: 'share', minShare: 0.3 })).toEqual(['ALL', 'LINES', 'ONE', 'STOCK']);
      expect(eligible({ rule: 'share' })).toEqual(['ALL', 'STOCK']);
      const p = plan({ dealers, settings: { assortment: { rule: 'share', minShare: 0.6 } }, order: { lines }, tiers: [taxi()] });
      expect(verdict(p, 'ONE').failed[0]!.message).toBe('the assortment of Dealer ONE (ONE) covers 1 of 3 product lines (at least 60% required): missing TILE-2, TILE-3');
    });

    it('an order without product lines is covered by everyone', () => {
      expect(eligible({ rule: 'all' }, [])).toEqual(['ALL', 'LINES', 'NONE', 'ONE', 'STOCK']);
    });
  });

  describe('when a default dealer rule matches (installation orders)', () => {
    const installation = { orderKinds: [{ kind: 'installation', productLines: ['Installation'] }], defaultDealers: [{ dealer: 'MONT', match: { orderKinds: ['installation'] } }] };
    const installLines = [line('TILE-1'), line('INST-1', { productId: 'p-inst', productLine: 'Installation' })];
    const dealers = [dealer('MONT', { regionPaths: [SPE], wholeRange: false }), dealer('D1')];

    it('assigns the order at once to the default dealer, whatever its region and assortment, and runs no tier', () => {
      const p = plan({ dealers, settings: installation, order: { lines: installLines }, tiers: [taxi(), base()] });
      expect(p.outcome).toBe('assign');
      expect(p.offers).toEqual([]);
      expect(p.deadlineAt).toBeNull();
      expect(p.assignTo).toEqual({
        dealerId: 'id-MONT',
        dealerCode: 'MONT',
        via: 'default',
        reason: 'assigned at once to the default dealer Dealer MONT (MONT): default rule 1 matches (orderKinds: installation)',
      });
      expect(p.trace.order.orderKinds).toEqual(['installation']);
      expect(p.trace.defaultDealer).toEqual([{ dealer: 'MONT', matched: true, usable: true, message: 'default rule 1 matches (orderKinds: installation): Dealer MONT (MONT) gets the order' }]);
      expect(p.trace.tiers.map((t) => t.skipped)).toEqual([
        'not reached: the order went to the default dealer Dealer MONT (MONT)',
        'not reached: the order went to the default dealer Dealer MONT (MONT)',
      ]);
      expect(p.trace.result).toMatchObject({ outcome: 'assign', dealer: 'MONT', via: 'default' });
    });

    it('recognises the kind by SKU too', () => {
      const bySku = { ...installation, orderKinds: [{ kind: 'installation', skus: ['INST-1'] }] };
      const p = plan({ dealers, settings: bySku, order: { lines: [line('INST-1', { productLine: null })] }, tiers: [taxi()] });
      expect(p.assignTo?.dealerCode).toBe('MONT');
    });

    it('takes the first usable matching rule and traces every rule', () => {
      const p = plan({
        dealers: [...dealers, dealer('OFF', { active: false }), dealer('MONT2')],
        settings: {
          ...installation,
          defaultDealers: [
            { dealer: 'WEB', match: { channelKinds: ['pos'] } },
            { dealer: 'GONE', match: { orderKinds: ['installation'] } },
            { dealer: 'OFF', match: { orderKinds: ['installation'] } },
            { dealer: 'MONT2', match: { orderKinds: ['installation'], regions: ['RU-MOW'] } },
            { dealer: 'MONT', match: { orderKinds: ['installation'] } },
          ],
        },
        order: { lines: installLines },
        tiers: [taxi()],
      });
      expect(p.assignTo?.dealerCode).toBe('MONT2');
      expect(p.trace.defaultDealer).toEqual([
        { dealer: 'WEB', matched: false, usable: false, message: 'default rule 1 does not match the order (channelKinds: pos)' },
        { dealer: 'GONE', matched: true, usable: false, message: 'default rule 2 matches, but its dealer GONE is not among the candidate dealers (unknown or not loaded)' },
        { dealer: 'OFF', matched: true, usable: false, message: 'default rule 3 matches, but Dealer OFF (OFF) is deactivated' },
        { dealer: 'MONT2', matched: true, usable: true, message: 'default rule 4 matches (regions: RU-MOW; orderKinds: installation): Dealer MONT2 (MONT2) gets the order' },
        { dealer: 'MONT', matched: true, usable: true, message: 'default rule 5 matches, but default rule 4 already assigned the order' },
      ]);
    });

    it('leaves other orders to the tiers', () => {
      const p = plan({ dealers, settings: installation, tiers: [taxi()] });
      expect(p.outcome).toBe('offer');
      expect(codes(p)).toEqual(['D1']);
      expect(p.trace.defaultDealer).toEqual([{ dealer: 'MONT', matched: false, usable: true, message: 'default rule 1 does not match the order (orderKinds: installation)' }]);
    });
  });

  describe('when nobody can be offered the order', () => {
    const far = [dealer('FAR', { regionPaths: [SPE] })];

    it('assigns it to the fallback dealer without any check (it is the distribution department)', () => {
      const dept = dealer('DEPT', { authorised: false, acceptsSiteOrders: false, regionPaths: [], wholeRange: false, declined: true });
      const p = plan({ dealers: [...far, dept], settings: { fallbackDealer: 'DEPT' }, tiers: [rating(), taxi()] });
      expect(p.outcome).toBe('assign');
      expect(p.assignTo).toMatchObject({ dealerId: 'id-DEPT', dealerCode: 'DEPT', via: 'fallback' });
      expect(p.assignTo!.reason).toBe(
        "no tier found a dealer (rating: no eligible dealer serves the order's region RU-MOW; taxi: no eligible dealer serves the order's region RU-MOW): assigned to the fallback dealer Dealer DEPT (DEPT)",
      );
      expect(p.trace.result).toEqual({ outcome: 'assign', dealer: 'DEPT', via: 'fallback', reason: p.assignTo!.reason });
    });

    it('assigns to the fallback dealer when no tier is configured', () => {
      const p = plan({ dealers: [dealer('DEPT')], settings: { fallbackDealer: 'DEPT' } });
      expect(p.assignTo?.reason).toBe('no distribution tier is configured: assigned to the fallback dealer Dealer DEPT (DEPT)');
    });

    it.each([
      ['no fallback is configured', {}, [], 'no fallback dealer is configured'],
      ['the fallback dealer is unknown', { fallbackDealer: 'DEPT' }, [], 'the fallback dealer DEPT is unknown'],
      ['the fallback dealer is blocked', { fallbackDealer: 'DEPT' }, [dealer('DEPT', { active: false })], 'the fallback dealer Dealer DEPT (DEPT) is blocked (deactivated)'],
    ] as const)('leaves it unassigned, with the reason, when %s', (_case, s, extra, why) => {
      const p = plan({ dealers: [...far, ...extra], settings: s, tiers: [taxi()] });
      expect(p.outcome).toBe('unassigned');
      expect(p.assignTo).toBeNull();
      expect(p.offers).toEqual([]);
      expect(p.deadlineAt).toBeNull();
      expect(p.trace.result).toEqual({ outcome: 'unassigned', dealer: null, via: null, reason: `no tier found a dealer (taxi: no eligible dealer serves the order's region RU-MOW), and ${why}` });
    });

    it('names the fallback dealer in the reason of an offer', () => {
      const p = plan({ dealers: [dealer('D1'), dealer('DEPT', { regionPaths: [SPE] })], settings: { fallbackDealer: 'DEPT' }, tiers: [taxi()] });
      expect(p.trace.result.reason).toBe(`offered to 1 dealer by 1 tier (taxi); if nobody takes it by ${at(60)}, the fallback dealer Dealer DEPT (DEPT) gets it`);
    });
  });

  describe('when rules match orders (fixed rules and default dealers)', () => {
    const dealers = [dealer('F')];
    const matches = (match: Record<string, string[]>, o: Partial<OrderFacts> = {}) => plan({ dealers, order: o, tiers: [fixed([{ dealer: 'F', match }])] }).offers.length === 1;

    it('regions: the order region or one of its sub-regions; an unknown code matches nothing', () => {
      expect(matches({ regions: ['RU-MOW'] })).toBe(true);
      expect(matches({ regions: ['RU-MOW'] }, { regionCode: 'RU-MOW-ZEL', regionPath: ZEL })).toBe(true);
      expect(matches({ regions: ['RU'] })).toBe(true);
      expect(matches({ regions: ['RU-SPE'] })).toBe(false);
      expect(matches({ regions: ['RU-XX'] })).toBe(false);
      expect(matches({ regions: ['RU-MOW'] }, { regionCode: 'RU', regionPath: RU })).toBe(false);
      expect(matches({ regions: ['RU'] }, { regionCode: null, regionPath: null })).toBe(false);
    });

    it('products, brands, channels and labels: any of the values, on any line', () => {
      const o = { lines: [line('A-1', { productLine: 'Marmi', brand: 'Porcelanosa' }), line('B-1', { productLine: 'Basic', brand: 'Kerama' })] };
      expect(matches({ productLines: ['Basic', 'Grout'] }, o)).toBe(true);
      expect(matches({ productLines: ['Grout'] }, o)).toBe(false);
      expect(matches({ skus: ['A-1'] }, o)).toBe(true);
      expect(matches({ brands: ['Porcelanosa'] }, o)).toBe(true);
      expect(matches({ brands: ['Cersanit'] }, o)).toBe(false);
      expect(matches({ channels: ['site'] })).toBe(true);
      expect(matches({ channels: ['Site'] })).toBe(false);
      expect(matches({ channelKinds: ['manual', 'webshop'] })).toBe(true);
      expect(matches({ channelLabels: ['b2b', 'b2c'] })).toBe(true);
      expect(matches({ channelLabels: ['b2b'] })).toBe(false);
    });

    it('every criterion given must hold; an empty list counts as not given', () => {
      expect(matches({ channelKinds: ['webshop'], regions: ['RU-MOW'] })).toBe(true);
      expect(matches({ channelKinds: ['webshop'], regions: ['RU-SPE'] })).toBe(false);
      expect(matches({ channelKinds: ['webshop'], regions: [] })).toBe(true);
    });
  });

  describe('when the same facts are decided twice', () => {
    const scenario: Scenario = {
      dealers: [
        dealer('FIX', { regionPaths: [SPE], points: 1000 }),
        dealer('Q1', { points: 10 }),
        dealer('R1', { points: 500, avgTakeSeconds: 30, takesCount: 9 }),
        dealer('R2', { points: 500, avgTakeSeconds: 20, takesCount: 9 }),
        dealer('OFF', { active: false }),
        dealer('PRI', { points: 5 }),
      ],
      settings: { preferFastAcceptance: true, fallbackDealer: 'FIX' },
      tiers: [
        fixed([{ dealer: 'FIX' }]),
        basePlus([{ dealer: 'Q1', unit: 'percent', limit: 50 }]),
        rating({ top: 1 }),
        fastest({ top: 1 }),
        base({ delayMinutes: 5, priorityDealers: ['PRI'] }),
        taxi({ scope: 'everywhere' }),
      ],
      quota: { 1: { periodStart: '2026-03-01T00:00:00.000Z', distributedInPeriod: 3, allocated: { Q1: 1 } } },
    };

    it('gives deep-equal plans, whatever order the dealers were loaded in', () => {
      const first = plan(scenario);
      expect(plan(scenario)).toEqual(first);
      expect(plan({ ...scenario, dealers: [...scenario.dealers!].reverse() })).toEqual(first);
      expect(JSON.parse(JSON.stringify(first.trace))).toEqual(first.trace);
      expect(first.trace.decidedAt).toBe(NOW.toISOString());
      expect(first.trace.configVersion).toBe(7);
      expect(first.trace.order).toEqual({ regionCode: 'RU-MOW', regionKnown: true, orderKinds: [], productLines: ['Tiles'], skus: ['TILE-1'], channel: 'site', stockCheck: null, exclusivity: null });
    });

    it('does not change its input', () => {
      const facts = input(scenario);
      const copy = structuredClone(facts);
      planDistribution(facts);
      expect(facts).toEqual(copy);
    });
  });
});
