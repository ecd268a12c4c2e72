import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Database } from '../db/database.ts';
import { sqlStateOf } from '../db/sql-errors.ts';
import { HubError } from '../errors.ts';
import { assertValid } from '../model/validate.ts';
import {
  DealerRefSchema,
  DefaultExclusivityPolicy,
  ExclusivityRuleChangesSchema,
  ExclusivityRuleInputSchema,
  ExclusivityRuleLoadItemSchema,
  LineRefSchema,
  datesProblem,
  isCalendarDate,
  normaliseValue,
  type DealerRef,
  type ExclusivityPolicy,
  type OrderExclusivity,
  type RestrictedLine,
  type ExclusivityRuleInput,
  type ExclusivityRuleRef,
  type ExclusivityScope,
  type LineRef,
  type ProductRef,
  type RegionRef,
} from './exclusivity-rules.ts';

/**
 * Regional exclusivity flows: the rules (CRUD and idempotent bulk loads by externalId, as 1C will
 * send them), the dealer-portal check line by line, and `excludedDealers` for the distribution
 * engine. The decision itself is the ExclusivityPolicy's (exclusivity-rules.ts, where the semantics
 * are written down); these flows only load what it needs, in a fixed number of queries whatever the
 * number of dealers or lines: the regions named, the products, and the candidate rules.
 */

export type { DealerRef, LineRef, OrderExclusivity } from './exclusivity-rules.ts';

/** What a query can run on: the database, or a transaction through its raw query. */
type Queryable = Pick<Database, 'query'>;

export interface ExclusivityRuleView extends ExclusivityRuleRef {
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RuleListFilter {
  scope?: ExclusivityScope | undefined;
  /** Exact value (case-insensitive). */
  value?: string | undefined;
  /** Rules on this region exactly. */
  regionCode?: string | undefined;
  /** Rules naming this dealer as a partner. */
  dealerCode?: string | undefined;
  /** Rules valid on this date (YYYY-MM-DD). */
  activeOn?: string | undefined;
}

export interface RuleLoadSummary {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface LineVerdict {
  index: number;
  sku: string | null;
  productId: string | null;
  /** False when the line names no product of the catalogue. */
  productKnown: boolean;
  allowed: boolean;
  reason: string;
  rules: ExclusivityRuleRef[];
}

export interface DealerLinesCheck {
  dealerCode: string;
  date: string;
  /** The territory judged: the dealer's registered regions (from the hub), then the delivery region when given. */
  regionCodes: string[];
  deliveryRegion: string | null;
  /** True when every line is allowed. */
  allowed: boolean;
  lines: LineVerdict[];
}

export interface ExcludedDealer {
  dealerCode: string;
  /** The first refused line's reason, prefixed with its SKU. */
  reason: string;
  lines: { index: number; sku: string; reason: string; rules: ExclusivityRuleRef[] }[];
}

export interface ExclusionReport {
  date: string;
  /** Candidates that must never be offered the order, each with why. */
  excluded: ExcludedDealer[];
  /**
   * SKUs / product ids not in the catalogue: only product-scope rules could be checked for them,
   * so the order deserves a manager's look before it goes to a dealer.
   */
  unknownProducts: string[];
}

interface RuleRow {
  id: string;
  scope: ExclusivityScope;
  value: string;
  dealer_codes: string[];
  valid_from: string | null;
  valid_to: string | null;
  external_id: string | null;
  note: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  region_code: string;
  region_path: string;
}

const RULE_COLUMNS = `r.id, r.scope, r.value, coalesce(r.dealer_codes, '{}') AS dealer_codes,
  to_char(r.valid_from, 'YYYY-MM-DD') AS valid_from, to_char(r.valid_to, 'YYYY-MM-DD') AS valid_to,
  r.external_id, r.note, r.created_at, r.updated_at, g.code AS region_code, g.path AS region_path`;
const RULE_FROM = `exclusivity_rule r JOIN region g ON g.id = r.region_id`;

const CheckInputSchema = Type.Object({
  dealerCode: Type.String({ minLength: 1, maxLength: 100 }),
  lines: Type.Array(LineRefSchema, { minItems: 1, maxItems: 2000 }),
  deliveryRegion: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
const ExcludedInputSchema = Type.Object({ candidates: Type.Array(DealerRefSchema, { maxItems: 100_000 }), lines: Type.Array(LineRefSchema, { minItems: 1, maxItems: 2000 }) });

export class ExclusivityService {
  constructor(
    private readonly db: Database,
    private readonly policy: ExclusivityPolicy = new DefaultExclusivityPolicy(),
  ) {}

  // ---- rules ------------------------------------------------------------------------------------------------------

  async create(input: unknown): Promise<ExclusivityRuleView> {
    const rule = validRule(ExclusivityRuleInputSchema, input, 'rule');
    const regionId = await this.regionIdOf(rule.regionCode);
    const id = randomUUID();
    try {
      await this.db.query(
        `INSERT INTO exclusivity_rule (id, scope, value, region_id, dealer_codes, valid_from, valid_to, external_id, note)
         VALUES ($1, $2, $3, $4, $5::text[], $6::date, $7::date, $8, $9)`,
        [id, rule.scope, rule.value, regionId, rule.dealerCodes, rule.validFrom ?? null, rule.validTo ?? null, rule.externalId ?? null, rule.note ?? null],
      );
    } catch (error) {
      throw externalIdClash(error, rule.externalId);
    }
    return this.get(id);
  }

  async update(id: string, changes: unknown): Promise<ExclusivityRuleView> {
    const valid = assertValid(ExclusivityRuleChangesSchema, changes, 'rule');
    const current = await this.get(id);
    const merged: ExclusivityRuleInput = {
      scope: valid.scope ?? current.scope,
      value: valid.value ?? current.value,
      regionCode: valid.regionCode ?? current.regionCode,
      dealerCodes: valid.dealerCodes ?? current.dealerCodes,
      validFrom: valid.validFrom !== undefined ? valid.validFrom : current.validFrom,
      validTo: valid.validTo !== undefined ? valid.validTo : current.validTo,
      externalId: valid.externalId !== undefined ? valid.externalId : current.externalId,
      note: valid.note !== undefined ? valid.note : current.note,
    };
    const rule = validRule(ExclusivityRuleInputSchema, merged, 'rule');
    const regionId = await this.regionIdOf(rule.regionCode);
    try {
      await this.db.query(
        `UPDATE exclusivity_rule SET scope = $2, value = $3, region_id = $4, dealer_codes = $5::text[], valid_from = $6::date,
                valid_to = $7::date, external_id = $8, note = $9, updated_at = now()
          WHERE id = $1`,
        [id, rule.scope, rule.value, regionId, rule.dealerCodes, rule.validFrom ?? null, rule.validTo ?? null, rule.externalId ?? null, rule.note ?? null],
      );
    } catch (error) {
      throw externalIdClash(error, rule.externalId);
    }
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const rows = await this.db.query(`DELETE FROM exclusivity_rule WHERE id = $1 RETURNING id`, [id]);
    if (rows.length === 0) throw new HubError('not_found', `Exclusivity rule ${id} does not exist.`);
  }

  async get(id: string): Promise<ExclusivityRuleView> {
    const [row] = await this.db.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM ${RULE_FROM} WHERE r.id = $1`, [id]);
    if (!row) throw new HubError('not_found', `Exclusivity rule ${id} does not exist.`);
    return toView(row);
  }

  /** Rules by region (tree order), scope and value; at most 5,000. */
  async list(filter: RuleListFilter = {}): Promise<ExclusivityRuleView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.scope) add((n) => `r.scope = ${n}`, filter.scope);
    if (filter.value) add((n) => `lower(trim(r.value)) = ${n}`, normaliseValue(filter.value));
    if (filter.regionCode) add((n) => `g.code = ${n}`, filter.regionCode);
    if (filter.dealerCode) add((n) => `${n} = ANY(r.dealer_codes)`, filter.dealerCode);
    if (filter.activeOn) {
      const date = calendarDate(filter.activeOn, 'activeOn');
      add((n) => `(r.valid_from IS NULL OR r.valid_from <= ${n}::date) AND (r.valid_to IS NULL OR r.valid_to >= ${n}::date)`, date);
    }
    const rows = await this.db.query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM ${RULE_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY g.path COLLATE "C", r.scope, r.value, r.created_at, r.id LIMIT 5000`,
      params,
    );
    return rows.map(toView);
  }

  /**
   * Loads rules idempotently by externalId (the source's own id, 1C later): a new externalId makes
   * a rule, a known one updates it when something differs, and loading the same rules again
   * changes nothing. One statement, so concurrent loads of the same rules cannot duplicate them.
   * Rules absent from the load are left alone (delete them explicitly).
   */
  async load(input: unknown): Promise<RuleLoadSummary> {
    const items = assertValid(Type.Array(ExclusivityRuleLoadItemSchema, { maxItems: 50_000 }), input, 'rules');
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const problem = datesProblem(item);
      if (problem) throw new HubError('invalid_data', `rules: ${index}.${problem}.`, { field: `${index}.${problem.split(':')[0]}` });
      if (seen.has(item.externalId)) throw new HubError('invalid_data', `rules: ${index}.externalId: ${item.externalId} appears twice in the load.`, { field: `${index}.externalId` });
      seen.add(item.externalId);
    });
    if (items.length === 0) return { received: 0, created: 0, updated: 0, unchanged: 0 };

    const codes = [...new Set(items.map((i) => i.regionCode))];
    const regions = await this.db.query<{ id: string; code: string }>(`SELECT id, code FROM region WHERE code = ANY($1::text[])`, [codes]);
    const regionIds = new Map(regions.map((r) => [r.code, r.id]));
    items.forEach((item, index) => {
      if (!regionIds.has(item.regionCode)) throw new HubError('invalid_data', `rules: ${index}.regionCode: region ${item.regionCode} does not exist.`, { field: `${index}.regionCode` });
    });

    const rows = items.map((item) => ({
      id: randomUUID(),
      scope: item.scope,
      value: item.value,
      region_id: regionIds.get(item.regionCode)!,
      dealer_codes: item.dealerCodes,
      valid_from: item.validFrom ?? null,
      valid_to: item.validTo ?? null,
      external_id: item.externalId,
      note: item.note ?? null,
    }));
    // (xmax = 0) tells an inserted row from an updated one; unchanged rows are not returned at all.
    const written = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO exclusivity_rule AS e (id, scope, value, region_id, dealer_codes, valid_from, valid_to, external_id, note)
       SELECT x.id, x.scope, x.value, x.region_id, x.dealer_codes, x.valid_from, x.valid_to, x.external_id, x.note
         FROM jsonb_to_recordset($1::jsonb)
           AS x(id text, scope text, value text, region_id text, dealer_codes text[], valid_from date, valid_to date, external_id text, note text)
       ON CONFLICT (external_id) DO UPDATE SET
         scope = EXCLUDED.scope, value = EXCLUDED.value, region_id = EXCLUDED.region_id, dealer_codes = EXCLUDED.dealer_codes,
         valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, note = EXCLUDED.note, updated_at = now()
       WHERE (e.scope, e.value, e.region_id, e.dealer_codes, e.valid_from, e.valid_to, e.note)
             IS DISTINCT FROM (EXCLUDED.scope, EXCLUDED.value, EXCLUDED.region_id, EXCLUDED.dealer_codes, EXCLUDED.valid_from, EXCLUDED.valid_to, EXCLUDED.note)
       RETURNING (xmax = 0) AS inserted`,
      [JSON.stringify(rows)],
    );
    const created = written.filter((w) => w.inserted).length;
    return { received: items.length, created, updated: written.length - created, unchanged: items.length - written.length };
  }

  // ---- decisions ----------------------------------------------------------------------------------------------------

  /**
   * The dealer portal's check (a dealer's own purchase): each line allowed or refused with its
   * reason (an order is refused line by line, not as a whole). The territory is the dealer's
   * registered regions as the hub knows them, never regions a caller sends, plus the delivery
   * region when the purchase has one (exclusivity-rules.ts, B). A line whose product is not in the
   * catalogue is refused.
   */
  async checkDealerLines(dealerCode: string, lines: LineRef[], date?: string | Date, deliveryRegion?: string): Promise<DealerLinesCheck> {
    const input = assertValid(CheckInputSchema, { dealerCode, lines, deliveryRegion }, 'check');
    const day = toCalendarDate(date);
    const registered = await registeredRegionsOf(this.db, input.dealerCode);
    const regionCodes = [...new Set([...registered, ...(input.deliveryRegion ? [input.deliveryRegion] : [])])];
    const loaded = await loadContext(this.db, regionCodes, input.lines, day);
    if (input.deliveryRegion && !loaded.regions.has(input.deliveryRegion)) {
      throw new HubError('invalid_data', `deliveryRegion: region ${input.deliveryRegion} does not exist.`, { field: 'deliveryRegion' });
    }
    const territory = { code: input.dealerCode, regions: regionCodes.flatMap((c) => loaded.regions.get(c) ?? []) };

    const verdicts = input.lines.map((line, index): LineVerdict => {
      const product = loaded.productOf(line);
      const base = { index, sku: product?.sku ?? line.sku ?? null, productId: product?.id ?? line.productId ?? null };
      if (!product) {
        return { ...base, productKnown: false, allowed: false, reason: `${describeLine(line)} is not in the catalogue, so its exclusivity cannot be checked`, rules: [] };
      }
      const verdict = this.policy.decide({ dealer: territory, product, date: day, rules: loaded.rules });
      return { ...base, productKnown: true, allowed: verdict.allowed, reason: verdict.reason, rules: verdict.rules };
    });
    return { dealerCode: input.dealerCode, date: day, regionCodes, deliveryRegion: input.deliveryRegion ?? null, allowed: verdicts.every((v) => v.allowed), lines: verdicts };
  }

  /**
   * Refuses a dealer's own purchase order that breaks exclusivity, before anything of it is
   * recorded: a conflict (409) whose details list every line with its verdict and reason. Lines
   * not in the catalogue are left to the intake's own checks (a purchase may carry services).
   */
  async refuseDealerPurchase(dealerCode: string, lines: LineRef[], date?: string | Date, deliveryRegion?: string): Promise<void> {
    if (lines.length === 0) return;
    // An order's region is free text: one the hierarchy does not know cannot widen the territory.
    const [region] = deliveryRegion ? await this.db.query<{ code: string }>(`SELECT code FROM region WHERE upper(code) = upper($1) LIMIT 1`, [deliveryRegion]) : [];
    const check = await this.checkDealerLines(dealerCode, lines, date, region?.code);
    const refused = check.lines.filter((l) => l.productKnown && !l.allowed);
    if (refused.length === 0) return;
    throw new HubError(
      'conflict',
      `Dealer ${dealerCode} may not buy ${refused.length === 1 ? 'line' : 'lines'} ${refused.map((l) => l.index + 1).join(', ')} under regional exclusivity: ${refused.map((l) => `${l.sku}: ${l.reason}`).join('; ')}.`,
      { details: { reason: 'exclusivity', dealerCode, date: check.date, regionCodes: check.regionCodes, deliveryRegion: check.deliveryRegion, lines: check.lines.filter((l) => l.productKnown) } },
    );
  }

  /** See the exported orderExclusivity. */
  orderExclusivity(input: OrderExclusivityInput): Promise<OrderExclusivity> {
    return orderExclusivity(this.db, input, this.policy);
  }

  /** See the exported excludedDealers. */
  excludedDealers(lines: LineRef[], candidates: DealerRef[], date?: string | Date): Promise<ExclusionReport> {
    return excludedDealers(this.db, { lines, candidates, date }, this.policy);
  }

  private async regionIdOf(code: string): Promise<string> {
    const [region] = await this.db.query<{ id: string }>(`SELECT id FROM region WHERE code = $1`, [code]);
    if (!region) throw new HubError('invalid_data', `rule: regionCode: region ${code} does not exist.`, { field: 'regionCode' });
    return region.id;
  }
}

export interface OrderExclusivityInput {
  /** The order's delivery region as stored (any case); null when the order has none. */
  regionCode: string | null;
  /** Its materialised path; null when the region is not in the hierarchy. */
  regionPath: string | null;
  lines: { sku: string | null; productId?: string | null | undefined }[];
  date: string | Date;
}

/**
 * For distribution (exclusivity-rules.ts, A): the lines of an order that an exclusivity rule
 * restricts in the order's delivery region, each with its partners and the rules that decided.
 * Who may be offered the order is then a pure question (orderExclusionOf), the same for every tier,
 * the fallback and an admin's assign. At most three queries.
 */
export async function orderExclusivity(q: Queryable, input: OrderExclusivityInput, policy: ExclusivityPolicy = new DefaultExclusivityPolicy()): Promise<OrderExclusivity> {
  const day = toCalendarDate(input.date);
  if (input.regionPath === null) return { regionCode: input.regionCode, date: day, byOrderRegion: false, restricted: [] };
  const regionCode = input.regionPath.split('/').filter(Boolean).pop()!;
  const lines = input.lines.flatMap((l, index) => (l.sku || l.productId ? [{ index, ref: { ...(l.sku ? { sku: l.sku } : {}), ...(l.productId ? { productId: l.productId } : {}) } }] : []));
  if (lines.length === 0) return { regionCode, date: day, byOrderRegion: true, restricted: [] };
  const loaded = await loadContext(q, [regionCode], lines.slice(0, 2000).map((l) => l.ref), day);
  const region = loaded.regions.get(regionCode) ?? { code: regionCode, path: input.regionPath };
  const restricted: RestrictedLine[] = [];
  for (const { index, ref } of lines) {
    // Unknown products are checked against SKU rules only: their line and brand are unknown.
    const product = loaded.productOf(ref) ?? { sku: ref.sku ?? ref.productId!, productLine: null, brand: null };
    const verdict = policy.decideForOrder({ region, product, date: day, rules: loaded.rules });
    if (verdict.partners !== null) restricted.push({ index, sku: product.sku, partners: verdict.partners, rules: verdict.rules, reason: verdict.reason });
  }
  return { regionCode, date: day, byOrderRegion: true, restricted };
}

/** The dealer's registered regions (main region first), as the hub knows them. */
async function registeredRegionsOf(q: Queryable, dealerCode: string): Promise<string[]> {
  const rows = await q.query<{ found: boolean; codes: string[] | null }>(
    `SELECT true AS found, array_agg(g.code ORDER BY dr.is_main DESC, g.path) FILTER (WHERE g.code IS NOT NULL) AS codes
       FROM dealer d LEFT JOIN dealer_region dr ON dr.dealer_id = d.id LEFT JOIN region g ON g.id = dr.region_id
      WHERE d.code = $1 GROUP BY d.id`,
    [dealerCode],
  );
  if (rows.length === 0) throw new HubError('not_found', `Dealer ${dealerCode} does not exist.`, { field: 'dealerCode' });
  return rows[0]!.codes ?? [];
}

/**
 * For the distribution engine: which of the candidate dealers must never be offered an order with
 * these lines on this date, each with the reason. A dealer is excluded when any line is refused
 * for it. A dealer whose region is unknown is excluded too (its territory cannot be checked).
 * Three queries whatever the number of candidates and lines.
 */
export async function excludedDealers(
  db: Queryable,
  input: { lines: LineRef[]; candidates: DealerRef[]; date?: string | Date | undefined },
  policy: ExclusivityPolicy = new DefaultExclusivityPolicy(),
): Promise<ExclusionReport> {
  const valid = assertValid(ExcludedInputSchema, { candidates: input.candidates, lines: input.lines }, 'exclusion');
  const day = toCalendarDate(input.date);
  const allCodes = [...new Set(valid.candidates.flatMap((d) => d.regionCodes))];
  const loaded = await loadContext(db, allCodes, valid.lines, day);

  const unknownProducts: string[] = [];
  const products: { index: number; product: ProductRef }[] = [];
  valid.lines.forEach((line, index) => {
    const known = loaded.productOf(line);
    if (!known) unknownProducts.push(line.sku ?? line.productId!);
    // Unknown products are checked against SKU rules only: their line and brand are unknown.
    products.push({ index, product: known ?? { sku: line.sku ?? line.productId!, productLine: null, brand: null } });
  });

  const excluded: ExcludedDealer[] = [];
  for (const dealer of valid.candidates) {
    const missing = dealer.regionCodes.find((code) => !loaded.regions.has(code));
    if (missing) {
      const reason = `region ${missing} of dealer ${dealer.code} does not exist, so its exclusivity cannot be checked`;
      excluded.push({ dealerCode: dealer.code, reason, lines: [] });
      continue;
    }
    const territory = { code: dealer.code, regions: dealer.regionCodes.map((c) => loaded.regions.get(c)!) };
    const refused: ExcludedDealer['lines'] = [];
    for (const { index, product } of products) {
      const verdict = policy.decide({ dealer: territory, product, date: day, rules: loaded.rules });
      if (!verdict.allowed) refused.push({ index, sku: product.sku, reason: verdict.reason, rules: verdict.rules });
    }
    if (refused.length > 0) excluded.push({ dealerCode: dealer.code, reason: `${refused[0]!.sku}: ${refused[0]!.reason}`, lines: refused });
  }
  return { date: day, excluded, unknownProducts: [...new Set(unknownProducts)] };
}

// ---- loading what the policy needs -----------------------------------------------------------------------------------

interface LoadedContext {
  regions: Map<string, RegionRef>;
  productOf(line: LineRef): (ProductRef & { id: string }) | undefined;
  rules: ExclusivityRuleRef[];
}

/**
 * Three queries: the regions named (their paths give every ancestor's code), the products of the
 * lines, and the rules valid on the day on any of those regions or their ancestors that match a
 * product's SKU, line or brand.
 */
async function loadContext(db: Queryable, regionCodes: string[], lines: LineRef[], day: string): Promise<LoadedContext> {
  lines.forEach((line, index) => {
    if (!line.sku && !line.productId) throw new HubError('invalid_data', `lines.${index}: give a sku or a productId.`, { field: `lines.${index}` });
  });
  const regionRows = regionCodes.length
    ? await db.query<RegionRef>(`SELECT code, path FROM region WHERE code = ANY($1::text[])`, [regionCodes])
    : [];
  const regions = new Map(regionRows.map((r) => [r.code, r]));

  const skus = [...new Set(lines.flatMap((l) => (l.sku ? [l.sku] : [])))];
  const ids = [...new Set(lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
  const productRows = await db.query<{ id: string; sku: string; product_line: string | null; brand: string | null }>(
    `SELECT id, sku, product_line, brand FROM product WHERE sku = ANY($1::text[]) OR id = ANY($2::text[])`,
    [skus, ids],
  );
  const bySku = new Map(productRows.map((p) => [p.sku, p]));
  const byId = new Map(productRows.map((p) => [p.id, p]));
  const productOf = (line: LineRef) => {
    const row = (line.productId ? byId.get(line.productId) : undefined) ?? (line.sku ? bySku.get(line.sku) : undefined);
    return row && { id: row.id, sku: row.sku, productLine: row.product_line, brand: row.brand };
  };

  const ancestorCodes = [...new Set(regionRows.flatMap((r) => r.path.split('/').filter(Boolean)))];
  const values = (pick: (p: (typeof productRows)[number]) => string | null, extra: string[] = []) =>
    [...new Set([...productRows.map(pick), ...extra].flatMap((v) => (v ? [normaliseValue(v)] : [])))];
  // Lines naming an unknown SKU are still checked against SKU rules.
  const skuValues = values((p) => p.sku, skus);
  const lineValues = values((p) => p.product_line);
  const brandValues = values((p) => p.brand);
  if (ancestorCodes.length === 0 || skuValues.length + lineValues.length + brandValues.length === 0) {
    return { regions, productOf, rules: [] };
  }
  const ruleRows = await db.query<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM ${RULE_FROM}
      WHERE g.code = ANY($1::text[])
        AND ((r.scope = 'product' AND lower(trim(r.value)) = ANY($2::text[]))
          OR (r.scope = 'product_line' AND lower(trim(r.value)) = ANY($3::text[]))
          OR (r.scope = 'brand' AND lower(trim(r.value)) = ANY($4::text[])))
        AND (r.valid_from IS NULL OR r.valid_from <= $5::date)
        AND (r.valid_to IS NULL OR r.valid_to >= $5::date)`,
    [ancestorCodes, skuValues, lineValues, brandValues, day],
  );
  return { regions, productOf, rules: ruleRows.map(toRef) };
}

// ---- helpers --------------------------------------------------------------------------------------------------------

function validRule<T extends typeof ExclusivityRuleInputSchema>(schema: T, input: unknown, what: string): ExclusivityRuleInput {
  const rule = assertValid(schema, input, what);
  const problem = datesProblem(rule);
  if (problem) throw new HubError('invalid_data', `${what}: ${problem}.`, { field: problem.split(':')[0]! });
  return rule;
}

function externalIdClash(error: unknown, externalId: string | null | undefined): unknown {
  if (sqlStateOf(error) === '23505') return new HubError('conflict', `An exclusivity rule with externalId ${externalId} already exists.`, { field: 'externalId' });
  return error;
}

/** The calendar day of a check: a YYYY-MM-DD string as is, a Date by its UTC day, today (UTC) when absent. */
export function toCalendarDate(date: string | Date | undefined): string {
  if (date === undefined) return new Date().toISOString().slice(0, 10);
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new HubError('invalid_data', 'date: not a valid date.', { field: 'date' });
    return date.toISOString().slice(0, 10);
  }
  return calendarDate(date, 'date');
}

function calendarDate(value: string, field: string): string {
  if (!isCalendarDate(value)) throw new HubError('invalid_data', `${field}: ${value} is not a calendar date (YYYY-MM-DD).`, { field });
  return value;
}

function describeLine(line: LineRef): string {
  return line.sku ? `SKU ${line.sku}` : `product ${line.productId}`;
}

function toRef(row: RuleRow): ExclusivityRuleRef {
  return {
    id: row.id,
    externalId: row.external_id,
    scope: row.scope,
    value: row.value,
    regionCode: row.region_code,
    regionPath: row.region_path,
    dealerCodes: row.dealer_codes ?? [],
    validFrom: row.valid_from,
    validTo: row.valid_to,
  };
}

function toView(row: RuleRow): ExclusivityRuleView {
  return { ...toRef(row), note: row.note, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString() };
}
