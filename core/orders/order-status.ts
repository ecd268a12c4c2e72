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
  in_progress: ['on_hold', 'shipped', 'completed', 'cancelled', 'refunded'],
  shipped: ['completed', 'refunded', 'cancelled'],
  completed: ['refunded'],
  cancelled: TERMINAL_TO_REOPEN,
  refunded: [],
  failed: [...TERMINAL_TO_REOPEN, 'cancelled'],
};

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
