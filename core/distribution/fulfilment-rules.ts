import type { DistributionSettings } from './distribution-config.ts';

/**
 * What happens to a distributed order once it is out of the offers (seeds 001: the dealer contacts
 * the client, works on the order, completes or cancels it; points reward completion and punish a
 * dealer's cancellation). Pure: the service (distribution-service.ts) locks the row, asks these
 * guards and writes what they allow. Guards return a reason instead of throwing (STYLE 6).
 *
 * Getting an order INTO assigned (a dealer takes an offer, a default or fallback dealer, an admin's
 * assignment) is the distribution flow's business, not a status change: this table starts there.
 */

export const DISTRIBUTION_STATUSES = ['offering', 'unassigned', 'assigned', 'contacted', 'in_progress', 'completed', 'cancelled'] as const;
export type DistributionStatus = (typeof DISTRIBUTION_STATUSES)[number];

export const FINAL_STATUSES: readonly DistributionStatus[] = ['completed', 'cancelled'];

export type FulfilmentActor = 'dealer' | 'admin' | 'client';

export type FulfilmentVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The dealer's moves. Steps may be skipped forward (a dealer that goes straight to work need not
 * record the call), but completion needs the client to have been contacted or the work started:
 * an order completed straight from assigned is almost always a click on the wrong order.
 * Nothing moves backwards: the history would no longer say when the client was first called.
 */
const DEALER_MOVES: Record<DistributionStatus, readonly DistributionStatus[]> = {
  offering: [],
  unassigned: [],
  assigned: ['contacted', 'in_progress', 'cancelled'],
  contacted: ['in_progress', 'completed', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

/** The manufacturer's admins may also cancel an order nobody has taken yet. */
const ADMIN_ONLY_MOVES: Partial<Record<DistributionStatus, readonly DistributionStatus[]>> = {
  offering: ['cancelled'],
  unassigned: ['cancelled'],
};

export function isDistributionStatus(value: string): value is DistributionStatus {
  return (DISTRIBUTION_STATUSES as readonly string[]).includes(value);
}

export function isFinalStatus(status: DistributionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

export function checkFulfilmentChange(from: DistributionStatus, to: DistributionStatus, actor: FulfilmentActor): FulfilmentVerdict {
  // Callers pass statuses read from the database and the request; an unknown one is refused, not a crash.
  if (!isDistributionStatus(from)) return { allowed: false, reason: `unknown status ${String(from)}` };
  if (!isDistributionStatus(to)) return { allowed: false, reason: `unknown status ${String(to)}` };
  // Refused rather than waved through: a repeated "cancelled" or "completed" must not award points twice.
  if (from === to) return { allowed: false, reason: `the order is already ${from}` };
  if (isFinalStatus(from)) return { allowed: false, reason: `the order is ${from}; it cannot change any more` };
  if (actor === 'client') {
    // The channel cancelled the order (the buyer changed their mind): that ends it wherever it stands.
    return to === 'cancelled' ? { allowed: true } : { allowed: false, reason: `the sales channel can only cancel an order, not make it ${to}` };
  }
  if (DEALER_MOVES[from].includes(to)) return { allowed: true };
  if (actor === 'admin' && (ADMIN_ONLY_MOVES[from] ?? []).includes(to)) return { allowed: true };
  return { allowed: false, reason: refusal(from, to, actor) };
}

function refusal(from: DistributionStatus, to: DistributionStatus, actor: FulfilmentActor): string {
  if (from === 'offering' || from === 'unassigned') {
    return actor === 'dealer'
      ? `the order is ${from}: a dealer takes it through its offer before working on it`
      : `the order is ${from}: assign it to a dealer before it can become ${to}`;
  }
  if (to === 'completed' && from === 'assigned') return 'an order is completed only after the client was contacted or the work started';
  if (to === 'offering' || to === 'unassigned' || to === 'assigned') return `an order that is ${from} does not go back to ${to}; distribute or assign it again instead`;
  return `an order that is ${from} cannot become ${to}`;
}

/**
 * A cancellation by a dealer or an admin is reported with the refusal reasons (seeds 001
 * analytics: the client's or the dealer's fault), so it needs one. A client's cancellation comes
 * from the sales channel, which seldom says why.
 */
export function cancellationNeedsReason(actor: FulfilmentActor): boolean {
  return actor !== 'client';
}

export type PointsCause = 'order_completed' | 'cancelled_by_dealer';

/**
 * The rating change a status change earns the assigned dealer; null when there is none (including
 * a configured amount of 0, so no empty ledger rows are written).
 */
export function pointsFor(
  change: { to: DistributionStatus; cancelledBy: FulfilmentActor | null },
  settings: Pick<DistributionSettings, 'pointsOnCompletion' | 'pointsOnDealerCancel'>,
): { cause: PointsCause; delta: number } | null {
  if (change.to === 'completed' && settings.pointsOnCompletion > 0) return { cause: 'order_completed', delta: settings.pointsOnCompletion };
  if (change.to === 'cancelled' && change.cancelledBy === 'dealer' && settings.pointsOnDealerCancel > 0) {
    return { cause: 'cancelled_by_dealer', delta: -settings.pointsOnDealerCancel };
  }
  return null;
}

/** Statuses in which the order is in a dealer's hands, so its fulfilment term runs. */
/** A dealer has the order and is working on it: the statuses with a fulfilment term. */
export const IN_FULFILMENT: readonly DistributionStatus[] = ['assigned', 'contacted', 'in_progress'];

/** Past its fulfilment term and still with the dealer (the term is met up to and including dueAt). */
export function isOverdue(status: DistributionStatus, dueAt: Date | null, now: Date): boolean {
  return dueAt !== null && IN_FULFILMENT.includes(status) && now.getTime() > dueAt.getTime();
}
