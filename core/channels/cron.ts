import { HubError } from '../errors.ts';

const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** Accepts 5- or 6-field cron expressions of numbers, ranges, lists and steps (what both schedulers run). */
export function validateCron(expression: string): void {
  const fields = expression.trim().split(/\s+/);
  if ((fields.length !== 5 && fields.length !== 6) || !fields.every((f) => FIELD.test(f))) {
    throw new HubError('invalid_data', `"${expression}" is not a cron expression like "*/5 * * * *".`, { field: 'syncSchedule' });
  }
}
