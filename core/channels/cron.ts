import { HubError } from '../errors.ts';

// [min, max] of each field; a 6-field expression starts with seconds.
const FIVE_FIELDS: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
const SIX_FIELDS: [number, number][] = [[0, 59], ...FIVE_FIELDS];

/**
 * Accepts 5- or 6-field cron expressions of numbers, ranges, lists and steps within each field's
 * range — what both schedulers (node-cron, BullMQ's cron-parser) run. Names (MON, JAN) and
 * special strings are refused so the two runtimes cannot disagree about a schedule.
 */
export function validateCron(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  const ranges = fields.length === 5 ? FIVE_FIELDS : fields.length === 6 ? SIX_FIELDS : undefined;
  const problem = ranges ? fields.map((field, i) => fieldProblem(field, ranges[i]!)).find(Boolean) : 'it needs 5 fields (minute hour day month weekday) or 6 (with seconds first)';
  if (problem) {
    throw new HubError('invalid_data', `"${expression}" is not a usable cron expression: ${problem}. Example: "*/5 * * * *".`, { field: 'syncSchedule' });
  }
}

function fieldProblem(field: string, [min, max]: [number, number]): string | undefined {
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) return `"${part}" is not a number, range, list or step`;
    const [, , from, to, step] = match;
    const values = [from, to].filter((v): v is string => v !== undefined).map(Number);
    if (values.some((v) => v < min || v > max)) return `"${part}" is outside ${min}-${max}`;
    if (values.length === 2 && values[0]! > values[1]!) return `"${part}" is a backwards range`;
    if (step !== undefined && (Number(step) < 1 || Number(step) > max)) return `step "/${step}" must be 1-${max}`;
  }
  return undefined;
}
