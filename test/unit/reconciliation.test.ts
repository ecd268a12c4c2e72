import { describe, expect, it } from 'vitest';
import { compareStamps, reconcileFindings, reconcileWindow, validateReconcileSchedule } from '../../core/channels/reconciliation.ts';
import { reconcileDue } from '../../jobs/processors/reconcile-channel.ts';

const at = (iso: string) => new Date(iso);

describe('compareStamps (the reconciliation comparison)', () => {
  const hub = new Map<string, Date | null>([
    ['1', at('2026-12-01T10:00:00Z')],
    ['2', at('2026-12-01T10:00:00Z')],
    ['3', at('2026-12-01T12:00:00Z')],
    ['4', null],
  ]);

  it('finds the orders the hub lacks and those it holds at an older modification time', () => {
    const result = compareStamps(
      [
        { externalId: '1', modifiedAt: '2026-12-01T10:00:00.000Z' }, // current
        { externalId: '2', modifiedAt: '2026-12-01T10:00:01.000Z' }, // one second newer at the shop
        { externalId: '3', modifiedAt: '2026-12-01T11:00:00.000Z' }, // the hub holds a newer one: current
        { externalId: '5', modifiedAt: '2026-12-01T09:00:00.000Z' }, // unknown to the hub
      ],
      hub,
    );
    expect(result).toEqual({ checked: 4, missing: ['5'], stale: ['2'], duplicates: 0 });
  });

  it('counts as stale what cannot be proven current: no time at the hub, or none in the listing', () => {
    const result = compareStamps(
      [
        { externalId: '4', modifiedAt: '2026-12-01T10:00:00Z' },
        { externalId: '1', modifiedAt: undefined },
        { externalId: '2', modifiedAt: 'not a date' },
      ],
      hub,
    );
    expect(result.stale).toEqual(['4', '1', '2']);
    expect(result.missing).toEqual([]);
  });

  it('counts an order listed twice (pages moved while listing) once, at its latest time', () => {
    const result = compareStamps(
      [
        { externalId: '2', modifiedAt: '2026-12-01T10:00:00Z' },
        { externalId: '2', modifiedAt: '2026-12-01T10:05:00Z' },
        { externalId: '2', modifiedAt: '2026-12-01T09:00:00Z' },
      ],
      hub,
    );
    expect(result).toEqual({ checked: 1, missing: [], stale: ['2'], duplicates: 2 });
  });

  it('finds nothing when the listing is empty', () => {
    expect(compareStamps([], hub)).toEqual({ checked: 0, missing: [], stale: [], duplicates: 0 });
  });
});

describe('reconcileFindings', () => {
  it('keeps the counts whole and at most 50 ids of each kind', () => {
    const missing = Array.from({ length: 60 }, (_, i) => String(i));
    const findings = reconcileFindings(reconcileWindow(at('2026-12-04T03:17:00Z'), 7), { checked: 100, missing, stale: ['x'], duplicates: 0 }, 59, ['7'], ['a warning']);
    expect(findings).toMatchObject({
      window: { since: '2026-11-27T03:17:00.000Z', until: '2026-12-04T03:17:00.000Z' },
      checked: 100,
      missing: 60,
      stale: 1,
      fetched: 59,
      failed: 1,
      staleIds: ['x'],
      failedIds: ['7'],
      warnings: ['a warning'],
    });
    expect(findings.missingIds).toHaveLength(50);
  });

  it('takes an explicit since over the window', () => {
    expect(reconcileWindow(at('2026-12-04T00:00:00Z'), 7, at('2026-01-01T00:00:00Z')).since.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('reconcileDue (the schedule)', () => {
  const created = at('2026-11-01T00:00:00Z');

  it('is due once the day\'s occurrence has passed and no reconciliation started since', () => {
    expect(reconcileDue(null, at('2026-12-04T03:16:59Z'), at('2026-12-03T03:20:00Z'), created)).toBe(false);
    expect(reconcileDue(null, at('2026-12-04T03:17:00Z'), at('2026-12-03T03:20:00Z'), created)).toBe(true);
    expect(reconcileDue(null, at('2026-12-04T09:00:00Z'), at('2026-12-04T03:30:00Z'), created)).toBe(false);
    expect(reconcileDue(null, at('2026-12-04T09:00:00Z'), undefined, created)).toBe(true);
  });

  it('follows a channel\'s own schedule, and never runs when it is off or unreadable', () => {
    expect(reconcileDue('0 */6 * * *', at('2026-12-04T06:05:00Z'), at('2026-12-04T00:10:00Z'), created)).toBe(true);
    expect(reconcileDue('0 */6 * * *', at('2026-12-04T05:59:00Z'), at('2026-12-04T00:10:00Z'), created)).toBe(false);
    expect(reconcileDue('off', at('2026-12-04T09:00:00Z'), undefined, created)).toBe(false);
    expect(reconcileDue('not cron', at('2026-12-04T09:00:00Z'), undefined, created)).toBe(false);
  });

  it('is not due for a channel created after the last occurrence (its first sync reads everything)', () => {
    expect(reconcileDue(null, at('2026-12-04T09:00:00Z'), undefined, at('2026-12-04T05:00:00Z'))).toBe(false);
  });

  it('accepts a cron expression or "off" as a channel schedule', () => {
    expect(() => validateReconcileSchedule('17 3 * * *')).not.toThrow();
    expect(() => validateReconcileSchedule('off')).not.toThrow();
    expect(() => validateReconcileSchedule('daily')).toThrow(/reconcileSchedule/);
  });
});
