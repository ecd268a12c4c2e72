/**
 * Shoprenter dates are shop-local wall-clock times without an offset ("2019-09-06T15:47:59"; the
 * webhook's orderHistory uses a space). They are converted with the shop's IANA zone through Intl,
 * so DST is handled by the platform's tz database. (connectors/shoprenter/local-time.ts holds the
 * same conversion: mappings may not import connector code.)
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * Shop-local wall time → UTC instant. In the autumn DST overlap the earlier instant is chosen (a
 * cursor then re-reads rather than skips); a time inside the spring gap moves forward by the gap.
 */
export function parseShopLocal(value: unknown, timeZone: string): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = LOCAL.exec(value.trim());
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(wall)) return undefined;
  const candidates = new Set<number>();
  for (const probe of [wall - 86_400_000 / 2, wall, wall + 86_400_000 / 2]) {
    candidates.add(wall - zoneOffsetMs(probe, timeZone));
  }
  const exact = [...candidates].filter((t) => t + zoneOffsetMs(t, timeZone) === wall).sort((a, b) => a - b);
  if (exact[0] !== undefined) return new Date(exact[0]);
  // Spring gap: the wall time does not exist; use the offset before the jump.
  return new Date(wall - zoneOffsetMs(wall - 86_400_000 / 2, timeZone));
}

/** UTC instant → shop-local "YYYY-MM-DDTHH:mm:ss", the format of the updatedAtMin/createdAtMin filters. */
export function formatShopLocal(date: Date, timeZone: string): string {
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + zoneOffsetMs(date.getTime(), timeZone));
  return local.toISOString().slice(0, 19);
}
