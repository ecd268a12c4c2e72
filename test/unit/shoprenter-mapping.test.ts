import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Decimal } from 'decimal.js';
import { OrderDraftSchema, type OrderDraft } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { shoprenterMapping, mapShoprenterStatus } from '../../mappings/shoprenter/index.ts';

const raw = (name: string): string => readFileSync(new URL(`../fixtures/shoprenter/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Record<string, any> => JSON.parse(raw(name)) as Record<string, any>;

/** The document the connector archives for a page (see connectors/shoprenter/streams/orders.ts). */
function pulledDocument(pageFile: string, expand: (order: Record<string, any>) => Record<string, any> = (o) => o): string {
  const page = fixture(pageFile);
  const { items, ...meta } = page;
  const statusNames: Record<string, string> = { '1': 'Függőben lévő', '5': 'Teljesítve', '7': 'Törölve' };
  const orders = (items as Array<Record<string, any>>).map((order) => {
    const statusId = /order_status_id=(\d+)/.exec(Buffer.from(String(order.orderStatus.href).split('/').pop() ?? '', 'base64').toString())?.[1] ?? '';
    return expand({
      ...order,
      orderProducts: { ...order.orderProducts, items: fixture(`order-products-${order.innerId}.json`).items },
      orderTotals: { ...order.orderTotals, items: fixture(`order-totals-${order.innerId}.json`).items },
      currency: { ...order.currency, ...fixture(String(order.currency.href).endsWith(Buffer.from('currency-currency_id=2').toString('base64')) ? 'currency-eur.json' : 'currency-huf.json') },
      orderStatus: { ...order.orderStatus, innerId: statusId, name: statusNames[statusId] },
    });
  });
  return JSON.stringify({ source: 'shoprenter-pull', page: meta, orders });
}

const map = (body: string, options: Record<string, unknown> = {}, kind = 'pull') => shoprenterMapping.map({ kind, body, contentType: 'application/json' }, options);

function ordersOf(body: string, options: Record<string, unknown> = {}): OrderDraft[] {
  const result = map(body, options);
  expect(result.errors).toEqual([]);
  return result.orders;
}

/** Σ lines.total + totals.tax = totals.total, and subtotal − discount + shipping + fee + tax = total. */
function expectIdentities(order: OrderDraft): void {
  const lines = order.lines.reduce((sum, l) => sum.plus(l.total), new Decimal(0));
  expect(lines.plus(order.totals.tax).toFixed()).toBe(new Decimal(order.totals.total).toFixed());
  const t = order.totals;
  expect(new Decimal(t.subtotal).minus(t.discount).plus(t.shipping).plus(t.fee).plus(t.tax).toFixed()).toBe(new Decimal(t.total).toFixed());
}

const MONEY_4 = /^-?\d+(\.\d{1,4})?$/;
const UNIT_6 = /^-?\d+(\.\d{1,6})?$/;

describe('shoprenter mapping', () => {
  describe('when given a pulled page (orders 172 and 173)', () => {
    const [o172, o173] = ordersOf(pulledDocument('orders-page-0.json')) as [OrderDraft, OrderDraft];

    it('produces drafts that fit the core schema, with ≤ 4 decimals (unit prices ≤ 6)', () => {
      for (const order of [o172, o173]) {
        expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
        for (const value of Object.values(order.totals)) expect(value).toMatch(MONEY_4);
        for (const line of order.lines) {
          for (const field of ['quantity', 'subtotal', 'discount', 'tax', 'total'] as const) expect(line[field]).toMatch(MONEY_4);
          expect(line.unitPrice).toMatch(UNIT_6);
        }
        expectIdentities(order);
      }
    });

    it('maps identity, status, shop-local dates to UTC, customer and the marketplace partner (the vendor sample order 172)', () => {
      expect(o172).toMatchObject({ externalId: '172', number: '172', status: 'received', sourceStatus: 'Függőben lévő', sourceStatusId: '1', currency: 'HUF', notes: 'Comment' });
      // 2019-09-06T15:47:59 in Budapest (CEST, UTC+2).
      expect(o172.placedAt).toBe('2019-09-06T13:47:59.000Z');
      expect(o172.sourceUpdatedAt).toBe('2019-09-06T13:47:59.000Z');
      expect(o172.customer).toEqual({ externalId: '34', name: 'Test Test', email: 'test@test.com', phone: '+36201234567' });
      expect(o172.source).toEqual({ shop: 'shopname', partner: 'EMAG' });
      expect(o172.billingAddress).toEqual({ name: 'Test Test', line1: 'Test street 11', city: 'Test', postcode: '4033', country: 'HU', email: 'test@test.com', phone: '+36201234567' });
      expect(o172.shippingAddress).toEqual({ name: 'Test Test', line1: 'Test street 11', city: 'Test', postcode: '4033', country: 'HU' });
      expect(o172.region).toBe('HU');
    });

    it('maps the product (quantity from stock1..4, net prices, tax from the rate) and the shipping total', () => {
      expect(o172.lines).toEqual([
        {
          kind: 'product',
          externalId: '3',
          sku: '9789639715615',
          name: 'Product name',
          quantity: '1',
          unitPrice: '2400',
          subtotal: '2400',
          discount: '0',
          tax: '600',
          total: '2400',
          attributes: { productId: '51', gtin: '0123456789012', taxRate: '25' },
        },
        {
          kind: 'shipping',
          externalId: '8',
          name: 'Home delivery with courier service',
          quantity: '1',
          unitPrice: '792',
          subtotal: '792',
          discount: '0',
          tax: '198',
          total: '792',
          attributes: { type: 'SHIPPING', valueText: '792 Ft', method: 'WSESHIP' },
        },
      ]);
      expect(o172.totals).toEqual({ subtotal: '2400', discount: '0', shipping: '792', fee: '0', tax: '798', total: '3990' });
    });

    it('maps coupon, payment fee, several tax rates, `{}` sku, NUL and Hungarian addresses (order 173)', () => {
      expect(o173.status).toBe('completed');
      expect(o173.sourceStatus).toBe('Teljesítve');
      // Created 2024-03-30T22:15:00 CET (UTC+1), updated 2024-04-30T10:20:30 CEST (UTC+2).
      expect(o173.placedAt).toBe('2024-03-30T21:15:00.000Z');
      expect(o173.sourceUpdatedAt).toBe('2024-04-30T08:20:30.000Z');
      expect(o173.notes).toBe('Kérem délután hozzák');
      expect(o173.customer).toEqual({ externalId: '35', name: 'Kovács Anna', email: 'anna@example.hu', phone: '+36301112233', company: 'Példa Kft.', taxNumber: '12345678-2-09' });
      expect(o173.region).toBe('HU-Hajdú-Bihar');
      const [tile, glue, coupon, shipping, fee] = o173.lines;
      expect(tile).toMatchObject({ kind: 'product', sku: 'CS-3060-W', quantity: '3', unitPrice: '1000', subtotal: '3000', tax: '810', total: '3000' });
      expect(tile?.attributes.originalUnitPrice).toBe('1200');
      // sku is `{}`: the model number stands in.
      expect(glue).toMatchObject({ kind: 'product', sku: 'MN-1', quantity: '1', unitPrice: '3990.5', subtotal: '3990.5', tax: '199.525', total: '3990.5' });
      expect(glue?.attributes.modelNumber).toBe('MN-1');
      expect(coupon).toMatchObject({ kind: 'discount', name: 'Kupon (TAVASZ)', total: '-500', tax: '-135' });
      expect(coupon?.attributes.code).toBe('TAVASZ');
      expect(shipping).toMatchObject({ kind: 'shipping', name: 'Személyes átvétel', total: '0', tax: '0' });
      expect(fee).toMatchObject({ kind: 'fee', name: 'Utánvét kezelési díj', total: '400', tax: '108' });
      expect(o173.totals).toEqual({ subtotal: '6990.5', discount: '500', shipping: '0', fee: '400', tax: '982.525', total: '7873.025' });
    });
  });

  describe('when the order is in another currency (order 174, EUR, multiplier 0.0025)', () => {
    const [o174] = ordersOf(pulledDocument('orders-page-1.json')) as [OrderDraft];

    it('converts every amount with `value` and maps the status by name', () => {
      expect(o174.currency).toBe('EUR');
      expect(o174.status).toBe('cancelled');
      expect(o174.lines).toHaveLength(1);
      expect(o174.lines[0]).toMatchObject({ quantity: '2', unitPrice: '12.5', subtotal: '25', tax: '6.75', total: '25' });
      expect(o174.totals).toEqual({ subtotal: '25', discount: '0', shipping: '0', fee: '0', tax: '6.75', total: '31.75' });
      expect(o174.billingAddress?.country).toBe('AT');
      expect(o174.customer.externalId).toBeUndefined();
      expectIdentities(o174);
    });
  });

  describe('when given the vendor webhook sample (mixed types, \\/ and \\uXXXX escapes)', () => {
    const result = map(raw('webhook-order-confirm.json'), {}, 'webhook');
    const order = result.orders[0] as OrderDraft;

    it('maps it directly, with the same external id scheme as the pull', () => {
      expect(result.errors).toEqual([]);
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
      expect(order).toMatchObject({ externalId: '190', status: 'received', sourceStatus: 'Pending', currency: 'HUF', source: { shop: 'demo' } });
      expect(order.placedAt).toBe('2025-12-01T19:57:40.000Z');
      expect(order.sourceUpdatedAt).toBe('2025-12-01T19:57:40.000Z');
      expect(order.transport).toBeUndefined();
      expect(order.shippingAddress?.region).toBe('Hajdú-Bihar');
    });

    it('reads numbers and strings alike and derives the tax from the gross total', () => {
      expect(order.lines.map((l) => [l.kind, l.sku ?? null, l.quantity, l.unitPrice, l.total, l.tax])).toEqual([
        ['product', '996000004', '1', '945', '945', '255.15'],
        ['product', 'TTA1234', '1', '9000', '9000', '0'],
        ['shipping', null, '1', '970.0714', '970.0714', '35.9286'],
      ]);
      // total 9945 = Σ product net; totalGross 11206 includes shipping gross 1006; taxPrice 255 covers products only.
      expect(order.totals).toEqual({ subtotal: '9945', discount: '0', shipping: '970.0714', fee: '0', tax: '290.9286', total: '11206' });
      expectIdentities(order);
    });

    it('maps a gross coupon, a payment fee and a single (non-array) order and product', () => {
      const body = JSON.parse(raw('webhook-order-confirm.json')) as Record<string, any>;
      const one = body.orders.order[0];
      one.couponCode = 'NYAR10';
      one.couponGrossPrice = '1000';
      one.paymentNetPrice = '100';
      one.paymentGrossPrice = 127;
      one.totalGross = 10333;
      one.orderProducts = { orderProduct: one.orderProducts.orderProduct[1] };
      one.total = '9000';
      const single = map(JSON.stringify({ orders: { order: one } }), {}, 'webhook');
      expect(single.errors).toEqual([]);
      const draft = single.orders[0] as OrderDraft;
      expect(draft.lines.map((l) => [l.kind, l.total, l.tax])).toEqual([
        ['product', '9000', '0'],
        ['shipping', '970.0714', '35.9286'],
        ['fee', '100', '27'],
        ['discount', '-1000', '0'],
      ]);
      expect(draft.totals).toMatchObject({ subtotal: '9000', discount: '1000', fee: '100', total: '10333' });
      expectIdentities(draft);
    });
  });

  describe('when given the vendor order_confirm example without orderHistory.dateAdded (Hungarian doc, verbatim)', () => {
    const body = raw('webhook-order-confirm-hu.json');
    const receivedAt = new Date('2026-12-03T14:05:06.789Z');

    it('takes the time the hub received it as placedAt, says so, and claims no shop modification time', () => {
      const result = shoprenterMapping.map({ kind: 'webhook', body, contentType: 'application/json', receivedAt }, {});
      expect(result.errors).toEqual([]);
      const order = result.orders[0] as OrderDraft;
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
      expect(order).toMatchObject({ externalId: '190', status: 'received', currency: 'HUF', placedAt: '2026-12-03T14:05:06.789Z' });
      expect(order.sourceUpdatedAt).toBeUndefined();
      expect(order.transport).toMatchObject({ placedAtFrom: 'received' });
      expect(order.totals).toEqual({ subtotal: '9945', discount: '0', shipping: '970.0714', fee: '0', tax: '290.9286', total: '11206' });
      expect(order.shippingAddress).toMatchObject({ country: 'HU', region: 'Hajdú-Bihar', name: 'Teszt Péter' });
      expectIdentities(order);
    });

    it('keeps the status as the shop names it ("Függőben lévő") as the source status', () => {
      const order = shoprenterMapping.map({ kind: 'webhook', body, receivedAt: receivedAt.toISOString() }, {}).orders[0] as OrderDraft;
      expect(order.sourceStatus).toBe('Függőben lévő');
      // A status known only by its name maps by that name; the id is the fallback source status.
      const renamed = JSON.parse(body) as Record<string, any>;
      renamed.orders.order[0].orderHistory = { status: '9', statusText: 'Kiszállítva', comment: '' };
      expect(shoprenterMapping.map({ kind: 'webhook', body: JSON.stringify(renamed), receivedAt }, {}).orders[0]).toMatchObject({ status: 'shipped', sourceStatus: 'Kiszállítva', sourceStatusId: '9' });
      renamed.orders.order[0].orderHistory = { status: '9' };
      expect(shoprenterMapping.map({ kind: 'webhook', body: JSON.stringify(renamed), receivedAt }, {}).orders[0]).toMatchObject({ status: 'on_hold', sourceStatus: '9' });
    });

    it('still refuses a dateAdded that is not a date, and a payload with neither a date nor a received time', () => {
      expect(map(body, {}, 'webhook').errors).toEqual([{ ref: '190', message: 'the webhook carries no date (orderHistory.dateAdded) and the payload has no received time' }]);
      const broken = JSON.parse(body) as Record<string, any>;
      broken.orders.order[0].orderHistory.dateAdded = 'tegnap';
      expect(shoprenterMapping.map({ kind: 'webhook', body: JSON.stringify(broken), receivedAt }, {}).errors).toEqual([{ ref: '190', message: 'orderHistory.dateAdded is not a date: "tegnap"' }]);
    });
  });

  describe('statuses', () => {
    it('maps by override id, override name, default id, default name, else on_hold', () => {
      expect(mapShoprenterStatus({ id: '9', name: 'Kiszállítva' })).toBe('shipped');
      expect(mapShoprenterStatus({ id: '9', name: 'Sztornó' })).toBe('cancelled');
      expect(mapShoprenterStatus({ id: '9', name: 'Egyedi' })).toBe('on_hold');
      expect(mapShoprenterStatus({ id: '1' })).toBe('received');
      expect(mapShoprenterStatus({ id: '9', name: 'Egyedi' }, { '9': 'shipped' })).toBe('shipped');
      expect(mapShoprenterStatus({ id: '9', name: 'Egyedi ' }, { egyedi: 'completed' })).toBe('completed');
      expect(mapShoprenterStatus({ id: '1' }, { '1': 'not-a-status' })).toBe('received');
    });

    it('skips abandoned carts by default and keeps them as drafts on request', () => {
      const body = JSON.parse(pulledDocument('orders-page-0.json', (o) => (o.innerId === '172' ? { ...o, orderStatus: null } : o))) as Record<string, any>;
      const skipped = map(JSON.stringify(body));
      expect(skipped.errors).toEqual([]);
      expect(skipped.orders.map((o) => o.externalId)).toEqual(['173']);
      const kept = map(JSON.stringify(body), { abandonedCarts: 'draft' });
      expect(kept.orders.map((o) => [o.externalId, o.status, o.sourceStatus])).toEqual([
        ['172', 'draft', '0'],
        ['173', 'completed', 'Teljesítve'],
      ]);
      const webhook = JSON.parse(raw('webhook-order-confirm.json')) as Record<string, any>;
      webhook.orders.order[0].orderHistory.status = '0';
      expect(map(JSON.stringify(webhook), {}, 'webhook').orders).toEqual([]);
    });
  });

  describe('when the payload is bad', () => {
    it('reports per order with its ref and never throws', () => {
      const body = JSON.parse(pulledDocument('orders-page-0.json')) as Record<string, any>;
      body.orders[0].dateCreated = 'yesterday';
      body.orders[1].orderProducts.items[0].price = 'abc';
      body.orders.push('not an order', { innerId: '999', currency: {}, dateCreated: '2024-01-01T00:00:00', orderStatus: { href: 'x' } });
      const result = map(JSON.stringify(body));
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([
        { ref: '172', message: 'dateCreated is not a date: "yesterday"' },
        { ref: '173', message: 'orderProducts[0].price is not a decimal number: "abc"' },
        { ref: '#2', message: 'expected an order object, got string' },
        { ref: '999', message: expect.stringMatching(/currency is unknown/) },
      ]);
    });

    it('uses defaultCurrency when the currency link was not expanded', () => {
      const body = pulledDocument('orders-page-0.json', (o) => ({ ...o, currency: { href: o.currency.href } }));
      expect(map(body).errors).toHaveLength(2);
      expect(ordersOf(body, { defaultCurrency: 'huf' }).map((o) => o.currency)).toEqual(['HUF', 'HUF']);
    });

    it('answers XML, non-JSON and unknown shapes with one error', () => {
      expect(map('<?xml version="1.0"?><orders/>').errors[0]?.message).toMatch(/XML/);
      expect(map('{"orders": [').errors[0]?.message).toMatch(/not JSON/);
      expect(map('{"newsletter": {}}').errors[0]?.message).toMatch(/expected a pulled Shoprenter page/);
      expect(map(undefined as unknown as string).errors).toHaveLength(1);
    });
  });
});
