import type { Database } from '../db/database.ts';
import { orderExclusionOf, type ExclusivityRuleRef } from '../exclusivity/exclusivity-rules.ts';
import { excludedDealers, orderExclusivity } from '../exclusivity/exclusivity-service.ts';
import { regionsNamedIn, type DistributionConfig } from './distribution-config.ts';
import type { DealerFacts, OrderFacts, OrderLineFacts, QuotaState } from './distribution-plan.ts';
import { countInReach, matchRegion, type ReachDealer, type ReachOrder } from './dealer-reach.ts';
import { periodStart } from './quota-period-rules.ts';

/**
 * Loads what the pure decision (distribution-strategy.ts) needs for one order, in a fixed number of
 * queries whatever the number of dealers: the order and its lines, the candidate dealers (those of
 * the order's region, those the configuration names, everyone when a tier reaches everywhere) with
 * their regions and the part of the order's products they stock, regional exclusivity for all of
 * them at once, and the Base+ counts of the current period. Earlier declines are the caller's to
 * mark: the service reads them under the order's lock, where a decline just committed is seen.
 * The live service and the what-if replay both use it.
 */

/** What one query can run on: the database, or a Prisma transaction through its raw query. */
export type Queryable = { query<T>(sql: string, params?: unknown[]): Promise<T[]> };

export interface OrderRecord {
  facts: OrderFacts;
  status: string;
  version: number;
  /** Calendar date the exclusivity is judged on: the desired delivery date, or the day it was placed. */
  exclusivityDate: string;
  createdAt: Date;
  /** The dealer buying, when the order is a dealer's own purchase from the manufacturer (manual intake's dealerCode). */
  dealerBuyer: string | null;
}

export async function loadOrderFacts(q: Queryable, orderId: string): Promise<OrderRecord | undefined> {
  const [order] = await q.query<{
    id: string; number: string | null; region: string | null; status: string; version: number; placed_at: Date; created_at: Date;
    desired: string | null; channel_id: string; channel_name: string; channel_kind: string; channel_labels: string[] | null; region_path: string | null;
    stock_check: string | null; dealer_buyer: string | null;
  }>(
    `SELECT o.id, o.number, o.region, o.status, o.version, o.placed_at, o.created_at, to_char(o.desired_delivery_date, 'YYYY-MM-DD') AS desired,
            o.source->>'dealerCode' AS dealer_buyer, c.id AS channel_id, c.name AS channel_name, c.kind AS channel_kind, c.labels AS channel_labels,
            (SELECT g.path FROM region g WHERE upper(g.code) = upper(o.region) LIMIT 1) AS region_path,
            (SELECT s.result FROM stock_check s WHERE s.order_id = o.id AND s.order_version = o.version) AS stock_check
       FROM "order" o JOIN channel c ON c.id = o.channel_id WHERE o.id = $1`,
    [orderId],
  );
  if (!order) return undefined;
  const lines = await q.query<{ position: number; sku: string | null; product_id: string | null; product_line: string | null; brand: string | null }>(
    `SELECT l.position, l.sku, p.id AS product_id, p.product_line, p.brand
       FROM order_line l LEFT JOIN product p ON p.sku = l.sku
      WHERE l.order_id = $1 AND l.kind = 'product' ORDER BY l.position`,
    [orderId],
  );
  const placedAt = new Date(order.placed_at);
  const exclusivityDate = order.desired ?? placedAt.toISOString().slice(0, 10);
  const exclusivity = await orderExclusivity(q, { regionCode: order.region, regionPath: order.region_path, lines: lines.map((l) => ({ sku: l.sku, productId: l.product_id })), date: exclusivityDate });
  return {
    facts: {
      orderId: order.id,
      number: order.number,
      channel: { id: order.channel_id, name: order.channel_name, kind: order.channel_kind, labels: order.channel_labels ?? [] },
      regionCode: order.region,
      regionPath: order.region_path,
      lines: lines.map((l) => ({ position: l.position, sku: l.sku, productId: l.product_id, productLine: l.product_line, brand: l.brand })),
      placedAt: placedAt.toISOString(),
      stockCheck: order.stock_check,
      exclusivity,
    },
    status: order.status,
    version: order.version,
    exclusivityDate,
    createdAt: new Date(order.created_at),
    dealerBuyer: order.dealer_buyer,
  };
}

interface DealerRow {
  id: string; code: string; name: string; active: boolean; authorised: boolean; accepts_site_orders: boolean; points: number;
  takes_count: number; take_seconds_total: string | number; whole_range: boolean; product_lines: string[] | null;
  region_paths: string[]; region_codes: string[];
}

export interface CandidateOptions {
  /** Load every dealer (a tier reaches everywhere). */
  everyone: boolean;
  /** Dealer codes the configuration names (fixed, default, fallback, quotas, priority dealers). */
  named: string[];
}

/** Candidate dealers with everything the decision asks of them (regions, stock, exclusivity, declines). */
export async function loadCandidates(db: Database, order: OrderRecord, options: CandidateOptions): Promise<DealerFacts[]> {
  const path = order.facts.regionPath;
  const rows = await db.query<DealerRow>(
    `WITH candidate AS (
       SELECT d.id FROM dealer d WHERE $1::boolean
       UNION SELECT dr.dealer_id FROM dealer_region dr JOIN region r ON r.id = dr.region_id
        WHERE $2::text IS NOT NULL AND (left($2::text, length(r.path)) = r.path OR left(r.path, length($2::text)) = $2::text)
       UNION SELECT d.id FROM dealer d WHERE d.code = ANY($3::text[])
     )
     SELECT d.id, d.code, d.name, d.active, d.authorised, d.accepts_site_orders, d.points, d.takes_count, d.take_seconds_total,
            d.whole_range, d.product_lines,
            coalesce(array_agg(r.path ORDER BY dr.is_main DESC, r.path) FILTER (WHERE r.path IS NOT NULL), '{}') AS region_paths,
            coalesce(array_agg(r.code ORDER BY dr.is_main DESC, r.path) FILTER (WHERE r.code IS NOT NULL), '{}') AS region_codes
       FROM dealer d JOIN candidate c ON c.id = d.id
       LEFT JOIN dealer_region dr ON dr.dealer_id = d.id LEFT JOIN region r ON r.id = dr.region_id
      GROUP BY d.id ORDER BY d.code`,
    [options.everyone, path, options.named],
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const productIds = [...new Set(order.facts.lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
  const stocked = new Map<string, string[]>();
  if (productIds.length > 0) {
    // By product only, candidates picked out here: with both lists in the WHERE the planner also walks
    // the primary key over every candidate id (6.7 of 8.3 ms for 1,000 candidates, bench/distribution).
    const candidates = new Set(ids);
    const stockRows = await db.query<{ dealer_id: string; product_id: string }>(`SELECT dealer_id, product_id FROM dealer_assortment WHERE product_id = ANY($1::text[])`, [productIds]);
    for (const r of stockRows) {
      if (!candidates.has(r.dealer_id)) continue;
      const held = stocked.get(r.dealer_id);
      if (held) held.push(r.product_id);
      else stocked.set(r.dealer_id, [r.product_id]);
    }
  }
  const exclusion = await exclusionReasons(db, order, rows);
  return rows.map((r) => {
    const takeSeconds = Number(r.take_seconds_total);
    return {
      id: r.id,
      code: r.code,
      name: r.name,
      active: r.active,
      authorised: r.authorised,
      acceptsSiteOrders: r.accepts_site_orders,
      regionPaths: r.region_paths,
      points: r.points,
      avgTakeSeconds: r.takes_count > 0 ? Math.round(takeSeconds / r.takes_count) : null,
      takesCount: r.takes_count,
      wholeRange: r.whole_range,
      productLines: r.product_lines ?? [],
      stockedProductIds: stocked.get(r.id) ?? [],
      exclusionReason: exclusion.get(r.code)?.reason ?? null,
      exclusionRules: exclusion.get(r.code)?.rules,
      declined: false,
    };
  });
}

/**
 * Regional exclusivity for every candidate: by the order's delivery region (exclusivity-rules.ts,
 * A), whatever the dealer's own regions. Only when the order's region is not in the hierarchy are
 * dealers judged by their own regions, the stricter reading, rather than let a rule be breached.
 */
export async function exclusionReasons(db: Queryable, order: OrderRecord, dealers: { code: string; region_codes: string[] }[]): Promise<Map<string, { reason: string; rules: ExclusivityRuleRef[] }>> {
  const reasons = new Map<string, { reason: string; rules: ExclusivityRuleRef[] }>();
  const exclusivity = order.facts.exclusivity;
  if (exclusivity?.byOrderRegion) {
    for (const d of dealers) {
      const excluded = orderExclusionOf(exclusivity, d.code);
      if (excluded) reasons.set(d.code, excluded);
    }
    return reasons;
  }
  const lines = order.facts.lines.flatMap((l) => (l.sku ? [{ sku: l.sku }] : []));
  // Dealers without regions cannot be judged by their territory; the region check leaves them out of regional tiers anyway.
  const candidates = dealers.filter((d) => d.region_codes.length > 0).map((d) => ({ code: d.code, regionCodes: d.region_codes.slice(0, 500) }));
  if (lines.length === 0 || candidates.length === 0) return reasons;
  const report = await excludedDealers(db, { lines: lines.slice(0, 2000), candidates, date: order.exclusivityDate });
  for (const e of report.excluded) reasons.set(e.dealerCode, { reason: e.reason, rules: e.lines.flatMap((l) => l.rules) });
  return reasons;
}

/**
 * Why regional exclusivity forbids one dealer an order as it is now (null: allowed), judged as for
 * the candidates of a decision: for an admin's assign, and for the fallback at the deadline.
 */
export async function exclusionOfDealer(q: Queryable, order: OrderRecord, dealerCode: string): Promise<{ reason: string; rules: ExclusivityRuleRef[] } | null> {
  const regions = order.facts.exclusivity?.byOrderRegion
    ? []
    : (await q.query<{ code: string }>(
      `SELECT g.code FROM dealer d JOIN dealer_region dr ON dr.dealer_id = d.id JOIN region g ON g.id = dr.region_id WHERE d.code = $1 ORDER BY dr.is_main DESC, g.path`,
      [dealerCode],
    )).map((r) => r.code);
  return (await exclusionReasons(q, order, [{ code: dealerCode, region_codes: regions }])).get(dealerCode) ?? null;
}

/** Paths of the region codes the configuration's match rules name (unknown codes are simply absent). */
export async function loadRegionPaths(q: Queryable, config: DistributionConfig): Promise<Record<string, string>> {
  const codes = regionsNamedIn(config);
  if (codes.length === 0) return {};
  const rows = await q.query<{ code: string; path: string }>(`SELECT code, path FROM region WHERE code = ANY($1::text[])`, [codes]);
  return Object.fromEntries(rows.map((r) => [r.code, r.path]));
}

/**
 * Base+ counts of the current period for every base_plus tier, by tier index: how many orders were
 * distributed, how many each quota dealer got, and how many lay in each quota dealer's own reach
 * (its regions and assortment, dealer-reach.ts): a percent quota is a share of those. The orders
 * are read once per tier, only those in some quota dealer's regions, and judged by the same
 * function the what-if replay counts with.
 */
export async function loadQuotaStates(q: Queryable, config: DistributionConfig, now: Date, excludeOrderId?: string): Promise<Record<number, QuotaState>> {
  const states: Record<number, QuotaState> = {};
  const codes = [...new Set(config.tiers.flatMap((t) => (t.kind === 'base_plus' ? t.quotas.map((quota) => quota.dealer) : [])))];
  if (codes.length === 0) return states;
  // Regions first (they pick the orders to read), then only the stock of the products those orders hold.
  const placed = await loadReachDealers(q, codes, []);
  const paths = [...new Set(placed.flatMap((d) => d.regionPaths))];
  for (const [index, tier] of config.tiers.entries()) {
    if (tier.kind !== 'base_plus') continue;
    const start = periodStart(now, tier.period, config.settings.timeZone);
    // Instants as ISO strings: a bare Date reaches PostgreSQL without its zone and is read in the session's.
    const range = [start.toISOString(), now.toISOString(), excludeOrderId ?? ''];
    const [total] = await q.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM order_distribution WHERE started_at >= $1::timestamptz AND started_at <= $2::timestamptz AND order_id <> $3`,
      range,
    );
    const rows = await q.query<{ code: string; n: string | number }>(
      `SELECT dl.code, count(*) AS n FROM dealer dl
         JOIN order_distribution d ON d.quota_dealer_id = dl.id AND d.started_at >= $1::timestamptz AND d.started_at <= $2::timestamptz AND d.order_id <> $3
        WHERE dl.code = ANY($4::text[]) GROUP BY dl.code`,
      [...range, tier.quotas.map((quota) => quota.dealer)],
    );
    const orders = await ordersInRegions(q, range, paths);
    const productIds = [...new Set(orders.flatMap((o) => o.lines.flatMap((l) => (l.productId ? [l.productId] : []))))];
    const tierCodes = tier.quotas.map((quota) => quota.dealer);
    const tierDealers = await loadReachDealers(q, tierCodes, productIds);
    states[index] = {
      periodStart: start.toISOString(),
      distributedInPeriod: Number(total?.n ?? 0),
      allocated: Object.fromEntries(rows.map((r) => [r.code, Number(r.n)])),
      inReach: countInReach(tierDealers, orders, config.settings.assortment),
    };
  }
  return states;
}

/**
 * The quota dealers with their regions and assortment: what counting past orders in their reach
 * needs. `productIds`: only the stock of these products ('all': the whole assortment).
 */
export async function loadReachDealers(q: Queryable, codes: string[], productIds: string[] | 'all'): Promise<ReachDealer[]> {
  if (codes.length === 0) return [];
  const dealers = await q.query<{ id: string; code: string; whole_range: boolean; product_lines: string[] | null; region_paths: string[] | null }>(
    `SELECT d.id, d.code, d.whole_range, d.product_lines,
            array_agg(r.path ORDER BY r.path) FILTER (WHERE r.path IS NOT NULL) AS region_paths
       FROM dealer d LEFT JOIN dealer_region dr ON dr.dealer_id = d.id LEFT JOIN region r ON r.id = dr.region_id
      WHERE d.code = ANY($1::text[]) GROUP BY d.id ORDER BY d.code`,
    [codes],
  );
  const stock = dealers.length === 0 || productIds.length === 0
    ? []
    : await q.query<{ dealer_id: string; product_id: string }>(
      `SELECT dealer_id, product_id FROM dealer_assortment WHERE dealer_id = ANY($1::text[]) AND ($2::text[] IS NULL OR product_id = ANY($2::text[]))`,
      [dealers.map((d) => d.id), productIds === 'all' ? null : productIds],
    );
  return dealers.map((d) => ({
    code: d.code,
    regionPaths: d.region_paths ?? [],
    wholeRange: d.whole_range,
    productLines: d.product_lines ?? [],
    stocked: new Set(stock.filter((s) => s.dealer_id === d.id).map((s) => s.product_id)),
  }));
}

/** Orders distributed in the range whose region meets one of `paths`, with their product lines (as loadOrderFacts reads them). */
async function ordersInRegions(q: Queryable, range: string[], paths: string[]): Promise<ReachOrder[]> {
  if (paths.length === 0) return [];
  const rows = await q.query<{ region_path: string; lines: OrderLineFacts[] | string | null }>(
    `SELECT g.path AS region_path,
            (SELECT coalesce(json_agg(json_build_object('position', l.position, 'sku', l.sku, 'productId', p.id, 'productLine', p.product_line, 'brand', p.brand) ORDER BY l.position), '[]'::json)
               FROM order_line l LEFT JOIN product p ON p.sku = l.sku WHERE l.order_id = o.id AND l.kind = 'product') AS lines
       FROM order_distribution d JOIN "order" o ON o.id = d.order_id
       JOIN LATERAL (SELECT r.path FROM region r WHERE upper(r.code) = upper(o.region) LIMIT 1) g ON true
      WHERE d.started_at >= $1::timestamptz AND d.started_at <= $2::timestamptz AND d.order_id <> $3
        AND EXISTS (SELECT 1 FROM unnest($4::text[]) AS p(path) WHERE left(g.path, length(p.path)) = p.path OR left(p.path, length(g.path)) = g.path)`,
    [...range, paths],
  );
  return rows.map((r) => ({ regionPath: r.region_path, lines: typeof r.lines === 'string' ? (JSON.parse(r.lines) as OrderLineFacts[]) : (r.lines ?? []) }));
}

/**
 * Whether any Base+ quota dealer could be offered this order (a superset of the decision's own
 * test: assortment is not looked at). When none can, the decision needs neither the quota counts
 * nor the lock that keeps two decisions from reading the same counts.
 */
export function quotaMayApply(config: DistributionConfig, dealers: DealerFacts[], order: OrderFacts): boolean {
  const quotaCodes = new Set(config.tiers.flatMap((t) => (t.kind === 'base_plus' ? t.quotas.map((q) => q.dealer) : [])));
  if (quotaCodes.size === 0) return false;
  return dealers.some(
    (d) => quotaCodes.has(d.code) && d.active && d.authorised && d.acceptsSiteOrders && !d.exclusionReason && !d.declined
      && matchRegion(d.regionPaths, order.regionPath) !== 'none',
  );
}

/** Whether a configuration reaches every dealer wherever it is (a taxi tier with scope everywhere). */
export function reachesEveryone(config: DistributionConfig): boolean {
  return config.tiers.some((t) => t.kind === 'taxi' && t.scope === 'everywhere');
}
