import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Decimal } from 'decimal.js';
import { OrderDraftSchema, OrderRefundDetailsSchema, type OrderDraft } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { woocommerceMapping, DEFAULT_WOO_STATUS_MAP } from '../../mappings/woocommerce/index.ts';
import { decodeHtmlEntities } from '../../mappings/woocommerce/entities.ts';
import { generateWooOrder } from '../../testkit/woo-sandbox.ts';
import { normaliseDecimal, parseDecimal, formatDecimal } from '../../mappings/common/money.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/woocommerce/${name}`, import.meta.url), 'utf8');
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixture(name)) as Record<string, unknown>;

const map = (body: string, options: Record<string, unknown> = {}) => woocommerceMapping.map({ kind: 'pull', body, contentType: 'application/json' }, options);

function single(body: string, options: Record<string, unknown> = {}): OrderDraft {
  const result = map(body, options);
  expect(result.errors).toEqual([]);
  expect(result.orders).toHaveLength(1);
  return result.orders[0] as OrderDraft;
}

/** total = Σ lines.total (product + shipping + fee + discount) + tax — the documented WooCommerce identity. */
function expectTotalsIdentity(order: OrderDraft): void {
  const linesTotal = order.lines.reduce((sum, l) => sum.plus(l.total), new Decimal(0));
  expect(linesTotal.plus(order.totals.tax).toFixed()).toBe(new Decimal(order.totals.total).toFixed());
  const productTotal = order.lines.filter((l) => l.kind === 'product').reduce((sum, l) => sum.plus(l.total), new Decimal(0));
  expect(new Decimal(order.totals.subtotal).minus(order.totals.discount).toFixed()).toBe(productTotal.toFixed());
}

describe('woocommerce mapping', () => {
  describe('when given the documented order 727', () => {
    const order = single(fixture('order-727.json'));

    it('produces a draft that fits the core schema', () => {
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
      expect(Value.Check(OrderDraftSchema, order)).toBe(true);
    });

    it('maps identity, status, dates and customer', () => {
      expect(order.externalId).toBe('727');
      expect(order.number).toBe('727');
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('processing');
      expect(order.currency).toBe('USD');
      expect(order.placedAt).toBe('2017-03-22T19:28:02.000Z');
      expect(order.sourceUpdatedAt).toBe('2017-03-22T19:28:08.000Z');
      expect(order.source).toEqual({ createdVia: 'rest-api' });
      expect(order.customer).toEqual({ name: 'John Doe', email: 'john.doe@example.com', phone: '(555) 555-5555' });
      expect(order.customer.externalId).toBeUndefined();
      expect(order.notes).toBeUndefined();
    });

    it('maps addresses and the region', () => {
      expect(order.billingAddress).toEqual({
        name: 'John Doe',
        line1: '969 Market',
        city: 'San Francisco',
        postcode: '94103',
        region: 'CA',
        country: 'US',
        phone: '(555) 555-5555',
        email: 'john.doe@example.com',
      });
      expect(order.shippingAddress).toEqual({ name: 'John Doe', line1: '969 Market', city: 'San Francisco', postcode: '94103', region: 'CA', country: 'US' });
      expect(order.region).toBe('US-CA');
    });

    it('maps product lines with exact decimal money and quantities', () => {
      const [single1, variation] = order.lines;
      expect(single1).toMatchObject({ kind: 'product', externalId: '315', name: 'Woo Single #1', quantity: '2', unitPrice: '3', subtotal: '6', discount: '0', tax: '0.45', total: '6' });
      expect(single1?.sku).toBeUndefined();
      expect(variation).toMatchObject({ kind: 'product', externalId: '316', sku: 'Bar3', quantity: '1', unitPrice: '12', subtotal: '12', discount: '0', tax: '0.9', total: '12' });
      // Raw name kept for matching, decoded one for display.
      expect(variation?.name).toBe('Ship Your Idea &ndash; Color: Black, Size: M Test');
      expect(variation?.attributes.displayName).toBe('Ship Your Idea \u2013 Color: Black, Size: M Test');
      expect(variation?.attributes.productId).toBe(22);
      expect(variation?.attributes.variationId).toBe(23);
      expect(variation?.attributes.variation).toEqual({ pa_color: { value: 'black' }, size: { value: 'M Test' } });
    });

    it('maps the shipping line and the totals', () => {
      const shipping = order.lines.find((l) => l.kind === 'shipping');
      expect(shipping).toMatchObject({ externalId: '317', name: 'Flat Rate', quantity: '1', unitPrice: '10', subtotal: '10', discount: '0', tax: '0', total: '10' });
      expect(shipping?.attributes).toMatchObject({ methodId: 'flat_rate' });
      expect(order.totals).toEqual({ subtotal: '18', discount: '0', shipping: '10', fee: '0', tax: '1.35', total: '29.35' });
      expectTotalsIdentity(order);
    });
  });

  describe('when given the documented list page (727, 723)', () => {
    const result = map(fixture('list-orders-page.json'));

    it('maps both orders', () => {
      expect(result.errors).toEqual([]);
      expect(result.orders.map((o) => o.externalId)).toEqual(['727', '723']);
    });

    it('splits the old "flat_rate:25" method id and keeps refunds out of the totals', () => {
      const order = result.orders[1] as OrderDraft;
      expect(order.status).toBe('completed');
      expect(order.customer.externalId).toBe('26');
      expect(order.customer.name).toBe('João Silva');
      const shipping = order.lines.find((l) => l.kind === 'shipping');
      expect(shipping?.attributes).toMatchObject({ methodId: 'flat_rate', instanceId: '25', rawMethodId: 'flat_rate:25' });
      expect(shipping?.attributes.meta).toEqual([{ key: 'Items', value: 'Woo Album #2 &times; 1' }]);
      expect(order.totals).toEqual({ subtotal: '29', discount: '0', shipping: '10', fee: '0', tax: '0', total: '39' });
      expectTotalsIdentity(order);
    });
  });

  describe('when an order has coupons, positive and negative fees, refunds and a free-text country', () => {
    const order = single(fixture('coupon-fee-refund-order.json'));

    it('keeps coupon money out of the discount lines so totals do not double count', () => {
      expect(order.totals).toEqual({ subtotal: '81', discount: '10', shipping: '0', fee: '2.5', tax: '13.23', total: '86.73' });
      const coupon = order.lines.find((l) => l.kind === 'discount');
      expect(coupon).toMatchObject({ externalId: '43', name: 'flat10', quantity: '1', unitPrice: '0', subtotal: '0', discount: '0', tax: '0', total: '0' });
      expect(coupon?.attributes).toMatchObject({ code: 'flat10', discount: '10', discountTax: '1.8', includedInLineTotals: true });
      expectTotalsIdentity(order);
    });

    it('computes line discount = subtotal − total and unit price = subtotal / quantity', () => {
      const [kurta, scarf] = order.lines;
      expect(kurta).toMatchObject({ quantity: '3', unitPrice: '15', subtotal: '45', discount: '5', total: '40', tax: '7.2' });
      expect(scarf).toMatchObject({ quantity: '2', unitPrice: '18', subtotal: '36', discount: '5', total: '31', tax: '5.58' });
      expect(scarf?.attributes.displayName).toBe('Silk Scarf $special');
    });

    it('maps fee lines including a negative one', () => {
      const fees = order.lines.filter((l) => l.kind === 'fee');
      expect(fees.map((f) => [f.name, f.total, f.tax])).toEqual([
        ['Gift wrap', '5', '0.9'],
        ['Loyalty &ndash; discount', '-2.5', '-0.45'],
      ]);
      expect(fees[1]?.attributes.displayName).toBe('Loyalty \u2013 discount');
    });

    it('keeps a free-text country, ignores an empty shipping address, and reads plain utm_* meta', () => {
      expect(order.status).toBe('refunded');
      expect(order.billingAddress?.country).toBe('India');
      expect(order.shippingAddress).toBeUndefined();
      expect(order.region).toBe('India-MH');
      expect(order.notes).toBe('Leave at the door');
      expect(order.source).toEqual({ createdVia: 'rest-api', utm: { source: 'newsletter', campaign: 'diwali' }, campaign: 'diwali' });
      expect(order.placedAt).toBe('2017-11-28T05:13:49.000Z');
    });
  });

  describe('when given a newer (WC 8) order with variations, attribution meta and entities', () => {
    const order = single(fixture('variation-order-wc8.json'));

    it('fits the core schema and the totals identity', () => {
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
      expect(order.totals).toEqual({ subtotal: '14980', discount: '0', shipping: '1990', fee: '0', tax: '4581.9', total: '21551.9' });
      expectTotalsIdentity(order);
    });

    it('maps status, number, source, customer, region and notes', () => {
      expect(order.externalId).toBe('5012');
      expect(order.number).toBe('HU-5012');
      expect(order.status).toBe('on_hold');
      expect(order.sourceStatus).toBe('on-hold');
      expect(order.source).toEqual({
        createdVia: 'checkout',
        campaign: 'tavaszi_akcio',
        utm: { source: 'facebook', medium: 'cpc', campaign: 'tavaszi_akcio', content: 'carousel' },
      });
      expect(order.customer).toEqual({
        externalId: '17',
        name: 'Kovács Anna',
        email: 'anna.kovacs@example.hu',
        phone: '+36 30 123 4567',
        company: 'Rába Design Bt.',
        taxNumber: '12345678-2-42',
      });
      expect(order.shippingAddress).toMatchObject({ line1: 'Fő utca 1.', city: 'Érd', region: 'PE', country: 'HU', phone: '+36 30 765 4321' });
      expect(order.billingAddress).toMatchObject({ line2: '3. em. 2.', company: 'Rába Design Bt.' });
      expect(order.region).toBe('HU-PE');
      expect(order.notes).toBe('Kérem &amp; köszönöm: hívjanak előtte!');
      expect(order.placedAt).toBe('2024-03-15T09:05:09.000Z');
      expect(order.sourceUpdatedAt).toBe('2024-03-15T09:07:41.000Z');
    });

    it('reads variation attributes with display forms and hides private meta', () => {
      const line = order.lines[0];
      expect(line).toMatchObject({ sku: 'DP-4040-ZOLD', quantity: '3', unitPrice: '4990', subtotal: '14970', total: '14970', tax: '4041.9' });
      expect(line?.attributes.parentName).toBe('Díszpárna 40\u00d740');
      expect(line?.attributes.displayName).toBe('Díszpárna 40\u00d740 - Zöld');
      expect(line?.attributes.variation).toEqual({ pa_szin: { value: 'zold', displayKey: 'Szín', displayValue: '<p>Zöld</p>' } });
      expect(JSON.stringify(line?.attributes)).not.toContain('_reduced_stock');
    });

    it('keeps non-private meta on simple lines without calling it a variation, and normalises -0.00', () => {
      const gift = order.lines[1];
      expect(gift).toMatchObject({ subtotal: '0', total: '0', unitPrice: '0', discount: '0', tax: '0' });
      expect(gift?.attributes.variation).toBeUndefined();
      expect(gift?.attributes.meta).toEqual([{ key: 'Ajándék', value: 'igen', displayKey: 'Ajándék', displayValue: 'igen' }]);
      expect(gift?.attributes.displayName).toBe('Fonott kosár \u201cMini\u201d');
    });

    it('never uses the imprecise float price: 10.00 / 3 is rounded from the decimal subtotal', () => {
      const mug = order.lines[2];
      expect(mug).toMatchObject({ quantity: '3', subtotal: '10', unitPrice: '3.333333', total: '10', tax: '2.7' });
    });

    it('maps the shipping line with a split instance id and a decoded title', () => {
      const shipping = order.lines.find((l) => l.kind === 'shipping');
      expect(shipping).toMatchObject({ name: 'GLS h&aacute;zhozsz&aacute;ll&iacute;t&aacute;s', total: '1990', tax: '537.3', unitPrice: '1990' });
      expect(shipping?.attributes).toMatchObject({ methodId: 'flat_rate', instanceId: '3', displayName: 'GLS házhozszállítás' });
      expect(shipping?.attributes.rawMethodId).toBeUndefined();
    });
  });

  describe('statuses', () => {
    const withStatus = (status: string) => JSON.stringify({ ...fixtureJson('order-727.json'), status });
    const expected: Array<[string, string]> = [
      ['pending', 'pending_payment'],
      ['processing', 'received'],
      ['on-hold', 'on_hold'],
      ['completed', 'completed'],
      ['cancelled', 'cancelled'],
      ['refunded', 'refunded'],
      ['failed', 'failed'],
      ['trash', 'cancelled'],
      ['checkout-draft', 'draft'],
    ];

    it('covers every WooCommerce core status in the default map', () => {
      expect(Object.fromEntries(expected)).toEqual(DEFAULT_WOO_STATUS_MAP);
    });

    it.each(expected)('maps %s to %s and keeps the source status', (source, core) => {
      const order = single(withStatus(source));
      expect(order.status).toBe(core);
      expect(order.sourceStatus).toBe(source);
    });

    it('maps an unknown custom status to on_hold and keeps it as the source status', () => {
      const order = single(withStatus('awaiting-shipment'));
      expect(order.status).toBe('on_hold');
      expect(order.sourceStatus).toBe('awaiting-shipment');
    });

    it('tolerates the wc- prefix of the database form', () => {
      expect(single(withStatus('wc-completed')).status).toBe('completed');
    });

    it('applies per-channel overrides for known and custom statuses', () => {
      const options = { statusMap: { processing: 'in_progress', 'awaiting-shipment': 'shipped' } };
      expect(Value.Check(woocommerceMapping.optionsSchema, options)).toBe(true);
      expect(single(withStatus('processing'), options).status).toBe('in_progress');
      expect(single(withStatus('awaiting-shipment'), options).status).toBe('shipped');
      expect(single(withStatus('completed'), options).status).toBe('completed');
    });

    it('rejects invalid overrides in the options schema and ignores them at runtime', () => {
      const options = { statusMap: { processing: 'teleported' } };
      expect(Value.Check(woocommerceMapping.optionsSchema, options)).toBe(false);
      expect(Value.Check(woocommerceMapping.optionsSchema, { other: 1 })).toBe(false);
      expect(single(withStatus('processing'), options).status).toBe('received');
    });
  });

  describe('refunds', () => {
    it('turns the refunds summary of the documented list example (order 723) into refund records with positive amounts, totals untouched', () => {
      const [order727, order723] = map(fixture('list-orders-page.json')).orders;
      expect(order727?.refunds).toEqual([]);
      // The documented example names the reason "refund" and leaves it empty: no reason.
      expect(order723?.refunds).toEqual([
        { externalId: '726', amount: '10' },
        { externalId: '724', amount: '9' },
      ]);
      expect(order723?.totals.total).toBe('39');
      expect(firstProblem(OrderDraftSchema, order723)).toBeUndefined();
    });

    it('keeps the reason of a full refund', () => {
      const order = single(fixture('coupon-fee-refund-order.json'));
      expect(order.refunds).toEqual([{ externalId: '117', amount: '86.73', reason: 'Customer changed mind' }]);
      expect(order.totals.total).toBe('86.73');
    });

    it('leaves refunds out when the order does not list them, and reports an unreadable refund as an error for its order', () => {
      const { refunds: _none, ...withoutRefunds } = fixtureJson('order-727.json');
      expect(single(JSON.stringify(withoutRefunds)).refunds).toBeUndefined();
      const bad = map(JSON.stringify({ ...fixtureJson('order-727.json'), refunds: [{ id: 1, reason: '', total: 'ten' }] }));
      expect(bad.orders).toEqual([]);
      expect(bad.errors).toEqual([{ ref: '727', message: 'refunds[0].total is not a decimal number: "ten"' }]);
    });
  });

  describe('when the payload is the refund list of an order (GET /orders/<id>/refunds)', () => {
    const LIST_SOURCE = 'https://shop.example.hu/wp-json/wc/v3/orders/723/refunds?per_page=100&page=1';
    const mapList = (body: string, source = LIST_SOURCE) => woocommerceMapping.map({ kind: 'pull', body, source, contentType: 'application/json' }, {});

    it('reads the documented "List all refunds" example into refund details of order 723: positive amounts, UTC dates, refunded lines', () => {
      const result = mapList(fixture('list-refunds-723.json'));
      expect(result.errors).toEqual([]);
      expect(result.orders).toEqual([]);
      expect(result.refundDetails).toEqual([
        {
          orderExternalId: '723',
          refunds: [
            // An amount-only refund: no lines. date_created_gmt, not the site-time date_created (17:07:11).
            { externalId: '726', amount: '10', lines: [], refundedAt: '2017-03-21T20:07:11.000Z' },
            {
              externalId: '724',
              amount: '9',
              refundedAt: '2017-03-21T19:55:37.000Z',
              // quantity −1 and total −9.00 as sent; _refunded_item_id 311 is the order's line item "Woo Album #2".
              lines: [{ kind: 'product', externalId: '314', orderLineExternalId: '311', productId: '87', name: 'Woo Album #2', quantity: '1', amount: '9', tax: '0' }],
            },
          ],
        },
      ]);
      expect(firstProblem(OrderRefundDetailsSchema, result.refundDetails?.[0])).toBeUndefined();
    });

    it('names the refunds of the order summary the list details (723 lists 726 and 724 for 10.00 and 9.00)', () => {
      const order723 = (JSON.parse(fixture('list-orders-page.json')) as Array<Record<string, unknown>>).find((o) => o.id === 723)!;
      const summary = single(JSON.stringify(order723)).refunds!;
      const details = mapList(fixture('list-refunds-723.json')).refundDetails![0]!.refunds;
      expect(details.map((r) => [r.externalId, r.amount])).toEqual(summary.map((r) => [r.externalId, r.amount]));
      // The refunded line is a line of the order.
      expect(single(JSON.stringify(order723)).lines.map((l) => l.externalId)).toContain('311');
    });

    it('reads one refund ("Retrieve a refund", /orders/<id>/refunds/<refund id>) as a list of one, and the query-auth source form', () => {
      const one = (JSON.parse(fixture('list-refunds-723.json')) as unknown[])[0];
      const result = mapList(JSON.stringify(one), 'https://shop.example.hu/wp-json/wc/v3/orders/723/refunds/726?consumer_key=***&consumer_secret=***');
      expect(result.refundDetails).toEqual([{ orderExternalId: '723', refunds: [{ externalId: '726', amount: '10', lines: [], refundedAt: '2017-03-21T20:07:11.000Z' }] }]);
      // Not a refund list: an orders page URL is still read as orders.
      expect(mapList(fixture('order-727.json'), 'https://shop.example.hu/wp-json/wc/v3/orders/727').orders).toHaveLength(1);
    });

    it('reads refunded shipping and fees when the store lists them (shipping_lines / fee_lines: newer WooCommerce; constructed, not documented)', () => {
      const list = JSON.parse(fixture('list-refunds-723.json')) as Array<Record<string, unknown>>;
      const meta = (id: string) => [{ id: 1, key: '_refunded_item_id', value: id }];
      const refund = {
        ...list[0],
        shipping_lines: [{ id: 400, method_title: 'Flat rate', method_id: 'flat_rate', total: '-10.00', total_tax: '-1.00', meta_data: meta('312') }],
        fee_lines: [{ id: 401, name: 'Gift wrap', total: '-2.50', total_tax: '0.00', meta_data: meta('315') }],
      };
      expect(mapList(JSON.stringify([refund])).refundDetails?.[0]?.refunds[0]?.lines).toEqual([
        { kind: 'shipping', externalId: '400', orderLineExternalId: '312', name: 'Flat rate', quantity: '1', amount: '10', tax: '1' },
        { kind: 'fee', externalId: '401', orderLineExternalId: '315', name: 'Gift wrap', quantity: '1', amount: '2.5', tax: '0' },
      ]);
    });

    it('reports an unreadable refund naming order and refund, and still reads the others; invalid JSON is one error for the order', () => {
      const list = JSON.parse(fixture('list-refunds-723.json')) as Array<Record<string, unknown>>;
      const result = mapList(JSON.stringify([{ ...list[0], amount: 'ten' }, list[1]]));
      expect(result.errors).toEqual([{ ref: '723 refund 726', message: 'refunds[0].amount is not a decimal number: "ten"' }]);
      expect(result.refundDetails?.[0]?.refunds.map((r) => r.externalId)).toEqual(['724']);
      const broken = mapList('<html>Error</html>');
      expect(broken.refundDetails).toBeUndefined();
      expect(broken.errors).toEqual([{ ref: '723', message: expect.stringMatching(/^refund list is not JSON/) }]);
      expect(mapList('[]')).toEqual({ orders: [], errors: [] });
    });
  });

  describe('when the payload is bad', () => {
    it('returns a single error and no orders for invalid JSON', () => {
      const result = map('<html><body>Error establishing a database connection</body></html>');
      expect(result.orders).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.message).toMatch(/not JSON/);
    });

    it('names the order of a webhook body cut short, so the hub can fetch it from the store', () => {
      const body = fixture('order-727.json');
      const result = woocommerceMapping.map({ kind: 'webhook', body: body.slice(0, 200), contentType: 'application/json' }, {});
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([{ ref: '727', message: expect.stringMatching(/^body is not JSON/) }]);
    });

    it('returns an empty result for an empty page', () => {
      expect(map('[]')).toEqual({ orders: [], errors: [] });
    });

    it('reports one bad order by id and still maps the good ones around it', () => {
      const good1 = fixtureJson('order-727.json');
      const good2 = fixtureJson('variation-order-wc8.json');
      const bad = { ...fixtureJson('order-727.json'), id: 999, total: 'twenty' };
      const result = map(JSON.stringify([good1, bad, good2, 'junk', { ...good1, id: 1000, line_items: [{ id: 1, quantity: 'x', subtotal: '1', total: '1' }] }]));
      expect(result.orders.map((o) => o.externalId)).toEqual(['727', '5012']);
      expect(result.errors).toEqual([
        { ref: '999', message: 'total is not a decimal number: "twenty"' },
        { ref: '#3', message: 'expected an order object, got string' },
        { ref: '1000', message: 'line_items[0].quantity is not a decimal number: "x"' },
      ]);
    });

    it('maps an order.deleted webhook body (only the id) to nothing, without an error', () => {
      expect(woocommerceMapping.map({ kind: 'webhook', body: '{"id":727}' }, {})).toEqual({ orders: [], errors: [] });
      expect(woocommerceMapping.map({ kind: 'webhook', body: '{"id":"727"}' }, {})).toEqual({ orders: [], errors: [] });
      // Anything more than the id is an order and must be complete.
      const partial = woocommerceMapping.map({ kind: 'webhook', body: '{"id":727,"total":"1.00"}' }, {});
      expect(partial.errors).toEqual([{ ref: '727', message: 'order has no status' }]);
    });

    it('reports missing dates, currency and ids without throwing', () => {
      const base = fixtureJson('order-727.json');
      const result = map(
        JSON.stringify([
          { ...base, date_created_gmt: null },
          { ...base, id: 2, currency: '' },
          { ...base, id: undefined },
          { ...base, id: 3, line_items: 'nope', shipping_lines: null, billing: 'x' },
        ]),
      );
      expect(result.errors.map((e) => e.ref)).toEqual(['727', '2', '#2']);
      expect(result.orders).toHaveLength(1);
      expect(result.orders[0]).toMatchObject({ externalId: '3', lines: [] });
      expect(result.orders[0]?.billingAddress).toBeUndefined();
    });

    it('never throws on arbitrary JSON values', () => {
      for (const body of ['null', '42', '"text"', '{}', '[null]', '[[]]', '{"id":{}}', '']) {
        expect(() => map(body)).not.toThrow();
        expect(map(body).orders).toEqual([]);
      }
    });
  });

  describe('when the body is a webhook delivery (a single order object with PHP escapes)', () => {
    it('maps the order', () => {
      const raw = fixture('order-727.json').replace(/\//g, '\\/');
      const result = woocommerceMapping.map({ kind: 'webhook', body: raw }, {});
      expect(result.errors).toEqual([]);
      expect(result.orders[0]?.totals.total).toBe('29.35');
    });
  });
});

/** DECIMAL(18,4) for money and quantities, DECIMAL(18,6) for order_line.unit_price. */
function expectColumnScales(order: OrderDraft): void {
  const fits = (value: string, scale: number, where: string) => {
    const [int = '', frac = ''] = value.replace(/^-/, '').split('.');
    expect(frac.length, `${where} = ${value} has more than ${scale} decimals`).toBeLessThanOrEqual(scale);
    expect(int.length, `${where} = ${value} is too large`).toBeLessThanOrEqual(18 - scale);
  };
  for (const [key, value] of Object.entries(order.totals)) fits(value, 4, `totals.${key}`);
  order.lines.forEach((line, i) => {
    for (const key of ['quantity', 'subtotal', 'discount', 'tax', 'total'] as const) fits(line[key], 4, `lines[${i}].${key}`);
    fits(line.unitPrice, 6, `lines[${i}].unitPrice`);
  });
}

describe('woocommerce mapping: column scales', () => {
  it('keeps every emitted amount within its column scale for all fixtures and generated orders', () => {
    for (const name of ['order-727.json', 'list-orders-page.json', 'coupon-fee-refund-order.json', 'variation-order-wc8.json']) {
      for (const order of map(fixture(name)).orders) expectColumnScales(order);
    }
    const generated = map(JSON.stringify(Array.from({ length: 200 }, (_, i) => generateWooOrder(i))));
    expect(generated.errors).toEqual([]);
    for (const order of generated.orders) expectColumnScales(order);
  });

  it('keeps 3-decimal taxes exactly and rounds values with more than 4 decimals half-up, recording the originals', () => {
    const base = fixtureJson('variation-order-wc8.json');
    const lines = base.line_items as Array<Record<string, unknown>>;
    const shipping = base.shipping_lines as Array<Record<string, unknown>>;
    const body = JSON.stringify({
      ...base,
      line_items: [
        { ...lines[0], quantity: 3, subtotal: '14970.00', total: '14970.00', total_tax: '38.115' },
        { ...lines[2], quantity: '1.23456', subtotal: '10.123456', total: '10.12345', total_tax: '2.73333333' },
      ],
      fee_lines: [{ id: 7, name: 'Rounding fee', total: '0.33335', total_tax: '0.0900045', tax_class: '', tax_status: 'taxable', taxes: [], meta_data: [] }],
      shipping_lines: [{ ...shipping[0], total: '1990.00005', total_tax: '537.3' }],
      discount_total: '0.000001',
      total_tax: '578.15333',
      total: '17548.72678',
    });
    const order = single(body);
    expectColumnScales(order);
    const [pillow, mug] = order.lines;
    expect(pillow).toMatchObject({ tax: '38.115', total: '14970', unitPrice: '4990' });
    expect(pillow?.attributes.unrounded).toBeUndefined();
    expect(mug).toMatchObject({ quantity: '1.2346', subtotal: '10.1235', total: '10.1235', discount: '0', tax: '2.7333', unitPrice: '8.200052' });
    expect(mug?.attributes.unrounded).toEqual({ quantity: '1.23456', subtotal: '10.123456', total: '10.12345', tax: '2.73333333' });
    const fee = order.lines.find((l) => l.kind === 'fee');
    expect(fee).toMatchObject({ total: '0.3334', tax: '0.09', unitPrice: '0.3334' });
    expect(fee?.attributes.unrounded).toEqual({ total: '0.33335', tax: '0.0900045' });
    const ship = order.lines.find((l) => l.kind === 'shipping');
    expect(ship).toMatchObject({ total: '1990.0001', unitPrice: '1990.0001' });
    expect(ship?.attributes.unrounded).toEqual({ total: '1990.00005' });
    expect(order.totals).toMatchObject({ discount: '0', tax: '578.1533', total: '17548.7268' });
    expect(order.lines[0]?.attributes.orderUnrounded).toEqual({ discount_total: '0.000001', total_tax: '578.15333', total: '17548.72678' });
  });

  it('rounds the float price fallback (quantity 0) to 6 decimals and records it', () => {
    const base = fixtureJson('order-727.json');
    const lines = base.line_items as Array<Record<string, unknown>>;
    const body = JSON.stringify({ ...base, line_items: [{ ...lines[0], quantity: 0, subtotal: '0.00', total: '0.00', total_tax: '0.00' }] }).replace(
      /"price":\s*[\d.]+/,
      '"price":3.3333333333333335',
    );
    const order = single(body);
    expectColumnScales(order);
    expect(order.lines[0]?.unitPrice).toBe('3.333333');
    expect(order.lines[0]?.attributes.unrounded).toEqual({ unitPrice: '3.3333333333333335' });
  });

  it('reports an amount too large for its column instead of storing a wrong one', () => {
    const result = map(JSON.stringify({ ...fixtureJson('order-727.json'), total: '123456789012345.00' }));
    expect(result.orders).toEqual([]);
    expect(result.errors).toEqual([{ ref: '727', message: expect.stringMatching(/^total 123456789012345 is too large/) }]);
  });
});

/** Where a real U+0000 sits in a value (strings and keys). */
function nulPaths(value: unknown, path = '$'): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nulPaths(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [...(k.includes('\u0000') ? [`${path} key ${JSON.stringify(k)}`] : []), ...nulPaths(v, `${path}.${k}`)]);
  }
  return [];
}

describe('woocommerce mapping: NUL characters', () => {
  it('strips U+0000 from every text value it emits, keys included', () => {
    const base = fixtureJson('variation-order-wc8.json');
    const lines = base.line_items as Array<Record<string, unknown>>;
    const nul = (text: string) => `${text.slice(0, 2)}\u0000${text.slice(2)}`;
    const body = JSON.stringify({
      ...base,
      number: nul('HU-5012'),
      customer_note: nul('Kérem'),
      billing: { ...(base.billing as object), first_name: nul('Kovács'), company: '\u0000' },
      meta_data: [...(base.meta_data as unknown[]), { id: 1, key: nul('utm_term'), value: nul('garden') }],
      line_items: [
        { ...lines[0], name: `${nul('Díszpárna')} &#0;40`, sku: nul('DP-4040'), meta_data: [{ id: 2, key: nul('pa_szin'), value: nul('zold'), display_key: nul('Szín'), display_value: { deep: [nul('x')] } }] },
      ],
      coupon_lines: [{ id: 3, code: nul('tavasz10'), discount: '0', discount_tax: '0', meta_data: [] }],
    });
    const result = map(body);
    expect(result.errors).toEqual([]);
    expect(nulPaths(result)).toEqual([]);
    const order = result.orders[0] as OrderDraft;
    expect(order.number).toBe('HU-5012');
    expect(order.notes).toBe('Kérem');
    expect(order.billingAddress?.name).toBe('Kovács Anna');
    expect(order.billingAddress?.company).toBeUndefined();
    expect(order.lines[0]?.name).toBe('Díszpárna &#0;40');
    expect(order.lines[0]?.attributes.displayName).toBe('Díszpárna 40');
    expect(order.lines[0]?.sku).toBe('DP-4040');
    expect(order.lines[0]?.attributes.variation).toEqual({ pa_szin: { value: 'zold', displayKey: 'Szín', displayValue: { deep: ['x'] } } });
    expect(order.lines.find((l) => l.kind === 'discount')?.name).toBe('tavasz10');
    expect(order.source.utm?.term).toBe('garden');
  });

  it('strips U+0000 from error refs and messages', () => {
    const result = map(JSON.stringify([{ ...fixtureJson('order-727.json'), id: '12\u0000', total: 'x\u0000' }]));
    expect(nulPaths(JSON.parse(JSON.stringify([{ id: '12\u0000' }])))).toEqual(['$[0].id']);
    expect(nulPaths(result)).toEqual([]);
    expect(result.errors[0]?.ref).toBe('12');
  });
});

describe('money helpers', () => {
  it('parses strings and JSON numbers to exact decimals', () => {
    expect(normaliseDecimal('29.35')).toBe('29.35');
    expect(normaliseDecimal('10.00')).toBe('10');
    expect(normaliseDecimal('-0.00')).toBe('0');
    expect(normaliseDecimal(14.99)).toBe('14.99');
    expect(normaliseDecimal(JSON.parse('0.1'))).toBe('0.1');
    expect(normaliseDecimal('38.115')).toBe('38.115');
    expect(normaliseDecimal(' 7 ')).toBe('7');
    expect(normaliseDecimal('1e3')).toBe('1000');
  });

  it('rejects what is not a number', () => {
    for (const value of ['', 'abc', '1,5', '12.3.4', Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, []]) {
      expect(parseDecimal(value)).toBeUndefined();
    }
  });

  it('adds without float error', () => {
    const sum = (parseDecimal(0.1) as Decimal).plus(parseDecimal(0.2) as Decimal);
    expect(formatDecimal(sum)).toBe('0.3');
  });

  it('decodes HTML entities for display only', () => {
    expect(decodeHtmlEntities('A &ndash; B &times; 2 &#36;5 &#x41; &amp;amp; &unknown;')).toBe('A \u2013 B \u00d7 2 $5 A &amp; &unknown;');
  });
});
