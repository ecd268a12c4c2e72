import type { Prisma } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';

/**
 * The one way a dealer's points change, inside the caller's transaction (distribution, manual
 * adjustments). Invariant: dealer.points = sum of the dealer's dealer_points_change deltas = the
 * balance of its newest change. It holds under concurrency because every change first locks the
 * dealer row: changes of one dealer are applied one after another, each on the balance the previous
 * one committed, and ledger ids (taken under the lock) follow that order.
 *
 * An order earns or costs points once per cause: with an orderId, a second change with the same
 * (dealer, order, cause) applies nothing, so retried jobs and replayed events are harmless. The
 * unique index on those columns is the last guard.
 */
export interface PointsChange {
  dealerId: string;
  /** Points to add; negative takes away. */
  delta: number;
  /** order_completed | cancelled_by_dealer | manual | … */
  cause: string;
  orderId?: string | null | undefined;
  note?: string | null | undefined;
  changedBy?: string | null | undefined;
}

export async function changePoints(tx: Prisma.TransactionClient, change: PointsChange): Promise<{ applied: boolean; balance: number }> {
  if (!Number.isSafeInteger(change.delta)) throw new HubError('invalid_data', `points: delta ${change.delta} is not an integer.`, { field: 'delta' });
  if (!change.cause) throw new HubError('invalid_data', 'points: cause is required.', { field: 'cause' });

  // NO KEY UPDATE: points changes queue behind each other; rows that merely name the dealer (offers, events) are not held up.
  const [dealer] = await tx.$queryRawUnsafe<{ points: number }[]>(`SELECT points FROM dealer WHERE id = $1 FOR NO KEY UPDATE`, change.dealerId);
  if (!dealer) throw new HubError('not_found', `Dealer ${change.dealerId} does not exist.`);
  const orderId = change.orderId ?? null;
  if (orderId !== null) {
    const done = await tx.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM dealer_points_change WHERE dealer_id = $1 AND order_id = $2 AND cause = $3`,
      change.dealerId,
      orderId,
      change.cause,
    );
    if (done.length > 0) return { applied: false, balance: dealer.points };
  }

  const balance = dealer.points + change.delta;
  await tx.$executeRawUnsafe(
    `INSERT INTO dealer_points_change (dealer_id, delta, balance, cause, order_id, note, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    change.dealerId,
    change.delta,
    balance,
    change.cause,
    orderId,
    change.note ?? null,
    change.changedBy ?? null,
  );
  await tx.$executeRawUnsafe(`UPDATE dealer SET points = $2 WHERE id = $1`, change.dealerId, balance);
  return { applied: true, balance };
}
