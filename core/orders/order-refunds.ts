import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { OrderRefundDetailsSchema, type MappingError, type OrderDraft, type OrderRefundDetails, type OrderRefundDraft } from '../model/order.ts';
import { firstProblem } from '../model/validate.ts';

/** One refund as the SQL below reads it: `lines` / `refunded_at` null when the draft does not say (the stored ones stay). */
function refundRow(orderId: string, refund: OrderRefundDraft) {
  return {
    id: randomUUID(),
    order_id: orderId,
    external_id: refund.externalId,
    amount: refund.amount,
    reason: refund.reason ?? null,
    lines: refund.lines ?? null,
    refunded_at: refund.refundedAt ?? null,
  };
}

const RECORDSET = `jsonb_to_recordset($1::jsonb) AS k(id text, order_id text, external_id text, amount numeric, reason text, lines jsonb, refunded_at timestamptz)`;

/**
 * Writes refunds onto existing rows and adds the missing ones; returns how many rows changed. Lines and
 * the refund date are replaced only when given: an order summary that carries neither (WooCommerce's
 * `refunds: [{ id, reason, total }]`) never wipes what a refund list wrote.
 */
async function upsertRefunds(tx: Prisma.TransactionClient, rows: ReturnType<typeof refundRow>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const json = JSON.stringify(rows);
  const updated = await tx.$executeRawUnsafe(
    `UPDATE "order_refund" r
        SET amount = k.amount, reason = k.reason, lines = COALESCE(k.lines, r.lines), refunded_at = COALESCE(k.refunded_at, r.refunded_at),
            updated_at = CURRENT_TIMESTAMP
       FROM ${RECORDSET}
      WHERE r.order_id = k.order_id AND r.external_id = k.external_id
        AND (r.amount, r.reason, r.lines, r.refunded_at)
            IS DISTINCT FROM (k.amount, k.reason, COALESCE(k.lines, r.lines), COALESCE(k.refunded_at, r.refunded_at))`,
    json,
  );
  const inserted = await tx.$executeRawUnsafe(
    `INSERT INTO "order_refund" ("id", "order_id", "external_id", "amount", "reason", "lines", "refunded_at")
     SELECT id, order_id, external_id, amount, reason, COALESCE(lines, '[]'::jsonb), refunded_at FROM ${RECORDSET}
     ON CONFLICT ("order_id", "external_id") DO NOTHING`,
    json,
  );
  return updated + inserted;
}

/**
 * Brings an order's refund records in line with what its draft reports, in the intake transaction.
 * Keyed by (order, refund id at the channel), so reading the same refund again changes nothing and a
 * new one adds a row; refunds the channel no longer lists are removed (WooCommerce lets a shop delete
 * a refund). A draft without `refunds` (a mapping that does not read them) leaves the rows as they are.
 * A refund without `lines` / `refundedAt` keeps the stored ones (written from a refund list, see
 * `writeRefundDetails`).
 */
export async function syncOrderRefunds(tx: Prisma.TransactionClient, orders: { orderId: string; draft: OrderDraft }[]): Promise<void> {
  const withRefunds = orders.filter((o) => o.draft.refunds !== undefined);
  if (withRefunds.length === 0) return;
  const rows = withRefunds.flatMap(({ orderId, draft }) => (draft.refunds ?? []).map((refund) => refundRow(orderId, refund)));
  // Refunds the channel no longer lists (the kept ones are rewritten just below).
  await tx.$executeRawUnsafe(
    `DELETE FROM "order_refund" r
      WHERE r.order_id = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS k(order_id text, external_id text)
                         WHERE k.order_id = r.order_id AND k.external_id = r.external_id)`,
    withRefunds.map((o) => o.orderId),
    JSON.stringify(rows.map(({ order_id, external_id }) => ({ order_id, external_id }))),
  );
  await upsertRefunds(tx, rows);
}

export interface RefundDetailsOutcome {
  /** Refund records added or changed. */
  written: number;
  /** Refunds read that were already recorded exactly so. */
  unchanged: number;
  /** Details that could not be written (their order is not in the hub, or they are invalid), by order id. */
  errors: MappingError[];
}

/**
 * Writes refund details read from a payload of their own onto the order's refund records, in one
 * transaction per order under the order's intake lock: the order by (channel, its external id), each
 * refund by its external id; a refund the order's summary did not name yet is added (the list is the
 * fresher word; the next summary that no longer names it removes it). Idempotent: the same details
 * again change nothing. Refunds not named in the details are left alone.
 *
 * An order the hub does not hold (yet) is an error for that order, naming it: the payload is failed,
 * visible and reprocessable once the order is imported (it is never dropped silently).
 */
export async function writeRefundDetails(db: Database, channelId: string, details: OrderRefundDetails[]): Promise<RefundDetailsOutcome> {
  const outcome: RefundDetailsOutcome = { written: 0, unchanged: 0, errors: [] };
  for (const detail of details) {
    const problem = firstProblem(OrderRefundDetailsSchema, detail);
    if (problem) {
      outcome.errors.push({ ref: String(detail?.orderExternalId ?? '?'), message: `refund details: ${problem.field}: ${problem.message}` });
      continue;
    }
    const written = await db.prisma.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked`, `${channelId}|${detail.orderExternalId}`);
      const order = await tx.order.findUnique({ where: { channelId_externalId: { channelId, externalId: detail.orderExternalId } }, select: { id: true } });
      if (!order) return undefined;
      return upsertRefunds(tx, detail.refunds.map((refund) => refundRow(order.id, refund)));
    });
    if (written === undefined) {
      outcome.errors.push({
        ref: detail.orderExternalId,
        message: `the refund details of order ${detail.orderExternalId} arrived, but the hub does not hold that order (yet): reprocess this payload once the order is imported`,
      });
      continue;
    }
    outcome.written += written;
    outcome.unchanged += detail.refunds.length - written;
  }
  return outcome;
}
