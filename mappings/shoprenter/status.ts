import { Value } from '@sinclair/typebox/value';
import { OrderStatusSchema, type OrderDraft } from '../../core/model/order.ts';

type OrderStatus = OrderDraft['status'];

const isOrderStatus = (value: unknown): value is OrderStatus => Value.Check(OrderStatusSchema, value);

/**
 * Shoprenter statuses are per shop: each has a numeric id (decoded from the `orderStatus` link, or
 * `orderHistory.status` in webhooks) and a name per language (orderStatusDescriptions, or the
 * webhook's `statusText`). Id 0 / no status = abandoned cart, handled by `abandonedCarts`.
 *
 * Only id 1 is known for sure ("Függőben lévő" / "Pending" in the vendor samples); everything else is
 * matched by name. Channels override with `statusMap` keyed by id ("5") or by name (any case).
 */
export const DEFAULT_SHOPRENTER_STATUS_IDS: Readonly<Record<string, OrderStatus>> = Object.freeze({ '1': 'received' });

/** Default names (Hungarian and English shop defaults, lower case). */
export const DEFAULT_SHOPRENTER_STATUS_NAMES: Readonly<Record<string, OrderStatus>> = Object.freeze({
  'függőben lévő': 'received',
  függőben: 'received',
  pending: 'received',
  új: 'received',
  new: 'received',
  visszaigazolva: 'received',
  confirmed: 'received',
  'fizetésre vár': 'pending_payment',
  'fizetésre várakozik': 'pending_payment',
  'awaiting payment': 'pending_payment',
  'feldolgozás alatt': 'in_progress',
  processing: 'in_progress',
  'csomagolás alatt': 'in_progress',
  kiszállítva: 'shipped',
  'kiszállítás alatt': 'shipped',
  'szállítás alatt': 'shipped',
  postázva: 'shipped',
  'futárnak átadva': 'shipped',
  shipped: 'shipped',
  teljesítve: 'completed',
  teljesített: 'completed',
  lezárva: 'completed',
  complete: 'completed',
  completed: 'completed',
  törölve: 'cancelled',
  törölt: 'cancelled',
  visszamondva: 'cancelled',
  visszamondott: 'cancelled',
  storno: 'cancelled',
  sztornó: 'cancelled',
  sztornózva: 'cancelled',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  visszatérítve: 'refunded',
  refunded: 'refunded',
  'sikertelen fizetés': 'failed',
  sikertelen: 'failed',
  failed: 'failed',
});

/** Unknown custom statuses need a human decision. */
export const UNKNOWN_SHOPRENTER_STATUS: OrderStatus = 'on_hold';

export interface ShoprenterStatusRef {
  /** Numeric status id as a string; "0" = abandoned cart. */
  id?: string | undefined;
  name?: string | undefined;
}

const normaliseName = (name: string): string => name.normalize('NFC').trim().replace(/\s+/g, ' ').replace(/:$/, '').toLowerCase();

/** Override by id, override by name, default by id, default by name, then UNKNOWN. Invalid override values are ignored. */
export function mapShoprenterStatus(status: ShoprenterStatusRef, overrides: Record<string, unknown> | undefined = undefined): OrderStatus {
  const name = status.name ? normaliseName(status.name) : undefined;
  const lowered = overrides ? Object.fromEntries(Object.entries(overrides).map(([k, v]) => [normaliseName(k), v])) : {};
  for (const candidate of [status.id !== undefined ? overrides?.[status.id] : undefined, name !== undefined ? lowered[name] : undefined]) {
    if (typeof candidate === 'string' && isOrderStatus(candidate)) return candidate;
  }
  if (status.id !== undefined && DEFAULT_SHOPRENTER_STATUS_IDS[status.id]) return DEFAULT_SHOPRENTER_STATUS_IDS[status.id] as OrderStatus;
  if (name !== undefined && DEFAULT_SHOPRENTER_STATUS_NAMES[name]) return DEFAULT_SHOPRENTER_STATUS_NAMES[name] as OrderStatus;
  return UNKNOWN_SHOPRENTER_STATUS;
}
