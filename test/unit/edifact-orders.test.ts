import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { OrderDraftSchema, type OrderDraft } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { edifactMapping, EdifactMappingOptionsSchema } from '../../mappings/edi/edifact/index.ts';
import { decodeEdiBytes } from '../../lib/edi-text.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');
const map = (body: string, options: Record<string, unknown> = {}) => edifactMapping.map({ kind: 'upload', body, contentType: 'application/edifact' }, options);

function single(body: string, options: Record<string, unknown> = {}): OrderDraft {
  const result = map(body, options);
  expect(result.errors).toEqual([]);
  expect(result.orders).toHaveLength(1);
  const order = result.orders[0] as OrderDraft;
  expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
  return order;
}

const edifactOf = (order: OrderDraft): Record<string, any> => order.transport!.edifact as Record<string, any>;

describe('edifact ORDERS mapping', () => {
  describe('when given the dilono D.96A sample', () => {
    const order = single(fixture('dilono-d96a-orders.edi'));

    it('identifies the order by sender and BGM number', () => {
      expect(order.externalId).toBe('0000000000001:1AA1TEST');
      expect(order.number).toBe('1AA1TEST');
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('original');
      expect(order.currency).toBe('EUR');
      expect(order.placedAt).toBe('2014-04-07T00:00:00.000Z');
      expect(order.sourceUpdatedAt).toBe('2014-04-07T09:10:00.000Z');
      expect(order.desiredDeliveryDate).toBe('2014-04-14');
    });

    it('maps buyer, delivery and invoicee', () => {
      expect(order.source).toMatchObject({ partner: '0000000000005', store: '0000000000004', createdVia: 'edifact' });
      expect(order.customer).toEqual({ externalId: '0000000000005', taxNumber: 'DE123456789' });
      expect(order.shippingAddress).toEqual({ country: 'DE' });
      // The sample shifts its IV address one element left (street in C059 = 'Berlin', 'DE' in the postcode slot): read as written.
      expect(order.billingAddress).toEqual({ company: 'Muster GmbH', line1: 'Berlin', region: 'Muster str. 23', postcode: 'DE' });
    });

    it('computes line money from PRI and QTY with decimals', () => {
      expect(order.lines.map((l) => [l.externalId, l.quantity, l.unitPrice, l.subtotal, l.discount, l.total])).toEqual([
        ['1', '5', '27.5', '137.5', '0', '137.5'],
        ['2', '1', '10.87', '10.87', '0', '10.87'],
        ['3', '3', '3.85', '13.53', '1.98', '11.55'],
      ]);
      expect(order.totals).toEqual({ subtotal: '161.9', discount: '1.98', shipping: '0', fee: '0', tax: '0', total: '159.92' });
      expect(order.lines[2]?.attributes).toMatchObject({ gtin: '97838983938472', netPrice: { value: '3.85' }, grossPrice: { value: '4.51' } });
    });

    it('keeps what an ORDRSP needs in transport.edifact', () => {
      expect(edifactOf(order)).toMatchObject({
        interchange: { controlRef: '5', syntaxId: 'UNOA', syntaxVersion: '2', sender: { id: '0000000000001', qualifier: '14' }, recipient: { id: '0000000000002', qualifier: '14' } },
        message: { ref: '1', identifier: 'ORDERS:D:96A:UN:EAN008', release: '96A', associationCode: 'EAN008' },
        document: { nameCode: '220', number: '1AA1TEST', function: '9' },
        references: { ON: '20140407-1/1', PD: '1704', CR: 'ABCD5' },
        parties: { BY: { id: '0000000000005', agency: '9' }, SU: { id: '0000000000002', agency: '9' } },
        controlTotals: { '2': '3' },
      });
    });
  });

  describe('when given the constructed full D.96A order', () => {
    const order = single(fixture('constructed-full-d96a.edi'), { productMap: { 'IN:B-100': 'SKU-SCREW', '4000862141411': 'SKU-DOWEL' }, partyMap: { '4012345000009': { id: 'C-17', name: 'Bau+Garten (key account)' } } });

    it('maps parties, contacts and addresses', () => {
      expect(order.customer).toEqual({ externalId: 'C-17', name: 'Bau+Garten (key account)', company: 'Bau+Garten AG', phone: '+49 30 123456', email: 'erika@example.com', taxNumber: 'DE811111111' });
      expect(order.shippingAddress).toEqual({ company: 'Filiale Nord', line1: 'Lagerweg 9', city: 'Potsdam', postcode: '14467', country: 'DE' });
      expect(order.billingAddress).toEqual({ company: 'Bau+Garten AG Buchhaltung', line1: 'Postfach 100', city: 'Berlin', postcode: '10001', country: 'DE' });
      expect(order.region).toBe('DE');
      expect(order.notes).toBe('Ring twice Gate 4');
      expect(order.placedAt).toBe('2024-03-11T08:12:00.000Z');
      expect(order.desiredDeliveryDate).toBe('2024-03-20');
    });

    it('maps SKUs through productMap, prices per basis quantity, MOA and TAX', () => {
      const [screw, dowel] = order.lines;
      expect(screw).toMatchObject({ sku: 'SKU-SCREW', name: 'Schraube M8:40 verzinkt', quantity: '12', unitPrice: '1.25', subtotal: '18', discount: '3', total: '15' });
      expect(screw?.attributes).toMatchObject({ lineNo: '1', gtin: '4000862141404', supplierArticle: 'ART-1', buyerArticle: 'B-100', unit: 'PCE', taxRate: '19', taxCategory: 'S', skuVia: 'productMap IN:B-100' });
      expect(dowel).toMatchObject({ sku: 'SKU-DOWEL', name: 'Dübel 10mm', quantity: '100', unitPrice: '0.089', total: '8.9' });
      expect(order.totals).toMatchObject({ subtotal: '26.9', discount: '3', total: '28.44' });
    });
  });

  describe('when the decimal mark is a comma', () => {
    it('reads 12,5 × 3,75 and MOA 46,88 exactly', () => {
      const order = single(fixture('constructed-comma-decimal.edi'));
      expect(order.lines[0]).toMatchObject({ quantity: '12.5', unitPrice: '3.75', total: '46.88' });
      expect(order.lines[0]?.attributes.unit).toBe('KGM');
    });

    it('refuses a comma where UNA did not declare it', () => {
      const body = fixture('constructed-comma-decimal.edi').replace("UNA:+,? '", "UNA:+.? '");
      const result = map(body);
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([{ ref: 'message 1', message: 'message 1: QTY+21 quantity "12,5" is not a number (segment 8 (QTY) at line 9, column 1)' }]);
    });
  });

  describe('when the separators are | and released characters are in the data', () => {
    it('keeps + and | inside the document number', () => {
      const order = single(fixture('constructed-una-pipe.edi'));
      expect(order.number).toBe('A+B|1');
      expect(order.externalId).toBe('4012345000009:A+B|1');
      expect(order.customer.company).toBe('Plus+Minus|Pipe GmbH');
    });

    it("reads O?'Neil and ??' in notes and names", () => {
      const order = single(fixture('constructed-release-chars.edi'));
      expect(order.notes).toBe("O'Neil's order Answer?");
      expect(order.customer.company).toBe("DE'");
      expect(order.lines[0]?.name).toBe('Question? mark Plus+Colon:');
    });

    it('keeps a line break inside a note', () => {
      expect(single(fixture('constructed-newline-in-element.edi')).notes).toBe('first line\nsecond line');
    });
  });

  describe('when the segments end with CR LF', () => {
    it('maps exactly like the LF file', () => {
      expect(single(fixture('constructed-crlf.edi'))).toEqual(single(fixture('constructed-full-d96a.edi')));
    });
  });

  describe('when given the php-edifact UNOC order (ISO 8859-1, no CUX, no prices)', () => {
    const body = decodeEdiBytes(readFileSync(new URL('../fixtures/edi/edifact/php-edifact-order-excerpt-latin1.edi', import.meta.url))).text;

    it('takes the channel default currency, else XXX (no currency involved), since it carries no prices', () => {
      expect(single(body, { defaultCurrency: 'EUR' }).currency).toBe('EUR');
      const order = single(body);
      expect(order.currency).toBe('XXX');
      expect((order.transport as { edifact: { currency?: string } }).edifact.currency).toContain('no CUX and carries no prices');
    });

    it('still needs a currency when the message carries prices (a constructed order without its CUX)', () => {
      // The CUX segment out, and the message's segment count with it.
      const priced = fixture('constructed-full-d96a.edi').replace("CUX+2:EUR:9'\n", '').replace(/^UNT\+33\+/m, 'UNT+32+');
      expect(priced).not.toContain('CUX');
      expect(map(priced).errors).toEqual([
        expect.objectContaining({ message: expect.stringContaining('no currency: the message has no CUX, the channel sets no defaultCurrency, and the message carries prices') }),
      ]);
      expect(single(priced, { defaultCurrency: 'EUR' }).currency).toBe('EUR');
    });

    it('maps names with released + and Latin-1 letters, SA as SKU and units', () => {
      const order = single(body, { defaultCurrency: 'EUR' });
      expect(order.externalId).toBe('4250159300001:2019265563');
      expect(order.customer).toEqual({ externalId: '4250159300001', name: 'A+A Kälte GmbH', company: 'A+A Kälte GmbH', phone: '020994125-32' });
      expect(order.shippingAddress).toEqual({ company: 'A+A Kälte GmbH', line1: 'Teststraße 7', city: 'TestCity', postcode: '46149', country: 'DE' });
      expect(order.lines.map((l) => [l.externalId, l.sku, l.quantity, l.total])).toEqual([
        ['1', '1001', '2', '0'],
        ['2', '1007', '2', '0'],
        ['3', '1011', '1', '0'],
        ['87', '7288', '7', '0'],
        ['88', '7289', '8', '0'],
      ]);
      expect(order.lines[3]?.name).toBe('Hühnersuppe Konzentrat ohne Einlage f Sup 1:10 und Soß 1:6');
      expect(order.lines[3]?.attributes).toMatchObject({ unit: 'STK', buyerArticle: '6007288', supplierArticle: '7288', priceMissing: true, skuVia: 'SA' });
      expect(order.desiredDeliveryDate).toBe('2018-12-06');
    });
  });

  describe('when given the GS1 eOrders example without envelope', () => {
    it('maps both D.01B messages, using the buyer GLN as sender', () => {
      const result = map(fixture('gs1-eorders-cmi-d01b.edi'));
      expect(result.errors).toEqual([]);
      expect(result.orders.map((o) => [o.externalId, o.status, o.sourceStatus, o.desiredDeliveryDate, o.lines[0]?.attributes.gtin])).toEqual([
        ['5412345000013:128576', 'received', 'original', '2002-09-03', '4000862141404'],
        ['5412345000013:128577', 'on_hold', 'proposal', '2002-09-03', '4000862141404'],
      ]);
      expect(edifactOf(result.orders[0] as OrderDraft).warnings).toEqual(['no UNB interchange header before segment 1 (UNH) at line 1, column 1']);
      expect(edifactOf(result.orders[0] as OrderDraft).document.nameCode).toBe('22E');
    });
  });

  describe('when one message of two is broken', () => {
    it('rejects it with its position and maps the other', () => {
      const result = map(fixture('constructed-two-messages-one-broken.edi'));
      expect(result.orders.map((o) => o.externalId)).toEqual(['4012345000009:GOOD-2']);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.ref).toBe('message B1');
      expect(result.errors[0]?.message).toContain('segment 9 (Neil hammer) at line 9, column 13');
      expect(result.errors[0]?.message).toContain('UNT segment count "10" does not match the 12 segments');
    });

    it('rejects a wrong UNT count and keeps the other message', () => {
      const result = map(fixture('constructed-wrong-unt-count.edi'));
      expect(result.orders.map((o) => o.number)).toEqual(['RIGHT-2']);
      expect(result.errors).toEqual([{ ref: 'message W1', message: 'message W1: UNT segment count "9" does not match the 10 segments from UNH to UNT (segment 11 (UNT) at line 12, column 1)' }]);
    });
  });

  describe('when the UNZ count is wrong or UNZ is missing', () => {
    it('accepts the orders and records the warning on them', () => {
      const result = map(fixture('constructed-wrong-unz-count.edi'));
      expect(result.errors).toEqual([]);
      expect(edifactOf(result.orders[0] as OrderDraft).warnings[0]).toMatch(/^UNZ says "3" messages, the interchange holds 1/);
    });

    it('maps the complete message of a truncated interchange', () => {
      const result = map(fixture('constructed-truncated.edi'));
      expect(result.orders.map((o) => o.number)).toEqual(['TRUNC-1']);
      expect(result.errors.map((e) => e.ref)).toEqual(['message 2']);
      expect(edifactOf(result.orders[0] as OrderDraft).warnings[0]).toMatch(/no UNZ/);
    });
  });

  describe('when a replace and a cancellation follow the original', () => {
    const base = fixture('constructed-comma-decimal.edi');
    const variant = (fn: string, ref: string): string => base.replace("BGM+220+DEC-1+9'", `BGM+220+DEC-1+${fn}'`).replace('+IC10', `+${ref}`).replace('UNZ+1+IC10', `UNZ+1+${ref}`);

    it('keeps one externalId across versions and cancels on function 1', () => {
      const [original, replace, cancel] = [variant('9', 'A1'), variant('5', 'A2'), variant('1', 'A3')].map((b) => single(b));
      expect(new Set([original, replace, cancel].map((o) => o?.externalId))).toEqual(new Set(['4012345000009:DEC-1']));
      expect([original, replace, cancel].map((o) => [o?.status, o?.sourceStatus])).toEqual([
        ['received', 'original'],
        ['received', 'replace'],
        ['cancelled', 'cancellation'],
      ]);
    });

    it('lets the channel override a status by code or name', () => {
      expect(single(variant('4', 'A4'), { statusMap: { change: 'on_hold' } }).status).toBe('on_hold');
      expect(single(variant('5', 'A5'), { statusMap: { '5': 'in_progress' } }).status).toBe('in_progress');
    });
  });

  describe('when control totals or dates are wrong', () => {
    it('rejects a CNT+2 that does not match the LIN count', () => {
      const result = map(fixture('constructed-comma-decimal.edi').replace("CNT+2:1'", "CNT+2:2'"));
      expect(result.errors[0]?.message).toBe('message 1: CNT+2 says "2" line items, the message has 1 LIN (segment 12 (CNT) at line 13, column 1)');
    });

    it('rejects an impossible DTM date with its position', () => {
      const result = map(fixture('constructed-comma-decimal.edi').replace('DTM+137:20240311:102', 'DTM+137:20240231:102'));
      expect(result.errors[0]?.message).toBe('message 1: DTM+137 value "20240231" does not fit date format 102 (segment 4 (DTM) at line 5, column 1)');
    });

    it('reads 718 ranges and 204 timestamps', () => {
      const body = fixture('constructed-comma-decimal.edi').replace("DTM+137:20240311:102'", "DTM+137:20240311101530:204'DTM+2:2024080120240831:718'").replace("UNT+12+1'", "UNT+13+1'");
      const order = single(body);
      expect(order.placedAt).toBe('2024-03-11T10:15:30.000Z');
      expect(order.desiredDeliveryDate).toBe('2024-08-01');
      expect(edifactOf(order).dates[1]).toEqual({ qualifier: '2', value: '2024080120240831', format: '718', date: '2024-08-01', endDate: '2024-08-31' });
    });
  });

  describe('when the payload is not an ORDERS interchange', () => {
    it('skips non-ORDERS messages (not an error) and reports empty bodies, without throwing', () => {
      const multi = map(fixture('php-edifact-multi.edi'));
      expect(multi.errors).toEqual([]);
      expect(multi.skipped?.map((s) => s.ref)).toEqual(['message 1', 'message 2']);
      expect(map('').errors).toEqual([{ message: 'body is empty: no EDIFACT interchange' }]);
      expect(map('{"json": true}').orders).toEqual([]);
      expect(map('{"json": true}').errors.length).toBeGreaterThan(0);
      expect(() => map('UNA:+.')).not.toThrow();
      expect(() => map("UNH+1+ORDERS:D:96A:UN'UNT+2+1'")).not.toThrow();
    });

    it('refuses an unsupported directory', () => {
      const result = map(fixture('constructed-comma-decimal.edi').replace('ORDERS:D:96A', 'ORDERS:D:99B'));
      expect(result.errors[0]?.message).toMatch(/ORDERS directory D:99B is not supported/);
    });
  });

  it('validates its options schema', () => {
    expect(Value.Check(EdifactMappingOptionsSchema, { productMap: { '4000862141404': 'SKU-1' }, partyMap: { '4012345000009': 'Bau+Garten', x: { id: 'C1' } }, defaultCurrency: 'EUR', statusMap: { '1': 'cancelled' } })).toBe(true);
    expect(Value.Check(EdifactMappingOptionsSchema, { statusMap: { '1': 'gone' } })).toBe(false);
    expect(Value.Check(EdifactMappingOptionsSchema, { defaultCurrency: 'eur' })).toBe(false);
  });
});

describe('when an interchange carries messages that are not orders', () => {
  // The constructed order with its message type changed: an invoice sent down the order line.
  const invoice = fixture('constructed-full-d96a.edi').replace('UNH+M1+ORDERS:D:96A:UN:EAN008', 'UNH+M1+INVOIC:D:96A:UN:EAN008');

  it('skips them with the reason, as no error', () => {
    const result = map(invoice);
    expect(result.orders).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.skipped).toEqual([{ ref: 'message M1', reason: 'INVOIC is not an order message (this channel reads ORDERS)' }]);
  });

  it('still reads the orders beside them', () => {
    const order = fixture('constructed-full-d96a.edi');
    const unz = order.indexOf('UNZ+');
    const invoiceMessage = invoice.slice(invoice.indexOf('UNH+'), invoice.indexOf('UNZ+')).replaceAll('M1', 'M2');
    const both = `${order.slice(0, unz)}${invoiceMessage}${order.slice(unz).replace('UNZ+1+', 'UNZ+2+')}`;
    const result = map(both);
    expect(result.orders.map((o) => o.number)).toHaveLength(1);
    expect(result.errors).toEqual([]);
    expect(result.skipped).toEqual([{ ref: 'message M2', reason: 'INVOIC is not an order message (this channel reads ORDERS)' }]);
  });
});

describe('edifact ORDERS delivery schedule and tax (generated message)', () => {
  const message = (lines: string[]): string => {
    const body = ["UNH+1+ORDERS:D:96A:UN:EAN008'", "BGM+220+SCH-1+9'", "DTM+137:20240301:102'", "NAD+BY+4012345000009::9'", "CUX+2:EUR:9'", "TAX+7+VAT+++:::20+S'", ...lines, "UNS+S'"];
    return `UNB+UNOC:3+4012345000009:14+4098765000010:14+240301:1200+S1'${body.join('')}UNT+${body.length + 1}+1'UNZ+1+S1'`;
  };

  it('keeps split deliveries (QTY+11 + DTM, and SCC groups) with the quantity as their sum, and the line TAX rate and amount', () => {
    const order = single(message([
      "LIN+1++4000862141404:EN'", "QTY+21:10'", "QTY+11:6'", "DTM+2:20240310:102'", "QTY+11:4'", "DTM+2:20240317:102'", "PRI+AAA:2'", "MOA+203:20'", "TAX+7+VAT+++:::7+S'", "MOA+124:1.40'",
      "LIN+2++4000862141411:EN'", "PRI+AAA:3'", "SCC+1'", "QTY+21:5:PCE'", "DTM+2:20240310:102'", "SCC+1'", "QTY+21:7:PCE'", "DTM+2:20240401:102'",
    ]));
    expect(order.lines[0]).toMatchObject({ quantity: '10', tax: '1.4', attributes: { taxRate: '7', taxAmount: '1.4', deliveries: [{ quantity: '6', date: '2024-03-10' }, { quantity: '4', date: '2024-03-17' }] } });
    expect(order.lines[1]).toMatchObject({ quantity: '12', total: '36', attributes: { unit: 'PCE', taxRate: '20', deliveries: [{ quantity: '5', unit: 'PCE', date: '2024-03-10' }, { quantity: '7', unit: 'PCE', date: '2024-04-01' }] } });
  });
});
