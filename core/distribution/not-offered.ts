import { HubError } from '../errors.ts';
import type { Queryable } from './decision-facts.ts';

/**
 * Why an order is not the asking dealer's: never offered to it (it learns nothing, not even the
 * order's number), another dealer has it now (who is not its business), or its offer ended
 * otherwise (declined by all, cancelled, offered again to others).
 */
export type NotOfferedReason = 'not_offered' | 'taken_by_another' | 'offer_ended';

/** The one answer a dealer gets for an order that is not (or no longer) its own: 404, as for an unknown order. */
export function notOfferedToYou(label: string, reason: NotOfferedReason): HubError {
  return new HubError('not_found', `Order ${label} is not offered to you.`, { details: { reason } });
}

/**
 * The answer for a dealer asking about an order it neither has nor is offered now; the number is
 * named only to a dealer the order was once offered to (any round).
 */
export async function notOfferedToDealer(
  q: Queryable,
  order: { orderId: string; number: string | null; holderId: string | null },
  dealerId: string | undefined,
): Promise<HubError> {
  const [offered] = dealerId ? await q.query(`SELECT 1 FROM dealer_offer WHERE order_id = $1 AND dealer_id = $2 LIMIT 1`, [order.orderId, dealerId]) : [];
  if (!offered) return notOfferedToYou(order.orderId, 'not_offered');
  const label = order.number ?? order.orderId;
  return notOfferedToYou(label, order.holderId && order.holderId !== dealerId ? 'taken_by_another' : 'offer_ended');
}
