import { orderAccounting, type OrderAccountingView } from './order-settlements.ts';
import { orderSteps, type OrderStepView } from '../flows/order-steps.ts';
import type { Database } from '../db/database.ts';
import { Prisma } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import type { Address } from '../model/common.ts';
import type { Customer, OrderDraft, OrderSource } from '../model/order.ts';
import type { FieldChange } from './order-diff.ts';
import { addressWithoutContacts, changeWithoutContacts, customerWithoutContacts } from './client-contacts.ts';
import { isOrderStatus, type OrderStatus } from './order-status.ts';

/**
 * What a caller may see. Every read query takes one, so a narrower view is a narrower scope, not a
 * new query. `channelIds`: undefined means every channel, an empty list means none; out-of-scope
 * rows read as not found. `contacts`: whether the caller's role sees clients' phones and e-mails.
 */
export interface AccessScope {
  readonly channelIds?: readonly string[] | undefined;
  /** False: clients' phones and e-mails are left out, and searching by e-mail is off (client-contacts.ts). */
  readonly contacts?: boolean | undefined;
}

export const FULL_ACCESS: AccessScope = Object.freeze({});

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface OrderFilter {
  channelId?: string | undefined;
  /** One status or several (any of them). */
  status?: string | readonly string[] | undefined;
  /** Inclusive. An ISO instant, or a calendar date meaning its start (UTC). */
  placedFrom?: string | undefined;
  /** Inclusive. An ISO instant, or a calendar date meaning through its end (UTC). */
  placedTo?: string | undefined;
  region?: string | undefined;
  /** Case-insensitive substring of the order number, external id, customer name or e-mail. */
  text?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface OrderTotalsView {
  subtotal: string;
  discount: string;
  shipping: string;
  fee: string;
  tax: string;
  total: string;
  /** Σ of the order's refunds (0 without any). */
  refunded: string;
  /** total − refunded: what the customer paid and kept paid. */
  netTotal: string;
}

export interface OrderSummary {
  id: string;
  channelId: string;
  channel: { name: string; kind: string };
  externalId: string;
  number: string | null;
  status: OrderStatus;
  sourceStatus: string | null;
  sourceStatusId: string | null;
  customer: Customer;
  region: string | null;
  currency: string;
  totals: OrderTotalsView;
  placedAt: string;
  sourceUpdatedAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface OrderLineView {
  id: string;
  position: number;
  kind: OrderLineKind;
  externalId: string | null;
  sku: string | null;
  name: string;
  quantity: string;
  unitPrice: string;
  subtotal: string;
  discount: string;
  tax: string;
  total: string;
  attributes: Record<string, unknown>;
}

export interface OrderVersionView {
  version: number;
  contentHash: string;
  changes: FieldChange[];
  rawPayloadId: string | null;
  createdAt: string;
  /** The full draft of this version; only with `includeSnapshots`. */
  snapshot?: OrderDraft;
}

export type OrderLineKind = OrderDraft['lines'][number]['kind'];

export interface OrderRefundView {
  /** The refund's id at the channel. */
  externalId: string;
  /** Positive. */
  amount: string;
  reason: string | null;
  /** Refunded lines as the channel reports them; empty when only the amount is known. */
  lines: Record<string, unknown>[];
  refundedAt: string | null;
}

export interface OrderDetail extends OrderSummary {
  source: OrderSource;
  billingAddress: Address | null;
  shippingAddress: Address | null;
  notes: string | null;
  desiredDeliveryDate: string | null;
  contentHash: string;
  lines: OrderLineView[];
  /** Refunds the channel reports, oldest first. */
  refunds: OrderRefundView[];
  /** Every version, oldest first. */
  history: OrderVersionView[];
  /** What the hub did with the order, step by step (core/flows), oldest first: failed steps show their error and next attempt. */
  lifecycle: OrderStepView[];
  /** What the manufacturer's accounting (1C) says: its number and date, payments and shipments, the payment state. */
  accounting: OrderAccountingView;
}

/**
 * Orders newest first (placed_at desc, id desc) with keyset pagination: a page never repeats or
 * skips a row however many orders arrive meanwhile (new ones sort before the cursor).
 */
export async function listOrders(db: Database, filter: OrderFilter = {}, scope: AccessScope = FULL_ACCESS): Promise<Page<OrderSummary>> {
  const limit = pageSize(filter.limit);
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };

  if (scope.channelIds !== undefined) where.push(`o.channel_id = ANY(${param([...scope.channelIds])}::text[])`);
  if (filter.channelId !== undefined) where.push(`o.channel_id = ${param(filter.channelId)}`);
  const statuses = statusList(filter.status);
  if (statuses) where.push(`o.status = ANY(${param(statuses)}::text[])`);
  if (filter.placedFrom !== undefined) where.push(`o.placed_at >= ${param(instant(filter.placedFrom, 'placedFrom', 'start'))}::timestamptz`);
  if (filter.placedTo !== undefined) {
    const to = instant(filter.placedTo, 'placedTo', 'end');
    // A bare date covers its whole day: everything before the next midnight.
    where.push(isDate(filter.placedTo) ? `o.placed_at < ${param(to)}::timestamptz` : `o.placed_at <= ${param(to)}::timestamptz`);
  }
  if (filter.region !== undefined) where.push(`o.region = ${param(filter.region)}`);
  const text = filter.text?.trim();
  if (text) {
    const pattern = param(`%${escapeLike(text)}%`);
    where.push(
      scope.contacts === false
        ? `(o.number ILIKE ${pattern} OR o.external_id ILIKE ${pattern} OR o.customer->>'name' ILIKE ${pattern})`
        : `(o.number ILIKE ${pattern} OR o.external_id ILIKE ${pattern} OR o.customer->>'name' ILIKE ${pattern} OR o.customer->>'email' ILIKE ${pattern})`,
    );
  }
  if (filter.cursor !== undefined) {
    const cursor = decodeCursor(filter.cursor);
    where.push(`(o.placed_at, o.id) < (${param(cursor.at)}::timestamptz, ${param(cursor.id)})`);
  }

  const sql = `SELECT o.id FROM "order" o
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY o.placed_at DESC, o.id DESC
    LIMIT ${param(limit + 1)}`;
  const ids = (await db.query<{ id: string }>(sql, params)).map((r) => r.id);
  const hasMore = ids.length > limit;
  const pageIds = ids.slice(0, limit);
  if (pageIds.length === 0) return { items: [], nextCursor: null };

  const rows = await db.prisma.order.findMany({
    where: { id: { in: pageIds } },
    include: { channel: { select: { name: true, kind: true } }, refunds: { select: { amount: true } } },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  // Rows deleted between the two reads are simply left out.
  const items = pageIds.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    const summary = toSummary(row);
    return [scope.contacts === false ? { ...summary, customer: customerWithoutContacts(summary.customer) } : summary];
  });
  const last = items[items.length - 1];
  return { items, nextCursor: hasMore && last ? encodeCursor({ at: last.placedAt, id: last.id }) : null };
}

/** One order with its lines (by position) and its history (oldest version first). */
export async function getOrder(
  db: Database,
  id: string,
  options: { includeSnapshots?: boolean | undefined } = {},
  scope: AccessScope = FULL_ACCESS,
): Promise<OrderDetail> {
  const order = await findOrder(db, id, options.includeSnapshots === true);
  if (!order || !inScope(scope, order.channelId)) throw new HubError('not_found', `Order ${id} does not exist.`);
  const detail = { ...orderDetail(order, options), lifecycle: await orderSteps(db, id), accounting: await orderAccounting(db, id, order.total) };
  if (scope.contacts !== false) return detail;
  return {
    ...detail,
    customer: customerWithoutContacts(detail.customer),
    billingAddress: addressWithoutContacts(detail.billingAddress),
    shippingAddress: addressWithoutContacts(detail.shippingAddress),
    history: detail.history.map(({ snapshot: _snapshot, ...version }) => ({ ...version, changes: version.changes.map(changeWithoutContacts) })),
  };
}

type OrderWithDetails = NonNullable<Awaited<ReturnType<typeof findOrder>>>;

function findOrder(db: Database, id: string, includeSnapshots: boolean) {
  return db.prisma.order.findUnique({
    where: { id },
    include: {
      channel: { select: { name: true, kind: true } },
      lines: { orderBy: { position: 'asc' } },
      refunds: true,
      versions: {
        orderBy: { version: 'asc' },
        select: { version: true, contentHash: true, changes: true, rawPayloadId: true, createdAt: true, snapshot: includeSnapshots },
      },
    },
  });
}

function orderDetail(order: OrderWithDetails, options: { includeSnapshots?: boolean | undefined }): Omit<OrderDetail, 'lifecycle' | 'accounting'> {
  return {
    ...toSummary(order),
    // JSON columns hold what intake validated against the core model.
    source: asObject(order.source) as OrderSource,
    billingAddress: order.billingAddress === null ? null : (asObject(order.billingAddress) as Address),
    shippingAddress: order.shippingAddress === null ? null : (asObject(order.shippingAddress) as Address),
    notes: order.notes,
    desiredDeliveryDate: order.desiredDeliveryDate ? order.desiredDeliveryDate.toISOString().slice(0, 10) : null,
    contentHash: order.contentHash,
    lines: order.lines.map((line) => ({
      id: line.id,
      position: line.position,
      kind: line.kind as OrderLineKind,
      externalId: line.externalId,
      sku: line.sku,
      name: line.name,
      quantity: decimal(line.quantity),
      unitPrice: decimal(line.unitPrice),
      subtotal: decimal(line.subtotal),
      discount: decimal(line.discount),
      tax: decimal(line.tax),
      total: decimal(line.total),
      attributes: asObject(line.attributes),
    })),
    refunds: [...order.refunds].sort(oldestRefundFirst).map((refund) => ({
      externalId: refund.externalId,
      amount: decimal(refund.amount),
      reason: refund.reason,
      lines: (Array.isArray(refund.lines) ? refund.lines : []) as Record<string, unknown>[],
      refundedAt: refund.refundedAt ? refund.refundedAt.toISOString() : null,
    })),
    history: order.versions.map((v) => ({
      version: v.version,
      contentHash: v.contentHash,
      changes: (Array.isArray(v.changes) ? v.changes : []) as unknown as FieldChange[],
      rawPayloadId: v.rawPayloadId,
      createdAt: v.createdAt.toISOString(),
      ...(options.includeSnapshots === true && { snapshot: (v as { snapshot?: unknown }).snapshot as OrderDraft }),
    })),
  };
}

export function inScope(scope: AccessScope, channelId: string): boolean {
  return scope.channelIds === undefined || scope.channelIds.includes(channelId);
}

/** Page size within [1, MAX_PAGE_SIZE]; anything else is the caller's mistake. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new HubError('invalid_data', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, { field: 'limit' });
  }
  return limit;
}

export interface CursorPosition {
  /** ISO instant of the last row's sort time. */
  at: string;
  id: string;
}

/** Cursors are opaque to callers: base64url JSON of the last row's sort key. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
    }
  } catch {
    // fall through
  }
  throw new HubError('invalid_data', 'cursor is not one this API handed out.', { field: 'cursor' });
}

/** Decimal columns leave the hub as plain decimal strings (never floats, never exponent notation). */
export function decimal(value: Prisma.Decimal): string {
  return value.toFixed();
}

function statusList(status: OrderFilter['status']): OrderStatus[] | undefined {
  if (status === undefined) return undefined;
  const list = (typeof status === 'string' ? status.split(',') : [...status]).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  for (const s of list) {
    if (!isOrderStatus(s)) throw new HubError('invalid_data', `"${s}" is not an order status.`, { field: 'status' });
  }
  return list as OrderStatus[];
}

function isDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value);
}

function instant(value: string, field: string, edge: 'start' | 'end'): string {
  const time = isDate(value) ? Date.parse(`${value}T00:00:00Z`) + (edge === 'end' ? 86_400_000 : 0) : Date.parse(value);
  if (Number.isNaN(time)) throw new HubError('invalid_data', `${field} must be an ISO date or date-time.`, { field });
  return new Date(time).toISOString();
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

type OrderRow = Prisma.OrderGetPayload<{ include: { channel: { select: { name: true; kind: true } } } }> & { refunds: { amount: Prisma.Decimal }[] };

function toSummary(order: OrderRow): OrderSummary {
  const refunded = order.refunds.reduce((sum, refund) => sum.plus(refund.amount), new Prisma.Decimal(0));
  return {
    id: order.id,
    channelId: order.channelId,
    channel: { name: order.channel.name, kind: order.channel.kind },
    externalId: order.externalId,
    number: order.number,
    status: order.status as OrderStatus,
    sourceStatus: order.sourceStatus,
    sourceStatusId: order.sourceStatusId,
    customer: asObject(order.customer) as Customer,
    region: order.region,
    currency: order.currency,
    totals: {
      subtotal: decimal(order.subtotal),
      discount: decimal(order.discountTotal),
      shipping: decimal(order.shippingTotal),
      fee: decimal(order.feeTotal),
      tax: decimal(order.taxTotal),
      total: decimal(order.total),
      refunded: decimal(refunded),
      netTotal: decimal(order.total.minus(refunded)),
    },
    placedAt: order.placedAt.toISOString(),
    sourceUpdatedAt: order.sourceUpdatedAt ? order.sourceUpdatedAt.toISOString() : null,
    version: order.version,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/**
 * Oldest refund first: by date when the channel gives one, else by the channel's id read as a
 * number where it is one (WooCommerce's summaries carry no date, and refund 99 comes before 100).
 */
function oldestRefundFirst(a: { refundedAt: Date | null; externalId: string }, b: { refundedAt: Date | null; externalId: string }): number {
  if (a.refundedAt && b.refundedAt && a.refundedAt.getTime() !== b.refundedAt.getTime()) return a.refundedAt.getTime() - b.refundedAt.getTime();
  if (a.refundedAt && !b.refundedAt) return -1;
  if (!a.refundedAt && b.refundedAt) return 1;
  return a.externalId.localeCompare(b.externalId, 'en', { numeric: true });
}
