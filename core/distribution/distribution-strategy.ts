import { isPathWithin } from '../exclusivity/exclusivity-rules.ts';
import { assortmentGap, matchRegion } from './dealer-reach.ts';
import type { DistributionSettings, OrderMatch, Tier, TierKind } from './distribution-config.ts';
import type {
  DealerCheck,
  DealerFacts,
  DealerVerdict,
  DecisionTrace,
  OrderFacts,
  Plan,
  PlanInput,
  PlannedOffer,
  TierTrace,
} from './distribution-plan.ts';

export { matchRegion } from './dealer-reach.ts';

/**
 * The distribution decision (seeds 001, "automatic dealer choice"): which dealers see an order,
 * from when and until when, or to whom it goes at once. Pure and deterministic: the clock, the
 * dealers, their quota counts and the configuration all come in as PlanInput, so the service and
 * the what-if replay get the same plan for the same facts, and the trace explains every choice.
 *
 * Order of decisions:
 * 1. Every dealer is judged once (DealerVerdict): active, authorised, takes site orders, region,
 *    assortment, exclusivity, declined before.
 * 2. A default dealer rule that matches (installation orders → the installation department) assigns
 *    at once; no tier runs.
 * 3. Tiers run in priority order on one timeline: a tier that finds somebody opens when the previous
 *    one closed and lasts windowMinutes; a tier that finds nobody is skipped and takes no time.
 *    No dealer is offered the order twice.
 * 4. Nobody offered anything: the fallback dealer (the manufacturer's distribution department)
 *    gets it, or, without a usable one, the order stays unassigned for the admins.
 */
export function planDistribution(input: PlanInput): Plan {
  const ctx = buildContext(input);
  const defaults = judgeDefaultDealers(ctx);
  if (defaults.chosen) return defaultPlan(ctx, defaults.entries, defaults.chosen);
  const run = runTiers(ctx);
  if (run.offers.length > 0) return offerPlan(ctx, defaults.entries, run);
  return fallbackPlan(ctx, defaults.entries, run);
}

/** The strategy seam (STYLE: policy as a named strategy with a default implementation). */
export interface DistributionStrategy {
  readonly name: string;
  plan(input: PlanInput): Plan;
}

export class DefaultDistributionStrategy implements DistributionStrategy {
  readonly name = 'default';

  plan(input: PlanInput): Plan {
    return planDistribution(input);
  }
}

// ---- context -------------------------------------------------------------------------------------------------------

const MINUTE_MS = 60_000;
/** Quota targets are fractions (12% of 25 orders = 3.0000000000000004); a float must not cost a dealer its turn. */
const EPSILON = 1e-9;

type TierOf<K extends TierKind> = Extract<Tier, { kind: K }>;
type Filtered = TierTrace['filtered'][number];

interface OrderView {
  facts: OrderFacts;
  kinds: string[];
  productLines: string[];
  skus: string[];
  brands: string[];
}

interface PlanContext {
  input: PlanInput;
  settings: DistributionSettings;
  order: OrderView;
  /** Sorted by code: every list derived from it is stable whatever order the loader returned. */
  dealers: DealerFacts[];
  byCode: Map<string, DealerFacts>;
  verdicts: Map<string, DealerVerdict>;
  /** Dealer code → the tier that offered it; later tiers never offer it again. */
  offered: Map<string, string>;
}

function buildContext(input: PlanInput): PlanContext {
  const settings = input.config.settings;
  const order = viewOrder(input.order, settings);
  const dealers = [...input.dealers].sort((a, b) => compareCodes(a.code, b.code));
  const byCode = new Map<string, DealerFacts>();
  for (const dealer of dealers) if (!byCode.has(dealer.code)) byCode.set(dealer.code, dealer);
  const verdicts = new Map([...byCode.values()].map((d) => [d.code, judgeDealer(d, order, settings)] as const));
  return { input, settings, order, dealers: [...byCode.values()], byCode, verdicts, offered: new Map() };
}

function viewOrder(facts: OrderFacts, settings: DistributionSettings): OrderView {
  const present = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))].sort(compareCodes);
  const productLines = present(facts.lines.map((l) => l.productLine));
  const skus = present(facts.lines.map((l) => l.sku));
  const kinds = settings.orderKinds
    .filter((k) => (k.productLines ?? []).some((p) => productLines.includes(p)) || (k.skus ?? []).some((s) => skus.includes(s)))
    .map((k) => k.kind);
  return { facts, kinds: [...new Set(kinds)], productLines, skus, brands: present(facts.lines.map((l) => l.brand)) };
}

// ---- dealer verdicts -----------------------------------------------------------------------------------------------

/** Checks a default dealer need not pass: it is named for the order kind, wherever it is and whatever it stocks. */
const DEFAULT_DEALER_IGNORES: readonly DealerCheck[] = ['region', 'assortment'];
/** Fixed rules and nationwide taxi name or reach dealers regardless of region. */
const REGION_IGNORED: readonly DealerCheck[] = ['region'];

function judgeDealer(dealer: DealerFacts, order: OrderView, settings: DistributionSettings): DealerVerdict {
  const who = label(dealer);
  const regionMatch = matchRegion(dealer.regionPaths, order.facts.regionPath);
  const failed: DealerVerdict['failed'] = [];
  if (!dealer.active) failed.push({ check: 'inactive', message: `${who} is deactivated` });
  if (!dealer.authorised) failed.push({ check: 'not_authorised', message: `${who} is not an authorised dealer` });
  if (!dealer.acceptsSiteOrders) failed.push({ check: 'not_accepting', message: `${who} does not take orders from the manufacturer's site` });
  if (regionMatch === 'none') failed.push({ check: 'region', message: regionMismatch(dealer, order.facts) });
  const gap = assortmentGap(dealer, order.facts.lines, settings.assortment);
  if (gap) failed.push({ check: 'assortment', message: `the assortment of ${who} ${gap}` });
  if (dealer.exclusionReason !== null) {
    failed.push({ check: 'exclusivity', message: `${who} is excluded by regional exclusivity: ${dealer.exclusionReason}`, ...(dealer.exclusionRules && { rules: dealer.exclusionRules }) });
  }
  if (dealer.declined) failed.push({ check: 'declined', message: `${who} declined this order in an earlier round` });
  return { code: dealer.code, name: dealer.name, regionMatch, failed, points: dealer.points, avgTakeSeconds: dealer.avgTakeSeconds };
}

function regionMismatch(dealer: DealerFacts, order: OrderFacts): string {
  if (order.regionPath === null) {
    return order.regionCode === null
      ? `the order has no region, so ${label(dealer)} cannot be matched by region`
      : `the order's region ${order.regionCode} is not in the region hierarchy, so ${label(dealer)} cannot be matched by region`;
  }
  const serves = dealer.regionPaths.length > 0 ? `serves ${dealer.regionPaths.join(', ')}` : 'serves no region';
  return `${label(dealer)} ${serves}, not the order's region ${order.regionCode ?? '?'} (${order.regionPath})`;
}

function failuresExcept(ctx: PlanContext, code: string, ignored: readonly DealerCheck[]): DealerVerdict['failed'] {
  return (ctx.verdicts.get(code)?.failed ?? []).filter((f) => !ignored.includes(f.check));
}

// ---- order match ---------------------------------------------------------------------------------------------------

type Criterion = keyof OrderMatch;

/** One test per criterion, each "any of its values". */
const CRITERIA: { [K in Criterion]-?: (values: string[], ctx: PlanContext) => boolean } = {
  regions: (codes, ctx) => {
    const orderPath = ctx.order.facts.regionPath;
    if (orderPath === null) return false;
    return codes.some((code) => {
      const path = ctx.input.regionPaths[code];
      return path !== undefined && isPathWithin(orderPath, path);
    });
  },
  productLines: (values, ctx) => intersects(values, ctx.order.productLines),
  skus: (values, ctx) => intersects(values, ctx.order.skus),
  brands: (values, ctx) => intersects(values, ctx.order.brands),
  channels: (values, ctx) => values.includes(ctx.order.facts.channel.name),
  channelKinds: (values, ctx) => values.includes(ctx.order.facts.channel.kind),
  channelLabels: (values, ctx) => intersects(values, ctx.order.facts.channel.labels),
  orderKinds: (values, ctx) => intersects(values, ctx.order.kinds),
};

/**
 * The criteria the order fails, as "criterion: values"; empty when the match holds. An empty list is
 * read as "not given", like an absent one: an editor that saves untouched filters as [] must not
 * turn a rule into one that matches nothing.
 */
function unmetCriteria(match: OrderMatch, ctx: PlanContext): string[] {
  return givenCriteria(match)
    .filter(([criterion, values]) => !CRITERIA[criterion](values, ctx))
    .map(([criterion, values]) => `${criterion}: ${values.join(', ')}`);
}

function describeMatch(match: OrderMatch): string {
  const given = givenCriteria(match);
  return given.length === 0 ? 'every order' : given.map(([criterion, values]) => `${criterion}: ${values.join(', ')}`).join('; ');
}

function givenCriteria(match: OrderMatch): [Criterion, string[]][] {
  return (Object.keys(CRITERIA) as Criterion[]).flatMap((criterion) => {
    const values = match[criterion];
    return values !== undefined && values.length > 0 ? [[criterion, values] as [Criterion, string[]]] : [];
  });
}

// ---- default dealers -----------------------------------------------------------------------------------------------

type DefaultEntry = DecisionTrace['defaultDealer'][number];

interface DefaultChoice {
  dealer: DealerFacts;
  rule: number;
  match: OrderMatch;
}

/** Every default rule is judged (and traced), the first matching rule with a usable dealer wins. */
function judgeDefaultDealers(ctx: PlanContext): { entries: DefaultEntry[]; chosen: DefaultChoice | null } {
  let chosen: DefaultChoice | null = null;
  const entries: DefaultEntry[] = [];
  for (const [i, rule] of ctx.settings.defaultDealers.entries()) {
    const n = i + 1;
    const unmet = unmetCriteria(rule.match, ctx);
    const dealer = ctx.byCode.get(rule.dealer);
    const failed = dealer ? failuresExcept(ctx, dealer.code, DEFAULT_DEALER_IGNORES) : [];
    const usable = dealer !== undefined && failed.length === 0;
    const matched = unmet.length === 0;
    let message: string;
    if (!matched) message = `default rule ${n} does not match the order (${unmet.join('; ')})`;
    else if (!dealer) message = `default rule ${n} matches, but its dealer ${rule.dealer} is not among the candidate dealers (unknown or not loaded)`;
    else if (!usable) message = `default rule ${n} matches, but ${failed.map((f) => f.message).join('; ')}`;
    else if (chosen) message = `default rule ${n} matches, but default rule ${chosen.rule} already assigned the order`;
    else {
      chosen = { dealer, rule: n, match: rule.match };
      message = `default rule ${n} matches (${describeMatch(rule.match)}): ${label(dealer)} gets the order`;
    }
    entries.push({ dealer: rule.dealer, matched, usable, message });
  }
  return { entries, chosen };
}

// ---- tiers ---------------------------------------------------------------------------------------------------------

interface TierPick {
  dealer: DealerFacts;
  /** Minutes after the tier opens that the dealer sees the order (base tier's delay). */
  delayMinutes: number;
}

interface TierResult {
  /** Best first. */
  picks: TierPick[];
  filtered: Filtered[];
  details: Record<string, unknown>;
  /** Why the tier offered nobody (used only when picks is empty). */
  nobody: string;
  /** The base_plus dealer whose quota the order counts against. */
  quotaDealer?: DealerFacts;
}

type TierPlanner<K extends TierKind> = (tier: TierOf<K>, index: number, ctx: PlanContext) => TierResult;

const TIER_PLANNERS: { [K in TierKind]: TierPlanner<K> } = {
  fixed: planFixed,
  base_plus: planBasePlus,
  rating: planRating,
  fastest: planFastest,
  base: planBase,
  taxi: planTaxi,
};

function planTier(tier: Tier, index: number, ctx: PlanContext): TierResult {
  const planner = TIER_PLANNERS[tier.kind] as TierPlanner<TierKind>;
  return planner(tier as TierOf<TierKind>, index, ctx);
}

/** fixed: the dealers of every matching rule, in rule order, wherever they are. */
function planFixed(tier: TierOf<'fixed'>, _index: number, ctx: PlanContext): TierResult {
  const named: DealerFacts[] = [];
  const filtered: Filtered[] = [];
  const seen = new Set<string>();
  const rules = tier.rules.map((rule, i) => {
    const unmet = unmetCriteria(rule.match, ctx);
    if (unmet.length === 0 && !seen.has(rule.dealer)) {
      seen.add(rule.dealer);
      const dealer = ctx.byCode.get(rule.dealer);
      const failed = dealer ? failuresExcept(ctx, dealer.code, REGION_IGNORED) : [];
      if (!dealer) {
        filtered.push({ code: rule.dealer, filter: 'fixed_rule', message: `rule ${i + 1} names ${rule.dealer}, which is not among the candidate dealers (unknown or not loaded)` });
      } else if (failed.length > 0) {
        filtered.push({ code: dealer.code, filter: 'fixed_rule', message: `rule ${i + 1} names a dealer that cannot take the order: ${failed.map((f) => f.message).join('; ')}` });
      } else {
        named.push(dealer);
      }
    }
    return { rule: i + 1, dealer: rule.dealer, match: describeMatch(rule.match), matched: unmet.length === 0, unmet };
  });
  const fresh = withoutOffered(named, ctx);
  const anyMatched = rules.some((r) => r.matched);
  return {
    picks: fresh.kept.map(immediately),
    filtered: [...filtered, ...fresh.filtered],
    details: { rules },
    nobody: !anyMatched ? 'no fixed rule matches the order' : named.length === 0 ? 'no dealer named by a matching rule can take the order' : 'every dealer named by a matching rule was already offered the order',
  };
}

/**
 * base_plus: the ONE quota dealer furthest behind its quota. A dealer is behind when one more order
 * would not take it past its target for this order (percent: its share of the period's orders
 * including this one; count: the limit). So a dealer is never ahead of its share and gets its
 * orders evenly spread (12%: the 9th, 17th, 25th, ... 100th order), instead of by chance. When two
 * quota dealers fall due on the same order, the other gets the next one: at a round number of
 * orders one of them can be one short (12% + 12% of 100 → 12 and 11, the 12th being order 101).
 * A dealer already offered the order by an earlier tier is passed over so the next quota gets its turn.
 */
function planBasePlus(tier: TierOf<'base_plus'>, index: number, ctx: PlanContext): TierResult {
  const state = ctx.input.quota[index];
  const distributed = state?.distributedInPeriod ?? 0;
  // A percent is a share of the orders in the dealer's own reach, not of the whole network's (dealer-reach.ts).
  const reachOf = (code: string) => state?.inReach?.[code] ?? distributed;
  const filtered: Filtered[] = [];
  const behind: { dealer: DealerFacts; deficit: number }[] = [];
  const quotas = uniqueBy(tier.quotas, (q) => q.dealer).map((quota) => {
    const allocated = state?.allocated[quota.dealer] ?? 0;
    const inReach = reachOf(quota.dealer);
    const target = quota.unit === 'percent' ? (quota.limit / 100) * (inReach + 1) : quota.limit;
    const deficit = target - allocated;
    const isBehind = allocated + 1 <= target + EPSILON;
    const maths = `${quota.unit === 'percent' ? `${quota.limit}% of ${inReach + 1} orders in its reach` : `${quota.limit} orders`} = target ${round(target)}, has ${allocated}`;
    const dealer = ctx.byCode.get(quota.dealer);
    const row = { dealer: quota.dealer, unit: quota.unit, limit: quota.limit, inReach, allocated, target: round(target), deficit: round(deficit), behind: isBehind };
    const exclude = (status: string, filter: Filtered['filter'], message: string) => {
      filtered.push({ code: quota.dealer, filter, message });
      return { ...row, status };
    };
    if (!dealer) return exclude('unknown', 'quota', `quota dealer ${quota.dealer} is not among the candidate dealers (unknown or not loaded)`);
    const failed = failuresExcept(ctx, dealer.code, REGION_IGNORED);
    if (failed.length > 0) return exclude('ineligible', 'quota', `quota dealer cannot take the order: ${failed.map((f) => f.message).join('; ')}`);
    if (ctx.verdicts.get(dealer.code)?.regionMatch === 'none') return exclude('region', 'region', regionFilterMessage(dealer, ctx));
    const offeredBy = ctx.offered.get(dealer.code);
    if (offeredBy) return exclude('already_offered', 'already_offered', `${label(dealer)} was already offered the order by ${offeredBy}`);
    if (!isBehind) return exclude('not_behind', 'quota', `${label(dealer)} is not behind its quota (${maths}; one more would exceed it)`);
    behind.push({ dealer, deficit });
    return { ...row, status: 'behind' };
  });
  const [chosen, ...passedOver] = behind.sort((a, b) => b.deficit - a.deficit || compareCodes(a.dealer.code, b.dealer.code));
  for (const other of passedOver) {
    filtered.push({
      code: other.dealer.code,
      filter: 'quota',
      message: `${label(other.dealer)} is behind its quota by ${round(other.deficit)}, but ${label(chosen!.dealer)} is further behind (${round(chosen!.deficit)})`,
    });
  }
  const details = {
    period: tier.period,
    periodStart: state?.periodStart ?? null,
    distributedInPeriod: distributed,
    quotas: quotas.map((q) => (q.dealer === chosen?.dealer.code ? { ...q, status: 'chosen' } : q)),
    chosen: chosen?.dealer.code ?? null,
  };
  if (!chosen) return { picks: [], filtered, details, nobody: 'no eligible quota dealer is behind its quota' };
  return { picks: [immediately(chosen.dealer)], filtered, details, nobody: '', quotaDealer: chosen.dealer };
}

/** rating: the dealers with the most points (at least minPoints), best first, optionally only the top N. */
function planRating(tier: TierOf<'rating'>, _index: number, ctx: PlanContext): TierResult {
  const { pool, filtered } = candidates(ctx, true);
  const enough = pool.filter((dealer) => {
    if (dealer.points >= tier.minPoints) return true;
    filtered.push({ code: dealer.code, filter: 'points', message: `${label(dealer)} has ${dealer.points} points, below the minimum of ${tier.minPoints}` });
    return false;
  });
  const ranked = [...enough].sort(byPoints(ctx.settings.preferFastAcceptance));
  const top = cutTop(ranked, tier.top, 'by points', filtered);
  const fresh = withoutOffered(top, ctx);
  return {
    picks: fresh.kept.map(immediately),
    filtered: [...filtered, ...fresh.filtered],
    details: { minPoints: tier.minPoints, top: tier.top ?? null, preferFastAcceptance: ctx.settings.preferFastAcceptance },
    nobody: pool.length === 0 ? nobodyInRegion(ctx) : enough.length === 0 ? `no eligible dealer has at least ${tier.minPoints} points` : 'every dealer in the top was already offered the order',
  };
}

/** fastest: the dealers that take orders quickest on average, among those with enough takes to have an average. */
function planFastest(tier: TierOf<'fastest'>, _index: number, ctx: PlanContext): TierResult {
  const { pool, filtered } = candidates(ctx, true);
  const timed = pool.filter((dealer) => {
    if (dealer.avgTakeSeconds !== null && dealer.takesCount >= tier.minTakes) return true;
    filtered.push({ code: dealer.code, filter: 'no_takes', message: `${label(dealer)} has taken ${dealer.takesCount} orders; an average acceptance time needs at least ${tier.minTakes}` });
    return false;
  });
  const ranked = [...timed].sort((a, b) => compareSpeed(a, b) || compareCodes(a.code, b.code));
  const top = cutTop(ranked, tier.top, 'by acceptance time', filtered);
  const fresh = withoutOffered(top, ctx);
  return {
    picks: fresh.kept.map(immediately),
    filtered: [...filtered, ...fresh.filtered],
    details: { minTakes: tier.minTakes, top: tier.top },
    nobody: pool.length === 0 ? nobodyInRegion(ctx) : timed.length === 0 ? `no eligible dealer has taken at least ${tier.minTakes} orders` : 'every dealer in the top was already offered the order',
  };
}

/**
 * base: every eligible dealer of the region; the priority dealers see the order at once, the others
 * after the delay. Without a priority dealer in the tier there is nobody to wait for, so everyone
 * sees it at once rather than nobody during the delay.
 */
function planBase(tier: TierOf<'base'>, _index: number, ctx: PlanContext): TierResult {
  const { pool, filtered } = candidates(ctx, true);
  const priority = new Set(tier.priorityDealers);
  const ranked = [...pool].sort((a, b) => Number(priority.has(b.code)) - Number(priority.has(a.code)) || byPoints(ctx.settings.preferFastAcceptance)(a, b));
  const fresh = withoutOffered(ranked, ctx);
  const offeredPriority = fresh.kept.filter((d) => priority.has(d.code)).map((d) => d.code);
  const delay = offeredPriority.length > 0 ? Math.min(tier.delayMinutes, tier.windowMinutes) : 0;
  return {
    picks: fresh.kept.map((dealer) => ({ dealer, delayMinutes: priority.has(dealer.code) ? 0 : delay })),
    filtered: [...filtered, ...fresh.filtered],
    details: {
      delayMinutes: tier.delayMinutes,
      appliedDelayMinutes: delay,
      priorityDealers: offeredPriority,
      priorityNotOffered: tier.priorityDealers.filter((code) => !offeredPriority.includes(code)),
    },
    nobody: pool.length === 0 ? nobodyInRegion(ctx) : 'every eligible dealer of the region was already offered the order',
  };
}

/** taxi: everyone eligible (in the region, or everywhere) sees the order at once; the first to take it wins. */
function planTaxi(tier: TierOf<'taxi'>, _index: number, ctx: PlanContext): TierResult {
  const needsRegion = tier.scope !== 'everywhere';
  const { pool, filtered } = candidates(ctx, needsRegion);
  const ranked = [...pool].sort(byPoints(ctx.settings.preferFastAcceptance));
  const fresh = withoutOffered(ranked, ctx);
  return {
    picks: fresh.kept.map(immediately),
    filtered: [...filtered, ...fresh.filtered],
    details: { scope: tier.scope },
    nobody: pool.length === 0 ? (needsRegion ? nobodyInRegion(ctx) : 'no dealer is eligible') : 'every eligible dealer was already offered the order',
  };
}

/**
 * Dealers eligible in general. Dealers failing a general check, the region included, are explained
 * once in trace.dealers, not again per tier: with a tier that reaches everywhere every dealer of the
 * network is a candidate, and repeating "serves another region" in each regional tier made the
 * trace of one order hundreds of kilobytes.
 */
function candidates(ctx: PlanContext, needsRegion: boolean): { pool: DealerFacts[]; filtered: Filtered[] } {
  const pool: DealerFacts[] = [];
  for (const dealer of ctx.dealers) {
    if (failuresExcept(ctx, dealer.code, REGION_IGNORED).length > 0) continue;
    if (needsRegion && ctx.verdicts.get(dealer.code)?.regionMatch === 'none') continue;
    pool.push(dealer);
  }
  return { pool, filtered: [] };
}

/**
 * Drops the dealers an earlier tier offered the order to. Applied after a top-N cut: "top 3" means
 * the three best, one of whom may already see the order, not the three best not yet asked.
 */
function withoutOffered(ranked: DealerFacts[], ctx: PlanContext): { kept: DealerFacts[]; filtered: Filtered[] } {
  const kept: DealerFacts[] = [];
  const filtered: Filtered[] = [];
  for (const dealer of ranked) {
    const offeredBy = ctx.offered.get(dealer.code);
    if (offeredBy) filtered.push({ code: dealer.code, filter: 'already_offered', message: `${label(dealer)} was already offered the order by ${offeredBy}` });
    else kept.push(dealer);
  }
  return { kept, filtered };
}

function cutTop(ranked: DealerFacts[], top: number | undefined, by: string, filtered: Filtered[]): DealerFacts[] {
  if (top === undefined) return ranked;
  ranked.slice(top).forEach((dealer, i) => {
    filtered.push({ code: dealer.code, filter: 'top', message: `${label(dealer)} is number ${top + i + 1} ${by}, outside the top ${top}` });
  });
  return ranked.slice(0, top);
}

function immediately(dealer: DealerFacts): TierPick {
  return { dealer, delayMinutes: 0 };
}

function regionFilterMessage(dealer: DealerFacts, ctx: PlanContext): string {
  const order = ctx.order.facts;
  if (order.regionPath === null) return `${label(dealer)} is left out: this tier offers by region and the order's region is unknown`;
  return `${label(dealer)} does not serve the order's region ${order.regionCode ?? order.regionPath}`;
}

function nobodyInRegion(ctx: PlanContext): string {
  const order = ctx.order.facts;
  if (order.regionPath === null) {
    return order.regionCode === null ? 'the order has no region, and this tier offers by region' : `the order's region ${order.regionCode} is unknown, and this tier offers by region`;
  }
  return `no eligible dealer serves the order's region ${order.regionCode ?? order.regionPath}`;
}

// ---- timeline ------------------------------------------------------------------------------------------------------

interface TierRun {
  traces: TierTrace[];
  offers: PlannedOffer[];
  /** When the last tier that offered closes (the fallback deadline); null when nobody was offered. */
  deadline: Date | null;
  quotaDealerId: string | null;
}

function runTiers(ctx: PlanContext): TierRun {
  let t = ctx.input.now.getTime();
  const traces: TierTrace[] = [];
  const offers: PlannedOffer[] = [];
  let quotaDealerId: string | null = null;
  ctx.input.config.tiers.forEach((tier, index) => {
    const name = tierName(tier);
    const result = planTier(tier, index, ctx);
    const base = { index, kind: tier.kind, name, filtered: result.filtered, details: result.details };
    if (result.picks.length === 0) {
      traces.push({ ...base, opensAt: null, closesAt: null, offeredTo: [], skipped: result.nobody });
      return;
    }
    const opensAt = t;
    const closesAt = t + tier.windowMinutes * MINUTE_MS;
    const expiresAt = tier.keepOffered === false ? new Date(closesAt) : null;
    const tierOffers = result.picks.map((pick, rank): PlannedOffer => ({
      dealerId: pick.dealer.id,
      dealerCode: pick.dealer.code,
      tier: index,
      tierKind: tier.kind,
      rank,
      visibleFrom: new Date(opensAt + pick.delayMinutes * MINUTE_MS),
      expiresAt: expiresAt && new Date(expiresAt),
    }));
    for (const offer of tierOffers) ctx.offered.set(offer.dealerCode, `tier ${index + 1} (${name})`);
    offers.push(...tierOffers);
    if (result.quotaDealer && quotaDealerId === null) quotaDealerId = result.quotaDealer.id;
    traces.push({
      ...base,
      opensAt: iso(opensAt),
      closesAt: iso(closesAt),
      offeredTo: tierOffers.map((o) => ({ code: o.dealerCode, rank: o.rank, visibleFrom: o.visibleFrom.toISOString(), expiresAt: o.expiresAt?.toISOString() ?? null })),
      skipped: null,
    });
    t = closesAt;
  });
  return { traces, offers, deadline: offers.length > 0 ? new Date(t) : null, quotaDealerId };
}

// ---- outcomes ------------------------------------------------------------------------------------------------------

function defaultPlan(ctx: PlanContext, defaults: DefaultEntry[], chosen: DefaultChoice): Plan {
  const reason = `assigned at once to the default dealer ${label(chosen.dealer)}: default rule ${chosen.rule} matches (${describeMatch(chosen.match)})`;
  const tiers = ctx.input.config.tiers.map((tier, index): TierTrace => ({
    index,
    kind: tier.kind,
    name: tierName(tier),
    opensAt: null,
    closesAt: null,
    offeredTo: [],
    filtered: [],
    skipped: `not reached: the order went to the default dealer ${label(chosen.dealer)}`,
    details: {},
  }));
  return {
    outcome: 'assign',
    offers: [],
    deadlineAt: null,
    assignTo: { dealerId: chosen.dealer.id, dealerCode: chosen.dealer.code, via: 'default', reason },
    quotaDealerId: null,
    trace: trace(ctx, defaults, tiers, { outcome: 'assign', dealer: chosen.dealer.code, via: 'default', reason }),
  };
}

function offerPlan(ctx: PlanContext, defaults: DefaultEntry[], run: TierRun): Plan {
  const tiersUsed = run.traces.filter((t) => t.skipped === null).map((t) => t.name);
  const dealers = new Set(run.offers.map((o) => o.dealerCode)).size;
  const fallback = fallbackDealer(ctx);
  const after = fallback.dealer ? `the fallback dealer ${label(fallback.dealer)} gets it` : `the admins are told (${fallback.problem})`;
  const reason = `offered to ${dealers} dealer${dealers === 1 ? '' : 's'} by ${tiersUsed.length} tier${tiersUsed.length === 1 ? '' : 's'} (${tiersUsed.join(', ')}); if nobody takes it by ${run.deadline!.toISOString()}, ${after}`;
  return {
    outcome: 'offer',
    offers: run.offers,
    deadlineAt: run.deadline,
    assignTo: null,
    quotaDealerId: run.quotaDealerId,
    trace: trace(ctx, defaults, run.traces, { outcome: 'offer', dealer: null, via: null, reason }),
  };
}

function fallbackPlan(ctx: PlanContext, defaults: DefaultEntry[], run: TierRun): Plan {
  const why = ctx.input.config.tiers.length === 0 ? 'no distribution tier is configured' : `no tier found a dealer (${run.traces.map((t) => `${t.name}: ${t.skipped}`).join('; ')})`;
  const fallback = fallbackDealer(ctx);
  if (!fallback.dealer) {
    const reason = `${why}, and ${fallback.problem}`;
    return {
      outcome: 'unassigned',
      offers: [],
      deadlineAt: null,
      assignTo: null,
      quotaDealerId: null,
      trace: trace(ctx, defaults, run.traces, { outcome: 'unassigned', dealer: null, via: null, reason }),
    };
  }
  const dealer = fallback.dealer;
  const reason = `${why}: assigned to the fallback dealer ${label(dealer)}`;
  return {
    outcome: 'assign',
    offers: [],
    deadlineAt: null,
    assignTo: { dealerId: dealer.id, dealerCode: dealer.code, via: 'fallback', reason },
    quotaDealerId: null,
    trace: trace(ctx, defaults, run.traces, { outcome: 'assign', dealer: dealer.code, via: 'fallback', reason }),
  };
}

/**
 * The fallback is the manufacturer's own distribution department: no region, assortment or
 * acceptance check applies, only that it exists, is active and is not excluded by regional
 * exclusivity. A fallback that is no partner of a rule restricting the order in its region does
 * not get it: the order stays unassigned and the admins are told (they can assign a partner, or
 * force with a written reason). Handing it to a partner instead would be a tier the configuration
 * does not have; the partners eligible were already offered it by the tiers.
 */
function fallbackDealer(ctx: PlanContext): { dealer: DealerFacts | null; problem: string } {
  const code = ctx.settings.fallbackDealer;
  if (code === undefined) return { dealer: null, problem: 'no fallback dealer is configured' };
  const dealer = ctx.byCode.get(code);
  if (!dealer) return { dealer: null, problem: `the fallback dealer ${code} is unknown` };
  if (!dealer.active) return { dealer: null, problem: `the fallback dealer ${label(dealer)} is blocked (deactivated)` };
  if (dealer.exclusionReason !== null) return { dealer: null, problem: `the fallback dealer ${label(dealer)} is excluded by regional exclusivity: ${dealer.exclusionReason}` };
  return { dealer, problem: '' };
}

function trace(ctx: PlanContext, defaultDealer: DefaultEntry[], tiers: TierTrace[], result: DecisionTrace['result']): DecisionTrace {
  const order = ctx.order;
  return {
    decidedAt: ctx.input.now.toISOString(),
    configVersion: ctx.input.configVersion,
    order: {
      regionCode: order.facts.regionCode,
      regionKnown: order.facts.regionPath !== null,
      orderKinds: order.kinds,
      productLines: order.productLines,
      skus: order.skus,
      channel: order.facts.channel.name,
      stockCheck: order.facts.stockCheck ?? null,
      exclusivity: order.facts.exclusivity ?? null,
    },
    defaultDealer,
    dealers: ctx.dealers.map((d) => ctx.verdicts.get(d.code)!),
    tiers,
    result,
  };
}

// ---- small helpers -------------------------------------------------------------------------------------------------

/** Most points first; with preferFastAcceptance the quicker taker breaks a tie; the code makes the order total. */
function byPoints(preferFast: boolean): (a: DealerFacts, b: DealerFacts) => number {
  return (a, b) => b.points - a.points || (preferFast ? compareSpeed(a, b) : 0) || compareCodes(a.code, b.code);
}

/** Shorter average acceptance first; dealers without one last. */
function compareSpeed(a: DealerFacts, b: DealerFacts): number {
  if (a.avgTakeSeconds === b.avgTakeSeconds) return 0;
  if (a.avgTakeSeconds === null) return 1;
  if (b.avgTakeSeconds === null) return -1;
  return a.avgTakeSeconds - b.avgTakeSeconds;
}

/** Code-point order, not localeCompare: the plan must not depend on the server's locale. */
function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && Boolean(seen.add(key(item))));
}

function intersects(values: readonly string[], present: readonly string[]): boolean {
  return values.some((v) => present.includes(v));
}

function tierName(tier: Tier): string {
  return tier.name ?? tier.kind;
}

function label(dealer: DealerFacts): string {
  return `${dealer.name} (${dealer.code})`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
