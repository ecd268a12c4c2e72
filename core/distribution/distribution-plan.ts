import type { ExclusivityRuleRef, OrderExclusivity } from '../exclusivity/exclusivity-rules.ts';
import type { DistributionConfig, TierKind } from './distribution-config.ts';

/**
 * What the distribution decision needs and what it produces. The decision itself
 * (distribution-strategy.ts) is a pure function of these: the service loads the facts from the
 * database, the what-if replay loads them for past orders; both get the same plan for the same facts.
 */

export interface OrderFacts {
  orderId: string;
  number: string | null;
  channel: { id: string; name: string; kind: string; labels: string[] };
  /** The order's region code as stored on the order (null when it has none). */
  regionCode: string | null;
  /** Materialised path of that region ("/RU/RU-MOW/"); null when the region is not in the hierarchy. */
  regionPath: string | null;
  /** Product lines only (shipping and fees are not dealers' assortment). */
  lines: OrderLineFacts[];
  placedAt: string;
  /**
   * The manufacturer's stock check of the order's current version (confirmed, partial,
   * unavailable), null when its products are not the hub's to check. Dealers sell from their own
   * stock, so it does not filter anyone; it is in the trace for the manager who reads it.
   */
  stockCheck?: string | null | undefined;
  /**
   * Regional exclusivity of the order: the lines a rule restricts in its delivery region, with the
   * partners who alone may be offered it and the rules that decided. Absent: not loaded (tests).
   */
  exclusivity?: OrderExclusivity | null | undefined;
}

export interface OrderLineFacts {
  position: number;
  sku: string | null;
  /** Null when the SKU is not in the catalogue. */
  productId: string | null;
  productLine: string | null;
  brand: string | null;
}

export interface DealerFacts {
  id: string;
  code: string;
  name: string;
  active: boolean;
  authorised: boolean;
  acceptsSiteOrders: boolean;
  /** Paths of every region the dealer serves, main region first. */
  regionPaths: string[];
  points: number;
  /** Average seconds from an offer becoming visible to the dealer taking it; null before its first take. */
  avgTakeSeconds: number | null;
  takesCount: number;
  wholeRange: boolean;
  /** Product lines the dealer holds completely. */
  productLines: string[];
  /** Of the order's products, the ids the dealer has in its assortment. */
  stockedProductIds: string[];
  /** Why regional exclusivity forbids this dealer the order (null: allowed). */
  exclusionReason: string | null;
  /** The rules that exclude it (for the trace). */
  exclusionRules?: ExclusivityRuleRef[] | undefined;
  /** The dealer declined this order before (in an earlier round): it is not offered it again. */
  declined: boolean;
}

/** Base+ counts for one tier's period: how many orders were distributed, and how many each quota dealer got first. */
export interface QuotaState {
  /** Start of the current period (ISO instant). */
  periodStart: string;
  /** Orders whose distribution started in the period, before this one (network-wide, for the trace). */
  distributedInPeriod: number;
  /**
   * By quota dealer code: the period's orders before this one within the dealer's own reach (its
   * regions and assortment, quota-reach.ts); a percent quota is a share of these. Absent for a
   * dealer: distributedInPeriod (older callers).
   */
  inReach?: Record<string, number>;
  /** By dealer code: orders of the period counted against the dealer's quota. */
  allocated: Record<string, number>;
}

export interface PlanInput {
  order: OrderFacts;
  /** The candidates: dealers of the order's region, dealers the configuration names, every dealer when a tier reaches everywhere. */
  dealers: DealerFacts[];
  config: DistributionConfig;
  configVersion: number;
  now: Date;
  /** Paths of the region codes the configuration's match rules name. */
  regionPaths: Record<string, string>;
  /** By tier index, for base_plus tiers. */
  quota: Record<number, QuotaState>;
}

export interface PlannedOffer {
  dealerId: string;
  dealerCode: string;
  tier: number;
  tierKind: TierKind;
  /** Position in the tier, best first (0-based). */
  rank: number;
  visibleFrom: Date;
  /** Null: open until the order is taken or goes to the fallback. */
  expiresAt: Date | null;
}

export type PlanOutcome =
  /** Offers were made; deadlineAt is when the fallback takes over. */
  | 'offer'
  /** Assigned at once: a default dealer, or the fallback because nobody was eligible. */
  | 'assign'
  /** Nobody eligible and no usable fallback dealer: the manufacturer's admins are told. */
  | 'unassigned';

export interface Plan {
  outcome: PlanOutcome;
  offers: PlannedOffer[];
  deadlineAt: Date | null;
  assignTo: { dealerId: string; dealerCode: string; via: 'default' | 'fallback'; reason: string } | null;
  /** The base_plus dealer this order counts against (null when no quota tier offered it). */
  quotaDealerId: string | null;
  trace: DecisionTrace;
}

export type DealerCheck = 'inactive' | 'not_authorised' | 'not_accepting' | 'region' | 'assortment' | 'exclusivity' | 'declined';
export type TierFilter = 'points' | 'quota' | 'top' | 'no_takes' | 'fixed_rule' | 'already_offered' | 'region';

export interface DealerVerdict {
  code: string;
  name: string;
  /** covers: the order's region is inside the dealer's; within: the dealer's region is inside the order's (coarser) one. */
  regionMatch: 'covers' | 'within' | 'none';
  /** Failed checks, each with a message; empty when the dealer is eligible (region aside for tiers that ignore it). */
  failed: { check: DealerCheck; message: string; rules?: ExclusivityRuleRef[] }[];
  points: number;
  avgTakeSeconds: number | null;
}

export interface TierTrace {
  index: number;
  kind: TierKind;
  name: string;
  /** When the tier opened (null when it was skipped). */
  opensAt: string | null;
  /** When its window ends and the next tier opens. */
  closesAt: string | null;
  /** Set once an early escalation moved the tier: when it actually opened (opensAt stays the plan). */
  actualOpensAt?: string | null | undefined;
  /** Set once an early escalation moved the tier's end: when it actually closes. */
  actualClosesAt?: string | null | undefined;
  /** visibleFrom is the plan; visibleAt, once an early escalation moved it, when the offer actually became visible. */
  offeredTo: { code: string; rank: number; visibleFrom: string; visibleAt?: string | undefined; expiresAt: string | null }[];
  /** Dealers eligible in general that this tier left out, and why. */
  filtered: { code: string; filter: TierFilter; message: string }[];
  /** Why the tier offered nobody. */
  skipped: string | null;
  /** Strategy-specific numbers (quota maths, minimum points, ...). */
  details: Record<string, unknown>;
}

export interface DecisionTrace {
  decidedAt: string;
  configVersion: number;
  order: {
    regionCode: string | null;
    regionKnown: boolean;
    orderKinds: string[];
    productLines: string[];
    skus: string[];
    channel: string;
    stockCheck: string | null;
    /** The lines exclusivity restricts in the order's region, their partners and deciding rules; null when not loaded. */
    exclusivity: OrderExclusivity | null;
  };
  defaultDealer: { dealer: string; matched: boolean; usable: boolean; message: string }[];
  dealers: DealerVerdict[];
  tiers: TierTrace[];
  result: { outcome: PlanOutcome; dealer: string | null; via: 'default' | 'fallback' | null; reason: string };
}
