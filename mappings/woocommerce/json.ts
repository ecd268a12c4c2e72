import type { WooMeta } from '../../connectors/woocommerce/types.ts';
import { Money, fitsColumn, formatDecimal, integerDigitsFor, parseDecimal, toScale, type MoneyValue } from '../common/money.ts';
import { stripNul } from '../common/text.ts';

/** Readers of WooCommerce JSON values shared by the order and the refund-list mappings. Pure. */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = stripNul(value).trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `*_gmt` dates are UTC without a zone designator; returns an ISO instant. */
export function gmtDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.trim().replace(' ', 'T');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(raw)) return undefined;
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(raw) ? raw : `${raw}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function metaList(value: unknown): WooMeta[] {
  return array(value)
    .filter((m): m is WooMeta => isObject(m) && typeof m.key === 'string')
    .map((m) => (m.key.includes('\u0000') ? { ...m, key: stripNul(m.key) } : m));
}

export function metaValue(meta: WooMeta[], key: string): string | undefined {
  const found = meta.find((m) => m.key === key);
  return found ? text(found.value) : undefined;
}

export function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

/** A record that cannot be read: reported as an error for it (its order, its refund list), never guessed. */
export class OrderMappingError extends Error {}

/** A required money field; missing or unreadable → the order is reported, not guessed. */
export function money(value: unknown, field: string): MoneyValue {
  const parsed = parseDecimal(value);
  if (parsed === undefined) throw new OrderMappingError(`${field} is not a decimal number: ${JSON.stringify(value) ?? 'missing'}`);
  return parsed;
}

/**
 * `value` at `scale` decimals for its DECIMAL(18, scale) column: rounded half-up when it has more, the
 * original recorded in `unrounded[key]`; too large for the column → the order is reported.
 */
export function scaled(value: MoneyValue, scale: number, field: string, unrounded: Record<string, string>, key: string): MoneyValue {
  const { value: result, rounded } = toScale(value, scale);
  if (!fitsColumn(result, scale)) {
    throw new OrderMappingError(`${field} ${formatDecimal(value)} is too large (at most ${integerDigitsFor(scale)} digits before the decimal point)`);
  }
  if (rounded) unrounded[key] = formatDecimal(value);
  return result;
}

/** An optional money field: absent/empty → 0, present but unreadable → error. */
export function moneyOr0(value: unknown, field: string): MoneyValue {
  if (value === undefined || value === null || value === '') return new Money(0);
  return money(value, field);
}
