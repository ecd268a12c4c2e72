import { formatLocalIso, zonedTimeToUtc } from '../../lib/time-zones.ts';

/**
 * Base+ quotas are counted per calendar period in the manufacturer's zone ("12% of this month's
 * orders" means the month as the manufacturer's office sees it, not UTC's).
 */
export type QuotaPeriod = 'day' | 'week' | 'month';

const DAY_MS = 86_400_000;

/**
 * The first instant of the calendar day, ISO week (Monday) or month containing `now`, in `timeZone`.
 * Where a DST change skips local midnight (America/Santiago), the day starts at the first local time
 * that exists (01:00), which zonedTimeToUtc gives by moving forward across the gap.
 */
export function periodStart(now: Date, period: QuotaPeriod, timeZone: string): Date {
  const local = formatLocalIso(now, timeZone);
  const [y, m, d] = [Number(local.slice(0, 4)), Number(local.slice(5, 7)), Number(local.slice(8, 10))];
  const first = firstDay(y, m, d, period);
  const start = zonedTimeToUtc(first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate(), 0, 0, 0, timeZone);
  // Unreachable: the date comes from a real calendar day.
  if (!start) throw new Error(`no start of ${period} for ${local} in ${timeZone}`);
  return start;
}

/** The period's first calendar date, as a UTC midnight used only as a date (no zone involved). */
function firstDay(y: number, m: number, d: number, period: QuotaPeriod): Date {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (period === 'day') return date;
  if (period === 'month') return new Date(Date.UTC(y, m - 1, 1));
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - daysSinceMonday * DAY_MS);
}
