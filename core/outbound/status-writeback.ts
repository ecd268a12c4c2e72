import type { Prisma } from '../db/generated/client.ts';
import type { OrderStatus } from '../orders/order-status.ts';

/** What a channel is to hear: the order's new core status, and who or what caused it (for ops and the log). */
export interface StatusWriteBackRequest {
  orderId: string;
  status: OrderStatus;
  /** In words ops read: "dealer D-17 completed the order", "the manufacturer cancelled it: …". */
  cause: string;
}

/**
 * Records, inside the caller's transaction, that the order's channel is to hear its new core
 * status, when the channel takes status write-back (off by default per channel). The sending is
 * done later by a job, retried with backoff and visible to ops; it never blocks the core change.
 * A change that came from the channel itself is never written back to it (no echo).
 *
 * The switch is the channel's mapping option `statusWriteBack.enabled`; only the mappings of
 * channels whose connector can write a status accept that option (the channel's mapping schema is
 * checked on every save), so a switched-on channel can always be written to. An unsent older update
 * of the same order is superseded (marked skipped): the shop is to end with the latest status. The
 * new row has no next_attempt_at: it is due at once (the sender's next run, or a nudge after commit).
 */
export async function queueStatusWriteBack(tx: Prisma.TransactionClient, request: StatusWriteBackRequest): Promise<void> {
  const order = await tx.order.findUnique({
    where: { id: request.orderId },
    select: { id: true, externalId: true, channelId: true, channel: { select: { mapping: true } } },
  });
  if (!order || !writeBackSwitchedOn(order.channel.mapping)) return;
  await tx.channelStatusUpdate.updateMany({
    where: { orderId: order.id, state: 'pending' },
    data: { state: 'skipped', lastError: `superseded by a newer status (${request.status}) before it was sent`, nextAttemptAt: null },
  });
  await tx.channelStatusUpdate.create({
    data: {
      channelId: order.channelId,
      orderId: order.id,
      externalId: order.externalId,
      coreStatus: request.status,
      cause: request.cause,
      state: 'pending',
    },
  });
}

/** The channel's mapping options say `statusWriteBack: { enabled: true }`. */
export function writeBackSwitchedOn(mapping: unknown): boolean {
  if (!mapping || typeof mapping !== 'object') return false;
  const writeBack = (mapping as { statusWriteBack?: unknown }).statusWriteBack;
  return !!writeBack && typeof writeBack === 'object' && (writeBack as { enabled?: unknown }).enabled === true;
}
