import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { readIsaHeader, tokenizeX12, components } from '../../mappings/edi/x12/tokenizer.ts';
import { parseX12 } from '../../mappings/edi/x12/interchange.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/x12/${name}`, import.meta.url), 'utf8');
const ids = (text: string): string[] => tokenizeX12(text).segments.map((s) => s.id);

const ISA_00401 = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~';
const ISA_00501 = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~';
const BODY = 'GS*PO*S*R*20240101*1200*1*X*004010~ST*850*0001~BEG*00*SA*P1**20240101~SE*3*0001~GE*1*1~IEA*1*000000001~';

describe('x12 tokenizer', () => {
  describe('when reading the ISA header', () => {
    it('takes the separators from the fixed positions 3, 104 and 105', () => {
      expect(ISA_00401).toHaveLength(106);
      const header = readIsaHeader(ISA_00401);
      expect(header.ok && header.delimiters).toEqual({ element: '*', component: '>', segment: '~' });
      expect(header.ok && header.strict).toBe(true);
      expect(header.ok && header.elements[6]).toBe('SENDER         ');
    });

    it('reads ISA11 as the repetition separator from 00501 on, and as the standards id `U` in 00401', () => {
      const h501 = readIsaHeader(ISA_00501);
      expect(h501.ok && h501.delimiters).toEqual({ element: '*', component: ':', segment: '~', repetition: '^' });
      const h401 = readIsaHeader(ISA_00401);
      expect(h401.ok && h401.delimiters.repetition).toBeUndefined();
    });

    it('takes LF at index 105 as the segment terminator', () => {
      const header = readIsaHeader(fixture('node-x12-850-lf-terminator.edi'));
      expect(header.ok && header.delimiters.segment).toBe('\n');
    });

    it('takes a `~` component separator and `|` terminator from a real file', () => {
      const header = readIsaHeader(fixture('oopfactory-pgw-glass-850.txt'));
      expect(header.ok && header.delimiters).toEqual({ element: '*', component: '~', segment: '|' });
    });

    it('refuses `ISAAC` and `ISA ` as headers', () => {
      expect(readIsaHeader('ISAAC NEWTON*1*2~').ok).toBe(false);
      expect(readIsaHeader('ISA follows').ok).toBe(false);
    });

    it('reads a header with wrong padding by its separators, flagged as not strict', () => {
      const short = 'ISA*00*          *00*          *ZZ*SENDER       *ZZ*RECEIVER     *240416*0930*U*00401*000001234*0*P*>~';
      const header = readIsaHeader(short);
      expect(header.ok && header.strict).toBe(false);
      expect(header.ok && header.delimiters.segment).toBe('~');
      const tokens = tokenizeX12(short + BODY);
      expect(tokens.segments.map((s) => s.id)).toEqual(['ISA', 'GS', 'ST', 'BEG', 'SE', 'GE', 'IEA']);
      expect(tokens.issues[0]?.message).toMatch(/102 characters, not 106/);
    });
  });

  describe('when splitting segments', () => {
    it('handles `~` followed by CRLF', () => {
      const text = fixture('constructed-00401-crlf.edi');
      expect(text).toContain('~\r\n');
      const tokens = tokenizeX12(text);
      expect(tokens.issues).toEqual([]);
      expect(tokens.segments.every((s) => !s.elements.some((e) => e.includes('\r') || e.includes('\n')))).toBe(true);
      expect(tokens.segments[2]).toMatchObject({ id: 'ST', index: 2, line: 3, column: 1 });
    });

    it('handles LF as the terminator (one segment per line)', () => {
      const tokens = tokenizeX12(fixture('node-x12-850-lf-terminator.edi'));
      expect(tokens.segments).toHaveLength(37);
      expect(tokens.segments.every((s) => s.line === s.index + 1 && s.column === 1)).toBe(true);
      expect(tokens.segments[36]?.id).toBe('IEA');
    });

    it('skips indentation after the terminator', () => {
      const tokens = tokenizeX12(fixture('oopfactory-pgw-glass-850.txt'));
      expect(tokens.segments.map((s) => s.id).slice(0, 5)).toEqual(['ISA', 'GS', 'ST', 'BEG', 'CUR']);
      expect(tokens.segments[2]).toMatchObject({ line: 3, column: 5 });
    });

    it('gives every segment its index, offset and line:column', () => {
      const text = `${ISA_00401}\n${BODY.replace(/~/g, '~\n')}`;
      const st = tokenizeX12(text).segments.find((s) => s.id === 'ST');
      expect(st).toMatchObject({ index: 2, line: 3, column: 1 });
      expect(text.slice(st!.offset, st!.offset + 6)).toBe('ST*850');
    });

    it('keeps a component separator inside an element as data (the caller splits composites)', () => {
      const po1 = tokenizeX12(fixture('constructed-00401-crlf.edi')).segments.find((s) => s.id === 'PO1' && s.elements[1] === '2')!;
      expect(po1.elements[9]).toBe('ACME>77');
      expect(components(po1.elements[9]!, po1.delimiters)).toEqual(['ACME', '77']);
    });

    it('is not fooled by ISAAC in data or in a preamble', () => {
      const text = fixture('constructed-preamble-isaac.edi');
      const tokens = tokenizeX12(text);
      expect(tokens.segments[0]?.id).toBe('ISA');
      expect(tokens.segments.filter((s) => s.id === 'ISA')).toHaveLength(1);
      expect(tokens.segments.find((s) => s.id === 'N1')?.elements[2]).toBe('ISAAC ASIMOV');
      expect(tokens.issues.map((i) => i.severity)).toEqual(['warning']);
      expect(ids(fixture('constructed-00401-crlf.edi')).filter((id) => id.startsWith('ISA'))).toEqual(['ISA']);
    });

    it('reads two interchanges with different delimiters one after the other', () => {
      const second = ISA_00501.replace(/\*/g, '|') + BODY.replace(/\*/g, '|');
      const tokens = tokenizeX12(`${ISA_00401}${BODY}\r\n${second}`);
      expect(tokens.segments.map((s) => s.id)).toEqual(['ISA', 'GS', 'ST', 'BEG', 'SE', 'GE', 'IEA', 'ISA', 'GS', 'ST', 'BEG', 'SE', 'GE', 'IEA']);
      expect(tokens.segments[7]?.delimiters.element).toBe('|');
      expect(tokens.segments[7]?.delimiters.repetition).toBe('^');
    });

    it('reports text that is not X12 at all', () => {
      const tokens = tokenizeX12('hello, world');
      expect(tokens.segments).toEqual([]);
      expect(tokens.issues).toEqual([expect.objectContaining({ severity: 'error', message: 'no ISA interchange header found' })]);
      expect(tokenizeX12('').issues[0]?.severity).toBe('error');
    });

    it('tokenizes a large interchange quickly (indexOf scanning)', () => {
      const line = 'PO1*1*10*EA*12.5*PE*UP*012345678905*VN*WID-100~PID*F****BLUE WIDGET~';
      const text = `${ISA_00401}GS*PO*S*R*20240101*1200*1*X*004010~ST*850*0001~${line.repeat(50_000)}SE*100002*0001~GE*1*1~IEA*1*000000001~`;
      // Measured beside the plainest possible split of the same text, so a loaded machine does not fail it.
      let started = performance.now();
      const naive = text.split('~').map((s) => s.split('*'));
      const naiveMs = performance.now() - started;
      started = performance.now();
      const tokens = tokenizeX12(text);
      const ms = performance.now() - started;
      expect(naive.length).toBeGreaterThan(100_000);
      expect(tokens.segments).toHaveLength(100_006);
      expect(ms).toBeLessThan(naiveMs * 10 + 1000);
      expect(parseX12(text).transactionSets).toHaveLength(1);
    });
  });

  describe('when reading a real 855', () => {
    it('finds every segment', () => {
      const tokens = tokenizeX12(fixture('node-x12-855.edi'));
      expect(tokens.issues).toEqual([]);
      expect(tokens.segments.filter((s) => s.id === 'ACK').map((s) => s.elements[1])).toEqual(['IA', 'IR', 'IR', 'IA']);
    });
  });
});

describe('x12 envelopes', () => {
  describe('when every count and control number agrees', () => {
    it('accepts real files without issues', () => {
      for (const name of ['node-x12-850.edi', 'node-x12-850-lf-terminator.edi', 'node-x12-855.edi', 'oopfactory-pgw-glass-850.txt', 'edifabric-purchase-orders.txt', 'edifabric-multiple-groups.txt', 'constructed-00401-crlf.edi', 'constructed-00501-lf-terminator.edi']) {
        const doc = parseX12(fixture(name));
        expect(doc.issues, name).toEqual([]);
        expect(doc.transactionSets.length, name).toBeGreaterThan(0);
      }
    });

    it('reads the envelope headers', () => {
      const doc = parseX12(fixture('node-x12-850.edi'));
      const set = doc.transactionSets[0]!;
      expect(set).toMatchObject({ type: '850', controlNumber: '000000010' });
      expect(set.segments).toHaveLength(33);
      expect(set.interchange).toMatchObject({ senderQualifier: '12', senderId: '4405197800', receiverQualifier: '01', receiverId: '999999999', controlNumber: '000003438', version: '00400', usage: 'P' });
      expect(set.group).toMatchObject({ functionalId: 'PO', senderCode: '4405197800', controlNumber: '1421', version: '004010VICS' });
    });

    it('reads two groups in one interchange', () => {
      const doc = parseX12(fixture('edifabric-multiple-groups.txt'));
      expect(doc.interchanges[0]?.groups.map((g) => g.header.controlNumber)).toEqual(['000000001', '000000002']);
      expect(doc.transactionSets).toHaveLength(2);
    });
  });

  describe('when a transaction set has a bad SE01', () => {
    it('rejects only that set, naming SE and its position', () => {
      const doc = parseX12(fixture('constructed-two-sets-bad-se.edi'));
      expect(doc.transactionSets.map((s) => s.controlNumber)).toEqual(['0002']);
      const errors = doc.issues.filter((i) => i.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ ref: 'ST 0001', position: { index: 7, line: 8, column: 1 } });
      expect(errors[0]?.message).toMatch(/SE01 says 9 segments but transaction set 850 0001 holds 6/);
      expect(errors[0]?.message).toMatch(/SE at segment 8 \(line 8, column 1/);
      // GE01 = 2 counts the rejected set too: no warning.
      expect(doc.issues.filter((i) => i.severity === 'warning')).toEqual([]);
    });

    it('rejects the real sample whose SE01 is one short', () => {
      const doc = parseX12(fixture('edifabric-multiline-bad-se.txt'));
      expect(doc.transactionSets).toEqual([]);
      expect(doc.issues).toEqual([expect.objectContaining({ severity: 'error', ref: 'ST 0001', message: expect.stringMatching(/SE01 says 15 segments .* holds 16/) })]);
    });
  });

  describe('when ST02 and SE02 differ', () => {
    it('rejects the set', () => {
      const doc = parseX12(`${ISA_00401}${BODY.replace('SE*3*0001', 'SE*3*0002')}`);
      expect(doc.transactionSets).toEqual([]);
      expect(doc.issues[0]).toMatchObject({ severity: 'error', ref: 'ST 0001', message: expect.stringMatching(/SE02 0002 does not match ST02 0001/) });
    });
  });

  describe('when group or interchange trailers are wrong', () => {
    it('keeps the set and records warnings on the document and the set', () => {
      const doc = parseX12(fixture('constructed-bad-trailer-counts.edi'));
      expect(doc.transactionSets).toHaveLength(1);
      const messages = doc.issues.map((i) => `${i.severity}: ${i.message}`);
      expect(messages).toEqual([
        expect.stringMatching(/^warning: GE01 says 3 transaction sets but group 404 holds 1/),
        expect.stringMatching(/^warning: GE02 405 does not match GS06 404/),
        expect.stringMatching(/^warning: IEA01 says 2 functional groups but interchange 000000404 holds 1/),
        expect.stringMatching(/^warning: IEA02 000000999 does not match ISA13 000000404/),
      ]);
      expect(doc.transactionSets[0]?.warnings).toHaveLength(4);
    });

    it('treats GS06 000000001 and GE02 1 as the same control number', () => {
      const doc = parseX12(`${ISA_00401}${BODY.replace('*1*X*', '*000000001*X*')}`);
      expect(doc.issues).toEqual([]);
    });
  });

  describe('when the interchange is truncated (no IEA)', () => {
    it('keeps the complete set, rejects the cut one and warns about the missing trailers', () => {
      const doc = parseX12(fixture('constructed-truncated.edi'));
      expect(doc.transactionSets.map((s) => s.controlNumber)).toEqual(['0001']);
      const errors = doc.issues.filter((i) => i.severity === 'error');
      expect(errors).toEqual([expect.objectContaining({ ref: 'ST 0002', message: expect.stringMatching(/has no SE: the text ends first/) })]);
      const warnings = doc.issues.filter((i) => i.severity === 'warning').map((i) => i.message);
      expect(warnings.some((w) => /has no GE/.test(w))).toBe(true);
      expect(warnings.some((w) => /has no IEA/.test(w))).toBe(true);
      expect(doc.transactionSets[0]?.warnings.map((w) => w.message).join(' ')).toMatch(/no GE.*no IEA/);
    });
  });

  describe('when segments stand outside a transaction set', () => {
    it('reports the run once and keeps the next good set', () => {
      const doc = parseX12(fixture('edifabric-corrupt-st.txt'));
      expect(doc.transactionSets).toHaveLength(1);
      const errors = doc.issues.filter((i) => i.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/15 segments from T at segment 3 \(line 3, column 1.* to SE at segment 17/);
      expect(doc.issues.filter((i) => i.severity === 'warning').map((i) => i.message)).toEqual([expect.stringMatching(/GE01 says 2 transaction sets but group 000000001 holds 1/)]);
    });
  });

  describe('when a new ST starts before the previous SE', () => {
    it('rejects the unfinished set only', () => {
      const text = `${ISA_00401}GS*PO*S*R*20240101*1200*1*X*004010~ST*850*0001~BEG*00*SA*P1**20240101~ST*850*0002~BEG*00*SA*P2**20240101~SE*3*0002~GE*2*1~IEA*1*000000001~`;
      const doc = parseX12(text);
      expect(doc.transactionSets.map((s) => s.controlNumber)).toEqual(['0002']);
      expect(doc.issues).toEqual([expect.objectContaining({ severity: 'error', ref: 'ST 0001', message: expect.stringMatching(/has no SE: the next ST at segment 5/) })]);
    });
  });

  describe('when the same ST02 appears twice in a group', () => {
    it('keeps both and warns', () => {
      const doc = parseX12(fixture('edifabric-corrupt-st.txt').replace('T*850*0001~', 'ST*850*0001~'));
      expect(doc.transactionSets).toHaveLength(2);
      expect(doc.issues).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/ST02 0001 is used twice/) })]);
    });
  });
});
