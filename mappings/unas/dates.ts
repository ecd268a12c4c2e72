/**
 * UNAS order dates (`Date`, `DateMod`, `StatusDateMod`) are `YYYY.MM.DD HH:MM:SS` wall-clock times in
 * Hungarian local time (Europe/Budapest, CET/CEST) [mem: the docs do not state the zone]. Converted
 * with Intl, so DST comes from the tz database. Same conversion as connectors/unas/time.ts (mappings
 * may not import connector code).
 */
export const UNAS_TIME_ZONE = 'Europe/Budapest';

const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetMs(timeZone: string, at: number): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant of a wall-clock time in `timeZone`. */
export function zonedTimeToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone = UNAS_TIME_ZONE): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const probe = new Date(wall);
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined; // 02.30 and friends
  // Candidates from the offsets half a day either side (DST changes are months apart); keep those that
  // read back as the wall time. Autumn overlap: both are valid, the earlier is taken; spring gap:
  // neither, the later reading is taken (02:30 → 03:30 CEST).
  const candidates = [wall - offsetMs(timeZone, wall - 12 * 3_600_000), wall - offsetMs(timeZone, wall + 12 * 3_600_000)];
  const valid = candidates.filter((at) => at + offsetMs(timeZone, at) === wall);
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
}

/** `YYYY.MM.DD HH:MM:SS` (also `-` or `/` separated, seconds optional) in Budapest time → Date. */
export function parseUnasDateTime(value: string | undefined): Date | undefined {
  const m = /^\s*(\d{4})[./-](\d{1,2})[./-](\d{1,2})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(value ?? '');
  if (!m) return undefined;
  return zonedTimeToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}
