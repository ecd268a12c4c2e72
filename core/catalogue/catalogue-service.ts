import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import type {
  CatalogueGroup,
  CatalogueProduct,
  CatalogueProperty,
  CatalogueWarehouse,
  CommerceMlChunk,
  CommerceMlProblem,
  Offer,
  PriceType,
} from '../model/commerceml.ts';
import { StockService, type ReleasedByLoad, type UpsertCounts } from '../stock/stock-service.ts';
import { currencyOf } from './currency.ts';
import { DefaultSkuStrategy, type SkuStrategy } from './sku-strategy.ts';

/**
 * What a 1C CommerceML package says, stored chunk by chunk (docs/1c.md "Catalogue and price
 * columns"). Each chunk is applied in its own transaction (never one spanning a file) and applying it
 * again changes nothing, so an import interrupted by a crash resumes by re-applying from its last
 * recorded position. Stock from offers goes through the stock module's idempotent loads, so
 * reservations stay correct. Deactivating what a full snapshot did not mention is finishSnapshot's.
 */

type Tx = Prisma.TransactionClient;

export interface ApplyContext {
  /** The exchange session, recorded on the prices it sets. */
  exchangeId?: string | undefined;
  /** Каталог/Ид (ИдКаталога for offers): the catalogue the items belong to. */
  catalogueId: string;
  /** СодержитТолькоИзменения: true for a delta. Only a snapshot's finishSnapshot deactivates. */
  onlyChanges: boolean;
}

export interface ApplyCounts {
  /** Records of the chunk's kind: items, groups, properties, price columns or warehouses. */
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  /** Prices: a new current price (a first one or a change, the old one kept as history), or the same again. */
  prices: { changed: number; unchanged: number };
  /** On-hand levels through the stock module, and reservations it had to release because stock shrank. */
  stock: { created: number; updated: number; unchanged: number; released: ReleasedByLoad[] };
  /** Records not stored (the reader's and the catalogue's): the rest of the chunk goes on. */
  problems: CommerceMlProblem[];
}

export interface CatalogueOptions {
  skuStrategy?: SkuStrategy;
  /** Where an offer's total quantity goes when it names no warehouse (default '1c-default'). */
  defaultWarehouse?: string;
}

export const DEFAULT_WAREHOUSE = '1c-default';

const TX_OPTIONS = { timeout: 120_000, maxWait: 120_000 } as const;
const DECIMAL = /^-?\d+(\.\d+)?$/;
/** OKEI codes 1C uses most, for an item whose unit comes as a code only. */
const OKEI: Record<string, string> = { '796': 'шт', '166': 'кг', '006': 'м', '055': 'м2', '113': 'м3', '112': 'л', '778': 'упак' };

interface ItemRow {
  id: string;
  sku: string;
  name: string;
  external_id: string | null;
  active: boolean;
  parent_id: string | null;
  unit: string;
  group_ids: string[];
  catalogue_id: string | null;
}

const empty = (): ApplyCounts => ({ created: 0, updated: 0, unchanged: 0, deactivated: 0, prices: { changed: 0, unchanged: 0 }, stock: { created: 0, updated: 0, unchanged: 0, released: [] }, problems: [] });

export class CatalogueService {
  private readonly skus: SkuStrategy;
  private readonly defaultWarehouse: string;
  private readonly stock: StockService;

  constructor(
    private readonly db: Database,
    options: CatalogueOptions = {},
  ) {
    this.skus = options.skuStrategy ?? new DefaultSkuStrategy();
    this.defaultWarehouse = options.defaultWarehouse ?? DEFAULT_WAREHOUSE;
    this.stock = new StockService(db);
  }

  async apply(chunk: CommerceMlChunk, context: ApplyContext): Promise<ApplyCounts> {
    switch (chunk.kind) {
      case 'package':
        return empty();
      case 'groups':
        return this.applyGroups(chunk.groups);
      case 'properties':
        return this.applyProperties(chunk.properties);
      case 'priceTypes':
        return this.applyPriceTypes(chunk.priceTypes);
      case 'warehouses':
        return this.applyWarehouses(chunk.warehouses);
      case 'products':
        return this.applyProducts(chunk.products, chunk.problems, context);
      case 'offers':
        return this.applyOffers(chunk.offers, chunk.problems, context);
      case 'documents':
        return { ...empty(), problems: [{ ref: `position ${chunk.position}`, message: 'order documents are not catalogue data (core/orders reads them)' }] };
    }
  }

  /**
   * After a full snapshot (СодержитТолькоИзменения=false) of a catalogue: its products no file of
   * the exchange mentioned since `startedAt` are deactivated, and so are the variants of every
   * inactive product. A delta never calls this. Idempotent.
   */
  async finishSnapshot(catalogueId: string, startedAt: Date): Promise<{ deactivated: number }> {
    return this.transaction(async (tx) => {
      const products = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE product SET active = false, updated_at = now()
         WHERE catalogue_id = $1 AND parent_id IS NULL AND external_id IS NOT NULL AND active AND (seen_at IS NULL OR seen_at < $2)
         RETURNING id`,
        catalogueId, startedAt,
      );
      const variants = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE product v SET active = false, updated_at = now() FROM product p
         WHERE v.parent_id = p.id AND p.catalogue_id = $1 AND NOT p.active AND v.active RETURNING v.id`,
        catalogueId,
      );
      return { deactivated: products.length + variants.length };
    });
  }

  // ---- classifier ------------------------------------------------------------------------------------------------

  private async applyGroups(groups: CatalogueGroup[]): Promise<ApplyCounts> {
    const rows = lastBy(groups, (g) => g.id).map((g) => ({ id: randomUUID(), external_id: g.id, name: g.name, parent: g.parentId ?? null }));
    return this.upsert(rows.length, (tx) => tx.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO catalogue_group (id, external_id, name, parent_external_id)
       SELECT id, external_id, name, parent FROM jsonb_to_recordset($1::jsonb) AS r(id text, external_id text, name text, parent text)
       ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, parent_external_id = EXCLUDED.parent_external_id, updated_at = now()
       WHERE (catalogue_group.name, catalogue_group.parent_external_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_external_id)
       RETURNING (xmax = 0) AS inserted`,
      JSON.stringify(rows),
    ));
  }

  private async applyProperties(properties: CatalogueProperty[]): Promise<ApplyCounts> {
    const rows = lastBy(properties, (p) => p.id).map((p) => ({ id: randomUUID(), external_id: p.id, name: p.name, value_type: p.valueType ?? null, choices: p.choices }));
    return this.upsert(rows.length, (tx) => tx.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO catalogue_property (id, external_id, name, value_type, choices)
       SELECT id, external_id, name, value_type, choices FROM jsonb_to_recordset($1::jsonb) AS r(id text, external_id text, name text, value_type text, choices jsonb)
       ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, value_type = EXCLUDED.value_type, choices = EXCLUDED.choices, updated_at = now()
       WHERE (catalogue_property.name, catalogue_property.value_type, catalogue_property.choices) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.value_type, EXCLUDED.choices)
       RETURNING (xmax = 0) AS inserted`,
      JSON.stringify(rows),
    ));
  }

  /** Price types are columns by their Ид; one an offer named first (a placeholder) is filled in here. */
  private async applyPriceTypes(types: PriceType[]): Promise<ApplyCounts> {
    const rows = lastBy(types, (t) => t.id).map((t) => ({
      id: randomUUID(), code: t.id, name: t.name.trim() || t.id, currency: currencyOf(t.currency), vat_included: t.vatIncluded ?? null, tax_name: t.taxName ?? null,
    }));
    return this.upsert(rows.length, (tx) => tx.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO price_column (id, code, name, currency, vat_included, tax_name, placeholder)
       SELECT id, code, name, currency, vat_included, tax_name, false FROM jsonb_to_recordset($1::jsonb) AS r(id text, code text, name text, currency text, vat_included boolean, tax_name text)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, vat_included = EXCLUDED.vat_included, tax_name = EXCLUDED.tax_name, placeholder = false, updated_at = now()
       WHERE (price_column.name, price_column.currency, price_column.vat_included, price_column.tax_name, price_column.placeholder)
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.currency, EXCLUDED.vat_included, EXCLUDED.tax_name, false)
       RETURNING (xmax = 0) AS inserted`,
      JSON.stringify(rows),
    ));
  }

  /** Warehouses by their 1C Ид as the stock module's warehouse code. */
  private async applyWarehouses(warehouses: CatalogueWarehouse[]): Promise<ApplyCounts> {
    const counts = await this.stock.upsertWarehouses(warehouses.map((w) => ({ code: w.id, name: w.name.trim() || w.id })));
    return { ...empty(), ...counts };
  }

  // ---- products ----------------------------------------------------------------------------------------------------

  private async applyProducts(products: CatalogueProduct[], readerProblems: CommerceMlProblem[], context: ApplyContext): Promise<ApplyCounts> {
    const counts = { ...empty(), problems: [...readerProblems] };
    const items = lastBy(products, (p) => p.id);
    if (items.length === 0) return counts;
    return this.transaction(async (tx) => {
      const existing = await this.itemsById(tx, items.map((p) => p.id));
      const skus = await this.skuTable(tx, items.filter((p) => !existing.has(p.id)).map((p) => ({ externalId: p.id, article: p.article })));
      const inserts: Record<string, unknown>[] = [];
      const updates: Record<string, unknown>[] = [];
      const seen: string[] = [];
      const deleted = new Set<string>();
      for (const p of items) {
        const fields = {
          name: p.name.trim() || p.id,
          article: blank(p.article),
          barcode: blank(p.barcode),
          unit: blank(p.unit?.name) ?? (p.unit?.code ? (OKEI[p.unit.code.trim()] ?? p.unit.code.trim()) : 'pcs'),
          unit_code: blank(p.unit?.code),
          description: blank(p.description),
          manufacturer: blank(p.manufacturer),
          group_ids: p.groupIds,
          properties: p.properties,
          requisites: p.requisites,
          catalogue_id: context.catalogueId,
          active: !p.deleted,
        };
        const before = existing.get(p.id);
        if (before) {
          updates.push({ id: before.id, external_id: p.id, ...fields });
          seen.push(before.id);
          if (p.deleted && before.active) deleted.add(before.id);
          continue;
        }
        const assigned = assignSku(skus, this.skus, { externalId: p.id, article: p.article }, counts.problems);
        if (!assigned) continue;
        // A new row is inserted seen (seen_at = now()); an adopted one is marked like any existing one.
        if (assigned.adopt) {
          updates.push({ id: assigned.adopt, external_id: p.id, ...fields });
          seen.push(assigned.adopt);
        } else inserts.push({ id: randomUUID(), sku: assigned.sku, external_id: p.id, parent_id: null, ...fields });
      }
      counts.created = await insertItems(tx, inserts);
      const changed = await updateItems(tx, updates);
      for (const id of changed) {
        if (deleted.has(id)) counts.deactivated += 1;
        else counts.updated += 1;
      }
      counts.unchanged = updates.length - changed.size;
      await markSeen(tx, seen);
      if (deleted.size > 0) {
        const variants = await tx.$queryRawUnsafe<{ id: string }[]>(
          `UPDATE product SET active = false, updated_at = now() WHERE parent_id = ANY($1::text[]) AND active RETURNING id`, [...deleted],
        );
        counts.deactivated += variants.length;
      }
      return counts;
    });
  }

  // ---- offers: variants, prices, stock -----------------------------------------------------------------------------

  private async applyOffers(offers: Offer[], readerProblems: CommerceMlProblem[], context: ApplyContext): Promise<ApplyCounts> {
    const counts = { ...empty(), problems: [...readerProblems] };
    const list = lastBy(offers, (o) => o.id);
    if (list.length === 0) return counts;
    const levels: { sku: string; warehouse: string; onHand: string }[] = [];
    await this.transaction(async (tx) => {
      const parents = await this.itemsById(tx, list.map((o) => o.productId));
      const variants = await this.itemsById(tx, list.filter((o) => o.variantId).map((o) => o.id));
      const skus = await this.skuTable(tx, list.filter((o) => o.variantId && !variants.has(o.id)).map((o) => ({ externalId: o.id, article: o.article })));
      const inserts: Record<string, unknown>[] = [];
      const updates: Record<string, unknown>[] = [];
      const deactivating = new Set<string>();
      const itemOf = new Map<string, { id: string; sku: string }>();
      for (const offer of list) {
        const parent = parents.get(offer.productId);
        if (!offer.variantId) {
          if (!parent) {
            counts.problems.push({ ref: offer.id, message: `offer of unknown product ${offer.productId} (not in import.xml yet): skipped` });
            continue;
          }
          itemOf.set(offer.id, parent);
          if (offer.deleted && parent.active) {
            updates.push({ id: parent.id, active: false });
            deactivating.add(parent.id);
          }
          continue;
        }
        if (!parent) {
          counts.problems.push({ ref: offer.id, message: `variant of unknown product ${offer.productId} (not in import.xml yet): skipped` });
          continue;
        }
        const fields = {
          name: blank(offer.name) ?? parent.name,
          article: blank(offer.article),
          barcode: blank(offer.barcode),
          unit: parent.unit,
          group_ids: parent.group_ids,
          catalogue_id: parent.catalogue_id ?? context.catalogueId,
          active: !offer.deleted,
        };
        const before = variants.get(offer.id);
        if (before) {
          updates.push({ id: before.id, external_id: offer.id, parent_id: parent.id, ...fields });
          if (offer.deleted && before.active) deactivating.add(before.id);
          itemOf.set(offer.id, before);
          continue;
        }
        const assigned = assignSku(skus, this.skus, { externalId: offer.id, article: offer.article }, counts.problems);
        if (!assigned) continue;
        const id = assigned.adopt ?? randomUUID();
        if (assigned.adopt) updates.push({ id, external_id: offer.id, parent_id: parent.id, ...fields });
        else inserts.push({ id, sku: assigned.sku, external_id: offer.id, parent_id: parent.id, ...fields });
        itemOf.set(offer.id, { id, sku: assigned.sku });
      }
      counts.created = await insertItems(tx, inserts);
      const changed = await updateItems(tx, updates);
      for (const id of changed) {
        if (deactivating.has(id)) counts.deactivated += 1;
        else counts.updated += 1;
      }
      counts.unchanged = itemOf.size - counts.created - changed.size;
      // Variants get no seen_at here: none is deactivated by absence (only with its product, or by
      // deleted), so marking them would be a write per variant per exchange that nothing reads.
      counts.prices = await this.applyPrices(tx, list, itemOf, context, counts.problems);
      for (const offer of list) {
        const item = itemOf.get(offer.id);
        if (item) levels.push(...this.levelsOf(offer, item.sku, counts.problems));
      }
    });
    counts.stock = await this.loadLevels(levels, context);
    return counts;
  }

  /**
   * A price that differs from the current one (value, currency, unit or factor) closes it and
   * becomes current from now; the same price again writes nothing. A price type no ТипыЦен named
   * yet gets a placeholder column (name = its Ид) that a later ТипыЦен fills in.
   */
  private async applyPrices(tx: Tx, offers: Offer[], itemOf: Map<string, { id: string }>, context: ApplyContext, problems: CommerceMlProblem[]): Promise<ApplyCounts['prices']> {
    const wanted = new Map<string, { productId: string; code: string; unitPrice: string; currency: string | null; unit: string | null; factor: string | null }>();
    for (const offer of offers) {
      const item = itemOf.get(offer.id);
      if (!item || !offer.prices) continue;
      for (const price of offer.prices) {
        const value = price.unitPrice.trim();
        // DECIMAL(18,6): a wider figure would fail the chunk's transaction, not just this price.
        if (!DECIMAL.test(value) || new Decimal(value).abs().greaterThanOrEqualTo(1e12)) {
          problems.push({ ref: offer.id, message: `price of type ${price.priceTypeId} is not a number: "${price.unitPrice}"` });
          continue;
        }
        wanted.set(`${item.id}|${price.priceTypeId}`, {
          productId: item.id, code: price.priceTypeId, unitPrice: value, currency: currencyOf(price.currency), unit: blank(price.unit), factor: blank(price.factor),
        });
      }
    }
    if (wanted.size === 0) return { changed: 0, unchanged: 0 };
    const codes = [...new Set([...wanted.values()].map((w) => w.code))];
    await tx.$executeRawUnsafe(
      `INSERT INTO price_column (id, code, name, placeholder) SELECT gen_random_uuid()::text, c, c, true FROM unnest($1::text[]) AS c ON CONFLICT (code) DO NOTHING`,
      codes,
    );
    const columns = new Map(
      (await tx.$queryRawUnsafe<{ id: string; code: string; currency: string | null }[]>(`SELECT id, code, currency FROM price_column WHERE code = ANY($1::text[])`, codes)).map((c) => [c.code, c]),
    );
    const current = new Map(
      (await tx.$queryRawUnsafe<{ product_id: string; price_column_id: string; unit_price: string; currency: string | null; unit: string | null; factor: string | null }[]>(
        `SELECT product_id, price_column_id, unit_price::text AS unit_price, currency, unit, factor FROM price
         WHERE valid_to IS NULL AND product_id = ANY($1::text[]) AND price_column_id = ANY($2::text[])`,
        [...new Set([...wanted.values()].map((w) => w.productId))], [...columns.values()].map((c) => c.id),
      )).map((p) => [`${p.product_id}|${p.price_column_id}`, p]),
    );
    const rows: Record<string, unknown>[] = [];
    let unchanged = 0;
    for (const w of wanted.values()) {
      const column = columns.get(w.code)!;
      const currency = w.currency ?? column.currency;
      const before = current.get(`${w.productId}|${column.id}`);
      if (before && new Decimal(before.unit_price).equals(w.unitPrice) && before.currency === currency && before.unit === w.unit && before.factor === w.factor) {
        unchanged += 1;
        continue;
      }
      rows.push({ product_id: w.productId, price_column_id: column.id, unit_price: w.unitPrice, currency, unit: w.unit, factor: w.factor });
    }
    if (rows.length > 0) {
      const json = JSON.stringify(rows);
      // The old price's period ends where the new one's begins (the same transaction time).
      await tx.$executeRawUnsafe(
        `UPDATE price p SET valid_to = now() FROM jsonb_to_recordset($1::jsonb) AS r(product_id text, price_column_id text)
         WHERE p.product_id = r.product_id AND p.price_column_id = r.price_column_id AND p.valid_to IS NULL`,
        json,
      );
      await tx.$executeRawUnsafe(
        `INSERT INTO price (product_id, price_column_id, unit_price, currency, unit, factor, valid_from, exchange_id)
         SELECT product_id, price_column_id, unit_price::numeric, currency, unit, factor, now(), $2
         FROM jsonb_to_recordset($1::jsonb) AS r(product_id text, price_column_id text, unit_price text, currency text, unit text, factor text)`,
        json, context.exchangeId ?? null,
      );
    }
    return { changed: rows.length, unchanged };
  }

  /** Per-warehouse quantities as they are; a total without warehouses goes to the default warehouse. */
  private levelsOf(offer: Offer, sku: string, problems: CommerceMlProblem[]): { sku: string; warehouse: string; onHand: string }[] {
    const sent = offer.stock ?? (offer.quantity !== undefined ? [{ warehouseId: this.defaultWarehouse, quantity: offer.quantity }] : []);
    return sent.flatMap((s) => {
      const text = s.quantity.trim();
      // The stock module's quantities are DECIMAL(18,4): at most 14 integer digits.
      if (!DECIMAL.test(text) || new Decimal(text).abs().greaterThanOrEqualTo(1e14)) {
        problems.push({ ref: offer.id, message: `quantity at warehouse ${s.warehouseId} is not a number: "${s.quantity}"` });
        return [];
      }
      let quantity = new Decimal(text);
      if (quantity.isNegative()) {
        // 1C allows negative balances; the hub's on-hand cannot go below zero.
        problems.push({ ref: offer.id, message: `negative quantity ${text} at warehouse ${s.warehouseId} loaded as 0` });
        quantity = new Decimal(0);
      }
      return [{ sku, warehouse: s.warehouseId, onHand: quantity.toDecimalPlaces(4, Decimal.ROUND_DOWN).toFixed() }];
    });
  }

  private async loadLevels(levels: { sku: string; warehouse: string; onHand: string }[], context: ApplyContext): Promise<ApplyCounts['stock']> {
    if (levels.length === 0) return { created: 0, updated: 0, unchanged: 0, released: [] };
    const codes = [...new Set(levels.map((l) => l.warehouse))];
    const known = new Set((await this.db.prisma.warehouse.findMany({ where: { code: { in: codes } }, select: { code: true } })).map((w) => w.code));
    // A warehouse no Склады named yet: created under its Ид, named when its Склад arrives.
    const missing = codes.filter((c) => !known.has(c)).map((code) => ({ code, name: code === this.defaultWarehouse ? '1C (total quantity, no warehouse named)' : code }));
    if (missing.length > 0) await this.stock.upsertWarehouses(missing);
    const { counts, released } = await this.stock.setLevels(levels, `1C exchange${context.exchangeId ? ` ${context.exchangeId}` : ''}`);
    return { ...(counts as UpsertCounts), released };
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private async itemsById(tx: Tx, externalIds: string[]): Promise<Map<string, ItemRow>> {
    if (externalIds.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<ItemRow[]>(
      `SELECT id, sku, name, external_id, active, parent_id, unit, group_ids, catalogue_id FROM product WHERE external_id = ANY($1::text[])`,
      [...new Set(externalIds)],
    );
    return new Map(rows.map((r) => [r.external_id!, r]));
  }

  /** Who holds each SKU a new item might take: a 1C item, or a product loaded otherwise (null). */
  private async skuTable(tx: Tx, items: { externalId: string; article?: string | undefined }[]): Promise<Map<string, string | null>> {
    const candidates = items.flatMap((i) => [...this.skus.candidates(i), i.externalId]);
    if (candidates.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<{ id: string; sku: string; external_id: string | null }[]>(
      `SELECT id, sku, external_id FROM product WHERE sku = ANY($1::text[])`, [...new Set(candidates)],
    );
    return new Map(rows.map((r) => [r.sku, r.external_id === null ? `adopt:${r.id}` : r.external_id]));
  }

  private async upsert(size: number, write: (tx: Tx) => Promise<{ inserted: boolean }[]>): Promise<ApplyCounts> {
    if (size === 0) return empty();
    const changed = await this.transaction(write);
    const created = changed.filter((c) => c.inserted).length;
    return { ...empty(), created, updated: changed.length - created, unchanged: size - changed.length };
  }

  private transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.prisma.$transaction(async (tx) => {
      // One catalogue writer at a time: SKUs are handed out by reading who holds them.
      await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended('catalogue', 0))::text`);
      return work(tx);
    }, TX_OPTIONS);
  }
}

/**
 * The SKU of a new item: the strategy's candidates, then its 1C Ид. A product loaded otherwise that
 * holds the candidate is adopted (it is the same article); one held by another 1C item is a problem
 * recorded, and the next candidate is tried.
 */
function assignSku(
  holders: Map<string, string | null>,
  strategy: SkuStrategy,
  item: { externalId: string; article?: string | undefined },
  problems: CommerceMlProblem[],
): { sku: string; adopt?: string } | undefined {
  for (const sku of [...strategy.candidates(item), item.externalId]) {
    const holder = holders.get(sku);
    if (holder === undefined) {
      holders.set(sku, item.externalId);
      return { sku };
    }
    if (holder?.startsWith('adopt:')) {
      holders.set(sku, item.externalId);
      return { sku, adopt: holder.slice('adopt:'.length) };
    }
    if (holder === item.externalId) return { sku };
    problems.push({
      ref: item.externalId,
      message: sku === item.externalId ? `SKU ${sku} is held by another item: not stored` : `SKU ${sku} (its article) is already 1C item ${holder}'s; this item gets another SKU`,
    });
  }
  return undefined;
}

const ITEM_COLUMNS = `id text, sku text, external_id text, parent_id text, name text, article text, barcode text, unit text, unit_code text, description text,
  manufacturer text, group_ids text[], properties jsonb, requisites jsonb, catalogue_id text, active boolean`;

async function insertItems(tx: Tx, rows: Record<string, unknown>[]): Promise<number> {
  if (rows.length === 0) return 0;
  await tx.$executeRawUnsafe(
    `INSERT INTO product (id, sku, external_id, parent_id, name, article, barcode, unit, unit_code, description, manufacturer, group_ids, properties, requisites, catalogue_id, active, seen_at)
     SELECT id, sku, external_id, parent_id, name, article, barcode, COALESCE(unit, 'pcs'), unit_code, description, manufacturer, COALESCE(group_ids, '{}'),
            COALESCE(properties, '[]'), COALESCE(requisites, '[]'), catalogue_id, active, now()
     FROM jsonb_to_recordset($1::jsonb) AS r(${ITEM_COLUMNS})`,
    JSON.stringify(rows),
  );
  return rows.length;
}

/** Updates the rows whose stated fields differ (fields a row does not state stay as they are); returns the ids changed. */
async function updateItems(tx: Tx, rows: Record<string, unknown>[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const fields = ['external_id', 'parent_id', 'name', 'article', 'barcode', 'unit', 'unit_code', 'description', 'manufacturer', 'group_ids', 'properties', 'requisites', 'catalogue_id', 'active'];
  // A row states a field by having the key; an absent key keeps the stored value.
  const sets = fields.map((f) => `${f} = CASE WHEN r.j ? '${f}' THEN r.${f} ELSE p.${f} END`);
  const changed = await tx.$queryRawUnsafe<{ id: string }[]>(
    `WITH r AS (SELECT x.*, j FROM jsonb_array_elements($1::jsonb) AS j, jsonb_populate_record(NULL::product, j) AS x)
     UPDATE product p SET ${sets.join(', ')}, updated_at = now()
     FROM r WHERE p.id = r.id
       AND (${fields.map((f) => `p.${f}`).join(', ')}) IS DISTINCT FROM (${fields.map((f) => `CASE WHEN r.j ? '${f}' THEN r.${f} ELSE p.${f} END`).join(', ')})
     RETURNING p.id`,
    JSON.stringify(rows),
  );
  return new Set(changed.map((c) => c.id));
}

async function markSeen(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length > 0) await tx.$executeRawUnsafe(`UPDATE product SET seen_at = now() WHERE id = ANY($1::text[])`, [...new Set(ids)]);
}

function blank(text: string | undefined): string | null {
  const trimmed = text?.trim();
  return trimmed ? trimmed : null;
}

function lastBy<T>(items: T[], key: (item: T) => string): T[] {
  const map = new Map<string, T>();
  for (const item of items) map.set(key(item), item);
  return [...map.values()];
}
