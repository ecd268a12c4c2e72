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
 * Contract stub: the lifecycle calls this; the write-back work fills it in.
 */
export async function queueStatusWriteBack(_tx: Prisma.TransactionClient, _request: StatusWriteBackRequest): Promise<void> {
  // Filled in by the channel status write-back (issue 10).
}
