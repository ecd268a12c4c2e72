import type { OrderDraft } from '../../core/model/order.ts';

/** A valid order draft for core tests; override what the test is about. */
export function orderDraft(externalId: string, overrides: Partial<OrderDraft> = {}): OrderDraft {
  return {
    externalId,
    number: externalId,
    status: 'received',
    sourceStatus: 'processing',
    source: { shop: 'test-shop' },
    customer: { name: 'Kiss Anna', email: 'anna@example.hu' },
    billingAddress: { name: 'Kiss Anna', city: 'Budapest', postcode: '1051', country: 'HU' },
    region: 'HU-BU',
    currency: 'HUF',
    totals: { subtotal: '2000.00', discount: '0', shipping: '500.00', fee: '0', tax: '675.00', total: '3175.00' },
    lines: [
      { kind: 'product', sku: 'TILE-1', name: 'Floor tile 30x30', quantity: '2', unitPrice: '1000.00', subtotal: '2000.00', discount: '0', tax: '540.00', total: '2000.00', attributes: {} },
      { kind: 'shipping', name: 'Courier', quantity: '1', unitPrice: '500.00', subtotal: '500.00', discount: '0', tax: '135.00', total: '500.00', attributes: {} },
    ],
    placedAt: '2026-11-20T10:00:00.000Z',
    sourceUpdatedAt: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}
