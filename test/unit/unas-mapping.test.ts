import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { OrderDraftSchema, type OrderDraft } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { parseUnasDecimal, unasMapping } from '../../mappings/unas/index.ts';
import { mapUnasPaymentStatus, mapUnasStatus } from '../../mappings/unas/status.ts';
import { parseUnasDateTime } from '../../mappings/unas/dates.ts';
import { decodeText } from '../../connectors/_kit/decode.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/unas/${name}`, import.meta.url), 'utf8');
const map = (body: string, options: Record<string, unknown> = {}) => unasMapping.map({ kind: 'pull', body, contentType: 'text/xml' }, options);

function single(body: string, options: Record<string, unknown> = {}): OrderDraft {
  const result = map(body, options);
  expect(result.errors).toEqual([]);
  expect(result.orders).toHaveLength(1);
  return result.orders[0] as OrderDraft;
}

const docOrder = fixture('get-order.xml');
/** `source` holds UNAS extras beside the core OrderSource fields (payment, shipping, unas). */
const extra = (order: OrderDraft): Record<string, any> => order.source as Record<string, any>;

describe('unas mapping', () => {
  describe('when given the documented getOrder answer', () => {
    const order = single(docOrder);

    it('fits the core schema', () => {
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
    });

    it('keys the order by Key|Id, numbers it by Key and converts Budapest dates to UTC (DST included)', () => {
      expect(order.externalId).toBe('1000-1000000|146194506');
      expect(order.number).toBe('1000-1000000');
      expect(order.placedAt).toBe('2024-03-31T00:30:00.000Z'); // 01:30 CET, half an hour before the switch
      expect(order.sourceUpdatedAt).toBe('2024-07-15T12:05:09.000Z'); // CEST
      expect(order.currency).toBe('HUF');
      expect(extra(order).unas).toMatchObject({ key: '1000-1000000', id: '146194506', date: '2024.03.31 01:30:00', statusId: '4681666' });
    });

    it('maps the status by the default name when no type is sent, keeping the name', () => {
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('Feldolgozásra vár');
      expect(order.sourceStatusId).toBe('4681666');
      expect(extra(order).unas).toMatchObject({ statusMatchedBy: 'default_name' });
    });

    it('maps product lines by position with unit prices times quantity, and two lines sharing product Id 2000', () => {
      const products = order.lines.filter((l) => l.kind === 'product');
      expect(products.map((l) => [l.externalId, l.sku, l.quantity, l.unitPrice, l.subtotal, l.discount, l.tax, l.total])).toEqual([
        ['1', 'UNAS-0001', '2', '1000', '2000', '0', '540', '2000'],
        ['2', 'UNAS-0002', '1', '1500', '1500', '0', '405', '1500'],
        ['3', 'UNAS-0002', '1', '1500', '1500', '0', '405', '1500'],
      ]);
      expect(products[0]?.attributes).toMatchObject({ position: 1, productId: '1000', vat: '27%', vatRate: '27', unitPriceGross: '1270', totalGross: '2540', unit: 'db' });
      expect(products[1]?.attributes.variants).toEqual([{ name: 'Szín', value: 'Piros' }]);
      expect(products[2]?.attributes.variants).toEqual([{ name: 'Szín', value: 'Kék' }]);
      expect(products[1]?.attributes.productId).toBe(products[2]?.attributes.productId);
      expect(products[0]?.name).toBe('Díszpárna 40×40');
    });

    it('turns synthetic items into shipping, discount and fee lines with their money', () => {
      const other = order.lines.filter((l) => l.kind !== 'product');
      expect(other.map((l) => [l.kind, l.externalId, l.name, l.unitPrice, l.total, l.tax, l.sku])).toEqual([
        ['shipping', '4', 'Szállítási költség', '1000', '1000', '270', undefined],
        ['discount', '5', 'Kedvezmény', '-200', '-200', '-54', undefined],
        ['fee', '6', 'Kezelési költség', '200', '200', '54', undefined],
      ]);
      expect(other[0]?.attributes.unasItemId).toBe('shipping-cost');
    });

    it('totals: SumPriceGross 7620 = Σ lines.total + tax, no sum-check record', () => {
      expect(order.totals).toEqual({ subtotal: '5000', discount: '200', shipping: '1000', fee: '200', tax: '1620', total: '7620' });
      const net = order.lines.reduce((s, l) => s.plus(l.total), new Decimal(0));
      expect(net.plus(order.totals.tax).toFixed()).toBe('7620');
      expect(extra(order).unas).not.toHaveProperty('sumCheck');
    });

    it('maps customer, addresses (CountryCode hu → HU), region and customer comments only', () => {
      expect(order.customer).toEqual({
        externalId: '123',
        name: 'Kovács Anna',
        email: 'kovacs.anna@example.hu',
        phone: '+36 30 123 4567',
        company: 'Rába Design Bt.',
        taxNumber: '12345678-2-08',
      });
      expect(order.billingAddress).toEqual({
        name: 'Rába Design Bt.',
        line1: 'Baross Gábor út 12.',
        city: 'Győr',
        postcode: '9021',
        region: 'Győr-Moson-Sopron',
        country: 'HU',
        email: 'kovacs.anna@example.hu',
      });
      expect(order.shippingAddress).toEqual({ name: 'Kovács Anna', line1: 'Fő utca 1.', city: 'Érd', postcode: '2030', region: 'Pest', country: 'HU' });
      expect(order.region).toBe('HU-Pest');
      expect(order.notes).toBe('Kérem, hívjanak előtte!');
    });

    it('keeps payment (partly paid with a space) and shipping in source, mapped', () => {
      expect(extra(order).payment).toEqual({
        id: '4681651',
        name: 'Banki átutalás',
        type: 'transfer',
        method: 'bank_transfer',
        rawStatus: 'partly paid',
        status: 'partly_paid',
        paid: '5000',
        pending: '0',
        unpaid: '2620',
      });
      expect(extra(order).shipping).toEqual({
        id: '4681636',
        name: 'GLS futárszolgálat',
        carrier: 'gls',
        packageNumber: 'GLS123456',
        trackingUrl: 'https://gls-group.eu/track/GLS123456',
      });
      expect(order.source.createdVia).toBe('unas');
    });
  });

  describe('when the channel configures statuses', () => {
    it('prefers id over name over type', () => {
      const withType = docOrder.replace('<StatusID>', '<StatusType>close_fault</StatusType><StatusID>');
      expect(single(withType).status).toBe('cancelled');
      expect(single(withType, { statusByType: { close_fault: 'failed' } }).status).toBe('failed');
      expect(single(withType, { statusByName: { 'FELDOLGOZÁSRA VÁR': 'on_hold' } }).status).toBe('on_hold');
      expect(single(withType, { statusById: { '4681666': 'in_progress' }, statusByName: { 'Feldolgozásra vár': 'on_hold' } }).status).toBe('in_progress');
    });

    it('maps every type by default and unknown names to on_hold', () => {
      expect(['open_normal', 'open_prepare', 'close_ok', 'close_fault'].map((type) => mapUnasStatus({ type }).status)).toEqual(['received', 'in_progress', 'completed', 'cancelled']);
      expect(mapUnasStatus({ name: 'Egyedi státusz' })).toEqual({ status: 'on_hold', matchedBy: 'unknown' });
      expect(mapUnasStatus({ type: 'close_ok' }, { statusByType: { close_ok: 'not-a-status' } }).status).toBe('completed');
    });

    it('normalises payment statuses', () => {
      expect(['unpaid', 'paid', 'partly paid', 'Partly  Paid', 'overpaid', 'weird'].map(mapUnasPaymentStatus)).toEqual(['unpaid', 'paid', 'partly_paid', 'partly_paid', 'overpaid', 'unknown']);
    });
  });

  describe('when SumPriceGross disagrees with the items', () => {
    const off = docOrder.replace('<SumPriceGross>7620</SumPriceGross>', '<SumPriceGross>7625</SumPriceGross>');

    it('accepts by default with total = SumPriceGross and records the difference', () => {
      const order = single(off);
      expect(order.totals.total).toBe('7625');
      expect(extra(order).unas).toMatchObject({ sumCheck: { sumPriceGross: '7625', itemsGross: '7620', difference: '5' } });
    });

    it('rejects the order when the channel says so, with its ref', () => {
      const result = map(off, { sumMismatch: 'reject' });
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([{ ref: '1000-1000000|146194506', message: 'SumPriceGross 7625 ≠ Σ PriceGross × Quantity 7620 (difference 5)' }]);
    });

    it('tolerates a rounding difference up to 0.01', () => {
      expect(extra(single(docOrder.replace('<SumPriceGross>7620</SumPriceGross>', '<SumPriceGross>7620.01</SumPriceGross>'))).unas).not.toHaveProperty('sumCheck');
    });
  });

  describe('when numbers come in other forms', () => {
    it('accepts decimal commas, rounds money to 4 and unit prices to 6 decimals, and never uses floats', () => {
      const odd = docOrder
        .replace('<Quantity>2</Quantity>', '<Quantity>1,5</Quantity>')
        .replace('<PriceNet>1000</PriceNet>\n\t\t\t\t<PriceGross>1270</PriceGross>', '<PriceNet>0,1234567</PriceNet>\n\t\t\t\t<PriceGross>0.15678</PriceGross>')
        .replace('<SumPriceGross>7620</SumPriceGross>', '');
      const order = single(odd);
      expect(order.lines[0]).toMatchObject({ quantity: '1.5', unitPrice: '0.123457', total: '0.1852', tax: '0.05' });
      expect(extra(order).unas).toMatchObject({ sumCheck: { sumPriceGross: null } });
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
    });

    it('derives a missing PriceNet from the VAT rate', () => {
      const order = single(docOrder.replace('<PriceNet>1000</PriceNet>\n\t\t\t\t<PriceGross>1270</PriceGross>\n\t\t\t\t<Vat>27%</Vat>\n\t\t\t\t<Status>', '<PriceGross>1270</PriceGross>\n\t\t\t\t<Vat>27%</Vat>\n\t\t\t\t<Status>'));
      expect(order.lines[0]).toMatchObject({ unitPrice: '1000', total: '2000', tax: '540' });
      expect(order.lines[0]?.attributes.priceNetDerived).toBe(true);
    });

    it('refuses thousands separators and words as money', () => {
      expect(parseUnasDecimal('1.234,5')).toBeUndefined();
      expect(parseUnasDecimal('1 234')?.toFixed()).toBe('1234');
      expect(parseUnasDecimal('12e3')).toBeUndefined();
      const result = map(docOrder.replace('<Quantity>2</Quantity>', '<Quantity>kettő</Quantity>'));
      expect(result.errors).toEqual([{ ref: '1000-1000000|146194506', message: 'Items/Item[1]/Quantity is not a decimal number: "kettő"' }]);
    });
  });

  describe('when the payload is not clean', () => {
    it('strips NUL from text', () => {
      const order = single(docOrder.replace('Kérem, hívjanak', 'Kérem,\u0000 hívjanak'));
      expect(order.notes).toBe('Kérem, hívjanak előtte!');
    });

    it('gives a clear error for the documented malformed example', () => {
      const result = map(fixture('get-order-doc-malformed.xml'));
      expect(result.orders).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.message).toMatch(/^body is not usable XML: malformed XML: Unexpected close tag at line 13, column \d+ near ".*<Id>123<\/Name>/);
    });

    it('refuses hostile and truncated documents without throwing', () => {
      for (const name of ['hostile-xxe.xml', 'hostile-billion-laughs.xml', 'truncated.xml']) {
        const result = map(fixture(name));
        expect(result.orders).toEqual([]);
        expect(result.errors[0]?.message).toMatch(/^body is not usable XML: /);
      }
      expect(map('').errors[0]?.message).toMatch(/empty/);
    });

    it('reports an <Error> answer and an unexpected root', () => {
      expect(map(fixture('error.xml')).errors).toEqual([{ message: 'UNAS answered with an error instead of orders: Invalid value in LimitNum' }]);
      expect(map('<Products/>').errors[0]?.message).toBe('expected <Orders> or <Order>, got <Products>');
    });

    it('maps an empty answer to no orders and no errors', () => {
      expect(map(fixture('orders-empty.xml'))).toEqual({ orders: [], errors: [] });
      expect(map('<Orders/>')).toEqual({ orders: [], errors: [] });
    });

    it('reports each broken order with its ref and keeps the good ones', () => {
      const good = /<Order>[\s\S]*<\/Order>/.exec(docOrder)?.[0] as string;
      const noId = good.replace('<Id>146194506</Id>', '');
      const badDate = good.replace('<Date>2024.03.31 01:30:00</Date>', '<Date>2024-13-45</Date>').replace('146194506', '146194599');
      const noKey = good.replace('<Key>1000-1000000</Key>', '').replace('146194506', '146194598');
      const result = map(`<Orders>${good}${noId}${noKey}${badDate}<Order>x</Order></Orders>`);
      expect(result.orders.map((o) => o.externalId)).toEqual(['1000-1000000|146194506', '1000-1000000']);
      expect(result.errors).toEqual([
        { ref: 'Id 146194598', message: 'order has no Key' },
        { ref: '1000-1000000|146194599', message: 'Date is not a YYYY.MM.DD HH:MM:SS date: "2024-13-45"' },
        { ref: '#4', message: 'expected an <Order> element with children' },
      ]);
    });

    it('keys an order without Id (the vendor getOrder example has only Key) by Key, and write-back finds it by that Key', () => {
      const order = single(fixture('get-order-key-only.xml'));
      expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
      expect(order.externalId).toBe('1000-1000000');
      expect(order.number).toBe('1000-1000000');
      expect(extra(order).unas.id).toBeUndefined();
      expect(extra(order).unas).toMatchObject({ key: '1000-1000000', date: '2024.03.31 01:30:00' });
      expect(unasMapping.statusWriteBack?.orderRef?.(order.externalId)).toBe('1000-1000000');
      // The same order with its Id keeps the identity stored orders already have.
      expect(single(docOrder).externalId).toBe('1000-1000000|146194506');
    });

    it('maps a single <Order> document', () => {
      const good = /<Order>[\s\S]*<\/Order>/.exec(docOrder)?.[0] as string;
      expect(single(good).externalId).toBe('1000-1000000|146194506');
    });
  });

  describe('when the answer was ISO-8859-2 (decoded by the connector)', () => {
    it('keeps ő and ű and maps qty 10 × 1270 = 12700', () => {
      const text = decodeText(readFileSync(new URL('../fixtures/unas/get-order-iso-8859-2.xml', import.meta.url)), { contentType: 'text/xml' }).text;
      const order = single(text);
      expect(order.customer.name).toBe('Kővári Győző');
      expect(order.billingAddress?.line1).toBe('Fűzfa utca 3.');
      expect(order.lines[0]?.name).toBe('Szőnyeg "Űrhajó" 120x170 ő ű Ő Ű');
      expect(order.lines[0]).toMatchObject({ quantity: '10', unitPrice: '1000', total: '10000', tax: '2700' });
      expect(order.totals.total).toBe('12700');
      expect(order.status).toBe('completed');
      expect(extra(order).payment).toEqual({ type: 'cod', method: 'cash_on_delivery', rawStatus: 'paid', status: 'paid' });
      expect(extra(order).shipping).toEqual({ name: 'Személyes átvétel', carrier: 'personal_pickup' });
    });
  });

  describe('dates', () => {
    it('reads Budapest wall-clock time in winter and summer and refuses impossible dates', () => {
      expect(parseUnasDateTime('2024.01.10 09:15:00')?.toISOString()).toBe('2024-01-10T08:15:00.000Z');
      expect(parseUnasDateTime('2024.07.15 14:05:09')?.toISOString()).toBe('2024-07-15T12:05:09.000Z');
      expect(parseUnasDateTime('2024.10.27 02:30:00')?.toISOString()).toBe('2024-10-27T00:30:00.000Z'); // autumn overlap: the earlier
      expect(parseUnasDateTime('2024.03.31 02:30:00')?.toISOString()).toBe('2024-03-31T01:30:00.000Z'); // spring gap
      expect(parseUnasDateTime('2024.02.30 10:00:00')).toBeUndefined();
      expect(parseUnasDateTime('yesterday')).toBeUndefined();
    });
  });
});
