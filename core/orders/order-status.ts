/**
 * The core order lifecycle, shared by every channel. A channel's own status is kept beside it
 * (Order.sourceStatus); mappings translate source statuses into these.
 */
export const ORDER_STATUSES = [
  'draft',
  'pending_payment',
  'on_hold',
  'received',
  'in_progress',
  'shipped',
  'completed',
  'cancelled',
  'refunded',
  'failed',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TERMINAL_TO_REOPEN: OrderStatus[] = ['pending_payment', 'on_hold', 'received', 'in_progress'];

/** Allowed transitions. A shop may reopen a cancelled or failed order (customers retry payment). */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  draft: ['pending_payment', 'on_hold', 'received', 'cancelled', 'failed'],
  pending_payment: ['on_hold', 'received', 'in_progress', 'cancelled', 'failed', 'completed'],
  on_hold: ['pending_payment', 'received', 'in_progress', 'cancelled', 'failed', 'completed'],
  received: ['on_hold', 'in_progress', 'shipped', 'completed', 'cancelled', 'refunded', 'failed'],
  // Back to received: a dealer's cancellation hands the order back to be offered to other dealers.
  in_progress: ['on_hold', 'received', 'shipped', 'completed', 'cancelled', 'refunded'],
  shipped: ['completed', 'refunded', 'cancelled'],
  completed: ['refunded'],
  cancelled: TERMINAL_TO_REOPEN,
  refunded: [],
  failed: [...TERMINAL_TO_REOPEN, 'cancelled'],
};

/**
 * The one definition of a closed order: it holds no stock, is not distributed, and its lines are
 * answered as rejected. Used by stock, distribution, acknowledgements and (as a parameter) their SQL.
 */
export const CLOSED_STATUSES = ['cancelled', 'refunded', 'failed'] as const satisfies readonly OrderStatus[];

/** Orders whose goods have left: what they hold is shipped, not released. */
export const DELIVERED_STATUSES = ['shipped', 'completed'] as const satisfies readonly OrderStatus[];

/** Orders that hold no stock: closed ones, and drafts (not real yet). */
export const UNHELD_STATUSES = [...CLOSED_STATUSES, 'draft'] as const satisfies readonly OrderStatus[];

export function isClosedStatus(status: string): boolean {
  return (CLOSED_STATUSES as readonly string[]).includes(status);
}

export function isDeliveredStatus(status: string): boolean {
  return (DELIVERED_STATUSES as readonly string[]).includes(status);
}

export function holdsNoStock(status: string): boolean {
  return (UNHELD_STATUSES as readonly string[]).includes(status);
}

export type TransitionVerdict = { allowed: true } | { allowed: false; reason: string };

/** Guards return a reason rather than throwing, so intake can record why a change was refused. */
export function checkTransition(from: OrderStatus, to: OrderStatus): TransitionVerdict {
  if (from === to) return { allowed: true };
  if (TRANSITIONS[from].includes(to)) return { allowed: true };
  return { allowed: false, reason: `an order that is ${from} cannot become ${to}` };
}

export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}
