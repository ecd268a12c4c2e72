import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { DealerPrices } from './dealer-prices.ts';
import type { ColumnPrice, PriceColumnView, ProductDetail, ProductSummary } from './catalogue-schemas.ts';
import { trimZeros } from '../model/common.ts';

/**
 * Reading the catalogue: products with stock and prices, price columns and their prices. Whose view:
 * staff see every column; a dealer's user only the column it buys at (its main region's override
 * applied), and another column does not exist for it.
 */

export type CatalogueViewer = { kind: 'staff' } | { kind: 'dealer'; dealerCode: string };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ProductFilter {
  /** Part of the name, article, SKU or barcode. */
  q?: string | undefined;
  /** A group's 1C id: its products and those of the groups inside it. */
  group?: string | undefined;
  active?: boolean | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export class CatalogueQueries {
  constructor(private readonly db: Database) {}

  /** Products by SKU with keyset paging: the cursor is the last SKU of the page. */
  async listProducts(viewer: CatalogueViewer, filter: ProductFilter = {}): Promise<Page<ProductSummary>> {
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const q = filter.q?.trim();
    if (q) {
      const pattern = param(`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(p.name ILIKE ${pattern} OR p.article ILIKE ${pattern} OR p.sku ILIKE ${pattern} OR p.barcode ILIKE ${pattern})`);
    }
    if (filter.group) {
      where.push(`p.group_ids && ARRAY(WITH RECURSIVE g AS (SELECT external_id FROM catalogue_group WHERE external_id = ${param(filter.group)}
        UNION SELECT c.external_id FROM catalogue_group c JOIN g ON c.parent_external_id = g.external_id) SELECT external_id FROM g)`);
    }
    if (filter.active !== undefined) where.push(`p.active = ${param(filter.active)}`);
    if (filter.cursor) where.push(`p.sku > ${param(decodeCursor(filter.cursor))}`);
    const rows = await this.db.query<ProductRow>(
      `SELECT ${PRODUCT_FIELDS} FROM product p ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.sku LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const items = await this.summaries(viewer, page);
    return { items, nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.sku) : null };
  }

  async product(viewer: CatalogueViewer, id: string): Promise<ProductDetail> {
    const [row] = await this.db.query<ProductRow & { description: string | null; properties: { propertyId: string; value: string }[]; requisites: { name: string; value: string }[] }>(
      `SELECT ${PRODUCT_FIELDS}, p.description, p.properties, p.requisites FROM product p WHERE p.id = $1`,
      [id],
    );
    if (!row) throw new HubError('not_found', `Product ${id} does not exist.`);
    const [summary] = await this.summaries(viewer, [row]);
    const groups = await this.db.query<{ id: string; name: string }>(`SELECT external_id AS id, name FROM catalogue_group WHERE external_id = ANY($1::text[]) ORDER BY name`, [row.group_ids]);
    const properties = await this.db.query<{ external_id: string; name: string; choices: { id: string; value: string }[] }>(
      `SELECT external_id, name, choices FROM catalogue_property WHERE external_id = ANY($1::text[])`,
      [row.properties.map((p) => p.propertyId)],
    );
    const byId = new Map(properties.map((p) => [p.external_id, p]));
    const variants = await this.db.query<{ id: string; sku: string; name: string; active: boolean }>(`SELECT id, sku, name, active FROM product WHERE parent_id = $1 ORDER BY sku`, [id]);
    return {
      ...summary!,
      description: row.description,
      groups,
      properties: row.properties.map((p) => {
        const property = byId.get(p.propertyId);
        return { id: p.propertyId, name: property?.name ?? null, value: property?.choices.find((c) => c.id === p.value)?.value ?? p.value };
      }),
      requisites: row.requisites,
      variants,
    };
  }

  async columns(viewer: CatalogueViewer): Promise<PriceColumnView[]> {
    const visible = await this.visibleColumns(viewer);
    return this.db.query<PriceColumnView>(
      `SELECT id, code, name, currency, vat_included AS "vatIncluded", placeholder FROM price_column ${visible ? 'WHERE id = ANY($1::text[])' : ''} ORDER BY code`,
      visible ? [visible] : [],
    );
  }

  /** A column's prices by SKU (keyset paging), current ones or those valid at `at`. */
  async columnPrices(viewer: CatalogueViewer, columnId: string, options: { at?: Date | undefined; cursor?: string | undefined; limit?: number | undefined } = {}): Promise<Page<ColumnPrice>> {
    const visible = await this.visibleColumns(viewer);
    const [column] = await this.db.query<{ id: string }>(`SELECT id FROM price_column WHERE id = $1`, [columnId]);
    // Another column is, for a dealer, a column that does not exist.
    if (!column || (visible && !visible.includes(columnId))) throw new HubError('not_found', `Price column ${columnId} does not exist.`);
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const params: unknown[] = [columnId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const when = options.at ? `pr.valid_from <= ${param(options.at)} AND (pr.valid_to IS NULL OR pr.valid_to > $${params.length})` : 'pr.valid_to IS NULL';
    const after = options.cursor ? `AND p.sku > ${param(decodeCursor(options.cursor))}` : '';
    const rows = await this.db.query<{ itemId: string; sku: string; name: string; unitPrice: string; currency: string | null; validFrom: Date; validTo: Date | null }>(
      `SELECT p.id AS "itemId", p.sku, p.name, pr.unit_price::text AS "unitPrice", pr.currency, pr.valid_from AS "validFrom", pr.valid_to AS "validTo"
       FROM price pr JOIN product p ON p.id = pr.product_id
       WHERE pr.price_column_id = $1 AND ${when} ${after} ORDER BY p.sku LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({ ...r, unitPrice: trimZeros(r.unitPrice), validFrom: iso(r.validFrom), validTo: r.validTo ? iso(r.validTo) : null })),
      nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.sku) : null,
    };
  }

  /** Undefined: every column (staff). A dealer: the columns it buys at. */
  private async visibleColumns(viewer: CatalogueViewer): Promise<string[] | undefined> {
    if (viewer.kind === 'staff') return undefined;
    const columns = await new DealerPrices(this.db).columnsOf(viewer.dealerCode);
    return [...new Set([...(columns.column ? [columns.column.id] : []), ...columns.regions.map((r) => r.column.id)])];
  }

  /** The column whose prices a viewer sees on products: all (staff), or the dealer's in its main region. */
  private async pricedColumns(viewer: CatalogueViewer): Promise<string[] | undefined> {
    if (viewer.kind === 'staff') return undefined;
    const [main] = await this.db.query<{ code: string }>(
      `SELECT r.code FROM dealer d JOIN dealer_region dr ON dr.dealer_id = d.id AND dr.is_main JOIN region r ON r.id = dr.region_id WHERE d.code = $1`,
      [viewer.dealerCode],
    );
    const found = await new DealerPrices(this.db).columnFor(viewer.dealerCode, main?.code);
    return found.ok ? [found.column.id] : [];
  }

  private async summaries(viewer: CatalogueViewer, rows: ProductRow[]): Promise<ProductSummary[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const columns = await this.pricedColumns(viewer);
    const prices = await this.db.query<{ product_id: string; column: string; columnName: string; unitPrice: string; currency: string | null; vatIncluded: boolean | null; validFrom: Date }>(
      `SELECT pr.product_id, c.code AS column, c.name AS "columnName", pr.unit_price::text AS "unitPrice", COALESCE(pr.currency, c.currency) AS currency,
              c.vat_included AS "vatIncluded", pr.valid_from AS "validFrom"
       FROM price pr JOIN price_column c ON c.id = pr.price_column_id
       WHERE pr.valid_to IS NULL AND pr.product_id = ANY($1::text[]) ${columns ? 'AND pr.price_column_id = ANY($2::text[])' : ''} ORDER BY c.code`,
      columns ? [ids, columns] : [ids],
    );
    // Free on-hand stock per warehouse: what the stock module's reservations leave of each level.
    const stock = await this.db.query<{ product_id: string; warehouse: string; onHand: string; reserved: string }>(
      `SELECT l.product_id, w.code AS warehouse, l.on_hand::text AS "onHand", COALESCE(r.total, 0)::text AS reserved
       FROM stock_level l JOIN warehouse w ON w.id = l.warehouse_id
       LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS total FROM reservation
                  WHERE status = 'active' AND source = 'on_hand' AND product_id = ANY($1::text[]) GROUP BY 1, 2) r
         ON r.product_id = l.product_id AND r.warehouse_id = l.warehouse_id
       WHERE l.product_id = ANY($1::text[]) ORDER BY w.code`,
      [ids],
    );
    return rows.map((r) => ({
      id: r.id,
      sku: r.sku,
      externalId: r.external_id,
      parentId: r.parent_id,
      name: r.name,
      article: r.article,
      barcode: r.barcode,
      unit: r.unit,
      unitCode: r.unit_code,
      manufacturer: r.manufacturer,
      groupIds: r.group_ids,
      active: r.active,
      stock: stock.filter((s) => s.product_id === r.id).map((s) => ({ warehouse: s.warehouse, onHand: trimZeros(s.onHand), reserved: trimZeros(s.reserved), available: trimZeros(subtract(s.onHand, s.reserved)) })),
      prices: prices.filter((p) => p.product_id === r.id).map(({ product_id: _p, ...p }) => ({ ...p, unitPrice: trimZeros(p.unitPrice), validFrom: iso(p.validFrom) })),
    }));
  }
}

interface ProductRow {
  id: string;
  sku: string;
  external_id: string | null;
  parent_id: string | null;
  name: string;
  article: string | null;
  barcode: string | null;
  unit: string;
  unit_code: string | null;
  manufacturer: string | null;
  group_ids: string[];
  active: boolean;
}

const PRODUCT_FIELDS = `p.id, p.sku, p.external_id, p.parent_id, p.name, p.article, p.barcode, p.unit, p.unit_code, p.manufacturer, p.group_ids, p.active`;

function encodeCursor(sku: string): string {
  return Buffer.from(sku, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const sku = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!sku) throw new HubError('invalid_data', 'cursor: not a cursor of this list', { field: 'cursor' });
  return sku;
}

function subtract(a: string, b: string): string {
  return new Decimal(a).minus(b).toFixed();
}


function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
