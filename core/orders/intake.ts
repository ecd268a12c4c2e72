import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { insertRows, type SqlType } from '../db/bulk-insert.ts';
import { isDataError, sqlMessageOf } from '../db/sql-errors.ts';
import { Prisma } from '../db/generated/client.ts';
import { OrderDraftSchema, type OrderDraft } from '../model/order.ts';
import { firstProblem } from '../model/validate.ts';
import { orderContentHash } from './content-hash.ts';
import { syncOrderRefunds } from './order-refunds.ts';
import { diffFields, type FieldChange } from './order-diff.ts';
import { checkTransition, type OrderStatus } from './order-status.ts';

export type IntakeOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'rejected';

export interface IntakeResult {
  externalId: string;
  outcome: IntakeOutcome;
  orderId?: string;
  version?: number;
  changes?: FieldChange[];
  /** Why a draft was rejected. */
  error?: string;
}

export interface IntakeInput {
  channelId: string;
  drafts: OrderDraft[];
  /** The archived payload the drafts were read from, linked from each new version. */
  rawPayloadId?: string | undefined;
}

type Tx = Prisma.TransactionClient;

interface StoredOrder {
  id: string;
  externalId: string;
  contentHash: string;
  version: number;
  status: string;
  sourceStatus: string | null;
  statusBy: string;
  sourceUpdatedAt: Date | null;
}

/**
 * Turns order drafts into core orders, idempotently. The same (channel, external id) is always one
 * order: a new one is created, a changed one becomes the next version with a history row, an
 * unchanged one is a no-op, and one older than what we hold (by the source's modification time)
 * is ignored as stale. Safe against concurrent intakes of the same orders: every key is locked
 * with a transaction-scoped advisory lock (taken in sorted order, so two batches cannot deadlock)
 * and the unique index on (channel_id, external_id) is the last guard.
 */
export async function ingestOrders(db: Database, input: IntakeInput): Promise<IntakeResult[]> {
  const results: IntakeResult[] = [];
  const accepted = new Map<string, { draft: OrderDraft; hash: string }>();
  for (const raw of input.drafts) {
    const draft = withoutNul(raw);
    const problem = firstProblem(OrderDraftSchema, draft);
    if (problem) {
      results.push({ externalId: String(draft?.externalId ?? '?'), outcome: 'rejected', error: `${problem.field}: ${problem.message}` });
      continue;
    }
    // A payload may carry the same order twice; the newest wins.
    const previous = accepted.get(draft.externalId);
    if (!previous || !isOlder(draft.sourceUpdatedAt, previous.draft.sourceUpdatedAt)) {
      accepted.set(draft.externalId, { draft, hash: orderContentHash(draft) });
    }
  }
  if (accepted.size === 0) return results;

  const write = (batch: { draft: OrderDraft; hash: string }[]) =>
    db.prisma.$transaction((tx) => writeDrafts(tx, input.channelId, batch, input.rawPayloadId), { timeout: 120_000, maxWait: 120_000 });
  const batch = [...accepted.values()];
  try {
    return [...results, ...(await write(batch))];
  } catch (error) {
    if (!isDataError(error)) throw error; // an outage: the caller retries the whole payload later
  }
  // The database refused a value of some draft (validation cannot foresee every one): write the
  // drafts one by one so that one poisoned order is rejected and the others are still taken.
  for (const one of batch) {
    try {
      results.push(...(await write([one])));
    } catch (error) {
      if (!isDataError(error)) throw error;
      results.push({ externalId: one.draft.externalId, outcome: 'rejected', error: `the database refused it: ${sqlMessageOf(error)}` });
    }
  }
  return results;
}

/** PostgreSQL text cannot hold NUL; sources do send it (pasted notes), so it is dropped on the way in. */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replaceAll('\u0000', '') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') {
    const clean: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) clean[withoutNul(key)] = withoutNul(v);
    return clean as T;
  }
  return value;
}

async function writeDrafts(
  tx: Tx,
  channelId: string,
  drafts: { draft: OrderDraft; hash: string }[],
  rawPayloadId: string | undefined,
): Promise<IntakeResult[]> {
  const externalIds = drafts.map((d) => d.draft.externalId);
  await tx.$queryRawUnsafe(
    `SELECT count(*)::int AS locked FROM (
       SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) AS keys
     ) AS l`,
    externalIds.map((id) => `${channelId}|${id}`),
  );
  const stored = await tx.order.findMany({
    where: { channelId, externalId: { in: externalIds } },
    select: { id: true, externalId: true, contentHash: true, version: true, status: true, sourceStatus: true, statusBy: true, sourceUpdatedAt: true },
  });
  const byExternalId = new Map<string, StoredOrder>(stored.map((o) => [o.externalId, o]));

  const results: IntakeResult[] = [];
  const creates: { id: string; draft: OrderDraft; hash: string }[] = [];
  const updates: { order: StoredOrder; draft: OrderDraft; hash: string }[] = [];
  for (const { draft, hash } of drafts) {
    const order = byExternalId.get(draft.externalId);
    if (!order) creates.push({ id: randomUUID(), draft, hash });
    else if (order.contentHash === hash) results.push({ externalId: draft.externalId, outcome: 'unchanged', orderId: order.id, version: order.version });
    else if (isOlder(draft.sourceUpdatedAt, order.sourceUpdatedAt?.toISOString())) {
      results.push({ externalId: draft.externalId, outcome: 'stale', orderId: order.id, version: order.version });
    } else updates.push({ order, draft, hash });
  }

  if (creates.length > 0) {
    await insertRows(tx, 'order', ORDER_COLUMNS, creates.map(({ id, draft, hash }) => ({ id, channel_id: channelId, ...orderColumns(draft, draft.status), content_hash: hash, version: 1 })));
    await insertRows(tx, 'order_line', LINE_COLUMNS, creates.flatMap(({ id, draft }) => lineRows(id, draft)));
    await insertRows(tx, 'order_version', VERSION_COLUMNS, creates.map(({ id, draft, hash }) => ({ id: randomUUID(), order_id: id, version: 1, content_hash: hash, changes: [], snapshot: draft, raw_payload_id: rawPayloadId ?? null })));
    for (const { id, draft } of creates) results.push({ externalId: draft.externalId, outcome: 'created', orderId: id, version: 1 });
  }

  if (updates.length > 0) {
    const previous = await tx.orderVersion.findMany({
      where: { OR: updates.map(({ order }) => ({ orderId: order.id, version: order.version })) },
      select: { orderId: true, snapshot: true },
    });
    const previousSnapshot = new Map(previous.map((v) => [v.orderId, v.snapshot]));
    for (const { order, draft, hash } of updates) {
      const changes = diffFields(previousSnapshot.get(order.id) ?? {}, toJson(draft)).filter((c) => !c.field.startsWith('transport'));
      let status = draft.status as string;
      // The channel's own status moved: from now on the channel set the core status (if the table allows it).
      let statusBy = (draft.sourceStatus ?? null) !== order.sourceStatus ? 'channel' : order.statusBy;
      if (draft.status !== order.status) {
        const verdict =
          order.statusBy === 'hub' && (draft.sourceStatus ?? null) === order.sourceStatus
            ? // A dealer or an admin moved the order on; the channel still reports what it said before, which is no news.
              ({ allowed: false, reason: `the hub made it ${order.status} and the channel still reports ${order.sourceStatus ?? 'its earlier status'}` } as const)
            : checkTransition(order.status as OrderStatus, draft.status);
        if (!verdict.allowed) {
          statusBy = order.statusBy;
          status = order.status;
          const statusChange = changes.find((c) => c.field === 'status');
          const refused = { field: 'status', from: order.status, to: draft.status, refused: verdict.reason };
          if (statusChange) Object.assign(statusChange, refused);
          else changes.push(refused);
        }
      }
      const version = order.version + 1;
      await tx.order.update({ where: { id: order.id }, data: { ...orderFields(draft, status), statusBy, contentHash: hash, version } });
      await tx.orderLine.deleteMany({ where: { orderId: order.id } });
      await insertRows(tx, 'order_line', LINE_COLUMNS, lineRows(order.id, draft));
      await insertRows(tx, 'order_version', VERSION_COLUMNS, [{ id: randomUUID(), order_id: order.id, version, content_hash: hash, changes, snapshot: draft, raw_payload_id: rawPayloadId ?? null }]);
      results.push({ externalId: draft.externalId, outcome: 'updated', orderId: order.id, version, changes });
    }
  }
  await syncOrderRefunds(tx, [...creates.map(({ id, draft }) => ({ orderId: id, draft })), ...updates.map(({ order, draft }) => ({ orderId: order.id, draft }))]);
  return results;
}

function orderFields(draft: OrderDraft, status: string) {
  return {
    externalId: draft.externalId,
    number: draft.number ?? null,
    status,
    sourceStatus: draft.sourceStatus ?? null,
    sourceStatusId: draft.sourceStatusId ?? null,
    source: toJson(draft.source),
    customer: toJson(draft.customer),
    billingAddress: draft.billingAddress ? toJson(draft.billingAddress) : Prisma.DbNull,
    shippingAddress: draft.shippingAddress ? toJson(draft.shippingAddress) : Prisma.DbNull,
    region: draft.region ?? null,
    currency: draft.currency,
    subtotal: draft.totals.subtotal,
    discountTotal: draft.totals.discount,
    shippingTotal: draft.totals.shipping,
    feeTotal: draft.totals.fee,
    taxTotal: draft.totals.tax,
    total: draft.totals.total,
    notes: draft.notes ?? null,
    desiredDeliveryDate: draft.desiredDeliveryDate ? new Date(`${draft.desiredDeliveryDate}T00:00:00Z`) : null,
    placedAt: new Date(draft.placedAt),
    sourceUpdatedAt: draft.sourceUpdatedAt ? new Date(draft.sourceUpdatedAt) : null,
  };
}

/** Column values of an order row, shared by the bulk insert of new orders. */
function orderColumns(draft: OrderDraft, status: string): Record<string, unknown> {
  return {
    external_id: draft.externalId,
    number: draft.number ?? null,
    status,
    source_status: draft.sourceStatus ?? null,
    source_status_id: draft.sourceStatusId ?? null,
    source: draft.source,
    customer: draft.customer,
    billing_address: draft.billingAddress ?? null,
    shipping_address: draft.shippingAddress ?? null,
    region: draft.region ?? null,
    currency: draft.currency,
    subtotal: draft.totals.subtotal,
    discount_total: draft.totals.discount,
    shipping_total: draft.totals.shipping,
    fee_total: draft.totals.fee,
    tax_total: draft.totals.tax,
    total: draft.totals.total,
    notes: draft.notes ?? null,
    desired_delivery_date: draft.desiredDeliveryDate ?? null,
    placed_at: draft.placedAt,
    source_updated_at: draft.sourceUpdatedAt ?? null,
  };
}

const ORDER_COLUMNS: Record<string, SqlType> = {
  id: 'text', channel_id: 'text', external_id: 'text', number: 'text', status: 'text', source_status: 'text', source_status_id: 'text', source: 'jsonb',
  customer: 'jsonb', billing_address: 'jsonb', shipping_address: 'jsonb', region: 'text', currency: 'text', subtotal: 'numeric',
  discount_total: 'numeric', shipping_total: 'numeric', fee_total: 'numeric', tax_total: 'numeric', total: 'numeric', notes: 'text',
  desired_delivery_date: 'date', placed_at: 'timestamptz', source_updated_at: 'timestamptz', content_hash: 'text', version: 'int',
};

const LINE_COLUMNS: Record<string, SqlType> = {
  id: 'text', order_id: 'text', position: 'int', kind: 'text', external_id: 'text', sku: 'text', name: 'text', quantity: 'numeric',
  unit_price: 'numeric', subtotal: 'numeric', discount: 'numeric', tax: 'numeric', total: 'numeric', attributes: 'jsonb',
};

const VERSION_COLUMNS: Record<string, SqlType> = {
  id: 'text', order_id: 'text', version: 'int', content_hash: 'text', changes: 'jsonb', snapshot: 'jsonb', raw_payload_id: 'text',
};

function lineRows(orderId: string, draft: OrderDraft): Record<string, unknown>[] {
  return draft.lines.map((line, index) => ({
    id: randomUUID(),
    order_id: orderId,
    position: index + 1,
    kind: line.kind,
    external_id: line.externalId ?? null,
    sku: line.sku ?? null,
    name: line.name,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    subtotal: line.subtotal,
    discount: line.discount,
    tax: line.tax,
    total: line.total,
    attributes: line.attributes,
  }));
}

function isOlder(candidate: string | undefined, than: string | undefined): boolean {
  return candidate !== undefined && than !== undefined && Date.parse(candidate) < Date.parse(than);
}

function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}
