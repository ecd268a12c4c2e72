import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { OrderDraft } from '../../core/model/order.ts';
import { edifactMapping, buildOrdrsp, ordrspOrderFromDraft, ordrspDirectory, unitForDirectory, parseEdifact, tokenize, OrdrspBuildError, type OrdrspOrder } from '../../mappings/edi/edifact/index.ts';
import { decodeEdiBytes } from '../../lib/edi-text.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');
const draftOf = (name: string, options: Record<string, unknown> = {}): OrderDraft => edifactMapping.map({ kind: 'upload', body: fixture(name) }, options).orders[0] as OrderDraft;
const at = new Date('2024-03-12T09:30:00Z');

describe('edifact ORDRSP builder', () => {
  describe('when answering the full D.96A order with one line changed and one rejected', () => {
    const order = ordrspOrderFromDraft(draftOf('constructed-full-d96a.edi')) as OrdrspOrder;
    const text = buildOrdrsp(order, { controlRef: 'R0001', preparedAt: at, lineBreak: '\n', lines: [{ lineNo: '1', status: 'changed', quantity: '10' }, { lineNo: '2', status: 'rejected' }] });

    it('writes the expected segments', () => {
      expect(text.split('\n')).toEqual([
        "UNA:+.? '",
        "UNB+UNOC:3+4098765000010:14+4012345000009:14+240312:0930+R0001'",
        "UNH+1+ORDRSP:D:96A:UN:EAN005'",
        "BGM+231+PO-77+4'",
        "DTM+137:202403120930:203'",
        "RFF+ON:PO-77'",
        "DTM+171:20240311:102'",
        "NAD+BY+4012345000009::9'",
        "NAD+SU+4098765000010::9'",
        "NAD+DP+4012345000016::9'",
        "CUX+2:EUR:9'",
        "LIN+1+3+4000862141404:EN'",
        "QTY+21:10:PCE'",
        "LIN+2+7+4000862141411:EN'",
        "UNS+S'",
        "CNT+2:2'",
        "UNT+15+1'",
        "UNZ+1+R0001'",
        '',
      ]);
    });

    it('round-trips through the tokenizer with correct UNT and UNZ counts', () => {
      const [interchange] = parseEdifact(text);
      expect(interchange!.errors).toEqual([]);
      expect(interchange!.warnings).toEqual([]);
      expect(interchange!.messages).toHaveLength(1);
      expect(interchange!.messages[0]!.errors).toEqual([]);
      expect(interchange!.messages[0]!.identifier).toBe('ORDRSP:D:96A:UN:EAN005');
      expect(interchange!.header).toMatchObject({ sender: { id: '4098765000010', qualifier: '14' }, recipient: { id: '4012345000009', qualifier: '14' }, controlRef: 'R0001' });
    });
  });

  describe('when no line results are given', () => {
    it('accepts every line as received (BGM function 29, action 5, ordered quantity)', () => {
      const order = ordrspOrderFromDraft(draftOf('dilono-d96a-orders.edi')) as OrdrspOrder;
      const text = buildOrdrsp(order, { controlRef: '77', preparedAt: at });
      expect(text).toContain("BGM+231+1AA1TEST+29'");
      expect(text).toContain("UNB+UNOA:2+0000000000002:14+0000000000001:14+240312:0930+77'");
      const lines = tokenize(text).segments.filter((s) => s.tag === 'LIN' || s.tag === 'QTY').map((s) => s.elements);
      expect(lines).toEqual([[['1'], ['5'], ['9783898307529', 'EN']], [['21', '5']], [['2'], ['5'], ['9783898307539', 'EN']], [['21', '1']], [['3'], ['5'], ['97838983938472', 'EN']], [['21', '3']]]);
    });

    it('marks a response rejecting every line with BGM function 27', () => {
      const order = ordrspOrderFromDraft(draftOf('constructed-comma-decimal.edi')) as OrdrspOrder;
      expect(buildOrdrsp(order, { controlRef: '1', preparedAt: at, lines: [{ lineNo: '1', status: 'rejected' }] })).toContain("BGM+231+DEC-1+27'");
    });
  });

  describe('when data holds service characters', () => {
    const order: OrdrspOrder = {
      documentNumber: "PO+1:O'Neil?",
      sender: { id: 'BUYER+1', qualifier: 'ZZ' },
      recipient: { id: 'SUPPLIER', qualifier: '14' },
      syntaxVersion: '4',
      lines: [{ lineNo: '1', quantity: '2.5', itemId: 'A:B', itemType: 'SA' }],
    };

    it('release-escapes them and they read back unchanged', () => {
      const text = buildOrdrsp(order, { controlRef: 'C1', preparedAt: at });
      expect(text).toContain("RFF+ON:PO?+1?:O?'Neil??'");
      const [interchange] = parseEdifact(text);
      const message = interchange!.messages[0]!;
      expect(message.errors).toEqual([]);
      expect(message.segments.find((s) => s.tag === 'RFF')?.elements).toEqual([['ON', "PO+1:O'Neil?"]]);
      expect(message.segments.find((s) => s.tag === 'LIN')?.elements[2]).toEqual(['A:B', 'SA']);
      expect(interchange!.header).toMatchObject({ sender: { id: 'SUPPLIER' }, recipient: { id: 'BUYER+1', qualifier: 'ZZ' }, date: '20240312' });
    });

    it('writes quantities with the decimal mark of the delimiters', () => {
      const text = buildOrdrsp(order, { controlRef: 'C2', preparedAt: at, delimiters: { component: ':', element: '+', decimal: ',', release: '?', repetition: ' ', segment: "'" } });
      expect(text.startsWith("UNA:+,? '")).toBe(true);
      expect(text).toContain("QTY+21:2,5'");
      expect(parseEdifact(text)[0]!.messages[0]!.errors).toEqual([]);
    });
  });

  describe('when the line results do not fit the order', () => {
    const order = ordrspOrderFromDraft(draftOf('constructed-comma-decimal.edi')) as OrdrspOrder;

    it('refuses an unknown line and a change without quantity', () => {
      expect(() => buildOrdrsp(order, { controlRef: '1', lines: [{ lineNo: '9', status: 'accepted' }] })).toThrow(OrdrspBuildError);
      expect(() => buildOrdrsp(order, { controlRef: '1', lines: [{ lineNo: '1', status: 'changed' }] })).toThrow(/no decimal quantity/);
    });
  });

  it('gives undefined for a draft that did not come from EDIFACT', () => {
    const draft = draftOf('constructed-comma-decimal.edi');
    const { transport: _edifact, ...notEdifact } = draft;
    expect(ordrspOrderFromDraft(notEdifact)).toBeUndefined();
  });
});

describe('edifact ORDRSP envelope', () => {
  const order = ordrspOrderFromDraft(draftOf('constructed-full-d96a.edi')) as OrdrspOrder;

  it("answers as the channel names us (ourId / ourQualifier), not as whatever id the partner addressed", () => {
    const text = buildOrdrsp(order, { controlRef: 'R9', preparedAt: at, sender: { id: '5412345000013', qualifier: '14' } });
    expect(text).toContain("UNB+UNOC:3+5412345000013:14+4012345000009:14+240312:0930+R9'");
  });

  it('never echoes an unknown syntax identifier back (UNOC instead)', () => {
    const text = buildOrdrsp({ ...order, syntaxId: 'XXXX' }, { controlRef: 'R9', preparedAt: at });
    expect(text).toContain("UNB+UNOC:3+");
    expect(text).not.toContain('XXXX');
  });
});

describe('edifact ORDRSP directory', () => {
  // php-edifact's example_order_ok.edi (excerpt): ORDERS:D:01B:UN:EAN010 with the D.01B unit code GBND (4 characters).
  const d01b = (): OrdrspOrder => {
    const body = decodeEdiBytes(readFileSync(new URL('../fixtures/edi/edifact/php-edifact-order-excerpt-latin1.edi', import.meta.url))).text;
    return ordrspOrderFromDraft(edifactMapping.map({ kind: 'upload', body }, {}).orders[0] as OrderDraft) as OrdrspOrder;
  };

  it('answers a D.01B order in D.01B (EANCOM 2002 ORDRSP EAN009) and keeps its D.01B unit codes', () => {
    const text = buildOrdrsp(d01b(), { controlRef: 'R1', preparedAt: at });
    const [interchange] = parseEdifact(text);
    expect(interchange!.messages[0]!.identifier).toBe('ORDRSP:D:01B:UN:EAN009');
    expect(interchange!.messages[0]!.errors).toEqual([]);
    expect(text).toContain("QTY+21:2:GBND'");
  });

  it('answers a D.96A order in D.96A (EAN005), where a unit longer than 3 characters is mapped or left out', () => {
    const order = { ...d01b(), directory: { version: 'D', release: '96A', agency: 'UN', associationCode: 'EAN008' } };
    order.lines = order.lines.map((l, i) => (i === 1 ? { ...l, unit: 'PIECE' } : l));
    const text = buildOrdrsp(order, { controlRef: 'R1', preparedAt: at });
    const segments = tokenize(text).segments;
    expect(segments.find((s) => s.tag === 'UNH')!.elements[1]).toEqual(['ORDRSP', 'D', '96A', 'UN', 'EAN005']);
    const units = segments.filter((s) => s.tag === 'QTY').map((s) => s.elements[0]![2]);
    expect(units).toEqual([undefined, 'PCE', undefined, 'STK', 'STK']);
  });

  it('answers a plain UN/EDIFACT order (no EAN association code) without one', () => {
    expect(ordrspDirectory({ directory: { version: 'D', release: '97A', agency: 'UN' } })).toEqual(['ORDRSP', 'D', '97A', 'UN']);
    expect(unitForDirectory('GBND', '01B')).toBe('GBND');
    expect(unitForDirectory('GBND', '96A')).toBeUndefined();
  });
});
