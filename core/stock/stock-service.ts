import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import { committed } from '../db/committed-events.ts';
import { insertRows, type SqlType } from '../db/bulk-insert.ts';
import type { Prisma } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import { isClosedStatus } from '../orders/order-status.ts';
import { assertValid } from '../model/validate.ts';
import {
  DefaultStockAllocationStrategy,
  type AllocationResult,
  type IsoDay,
  type StockAllocationStrategy,
  type StockSource,
} from './allocation-strategy.ts';
import {
  BasketSchema,
  IncomingInputSchema,
  LevelInputSchema,
  ProductInputSchema,
  RESOLVE_ACTIONS,
  StockLoadSchema,
  WarehouseInputSchema,
  type BasketLine,
  type IncomingInput,
  type LevelInput,
  type ProductInput,
  type ResolveAction,
  type StockLoad,
  type WarehouseInput,
} from './stock-schemas.ts';
import { Type } from '@sinclair/typebox';

/**
 * Stock flows: loads, availability, reservations per order, arrivals, shipping, the manual-review
 * queue and the ledger check.
 *
 * Invariants (Medusa's inventory module, STYLE.md §8):
 * - stock changes only inside a transaction, under a per-product lock (pg_advisory_xact_lock on
 *   `stock|<product id>`, taken in sorted order so two flows cannot deadlock); flows that work on an
 *   order first lock the order row (FOR UPDATE), then the products — never the other way round;
 * - reserved quantity exists only as reservation rows; free = on hand − active on-hand
 *   reservations (per warehouse), or open supply − active reservations against it (per supply);
 * - every change of on hand, open supply or reserved quantity writes a stock_movement row, so the
 *   current figures are sums of the ledger (verifyLedger proves it). A ledger row's reservedDelta
 *   counts against its supply when supply_id is set, against on-hand stock of its warehouse otherwise.
 */

type Tx = Prisma.TransactionClient;

export type LineStatus = 'confirmed' | 'partial' | 'unavailable';

export interface SourceView {
  kind: 'on_hand' | 'incoming';
  warehouse: string;
  supplyId?: string;
  reference?: string;
  expectedOn?: IsoDay;
  quantity: string;
}

/** The verdict on one line (of a basket or an order): stored in stock_check.lines. */
export interface LineVerdict {
  /** order_line.position for orders, 1-based index for baskets. */
  position: number;
  sku: string | null;
  productId: string | null;
  quantity: string;
  neededBy: IsoDay | null;
  status: LineStatus;
  /** What can be promised (reserved, for an order). */
  allocated: string;
  shortfall: string;
  sources: SourceView[];
  /** When the allocated quantity is complete (latest incoming used); null = on hand now. */
  allocatedComplete: IsoDay | null;
  /** Supplies after neededBy that would cover the shortfall, and when the last of them arrives. */
  restArrives: SourceView[];
  restArrivesOn: IsoDay | null;
  reason?: string;
}

export interface AvailabilityAnswer {
  result: LineStatus;
  lines: LineVerdict[];
}

export type ReviewStatus = 'none' | 'open' | 'resolved';

export interface StockCheckView {
  id: string;
  orderId: string;
  orderVersion: number;
  result: LineStatus;
  lines: LineVerdict[];
  reviewStatus: ReviewStatus;
  reason: string | null;
  resolution: ResolveAction | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  note: string | null;
  createdAt: string;
}

export interface ReviewView extends StockCheckView {
  orderNumber: string | null;
  orderExternalId: string;
}

export interface ReservationView {
  id: string;
  orderId: string;
  linePosition: number;
  sku: string;
  warehouse: string;
  source: 'on_hand' | 'incoming';
  supplyId: string | null;
  supplyReference: string | null;
  expectedOn: IsoDay | null;
  quantity: string;
  neededBy: IsoDay | null;
  status: 'active' | 'released' | 'shipped';
}

export interface OrderReservations {
  orderId: string;
  orderVersion: number;
  check: StockCheckView | null;
  reservations: ReservationView[];
}

export interface ReserveOutcome {
  check: StockCheckView;
  /** False when this order version had already been checked (the earlier verdict is returned). */
  created: boolean;
}

export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Reservations a load had to release because the stock under them shrank. */
export interface ReleasedByLoad {
  orderId: string;
  reservationId: string;
  sku: string;
  quantity: string;
  why: string;
}

export interface LoadReport {
  products: UpsertCounts;
  warehouses: UpsertCounts;
  levels: UpsertCounts;
  incoming: UpsertCounts;
  released: ReleasedByLoad[];
}

export interface ShipOutcome {
  orderId: string;
  shipped: { sku: string; warehouse: string; quantity: string }[];
  /** True when the order had shipped before and nothing was left to ship. */
  alreadyShipped: boolean;
}

export interface ReleaseOutcome {
  orderId: string;
  released: { sku: string; quantity: string }[];
}

export interface ReceiveOutcome {
  supplyId: string;
  received: string;
  supplyStatus: string;
  /** Reserved quantity that moved from the supply onto on-hand stock. */
  moved: string;
}

export type LedgerMismatchKind =
  | 'on_hand'
  | 'supply_open'
  | 'supply_received'
  | 'reserved_on_hand'
  | 'reserved_supply'
  | 'reservation'
  | 'over_reserved_on_hand'
  | 'over_reserved_supply';

export interface LedgerMismatch {
  kind: LedgerMismatchKind;
  /** product/warehouse ids, a supply id or a reservation id. */
  key: string;
  current: string;
  ledger: string;
}

export interface LedgerReport {
  ok: boolean;
  checked: { levels: number; supplies: number; reservations: number; movements: number };
  mismatches: LedgerMismatch[];
}

const TX_OPTIONS = { timeout: 120_000, maxWait: 120_000 } as const;
const ZERO = new Decimal(0);

const RESERVATION_COLUMNS: Record<string, SqlType> = {
  id: 'text', order_id: 'text', line_position: 'int', product_id: 'text', warehouse_id: 'text', source: 'text', supply_id: 'text',
  quantity: 'numeric', needed_by: 'date', status: 'text',
};
const MOVEMENT_COLUMNS: Record<string, SqlType> = {
  product_id: 'text', warehouse_id: 'text', kind: 'text', on_hand_delta: 'numeric', incoming_delta: 'numeric', reserved_delta: 'numeric',
  supply_id: 'text', reservation_id: 'text', order_id: 'text', reason: 'text',
};

type MovementKind = 'load' | 'adjust' | 'expect' | 'arrive' | 'cancel_supply' | 'reserve' | 'release' | 'ship' | 'move';

interface Movement {
  product_id: string;
  warehouse_id: string;
  kind: MovementKind;
  on_hand_delta?: string;
  incoming_delta?: string;
  reserved_delta?: string;
  supply_id?: string | null;
  reservation_id?: string | null;
  order_id?: string | null;
  reason?: string | null;
}

interface ActiveReservationRow {
  id: string;
  order_id: string;
  line_position: number;
  product_id: string;
  warehouse_id: string;
  source: 'on_hand' | 'incoming';
  supply_id: string | null;
  quantity: string;
  needed_by: string | null;
  sku: string;
}

export class StockService {
  constructor(
    private readonly db: Database,
    readonly strategy: StockAllocationStrategy = new DefaultStockAllocationStrategy(),
  ) {}

  // ---- loads -------------------------------------------------------------------------------------------------------

  /** Products by SKU: created, or updated when something differs; a load states the whole product. */
  async upsertProducts(input: ProductInput[]): Promise<UpsertCounts> {
    const products = lastBy(assertValid(Type.Array(ProductInputSchema), input, 'products'), (p) => p.sku);
    if (products.length === 0) return { created: 0, updated: 0, unchanged: 0 };
    const rows = products.map((p) => ({ id: randomUUID(), sku: p.sku, name: p.name, product_line: p.productLine ?? null, brand: p.brand ?? null, unit: p.unit ?? 'pcs' }));
    const changed = await this.db.prisma.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO product (id, sku, name, product_line, brand, unit)
       SELECT id, sku, name, product_line, brand, unit FROM jsonb_to_recordset($1::jsonb) AS r(id text, sku text, name text, product_line text, brand text, unit text)
       ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, product_line = EXCLUDED.product_line, brand = EXCLUDED.brand, unit = EXCLUDED.unit, updated_at = now()
       WHERE (product.name, product.product_line, product.brand, product.unit) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.product_line, EXCLUDED.brand, EXCLUDED.unit)
       RETURNING (xmax = 0) AS inserted`,
      JSON.stringify(rows),
    );
    return counts(products.length, changed);
  }

  async upsertWarehouses(input: WarehouseInput[]): Promise<UpsertCounts> {
    const warehouses = lastBy(assertValid(Type.Array(WarehouseInputSchema), input, 'warehouses'), (w) => w.code);
    if (warehouses.length === 0) return { created: 0, updated: 0, unchanged: 0 };
    const rows = warehouses.map((w) => ({ id: randomUUID(), code: w.code, name: w.name }));
    const changed = await this.db.prisma.$queryRawUnsafe<{ inserted: boolean }[]>(
      `INSERT INTO warehouse (id, code, name)
       SELECT id, code, name FROM jsonb_to_recordset($1::jsonb) AS r(id text, code text, name text)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name WHERE warehouse.name IS DISTINCT FROM EXCLUDED.name
       RETURNING (xmax = 0) AS inserted`,
      JSON.stringify(rows),
    );
    return counts(warehouses.length, changed);
  }

  /**
   * On-hand quantities "as of this load": the difference to the current figure becomes one `load`
   * ledger row (none when equal, so the same load twice writes nothing). When stock shrinks below
   * what is reserved on it, the newest reservations are released and their orders reopened for review.
   */
  async setLevels(input: LevelInput[], reason?: string): Promise<{ counts: UpsertCounts; released: ReleasedByLoad[] }> {
    const levels = lastBy(assertValid(Type.Array(LevelInputSchema), input, 'levels'), (l) => `${l.sku}\u0000${l.warehouse}`);
    if (levels.length === 0) return { counts: { created: 0, updated: 0, unchanged: 0 }, released: [] };
    return this.transaction(async (tx) => {
      const products = await this.productsBySku(tx, levels.map((l) => l.sku), 'levels');
      const warehouses = await this.warehousesByCode(tx, levels.map((l) => l.warehouse), 'levels');
      await lockProducts(tx, [...products.values()]);
      const current = await tx.$queryRawUnsafe<{ product_id: string; warehouse_id: string; on_hand: string }[]>(
        `SELECT product_id, warehouse_id, on_hand::text AS on_hand FROM stock_level WHERE product_id = ANY($1::text[])`,
        [...products.values()],
      );
      const byKey = new Map(current.map((c) => [`${c.product_id}|${c.warehouse_id}`, new Decimal(c.on_hand)]));
      const result: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
      const movements: Movement[] = [];
      const writes: { product_id: string; warehouse_id: string; on_hand: string }[] = [];
      const touched: { product_id: string; warehouse_id: string }[] = [];
      for (const level of levels) {
        const productId = products.get(level.sku)!;
        const warehouseId = warehouses.get(level.warehouse)!;
        const before = byKey.get(`${productId}|${warehouseId}`);
        const target = new Decimal(level.onHand);
        const delta = target.minus(before ?? ZERO);
        if (before !== undefined && delta.isZero()) {
          result.unchanged += 1;
          continue;
        }
        if (before === undefined) result.created += 1;
        else result.updated += 1;
        writes.push({ product_id: productId, warehouse_id: warehouseId, on_hand: target.toString() });
        if (!delta.isZero()) movements.push({ product_id: productId, warehouse_id: warehouseId, kind: 'load', on_hand_delta: delta.toString(), reason: reason ?? 'stock load' });
        if (delta.isNegative()) touched.push({ product_id: productId, warehouse_id: warehouseId });
      }
      // One statement for the whole load (a 1C offers chunk brings a thousand levels; one round trip per row dominated the import).
      if (writes.length > 0) {
        await tx.$executeRawUnsafe(
          `INSERT INTO stock_level (product_id, warehouse_id, on_hand)
           SELECT product_id, warehouse_id, on_hand FROM jsonb_to_recordset($1::jsonb) AS r(product_id text, warehouse_id text, on_hand numeric)
           ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()`,
          JSON.stringify(writes),
        );
      }
      await insertMovements(tx, movements);
      const released: ReleasedByLoad[] = [];
      for (const t of await overReserved(tx, touched)) released.push(...(await releaseExcessOnHand(tx, t.product_id, t.warehouse_id)));
      return { counts: result, released };
    });
  }

  /**
   * Incoming supplies by (sku, reference): a new one writes `expect`, a changed open quantity writes
   * `expect` (more) or `cancel_supply` (less, or cancelled). When a supply shrinks below what is
   * reserved on it, the newest reservations on it are released and their orders reopened for review.
   */
  async upsertIncoming(input: IncomingInput[], reason?: string): Promise<{ counts: UpsertCounts; released: ReleasedByLoad[] }> {
    const supplies = lastBy(assertValid(Type.Array(IncomingInputSchema), input, 'incoming'), (s) => `${s.sku}\u0000${s.reference}`);
    if (supplies.length === 0) return { counts: { created: 0, updated: 0, unchanged: 0 }, released: [] };
    return this.transaction(async (tx) => {
      const products = await this.productsBySku(tx, supplies.map((s) => s.sku), 'incoming');
      const warehouses = await this.warehousesByCode(tx, supplies.map((s) => s.warehouse), 'incoming');
      await lockProducts(tx, [...products.values()]);
      const existing = await tx.$queryRawUnsafe<
        { id: string; product_id: string; warehouse_id: string; reference: string; quantity: string; received: string; expected_on: string; status: string; reserved: string }[]
      >(
        `SELECT s.id, s.product_id, s.warehouse_id, s.reference, s.quantity::text AS quantity, s.received::text AS received, s.expected_on::text AS expected_on, s.status,
                COALESCE((SELECT sum(r.quantity) FROM reservation r WHERE r.supply_id = s.id AND r.status = 'active' AND r.source = 'incoming'), 0)::text AS reserved
         FROM incoming_supply s WHERE s.product_id = ANY($1::text[])`,
        [...products.values()],
      );
      const byKey = new Map(existing.map((s) => [`${s.product_id}|${s.reference}`, s]));
      const result: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
      const movements: Movement[] = [];
      const shrunk: string[] = [];
      const slipped: { id: string; expectedOn: string }[] = [];
      const why = reason ?? 'incoming load';
      for (const [index, input] of supplies.entries()) {
        const productId = products.get(input.sku)!;
        const warehouseId = warehouses.get(input.warehouse)!;
        const quantity = new Decimal(input.quantity);
        const stored = byKey.get(`${productId}|${input.reference}`);
        if (!stored) {
          const id = randomUUID();
          const status = input.status === 'cancelled' ? 'cancelled' : 'open';
          await tx.$executeRawUnsafe(
            `INSERT INTO incoming_supply (id, product_id, warehouse_id, reference, quantity, expected_on, status) VALUES ($1, $2, $3, $4, $5::numeric, $6::date, $7)`,
            id, productId, warehouseId, input.reference, quantity.toString(), input.expectedOn, status,
          );
          if (status === 'open' && quantity.gt(0)) movements.push({ product_id: productId, warehouse_id: warehouseId, kind: 'expect', incoming_delta: quantity.toString(), supply_id: id, reason: why });
          result.created += 1;
          continue;
        }
        const received = new Decimal(stored.received);
        if (quantity.lt(received)) {
          throw new HubError('invalid_data', `Supply ${input.reference} of ${input.sku}: ${quantity} is less than the ${received} already received.`, { field: `incoming.${index}.quantity` });
        }
        const status = input.status === 'cancelled' ? 'cancelled' : received.gte(quantity) && quantity.gt(0) ? 'received' : 'open';
        const oldOpen = stored.status === 'open' ? new Decimal(stored.quantity).minus(received) : ZERO;
        const newOpen = status === 'open' ? quantity.minus(received) : ZERO;
        const same = new Decimal(stored.quantity).eq(quantity) && stored.expected_on === input.expectedOn && stored.status === status && stored.warehouse_id === warehouseId;
        if (same) {
          result.unchanged += 1;
          continue;
        }
        if (stored.warehouse_id !== warehouseId && (received.gt(0) || new Decimal(stored.reserved).gt(0))) {
          throw new HubError('conflict', `Supply ${input.reference} of ${input.sku} has arrivals or reservations in ${input.warehouse === stored.warehouse_id ? '?' : 'another warehouse'}; it cannot move to ${input.warehouse}.`, {
            field: `incoming.${index}.warehouse`,
          });
        }
        if (stored.status === 'cancelled' && status !== 'cancelled' && received.gt(0)) {
          // Reopening a cancelled, partly received supply is fine: its open quantity comes back below.
        }
        await tx.$executeRawUnsafe(
          `UPDATE incoming_supply SET quantity = $2::numeric, expected_on = $3::date, status = $4, warehouse_id = $5, updated_at = now() WHERE id = $1`,
          stored.id, quantity.toString(), input.expectedOn, status, warehouseId,
        );
        // Ledger rows of a supply are keyed by the supply; the warehouse column follows the supply.
        const delta = newOpen.minus(oldOpen);
        if (!delta.isZero()) {
          movements.push({ product_id: productId, warehouse_id: warehouseId, kind: delta.gt(0) ? 'expect' : 'cancel_supply', incoming_delta: delta.toString(), supply_id: stored.id, reason: why });
        }
        if (newOpen.lt(new Decimal(stored.reserved))) shrunk.push(stored.id);
        if (input.expectedOn > stored.expected_on && new Decimal(stored.reserved).gt(0)) slipped.push({ id: stored.id, expectedOn: input.expectedOn });
        result.updated += 1;
      }
      await insertMovements(tx, movements);
      const released: ReleasedByLoad[] = [];
      for (const supplyId of shrunk) released.push(...(await releaseExcessSupply(tx, supplyId)));
      for (const supply of slipped) released.push(...(await releaseLateSupply(tx, supply.id, supply.expectedOn)));
      return { counts: result, released };
    });
  }

  /** One document with products, warehouses, levels and incoming supplies, applied in that order; idempotent. */
  async load(document: StockLoad): Promise<LoadReport> {
    const valid = assertValid(StockLoadSchema, document, 'stock load');
    const products = await this.upsertProducts(valid.products ?? []);
    const warehouses = await this.upsertWarehouses(valid.warehouses ?? []);
    const levels = await this.setLevels(valid.levels ?? [], valid.reason);
    const incoming = await this.upsertIncoming(valid.incoming ?? [], valid.reason);
    return { products, warehouses, levels: levels.counts, incoming: incoming.counts, released: [...levels.released, ...incoming.released] };
  }

  // ---- availability ------------------------------------------------------------------------------------------------

  /**
   * What could be promised for a basket now (read-only, nothing is reserved): per line confirmed /
   * partial / unavailable, from which sources, and when the rest arrives. Lines of the same SKU
   * share the stock, in basket order.
   */
  async availability(basket: BasketLine[], options: { neededBy?: IsoDay | undefined } = {}): Promise<AvailabilityAnswer> {
    const lines = assertValid(BasketSchema, basket, 'basket');
    const skus = [...new Set(lines.map((l) => l.sku))];
    const products = await this.db.prisma.product.findMany({ where: { sku: { in: skus } }, select: { id: true, sku: true } });
    const productBySku = new Map(products.map((p) => [p.sku, p.id]));
    const sources = await loadSources(this.db.prisma, products.map((p) => p.id));
    const verdicts = lines.map((line, index) =>
      this.verdictFor({ position: index + 1, sku: line.sku, productId: productBySku.get(line.sku) ?? null, quantity: line.quantity, neededBy: line.neededBy ?? options.neededBy ?? null }, sources),
    );
    return { result: overall(verdicts), lines: verdicts.map((v) => v.verdict) };
  }

  // ---- orders ------------------------------------------------------------------------------------------------------

  /**
   * Checks the order's current version against stock and reserves what can be promised. Idempotent
   * per version: the same version again answers the stored check. A new version releases what the
   * earlier one held and reserves again, all under the same locks (so it never loses stock it held
   * to another order in between). Not fully confirmed → the check waits in the manual-review queue.
   * `again` (the reason) checks the same version once more against what is free now, replacing its
   * verdict (an order offered to dealers in a new round after it was handed back).
   */
  async reserveOrder(orderId: string, options: { again?: string | undefined } = {}): Promise<ReserveOutcome> {
    let channelId = '';
    const outcome = await this.transaction(async (tx) => {
      // Few round trips: the hot-SKU rate is bounded by how long a reservation holds the product lock.
      const order = await lockOrder(tx, orderId);
      channelId = order.channelId;
      if (order.checkId && !options.again) {
        const existing = await tx.stockCheck.findUniqueOrThrow({ where: { id: order.checkId } });
        return { check: checkView(existing), created: false };
      }
      if (isClosedStatus(order.status)) {
        throw new HubError('conflict', `Order ${order.label} is ${order.status}: it holds no stock (release it instead).`);
      }
      if (order.shipped) throw new HubError('conflict', `Order ${order.label} has shipped; its stock is no longer reserved.`);

      // Product lines with their product (null for an unknown SKU), and the products earlier versions still hold.
      const rows = await tx.$queryRawUnsafe<{ position: number | null; sku: string | null; quantity: string | null; product_id: string | null }[]>(
        `SELECT l.position, l.sku, l.quantity::text AS quantity, p.id AS product_id
         FROM order_line l LEFT JOIN product p ON p.sku = l.sku WHERE l.order_id = $1 AND l.kind = 'product'
         UNION ALL
         SELECT DISTINCT NULL::int, NULL, NULL, product_id FROM reservation WHERE order_id = $1 AND status = 'active'
         ORDER BY 1 NULLS LAST`,
        orderId,
      );
      const lines = rows.filter((r) => r.position !== null).map((r) => ({ position: r.position!, sku: r.sku, quantity: r.quantity!, productId: r.product_id }));
      const productIds = [...new Set(lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
      await lockProducts(tx, rows.flatMap((r) => (r.product_id ? [r.product_id] : [])));

      await releaseReservations(tx, await activeReservations(tx, { orderId }), 'release', `order ${order.label} version ${order.version}: ${options.again ?? 'checked again'}`);
      const sources = await loadSources(tx, productIds);
      const reservations: Record<string, unknown>[] = [];
      const movements: Movement[] = [];
      const verdicts: LineVerdict[] = [];
      for (const line of lines) {
        const { verdict, allocation } = this.verdictFor(
          { position: line.position, sku: line.sku, productId: line.productId, quantity: line.quantity, neededBy: order.desired },
          sources,
        );
        verdicts.push(verdict);
        for (const pick of allocation?.picks ?? []) {
          const id = randomUUID();
          const supplyId = pick.source.kind === 'incoming' ? pick.source.supplyId : null;
          reservations.push({
            id, order_id: orderId, line_position: line.position, product_id: verdict.productId, warehouse_id: pick.source.warehouseId, source: pick.source.kind,
            supply_id: supplyId, quantity: pick.quantity.toString(), needed_by: order.desired, status: 'active',
          });
          movements.push({
            product_id: verdict.productId!, warehouse_id: pick.source.warehouseId, kind: 'reserve', reserved_delta: pick.quantity.toString(), supply_id: supplyId,
            reservation_id: id, order_id: orderId, reason: `order ${order.label} line ${line.position}`,
          });
        }
      }
      await insertRows(tx, 'reservation', RESERVATION_COLUMNS, reservations);
      await insertMovements(tx, movements);

      const result = overall(verdicts);
      const reason = result === 'confirmed' ? null : verdicts.filter((v) => v.status !== 'confirmed').map(describeShortfall).join('; ');
      if (order.version > 1) {
        await tx.stockCheck.updateMany({
          where: { orderId, reviewStatus: 'open', orderVersion: { lt: order.version } },
          data: { reviewStatus: 'resolved', resolvedAt: new Date(), resolvedBy: 'hub', note: `superseded by version ${order.version}` },
        });
        await wakeAnswersWaitingForReview(tx, orderId);
      }
      const [check] = await tx.$queryRawUnsafe<{ id: string; created_at: Date }[]>(
        `INSERT INTO stock_check (id, order_id, order_version, result, lines, review_status, reason) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
         ON CONFLICT (order_id, order_version) DO UPDATE SET result = EXCLUDED.result, lines = EXCLUDED.lines, review_status = EXCLUDED.review_status,
           reason = EXCLUDED.reason, resolution = NULL, resolved_by = NULL, resolved_at = NULL, note = NULL, created_at = now()
         RETURNING id, created_at`,
        randomUUID(), orderId, order.version, result, JSON.stringify(verdicts), result === 'confirmed' ? 'none' : 'open', reason,
      );
      return {
        check: checkView({
          id: check!.id, orderId, orderVersion: order.version, result, lines: verdicts, reviewStatus: result === 'confirmed' ? 'none' : 'open', reason,
          resolution: null, resolvedBy: null, resolvedAt: null, note: null, createdAt: new Date(check!.created_at),
        }),
        created: true,
      };
    });
    const result = outcome.check.result;
    if (outcome.created && result !== 'confirmed') committed(this.db, 'reservationConflict', { orderId, channelId, result });
    return outcome;
  }

  /** Releases everything the order holds (cancelled, rejected). Releasing again releases nothing. */
  async releaseOrder(orderId: string, reason = 'order released'): Promise<ReleaseOutcome> {
    return this.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId);
      const released = await this.releaseLocked(tx, orderId, `order ${order.label}: ${reason}`);
      await tx.stockCheck.updateMany({ where: { orderId, reviewStatus: 'open' }, data: { reviewStatus: 'resolved', resolvedAt: new Date(), resolvedBy: 'hub', note: reason } });
      return { orderId, released };
    });
  }

  /**
   * The order leaves the warehouse: its on-hand reservations become shipments (on hand and reserved
   * both go down). Refused while part of it is still incoming. Shipping again ships nothing.
   */
  async shipOrder(orderId: string): Promise<ShipOutcome> {
    return this.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId);
      const held = await tx.reservation.findMany({ where: { orderId, status: 'active' }, select: { productId: true }, distinct: ['productId'] });
      await lockProducts(tx, held.map((h) => h.productId));
      const active = await activeReservations(tx, { orderId });
      if (active.length === 0) {
        const shipped = await tx.$queryRawUnsafe<{ sku: string; code: string; quantity: string }[]>(
          `SELECT p.sku, w.code, sum(r.quantity)::text AS quantity FROM reservation r JOIN product p ON p.id = r.product_id JOIN warehouse w ON w.id = r.warehouse_id
           WHERE r.order_id = $1 AND r.status = 'shipped' GROUP BY p.sku, w.code ORDER BY p.sku, w.code`,
          orderId,
        );
        if (shipped.length === 0) throw new HubError('conflict', `Order ${order.label} has nothing reserved to ship.`);
        return { orderId, shipped: shipped.map((s) => ({ sku: s.sku, warehouse: s.code, quantity: num(s.quantity) })), alreadyShipped: true };
      }
      const waiting = active.filter((r) => r.source === 'incoming');
      if (waiting.length > 0) {
        const what = waiting.map((r) => `${r.quantity} ${r.sku} still incoming`).join(', ');
        throw new HubError('conflict', `Order ${order.label} cannot ship yet: ${what}.`);
      }
      const movements: Movement[] = [];
      for (const r of active) {
        await tx.$executeRawUnsafe(
          `UPDATE stock_level SET on_hand = on_hand - $3::numeric, updated_at = now() WHERE product_id = $1 AND warehouse_id = $2`,
          r.product_id, r.warehouse_id, r.quantity,
        );
        movements.push({
          product_id: r.product_id, warehouse_id: r.warehouse_id, kind: 'ship', on_hand_delta: neg(r.quantity), reserved_delta: neg(r.quantity),
          reservation_id: r.id, order_id: orderId, reason: `order ${order.label} shipped`,
        });
      }
      await tx.$executeRawUnsafe(`UPDATE reservation SET status = 'shipped', updated_at = now() WHERE id = ANY($1::text[])`, active.map((r) => r.id));
      await insertMovements(tx, movements);
      const codes = await warehouseCodes(tx, active.map((r) => r.warehouse_id));
      return { orderId, shipped: active.map((r) => ({ sku: r.sku, warehouse: codes.get(r.warehouse_id)!, quantity: r.quantity })), alreadyShipped: false };
    });
  }

  /**
   * Goods of a supply arrive: open supply turns into on-hand stock (`arrive`), and reservations on
   * the supply move onto the on-hand stock of its warehouse (`move`, earliest needed first) without
   * being released, so nobody else can take what arrived for them.
   */
  async receiveSupply(supplyId: string, quantity: string, reason?: string): Promise<ReceiveOutcome> {
    const amount = new Decimal(assertValid(Type.String({ pattern: '^\\d{1,14}(\\.\\d{1,4})?$' }), quantity, 'quantity'));
    if (amount.lte(0)) throw new HubError('invalid_data', 'quantity: must be more than 0', { field: 'quantity' });
    return this.transaction(async (tx) => {
      const found = await tx.incomingSupply.findUnique({ where: { id: supplyId }, select: { productId: true } });
      if (!found) throw new HubError('not_found', `Supply ${supplyId} does not exist.`);
      await lockProducts(tx, [found.productId]);
      const [supply] = await tx.$queryRawUnsafe<{ product_id: string; warehouse_id: string; reference: string; quantity: string; received: string; status: string }[]>(
        `SELECT product_id, warehouse_id, reference, quantity::text AS quantity, received::text AS received, status FROM incoming_supply WHERE id = $1 FOR UPDATE`,
        supplyId,
      );
      if (!supply) throw new HubError('not_found', `Supply ${supplyId} does not exist.`);
      if (supply.status !== 'open') throw new HubError('conflict', `Supply ${supply.reference} is ${supply.status}; nothing more can arrive on it.`);
      const open = new Decimal(supply.quantity).minus(supply.received);
      if (amount.gt(open)) throw new HubError('conflict', `Supply ${supply.reference} has ${open} open; ${amount} cannot arrive on it (correct the supply first).`, { field: 'quantity' });
      const received = new Decimal(supply.received).plus(amount);
      const status = received.gte(supply.quantity) ? 'received' : 'open';
      const why = reason ?? `supply ${supply.reference} arrived`;
      await tx.$executeRawUnsafe(`UPDATE incoming_supply SET received = $2::numeric, status = $3, updated_at = now() WHERE id = $1`, supplyId, received.toString(), status);
      await tx.$executeRawUnsafe(
        `INSERT INTO stock_level (product_id, warehouse_id, on_hand) VALUES ($1, $2, $3::numeric)
         ON CONFLICT (product_id, warehouse_id) DO UPDATE SET on_hand = stock_level.on_hand + EXCLUDED.on_hand, updated_at = now()`,
        supply.product_id, supply.warehouse_id, amount.toString(),
      );
      const movements: Movement[] = [
        { product_id: supply.product_id, warehouse_id: supply.warehouse_id, kind: 'arrive', on_hand_delta: amount.toString(), incoming_delta: neg(amount), supply_id: supplyId, reason: why },
      ];
      const waiting = await tx.$queryRawUnsafe<{ id: string; order_id: string; line_position: number; quantity: string; needed_by: string | null }[]>(
        `SELECT id, order_id, line_position, quantity::text AS quantity, needed_by::text AS needed_by FROM reservation
         WHERE supply_id = $1 AND status = 'active' AND source = 'incoming' ORDER BY needed_by NULLS LAST, created_at, id FOR UPDATE`,
        supplyId,
      );
      let left = amount;
      let moved = ZERO;
      for (const r of waiting) {
        if (left.lte(0)) break;
        const take = Decimal.min(left, r.quantity);
        let onHandId = r.id;
        if (take.eq(r.quantity)) {
          await tx.$executeRawUnsafe(`UPDATE reservation SET source = 'on_hand', updated_at = now() WHERE id = $1`, r.id);
        } else {
          // Split: the arrived part becomes its own on-hand reservation; the rest waits on the supply.
          onHandId = randomUUID();
          await tx.$executeRawUnsafe(`UPDATE reservation SET quantity = quantity - $2::numeric, updated_at = now() WHERE id = $1`, r.id, take.toString());
          await insertRows(tx, 'reservation', RESERVATION_COLUMNS, [
            { id: onHandId, order_id: r.order_id, line_position: r.line_position, product_id: supply.product_id, warehouse_id: supply.warehouse_id, source: 'on_hand', supply_id: supplyId, quantity: take.toString(), needed_by: r.needed_by, status: 'active' },
          ]);
        }
        const base = { product_id: supply.product_id, warehouse_id: supply.warehouse_id, kind: 'move' as const, order_id: r.order_id, reason: why };
        movements.push({ ...base, reserved_delta: neg(take), supply_id: supplyId, reservation_id: r.id });
        movements.push({ ...base, reserved_delta: take.toString(), supply_id: null, reservation_id: onHandId });
        left = left.minus(take);
        moved = moved.plus(take);
      }
      await insertMovements(tx, movements);
      return { supplyId, received: received.toString(), supplyStatus: status, moved: moved.toString() };
    });
  }

  async reservations(orderId: string): Promise<OrderReservations> {
    const order = await this.db.prisma.order.findUnique({ where: { id: orderId }, select: { id: true, version: true } });
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    const rows = await this.db.prisma.reservation.findMany({
      where: { orderId },
      orderBy: [{ linePosition: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
      include: { product: { select: { sku: true } }, warehouse: { select: { code: true } }, supply: { select: { reference: true, expectedOn: true } } },
    });
    const check = await this.db.prisma.stockCheck.findFirst({ where: { orderId }, orderBy: { orderVersion: 'desc' } });
    return {
      orderId,
      orderVersion: order.version,
      check: check ? checkView(check) : null,
      reservations: rows.map((r) => ({
        id: r.id,
        orderId: r.orderId,
        linePosition: r.linePosition,
        sku: r.product.sku,
        warehouse: r.warehouse.code,
        source: r.source as ReservationView['source'],
        supplyId: r.supplyId,
        supplyReference: r.supply?.reference ?? null,
        expectedOn: r.source === 'incoming' && r.supply ? day(r.supply.expectedOn) : null,
        quantity: r.quantity.toString(),
        neededBy: r.neededBy ? day(r.neededBy) : null,
        status: r.status as ReservationView['status'],
      })),
    };
  }

  // ---- manual review -----------------------------------------------------------------------------------------------

  async listReviews(filter: { status?: ReviewStatus } = {}): Promise<ReviewView[]> {
    const checks = await this.db.prisma.stockCheck.findMany({ where: { reviewStatus: filter.status ?? 'open' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: 500 });
    const orders = await this.db.prisma.order.findMany({ where: { id: { in: checks.map((c) => c.orderId) } }, select: { id: true, number: true, externalId: true } });
    const byId = new Map(orders.map((o) => [o.id, o]));
    return checks.map((c) => ({ ...checkView(c), orderNumber: byId.get(c.orderId)?.number ?? null, orderExternalId: byId.get(c.orderId)?.externalId ?? '' }));
  }

  /**
   * A manager's decision on an open review: confirm_partially keeps what is reserved and closes it;
   * wait_for_supply keeps the reservations and the open shortfall (recorded on the check) and closes
   * it; reject releases everything the order holds.
   */
  async resolveReview(checkId: string, action: ResolveAction, by: string, note?: string): Promise<StockCheckView> {
    if (!(RESOLVE_ACTIONS as readonly string[]).includes(action)) throw new HubError('invalid_data', `action: must be one of ${RESOLVE_ACTIONS.join(', ')}`, { field: 'action' });
    if (!by.trim()) throw new HubError('invalid_data', 'by: say who decides', { field: 'by' });
    return this.transaction(async (tx) => {
      const found = await tx.stockCheck.findUnique({ where: { id: checkId }, select: { orderId: true } });
      if (!found) throw new HubError('not_found', `Stock check ${checkId} does not exist.`);
      const order = await lockOrder(tx, found.orderId);
      let released: { sku: string; quantity: string }[] = [];
      if (action === 'reject') {
        // Products before the check row: loads lock products and then update checks.
        released = await this.releaseLocked(tx, found.orderId, `order ${order.label}: rejected on review by ${by}`);
      }
      const [check] = await tx.$queryRawUnsafe<{ review_status: string }[]>(`SELECT review_status FROM stock_check WHERE id = $1 FOR UPDATE`, checkId);
      if (check?.review_status !== 'open') throw new HubError('conflict', `Stock check ${checkId} is not waiting for review (${check?.review_status ?? 'gone'}).`);
      const summary = action === 'reject' && released.length > 0 ? `released ${released.map((r) => `${r.quantity} ${r.sku}`).join(', ')}` : null;
      const updated = await tx.stockCheck.update({
        where: { id: checkId },
        data: { reviewStatus: 'resolved', resolution: action, resolvedBy: by, resolvedAt: new Date(), note: [note, summary].filter(Boolean).join('; ') || null },
      });
      await wakeAnswersWaitingForReview(tx, found.orderId);
      return checkView(updated);
    });
  }

  // ---- the ledger --------------------------------------------------------------------------------------------------

  /**
   * Proves the current figures are the sums of the ledger: on hand per product and warehouse, open
   * and received quantity per supply, reserved quantity per supply, per warehouse and per
   * reservation; and that nothing is over-reserved. Returns every disagreement.
   */
  async verifyLedger(): Promise<LedgerReport> {
    const q = <T>(sql: string) => this.db.prisma.$queryRawUnsafe<T[]>(sql);
    type Row = { key: string; current: string; ledger: string };
    const mismatches: LedgerMismatch[] = [];
    const add = (kind: LedgerMismatchKind, rows: Row[]) => mismatches.push(...rows.map((r) => ({ kind, key: r.key, current: num(r.current), ledger: num(r.ledger) })));

    add('on_hand', await q<Row>(
      `SELECT COALESCE(l.product_id, m.product_id) || '/' || COALESCE(l.warehouse_id, m.warehouse_id) AS key, COALESCE(l.on_hand, 0)::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM stock_level l FULL JOIN (SELECT product_id, warehouse_id, sum(on_hand_delta) AS total FROM stock_movement GROUP BY 1, 2) m
         ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
       WHERE COALESCE(l.on_hand, 0) <> COALESCE(m.total, 0)`,
    ));
    add('supply_open', await q<Row>(
      `SELECT s.id AS key, (CASE WHEN s.status = 'cancelled' THEN 0 ELSE s.quantity - s.received END)::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM incoming_supply s LEFT JOIN (SELECT supply_id, sum(incoming_delta) AS total FROM stock_movement WHERE supply_id IS NOT NULL GROUP BY 1) m ON m.supply_id = s.id
       WHERE (CASE WHEN s.status = 'cancelled' THEN 0 ELSE s.quantity - s.received END) <> COALESCE(m.total, 0)`,
    ));
    add('supply_received', await q<Row>(
      `SELECT s.id AS key, s.received::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM incoming_supply s LEFT JOIN (SELECT supply_id, sum(on_hand_delta) AS total FROM stock_movement WHERE kind = 'arrive' GROUP BY 1) m ON m.supply_id = s.id
       WHERE s.received <> COALESCE(m.total, 0)`,
    ));
    add('reserved_supply', await q<Row>(
      `SELECT COALESCE(r.supply_id, m.supply_id) AS key, COALESCE(r.total, 0)::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM (SELECT supply_id, sum(quantity) AS total FROM reservation WHERE status = 'active' AND source = 'incoming' GROUP BY 1) r
       FULL JOIN (SELECT supply_id, sum(reserved_delta) AS total FROM stock_movement WHERE supply_id IS NOT NULL GROUP BY 1) m ON m.supply_id = r.supply_id
       WHERE COALESCE(r.total, 0) <> COALESCE(m.total, 0)`,
    ));
    add('reserved_on_hand', await q<Row>(
      `SELECT COALESCE(r.product_id, m.product_id) || '/' || COALESCE(r.warehouse_id, m.warehouse_id) AS key, COALESCE(r.total, 0)::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM (SELECT product_id, warehouse_id, sum(quantity) AS total FROM reservation WHERE status = 'active' AND source = 'on_hand' GROUP BY 1, 2) r
       FULL JOIN (SELECT product_id, warehouse_id, sum(reserved_delta) AS total FROM stock_movement WHERE supply_id IS NULL GROUP BY 1, 2) m
         ON m.product_id = r.product_id AND m.warehouse_id = r.warehouse_id
       WHERE COALESCE(r.total, 0) <> COALESCE(m.total, 0)`,
    ));
    add('reservation', await q<Row>(
      `SELECT COALESCE(r.id, m.reservation_id) AS key, (CASE WHEN r.status = 'active' THEN r.quantity ELSE 0 END)::text AS current, COALESCE(m.total, 0)::text AS ledger
       FROM reservation r FULL JOIN (SELECT reservation_id, sum(reserved_delta) AS total FROM stock_movement WHERE reservation_id IS NOT NULL GROUP BY 1) m ON m.reservation_id = r.id
       WHERE COALESCE(CASE WHEN r.status = 'active' THEN r.quantity ELSE 0 END, 0) <> COALESCE(m.total, 0)`,
    ));
    add('over_reserved_on_hand', await q<Row>(
      `SELECT l.product_id || '/' || l.warehouse_id AS key, l.on_hand::text AS current, r.total::text AS ledger
       FROM stock_level l JOIN (SELECT product_id, warehouse_id, sum(quantity) AS total FROM reservation WHERE status = 'active' AND source = 'on_hand' GROUP BY 1, 2) r
         ON r.product_id = l.product_id AND r.warehouse_id = l.warehouse_id
       WHERE r.total > l.on_hand`,
    ));
    add('over_reserved_supply', await q<Row>(
      `SELECT s.id AS key, (CASE WHEN s.status = 'open' THEN s.quantity - s.received ELSE 0 END)::text AS current, r.total::text AS ledger
       FROM incoming_supply s JOIN (SELECT supply_id, sum(quantity) AS total FROM reservation WHERE status = 'active' AND source = 'incoming' GROUP BY 1) r ON r.supply_id = s.id
       WHERE r.total > (CASE WHEN s.status = 'open' THEN s.quantity - s.received ELSE 0 END)`,
    ));
    const [checked] = await q<{ levels: number; supplies: number; reservations: number; movements: number }>(
      `SELECT (SELECT count(*) FROM stock_level)::int AS levels, (SELECT count(*) FROM incoming_supply)::int AS supplies,
              (SELECT count(*) FROM reservation)::int AS reservations, (SELECT count(*) FROM stock_movement)::int AS movements`,
    );
    return { ok: mismatches.length === 0, checked: checked!, mismatches };
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.prisma.$transaction(work, TX_OPTIONS);
  }

  /** Releases the order's active reservations; the caller holds the order row lock. */
  private async releaseLocked(tx: Tx, orderId: string, reason: string): Promise<{ sku: string; quantity: string }[]> {
    const held = await tx.reservation.findMany({ where: { orderId, status: 'active' }, select: { productId: true }, distinct: ['productId'] });
    await lockProducts(tx, held.map((h) => h.productId));
    const active = await activeReservations(tx, { orderId });
    await releaseReservations(tx, active, 'release', reason);
    const bySku = new Map<string, Decimal>();
    for (const r of active) bySku.set(r.sku, (bySku.get(r.sku) ?? ZERO).plus(r.quantity));
    return [...bySku].map(([sku, quantity]) => ({ sku, quantity: quantity.toString() }));
  }

  private verdictFor(
    line: { position: number; sku: string | null; productId: string | null; quantity: string; neededBy: IsoDay | null },
    sources: Map<string, StockSource[]>,
  ): { verdict: LineVerdict; allocation: AllocationResult | undefined } {
    const base = { position: line.position, sku: line.sku, productId: line.productId, quantity: new Decimal(line.quantity).toString(), neededBy: line.neededBy };
    if (!line.productId) {
      return {
        verdict: {
          ...base, status: 'unavailable', allocated: '0', shortfall: base.quantity, sources: [], allocatedComplete: null, restArrives: [], restArrivesOn: null,
          reason: line.sku ? `unknown SKU ${line.sku}` : 'the line has no SKU',
        },
        allocation: undefined,
      };
    }
    const productSources = sources.get(line.productId) ?? [];
    const allocation = this.strategy.allocate({ quantity: line.quantity, neededBy: line.neededBy }, productSources);
    // What this line takes is no longer free for the next line of the same product.
    for (const pick of allocation.picks) pick.source.free = pick.source.free.minus(pick.quantity);
    const verdict: LineVerdict = {
      ...base,
      status: allocation.status,
      allocated: allocation.allocated.toString(),
      shortfall: allocation.shortfall.toString(),
      sources: allocation.picks.map((p) => sourceView(p.source, p.quantity)),
      allocatedComplete: allocation.allocatedComplete,
      restArrives: allocation.restArrives.map((r) => sourceView(r.source, r.quantity)),
      restArrivesOn: allocation.restArrivesOn,
    };
    if (allocation.status !== 'confirmed') {
      verdict.reason = allocation.restCovered
        ? `short ${verdict.shortfall}${line.neededBy ? ` by ${line.neededBy}` : ''}; the rest arrives on ${allocation.restArrivesOn}`
        : `short ${verdict.shortfall}${line.neededBy ? ` by ${line.neededBy}` : ''}; no known supply covers it`;
    }
    return { verdict, allocation };
  }

  private async productsBySku(tx: Tx, skus: string[], field: string): Promise<Map<string, string>> {
    const wanted = [...new Set(skus)];
    const rows = await tx.product.findMany({ where: { sku: { in: wanted } }, select: { id: true, sku: true } });
    const map = new Map(rows.map((r) => [r.sku, r.id]));
    const index = skus.findIndex((s) => !map.has(s));
    if (index >= 0) throw new HubError('invalid_data', `${field}.${index}.sku: unknown SKU ${skus[index]} (load the product first)`, { field: `${field}.${index}.sku` });
    return map;
  }

  private async warehousesByCode(tx: Tx, codes: string[], field: string): Promise<Map<string, string>> {
    const rows = await tx.warehouse.findMany({ where: { code: { in: [...new Set(codes)] } }, select: { id: true, code: true } });
    const map = new Map(rows.map((r) => [r.code, r.id]));
    const index = codes.findIndex((c) => !map.has(c));
    if (index >= 0) throw new HubError('invalid_data', `${field}.${index}.warehouse: unknown warehouse ${codes[index]} (load it first)`, { field: `${field}.${index}.warehouse` });
    return map;
  }
}

// ---- locks and reads -------------------------------------------------------------------------------------------------

/** Transaction-scoped advisory locks on products, in sorted order (no two flows can deadlock on them). */
export async function lockProducts(tx: Tx, productIds: string[]): Promise<void> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return;
  await tx.$queryRawUnsafe(
    `SELECT count(*)::int AS locked FROM (
       SELECT pg_advisory_xact_lock(hashtextextended('stock|' || k, 0)) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) AS keys
     ) AS l`,
    ids,
  );
}

interface LockedOrder {
  id: string;
  channelId: string;
  version: number;
  status: string;
  label: string;
  desired: IsoDay | null;
  /** The stock check of the current version, when it has been checked. */
  checkId: string | null;
  /** Whether any of its reservations has shipped. */
  shipped: boolean;
}

/**
 * The order row, locked for the transaction: one stock flow per order at a time, and never half an intake.
 * NO KEY UPDATE (what an UPDATE of the row takes) excludes the same writers as FOR UPDATE, but not the
 * foreign-key checks of other transactions writing the order's own rows (see setCoreStatus in order-lifecycle.ts).
 */
async function lockOrder(tx: Tx, orderId: string): Promise<LockedOrder> {
  const [row] = await tx.$queryRawUnsafe<{ id: string; channel_id: string; version: number; status: string; number: string | null; external_id: string; desired: string | null }[]>(
    `SELECT id, channel_id, version, status, number, external_id, desired_delivery_date::text AS desired FROM "order" WHERE id = $1 FOR NO KEY UPDATE`,
    orderId,
  );
  if (!row) throw new HubError('not_found', `Order ${orderId} does not exist.`);
  // A separate statement on purpose: under READ COMMITTED, the statement that waited for the row lock
  // still reads with the snapshot it started with, so it would miss the check the previous holder just
  // committed (the concurrency test caught exactly that as a duplicate stock check).
  const [state] = await tx.$queryRawUnsafe<{ check_id: string | null; shipped: boolean }[]>(
    `SELECT (SELECT id FROM stock_check WHERE order_id = $1 AND order_version = $2) AS check_id,
            EXISTS (SELECT 1 FROM reservation WHERE order_id = $1 AND status = 'shipped') AS shipped`,
    orderId, row.version,
  );
  return {
    id: row.id, channelId: row.channel_id, version: row.version, status: row.status, label: row.number ?? row.external_id, desired: row.desired, checkId: state?.check_id ?? null, shipped: state?.shipped ?? false,
  };
}

/** Free quantity of every source of the given products, read in one statement (one snapshot). */
async function loadSources(client: Pick<Tx, '$queryRawUnsafe'>, productIds: string[]): Promise<Map<string, StockSource[]>> {
  const result = new Map<string, StockSource[]>();
  if (productIds.length === 0) return result;
  const rows = await client.$queryRawUnsafe<
    { kind: 'on_hand' | 'incoming'; product_id: string; warehouse_id: string; code: string; supply_id: string | null; reference: string | null; expected_on: string | null; free: string }[]
  >(
    `SELECT 'on_hand' AS kind, l.product_id, l.warehouse_id, w.code, NULL AS supply_id, NULL AS reference, NULL AS expected_on,
            (l.on_hand - COALESCE(r.total, 0))::text AS free
     FROM stock_level l JOIN warehouse w ON w.id = l.warehouse_id
     LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS total FROM reservation
                WHERE status = 'active' AND source = 'on_hand' AND product_id = ANY($1::text[]) GROUP BY 1, 2) r
       ON r.product_id = l.product_id AND r.warehouse_id = l.warehouse_id
     WHERE l.product_id = ANY($1::text[])
     UNION ALL
     SELECT 'incoming', s.product_id, s.warehouse_id, w.code, s.id, s.reference, s.expected_on::text,
            (s.quantity - s.received - COALESCE(r.total, 0))::text
     FROM incoming_supply s JOIN warehouse w ON w.id = s.warehouse_id
     LEFT JOIN (SELECT supply_id, sum(quantity) AS total FROM reservation
                WHERE status = 'active' AND source = 'incoming' AND product_id = ANY($1::text[]) GROUP BY 1) r ON r.supply_id = s.id
     WHERE s.product_id = ANY($1::text[]) AND s.status = 'open'
     ORDER BY 1, 4, 6`,
    productIds,
  );
  for (const row of rows) {
    const source: StockSource =
      row.kind === 'on_hand'
        ? { kind: 'on_hand', warehouseId: row.warehouse_id, warehouseCode: row.code, free: new Decimal(row.free) }
        : { kind: 'incoming', supplyId: row.supply_id!, warehouseId: row.warehouse_id, warehouseCode: row.code, reference: row.reference!, expectedOn: row.expected_on!, free: new Decimal(row.free) };
    const list = result.get(row.product_id) ?? [];
    list.push(source);
    result.set(row.product_id, list);
  }
  return result;
}

async function activeReservations(tx: Tx, where: { orderId: string }): Promise<ActiveReservationRow[]> {
  return normalised(await tx.$queryRawUnsafe<ActiveReservationRow[]>(
    `SELECT r.id, r.order_id, r.line_position, r.product_id, r.warehouse_id, r.source, r.supply_id, r.quantity::text AS quantity, r.needed_by::text AS needed_by, p.sku
     FROM reservation r JOIN product p ON p.id = r.product_id
     WHERE r.order_id = $1 AND r.status = 'active' ORDER BY r.line_position, r.created_at, r.id FOR UPDATE OF r`,
    where.orderId,
  ));
}

/** numeric::text keeps the column's scale ("4.0000"); answers carry the plain decimal ("4"). */
function normalised(rows: ActiveReservationRow[]): ActiveReservationRow[] {
  for (const row of rows) row.quantity = num(row.quantity);
  return rows;
}

/** Marks reservations released and writes their ledger rows; the caller holds the product locks. */
async function releaseReservations(tx: Tx, rows: ActiveReservationRow[], kind: 'release', reason: string): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(`UPDATE reservation SET status = 'released', updated_at = now() WHERE id = ANY($1::text[])`, rows.map((r) => r.id));
  await insertMovements(
    tx,
    rows.map((r) => ({
      product_id: r.product_id, warehouse_id: r.warehouse_id, kind, reserved_delta: neg(r.quantity), supply_id: r.source === 'incoming' ? r.supply_id : null,
      reservation_id: r.id, order_id: r.order_id, reason,
    })),
  );
}

/**
 * Of the levels a load lowered, those now below what is reserved on them (in the load's order): only
 * these have reservations to release, found in one statement instead of two per lowered level.
 */
async function overReserved(tx: Tx, lowered: { product_id: string; warehouse_id: string }[]): Promise<{ product_id: string; warehouse_id: string }[]> {
  if (lowered.length === 0) return [];
  const rows = await tx.$queryRawUnsafe<{ product_id: string; warehouse_id: string }[]>(
    `SELECT t.product_id, t.warehouse_id
     FROM jsonb_to_recordset($1::jsonb) AS t(product_id text, warehouse_id text, n int)
     JOIN stock_level l ON l.product_id = t.product_id AND l.warehouse_id = t.warehouse_id
     WHERE l.on_hand < (SELECT COALESCE(sum(r.quantity), 0) FROM reservation r
                        WHERE r.product_id = t.product_id AND r.warehouse_id = t.warehouse_id AND r.status = 'active' AND r.source = 'on_hand')
     ORDER BY t.n`,
    JSON.stringify(lowered.map((l, n) => ({ ...l, n }))),
  );
  return rows;
}

/** On hand fell below what is reserved on it: release the newest reservations until it fits. */
async function releaseExcessOnHand(tx: Tx, productId: string, warehouseId: string): Promise<ReleasedByLoad[]> {
  const [level] = await tx.$queryRawUnsafe<{ on_hand: string }[]>(`SELECT on_hand::text AS on_hand FROM stock_level WHERE product_id = $1 AND warehouse_id = $2`, productId, warehouseId);
  const rows = normalised(await tx.$queryRawUnsafe<ActiveReservationRow[]>(
    `SELECT r.id, r.order_id, r.line_position, r.product_id, r.warehouse_id, r.source, r.supply_id, r.quantity::text AS quantity, r.needed_by::text AS needed_by, p.sku
     FROM reservation r JOIN product p ON p.id = r.product_id
     WHERE r.product_id = $1 AND r.warehouse_id = $2 AND r.status = 'active' AND r.source = 'on_hand' ORDER BY r.created_at DESC, r.id DESC FOR UPDATE OF r`,
    productId, warehouseId,
  ));
  return releaseExcess(tx, rows, new Decimal(level?.on_hand ?? 0), 'on-hand stock was loaded lower than what was reserved on it');
}

/** A supply shrank (or was cancelled) below what is reserved on it: release the newest reservations until it fits. */
async function releaseExcessSupply(tx: Tx, supplyId: string): Promise<ReleasedByLoad[]> {
  const [supply] = await tx.$queryRawUnsafe<{ open: string; reference: string }[]>(
    `SELECT (CASE WHEN status = 'open' THEN quantity - received ELSE 0 END)::text AS open, reference FROM incoming_supply WHERE id = $1`,
    supplyId,
  );
  const rows = normalised(await tx.$queryRawUnsafe<ActiveReservationRow[]>(
    `SELECT r.id, r.order_id, r.line_position, r.product_id, r.warehouse_id, r.source, r.supply_id, r.quantity::text AS quantity, r.needed_by::text AS needed_by, p.sku
     FROM reservation r JOIN product p ON p.id = r.product_id
     WHERE r.supply_id = $1 AND r.status = 'active' AND r.source = 'incoming' ORDER BY r.created_at DESC, r.id DESC FOR UPDATE OF r`,
    supplyId,
  ));
  return releaseExcess(tx, rows, new Decimal(supply?.open ?? 0), `supply ${supply?.reference ?? supplyId} was reduced below what was reserved on it`);
}

/**
 * A supply now arrives later: reservations on it for orders needed before the new date no longer
 * keep their promise, so they are released and their orders go back to the review queue.
 */
async function releaseLateSupply(tx: Tx, supplyId: string, expectedOn: string): Promise<ReleasedByLoad[]> {
  const rows = normalised(await tx.$queryRawUnsafe<ActiveReservationRow[]>(
    `SELECT r.id, r.order_id, r.line_position, r.product_id, r.warehouse_id, r.source, r.supply_id, r.quantity::text AS quantity, r.needed_by::text AS needed_by, p.sku, s.reference
     FROM reservation r JOIN product p ON p.id = r.product_id JOIN incoming_supply s ON s.id = r.supply_id
     WHERE r.supply_id = $1 AND r.status = 'active' AND r.source = 'incoming' AND r.needed_by < $2::date ORDER BY r.created_at DESC, r.id DESC FOR UPDATE OF r`,
    supplyId,
    expectedOn,
  ));
  const reference = (rows[0] as { reference?: string } | undefined)?.reference ?? supplyId;
  return releaseExcess(tx, rows, ZERO, `supply ${reference} now arrives on ${expectedOn}, after the date these orders need it`);
}

async function releaseExcess(tx: Tx, newestFirst: ActiveReservationRow[], capacity: Decimal, why: string): Promise<ReleasedByLoad[]> {
  let excess = newestFirst.reduce((sum, r) => sum.plus(r.quantity), ZERO).minus(capacity);
  const released: ReleasedByLoad[] = [];
  for (const r of newestFirst) {
    if (excess.lte(0)) break;
    const cut = Decimal.min(excess, r.quantity);
    if (cut.eq(r.quantity)) {
      await releaseReservations(tx, [r], 'release', why);
    } else {
      // Reduce in place: the ledger row takes back only the part that no longer fits.
      await tx.$executeRawUnsafe(`UPDATE reservation SET quantity = quantity - $2::numeric, updated_at = now() WHERE id = $1`, r.id, cut.toString());
      await insertMovements(tx, [
        { product_id: r.product_id, warehouse_id: r.warehouse_id, kind: 'release', reserved_delta: neg(cut), supply_id: r.source === 'incoming' ? r.supply_id : null, reservation_id: r.id, order_id: r.order_id, reason: why },
      ]);
    }
    released.push({ orderId: r.order_id, reservationId: r.id, sku: r.sku, quantity: cut.toString(), why });
    excess = excess.minus(cut);
  }
  // The orders' latest checks no longer hold: back to the manual-review queue.
  for (const orderId of new Set(released.map((r) => r.orderId))) {
    const lost = released.filter((r) => r.orderId === orderId).map((r) => `${r.quantity} ${r.sku}`).join(', ');
    await tx.$executeRawUnsafe(
      `UPDATE stock_check SET review_status = 'open', result = CASE WHEN result = 'confirmed' THEN 'partial' ELSE result END, resolution = NULL, resolved_by = NULL, resolved_at = NULL,
         reason = concat_ws('; ', reason, $2::text)
       WHERE id = (SELECT id FROM stock_check WHERE order_id = $1 ORDER BY order_version DESC LIMIT 1)`,
      orderId, `released ${lost}: ${why}`,
    );
  }
  return released;
}

async function warehouseCodes(tx: Tx, ids: string[]): Promise<Map<string, string>> {
  const rows = await tx.warehouse.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, code: true } });
  return new Map(rows.map((r) => [r.id, r.code]));
}

async function insertMovements(tx: Tx, movements: Movement[]): Promise<void> {
  await insertRows(
    tx,
    'stock_movement',
    MOVEMENT_COLUMNS,
    movements.map((m) => ({
      product_id: m.product_id, warehouse_id: m.warehouse_id, kind: m.kind, on_hand_delta: m.on_hand_delta ?? '0', incoming_delta: m.incoming_delta ?? '0',
      reserved_delta: m.reserved_delta ?? '0', supply_id: m.supply_id ?? null, reservation_id: m.reservation_id ?? null, order_id: m.order_id ?? null, reason: m.reason ?? null,
    })),
  );
}

// ---- small helpers ---------------------------------------------------------------------------------------------------

function sourceView(source: StockSource, quantity: Decimal): SourceView {
  return source.kind === 'on_hand'
    ? { kind: 'on_hand', warehouse: source.warehouseCode, quantity: quantity.toString() }
    : { kind: 'incoming', warehouse: source.warehouseCode, supplyId: source.supplyId, reference: source.reference, expectedOn: source.expectedOn, quantity: quantity.toString() };
}

function overall(verdicts: { status: LineStatus }[] | { verdict: LineVerdict }[]): LineStatus {
  const statuses = verdicts.map((v) => ('verdict' in v ? v.verdict.status : v.status));
  if (statuses.every((s) => s === 'confirmed')) return 'confirmed';
  if (statuses.every((s) => s === 'unavailable')) return 'unavailable';
  return 'partial';
}

function describeShortfall(v: LineVerdict): string {
  return `line ${v.position} ${v.sku ?? '(no SKU)'}: ${v.allocated} of ${v.quantity}${v.reason ? `, ${v.reason}` : ''}`;
}

function checkView(check: {
  id: string; orderId: string; orderVersion: number; result: string; lines: unknown; reviewStatus: string; reason: string | null; resolution: string | null;
  resolvedBy: string | null; resolvedAt: Date | null; note: string | null; createdAt: Date;
}): StockCheckView {
  return {
    id: check.id,
    orderId: check.orderId,
    orderVersion: check.orderVersion,
    result: check.result as LineStatus,
    lines: check.lines as LineVerdict[],
    reviewStatus: check.reviewStatus as ReviewStatus,
    reason: check.reason,
    resolution: check.resolution as ResolveAction | null,
    resolvedBy: check.resolvedBy,
    resolvedAt: check.resolvedAt?.toISOString() ?? null,
    note: check.note,
    createdAt: check.createdAt.toISOString(),
  };
}

function counts(total: number, changed: { inserted: boolean }[]): UpsertCounts {
  const created = changed.filter((c) => c.inserted).length;
  return { created, updated: changed.length - created, unchanged: total - changed.length };
}

/** Later entries of a load win over earlier ones with the same key. */
function lastBy<T>(items: T[], key: (item: T) => string): T[] {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    map.delete(k);
    map.set(k, item);
  }
  return [...map.values()];
}

function num(text: string): string {
  return new Decimal(text).toString();
}

function neg(value: Decimal.Value): string {
  return new Decimal(value).negated().toString();
}

function day(date: Date): IsoDay {
  return date.toISOString().slice(0, 10);
}

/**
 * The channel's answer to an order waits while its stock review is open (core/flows/acknowledgement.ts):
 * when the review ends (decided, or superseded by a newer version) it is due at the next tick, not
 * at its next periodic look.
 */
async function wakeAnswersWaitingForReview(tx: Tx, orderId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE order_step SET next_attempt_at = updated_at
      WHERE order_id = $1 AND step = 'acknowledgement' AND (outcome = 'failed' OR (outcome = 'pending' AND detail->>'waiting' = 'true'))`,
    orderId,
  );
}
