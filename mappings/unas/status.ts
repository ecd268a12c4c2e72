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

/** One status of the shop's list (getOrderStatus, kept by the connector and handed over in the options). */
export interface UnasListedStatus {
  id?: string | undefined;
  name: string;
  type: string;
}

/**
 * `status_list`: the type the shop's getOrderStatus list gives the order's status (by StatusID, else by
 * name) decided it; `default_type`: the order carried its own type.
 */
export type UnasStatusMatch = 'id' | 'name' | 'type' | 'default_type' | 'default_name' | 'status_list' | 'unknown';

export function normaliseStatusName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function lookupName(map: Record<string, unknown> | undefined, name: string): unknown {
  if (!map) return undefined;
  const wanted = normaliseStatusName(name);
  for (const [key, value] of Object.entries(map)) if (normaliseStatusName(key) === wanted) return value;
  return undefined;
}

/** The listed status an order is in: by StatusID, else by name (case-insensitive). */
export function findListedStatus(list: readonly UnasListedStatus[], input: UnasStatusInput): UnasListedStatus | undefined {
  const id = input.id?.trim();
  if (id) {
    const byId = list.find((s) => s.id?.trim() === id);
    if (byId) return byId;
  }
  const name = input.name?.trim();
  if (!name) return undefined;
  const wanted = normaliseStatusName(name);
  return list.find((s) => normaliseStatusName(s.name) === wanted);
}

// Names of open statuses that say the order waits (→ received) or is being worked on (→ in_progress).
// Hungarian shop names [mem: shop status lists]: "Feldolgozásra vár", "Csomagolás alatt", "Összeszedve"….
const WAITING = /(^|\s)vár(\s|$)|várakoz|waiting|awaiting|pending/i;
const WORKING = /alatt|folyamat|átad|csomagol|összeszed|előkészít|gyárt|feldolgozva|visszaigazol|beszerz|kész|in progress|processing|packing|preparing|picking|confirmed/i;

/**
 * The core status a status type means, for a status whose name the defaults do not know: open types
 * by name hints (waiting → received, being worked on → in_progress) else their default (open_normal →
 * received, open_prepare → in_progress, another open_* → received); close_ok → completed; close_fault →
 * cancelled. Another type → undefined (a human decides: on_hold).
 */
export function statusOfType(type: string, name: string | undefined): OrderStatus | undefined {
  const t = type.trim().toLowerCase();
  if (t.startsWith('open')) {
    const normalised = name ? normaliseStatusName(name) : '';
    if (WAITING.test(normalised)) return 'received';
    if (WORKING.test(normalised)) return 'in_progress';
    return t === 'open_prepare' ? 'in_progress' : 'received';
  }
  if (t === 'close_ok') return DEFAULT_UNAS_STATUS_BY_TYPE.close_ok;
  if (t === 'close_fault') return DEFAULT_UNAS_STATUS_BY_TYPE.close_fault;
  return undefined;
}

/**
 * Channel override by id, then by name, then by type (the order's own, else its status's type in the
 * shop's list); then the order's own type by default, then the default by name; then the type the
 * shop's getOrderStatus list gives the status (`statusOfType`); else UNKNOWN_UNAS_STATUS. Invalid
 * override values are ignored.
 */
export function mapUnasStatus(
  input: UnasStatusInput,
  overrides: UnasStatusOverrides = {},
  list: readonly UnasListedStatus[] = [],
): { status: OrderStatus; matchedBy: UnasStatusMatch; listedType?: string } {
  const id = input.id?.trim();
  const name = input.name?.trim();
  const type = input.type?.trim().toLowerCase();
  const listedType = type ? undefined : findListedStatus(list, input)?.type.trim().toLowerCase();
  const anyType = type ?? listedType;
  const candidates: Array<[unknown, UnasStatusMatch]> = [
    [id ? overrides.statusById?.[id] : undefined, 'id'],
    [name ? lookupName(overrides.statusByName, name) : undefined, 'name'],
    [anyType ? overrides.statusByType?.[anyType] : undefined, 'type'],
    [type ? (DEFAULT_UNAS_STATUS_BY_TYPE as Record<string, OrderStatus>)[type] : undefined, 'default_type'],
    [name ? lookupName(DEFAULT_UNAS_STATUS_BY_NAME, name) : undefined, 'default_name'],
    [listedType ? statusOfType(listedType, name) : undefined, 'status_list'],
  ];
  const extra = listedType ? { listedType } : {};
  for (const [value, matchedBy] of candidates) if (isOrderStatus(value)) return { status: value, matchedBy, ...extra };
  return { status: UNKNOWN_UNAS_STATUS, matchedBy: 'unknown', ...extra };
}

/** The shop's status list from the mapping options (`referenceData.orderStatuses.statuses`); malformed entries are left out. */
export function listedStatusesOf(options: unknown): UnasListedStatus[] {
  const reference = (options as { referenceData?: { orderStatuses?: { statuses?: unknown } } } | undefined)?.referenceData;
  const statuses = reference?.orderStatuses?.statuses;
  if (!Array.isArray(statuses)) return [];
  return statuses.filter(
    (s): s is UnasListedStatus =>
      typeof s === 'object' && s !== null && typeof s.name === 'string' && typeof s.type === 'string' && (s.id === undefined || typeof s.id === 'string'),
  );
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
