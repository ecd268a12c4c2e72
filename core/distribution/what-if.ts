import { Type, type Static } from '@sinclair/typebox';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';
import { IsoDateTime } from '../model/common.ts';
import { dealersNamedIn, type DistributionConfig } from './distribution-config.ts';
import { DistributionConfigs } from './distribution-configs.ts';
import type { DealerFacts, OrderFacts, Plan, QuotaState } from './distribution-plan.ts';
import { planDistribution } from './distribution-strategy.ts';
import { loadCandidates, loadOrderFacts, loadReachDealers, loadRegionPaths, reachesEveryone } from './decision-facts.ts';
import { reachFor, withinReach, type ReachDealer } from './dealer-reach.ts';
import { periodStart } from './quota-period-rules.ts';

/**
 * What-if: replays a strategy configuration over past orders and reports how they would have been
 * distributed, changing nothing (reads only). Each order is decided by the same pure decision as
 * live distribution, at the moment it was placed, with:
 * - today's dealers, regions, assortment and exclusivity rules (their past states are not kept),
 * - each dealer's points as they were when the order was placed (from the points history),
 * - Base+ quotas counted within the replay, period by period, as if the configuration had been in force:
 *   a percent is a share of the replayed orders in the quota dealer's reach, judged with today's
 *   regions and assortment by the same function live distribution counts with (dealer-reach.ts).
 * Who would have taken each order is modelled: every offered dealer takes after its own average
 * acceptance time (the network's average for dealers without history); the first to take within
 * its offer's time wins, else the fallback gets it at the deadline. Declines are not modelled.
 */

export const WhatIfInputSchema = Type.Object(
  {
    /** A configuration to try; absent: `version`, or the one in force. */
    config: Type.Optional(Type.Unknown()),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Orders placed from (inclusive) ... to (exclusive). */
    from: IsoDateTime,
    to: IsoDateTime,
    /** Only orders of these channel names. */
    channels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20_000, default: 2_000 })),
    /** How many per-order rows to return (the totals cover every order). */
    sample: Type.Optional(Type.Integer({ minimum: 0, maximum: 5_000, default: 100 })),
  },
  { additionalProperties: false },
);
export type WhatIfInput = Static<typeof WhatIfInputSchema>;

export interface WhatIfOrder {
  orderId: string;
  number: string | null;
  placedAt: string;
  outcome: Plan['outcome'];
  /** The dealer that would have got it, and how (take, default, fallback). */
  dealer: string | null;
  via: 'take' | 'default' | 'fallback' | null;
  /** Tier kind that offered it to the dealer who took it. */
  tier: string | null;
  /** The Base+ quota dealer the order counts against (null: no quota tier offered it). */
  quotaDealer: string | null;
  /** The order's wait: minutes from distribution start to the simulated take (0: assigned at once). */
  minutesToAssignment: number | null;
  /** The simulated taker's take time: seconds from its offer becoming visible (its average). */
  secondsToTake: number | null;
  offeredTo: number;
  /** What actually happened. */
  actualDealer: string | null;
  actualVia: string | null;
  /** The actual taker's take time, seconds from its offer becoming visible (from the `taken` event). */
  actualSecondsToTake: number | null;
}

export interface WhatIfReport {
  configVersion: number | null;
  from: string;
  to: string;
  orders: number;
  /** Orders the configuration would not distribute (channel kind) are not counted in `orders`. */
  notDistributed: number;
  outcomes: { offered: number; default: number; fallback: number; unassigned: number; fellBackAfterOffers: number };
  byDealer: { dealer: string; offered: number; wouldGet: number; actuallyGot: number }[];
  byTier: { tier: number; kind: string; name: string; orders: number; taken: number }[];
  /** The orders' wait, minutes from distribution start to a dealer's take (not a dealer's take time). */
  minutesToAssignment: { simulated: Stats | null; actual: Stats | null };
  /**
   * Take time as the dealer record and the refusals report define it: seconds from the offer
   * becoming visible to the taker until its take (actual: as the `taken` events recorded it).
   */
  secondsToTake: { simulated: Stats | null; actual: Stats | null };
  sample: WhatIfOrder[];
}

export interface Stats {
  count: number;
  average: number;
  median: number;
  p90: number;
}

export async function whatIf(db: Database, rawInput: unknown): Promise<WhatIfReport> {
  const input = assertValid(WhatIfInputSchema, rawInput, 'what-if');
  if (Date.parse(input.from) >= Date.parse(input.to)) throw new HubError('invalid_data', 'what-if: to must be after from.', { field: 'to' });
  const configs = new DistributionConfigs(db);
  let config: DistributionConfig;
  let version: number | null;
  if (input.config !== undefined) {
    config = await configs.validate(input.config);
    version = null;
  } else {
    const chosen = input.version ? await configs.get(input.version) : await configs.active();
    if (!chosen) throw new HubError('invalid_data', 'what-if: no configuration given and none is saved.', { field: 'config' });
    config = chosen.config;
    version = chosen.version;
  }
  const { channelKinds, channels, statuses } = config.settings.distribute;
  // Orders are judged by the status they reached: one cancelled before anyone could take it would
  // not have been distributed; the statuses a distributed order moves on to count as distributed.
  const replayed = [...new Set([...statuses, 'in_progress', 'shipped', 'completed'])];
  const orderRows = await db.query<{ id: string; applies: boolean }>(
    `SELECT o.id, ((c.kind = ANY($3::text[]) OR c.name = ANY($4::text[])) AND o.status = ANY($6::text[])) AS applies
       FROM "order" o JOIN channel c ON c.id = o.channel_id
      WHERE o.placed_at >= $1::timestamptz AND o.placed_at < $2::timestamptz AND o.status <> 'draft'
        AND ($5::text[] IS NULL OR c.name = ANY($5::text[]))
      ORDER BY o.placed_at, o.id LIMIT ${input.limit ?? 2_000}`,
    [input.from, input.to, channelKinds, channels, input.channels ?? null, replayed],
  );
  const regionPaths = await loadRegionPaths(db, config);
  const networkAverage = await averageTakeSeconds(db);
  const actual = await actualOutcomes(db, orderRows.map((r) => r.id));
  const quotaCodes = [...new Set(config.tiers.flatMap((t) => (t.kind === 'base_plus' ? t.quotas.map((q) => q.dealer) : [])))];
  const quotas = new QuotaCounter(config, await loadReachDealers(db, quotaCodes, 'all'));
  const tierNames = config.tiers.map((t, i) => ({ tier: i, kind: t.kind, name: t.name ?? t.kind, orders: 0, taken: 0 }));
  const byDealer = new Map<string, { offered: number; wouldGet: number; actuallyGot: number }>();
  const dealerStats = (code: string) => byDealer.get(code) ?? byDealer.set(code, { offered: 0, wouldGet: 0, actuallyGot: 0 }).get(code)!;
  const outcomes = { offered: 0, default: 0, fallback: 0, unassigned: 0, fellBackAfterOffers: 0 };
  const simulatedMinutes: number[] = [];
  const simulatedSeconds: number[] = [];
  const sample: WhatIfOrder[] = [];
  let notDistributed = 0;

  for (const row of orderRows) {
    if (!row.applies) {
      notDistributed++;
      continue;
    }
    const order = await loadOrderFacts(db, row.id);
    if (!order) continue;
    const at = new Date(order.facts.placedAt);
    const candidates = await loadCandidates(db, order, { everyone: reachesEveryone(config), named: dealersNamedIn(config) });
    const dealers = await withPointsAt(db, candidates, at);
    const plan = planDistribution({ order: order.facts, dealers: dealers.map((d) => ({ ...d, declined: false })), config, configVersion: version ?? 0, now: at, regionPaths, quota: quotas.stateAt(at) });
    quotas.record(at, plan, order.facts);
    const result = simulate(plan, dealers, networkAverage, at, fallbackOf(config, dealers));
    for (const offer of plan.offers) dealerStats(offer.dealerCode).offered++;
    for (const tier of new Set(plan.offers.map((o) => o.tier))) tierNames[tier]!.orders++;
    if (plan.outcome === 'offer') outcomes.offered++;
    else if (plan.outcome === 'unassigned') outcomes.unassigned++;
    else if (plan.assignTo?.via === 'default') outcomes.default++;
    else outcomes.fallback++;
    if (plan.outcome === 'offer' && result.via === 'fallback') outcomes.fellBackAfterOffers++;
    if (result.via === 'take') {
      tierNames[result.tier!]!.taken++;
      simulatedMinutes.push(result.minutes!);
      simulatedSeconds.push(result.seconds!);
    }
    if (result.dealer) dealerStats(result.dealer).wouldGet++;
    const real = actual.get(row.id);
    if (real?.dealer) dealerStats(real.dealer).actuallyGot++;
    if (sample.length < (input.sample ?? 100)) {
      sample.push({
        orderId: row.id, number: order.facts.number, placedAt: order.facts.placedAt, outcome: plan.outcome, dealer: result.dealer, via: result.via,
        tier: result.tier === null ? null : config.tiers[result.tier]!.kind,
        quotaDealer: plan.quotaDealerId ? (plan.offers.find((o) => o.dealerId === plan.quotaDealerId)?.dealerCode ?? null) : null,
        minutesToAssignment: result.minutes, secondsToTake: result.seconds, offeredTo: plan.offers.length,
        actualDealer: real?.dealer ?? null, actualVia: real?.via ?? null, actualSecondsToTake: real?.seconds ?? null,
      });
    }
  }
  const actualMinutes = [...actual.values()].flatMap((a) => (a.minutes === null ? [] : [a.minutes]));
  const actualSeconds = [...actual.values()].flatMap((a) => (a.seconds === null ? [] : [a.seconds]));
  return {
    configVersion: version,
    from: input.from,
    to: input.to,
    orders: orderRows.length - notDistributed,
    notDistributed,
    outcomes,
    byDealer: [...byDealer].map(([dealer, s]) => ({ dealer, ...s })).sort((a, b) => b.wouldGet - a.wouldGet || b.offered - a.offered || a.dealer.localeCompare(b.dealer)),
    byTier: tierNames,
    minutesToAssignment: { simulated: stats(simulatedMinutes), actual: stats(actualMinutes) },
    secondsToTake: { simulated: stats(simulatedSeconds), actual: stats(actualSeconds) },
    sample,
  };
}

interface Simulated {
  dealer: string | null;
  via: WhatIfOrder['via'];
  tier: number | null;
  /** From distribution start to the take (the order's wait). */
  minutes: number | null;
  /** From the taker's offer becoming visible to its take. */
  seconds: number | null;
}

/** Who would have taken it: each offered dealer takes after its average acceptance time; the earliest within its offer's time wins. */
function simulate(plan: Plan, dealers: DealerFacts[], networkAverage: number | null, at: Date, fallback: string | null): Simulated {
  if (plan.outcome !== 'offer') return { dealer: plan.assignTo?.dealerCode ?? null, via: plan.assignTo?.via ?? null, tier: null, minutes: plan.assignTo ? 0 : null, seconds: null };
  const byId = new Map(dealers.map((d) => [d.id, d]));
  let best: { offer: Plan['offers'][number]; takesAt: number } | undefined;
  for (const offer of plan.offers) {
    const seconds = byId.get(offer.dealerId)?.avgTakeSeconds ?? networkAverage;
    if (seconds === null) continue;
    const takesAt = offer.visibleFrom.getTime() + seconds * 1000;
    const closes = Math.min(offer.expiresAt?.getTime() ?? Infinity, plan.deadlineAt?.getTime() ?? Infinity);
    if (takesAt >= closes) continue;
    if (!best || takesAt < best.takesAt || (takesAt === best.takesAt && offer.dealerCode < best.offer.dealerCode)) best = { offer, takesAt };
  }
  if (best) {
    const { offer, takesAt } = best;
    return { dealer: offer.dealerCode, via: 'take', tier: offer.tier, minutes: round1((takesAt - at.getTime()) / 60_000), seconds: Math.round((takesAt - offer.visibleFrom.getTime()) / 1000) };
  }
  return { dealer: fallback, via: fallback ? 'fallback' : null, tier: null, minutes: null, seconds: null };
}

/** The dealer that gets what nobody takes, when the configuration names one that can get orders. */
function fallbackOf(config: DistributionConfig, dealers: DealerFacts[]): string | null {
  const code = config.settings.fallbackDealer;
  return code && dealers.some((d) => d.code === code && d.active) ? code : null;
}

/** Base+ counts within the replay, per tier and period: orders, orders per quota dealer, and orders in each quota dealer's reach. */
class QuotaCounter {
  private readonly periods = new Map<string, { distributed: number; allocated: Record<string, number>; inReach: Record<string, number> }>();

  constructor(
    private readonly config: DistributionConfig,
    private readonly dealers: ReachDealer[],
  ) {}

  stateAt(at: Date): Record<number, QuotaState> {
    const states: Record<number, QuotaState> = {};
    for (const [index, tier] of this.config.tiers.entries()) {
      if (tier.kind !== 'base_plus') continue;
      const start = periodStart(at, tier.period, this.config.settings.timeZone).toISOString();
      const counts = this.periods.get(`${index}|${start}`) ?? { distributed: 0, allocated: {}, inReach: {} };
      const inReach = Object.fromEntries(this.dealersOf(index).map((d) => [d.code, counts.inReach[d.code] ?? 0]));
      states[index] = { periodStart: start, distributedInPeriod: counts.distributed, allocated: { ...counts.allocated }, inReach };
    }
    return states;
  }

  record(at: Date, plan: Plan, order: OrderFacts): void {
    const quotaDealer = plan.quotaDealerId ? plan.offers.find((o) => o.dealerId === plan.quotaDealerId) : undefined;
    for (const [index, tier] of this.config.tiers.entries()) {
      if (tier.kind !== 'base_plus') continue;
      const key = `${index}|${periodStart(at, tier.period, this.config.settings.timeZone).toISOString()}`;
      const counts = this.periods.get(key) ?? { distributed: 0, allocated: {}, inReach: {} };
      counts.distributed++;
      if (quotaDealer && quotaDealer.tier === index) counts.allocated[quotaDealer.dealerCode] = (counts.allocated[quotaDealer.dealerCode] ?? 0) + 1;
      for (const dealer of this.dealersOf(index)) {
        if (withinReach(reachFor(dealer, order), order, this.config.settings.assortment)) counts.inReach[dealer.code] = (counts.inReach[dealer.code] ?? 0) + 1;
      }
      this.periods.set(key, counts);
    }
  }

  private dealersOf(index: number): ReachDealer[] {
    const tier = this.config.tiers[index];
    return tier?.kind === 'base_plus' ? this.dealers.filter((d) => tier.quotas.some((q) => q.dealer === d.code)) : [];
  }
}

/** Points as they were at a moment: the balance of the last change before it (0 before any). */
async function withPointsAt(db: Database, dealers: DealerFacts[], at: Date): Promise<DealerFacts[]> {
  if (dealers.length === 0) return dealers;
  // One row per dealer with any history: the balance of its last change before the moment (null: none yet).
  const rows = await db.query<{ dealer_id: string; balance: number | null }>(
    `SELECT dealer_id, (array_agg(balance ORDER BY id DESC) FILTER (WHERE created_at <= $2::timestamptz))[1] AS balance
       FROM dealer_points_change WHERE dealer_id = ANY($1::text[]) GROUP BY dealer_id`,
    [dealers.map((d) => d.id), at.toISOString()],
  );
  const balance = new Map(rows.map((r) => [r.dealer_id, r.balance ?? 0]));
  // A dealer with no history at all had the points it has now (set at registration).
  return dealers.map((d) => ({ ...d, points: balance.get(d.id) ?? d.points }));
}

async function averageTakeSeconds(db: Database): Promise<number | null> {
  const [row] = await db.query<{ seconds: string | null }>(`SELECT (sum(take_seconds_total) / nullif(sum(takes_count), 0))::text AS seconds FROM dealer`);
  return row?.seconds ? Math.round(Number(row.seconds)) : null;
}

/**
 * What happened to each order: who got it and how; for a take, the order's wait (minutes from
 * distribution start) and the taker's take time (seconds from visible, as its last `taken` event says).
 */
async function actualOutcomes(db: Database, orderIds: string[]): Promise<Map<string, { dealer: string | null; via: string | null; minutes: number | null; seconds: number | null }>> {
  if (orderIds.length === 0) return new Map();
  const rows = await db.query<{ order_id: string; dealer: string | null; via: string | null; minutes: number | null; seconds: number | null }>(
    `SELECT d.order_id, dl.code AS dealer, d.assigned_via AS via,
            CASE WHEN d.assigned_via = 'take' THEN round((extract(epoch FROM (d.assigned_at - d.started_at)) / 60)::numeric, 1)::float8 END AS minutes,
            CASE WHEN d.assigned_via = 'take' THEN (SELECT (e.detail->>'secondsToTake')::int FROM distribution_event e
                                                     WHERE e.order_id = d.order_id AND e.kind = 'taken' ORDER BY e.id DESC LIMIT 1) END AS seconds
       FROM order_distribution d LEFT JOIN dealer dl ON dl.id = d.dealer_id WHERE d.order_id = ANY($1::text[])`,
    [orderIds],
  );
  return new Map(rows.map((r) => [r.order_id, { dealer: r.dealer, via: r.via, minutes: r.minutes, seconds: r.seconds }]));
}

function stats(values: number[]): Stats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: sorted.length, average: round1(sorted.reduce((s, v) => s + v, 0) / sorted.length), median: at(0.5), p90: at(0.9) };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
