import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { DealerPrices, type PriceColumnRef } from '../catalogue/dealer-prices.ts';
import { ExclusivityService } from '../exclusivity/exclusivity-service.ts';
import type { ManualOrderInput } from '../model/manual-order.ts';
import type { ManualOrderReceipt } from '../ports.ts';
import { MANUAL_CONNECTOR } from '../quotes/quotes.ts';
import { StockService } from '../stock/stock-service.ts';
import type { DealerScope } from './dealer-scope.ts';
import { trimZeros } from '../model/common.ts';

/**
 * A dealer's purchase orders to the manufacturer (the dealer portal's "closed shop", seed 002).
 *
 * - check: a basket priced at the dealer's price column, its availability by the desired date (the
 *   stock module's read-only availability: supplies arriving by the date first, then stock on hand —
 *   50 on hand + 70 arriving before the date, 100 wanted → 70 incoming + 30 on hand), and each line's
 *   regional exclusivity. Nothing is reserved.
 * - place: the same basket recorded as a manual order with the dealer as buyer (core/flows/
 *   manual-intake.ts through the caller's `record`), so archiving, pricing, reservations and
 *   everything downstream are the one path every manual order takes. It goes to the first enabled
 *   manual channel whose config says `dealerPurchases: true` (oldest first).
 * - list / get: the dealer's own purchases (orders whose source names the dealer as buyer).
 *
 * The dealer is always the caller's (the route passes scopeOf(request)); staff have no scope here.
 */

export interface PurchaseLineInput {
  sku: string;
  quantity: string;
}

export interface PurchaseBasket {
  lines: PurchaseLineInput[];
  desiredDate?: string | undefined;
  region?: string | undefined;
}

export interface PurchaseCheckLine {
  sku: string;
  name: string | null;
  quantity: string;
  unitPrice: string | null;
  amount: string | null;
  availability: {
    status: 'available' | 'partial' | 'unavailable';
    inStock: string;
    incoming: { date: string; quantity: string }[];
    availableByDate: string;
    short: string;
  };
  exclusivity: { allowed: boolean; reason: string | null };
  problem: string | null;
}

export interface PurchaseCheck {
  currency: string | null;
  priceColumn: { id: string; name: string } | null;
  desiredDate: string | null;
  lines: PurchaseCheckLine[];
  total: string;
  canOrder: boolean;
}

export interface PlacedPurchase {
  orderId: string;
  number: string | null;
  status: string;
  total: string;
  currency: string;
  placedAt: string;
  created: boolean;
}

export interface PurchaseSummary {
  orderId: string;
  number: string | null;
  placedAt: string;
  status: string;
  total: string;
  currency: string;
  lineCount: number;
  desiredDate: string | null;
  reference: string | null;
}

export interface PurchaseDetail extends PurchaseSummary {
  comment: string | null;
  region: string | null;
  placedBy: string | null;
  lines: { sku: string | null; name: string; quantity: string; unitPrice: string; amount: string }[];
  history: { at: string; status: string }[];
}

export interface DealerCatalogueItem {
  productId: string;
  sku: string;
  name: string;
  unit: string;
  price: string | null;
  currency: string | null;
  inStock: string;
}

/** Records a manual order the way the process does (jobs/hub.ts actions.recordManualOrder). */
export type RecordManualOrder = (channelId: string, order: ManualOrderInput) => Promise<ManualOrderReceipt>;

/** How the dealer portal records a purchase (ManualOrderInput.via). */
export const DEALER_PORTAL_VIA = 'dealer_portal';

const EXTERNAL_PREFIX = 'dealer-po';

export class DealerPurchases {
  constructor(private readonly db: Database) {}

  async check(scope: DealerScope, basket: PurchaseBasket, now: Date = new Date()): Promise<PurchaseCheck> {
    const dealerCode = dealerOf(scope);
    await this.dealer(dealerCode);
    const prices = new DealerPrices(this.db);
    const column = await prices.columnFor(dealerCode, basket.region);
    const skus = [...new Set(basket.lines.map((l) => l.sku))];
    const products = await this.db.query<{ id: string; sku: string; name: string }>(`SELECT id, sku, name FROM product WHERE sku = ANY($1::text[])`, [skus]);
    const productBySku = new Map(products.map((p) => [p.sku, p]));

    const availability = await new StockService(this.db).availability(
      basket.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      { neededBy: basket.desiredDate },
    );
    const exclusivity = await this.exclusivity(dealerCode, basket, now);

    let currency: string | null = column.ok ? column.column.currency : null;
    const lines: PurchaseCheckLine[] = [];
    for (const [index, line] of basket.lines.entries()) {
      const product = productBySku.get(line.sku);
      const verdict = availability.lines[index]!;
      const excl = exclusivity[index] ?? { allowed: true, reason: null };
      const quantity = new Decimal(line.quantity);
      let unitPrice: string | null = null;
      let problem: string | null = null;
      if (!product) {
        problem = `SKU ${line.sku} is not in the catalogue`;
      } else {
        const price = await prices.priceFor(dealerCode, { sku: line.sku }, now, basket.region);
        if (price.ok) {
          unitPrice = price.unitPrice;
          currency ??= price.currency;
          if (price.currency && currency && price.currency !== currency) problem = `the price is in ${price.currency}, the rest of the purchase in ${currency}`;
        } else {
          problem = price.reason;
        }
        if (!problem && !excl.allowed) problem = excl.reason ?? 'refused by regional exclusivity';
      }
      const inStock = verdict.sources.filter((s) => s.kind === 'on_hand').reduce((sum, s) => sum.plus(s.quantity), new Decimal(0));
      const incoming = verdict.sources.filter((s) => s.kind === 'incoming').map((s) => ({ date: s.expectedOn!, quantity: new Decimal(s.quantity).toString() }));
      lines.push({
        sku: line.sku,
        name: product?.name ?? null,
        quantity: quantity.toString(),
        unitPrice,
        amount: unitPrice === null ? null : money(quantity.times(unitPrice)),
        availability: {
          status: verdict.status === 'confirmed' ? 'available' : verdict.status,
          inStock: inStock.toString(),
          incoming,
          availableByDate: new Decimal(verdict.allocated).toString(),
          short: new Decimal(verdict.shortfall).toString(),
        },
        exclusivity: product ? excl : { allowed: false, reason: `SKU ${line.sku} is not in the catalogue, so its exclusivity cannot be checked` },
        problem,
      });
    }
    const total = lines.reduce((sum, l) => sum.plus(l.amount ?? 0), new Decimal(0));
    return {
      currency,
      priceColumn: column.ok ? brief(column.column) : null,
      desiredDate: basket.desiredDate ?? null,
      lines,
      total: money(total),
      canOrder: currency !== null && lines.every((l) => l.problem === null),
    };
  }

  /**
   * Places the purchase. The same reference again answers the order placed with it (created false)
   * and records nothing. Refusals, with nothing recorded: a line refused by exclusivity (409,
   * details.reason exclusivity), a line not in the catalogue or without a price (409, not_orderable),
   * no channel takes dealers' purchases (409, no_purchase_channel).
   */
  async place(
    scope: DealerScope,
    basket: PurchaseBasket & { comment?: string | undefined; reference?: string | undefined },
    record: RecordManualOrder,
  ): Promise<PlacedPurchase> {
    const dealerCode = dealerOf(scope);
    const dealer = await this.dealer(dealerCode);
    const externalId = basket.reference ? `${EXTERNAL_PREFIX}:${dealerCode}:ref:${basket.reference}` : undefined;
    if (externalId) {
      // Whichever channel took it then (the marked channel may have changed since).
      const [existing] = await this.db.query<{ id: string }>(`SELECT o.id FROM "order" o WHERE o.external_id = $2 AND ${OWN} ORDER BY o.placed_at LIMIT 1`, [dealerCode, externalId]);
      if (existing) return { ...(await this.placed(existing.id)), created: false };
    }
    const channel = await this.purchaseChannel();

    const check = await this.check(scope, basket);
    const refused = check.lines.flatMap((l, line) => (l.exclusivity.allowed || l.name === null ? [] : [{ line, sku: l.sku, reason: l.exclusivity.reason ?? 'refused by regional exclusivity' }]));
    if (refused.length > 0) {
      throw new HubError(
        'conflict',
        `Dealer ${dealerCode} may not buy ${refused.length === 1 ? 'line' : 'lines'} ${refused.map((r) => r.line + 1).join(', ')} under regional exclusivity: ${refused.map((r) => `${r.sku}: ${r.reason}`).join('; ')}. Nothing was recorded.`,
        { details: { reason: 'exclusivity', lines: refused } },
      );
    }
    const unorderable = check.lines.flatMap((l, line) => (l.problem ? [{ line, sku: l.sku, reason: l.problem }] : []));
    if (unorderable.length > 0) {
      throw new HubError('conflict', `The purchase cannot be placed: ${unorderable.map((r) => `line ${r.line + 1} (${r.sku}): ${r.reason}`).join('; ')}. Nothing was recorded.`, {
        details: { reason: 'not_orderable', lines: unorderable },
      });
    }
    if (!check.currency) {
      throw new HubError('conflict', `The dealer's price column names no currency, so the purchase cannot be priced. Nothing was recorded.`, { details: { reason: 'no_currency', lines: [] } });
    }

    const receipt = await record(channel.id, {
      customer: { externalId: dealerCode, name: dealer.name, company: dealer.name },
      currency: check.currency,
      // Unit prices are left out: the intake prices them from the dealer's column (core/catalogue/dealer-prices.ts).
      lines: basket.lines.map((l, i) => ({ sku: l.sku, name: check.lines[i]!.name!, quantity: l.quantity })),
      dealerCode,
      ...(basket.region && { region: basket.region }),
      ...(basket.comment && { notes: basket.comment }),
      ...(basket.desiredDate && { desiredDeliveryDate: basket.desiredDate }),
      ...(externalId && { externalId }),
      ...(basket.reference && { number: basket.reference }),
      operator: scope.kind === 'dealer' && scope.login ? scope.login : `dealer ${dealerCode}`,
      via: DEALER_PORTAL_VIA,
    });
    return { ...(await this.placed(receipt.orderId)), created: receipt.outcome === 'created' };
  }

  /** The dealer's purchases, newest first. */
  async list(scope: DealerScope, page: { limit?: number | undefined; offset?: number | undefined } = {}): Promise<{ purchases: PurchaseSummary[]; total: number }> {
    const dealerCode = dealerOf(scope);
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
    const offset = Math.max(page.offset ?? 0, 0);
    const [{ count }] = (await this.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM "order" o WHERE ${OWN}`, [dealerCode])) as [{ count: number }];
    const rows = await this.db.query<SummaryRow>(`SELECT ${SUMMARY_FIELDS} FROM "order" o WHERE ${OWN} ORDER BY o.placed_at DESC, o.id DESC LIMIT $2 OFFSET $3`, [dealerCode, limit, offset]);
    return { purchases: rows.map(summary), total: count };
  }

  /** One of the dealer's purchases with its lines and the statuses it went through; another's is 404. */
  async get(scope: DealerScope, orderId: string): Promise<PurchaseDetail> {
    const dealerCode = dealerOf(scope);
    const [row] = await this.db.query<SummaryRow & { notes: string | null; region: string | null; placed_by: string | null }>(
      `SELECT ${SUMMARY_FIELDS}, o.notes, o.region, o.source->>'user' AS placed_by FROM "order" o WHERE o.id = $2 AND ${OWN}`,
      [dealerCode, orderId],
    );
    if (!row) throw new HubError('not_found', `Purchase ${orderId} is not one of dealer ${dealerCode}'s.`);
    const lines = await this.db.query<{ sku: string | null; name: string; quantity: string; unit_price: string; total: string }>(
      `SELECT sku, name, quantity::text, unit_price::text, total::text FROM order_line WHERE order_id = $1 AND kind = 'product' ORDER BY position`,
      [orderId],
    );
    const versions = await this.db.query<{ at: Date; status: string | null }>(`SELECT created_at AS at, snapshot->>'status' AS status FROM order_version WHERE order_id = $1 ORDER BY version`, [orderId]);
    const history: { at: string; status: string }[] = [];
    for (const v of versions) if (v.status && history.at(-1)?.status !== v.status) history.push({ at: v.at.toISOString(), status: v.status });
    if (history.at(-1)?.status !== row.status) history.push({ at: row.updated_at.toISOString(), status: row.status });
    return {
      ...summary(row),
      comment: row.notes,
      region: row.region,
      placedBy: row.placed_by,
      lines: lines.map((l) => ({ sku: l.sku, name: l.name, quantity: trimZeros(l.quantity), unitPrice: trimZeros(l.unit_price), amount: trimZeros(l.total) })),
      history,
    };
  }

  /** The catalogue as the dealer buys it: each product with the dealer's current price and free stock now. */
  async catalogue(scope: DealerScope, filter: { q?: string | undefined; limit?: number | undefined; offset?: number | undefined } = {}) {
    const dealerCode = dealerOf(scope);
    await this.dealer(dealerCode);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
    const offset = Math.max(filter.offset ?? 0, 0);
    const [main] = await this.db.query<{ code: string }>(
      `SELECT r.code FROM dealer d JOIN dealer_region dr ON dr.dealer_id = d.id AND dr.is_main JOIN region r ON r.id = dr.region_id WHERE d.code = $1`,
      [dealerCode],
    );
    const column = await new DealerPrices(this.db).columnFor(dealerCode, main?.code);
    const q = filter.q?.trim();
    const pattern = q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const search = (n: number) => `p.active AND ($${n}::text IS NULL OR p.name ILIKE $${n} OR p.article ILIKE $${n} OR p.sku ILIKE $${n} OR p.barcode ILIKE $${n})`;
    const [{ count }] = (await this.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM product p WHERE ${search(1)}`, [pattern])) as [{ count: number }];
    const rows = await this.db.query<{ id: string; sku: string; name: string; unit: string; price: string | null; currency: string | null; in_stock: string }>(
      `SELECT p.id, p.sku, p.name, p.unit, pr.unit_price::text AS price, COALESCE(pr.currency, c.currency) AS currency,
              (SELECT COALESCE(sum(l.on_hand), 0) FROM stock_level l WHERE l.product_id = p.id)
              - (SELECT COALESCE(sum(r.quantity), 0) FROM reservation r WHERE r.product_id = p.id AND r.status = 'active' AND r.source = 'on_hand') AS in_stock
       FROM product p
       LEFT JOIN price_column c ON c.id = $1::text
       LEFT JOIN LATERAL (SELECT unit_price, currency FROM price WHERE product_id = p.id AND price_column_id = $1 AND valid_from <= now() AND (valid_to IS NULL OR valid_to > now())
                          ORDER BY valid_from DESC LIMIT 1) pr ON true
       WHERE ${search(2)} ORDER BY p.sku LIMIT ${limit} OFFSET ${offset}`,
      [column.ok ? column.column.id : null, pattern],
    );
    return {
      items: rows.map((r): DealerCatalogueItem => ({
        productId: r.id,
        sku: r.sku,
        name: r.name,
        unit: r.unit,
        price: r.price === null ? null : trimZeros(r.price),
        currency: r.currency ?? (column.ok ? column.column.currency : null),
        inStock: Decimal.max(0, new Decimal(r.in_stock)).toString(),
      })),
      total: count,
      priceColumn: column.ok ? brief(column.column) : null,
    };
  }

  /** The channel dealers' purchases are recorded on: the oldest enabled manual channel with `dealerPurchases: true`. */
  async purchaseChannel(): Promise<{ id: string; name: string }> {
    const [channel] = await this.db.query<{ id: string; name: string }>(
      `SELECT id, name FROM channel WHERE connector_type = $1 AND enabled AND (config->>'dealerPurchases')::boolean IS TRUE ORDER BY created_at, id LIMIT 1`,
      [MANUAL_CONNECTOR],
    );
    if (!channel) {
      throw new HubError('conflict', "No channel takes dealers' purchases: add an enabled manual channel whose config has \"dealerPurchases\": true.", {
        details: { reason: 'no_purchase_channel' },
      });
    }
    return channel;
  }

  private async exclusivity(dealerCode: string, basket: PurchaseBasket, now: Date): Promise<{ allowed: boolean; reason: string | null }[]> {
    const service = new ExclusivityService(this.db);
    // As the intake does: an order's region the hierarchy does not know cannot widen the territory.
    const [region] = basket.region ? await this.db.query<{ code: string }>(`SELECT code FROM region WHERE upper(code) = upper($1) LIMIT 1`, [basket.region]) : [];
    const check = await service.checkDealerLines(dealerCode, basket.lines.map((l) => ({ sku: l.sku })), basket.desiredDate ?? now.toISOString().slice(0, 10), region?.code);
    return check.lines.map((l) => ({ allowed: l.allowed, reason: l.allowed ? null : l.reason }));
  }

  private async placed(orderId: string): Promise<Omit<PlacedPurchase, 'created'>> {
    const order = await this.db.prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: { id: true, number: true, status: true, total: true, currency: true, placedAt: true } });
    return { orderId: order.id, number: order.number, status: order.status, total: trimZeros(order.total.toString()), currency: order.currency, placedAt: order.placedAt.toISOString() };
  }

  private async dealer(code: string): Promise<{ id: string; name: string }> {
    const [dealer] = await this.db.query<{ id: string; name: string }>(`SELECT id, name FROM dealer WHERE code = $1`, [code]);
    if (!dealer) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    return dealer;
  }
}

function dealerOf(scope: DealerScope): string {
  if (scope.kind !== 'dealer') throw new HubError('not_allowed', "A dealer's purchases are placed and read by the dealer's own users.");
  return scope.dealerCode;
}

/** The dealer's own purchases: manual orders whose buyer is the dealer. */
const OWN = `o.source->>'dealerCode' = $1`;

interface SummaryRow {
  id: string;
  number: string | null;
  placed_at: Date;
  updated_at: Date;
  status: string;
  total: string;
  currency: string;
  line_count: number;
  desired: string | null;
  external_id: string;
}

const SUMMARY_FIELDS = `o.id, o.number, o.placed_at, o.updated_at, o.status, o.total::text AS total, o.currency,
  (SELECT count(*)::int FROM order_line l WHERE l.order_id = o.id AND l.kind = 'product') AS line_count,
  to_char(o.desired_delivery_date, 'YYYY-MM-DD') AS desired, o.external_id`;

function summary(row: SummaryRow): PurchaseSummary {
  const ref = row.external_id.match(/^dealer-po:[^:]*:ref:(.*)$/s);
  return {
    orderId: row.id,
    number: row.number,
    placedAt: row.placed_at.toISOString(),
    status: row.status,
    total: trimZeros(row.total),
    currency: row.currency,
    lineCount: row.line_count,
    desiredDate: row.desired,
    reference: ref ? ref[1]! : null,
  };
}

function brief(column: PriceColumnRef): { id: string; name: string } {
  return { id: column.id, name: column.name };
}

function money(d: Decimal): string {
  return d.toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toString();
}
