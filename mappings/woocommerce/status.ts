import { Value } from '@sinclair/typebox/value';
import { OrderStatusSchema, type OrderDraft } from '../../core/model/order.ts';

type OrderStatus = OrderDraft['status'];

const isOrderStatus = (value: unknown): value is OrderStatus => Value.Check(OrderStatusSchema, value);

/**
 * Default translation of every WooCommerce core status
 * (https://woocommerce.com/document/managing-orders/order-statuses/) into the core lifecycle.
 * Channels override single entries through the mapping options (`statusMap`).
 */
export const DEFAULT_WOO_STATUS_MAP: Readonly<Record<string, OrderStatus>> = Object.freeze({
  pending: 'pending_payment',
  processing: 'received',
  'on-hold': 'on_hold',
  completed: 'completed',
  cancelled: 'cancelled',
  refunded: 'refunded',
  failed: 'failed',
  trash: 'cancelled',
  'checkout-draft': 'draft',
});

/** Custom statuses (plugins: "shipped", "awaiting-shipment", …) need a human decision. */
export const UNKNOWN_WOO_STATUS: OrderStatus = 'on_hold';

/** The REST API drops the `wc-` prefix used in the database; tolerate both. */
export function normaliseWooStatus(status: string): string {
  return status.trim().toLowerCase().replace(/^wc-/, '');
}

/** Override first, then the default map, then UNKNOWN_WOO_STATUS. Invalid override values are ignored. */
export function mapWooStatus(status: string, overrides: Record<string, unknown> | undefined = undefined): OrderStatus {
  const key = normaliseWooStatus(status);
  const override = overrides?.[key] ?? overrides?.[status] ?? overrides?.[`wc-${key}`];
  if (typeof override === 'string' && isOrderStatus(override)) return override;
  return DEFAULT_WOO_STATUS_MAP[key] ?? UNKNOWN_WOO_STATUS;
}

/**
 * Core status → WooCommerce status slug for status write-back (`PUT /orders/<id>` `{status}`); the
 * core statuses left out (received, shipped, …) have no core WooCommerce counterpart and are skipped
 * unless the channel sets one (plugins add e.g. `shipped`).
 */
export const DEFAULT_WOO_STATUS_FOR_CORE: Readonly<Record<string, string>> = Object.freeze({
  completed: 'completed',
  cancelled: 'cancelled',
  in_progress: 'processing',
  refunded: 'refunded',
  on_hold: 'on-hold',
});
