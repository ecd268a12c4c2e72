/** Calendar days (YYYY-MM-DD) in the user's own time zone, and the quick periods of the reports. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function parseDay(day: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The instant a local day starts (for APIs that filter by instants). */
export function startOfDay(day: string): string | undefined {
  return parseDay(day)?.toISOString();
}

/** The instant the local day after `day` starts: an exclusive end that keeps all of `day`. */
export function endOfDay(day: string): string | undefined {
  const date = parseDay(day);
  if (!date) return undefined;
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).toISOString();
}

export const PRESETS = ['thisMonth', 'lastMonth', 'thisQuarter', 'thisYear', 'last30'] as const;
export type Preset = (typeof PRESETS)[number];

export interface Period {
  from: string;
  to: string;
}

export function presetPeriod(preset: Preset, today = new Date()): Period {
  const y = today.getFullYear();
  const m = today.getMonth();
  const day = (year: number, month: number, date: number) => isoDay(new Date(year, month, date));
  switch (preset) {
    case 'thisMonth':
      return { from: day(y, m, 1), to: isoDay(today) };
    case 'lastMonth':
      return { from: day(y, m - 1, 1), to: day(y, m, 0) };
    case 'thisQuarter':
      return { from: day(y, m - (m % 3), 1), to: isoDay(today) };
    case 'thisYear':
      return { from: day(y, 0, 1), to: isoDay(today) };
    case 'last30':
      return { from: day(y, m, today.getDate() - 29), to: isoDay(today) };
  }
}

export function presetOf(period: Period, today = new Date()): Preset | undefined {
  return PRESETS.find((p) => {
    const candidate = presetPeriod(p, today);
    return candidate.from === period.from && candidate.to === period.to;
  });
}

/** A valid period: both days present and in order. */
export function validPeriod(period: Period): boolean {
  return !!parseDay(period.from) && !!parseDay(period.to) && period.from <= period.to;
}
