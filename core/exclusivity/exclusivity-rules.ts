import { Type, type Static } from '@sinclair/typebox';
import { IsoDate } from '../model/common.ts';

/**
 * Regional exclusivity as a pure decision (no I/O): a supplier grants a product, a product line or
 * a brand in a region to one or several partner dealers; other dealers of that region may not buy it
 * (NOVUS portal, seeds 002). The flows in exclusivity-service.ts load the dealer's regions, the
 * product and the candidate rules, and ask an ExclusivityPolicy.
 *
 * The semantics of DefaultExclusivityPolicy, and why. Two questions are asked, with different
 * territories, because they protect the same contract from two sides:
 *
 * A. Distribution offers (`decideForOrder`): judged by WHERE THE ORDER IS DELIVERED. For an order
 *    delivered in a region under a rule covering one of its lines, only the rule's partner dealers
 *    may be offered it, whatever their registered region and whatever the tier (country-level
 *    dealers, a nationwide taxi, fixed rules, default dealers, the fallback, an admin's assign).
 *    Where no rule applies to the order's region nobody is excluded: a dealer registered in Tver
 *    with Moscow as an extra region gets NOVA orders in Tver even though NOVA is exclusive to
 *    another dealer in Moscow. Judging offers by the dealer's regions did both wrongs at once
 *    (issue 10): a country-level dealer or the whole network via taxi was offered a Moscow NOVA
 *    order (its regions are not inside Moscow), and the Tver dealer lost Tver orders.
 *
 * B. Dealer purchases (`decide`, the exclusivity check and the refusal of a dealer's own purchase
 *    order): judged by the dealer's REGISTERED regions (main, extra regions, cities, read from the
 *    hub, never from the caller) PLUS the delivery region when there is one. A purchase for the
 *    dealer's own stock often has no end-customer address, and goods a dealer holds can be resold
 *    anywhere it operates; so a non-partner registered inside the rule's region may not buy the
 *    product, and neither may anyone for delivery into it.
 *
 * 1. Hierarchy. A rule on a region covers the region and everything below it (its cities): region
 *    paths are materialised ("/RU/RU-MOW/"), so "inside" is a prefix test. A region above the
 *    rule's region (the country for a Moscow rule) is NOT inside it: an order known only as "RU"
 *    is not under a Moscow rule, and a dealer registered at country level does not buy inside it.
 *
 * 2. Territory. A: the order's delivery region. B: the dealer is in a rule's territory when ANY of
 *    its regions, or the delivery region, lies inside the rule's region. (c) holds for both: the
 *    exclusivity is a supplier contract; wrongly allowing breaches it silently, wrongly refusing
 *    is visible, carries its reason and can be settled by a manager (admin assign with force).
 *
 * 3. Precedence. For each region of the territory, among the rules that match the product, are valid
 *    on the date and cover that region, the MOST SPECIFIC decides: product beats product line beats
 *    brand; at the same scope, the rule on the deeper region beats the one on its ancestor. Rules
 *    tied on both (same scope and region) are read as one grant: the dealer must be a partner of
 *    one of them. "Most specific wins" is what lets a supplier carve out: brand X exclusive to D-17
 *    in Moscow, but line X-Marmi exclusive to D-42 there, or brand X to D-1 nationwide except
 *    Moscow (to D-17). With "every applicable rule must allow", such carve-outs would leave nobody
 *    able to sell, which no supplier means.
 *
 * 4. Verdict. The dealer is refused when, in ANY of its regions, the deciding rules do not list it
 *    (see 2); a listed partner is allowed. A rule listing no dealer is an embargo in its region.
 *
 * 5. Dates. validFrom and validTo are calendar dates, both inclusive, either may be open.
 *    Matching of product, line and brand values is case-insensitive and ignores surrounding
 *    spaces (1C and the catalogue spell brands differently; a miss would silently allow);
 *    dealer codes are compared exactly.
 */

export const EXCLUSIVITY_SCOPES = ['product', 'product_line', 'brand'] as const;
export type ExclusivityScope = (typeof EXCLUSIVITY_SCOPES)[number];

/** A region as the policy needs it: its code and materialised path ("/RU/RU-MOW/"). */
export interface RegionRef {
  code: string;
  path: string;
}

/** A dealer with every region it operates in (main region, extra regions and cities). */
export interface DealerTerritory {
  code: string;
  regions: RegionRef[];
}

export interface ProductRef {
  sku: string;
  productLine: string | null;
  brand: string | null;
}

export interface ExclusivityRuleRef {
  id: string;
  externalId: string | null;
  scope: ExclusivityScope;
  value: string;
  regionCode: string;
  regionPath: string;
  dealerCodes: string[];
  /** Calendar dates YYYY-MM-DD, inclusive; null is open. */
  validFrom: string | null;
  validTo: string | null;
}

export interface ExclusivityQuestion {
  dealer: DealerTerritory;
  product: ProductRef;
  /** Calendar date YYYY-MM-DD the order is for. */
  date: string;
  /** Rules that may apply; the policy itself checks product, date and territory. */
  rules: readonly ExclusivityRuleRef[];
}

export interface ExclusivityVerdict {
  allowed: boolean;
  /** Why, in words a dealer or a manager can act on. */
  reason: string;
  /** Refused: the rules that exclude the dealer. Allowed: the rules naming it a partner (empty when none applies). */
  rules: ExclusivityRuleRef[];
  /** Refused: the dealer's region that lies inside the rules' territory. */
  regionCode?: string;
}

export interface OrderExclusivityQuestion {
  /** Where the order is delivered. */
  region: RegionRef;
  product: ProductRef;
  /** Calendar date YYYY-MM-DD the order is for. */
  date: string;
  rules: readonly ExclusivityRuleRef[];
}

export interface OrderExclusivityVerdict {
  /** The rules that decide who may be offered the product in the order's region; empty when none applies. */
  rules: ExclusivityRuleRef[];
  /** The dealers that may be offered it (the deciding rules' partners); null when no rule applies. */
  partners: string[] | null;
  reason: string;
}

/** Decides whether a dealer may buy a product on a date (B), and who may be offered an order's product (A). */
export interface ExclusivityPolicy {
  decide(question: ExclusivityQuestion): ExclusivityVerdict;
  decideForOrder(question: OrderExclusivityQuestion): OrderExclusivityVerdict;
}

const SCOPE_RANK: Record<ExclusivityScope, number> = { product: 0, product_line: 1, brand: 2 };
const SCOPE_WORDS: Record<ExclusivityScope, string> = { product: 'product', product_line: 'product line', brand: 'brand' };

/** Case- and space-insensitive form of a product, line or brand value. */
export function normaliseValue(value: string): string {
  return value.trim().toLowerCase();
}

/** True when the region at `path` is `ancestorPath` or lies below it. */
export function isPathWithin(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

/** Number of levels of a materialised path: "/RU/" 1, "/RU/RU-MOW/" 2. */
export function pathDepth(path: string): number {
  return path.split('/').filter(Boolean).length;
}

export function ruleMatchesProduct(rule: Pick<ExclusivityRuleRef, 'scope' | 'value'>, product: ProductRef): boolean {
  const subject = rule.scope === 'product' ? product.sku : rule.scope === 'product_line' ? product.productLine : product.brand;
  return subject !== null && normaliseValue(subject) === normaliseValue(rule.value);
}

export function ruleValidOn(rule: Pick<ExclusivityRuleRef, 'validFrom' | 'validTo'>, date: string): boolean {
  // YYYY-MM-DD strings order like the dates they name.
  return (rule.validFrom === null || rule.validFrom <= date) && (rule.validTo === null || date <= rule.validTo);
}

export function describeValidity(rule: Pick<ExclusivityRuleRef, 'validFrom' | 'validTo'>): string {
  if (rule.validFrom && rule.validTo) return `valid ${rule.validFrom}..${rule.validTo}`;
  if (rule.validFrom) return `valid from ${rule.validFrom}`;
  if (rule.validTo) return `valid until ${rule.validTo}`;
  return 'without end date';
}

/** `brand "Porcelanosa" is exclusive in RU-MOW to dealers D-17, D-42 (rule R-1, valid 2026-01-01..2026-12-31)` */
export function describeRule(rule: ExclusivityRuleRef): string {
  const partners =
    rule.dealerCodes.length === 0 ? 'to no dealer' : `to dealer${rule.dealerCodes.length > 1 ? 's' : ''} ${rule.dealerCodes.join(', ')}`;
  return `${SCOPE_WORDS[rule.scope]} "${rule.value}" is exclusive in ${rule.regionCode} ${partners} (rule ${rule.externalId ?? rule.id}, ${describeValidity(rule)})`;
}

/** Most specific first: product, product line, brand; then the deeper region. */
function specificity(rule: ExclusivityRuleRef): [number, number] {
  return [SCOPE_RANK[rule.scope], -pathDepth(rule.regionPath)];
}

export class DefaultExclusivityPolicy implements ExclusivityPolicy {
  decide({ dealer, product, date, rules }: ExclusivityQuestion): ExclusivityVerdict {
    const candidates = rules.filter((rule) => ruleMatchesProduct(rule, product) && ruleValidOn(rule, date));
    const partnerOf = new Map<string, ExclusivityRuleRef>();

    for (const region of dealer.regions) {
      const covering = candidates.filter((rule) => isPathWithin(region.path, rule.regionPath));
      if (covering.length === 0) continue;
      const deciding = mostSpecific(covering);
      const granting = deciding.filter((rule) => rule.dealerCodes.includes(dealer.code));
      if (granting.length > 0) {
        for (const rule of granting) partnerOf.set(rule.id, rule);
        continue;
      }
      const where = region.code === deciding[0]!.regionCode ? region.code : `${region.code}, inside ${deciding[0]!.regionCode}`;
      return {
        allowed: false,
        reason: `${deciding.map(describeRule).join('; ')}; dealer ${dealer.code} operates in ${where}`,
        rules: deciding,
        regionCode: region.code,
      };
    }

    if (partnerOf.size > 0) {
      const granted = [...partnerOf.values()];
      return { allowed: true, reason: `dealer ${dealer.code} is an exclusive partner: ${granted.map(describeRule).join('; ')}`, rules: granted };
    }
    const regions = dealer.regions.map((r) => r.code).join(', ') || 'no region';
    return { allowed: true, reason: `no exclusivity rule restricts ${product.sku} for dealer ${dealer.code} (${regions}) on ${date}`, rules: [] };
  }

  decideForOrder({ region, product, date, rules }: OrderExclusivityQuestion): OrderExclusivityVerdict {
    const covering = rules.filter((rule) => ruleMatchesProduct(rule, product) && ruleValidOn(rule, date) && isPathWithin(region.path, rule.regionPath));
    if (covering.length === 0) return { rules: [], partners: null, reason: `no exclusivity rule restricts ${product.sku} in ${region.code} on ${date}` };
    const deciding = mostSpecific(covering);
    const partners = [...new Set(deciding.flatMap((rule) => rule.dealerCodes))].sort();
    return { rules: deciding, partners, reason: deciding.map(describeRule).join('; ') };
  }
}

/**
 * A line of an order an exclusivity rule restricts in the order's region: who may be offered it,
 * and the rules that decided (in the trace, for the order and for every excluded dealer).
 */
export interface RestrictedLine {
  index: number;
  sku: string;
  partners: string[];
  rules: ExclusivityRuleRef[];
  reason: string;
}

/** What exclusivity says about one order: its delivery region, the day, and the lines restricted there. */
export interface OrderExclusivity {
  regionCode: string | null;
  date: string;
  /** False when the order's region is not in the hierarchy: dealers are then judged by their own regions (B). */
  byOrderRegion: boolean;
  restricted: RestrictedLine[];
}

/** Why exclusivity forbids `dealerCode` an order (null: allowed): the first restricted line it is no partner of. */
export function orderExclusionOf(exclusivity: OrderExclusivity | null | undefined, dealerCode: string): { reason: string; rules: ExclusivityRuleRef[] } | null {
  if (!exclusivity) return null;
  const refused = exclusivity.restricted.filter((line) => !line.partners.includes(dealerCode));
  if (refused.length === 0) return null;
  const where = exclusivity.regionCode ?? 'the order\'s region';
  return {
    reason: refused.map((line) => `${line.sku}: ${line.reason}; the order is delivered in ${where}`).join('; '),
    rules: uniqueRules(refused.flatMap((line) => line.rules)),
  };
}

function uniqueRules(rules: ExclusivityRuleRef[]): ExclusivityRuleRef[] {
  return [...new Map(rules.map((r) => [r.id, r])).values()];
}

function mostSpecific(rules: ExclusivityRuleRef[]): ExclusivityRuleRef[] {
  let best: [number, number] | undefined;
  let winners: ExclusivityRuleRef[] = [];
  for (const rule of rules) {
    const key = specificity(rule);
    const order = best === undefined ? -1 : key[0] - best[0] || key[1] - best[1];
    if (order < 0) {
      best = key;
      winners = [rule];
    } else if (order === 0) {
      winners.push(rule);
    }
  }
  return winners;
}

// ---- Shapes of rule input (API, CLI, 1C loads) ---------------------------------------------------------------------

const RegionCode = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^/\\s]+$', description: 'region code, e.g. RU-MOW' });
const DealerCode = Type.String({ minLength: 1, maxLength: 100 });

export const ExclusivityScopeSchema = Type.Union(EXCLUSIVITY_SCOPES.map((s) => Type.Literal(s)));

export const ExclusivityRuleInputSchema = Type.Object(
  {
    scope: ExclusivityScopeSchema,
    value: Type.String({ minLength: 1, maxLength: 300, description: 'SKU, product line or brand, by scope' }),
    regionCode: RegionCode,
    dealerCodes: Type.Array(DealerCode, { minItems: 1, maxItems: 500, uniqueItems: true, description: 'the exclusive partner dealers' }),
    validFrom: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    externalId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    note: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type ExclusivityRuleInput = Static<typeof ExclusivityRuleInputSchema>;

export const ExclusivityRuleChangesSchema = Type.Partial(ExclusivityRuleInputSchema, { additionalProperties: false, minProperties: 1 });
export type ExclusivityRuleChanges = Static<typeof ExclusivityRuleChangesSchema>;

/** A rule in a bulk load: its externalId is what makes the load idempotent. */
export const ExclusivityRuleLoadItemSchema = Type.Composite([
  Type.Omit(ExclusivityRuleInputSchema, ['externalId']),
  Type.Object({ externalId: Type.String({ minLength: 1, maxLength: 200 }) }),
], { additionalProperties: false });
export type ExclusivityRuleLoadItem = Static<typeof ExclusivityRuleLoadItemSchema>;

/** A dealer as exclusivity needs it until dealers have their own table: its code and region codes. */
export const DealerRefSchema = Type.Object(
  { code: DealerCode, regionCodes: Type.Array(RegionCode, { maxItems: 500 }) },
  { additionalProperties: false },
);
export type DealerRef = Static<typeof DealerRefSchema>;

/** An order line by SKU or by product id. */
export const LineRefSchema = Type.Object(
  { sku: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), productId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
);
export type LineRef = Static<typeof LineRefSchema>;

/** The first problem with a rule's dates, or undefined. */
export function datesProblem(rule: { validFrom?: string | null | undefined; validTo?: string | null | undefined }): string | undefined {
  for (const [field, date] of [['validFrom', rule.validFrom], ['validTo', rule.validTo]] as const) {
    if (date && !isCalendarDate(date)) return `${field}: ${date} is not a calendar date`;
  }
  if (rule.validFrom && rule.validTo && rule.validFrom > rule.validTo) return `validTo: ${rule.validTo} is before validFrom ${rule.validFrom}`;
  return undefined;
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}
