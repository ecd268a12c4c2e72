import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Decimal } from 'decimal.js';
import { OrderDraftSchema, type OrderDraft } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { x12Mapping, X12MappingOptionsSchema, parseX12, parse850, type X12SourceInfo } from '../../mappings/edi/x12/index.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/x12/${name}`, import.meta.url), 'utf8');
const map = (body: string, options: Record<string, unknown> = {}) => x12Mapping.map({ kind: 'upload', body, contentType: 'application/edi-x12' }, options);
const x12Of = (order: OrderDraft): X12SourceInfo => (order.transport as { x12: X12SourceInfo }).x12;

function single(body: string, options: Record<string, unknown> = {}): OrderDraft {
  const result = map(body, options);
  expect(result.errors).toEqual([]);
  expect(result.orders).toHaveLength(1);
  const order = result.orders[0] as OrderDraft;
  expect(firstProblem(OrderDraftSchema, order)).toBeUndefined();
  return order;
}

function expectLinesAddUp(order: OrderDraft): void {
  const sum = order.lines.reduce((s, l) => s.plus(l.total), new Decimal(0));
  expect(sum.toFixed()).toBe(new Decimal(order.totals.total).toFixed());
  for (const l of order.lines) {
    expect(new Decimal(l.quantity).times(l.unitPrice).toDecimalPlaces(4).toFixed()).toBe(new Decimal(l.total).toFixed());
  }
}

describe('x12 850 mapping', () => {
  describe('when given the node-x12 sample 850', () => {
    const order = single(fixture('node-x12-850.edi'));

    it('fits the core schema', () => {
      expect(Value.Check(OrderDraftSchema, order)).toBe(true);
    });

    it('keys the order on sender id and PO number', () => {
      expect(order.externalId).toBe('4405197800:08292233294');
      expect(order.number).toBe('08292233294');
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('original');
      expect(order.currency).toBe('USD');
      expect(order.placedAt).toBe('2010-11-27T00:00:00.000Z');
      expect(order.sourceUpdatedAt).toBe('2010-11-27T17:19:00.000Z');
      expect(order.desiredDeliveryDate).toBe('2010-12-14');
    });

    it('maps every PO1 with exact decimal money (AMT*1 = 13045.94)', () => {
      expect(order.lines).toHaveLength(6);
      expect(order.lines.map((l) => [l.externalId, l.quantity, l.unitPrice, l.total, l.sku, l.name])).toEqual([
        ['1', '120', '9.25', '1110', 'AB3542', 'SMALL WIDGET'],
        ['2', '220', '13.79', '3033.8', 'RD5322', 'MEDIUM WIDGET'],
        ['3', '126', '10.99', '1384.74', 'XY5266', 'LARGE WIDGET'],
        ['4', '76', '4.35', '330.6', 'VX2332', 'NANO WIDGET'],
        ['5', '72', '7.5', '540', 'RV0524', 'BLUE WIDGET'],
        ['6', '696', '9.55', '6646.8', 'DX1875', 'ORANGE WIDGET'],
      ]);
      expect(order.totals).toEqual({ subtotal: '13045.94', discount: '0', shipping: '0', fee: '0', tax: '0', total: '13045.94' });
      expectLinesAddUp(order);
      expect(x12Of(order).warnings).toEqual([]);
    });

    it('keeps what an 855 needs in line attributes and transport.x12', () => {
      const line = order.lines[0]!;
      expect(line.attributes).toMatchObject({
        lineNo: '1',
        uom: 'EA',
        priceBasis: 'TE',
        unitPriceAsSent: '9.25',
        productIds: [
          { qualifier: 'CB', id: '065322-117' },
          { qualifier: 'PR', id: 'RO' },
          { qualifier: 'VN', id: 'AB3542' },
        ],
        pack: { pack: '4', size: '4', uom: 'EA' },
        po1: ['PO1', '1', '120', 'EA', '9.25', 'TE', 'CB', '065322-117', 'PR', 'RO', 'VN', 'AB3542'],
      });
      expect(x12Of(order)).toMatchObject({
        sender: { qualifier: '12', id: '4405197800' },
        receiver: { qualifier: '01', id: '999999999' },
        interchangeControlNumber: '000003438',
        groupControlNumber: '1421',
        transactionSetControlNumber: '000000010',
        version: '004010VICS',
        purpose: '00',
        orderType: 'SA',
        poDate: '20101127',
        contract: '610385385',
      });
      expect(order.source.partner).toBe('4405197800');
    });

    it('maps the ship-to party', () => {
      expect(order.shippingAddress).toEqual({ name: 'XYZ RETAIL', line1: '31875 SOLON RD', city: 'SOLON', region: 'OH', postcode: '44139' });
      expect(order.billingAddress).toBeUndefined();
      expect(order.customer).toEqual({ externalId: '9:0003947268292', company: 'XYZ RETAIL' });
      expect(order.region).toBe('OH');
    });

    it('reads the same PO identically when LF is the terminator', () => {
      const lf = single(fixture('node-x12-850-lf-terminator.edi'));
      expect(lf).toEqual(order);
    });
  });

  describe('when given the constructed 00401 order with CRLF', () => {
    const order = single(fixture('constructed-00401-crlf.edi'), { productMap: { 'UP:012345678905': 'SKU-BLUE', '4006381333931': 'SKU-GREASE' } });

    it('maps parties to customer, addresses and partner', () => {
      expect(order.customer).toEqual({ externalId: '92:ACME01', company: 'ACME STORES INC', name: 'JANE BUYER', email: 'jane@acme.example', phone: '5551234567' });
      expect(order.shippingAddress).toEqual({ name: 'ISAAC NEWTON DC', company: 'RECEIVING DOCK 4', line1: '100 MAIN ST', line2: 'SUITE 5', city: 'SPRINGFIELD', region: 'IL', postcode: '62701', country: 'US' });
      expect(order.billingAddress).toEqual({ name: 'ACME ACCOUNTS PAYABLE', line1: 'PO BOX 77', city: 'CHICAGO', region: 'IL', postcode: '60601', country: 'US' });
      expect(order.region).toBe('US-IL');
      expect(x12Of(order).vendor).toEqual({ name: 'WIDGET CO', idQualifier: '92', id: 'V-889' });
      expect(order.desiredDeliveryDate).toBe('2024-04-01');
      expect(order.sourceUpdatedAt).toBe('2024-03-15T09:30:45.000Z');
    });

    it('maps SKUs through productMap (qualified or bare keys) and falls back to the vendor part', () => {
      expect(order.lines.map((l) => l.sku)).toEqual(['SKU-BLUE', 'SKU-GREASE', 'WID-300']);
    });

    it('keeps 6-decimal unit prices, divides out HP pricing and rounds line totals to 4 decimals', () => {
      expect(order.lines.map((l) => [l.quantity, l.unitPrice, l.total])).toEqual([
        ['10', '12.5', '125'],
        ['3.5', '4.123456', '14.4321'],
        ['2', '1.5', '3'],
      ]);
      expect(order.lines[2]?.attributes).toMatchObject({ priceBasis: 'HP', unitPriceAsSent: '150', uom: 'CA' });
      expect(order.totals.total).toBe('142.4321');
      expect(x12Of(order).warnings).toEqual([]);
    });

    it('keeps a component separator inside a PO1 id as data', () => {
      expect(order.lines[1]?.attributes.productIds).toEqual([
        { qualifier: 'EN', id: '4006381333931' },
        { qualifier: 'BP', id: 'ACME>77' },
      ]);
    });

    it('uses partyMap for the partner and the customer', () => {
      const mapped = single(fixture('constructed-00401-crlf.edi'), { partyMap: { 'ZZ:ACMEBUYER': 'partner-acme', ACME01: 'cust-acme' } });
      expect(mapped.source.partner).toBe('partner-acme');
      expect(mapped.customer.externalId).toBe('cust-acme');
    });
  });

  describe('when the purpose is cancellation (00501, LF terminator)', () => {
    it('is the same order, cancelled', () => {
      const order = single(fixture('constructed-00501-lf-terminator.edi'));
      expect(order.externalId).toBe('123456789:PO-9001');
      expect(order.status).toBe('cancelled');
      expect(order.sourceStatus).toBe('cancellation');
      expect(order.shippingAddress).toMatchObject({ name: 'ISAAC ASIMOV', country: 'US' });
      expect(order.lines[0]).toMatchObject({ name: 'UP 036000291452', total: '9.99' });
      expect(order.lines[0]?.sku).toBeUndefined(); // a UPC is the buyer's view, never taken for our SKU
      expect(x12Of(order).version).toBe('005010');
    });

    it('follows statusMap overrides by code or by name', () => {
      expect(single(fixture('constructed-00501-lf-terminator.edi'), { statusMap: { '01': 'on_hold' } }).status).toBe('on_hold');
      expect(single(fixture('constructed-00501-lf-terminator.edi'), { statusMap: { cancellation: 'failed' } }).status).toBe('failed');
      expect(single(fixture('constructed-00501-lf-terminator.edi'), { statusMap: { '01': 'nonsense' } }).status).toBe('cancelled');
    });
  });

  describe('when the purpose is replace (PGW Glass sample)', () => {
    const order = single(fixture('oopfactory-pgw-glass-850.txt'));

    it('is the next version of the same order', () => {
      expect(order.externalId).toBe('828513080:S41000439');
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('replace');
    });

    it('verifies the header AMT*TT against the lines', () => {
      expect(order.totals.total).toBe('884.06');
      expect(x12Of(order).warnings).toEqual([]);
      expectLinesAddUp(order);
    });

    it('takes the delivery date from the lines when the header has none, and keeps line notes', () => {
      expect(order.desiredDeliveryDate).toBe('2010-08-20');
      expect(order.lines[1]?.attributes).toMatchObject({ requestedDeliveryDate: '2010-08-20', notes: ['LAMP, MAXLITE 35873, 200W,', '277V, 5000K, E39, HPE', 'MODEL NO. SKO200EA250'] });
      expect(order.lines.map((l) => l.sku)).toEqual([undefined, undefined, undefined, undefined]);
      expect(order.customer.name).toBe('Doe, Jane');
      expect(order.shippingAddress).toEqual({ line1: 'WORKS 41', line2: '2290 MENELAUS ROAD', city: 'BEREA', region: 'KY', postcode: '40403', country: 'US' });
    });
  });

  describe('when AMT disagrees with the lines', () => {
    it('keeps the order and records the mismatch (Adobe sample: AMT*TT 12 for 665)', () => {
      const order = single(fixture('oopfactory-adobe-tlp-850.txt'));
      expect(order.totals.total).toBe('665');
      expect(x12Of(order).warnings).toEqual([expect.stringMatching(/AMT\*TT says 12 but the lines add up to 665 \(AMT at segment 41 \(line 41, column 7/)]);
      expect(order.customer).toMatchObject({ externalId: '91:ID Number', company: 'SOLD TO' });
      expect(order.currency).toBe('USD');
    });

    it('rejects the set instead with strictControlTotals', () => {
      const result = map(fixture('oopfactory-adobe-tlp-850.txt'), { strictControlTotals: true });
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([{ ref: 'ST 114640004', message: expect.stringMatching(/AMT\*TT says 12 .*strictControlTotals/) }]);
    });
  });

  describe('when CTT01 disagrees with the PO1 count', () => {
    it('records a warning', () => {
      const body = fixture('constructed-00401-crlf.edi').replace('CTT*3~', 'CTT*4~');
      const order = single(body);
      expect(x12Of(order).warnings).toEqual(['CTT01 says 4 line items but the 850 has 3 PO1 segments']);
    });
  });

  describe('when a payload holds two sets and one has a bad SE01', () => {
    it('maps the good one and reports the bad one with ref and position', () => {
      const result = map(fixture('constructed-two-sets-bad-se.edi'));
      expect(result.orders.map((o) => o.externalId)).toEqual(['ACMEBUYER:A-2']);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.ref).toBe('ST 0001');
      expect(result.errors[0]?.message).toMatch(/SE01 says 9 segments .* SE at segment 8 \(line 8, column 1, offset \d+\)/);
    });
  });

  describe('when the group and interchange trailers are wrong', () => {
    it('keeps the order and carries the envelope warnings', () => {
      const result = map(fixture('constructed-bad-trailer-counts.edi'));
      expect(result.errors).toEqual([]);
      expect(x12Of(result.orders[0]!).warnings).toHaveLength(4);
    });
  });

  describe('when the file is truncated', () => {
    it('maps the complete set and reports the cut one', () => {
      const result = map(fixture('constructed-truncated.edi'));
      expect(result.orders.map((o) => o.externalId)).toEqual(['ACMEBUYER:C-1']);
      expect(result.errors).toEqual([{ ref: 'ST 0002', message: expect.stringMatching(/has no SE/) }]);
    });
  });

  describe('when given the EdiFabric samples', () => {
    it('maps two sets with the same PO number as two drafts of one order', () => {
      const result = map(fixture('edifabric-purchase-orders.txt'));
      expect(result.errors).toEqual([]);
      expect(result.orders.map((o) => o.externalId)).toEqual(['SENDER1:XX-1234', 'SENDER1:XX-1234']);
      expect(result.orders[0]?.customer).toMatchObject({ company: 'ABC AEROSPACE', name: 'ED SMITH', phone: '8001234567' });
      expect(result.orders[0]?.lines[0]).toMatchObject({ quantity: '25', unitPrice: '36', total: '900' });
      expect(result.orders[0]?.lines[0]?.sku).toBeUndefined();
    });

    it('maps a fractional quantity exactly and records the AMT*1 mismatch', () => {
      const result = map(fixture('edifabric-multiple-groups.txt'));
      expect(result.orders).toHaveLength(2);
      const order = result.orders[0]!;
      expect(order.lines[0]).toMatchObject({ quantity: '120.6', unitPrice: '9.55', total: '1151.73', sku: '12345' });
      expect(order.notes).toBe('THIS PURCHASE ORDER IS SUBJECT TO THE SAME TERMS AND\nCONDITIONS');
      expect(x12Of(order).warnings).toEqual([expect.stringMatching(/AMT\*1 says 240.12 but the lines add up to 1151.73/)]);
    });

    it('reports stray segments and still maps the next set', () => {
      const result = map(fixture('edifabric-corrupt-st.txt'));
      expect(result.orders).toHaveLength(1);
      expect(result.errors).toEqual([{ message: expect.stringMatching(/15 segments from T at segment 3/) }]);
    });

    it('rejects the real set with a wrong SE01', () => {
      const result = map(fixture('edifabric-multiline-bad-se.txt'));
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([{ ref: 'ST 0001', message: expect.stringMatching(/SE01 says 15 segments/) }]);
    });
  });

  describe('when a set cannot be read', () => {
    const wrap = (body: string[]): string => {
      const segs = ['ST*850*0007', ...body];
      segs.push(`SE*${segs.length + 1}*0007`);
      return `ISA*00*          *00*          *ZZ*S              *ZZ*R              *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~${segs.join('~')}~GE*1*1~IEA*1*000000001~`;
    };

    it('reports a missing BEG, a bad date, a bad quantity and too many decimals by set', () => {
      const cases: Array<[string[], RegExp]> = [
        [['PO1*1*1*EA*1'], /has no BEG/],
        [['BEG*00*SA*P1**20241301'], /BEG05 .* not a CCYYMMDD date: "20241301" \(BEG at segment 4/],
        [['BEG*00*SA***20240101'], /BEG03 .* is empty/],
        [['BEG*00*SA*P1**20240101', 'PO1*1*ten*EA*1'], /PO102 \(quantity\) of line 1 is not a number: "ten" \(PO1 at segment 5 \(line 1, column \d+/],
        [['BEG*00*SA*P1**20240101', 'PO1*1*1.23456*EA*1'], /PO102 .* more than 4 decimals/],
        [['BEG*00*SA*P1**20240101', 'PO1*1*1*EA*1.1234567'], /PO104 .* more than 6 decimals/],
      ];
      for (const [body, pattern] of cases) {
        const result = map(wrap(body));
        expect(result.orders).toEqual([]);
        expect(result.errors).toEqual([{ ref: 'ST 0007', message: expect.stringMatching(pattern) }]);
      }
    });

    it('accepts a PO1 without line number or price', () => {
      const order = single(wrap(['BEG*00*SA*P1**20240101', 'PO1**2*EA***VN*X1']));
      expect(order.lines[0]).toMatchObject({ externalId: '#1', quantity: '2', unitPrice: '0', total: '0', sku: 'X1', attributes: { priceMissing: true, lineNo: '' } });
    });

    it('uses the default currency option when there is no CUR', () => {
      expect(single(wrap(['BEG*00*SA*P1**20240101']), { currency: 'CAD' }).currency).toBe('CAD');
      expect(single(wrap(['BEG*00*SA*P1**20240101'])).currency).toBe('USD');
    });

    it('skips other transaction set types with the reason, as no error', () => {
      const result = map(fixture('node-x12-855.edi'));
      expect(result.orders).toEqual([]);
      expect(result.errors).toEqual([]);
      expect(result.skipped).toEqual([{ ref: 'ST 0005', reason: expect.stringMatching(/transaction set 855 at segment 3 .* is not an 850/) }]);
    });
  });

  describe('when the payload is not X12', () => {
    it('never throws', () => {
      for (const body of ['', 'hello', '{"a":1}', 'ISA*', 'ISAAC', '\u0000\u0001', 'ISA*00*'.repeat(40)]) {
        const result = map(body);
        expect(result.orders).toEqual([]);
        expect(result.errors.length).toBeGreaterThan(0);
      }
      expect(() => x12Mapping.map({ kind: 'upload', body: undefined as unknown as string }, undefined as never)).not.toThrow();
    });

    it('ignores garbage options instead of throwing', () => {
      const result = map(fixture('node-x12-850.edi'), { productMap: 'x', partyMap: [1], statusMap: null, currency: 5 });
      expect(result.orders).toHaveLength(1);
    });
  });

  describe('options schema', () => {
    it('accepts the documented options and refuses unknown ones', () => {
      expect(Value.Check(X12MappingOptionsSchema, { productMap: { 'UP:1': 'A' }, partyMap: { '92:X': 'p' }, currency: 'EUR', statusMap: { '00': 'received' }, strictControlTotals: true })).toBe(true);
      expect(Value.Check(X12MappingOptionsSchema, { statusMap: { '00': 'nope' } })).toBe(false);
      expect(Value.Check(X12MappingOptionsSchema, { other: 1 })).toBe(false);
    });
  });

  describe('parse850', () => {
    it('exposes the parsed purchase order', () => {
      const set = parseX12(fixture('node-x12-850.edi')).transactionSets[0]!;
      const parsed = parse850(set);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.order).toMatchObject({ purpose: '00', orderType: 'SA', poNumber: '08292233294', poDate: '2010-11-27', lineCount: '6' });
      expect(parsed.order.amounts).toEqual([expect.objectContaining({ qualifier: '1', amount: '13045.94' })]);
      expect(parsed.order.references).toEqual([{ qualifier: 'DP', value: '038' }, { qualifier: 'PS', value: 'R' }]);
    });
  });
});


describe('x12 850 delivery schedule and tax', () => {
  it("keeps the EdiFabric sample's SCH schedule on the line (PO102 stays the quantity)", () => {
    const order = map(fixture('edifabric-purchase-orders.txt')).orders[0]!;
    expect(order.lines[0]).toMatchObject({ quantity: '25', attributes: { deliveries: [{ quantity: '25', unit: 'EA', date: '2017-06-15', dateQualifier: '106' }] } });
  });

  it('keeps two SCH deliveries and the line TXI rate and amount (generated 850)', () => {
    const segments = [
      'ST*850*0001', 'BEG*00*SA*PO-SCH**20240301', 'TXI*ST**6.25',
      'PO1*1*10*EA*2.5**VN*A-1', 'SCH*6*EA***002*20240310', 'SCH*4*EA***002*20240317', 'TXI*VA*2.5*10',
      'PO1*2*1*EA*4**VN*A-2', 'CTT*2',
    ];
    const body = [
      'ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240301*1200*U*00401*000000001*0*P*>',
      'GS*PO*BUYER*SELLER*20240301*1200*1*X*004010', ...segments, `SE*${segments.length + 1}*0001`, 'GE*1*1', 'IEA*1*000000001',
    ].join('~\n') + '~\n';
    const order = single(body);
    expect(order.lines[0]).toMatchObject({ quantity: '10', tax: '2.5', attributes: { taxRate: '10', deliveries: [{ quantity: '6', date: '2024-03-10' }, { quantity: '4', date: '2024-03-17' }] } });
    expect(order.lines[1]).toMatchObject({ tax: '0', attributes: { taxRate: '6.25' } });
    expect(order.totals).toMatchObject({ tax: '2.5', total: '31.5' });
  });
});
