import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import type { ManualOrderInput } from '../model/manual-order.ts';
import { trimZeros } from '../model/common.ts';

/**
 * Which price column a dealer buys at, and the price of an item in it at a moment. A dealer's
 * column is dealer.price_column (as 1C or staff name it: a column's code, else its name without
 * regard to case), overridden in a region (and the cities inside it) by dealer_price_column_region;
 * the deepest region containing the order's region wins. Refusals are reasons, not exceptions.
 */

export interface PriceColumnRef {
  id: string;
  code: string;
  name: string;
  currency: string | null;
  vatIncluded: boolean | null;
}

export type DealerPrice =
  | { ok: true; column: PriceColumnRef; unitPrice: string; currency: string | null; validFrom: Date; itemId: string; sku: string }
  | { ok: false; reason: string };

export interface DealerPriceColumns {
  dealer: string;
  /** dealer.price_column as stored (1C's words), and the column it resolves to. */
  priceColumn: string | null;
  column: PriceColumnRef | null;
  regions: { region: string; column: PriceColumnRef }[];
}

const COLUMN_FIELDS = `c.id, c.code, c.name, c.currency, c.vat_included AS "vatIncluded"`;

export class DealerPrices {
  constructor(private readonly db: Database) {}

  /** The column the dealer buys at in `region` (an order's region code), or why there is none. */
  async columnFor(dealerCode: string, region?: string | null): Promise<{ ok: true; column: PriceColumnRef } | { ok: false; reason: string }> {
    const dealer = await this.dealer(dealerCode);
    if (region) {
      const [override] = await this.db.query<PriceColumnRef>(
        `SELECT ${COLUMN_FIELDS} FROM dealer_price_column_region o
         JOIN region r ON r.id = o.region_id JOIN price_column c ON c.id = o.price_column_id
         JOIN region asked ON asked.code = $2
         WHERE o.dealer_id = $1 AND asked.path LIKE r.path || '%'
         ORDER BY length(r.path) DESC LIMIT 1`,
        [dealer.id, region],
      );
      if (override) return { ok: true, column: override };
    }
    if (!dealer.price_column) return { ok: false, reason: `dealer ${dealerCode} has no price column` };
    const column = await this.resolve(dealer.price_column);
    return column ? { ok: true, column } : { ok: false, reason: `dealer ${dealerCode}'s price column "${dealer.price_column}" is not a known price column` };
  }

  /** The dealer's price of an item (by SKU or product id) valid at `at`. */
  async priceFor(dealerCode: string, item: { sku: string } | { itemId: string }, at: Date, region?: string | null): Promise<DealerPrice> {
    const found = await this.columnFor(dealerCode, region);
    if (!found.ok) return found;
    const [product] = await this.db.query<{ id: string; sku: string }>(
      'sku' in item ? `SELECT id, sku FROM product WHERE sku = $1` : `SELECT id, sku FROM product WHERE id = $1`,
      ['sku' in item ? item.sku : item.itemId],
    );
    const name = 'sku' in item ? `SKU ${item.sku}` : `item ${item.itemId}`;
    if (!product) return { ok: false, reason: `${name} is not in the catalogue` };
    const [price] = await this.db.query<{ unit_price: string; currency: string | null; valid_from: Date }>(
      `SELECT unit_price::text AS unit_price, currency, valid_from FROM price
       WHERE product_id = $1 AND price_column_id = $2 AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)
       ORDER BY valid_from DESC LIMIT 1`,
      [product.id, found.column.id, at],
    );
    if (!price) return { ok: false, reason: `${name} has no price in column "${found.column.name}" (${found.column.code}) at ${at.toISOString()}` };
    return { ok: true, column: found.column, unitPrice: trimZeros(price.unit_price), currency: price.currency ?? found.column.currency, validFrom: price.valid_from, itemId: product.id, sku: product.sku };
  }

  /**
   * A dealer's purchase priced at the moment of ordering: every line without a unit price gets the
   * dealer's price then (and says from which column); a line that cannot be priced refuses the order
   * (409) with the line's reason. Lines with a price, and orders of no dealer, are left as they are.
   */
  async priceDealerPurchase(order: ManualOrderInput, at: Date): Promise<ManualOrderInput> {
    const missing = order.lines.findIndex((l) => l.unitPrice === undefined);
    if (missing < 0) return order;
    if (!order.dealerCode) {
      throw new HubError('invalid_data', `lines.${missing}.unitPrice: a line without a unit price is priced only for a dealer's purchase (give dealerCode)`, { field: `lines.${missing}.unitPrice` });
    }
    const refused: { line: number; sku: string | null; reason: string }[] = [];
    const lines = [];
    for (const [index, line] of order.lines.entries()) {
      if (line.unitPrice !== undefined) {
        lines.push(line);
        continue;
      }
      if (!line.sku) {
        refused.push({ line: index, sku: null, reason: 'the line has no SKU to price' });
        continue;
      }
      const price = await this.priceFor(order.dealerCode, { sku: line.sku }, at, order.region);
      if (!price.ok) {
        refused.push({ line: index, sku: line.sku, reason: price.reason });
        continue;
      }
      if (price.currency && price.currency !== order.currency) {
        refused.push({ line: index, sku: line.sku, reason: `the price in column "${price.column.name}" is in ${price.currency}, the order in ${order.currency}` });
        continue;
      }
      lines.push({
        ...line,
        unitPrice: price.unitPrice,
        attributes: { ...(line.attributes ?? {}), priceColumn: price.column.code, ...(price.column.vatIncluded !== null && { priceVatIncluded: price.column.vatIncluded }) },
      });
    }
    if (refused.length > 0) {
      throw new HubError('conflict', `The dealer's purchase cannot be priced: ${refused.map((r) => `line ${r.line + 1}${r.sku ? ` (${r.sku})` : ''}: ${r.reason}`).join('; ')}.`, {
        details: { reason: 'not_priced', lines: refused },
      });
    }
    return { ...order, lines };
  }

  async columnsOf(dealerCode: string): Promise<DealerPriceColumns> {
    const dealer = await this.dealer(dealerCode);
    const regions = await this.db.query<{ region: string } & PriceColumnRef>(
      `SELECT r.code AS region, ${COLUMN_FIELDS} FROM dealer_price_column_region o
       JOIN region r ON r.id = o.region_id JOIN price_column c ON c.id = o.price_column_id WHERE o.dealer_id = $1 ORDER BY r.path`,
      [dealer.id],
    );
    return {
      dealer: dealerCode,
      priceColumn: dealer.price_column,
      column: dealer.price_column ? await this.resolve(dealer.price_column) : null,
      regions: regions.map(({ region, ...column }) => ({ region, column })),
    };
  }

  /** Staff set the dealer's column (by code) and replace its regional overrides. */
  async setColumns(dealerCode: string, input: { column: string | null; regions?: { region: string; column: string }[] | undefined }): Promise<DealerPriceColumns> {
    const dealer = await this.dealer(dealerCode);
    const codes = [...new Set([...(input.column ? [input.column] : []), ...(input.regions ?? []).map((r) => r.column)])];
    const columns = new Map((await this.db.prisma.priceColumn.findMany({ where: { code: { in: codes } }, select: { id: true, code: true } })).map((c) => [c.code, c.id]));
    const unknown = codes.find((c) => !columns.has(c));
    if (unknown) throw new HubError('invalid_data', `Price column ${unknown} does not exist.`, { field: 'column' });
    const regionCodes = (input.regions ?? []).map((r) => r.region);
    const regions = new Map((await this.db.prisma.region.findMany({ where: { code: { in: regionCodes } }, select: { id: true, code: true } })).map((r) => [r.code, r.id]));
    const unknownRegion = regionCodes.findIndex((c) => !regions.has(c));
    if (unknownRegion >= 0) throw new HubError('invalid_data', `regions.${unknownRegion}.region: region ${regionCodes[unknownRegion]} does not exist.`, { field: `regions.${unknownRegion}.region` });
    await this.db.prisma.$transaction(async (tx) => {
      await tx.dealer.update({ where: { id: dealer.id }, data: { priceColumn: input.column } });
      if (input.regions) {
        await tx.dealerPriceColumnRegion.deleteMany({ where: { dealerId: dealer.id } });
        await tx.dealerPriceColumnRegion.createMany({
          data: input.regions.map((r) => ({ dealerId: dealer.id, regionId: regions.get(r.region)!, priceColumnId: columns.get(r.column)! })),
          skipDuplicates: true,
        });
      }
    });
    return this.columnsOf(dealerCode);
  }

  /** A column by code, else by name ignoring case (an ambiguous name resolves to none). */
  private async resolve(named: string): Promise<PriceColumnRef | null> {
    const rows = await this.db.query<PriceColumnRef & { by_code: boolean }>(
      `SELECT ${COLUMN_FIELDS}, c.code = $1 AS by_code FROM price_column c WHERE c.code = $1 OR lower(c.name) = lower($1) ORDER BY by_code DESC`,
      [named.trim()],
    );
    const byCode = rows.find((r) => r.by_code);
    const chosen = byCode ?? (rows.length === 1 ? rows[0] : undefined);
    if (!chosen) return null;
    const { by_code: _byCode, ...column } = chosen;
    return column;
  }

  private async dealer(code: string): Promise<{ id: string; price_column: string | null }> {
    const [dealer] = await this.db.query<{ id: string; price_column: string | null }>(`SELECT id, price_column FROM dealer WHERE code = $1`, [code]);
    if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    return dealer;
  }
}
