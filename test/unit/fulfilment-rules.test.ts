import { describe, expect, it } from 'vitest';
import {
  DISTRIBUTION_STATUSES,
  FINAL_STATUSES,
  cancellationNeedsReason,
  checkFulfilmentChange,
  isDistributionStatus,
  isOverdue,
  pointsFor,
  type DistributionStatus,
  type FulfilmentActor,
} from '../../core/distribution/fulfilment-rules.ts';
import { periodStart } from '../../core/distribution/quota-period-rules.ts';

const settings = { pointsOnCompletion: 100, pointsOnDealerCancel: 50 };

/** Every (from → to) the actor may make, as "from→to", for a whole-table assertion. */
function allowedMoves(actor: FulfilmentActor): string[] {
  return DISTRIBUTION_STATUSES.flatMap((from) => DISTRIBUTION_STATUSES.filter((to) => checkFulfilmentChange(from, to, actor).allowed).map((to) => `${from}→${to}`));
}

function reason(from: DistributionStatus, to: DistributionStatus, actor: FulfilmentActor): string | null {
  const verdict = checkFulfilmentChange(from, to, actor);
  return verdict.allowed ? null : verdict.reason;
}

describe('fulfilment rules', () => {
  describe('when the dealer moves its order on', () => {
    it('allows exactly: forward through contacted and in progress, completion after contact or work, cancellation while it holds the order', () => {
      expect(allowedMoves('dealer')).toEqual([
        'assigned→contacted',
        'assigned→in_progress',
        'assigned→cancelled',
        'contacted→in_progress',
        'contacted→completed',
        'contacted→cancelled',
        'in_progress→completed',
        'in_progress→cancelled',
      ]);
    });

    it('refuses with a reason: completion straight from assigned, going backwards, orders not yet taken', () => {
      expect(reason('assigned', 'completed', 'dealer')).toBe('an order is completed only after the client was contacted or the work started');
      expect(reason('in_progress', 'contacted', 'dealer')).toBe('an order that is in_progress cannot become contacted');
      expect(reason('contacted', 'assigned', 'dealer')).toBe('an order that is contacted does not go back to assigned; distribute or assign it again instead');
      expect(reason('offering', 'contacted', 'dealer')).toBe('the order is offering: a dealer takes it through its offer before working on it');
      expect(reason('unassigned', 'cancelled', 'dealer')).toBe('the order is unassigned: a dealer takes it through its offer before working on it');
    });
  });

  describe('when an admin changes the status', () => {
    it('allows what the dealer may, and cancelling orders nobody has taken yet', () => {
      expect(allowedMoves('admin')).toEqual([
        'offering→cancelled',
        'unassigned→cancelled',
        ...allowedMoves('dealer'),
      ]);
      expect(reason('unassigned', 'in_progress', 'admin')).toBe('the order is unassigned: assign it to a dealer before it can become in_progress');
    });
  });

  describe('when the sales channel cancels the order (client)', () => {
    it('cancels it from any status that is not final, and does nothing else', () => {
      expect(allowedMoves('client')).toEqual(['offering→cancelled', 'unassigned→cancelled', 'assigned→cancelled', 'contacted→cancelled', 'in_progress→cancelled']);
      expect(reason('assigned', 'contacted', 'client')).toBe('the sales channel can only cancel an order, not make it contacted');
    });
  });

  describe('when the order is final or the change is no change', () => {
    it.each(FINAL_STATUSES)('nobody changes a %s order', (status) => {
      for (const actor of ['dealer', 'admin', 'client'] as const) {
        for (const to of DISTRIBUTION_STATUSES.filter((s) => s !== status)) {
          expect(reason(status, to, actor)).toBe(`the order is ${status}; it cannot change any more`);
        }
      }
    });

    it('refuses a repeated status, so a repeated completion cannot award points twice', () => {
      expect(reason('contacted', 'contacted', 'dealer')).toBe('the order is already contacted');
      expect(reason('completed', 'completed', 'admin')).toBe('the order is already completed');
    });

    it('refuses unknown statuses instead of failing', () => {
      expect(reason('assigned', 'shipped' as DistributionStatus, 'dealer')).toBe('unknown status shipped');
      expect(reason('lost' as DistributionStatus, 'cancelled', 'admin')).toBe('unknown status lost');
      expect(isDistributionStatus('in_progress')).toBe(true);
      expect(isDistributionStatus('shipped')).toBe(false);
    });
  });

  describe('when an order is cancelled', () => {
    it('needs a reason from a dealer or an admin, not from the sales channel', () => {
      expect(cancellationNeedsReason('dealer')).toBe(true);
      expect(cancellationNeedsReason('admin')).toBe(true);
      expect(cancellationNeedsReason('client')).toBe(false);
    });
  });

  describe('when points are due', () => {
    it('adds pointsOnCompletion for a completed order', () => {
      expect(pointsFor({ to: 'completed', cancelledBy: null }, settings)).toEqual({ cause: 'order_completed', delta: 100 });
    });

    it('removes pointsOnDealerCancel when the dealer cancels, nothing when the client or an admin does', () => {
      expect(pointsFor({ to: 'cancelled', cancelledBy: 'dealer' }, settings)).toEqual({ cause: 'cancelled_by_dealer', delta: -50 });
      expect(pointsFor({ to: 'cancelled', cancelledBy: 'client' }, settings)).toBeNull();
      expect(pointsFor({ to: 'cancelled', cancelledBy: 'admin' }, settings)).toBeNull();
    });

    it('gives nothing for other changes, nor when the configured amount is 0', () => {
      expect(pointsFor({ to: 'contacted', cancelledBy: null }, settings)).toBeNull();
      expect(pointsFor({ to: 'in_progress', cancelledBy: null }, settings)).toBeNull();
      expect(pointsFor({ to: 'completed', cancelledBy: null }, { pointsOnCompletion: 0, pointsOnDealerCancel: 0 })).toBeNull();
      expect(pointsFor({ to: 'cancelled', cancelledBy: 'dealer' }, { pointsOnCompletion: 0, pointsOnDealerCancel: 0 })).toBeNull();
    });
  });

  describe('when the fulfilment term is checked', () => {
    const due = new Date('2026-03-16T09:00:00.000Z');
    const after = new Date('2026-03-16T09:00:00.001Z');

    it('is overdue only after dueAt, while a dealer holds the order', () => {
      expect(isOverdue('assigned', due, after)).toBe(true);
      expect(isOverdue('contacted', due, after)).toBe(true);
      expect(isOverdue('in_progress', due, after)).toBe(true);
      expect(isOverdue('in_progress', due, due)).toBe(false);
    });

    it('is never overdue when finished, not with a dealer, or without a term', () => {
      for (const status of ['completed', 'cancelled', 'offering', 'unassigned'] as const) expect(isOverdue(status, due, after)).toBe(false);
      expect(isOverdue('assigned', null, after)).toBe(false);
    });
  });
});

describe('periodStart', () => {
  const start = (now: string, period: 'day' | 'week' | 'month', zone: string) => periodStart(new Date(now), period, zone).toISOString();

  describe('when the zone is Europe/Budapest (CET/CEST)', () => {
    it('starts the day at local midnight on the days the clocks change', () => {
      // 29 March 2026: clocks go forward at 02:00; midnight was still CET (+1).
      expect(start('2026-03-29T12:00:00Z', 'day', 'Europe/Budapest')).toBe('2026-03-28T23:00:00.000Z');
      // 25 October 2026: clocks go back at 03:00; midnight was still CEST (+2).
      expect(start('2026-10-25T12:00:00Z', 'day', 'Europe/Budapest')).toBe('2026-10-24T22:00:00.000Z');
    });

    it('starts the ISO week on Monday, across a clock change', () => {
      // Sunday 29 March 2026 (CEST) belongs to the week of Monday 23 March (CET).
      expect(start('2026-03-29T12:00:00Z', 'week', 'Europe/Budapest')).toBe('2026-03-22T23:00:00.000Z');
      // Tuesday 27 October 2026 (CET): Monday 26 October.
      expect(start('2026-10-27T12:00:00Z', 'week', 'Europe/Budapest')).toBe('2026-10-25T23:00:00.000Z');
    });

    it('starts the month on the 1st at local midnight, which is still the previous month in UTC', () => {
      expect(start('2026-03-29T12:00:00Z', 'month', 'Europe/Budapest')).toBe('2026-02-28T23:00:00.000Z');
      // 1 April 00:30 CEST is 31 March 22:30 UTC: already April.
      expect(start('2026-03-31T22:30:00Z', 'month', 'Europe/Budapest')).toBe('2026-03-31T22:00:00.000Z');
      // 31 October 23:30 CET is 1 November 00:30 local: November began at 23:00 UTC; an hour earlier it is still October (CEST start).
      expect(start('2026-10-31T23:30:00Z', 'month', 'Europe/Budapest')).toBe('2026-10-31T23:00:00.000Z');
      expect(start('2026-10-31T22:30:00Z', 'month', 'Europe/Budapest')).toBe('2026-09-30T22:00:00.000Z');
    });
  });

  describe('when the zone is Europe/Moscow (+3, no DST)', () => {
    it('switches month and week at Moscow midnight, three hours before UTC', () => {
      expect(start('2026-01-31T21:30:00Z', 'month', 'Europe/Moscow')).toBe('2026-01-31T21:00:00.000Z');
      expect(start('2026-01-31T20:30:00Z', 'month', 'Europe/Moscow')).toBe('2025-12-31T21:00:00.000Z');
      // Monday 2 March 2026 begins at 1 March 21:00 UTC.
      expect(start('2026-03-01T21:00:00Z', 'week', 'Europe/Moscow')).toBe('2026-03-01T21:00:00.000Z');
      expect(start('2026-03-01T20:59:59Z', 'week', 'Europe/Moscow')).toBe('2026-02-22T21:00:00.000Z');
    });

    it('starts an ISO week across the new year in the previous year', () => {
      // Friday 1 January 2027 is in the week of Monday 28 December 2026.
      expect(start('2027-01-01T10:00:00Z', 'week', 'Europe/Moscow')).toBe('2026-12-27T21:00:00.000Z');
    });

    it('follows the historical offset (26 October 2014: +4 → +3)', () => {
      expect(start('2014-10-26T12:00:00Z', 'day', 'Europe/Moscow')).toBe('2014-10-25T20:00:00.000Z');
      expect(start('2014-10-27T12:00:00Z', 'week', 'Europe/Moscow')).toBe('2014-10-26T21:00:00.000Z');
    });
  });

  describe('when DST skips local midnight (America/Santiago, 6 September 2026)', () => {
    it('starts the day at the first local time that exists, 01:00', () => {
      expect(start('2026-09-06T12:00:00Z', 'day', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    });
  });

  describe('when the zone is UTC', () => {
    it('gives the UTC calendar boundaries', () => {
      expect(start('2026-03-04T09:00:00Z', 'day', 'UTC')).toBe('2026-03-04T00:00:00.000Z');
      expect(start('2026-03-04T09:00:00Z', 'week', 'UTC')).toBe('2026-03-02T00:00:00.000Z');
      expect(start('2026-03-04T09:00:00Z', 'month', 'UTC')).toBe('2026-03-01T00:00:00.000Z');
    });
  });
});
