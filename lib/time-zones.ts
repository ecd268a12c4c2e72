/**
 * Wall-clock times of a named zone ↔ instants, through Intl (so DST follows the platform's tz
 * database). Shops and ERPs send local times without an offset (Shoprenter, Unas: Budapest).
 * Shared by connectors (cursors, token expiry) and mappings (order dates).
 */
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

/**
 * The instant of a wall-clock time in `timeZone`; undefined for an impossible date (02.30). In the
 * autumn overlap the earlier instant is taken (a cursor then re-reads rather than skips); a time in
 * the spring gap moves forward by the gap (02:30 → 03:30 CEST).
 */
export function zonedTimeToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const probe = new Date(wall);
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined;
  // Candidates from the offsets half a day either side (DST changes are months apart); keep those
  // that read back as the wall time.
  const candidates = [wall - offsetMs(timeZone, wall - 12 * 3_600_000), wall - offsetMs(timeZone, wall + 12 * 3_600_000)];
  const valid = candidates.filter((at) => at + offsetMs(timeZone, at) === wall);
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
}

const LOCAL_ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "YYYY-MM-DDTHH:mm[:ss]" (or with a space) in `timeZone` → instant. */
export function parseLocalIso(value: unknown, timeZone: string): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = LOCAL_ISO.exec(value.trim());
  if (!m) return undefined;
  return zonedTimeToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), timeZone);
}

/** Instant → "YYYY-MM-DDTHH:mm:ss" wall-clock time in `timeZone`. */
export function formatLocalIso(date: Date, timeZone: string): string {
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + offsetMs(timeZone, date.getTime()));
  return local.toISOString().slice(0, 19);
}
