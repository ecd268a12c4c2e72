/**
 * UNAS order dates (`Date`, `DateMod`, `StatusDateMod`) are `YYYY.MM.DD HH:MM:SS` wall-clock times in
 * Hungarian local time (Europe/Budapest, CET/CEST) [mem: the docs do not state the zone]. Converted
 * with lib/time-zones.ts (Intl, so DST comes from the tz database).
 */
import { zonedTimeToUtc as inZone } from '../../lib/time-zones.ts';

export const UNAS_TIME_ZONE = 'Europe/Budapest';

/** The instant of a wall-clock time in Budapest (or `timeZone`). */
export function zonedTimeToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone = UNAS_TIME_ZONE): Date | undefined {
  return inZone(y, mo, d, h, mi, s, timeZone);
}

/** `YYYY.MM.DD HH:MM:SS` (also `-` or `/` separated, seconds optional) in Budapest time → Date. */
export function parseUnasDateTime(value: string | undefined): Date | undefined {
  const m = /^\s*(\d{4})[./-](\d{1,2})[./-](\d{1,2})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(value ?? '');
  if (!m) return undefined;
  return zonedTimeToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}
