import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MappingResult, OrderDraft } from '../../core/model/order.ts';
import { ediMapping } from '../../mappings/edi/index.ts';
import { findPurchaseOrder, mapX12Chunks, readX12Chunks, tokenizeX12, x12Mapping, X12Scanner, type X12Segment, type X12SourceInfo } from '../../mappings/edi/x12/index.ts';
import { x12File } from '../helpers/x12-850s.ts';

const dir = new URL('../fixtures/edi/x12/', import.meta.url);
const fixtures = readdirSync(dir).filter((name) => !name.endsWith('.md'));
const fixture = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const payload = { kind: 'upload', contentType: 'application/edi-x12' };
const x12Of = (order: OrderDraft): X12SourceInfo => (order.transport as { x12: X12SourceInfo }).x12;

/** The text fed to a fresh reader in slices of `size` characters. */
function streamed(text: string, size: number, chunkSize = Number.POSITIVE_INFINITY): MappingResult[] {
  const reader = readX12Chunks(payload, {}, chunkSize);
  const chunks: MappingResult[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(...reader.feed(text.slice(at, at + size)));
  chunks.push(...reader.end());
  return chunks;
}

/** Every fixture, their concatenation (interchanges with other delimiters one after another) and text around them. */
const texts: Array<[string, string]> = [
  ...fixtures.map((name): [string, string] => [name, fixture(name)]),
  ['all fixtures one after another', fixtures.map(fixture).join('\n')],
  ['text around an interchange', `preamble with ISAAC in it\r\n${fixture('node-x12-850.edi')}\r\ntrailing junk`],
  ['a byte-order mark', `\uFEFF${fixture('constructed-00401-crlf.edi')}`],
  // Short ISA padding (read by its separators, not strict), and a data segment in a set that starts with
  // `ISA` and has enough separators for a lenient header: only a strict ISA opens an interchange inside one.
  ['a lenient ISA, and a data segment starting with ISA', `ISA*00*          *00*          *ZZ*SENDER       *ZZ*RECEIVER     *240416*0930*U*00401*000001234*0*P*>~
GS*PO*S*R*20240101*1200*1*X*004010~ST*850*0001~BEG*00*SA*P1**20240101~ISAX*1*2*3*4*5*6*7*8*9*10*11*12*13*14*15*16~PO1*1*2*EA*3~SE*5*0001~GE*1*1~IEA*1*000001234~`],
  ['an invalid ISA before a valid one, and a text cut inside the ISA', `ISA follows here~${fixture('node-x12-850.edi')}${fixture('node-x12-850.edi').slice(0, 80)}`],
  ['no interchange at all', 'hello, this is not X12 though it mentions ISA and ISAAC'],
  ['nothing', ''],
];

describe('X12 read slice by slice', () => {
  // 1 cuts everywhere: inside each segment, inside the ISA header, between a terminator and its line break.
  const sizes = [1, 2, 3, 7, 105, 106, 107, 1021, 4099];

  it.each(texts)('gives the same result as a whole reading, positions and warnings included: %s', (_name, text) => {
    const whole = x12Mapping.map({ ...payload, body: text }, {});
    for (const size of sizes) expect(streamed(text, size), `slices of ${size}`).toEqual([whole]);
  });

  it.each(texts)('tokenizes to the same segments and issues: %s', (_name, text) => {
    const whole = tokenizeX12(text);
    for (const size of [1, 3, 106, 4099]) {
      const segments: X12Segment[] = [];
      const issues: unknown[] = [];
      const sink = { segment: (s: X12Segment) => segments.push(s), issue: (i: unknown) => issues.push(i) };
      const scanner = new X12Scanner();
      for (let at = 0; at < text.length; at += size) scanner.feed(text.slice(at, at + size), sink);
      scanner.end(sink);
      expect({ segments, issues }, `slices of ${size}`).toEqual(whole);
    }
  });

  it('detects the delimiters from an ISA cut anywhere: LF as the terminator, ISA11 the repetition separator (00501)', () => {
    const text = fixture('constructed-00501-lf-terminator.edi');
    for (let cut = 1; cut < 110; cut++) {
      const reader = readX12Chunks(payload, {}, Number.POSITIVE_INFINITY);
      const chunks = [...reader.feed(text.slice(0, cut)), ...reader.feed(text.slice(cut)), ...reader.end()];
      expect(chunks, `cut at ${cut}`).toEqual([x12Mapping.map({ ...payload, body: text }, {})]);
    }
  });

  it('holds no more than the segment being read (and an ISA window), however large the file', () => {
    const text = x12File('MEM', 400);
    const scanner = new X12Scanner();
    let count = 0;
    let most = 0;
    const sink = { segment: () => void count++, issue: () => undefined };
    for (let at = 0; at < text.length; at += 4099) {
      scanner.feed(text.slice(at, at + 4099), sink);
      most = Math.max(most, scanner.heldChars);
    }
    scanner.end(sink);
    expect(count).toBe(400 * 33 + 4);
    // The longest segment of the file is under 110 characters; a slice ends at most one segment in.
    expect(most).toBeLessThan(220);
  });
});

describe('X12 in chunks', () => {
  it('hands over chunks of chunkSize sets with the same drafts as a whole reading, the controls with the first', () => {
    const text = x12File('CH', 23);
    const whole = x12Mapping.map({ ...payload, body: text }, {});
    expect(whole.errors).toEqual([]);
    expect(whole.orders).toHaveLength(23);
    const chunks = streamed(text, 997, 5);
    expect(chunks.map((c) => c.orders.length)).toEqual([5, 5, 5, 5, 3]);
    expect(chunks.flatMap((c) => c.orders)).toEqual(whole.orders);
    expect(chunks[0]!.interchanges).toEqual([{ syntax: 'x12', sender: '4405197800:12', recipient: '999999999:01', controlRef: '000003438', groups: ['1421'] }]);
    expect(chunks.slice(1).map((c) => c.interchanges)).toEqual([undefined, undefined, undefined, undefined]);
    // mapX12Chunks (a body in hand) is the same reading.
    expect([...mapX12Chunks({ ...payload, body: text }, {}, 5)]).toEqual(chunks);
  });

  it('still reports wrong GE01/IEA01 counts and mismatched GE02/IEA02 control numbers, on the payload and on the drafts still held', () => {
    const text = x12File('ENV', 7, { geCount: 9, geControl: '1422', ieaCount: 2, ieaControl: '000003439' });
    const expected = [
      'GE01 says 9 transaction sets but group 1421 holds 7 (GE at segment 234 (line 234, column 1, offset 6516))',
      'GE02 1422 does not match GS06 1421 (GE at segment 234 (line 234, column 1, offset 6516))',
      'IEA01 says 2 functional groups but interchange 000003438 holds 1 (IEA at segment 235 (line 235, column 1, offset 6527))',
      'IEA02 000003439 does not match ISA13 000003438 (IEA at segment 235 (line 235, column 1, offset 6527))',
    ];
    const whole = x12Mapping.map({ ...payload, body: text }, {});
    expect(whole.warnings).toEqual(expected);
    expect(whole.orders.map((o) => x12Of(o).warnings)).toEqual(whole.orders.map(() => expected));

    for (const size of [1, 106, 4099]) {
      const chunks = streamed(text, size, 3);
      expect(chunks.map((c) => c.orders.length)).toEqual([3, 3, 1]);
      // The warnings are known at the trailers: they come with the last chunk, and reach its drafts.
      expect(chunks.map((c) => c.warnings)).toEqual([undefined, undefined, expected]);
      expect(chunks.flatMap((c) => c.orders.map((o) => x12Of(o).warnings))).toEqual([[], [], [], [], [], [], expected]);
      expect(chunks.flatMap((c) => c.errors)).toEqual([]);
    }
  });

  it('rejects a set with a wrong SE count in the chunk where it ended, the others kept', () => {
    const text = x12File('SE', 6).replace('SE*33*0004~', 'SE*32*0004~');
    const chunks = streamed(text, 333, 2);
    expect(chunks.map((c) => c.orders.map((o) => o.number))).toEqual([['PO-SE-1', 'PO-SE-2'], ['PO-SE-3', 'PO-SE-5'], ['PO-SE-6']]);
    expect(chunks.map((c) => c.errors.map((e) => e.ref))).toEqual([[], ['ST 0004'], []]);
    expect(chunks[1]!.errors[0]!.message).toMatch(/^SE01 says 32 segments but transaction set 850 0004 holds 33/);
  });

  it('keeps the duplicate ST02 and no-GS warnings on the set they concern', () => {
    const text = x12File('DUP', 3).replace('ST*850*0003~', 'ST*850*0002~').replace('SE*33*0003~', 'SE*33*0002~');
    const chunks = streamed(text, 50, 1);
    expect(chunks.map((c) => c.orders.map((o) => x12Of(o).warnings.length))).toEqual([[0], [0], [1]]);
    expect(chunks[2]!.warnings).toEqual([expect.stringMatching(/^ST02 0002 is used twice in functional group 1421/)]);
  });

  it('reports the controls of a second interchange, and of a group that starts after its interchange\'s chunk was handed over', () => {
    const first = x12File('A', 2);
    const twoGroups = x12File('B', 2, { isaControl: '000000777', ieaCount: 2 }).replace(/GE\*2\*1421~\nIEA/, `GE*2*1421~\nGS*PO*4405197800*999999999*20101127*1719*1422*X*004010VICS~\n${x12File('C', 1).split('\n').slice(2, 35).join('\n')}\nGE*1*1422~\nIEA`);
    const chunks = streamed(`${first}${twoGroups}`, 4099, 2);
    expect(chunks.map((c) => c.orders.map((o) => o.number))).toEqual([['PO-A-1', 'PO-A-2'], ['PO-B-1', 'PO-B-2'], ['PO-C-1']]);
    expect(chunks.flatMap((c) => c.errors)).toEqual([]);
    expect(chunks.map((c) => c.interchanges?.map((i) => [i.controlRef, i.groups]))).toEqual([
      [['000003438', ['1421']], ['000000777', ['1421']]],
      // Group 1422 starts after the first chunk (which reported its interchange) was handed over, before its set is read.
      [['000000777', ['1421', '1422']]],
      undefined,
    ]);
  });
});

describe('the EDI mapping reading X12 slice by slice', () => {
  it('streams X12 as it streams EDIFACT: chunks come out while the body is still being fed', () => {
    const text = x12File('EDI', 40);
    const reader = ediMapping.readChunks!(payload, {}, 10);
    const closedWhileFeeding: number[] = [];
    for (let at = 0; at < text.length; at += 1021) closedWhileFeeding.push(...reader.feed(text.slice(at, at + 1021)).map((c) => c.orders.length));
    const last = reader.end();
    expect(closedWhileFeeding).toEqual([10, 10, 10]);
    expect(last.map((c) => c.orders.length)).toEqual([10]);
  });

  it('answers a body that is neither EDIFACT nor X12 with the start of it', () => {
    const reader = ediMapping.readChunks!(payload, {}, 10);
    reader.feed('  hello');
    reader.feed(' there, this is not EDI at all');
    expect(reader.end()).toEqual([{ orders: [], errors: [{ message: 'not an EDI interchange: it starts with "hello there, this is", neither UNA/UNB (EDIFACT) nor ISA (X12)' }] }]);
  });
});

describe('finding one 850 in a payload (an order\'s 855)', () => {
  it('reads set by set up to the order and no further', () => {
    const text = x12File('FIND', 2000);
    const seen: string[] = [];
    const po = findPurchaseOrder(text, (o) => {
      seen.push(o.poNumber);
      return o.poNumber === 'PO-FIND-3';
    });
    expect(po).toMatchObject({ poNumber: 'PO-FIND-3', controlNumber: '0003', interchange: { senderId: '4405197800' } });
    expect(seen).toEqual(['PO-FIND-1', 'PO-FIND-2', 'PO-FIND-3']);
    expect(findPurchaseOrder(x12File('FIND', 3), (o) => o.poNumber === 'PO-FIND-9')).toBeUndefined();
  });
});
