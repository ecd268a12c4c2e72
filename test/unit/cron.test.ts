import { describe, expect, it } from 'vitest';
import { validateCron } from '../../core/channels/cron.ts';

describe('sync schedule (cron) validation', () => {
  it.each(['*/5 * * * *', '0 6-18/2 * * 1-5', '*/15 * * * * *', '0,30 8 1 1,6 0', '0 0 * * 7'])('accepts %s', (cron) => {
    expect(() => validateCron(cron)).not.toThrow();
  });

  it.each([
    ['99 * * * *', /"99" is outside 0-59/],
    ['*/0 * * * *', /step "\/0"/],
    ['0 25 * * *', /"25" is outside 0-23/],
    ['0 0 0 * *', /"0" is outside 1-31/],
    ['0 0 * 13 *', /"13" is outside 1-12/],
    ['5-1 * * * *', /backwards range/],
    ['@hourly', /needs 5 fields/],
    ['* * * * MON', /"MON" is not a number/],
    ['', /needs 5 fields/],
  ])('refuses %s, saying why, on the syncSchedule field', (cron, reason) => {
    try {
      validateCron(cron);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(reason);
      expect(error).toMatchObject({ code: 'invalid_data', field: 'syncSchedule' });
    }
  });
});
