import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { build855, parse850, parseX12, readIsaHeader, tokenizeX12, X12BuildError, type X12PurchaseOrder, type X12Segment } from '../../mappings/edi/x12/index.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/x12/${name}`, import.meta.url), 'utf8');
const AT = new Date('2024-03-16T14:05:09Z');
const CONTROL = { interchange: 777, group: 88, transactionSet: 9 };

function purchaseOrder(name: string): X12PurchaseOrder {
  const set = parseX12(fixture(name)).transactionSets[0]!;
  const parsed = parse850(set);
  if (!parsed.ok) throw parsed.error;
  return parsed.order;
}

/** Parses an 855 with our own tokenizer/envelope reader and checks every control number and count. */
function roundTrip(text: string) {
  const doc = parseX12(text);
  expect(doc.issues).toEqual([]);
  expect(doc.interchanges).toHaveLength(1);
  const ic = doc.interchanges[0]!;
  expect(ic.groups).toHaveLength(1);
  const group = ic.groups[0]!;
  expect(group.transactionSets).toHaveLength(1);
  const set = group.transactionSets[0]!;
  const se = set.segments[set.segments.length - 1] as X12Segment;
  expect(se.elements[1]).toBe(String(set.segments.length));
  expect(se.elements[2]).toBe(set.controlNumber);
  expect(group.trailer?.elements.slice(1)).toEqual(['1', group.header.controlNumber]);
  expect(ic.trailer?.elements.slice(1)).toEqual(['1', ic.header.controlNumber]);
  return { doc, ic, group, set, seg: (id: string) => set.segments.filter((s) => s.id === id) };
}

describe('x12 855 builder', () => {
  describe('when every line is accepted (default)', () => {
    const po = purchaseOrder('node-x12-850.edi');
    const text = build855(po, { controlNumbers: CONTROL, at: AT });
    const { ic, group, set, seg } = roundTrip(text);

    it('builds a fixed-width ISA with sender and receiver swapped', () => {
      const isa = text.slice(0, 106);
      expect(isa).toBe('ISA*00*          *00*          *01*999999999      *12*4405197800     *240316*1405*U*00400*000000777*0*P*>~');
      const header = readIsaHeader(text);
      expect(header.ok && header.strict).toBe(true);
      expect(ic.header).toMatchObject({ senderQualifier: '01', senderId: '999999999', receiverQualifier: '12', receiverId: '4405197800', controlNumber: '000000777', version: '00400' });
    });

    it('builds GS/GE as PR with the 850 group codes swapped and its version', () => {
      expect(group.header).toMatchObject({ functionalId: 'PR', senderCode: '999999999', receiverCode: '4405197800', date: '20240316', time: '1405', controlNumber: '88', version: '004010VICS' });
    });

    it('acknowledges with detail and no change (AD)', () => {
      expect(set).toMatchObject({ type: '855', controlNumber: '0009' });
      expect(seg('BAK')[0]?.elements).toEqual(['BAK', '00', 'AD', '08292233294', '20101127', '', '', '', '', '20240316']);
      expect(seg('PO1')).toHaveLength(6);
      expect(seg('PO1')[0]?.elements).toEqual(['PO1', '1', '120', 'EA', '9.25', 'TE', 'CB', '065322-117', 'PR', 'RO', 'VN', 'AB3542']);
      expect(seg('ACK').map((s) => s.elements.slice(1))).toEqual([
        ['IA', '120', 'EA'],
        ['IA', '220', 'EA'],
        ['IA', '126', 'EA'],
        ['IA', '76', 'EA'],
        ['IA', '72', 'EA'],
        ['IA', '696', 'EA'],
      ]);
      expect(seg('CTT')[0]?.elements).toEqual(['CTT', '6']);
      expect(set.segments).toHaveLength(2 + 6 * 2 + 2);
    });
  });

  describe('when lines are changed or rejected', () => {
    const po = purchaseOrder('constructed-00401-crlf.edi');
    const text = build855(po, {
      controlNumbers: { interchange: '000000042', group: '42', transactionSet: '000042' },
      at: AT,
      lines: [
        { lineNo: '2', status: 'changed', quantity: '3' },
        { lineNo: '3', status: 'rejected' },
      ],
      segmentSuffix: '\r\n',
      sellerOrderNumber: 'SO*1~2',
    });
    const { seg, set } = roundTrip(text);

    it('uses AC and ACK IA/IC (new quantity)/IR', () => {
      expect(seg('BAK')[0]?.elements.slice(1, 4)).toEqual(['00', 'AC', 'PO-4711']);
      expect(seg('ACK').map((s) => s.elements.slice(1))).toEqual([
        ['IA', '10', 'EA'],
        ['IC', '3', 'LB'],
        ['IR', '0', 'CA'],
      ]);
      expect(set.controlNumber).toBe('000042');
    });

    it('echoes the component separator of a PO1 id unchanged', () => {
      expect(seg('PO1')[1]?.elements).toEqual(['PO1', '2', '3.5', 'LB', '4.123456', 'PE', 'EN', '4006381333931', 'BP', 'ACME>77']);
    });

    it('replaces delimiters that appear in new data with spaces', () => {
      expect(seg('BAK')[0]?.elements[8]).toBe('SO 1 2');
    });

    it('puts the requested suffix after each terminator', () => {
      expect(text.split('~\r\n')).toHaveLength(set.segments.length + 4 + 1);
      expect(text.endsWith('IEA*1*000000042~\r\n')).toBe(true);
    });
  });

  describe('when every line is rejected', () => {
    it('answers RJ without detail', () => {
      const po = purchaseOrder('constructed-00401-crlf.edi');
      const text = build855(po, { controlNumbers: CONTROL, at: AT, lines: ['1', '2', '3'].map((lineNo) => ({ lineNo, status: 'rejected' as const })) });
      const { seg, set } = roundTrip(text);
      expect(seg('BAK')[0]?.elements[2]).toBe('RJ');
      expect(set.segments.map((s) => s.id)).toEqual(['ST', 'BAK', 'SE']);
    });
  });

  describe('when the 850 is 00501 with LF as the terminator', () => {
    const po = purchaseOrder('constructed-00501-lf-terminator.edi');
    const text = build855(po, { controlNumbers: CONTROL, at: AT });

    it('keeps the 850 delimiters (LF terminator, ^ repetition, : component) and version', () => {
      const header = readIsaHeader(text);
      expect(header.ok && header.delimiters).toEqual({ element: '*', component: ':', segment: '\n', repetition: '^' });
      expect(text.slice(0, 106)).toBe('ISA*00*          *00*          *ZZ*WIDGETCO       *01*123456789      *240316*1405*^*00501*000000777*0*T*:\n');
      const { group } = roundTrip(text);
      expect(group.header.version).toBe('005010');
      expect(tokenizeX12(text).segments.every((s) => s.line === s.index + 1)).toBe(true);
    });

    it('can use other delimiters, still fixed width', () => {
      const other = build855(po, { controlNumbers: CONTROL, at: AT, delimiters: { element: '|', segment: '~', component: '>' }, segmentSuffix: '\n' });
      const header = readIsaHeader(other);
      expect(header.ok && header.strict && header.delimiters).toEqual({ element: '|', component: '>', segment: '~', repetition: '^' });
      const { seg } = roundTrip(other);
      expect(seg('ACK')[0]?.elements.slice(1)).toEqual(['IA', '1', 'EA']);
    });
  });

  describe('when the PGW Glass 850 (terminator |, component ~) is acknowledged', () => {
    it('round-trips with its own delimiters', () => {
      const po = purchaseOrder('oopfactory-pgw-glass-850.txt');
      const text = build855(po, { controlNumbers: CONTROL, at: AT, lines: [{ lineNo: '4', status: 'changed', quantity: 0.5 }] });
      const { seg } = roundTrip(text);
      expect(text[105]).toBe('|');
      expect(text[104]).toBe('~');
      expect(seg('ACK').map((s) => s.elements[1])).toEqual(['IA', 'IA', 'IA', 'IC']);
      expect(seg('ACK')[3]?.elements[2]).toBe('0.5');
    });
  });

  describe('when the input is wrong', () => {
    const po = purchaseOrder('constructed-00401-crlf.edi');
    it('throws X12BuildError', () => {
      const bad: Array<Parameters<typeof build855>[1]> = [
        { controlNumbers: CONTROL, lines: [{ lineNo: '9', status: 'accepted' }] },
        { controlNumbers: CONTROL, lines: [{ lineNo: '1', status: 'changed' }] },
        { controlNumbers: CONTROL, lines: [{ lineNo: '1', status: 'accepted' }, { lineNo: '1', status: 'rejected' }] },
        { controlNumbers: { ...CONTROL, interchange: 0 } },
        { controlNumbers: { ...CONTROL, interchange: 1_000_000_000 } },
        { controlNumbers: { ...CONTROL, transactionSet: 'AB' } },
        { controlNumbers: CONTROL, delimiters: { element: 'A' } },
        { controlNumbers: CONTROL, delimiters: { element: '~' } },
      ];
      for (const options of bad) expect(() => build855(po, { ...options, at: AT })).toThrow(X12BuildError);
    });

    it('refuses a party id longer than 15 characters', () => {
      const long = { ...po, interchange: { ...po.interchange, senderId: 'A'.repeat(16) } };
      expect(() => build855(long, { controlNumbers: CONTROL, at: AT })).toThrow(/longer than 15/);
    });
  });
});

describe('x12 855 sender', () => {
  it("is the channel's ourId / ourQualifier when given (ISA05/06 and GS02), not the 850's receiver", () => {
    const text = build855(purchaseOrder('node-x12-850.edi'), { controlNumbers: CONTROL, at: AT, sender: { id: 'OURCO', qualifier: 'ZZ' } });
    expect(text.slice(0, 106)).toBe('ISA*00*          *00*          *ZZ*OURCO          *12*4405197800     *240316*1405*U*00400*000000777*0*P*>~');
    expect(text).toContain('GS*PR*OURCO*');
  });
});
