import { describe, expect, it } from 'vitest';
import { posConnector } from '../../connectors/pos/index.ts';
import { posMapping } from '../../mappings/pos/index.ts';

const apiKey = 'store-bp01-terminal-key-0123456789';
const sale = {
  receiptId: 'R-000123',
  terminalId: 'BP01-T2',
  completedAt: '2026-11-23T09:15:02+01:00',
  cashier: 'Kovács Éva',
  currency: 'HUF',
  lines: [
    { sku: 'TILE-30', name: 'Floor tile 30x30', quantity: '12', unitPrice: '2490', taxRate: '27' },
    { sku: 'SPONGE', name: 'Grout sponge', quantity: '1', unitPrice: '990', discount: '100', taxRate: '27' },
  ],
  payments: [{ method: 'card', amount: '30770' }],
  total: '30770',
};

describe('POS connector', () => {
  const verify = (headers: Record<string, string>) => posConnector.webhook!.verify({ headers, rawBody: Buffer.from(JSON.stringify(sale)) }, { storeCode: 'BP-01', apiKey });

  it('accepts a terminal presenting the store key as a bearer token or X-Api-Key', () => {
    expect(verify({ authorization: `Bearer ${apiKey}` })).toEqual({ kind: 'accepted', topic: 'pos.sale' });
    expect(verify({ 'X-Api-Key': apiKey })).toEqual({ kind: 'accepted', topic: 'pos.sale' });
  });

  it('rejects a missing or wrong key, and never accepts when the store has no key', () => {
    expect(verify({}).kind).toBe('rejected');
    expect(verify({ authorization: `Bearer ${apiKey}x` }).kind).toBe('rejected');
    expect(posConnector.webhook!.verify({ headers: { authorization: 'Bearer ' }, rawBody: Buffer.from('') }, { storeCode: 'BP-01', apiKey: '' }).kind).toBe('rejected');
  });
});

describe('POS mapping', () => {
  it('maps a completed sale to a completed order of the store, keyed by terminal and receipt', () => {
    const { orders, errors } = posMapping.map({ kind: 'webhook', body: JSON.stringify(sale) }, { storeCode: 'BP-01' });
    expect(errors).toEqual([]);
    const [order] = orders;
    expect(order).toMatchObject({
      externalId: 'BP01-T2/R-000123',
      number: 'R-000123',
      status: 'completed',
      source: { store: 'BP-01', user: 'Kovács Éva', terminal: 'BP01-T2', createdVia: 'pos' },
      placedAt: '2026-11-23T08:15:02.000Z',
      currency: 'HUF',
    });
    // Gross prices: 12 × 2490 = 29880 and 990 − 100 = 890; tax is the 27/127 part of each.
    expect(order!.totals).toEqual({ subtotal: '30870', discount: '100', shipping: '0', fee: '0', tax: '6541.65', total: '30770' });
    expect(order!.lines.map((l) => [l.sku, l.quantity, l.total, l.tax])).toEqual([
      ['TILE-30', '12', '29880', '6352.44'],
      ['SPONGE', '1', '890', '189.21'],
    ]);
  });

  it('reads a batch from a terminal that was offline, and rejects only the sale whose total does not add up', () => {
    const wrong = { ...sale, receiptId: 'R-000124', total: '30000' };
    const { orders, errors } = posMapping.map({ kind: 'webhook', body: JSON.stringify({ sales: [sale, wrong] }) }, {});
    expect(orders.map((o) => o.externalId)).toEqual(['BP01-T2/R-000123']);
    expect(errors).toEqual([{ ref: 'BP01-T2/R-000124', message: 'receipt total 30000 does not match its lines (30770)' }]);
  });

  it('names the field of an invalid sale and survives input that is not JSON', () => {
    const { errors } = posMapping.map({ kind: 'webhook', body: JSON.stringify({ ...sale, lines: [{ name: 'x', quantity: '1.5.0', unitPrice: '1' }] }) }, {});
    expect(errors[0]!.message).toMatch(/^lines\.0\.quantity: /);
    expect(posMapping.map({ kind: 'webhook', body: '{"receiptId": ' }, {}).errors[0]!.message).toMatch(/^not JSON/);
  });
});

describe('POS cash rounding', () => {
  it('accepts a receipt rounded to 5 Ft and books the rounding so lines and totals add up', () => {
    const rounded = { ...sale, receiptId: 'R-9', lines: [{ sku: 'NAIL', name: 'Nails', quantity: '1', unitPrice: '993', taxRate: '27' }], rounding: '2', total: '995' };
    const { orders, errors } = posMapping.map({ kind: 'webhook', body: JSON.stringify(rounded) }, {});
    expect(errors).toEqual([]);
    expect(orders[0]!.totals).toMatchObject({ fee: '2', total: '995' });
    expect(orders[0]!.lines.map((l) => [l.kind, l.total])).toEqual([['product', '993'], ['fee', '2']]);
  });

  it('still refuses a receipt whose total does not add up with its rounding, saying both', () => {
    const wrong = { ...sale, receiptId: 'R-10', rounding: '-1', total: '30000' };
    expect(posMapping.map({ kind: 'webhook', body: JSON.stringify(wrong) }, {}).errors[0]!.message).toBe('receipt total 30000 does not match its lines (30770 − rounding 1)');
  });
});
