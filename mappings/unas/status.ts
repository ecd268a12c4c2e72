import { Value } from '@sinclair/typebox/value';
import { OrderStatusSchema, type OrderDraft } from '../../core/model/order.ts';

type OrderStatus = OrderDraft['status'];

const isOrderStatus = (value: unknown): value is OrderStatus => Value.Check(OrderStatusSchema, value);

/**
 * UNAS order statuses are shop-defined: each has a name (`Status`, CDATA, often Hungarian), an id
 * (`StatusID`) and one of four types (getOrder's `Status` filter: open_normal, open_prepare, close_ok,
 * close_fault) [doc]. The type is the only portable part, so it drives the default; channels refine it
 * by id or by name through the mapping options.
 */
export const UNAS_STATUS_TYPES = ['open_normal', 'open_prepare', 'close_ok', 'close_fault'] as const;
export type UnasStatusType = (typeof UNAS_STATUS_TYPES)[number];

export const DEFAULT_UNAS_STATUS_BY_TYPE: Readonly<Record<UnasStatusType, OrderStatus>> = Object.freeze({
  open_normal: 'received',
  open_prepare: 'in_progress',
  close_ok: 'completed',
  close_fault: 'cancelled',
});

/**
 * Default names of a new UNAS shop (Hungarian) [mem: from sample data, not a vendor list]; used only
 * when the answer carries no status type. Keys are compared case-insensitively after NFC.
 */
export const DEFAULT_UNAS_STATUS_BY_NAME: Readonly<Record<string, OrderStatus>> = Object.freeze({
  'feldolgozásra vár': 'received',
  'függőben': 'on_hold',
  'fizetésre vár': 'pending_payment',
  'folyamatban': 'in_progress',
  'feldolgozás alatt': 'in_progress',
  'kiszállítás alatt': 'shipped',
  'postázva': 'shipped',
  'kiszállítva': 'shipped',
  'teljesítve': 'completed',
  'teljesített': 'completed',
  'törölve': 'cancelled',
  'törölt': 'cancelled',
  'sztornózva': 'cancelled',
});

/** A status nobody mapped needs a human decision. */
export const UNKNOWN_UNAS_STATUS: OrderStatus = 'on_hold';

export interface UnasStatusInput {
  name?: string | undefined;
  id?: string | undefined;
  type?: string | undefined;
}

export interface UnasStatusOverrides {
  /** StatusID → core status. */
  statusById?: Record<string, unknown> | undefined;
  /** Status name (case-insensitive) → core status. */
  statusByName?: Record<string, unknown> | undefined;
  /** Status type → core status (replaces DEFAULT_UNAS_STATUS_BY_TYPE entries). */
  statusByType?: Record<string, unknown> | undefined;
}

export type UnasStatusMatch = 'id' | 'name' | 'type' | 'default_type' | 'default_name' | 'unknown';

export function normaliseStatusName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function lookupName(map: Record<string, unknown> | undefined, name: string): unknown {
  if (!map) return undefined;
  const wanted = normaliseStatusName(name);
  for (const [key, value] of Object.entries(map)) if (normaliseStatusName(key) === wanted) return value;
  return undefined;
}

/**
 * Channel override by id, then by name, then by type; then the default by type, then the default by
 * name; else UNKNOWN_UNAS_STATUS. Invalid override values are ignored.
 */
export function mapUnasStatus(input: UnasStatusInput, overrides: UnasStatusOverrides = {}): { status: OrderStatus; matchedBy: UnasStatusMatch } {
  const id = input.id?.trim();
  const name = input.name?.trim();
  const type = input.type?.trim().toLowerCase();
  const candidates: Array<[unknown, UnasStatusMatch]> = [
    [id ? overrides.statusById?.[id] : undefined, 'id'],
    [name ? lookupName(overrides.statusByName, name) : undefined, 'name'],
    [type ? overrides.statusByType?.[type] : undefined, 'type'],
    [type ? (DEFAULT_UNAS_STATUS_BY_TYPE as Record<string, OrderStatus>)[type] : undefined, 'default_type'],
    [name ? lookupName(DEFAULT_UNAS_STATUS_BY_NAME, name) : undefined, 'default_name'],
  ];
  for (const [value, matchedBy] of candidates) if (isOrderStatus(value)) return { status: value, matchedBy };
  return { status: UNKNOWN_UNAS_STATUS, matchedBy: 'unknown' };
}

// ---- payment and shipping ---------------------------------------------------------------------------------

/** Payment/Type [doc] → a channel-neutral method name. Unknown types → 'other' (the raw type is kept). */
export const UNAS_PAYMENT_METHODS: Readonly<Record<string, string>> = Object.freeze({
  cod: 'cash_on_delivery',
  cash: 'cash',
  transfer: 'bank_transfer',
  bankcard: 'card',
  bankcard_offline: 'card_offline',
  bankcard_qvik: 'card',
  qvik: 'instant_transfer',
  popup: 'online_other',
  coupon: 'coupon',
  voucher: 'voucher',
  credit: 'credit',
  check: 'check',
  bnpl: 'buy_now_pay_later',
  other: 'other',
});

/** Payment/Status [doc]: unpaid, paid, `partly paid` (with a space), overpaid → snake_case; unknown → 'unknown'. */
export function mapUnasPaymentStatus(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  const key = status.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
  if (key === '') return undefined;
  const known: Record<string, string> = { unpaid: 'unpaid', paid: 'paid', 'partly paid': 'partly_paid', partlypaid: 'partly_paid', overpaid: 'overpaid' };
  return known[key] ?? 'unknown';
}

export function mapUnasPaymentMethod(type: string | undefined): string | undefined {
  if (type === undefined || type.trim() === '') return undefined;
  return UNAS_PAYMENT_METHODS[type.trim().toLowerCase()] ?? 'other';
}

/**
 * Shipping has no type in UNAS, only a shop-defined name and id: the carrier is guessed from the name
 * (kept beside it, never instead of it). A delivery point id on the shipping address means a pickup point.
 */
const CARRIERS: Array<[RegExp, string]> = [
  [/\bgls\b/i, 'gls'],
  [/\bdpd\b/i, 'dpd'],
  [/foxpost/i, 'foxpost'],
  [/packeta|zásilkovna|csomagküldő/i, 'packeta'],
  [/\bmpl\b|magyar posta|\bposta\b/i, 'mpl'],
  [/express\s*one/i, 'express_one'],
  [/\bsameday\b|easybox/i, 'sameday'],
  [/személyes|átvétel az üzletben|bolti átvétel|pickup/i, 'personal_pickup'],
];

export function guessCarrier(name: string | undefined): string | undefined {
  if (!name) return undefined;
  return CARRIERS.find(([pattern]) => pattern.test(name))?.[1];
}
