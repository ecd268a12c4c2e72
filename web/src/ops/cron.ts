/**
 * The next time a 5- or 6-field cron expression (numbers, ranges, lists, steps — what the hub
 * accepts, core/channels/cron.ts) fires after `from`, in UTC, or null when it cannot be read or
 * does not fire within 400 days. Seconds (6-field) are ignored: the minute is what the screen shows.
 */
export function nextCronRun(expression: string, from: Date = new Date()): Date | null {
  const parts = expression.trim().split(/\s+/);
  const fields = parts.length === 6 ? parts.slice(1) : parts;
  if (fields.length !== 5) return null;
  const ranges: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
  ];
  const sets = fields.map((field, i) => expand(field, ranges[i]![0], ranges[i]![1]));
  if (sets.some((s) => s === null)) return null;
  const [minutes, hours, days, months, weekdays] = sets as Set<number>[];
  if (weekdays!.has(7)) weekdays!.add(0);
  const dayStar = fields[2] === '*' || fields[2] === '?';
  const weekStar = fields[4] === '*' || fields[4] === '?';
  const t = new Date(from.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = from.getTime() + 400 * 86_400_000;
  while (t.getTime() < limit) {
    if (!months!.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0);
      continue;
    }
    const dom = days!.has(t.getUTCDate());
    const dow = weekdays!.has(t.getUTCDay());
    const dayOk = dayStar && weekStar ? true : dayStar ? dow : weekStar ? dom : dom || dow;
    if (!dayOk) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0);
      continue;
    }
    if (!hours!.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0);
      continue;
    }
    if (!minutes!.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      continue;
    }
    return t;
  }
  return null;
}

function expand(field: string, min: number, max: number): Set<number> | null {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\?|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const step = m[2] ? Number(m[2]) : 1;
    let lo = min;
    let hi = max;
    if (m[1] !== '*' && m[1] !== '?') {
      const [a, b] = m[1]!.split('-').map(Number);
      lo = a!;
      hi = b ?? (m[2] ? max : a!);
    }
    if (step < 1 || lo < min || hi > max || lo > hi) return null;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}
