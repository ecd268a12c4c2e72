import { describe, expect, it } from 'vitest';
import { lineAnswers } from '../../core/flows/acknowledgement.ts';
import { coreStatusFor } from '../../core/flows/order-lifecycle.ts';
import { nextAttemptAfter } from '../../core/flows/order-steps.ts';
import { stockActionFor } from '../../core/flows/stock-step.ts';
import { checkTransition, CLOSED_STATUSES, ORDER_STATUSES } from '../../core/orders/order-status.ts';
import { orderDraft } from '../helpers/orders.ts';

describe('the order lifecycle rules', () => {
  it("moves the core order with the dealer's progress; a dealer's cancellation hands it back, the manufacturer's ends it", () => {
    expect(coreStatusFor({ to: 'contacted', actor: 'dealer' })).toBeNull();
    expect(coreStatusFor({ to: 'in_progress', actor: 'dealer' })).toBe('in_progress');
    expect(coreStatusFor({ to: 'completed', actor: 'admin' })).toBe('completed');
    expect(coreStatusFor({ to: 'cancelled', actor: 'dealer' })).toBe('received');
    expect(coreStatusFor({ to: 'cancelled', actor: 'admin' })).toBe('cancelled');
    expect(checkTransition('in_progress', 'received')).toEqual({ allowed: true });
    expect(checkTransition('completed', 'received')).toMatchObject({ allowed: false });
  });

  it('says what each core status does to stock', () => {
    const actions = Object.fromEntries(ORDER_STATUSES.map((s) => [s, stockActionFor(s)]));
    expect(actions).toEqual({
      draft: 'release', pending_payment: 'reserve', on_hold: 'reserve', received: 'reserve', in_progress: 'reserve',
      shipped: 'ship', completed: 'ship', cancelled: 'release', refunded: 'release', failed: 'release',
    });
    for (const closed of CLOSED_STATUSES) expect(stockActionFor(closed)).toBe('release');
  });

  it('waits 1, 2, 4 … minutes between attempts, then six hours at most', () => {
    const now = new Date('2026-12-03T10:00:00.000Z');
    const wait = (attempts: number) => (nextAttemptAfter(attempts, now).getTime() - now.getTime()) / 60_000;
    expect([1, 2, 3, 4].map(wait)).toEqual([1, 2, 4, 8]);
    expect(wait(9)).toBe(256);
    expect(wait(30)).toBe(360);
  });

  it("answers EDI lines from the stock check by the partner's line numbers", () => {
    const line = (externalId: string) => ({ kind: 'product' as const, externalId, sku: externalId, name: externalId, quantity: '5', unitPrice: '1', subtotal: '5', discount: '0', tax: '0', total: '5', attributes: {} });
    const draft = orderDraft('PO-1', { lines: [line('10'), line('20'), line('30')] });
    const verdict = (position: number, status: 'confirmed' | 'partial' | 'unavailable', allocated: string) =>
      ({ position, status, allocated, sku: String(position * 10), productId: null, requested: '5', sources: [], shortfall: '0' }) as never;
    expect(lineAnswers(draft, { lines: [verdict(1, 'confirmed', '5'), verdict(2, 'partial', '3'), verdict(3, 'unavailable', '0')] })).toEqual([
      { lineNo: '10', status: 'accepted' },
      { lineNo: '20', status: 'changed', quantity: '3' },
      { lineNo: '30', status: 'rejected' },
    ]);
    // Without a check lineAnswers says nothing of the lines (acknowledgement.ts decides: no catalogue at all → accepted as received).
    expect(lineAnswers(draft, undefined)).toBeUndefined();
  });
});
