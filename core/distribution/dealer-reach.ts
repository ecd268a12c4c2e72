import { isPathWithin } from '../exclusivity/exclusivity-rules.ts';
import type { DistributionSettings } from './distribution-config.ts';
import type { DealerVerdict, OrderLineFacts } from './distribution-plan.ts';

/**
 * A dealer's reach: the orders it can serve, by its regions and its assortment. One definition for
 * the decision's region and assortment checks (distribution-strategy.ts) and for Base+ quotas,
 * whose percent is a share of the orders in the quota dealer's own reach (live in decision-facts.ts
 * and in the what-if replay), so a regional priority dealer's share of its region does not swing
 * with other regions' volume.
 */

/** What reach looks at: where the dealer is and what it holds (of the order's products). */
export interface ReachOf {
  regionPaths: string[];
  wholeRange: boolean;
  productLines: string[];
  /** Of the order's products, the ids the dealer has in its assortment. */
  stockedProductIds: string[];
}

/** What reach asks of an order. */
export interface ReachOrder {
  regionPath: string | null;
  lines: OrderLineFacts[];
}

/** Quota targets are fractions: a float must not cost a dealer its turn. */
const EPSILON = 1e-9;

/** How a dealer's regions meet the order's: the one region test of distribution. */
export function matchRegion(dealerPaths: string[], orderPath: string | null): DealerVerdict['regionMatch'] {
  if (orderPath === null) return 'none';
  if (dealerPaths.some((p) => isPathWithin(orderPath, p))) return 'covers';
  // The order only knows a coarser region (the country): a dealer somewhere inside it may still serve the buyer.
  if (dealerPaths.some((p) => isPathWithin(p, orderPath))) return 'within';
  return 'none';
}

/** Null when the dealer's assortment covers the order under the rule; otherwise what is missing, as a sentence. */
export function assortmentGap(dealer: ReachOf, lines: OrderLineFacts[], assortment: DistributionSettings['assortment']): string | null {
  if (lines.length === 0) return null;
  const missing = lines.filter((line) => !coversLine(dealer, line));
  const covered = lines.length - missing.length;
  const minShare = assortment.minShare ?? 1;
  const enough =
    assortment.rule === 'all' ? missing.length === 0 : assortment.rule === 'any' ? covered >= 1 : covered / lines.length + EPSILON >= minShare;
  if (enough) return null;
  const required = assortment.rule === 'all' ? 'all required' : assortment.rule === 'any' ? 'at least one required' : `at least ${Math.round(minShare * 1_000_000) / 10_000}% required`;
  return `covers ${covered} of ${lines.length} product lines (${required}): missing ${missing.map(lineName).join(', ')}`;
}

/** Whether the order lies in the dealer's reach: a region it serves and an assortment that covers it. */
export function withinReach(dealer: ReachOf, order: ReachOrder, assortment: DistributionSettings['assortment']): boolean {
  return matchRegion(dealer.regionPaths, order.regionPath) !== 'none' && assortmentGap(dealer, order.lines, assortment) === null;
}

/** A quota dealer as the counting of past orders needs it: its whole assortment, not one order's part. */
export interface ReachDealer {
  code: string;
  regionPaths: string[];
  wholeRange: boolean;
  productLines: string[];
  stocked: ReadonlySet<string>;
}

/** The dealer's reach facts for one order (its stocked part of the order's products). */
export function reachFor(dealer: ReachDealer, order: ReachOrder): ReachOf {
  const stockedProductIds = order.lines.flatMap((l) => (l.productId !== null && dealer.stocked.has(l.productId) ? [l.productId] : []));
  return { regionPaths: dealer.regionPaths, wholeRange: dealer.wholeRange, productLines: dealer.productLines, stockedProductIds };
}

/** By dealer code: how many of the orders lie in each dealer's reach. */
export function countInReach(dealers: readonly ReachDealer[], orders: readonly ReachOrder[], assortment: DistributionSettings['assortment']): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const dealer of dealers) {
    counts[dealer.code] = orders.filter((order) => withinReach(reachFor(dealer, order), order, assortment)).length;
  }
  return counts;
}

function coversLine(dealer: ReachOf, line: OrderLineFacts): boolean {
  if (dealer.wholeRange) return true;
  if (line.productId !== null && dealer.stockedProductIds.includes(line.productId)) return true;
  return line.productLine !== null && dealer.productLines.includes(line.productLine);
}

function lineName(line: OrderLineFacts): string {
  return line.sku ?? line.productLine ?? `line ${line.position}`;
}
