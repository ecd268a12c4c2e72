import type { Database } from '../db/database.ts';

/**
 * What the dealer cabinet's live events are made of (GET /v1/dealers/:code/events): the new rows of
 * distribution_event and notification, read by id, and which dealers each concerns. Pure reads, no
 * timers: the API's poller (api/routes/v1/dealers/events.ts) calls them once a second while a
 * stream is open, so a change written by any process (the API, the worker that distributes) reaches
 * the dealers' open streams in every API process.
 */

export type OrderChangeReason = 'offered' | 'taken' | 'lost' | 'changed';

export interface FeedOrderEvent {
  /** The distribution_event row's id. */
  id: string;
  orderId: string;
  kind: string;
  /** Dealer code → why it hears about the order. */
  dealers: Map<string, OrderChangeReason>;
}

export interface FeedNotification {
  id: string;
  /** Null: the manufacturer's notification (no dealer stream hears it). */
  dealer: string | null;
  kind: string;
  message: string;
  orderId: string | null;
}

export interface FeedCursor {
  event: bigint;
  notification: bigint;
}

/** Where the feed starts: the rows written so far are history, not news. */
export async function feedStart(db: Database): Promise<FeedCursor> {
  const [row] = await db.query<{ event: string; notification: string }>(
    `SELECT (SELECT coalesce(max(id), 0) FROM distribution_event)::text AS event, (SELECT coalesce(max(id), 0) FROM notification)::text AS notification`,
  );
  return { event: BigInt(row?.event ?? '0'), notification: BigInt(row?.notification ?? '0') };
}

/**
 * The distribution events after `after` (by id, at most `limit`), each with the dealers it
 * concerns: the dealers whose offer on the order had become visible before the event (any round),
 * the dealer the event names, and the dealer that has the order now. Offers not yet visible, and
 * those the event itself makes (a distribution writes its offers with its event), are left out: a
 * dealer hears of an order first by its offer_visible event, never before it is offered to it.
 */
export async function orderEventsAfter(db: Database, after: bigint, limit = 500): Promise<FeedOrderEvent[]> {
  const rows = await db.query<{ id: string; order_id: string; kind: string; detail: Record<string, unknown> | null; event_dealer: string | null; holder: string | null; offered_to: string[] | null }>(
    `SELECT e.id::text AS id, e.order_id, e.kind, e.detail, ed.code AS event_dealer, h.code AS holder,
            (SELECT array_agg(DISTINCT dl.code) FROM dealer_offer f JOIN dealer dl ON dl.id = f.dealer_id
              WHERE f.order_id = e.order_id AND f.visible_from < e.created_at) AS offered_to
       FROM distribution_event e LEFT JOIN dealer ed ON ed.id = e.dealer_id
       LEFT JOIN order_distribution d ON d.order_id = e.order_id LEFT JOIN dealer h ON h.id = d.dealer_id
      WHERE e.id > $1::bigint ORDER BY e.id LIMIT ${Math.max(1, Math.min(limit, 5000))}`,
    [after.toString()],
  );
  return rows.map((r) => ({ id: r.id, orderId: r.order_id, kind: r.kind, dealers: concernedDealers(r.kind, r.detail ?? {}, { eventDealer: r.event_dealer, holder: r.holder, offeredTo: r.offered_to ?? [] }) }));
}

/** The notifications after `after` (by id, at most `limit`). */
export async function notificationsAfter(db: Database, after: bigint, limit = 500): Promise<FeedNotification[]> {
  const rows = await db.query<{ id: string; dealer: string | null; kind: string; message: string; order_id: string | null }>(
    `SELECT n.id::text AS id, dl.code AS dealer, n.kind, n.message, n.order_id FROM notification n LEFT JOIN dealer dl ON dl.id = n.dealer_id
      WHERE n.id > $1::bigint ORDER BY n.id LIMIT ${Math.max(1, Math.min(limit, 5000))}`,
    [after.toString()],
  );
  return rows.map((r) => ({ id: r.id, dealer: r.dealer, kind: r.kind, message: r.message, orderId: r.order_id }));
}

/**
 * Who hears of a distribution event, and why: an offer became visible (offered, to those it names);
 * a take (taken for the taker, lost for the other dealers it was offered to); an assignment (changed
 * for the dealer that gets it, lost for the others and the one that had it); anything else changed
 * for every dealer that sees or saw the order.
 */
export function concernedDealers(
  kind: string,
  detail: Record<string, unknown>,
  who: { eventDealer: string | null; holder: string | null; offeredTo: readonly string[] },
): Map<string, OrderChangeReason> {
  const out = new Map<string, OrderChangeReason>();
  const everyone = [...who.offeredTo, who.eventDealer, who.holder].filter((c): c is string => !!c);
  switch (kind) {
    case 'offer_visible': {
      const named = Array.isArray(detail.dealers) ? detail.dealers.filter((c): c is string => typeof c === 'string') : [];
      for (const code of named) out.set(code, 'offered');
      return out;
    }
    case 'taken':
      for (const code of everyone) out.set(code, code === who.eventDealer ? 'taken' : 'lost');
      return out;
    case 'assigned':
    case 'fallback': {
      const previous = typeof detail.previous === 'string' ? detail.previous : null;
      for (const code of [...everyone, previous].filter((c): c is string => !!c)) out.set(code, code === who.eventDealer ? 'changed' : 'lost');
      return out;
    }
    default:
      for (const code of everyone) out.set(code, 'changed');
      return out;
  }
}
