import type { Formatters } from '../../format';
import type { Translate } from '../../i18n';
import type { purchaseMessages } from './messages';

export interface Availability {
  status: 'available' | 'partial' | 'unavailable';
  inStock: string;
  incoming: { date: string; quantity: string }[];
  availableByDate: string;
  short: string;
}

type T = Translate<keyof (typeof purchaseMessages)['en'] & string>;

const UNIT_PIECES = new Set(['шт', 'шт.', 'pcs', 'pc', 'piece', 'pieces', 'c62', 'h87', '796', 'ea', 'each', 'db', 'stk']);

/** Rounds a difference of decimal quantities (at most 4 fractional digits) back to a tidy number. */
const tidy = (n: number) => Math.round(n * 10_000) / 10_000;

/** "12 Dec" / "12 дек." (with the year when it is not this year's). */
export function shortDate(locale: string, day: string): string {
  const date = new Date(`${day}T12:00:00`);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).format(date);
}

const capital = (text: string) => (text ? text[0]!.toLocaleUpperCase() + text.slice(1) : text);

/**
 * A line's availability in words, e.g. for 100 with 50 on hand and 70 arriving on 12 Dec:
 * "50 pcs in stock now + 50 pcs from the delivery of 12 Dec — all 100 pcs by 12 Dec"; short of the
 * desired date: "Only 50 of 100 pcs by 10 Dec; 50 more arrive 12 Dec" (`later`: the same line checked
 * without a date, which counts every known delivery).
 */
export function availabilityText(
  a: Availability,
  quantity: string,
  unit: string | undefined,
  desiredDate: string | null,
  later: Availability | undefined,
  t: T,
  f: Formatters,
): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  const u = !unit || UNIT_PIECES.has(unit.trim().toLowerCase()) ? t('pcs') : unit.trim();
  const qty = (n: string | number) => `${f.number(n)} ${u}`;
  const day = (d: string) => shortDate(f.tag, d);
  const parts: string[] = [];
  if (Number(a.inStock) > 0) parts.push(t('inStockNow', { q: qty(a.inStock) }));
  for (const i of a.incoming) parts.push(t('fromDelivery', { q: qty(i.quantity), date: day(i.date) }));
  const lastOf = (list: { date: string }[]) => list.map((i) => i.date).sort().at(-1);

  if (a.status === 'available') {
    const last = lastOf(a.incoming);
    if (!last) return { text: capital(t('allInStock', { q: qty(quantity) })), tone: 'ok' };
    return { text: capital(`${parts.join(' + ')} — ${t('allBy', { q: qty(quantity), date: day(last) })}`), tone: 'ok' };
  }

  const have = Number(a.availableByDate);
  const short = Number(a.short);
  // What arrives after the desired date (known only from the same line checked without a date).
  const eventually = later ? Number(later.availableByDate) : have;
  const more = tidy(Math.min(short, Math.max(0, eventually - have)));
  const laterDate = later ? lastOf(later.incoming) : undefined;
  const none = have <= 0;
  let tail: string;
  if (desiredDate && more > 0 && laterDate) {
    if (more >= short) tail = none ? t('allArrive', { q: qty(quantity), date: day(laterDate) }) : t('moreArrive', { n: qty(more), date: day(laterDate) });
    else tail = `${none ? t('arriveBy', { n: qty(more), date: day(laterDate) }) : t('moreArriveBy', { n: qty(more), date: day(laterDate) })}; ${t('notExpected', { n: qty(tidy(short - more)) })}`;
  } else {
    tail = none ? t('noDelivery') : t('notExpected', { n: qty(short) });
  }

  if (none) {
    const head = desiredDate ? t('noneBy', { date: day(desiredDate) }) : t('noneNow');
    return { text: capital(`${head}; ${tail}`), tone: 'bad' };
  }
  const head = desiredDate ? t('onlyBy', { n: f.number(a.availableByDate), q: qty(quantity), date: day(desiredDate) }) : t('onlyNow', { n: f.number(a.availableByDate), q: qty(quantity) });
  const detail = a.incoming.length > 0 ? ` (${parts.join(' + ')})` : '';
  return { text: capital(`${head}${detail}; ${tail}`), tone: 'warn' };
}
