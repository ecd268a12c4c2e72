import { Prisma } from '../db/generated/client.ts';
import type { Database } from '../db/database.ts';

/**
 * What the manufacturer's accounting (1C) says about an order: its number and date there, posted
 * and deletion flags, 1C's status as sent, and the payments and shipments it reported (partial
 * amounts allowed). The paid total and the payment state are derived from the payments, never stored.
 */

export type PaymentState = 'unpaid' | 'partially_paid' | 'paid';

export interface SettlementDocumentView {
  kind: 'payment' | 'shipment';
  externalId: string;
  number: string | null;
  date: string | null;
  operation: string | null;
  amount: string;
  posted: boolean | null;
  deleted: boolean;
}

export interface OrderAccountingView {
  /** Null until 1C has taken or answered the order. */
  onec: {
    number: string | null;
    date: string | null;
    posted: boolean | null;
    deletionMark: boolean | null;
    status: string | null;
    exportedVersion: number | null;
    exportedAt: string | null;
  } | null;
  /** Σ of payments not marked for deletion. */
  paid: string;
  paymentState: PaymentState;
  /** Σ of shipments not marked for deletion. */
  shipped: string;
  documents: SettlementDocumentView[];
}

export function paymentStateOf(paid: Prisma.Decimal, total: Prisma.Decimal): PaymentState {
  if (paid.lte(0)) return 'unpaid';
  return paid.gte(total) ? 'paid' : 'partially_paid';
}

export async function orderAccounting(db: Database, orderId: string, total: Prisma.Decimal): Promise<OrderAccountingView> {
  const [link] = await db.query<{ number_1c: string | null; date_1c: string | null; posted: boolean | null; deletion_mark: boolean | null; status_1c: string | null; exported_version: number | null; exported_at: Date | null }>(
    `SELECT number_1c, date_1c, posted, deletion_mark, status_1c, exported_version, exported_at FROM onec_order_link WHERE order_id = $1`,
    [orderId],
  );
  const documents = await db.query<{ kind: 'payment' | 'shipment'; external_id: string; number: string | null; date: string | null; operation: string | null; amount: string; posted: boolean | null; deleted: boolean }>(
    `SELECT kind, external_id, number, date, operation, amount::text, posted, deleted FROM order_settlement_document WHERE order_id = $1 ORDER BY date NULLS LAST, created_at, external_id`,
    [orderId],
  );
  const sum = (kind: string) => documents.filter((d) => d.kind === kind && !d.deleted).reduce((s, d) => s.plus(d.amount), new Prisma.Decimal(0));
  const paid = sum('payment');
  return {
    onec: link
      ? {
          number: link.number_1c,
          date: link.date_1c,
          posted: link.posted,
          deletionMark: link.deletion_mark,
          status: link.status_1c,
          exportedVersion: link.exported_version,
          exportedAt: link.exported_at ? new Date(link.exported_at).toISOString() : null,
        }
      : null,
    paid: paid.toFixed(),
    paymentState: paymentStateOf(paid, total),
    shipped: sum('shipment').toFixed(),
    documents: documents.map((d) => ({ kind: d.kind, externalId: d.external_id, number: d.number, date: d.date, operation: d.operation, amount: new Prisma.Decimal(d.amount).toFixed(), posted: d.posted, deleted: d.deleted })),
  };
}
