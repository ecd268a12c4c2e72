import { describe, expect, it } from 'vitest';
import { manualMapping } from '../../mappings/manual/index.ts';

const order = {
  operator: 'anna@desk',
  via: 'phone',
  customer: { name: 'Kiss Péter', phone: '+36 30 123 4567' },
  currency: 'EUR',
  lines: [{ sku: 'TAP-1', name: 'Basin tap', quantity: '3', unitPrice: '49.99', taxRate: '27' }],
  notes: 'Call before delivery',
  desiredDeliveryDate: '2026-12-10',
};

describe('manual order mapping', () => {
  it('prices the order and records the operator and how it came in as its source', () => {
    const { orders, errors } = manualMapping.map({ kind: 'push', body: JSON.stringify({ receivedAt: '2026-11-23T10:00:00.000Z', externalId: 'gen-1', order }) }, {});
    expect(errors).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: 'gen-1',
      status: 'received',
      source: { user: 'anna@desk', createdVia: 'phone' },
      desiredDeliveryDate: '2026-12-10',
      placedAt: '2026-11-23T10:00:00.000Z',
      totals: { subtotal: '149.97', tax: '40.49', total: '190.46' },
    });
  });

  it("names the buying dealer in the source of a dealer's purchase, so 1C's exchange sends it as one", () => {
    const { orders } = manualMapping.map({ kind: 'push', body: JSON.stringify({ receivedAt: '2026-11-23T10:00:00.000Z', externalId: 'gen-4', order: { ...order, dealerCode: 'D-17' } }) }, {});
    expect(orders[0]!.source).toEqual({ user: 'anna@desk', createdVia: 'phone', dealerCode: 'D-17' });
    expect(manualMapping.map({ kind: 'push', body: JSON.stringify({ receivedAt: '2026-11-23T10:00:00.000Z', externalId: 'gen-5', order }) }, {}).orders[0]!.source).toEqual({ user: 'anna@desk', createdVia: 'phone' });
  });

  it('uses the caller’s own id when given, so a retried request is the same order', () => {
    const { orders } = manualMapping.map({ kind: 'push', body: JSON.stringify({ receivedAt: '2026-11-23T10:00:00.000Z', externalId: 'gen-2', order: { ...order, externalId: 'CRM-77' } }) }, {});
    expect(orders[0]!.externalId).toBe('CRM-77');
  });

  it('explains what is wrong instead of guessing', () => {
    const { orders, errors } = manualMapping.map({ kind: 'push', body: JSON.stringify({ receivedAt: '2026-11-23T10:00:00.000Z', externalId: 'gen-3', order: { ...order, operator: undefined } }) }, {});
    expect(orders).toEqual([]);
    expect(errors[0]!.message).toMatch(/^order\.operator: /);
  });
});
