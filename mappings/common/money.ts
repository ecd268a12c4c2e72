import { Decimal } from 'decimal.js';

/**
 * Money and quantities as decimal strings, never floats.
 *
 * Sources send money as strings ("29.35") but sometimes as JSON numbers (WooCommerce
 * `line_items[].price`: 14.99). JSON.parse has already turned such a number into the nearest
 * binary double. `String(n)` prints the shortest decimal that round-trips to that same double, which
 * for any value written with up to 15 significant digits is exactly the text that was in the JSON;
 * `new Decimal(String(n))` therefore recovers the printed value exactly. What must never happen is
 * arithmetic on the float itself (0.1 + 0.2).
 */

/** A private Decimal with room for money arithmetic; never changes the global Decimal config. */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
export type MoneyValue = InstanceType<typeof Money>;

const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a money/quantity value (decimal string or finite JSON number); undefined when it is not one. */
export function parseDecimal(value: unknown): MoneyValue | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return new Money(String(value));
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!DECIMAL_TEXT.test(text)) return undefined;
    return new Money(text);
  }
  if (typeof value === 'bigint') return new Money(value.toString());
  return undefined;
}

/** Normalised decimal string: no exponent, no trailing zeros, no "-0" ("10.00" → "10", "0.90" → "0.9"). */
export function formatDecimal(value: MoneyValue | Decimal): string {
  const text = new Money(value).toFixed();
  if (!text.includes('.')) return text === '-0' ? '0' : text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

/** `parseDecimal` then `formatDecimal`; undefined when the value is not a number. */
export function normaliseDecimal(value: unknown): string | undefined {
  const parsed = parseDecimal(value);
  return parsed === undefined ? undefined : formatDecimal(parsed);
}

/** Sum of decimal values as a normalised string. */
export function sumDecimals(values: Iterable<MoneyValue | Decimal>): string {
  let sum = new Money(0);
  for (const value of values) sum = sum.plus(value);
  return formatDecimal(sum);
}

/** a / b rounded half-up to `places` decimals (unit prices); undefined when b is zero. */
export function divideDecimal(a: MoneyValue, b: MoneyValue, places = 6): MoneyValue | undefined {
  if (b.isZero()) return undefined;
  return a.dividedBy(b).toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
}

/** Scale of the money and quantity columns (DECIMAL(18,4)). */
export const MONEY_SCALE = 4;
/** Scale of `order_line.unit_price` (DECIMAL(18,6)): unit prices are often a total divided by a quantity. */
export const UNIT_PRICE_SCALE = 6;

/** Digits left of the point that DECIMAL(18, scale) holds. */
export function integerDigitsFor(scale: number): number {
  return 18 - scale;
}

/**
 * `value` rounded half-up to `scale` decimals, and whether that changed it. Callers that round a
 * source amount keep the original next to it: money is never rounded silently.
 */
export function toScale(value: MoneyValue, scale: number): { value: MoneyValue; rounded: boolean } {
  const rounded = value.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  return { value: rounded, rounded: !rounded.equals(value) };
}

/** True when `value` (already at `scale`) fits DECIMAL(18, scale). */
export function fitsColumn(value: MoneyValue, scale: number): boolean {
  return value.abs().lessThan(new Money(10).pow(integerDigitsFor(scale)));
}
