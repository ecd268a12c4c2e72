import type { Prisma } from '../db/generated/client.ts';
import type { Queryable } from './decision-facts.ts';

/**
 * The rows a distribution leaves besides itself, written inside the caller's transaction: offers
 * withdrawn, notices to dealers and admins, and the events of its history.
 */

type Tx = Prisma.TransactionClient;

export function queryable(tx: Tx): Queryable {
  return { query: <T>(sql: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(sql, ...params) };
}

export async function withdrawOffers(tx: Tx, orderId: string, now: Date): Promise<void> {
  await tx.$executeRawUnsafe(`UPDATE dealer_offer SET status = 'withdrawn', responded_at = $2::timestamptz WHERE order_id = $1 AND status = 'open'`, orderId, now.toISOString());
}

/** Notifies every dealer whose open offer is visible and not yet notified (of one order, or of all). */
export async function notifyVisible(tx: Tx, now: Date, orderId?: string): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ n: number }[]>(
    `WITH visible AS (
       UPDATE dealer_offer o SET notified_at = $1::timestamptz
        WHERE o.id IN (SELECT id FROM dealer_offer WHERE status = 'open' AND notified_at IS NULL AND visible_from <= $1::timestamptz
                         AND (expires_at IS NULL OR expires_at > $1::timestamptz)
                         AND ($2::text IS NULL OR order_id = $2) ORDER BY visible_from LIMIT 10000 FOR UPDATE SKIP LOCKED)
       RETURNING o.order_id, o.dealer_id, o.tier_kind, o.expires_at),
     sent AS (
       INSERT INTO notification (dealer_id, order_id, kind, message, created_at)
       SELECT v.dealer_id, v.order_id, 'offered',
              'Order ' || coalesce(ord.number, ord.id) || coalesce(' (' || ord.region || ')', '') || ' is offered to you'
                || CASE WHEN v.expires_at IS NULL THEN '' ELSE ' until ' || to_char(v.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' END || '.',
              $1::timestamptz
         FROM visible v JOIN "order" ord ON ord.id = v.order_id
       RETURNING 1),
     logged AS (
       INSERT INTO distribution_event (order_id, kind, actor, detail, created_at)
       SELECT v.order_id, 'offer_visible', 'hub', jsonb_build_object('tier', v.tier_kind, 'dealers', jsonb_agg(d.code ORDER BY d.code)), $1::timestamptz
         FROM visible v JOIN dealer d ON d.id = v.dealer_id GROUP BY v.order_id, v.tier_kind
       RETURNING 1)
     SELECT (SELECT count(*) FROM sent)::int AS n, (SELECT count(*) FROM logged)::int AS events`,
    now.toISOString(), orderId ?? null,
  );
  return rows[0]?.n ?? 0;
}

export async function event(tx: Tx, orderId: string, kind: string, dealerId: string | null, actor: string, detail: Record<string, unknown>, now: Date): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO distribution_event (order_id, kind, dealer_id, actor, detail, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz)`,
    orderId, kind, dealerId, actor, JSON.stringify(detail), now.toISOString(),
  );
}

export async function notify(tx: Tx, dealerId: string | null, orderId: string, kind: string, message: string, now: Date): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO notification (dealer_id, order_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5::timestamptz)`,
    dealerId, orderId, kind, message, now.toISOString(),
  );
}
