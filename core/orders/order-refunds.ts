import { randomUUID } from 'node:crypto';
import type { Prisma } from '../db/generated/client.ts';
import type { OrderDraft } from '../model/order.ts';

/**
 * Brings an order's refund records in line with what its draft reports, in the intake transaction.
 * Keyed by (order, refund id at the channel), so reading the same refund again changes nothing and a
 * new one adds a row; refunds the channel no longer lists are removed (WooCommerce lets a shop delete
 * a refund). A draft without `refunds` (a mapping that does not read them) leaves the rows as they are.
 */
export async function syncOrderRefunds(tx: Prisma.TransactionClient, orders: { orderId: string; draft: OrderDraft }[]): Promise<void> {
  const withRefunds = orders.filter((o) => o.draft.refunds !== undefined);
  if (withRefunds.length === 0) return;
  const rows = withRefunds.flatMap(({ orderId, draft }) =>
    (draft.refunds ?? []).map((refund) => ({
      id: randomUUID(),
      order_id: orderId,
      external_id: refund.externalId,
      amount: refund.amount,
      reason: refund.reason ?? null,
      lines: refund.lines ?? [],
      refunded_at: refund.refundedAt ?? null,
    })),
  );
  // Refunds the channel no longer lists (the kept ones are rewritten just below).
  await tx.$executeRawUnsafe(
    `DELETE FROM "order_refund" r
      WHERE r.order_id = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS k(order_id text, external_id text)
                         WHERE k.order_id = r.order_id AND k.external_id = r.external_id)`,
    withRefunds.map((o) => o.orderId),
    JSON.stringify(rows.map(({ order_id, external_id }) => ({ order_id, external_id }))),
  );
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO "order_refund" ("id", "order_id", "external_id", "amount", "reason", "lines", "refunded_at")
     SELECT id, order_id, external_id, amount, reason, lines, refunded_at
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, order_id text, external_id text, amount numeric, reason text, lines jsonb, refunded_at timestamptz)
     ON CONFLICT ("order_id", "external_id") DO UPDATE
        SET amount = EXCLUDED.amount, reason = EXCLUDED.reason, lines = EXCLUDED.lines, refunded_at = EXCLUDED.refunded_at, updated_at = CURRENT_TIMESTAMP
      WHERE (order_refund.amount, order_refund.reason, order_refund.lines, order_refund.refunded_at)
            IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.reason, EXCLUDED.lines, EXCLUDED.refunded_at)`,
    JSON.stringify(rows),
  );
}
