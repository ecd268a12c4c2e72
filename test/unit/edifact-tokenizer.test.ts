import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { EdifactTokenizer, tokenize, escapeData, describePosition, DEFAULT_DELIMITERS, type Segment } from '../../mappings/edi/edifact/tokenizer.ts';
import { parseEdifact, envelopeDateTime } from '../../mappings/edi/edifact/interchange.ts';
import { decodeEdiBytes } from '../../lib/edi-text.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');
const bytes = (name: string): Buffer => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url));
const byTag = (segments: Segment[], tag: string): Segment[] => segments.filter((s) => s.tag === tag);

describe('edifact tokenizer', () => {
  describe('when given the php-edifact release-character sample', () => {
    const { segments } = tokenize(fixture('php-edifact-release-character.edi'));
    const ift = byTag(segments, 'IFT').map((s) => s.elements[1]);

    it('ends a segment at ?? + terminator and not at ?\' or ???\'', () => {
      expect(ift[2]).toEqual(['NO MORE FLIGHTS 2?']);
      expect(ift[3]).toEqual(["NO MORE ' FLIGHTS 3"]);
      expect(ift[4]).toEqual(['NO MORE ? FLIGHTS 3']);
      expect(ift[5]).toEqual(["NO MORE ?' FLIGHTS 3"]);
    });

    it('applies the same parity rule to element and component separators', () => {
      expect(byTag(segments, 'IFT')[7]?.elements).toEqual([['3'], ['FIELD 1?'], ['FIELD 2']]);
      expect(byTag(segments, 'IFT')[8]?.elements).toEqual([['3'], ['FIELD 1?+FIELD 2']]);
      expect(ift[10]).toEqual(['FIELD 1.1?', 'FIELD 1.2']);
      expect(ift[11]).toEqual(['FIELD 1.1?:FIELD 1.2']);
    });

    it('counts every segment with its line and column', () => {
      expect(segments).toHaveLength(25);
      const unt = segments.find((s) => s.tag === 'UNT') as Segment;
      expect(unt.number).toBe(24);
      expect(unt.line).toBe(25);
      expect(unt.column).toBe(1);
      expect(describePosition(unt)).toBe('segment 24 (UNT) at line 25, column 1');
    });
  });

  describe('when the segment terminator is followed by CR LF', () => {
    const crlf = tokenize(fixture('constructed-crlf.edi'));
    const plain = tokenize(fixture('constructed-full-d96a.edi'));

    it('strips the line breaks and yields the same data as the LF file', () => {
      expect(crlf.segments.map((s) => [s.tag, s.elements])).toEqual(plain.segments.map((s) => [s.tag, s.elements]));
      expect(crlf.segments.every((s) => s.column === 1)).toBe(true);
      expect(crlf.segments[5]?.line).toBe(7);
    });
  });

  describe('when a line break is inside a data element', () => {
    it('keeps it as data (no lines between segments)', () => {
      const { segments } = tokenize(fixture('constructed-newline-in-element.edi'));
      expect(byTag(segments, 'FTX')[0]?.elements[3]).toEqual(['first line\nsecond line']);
      expect(byTag(segments, 'IMD')[0]?.elements[2]).toEqual(['', '', '', 'two\r\nlines']);
      const nad = byTag(segments, 'NAD')[0] as Segment;
      expect(nad.line).toBe(2);
    });

    it('keeps it in the php-edifact multiline sample and counts lines from it', () => {
      const { segments } = tokenize(fixture('php-edifact-multiline.edi'));
      const ftx = byTag(segments, 'FTX')[2] as Segment;
      expect(ftx.elements[3]).toEqual(['THE SHIPPER SHALL NOT BE RESPONSIBLE FOR ANY COSTS/DELAYS OCCUR\n', 'DUE TO INTERVENTION OF CUSTOMS.']);
      expect(byTag(segments, 'UNT')[0]?.line).toBe(9);
    });
  });

  describe('when UNA declares other service characters', () => {
    it('splits on | and treats + as data', () => {
      const { segments, delimiters } = tokenize(fixture('constructed-una-pipe.edi'));
      expect(delimiters).toMatchObject({ element: '|', component: ':', release: '?', segment: "'" });
      expect(byTag(segments, 'BGM')[0]?.elements).toEqual([['220'], ['A+B|1'], ['9']]);
      expect(byTag(segments, 'NAD')[0]?.elements[3]).toEqual(['Plus+Minus|Pipe GmbH']);
    });

    it('reads a comma decimal mark from UNA', () => {
      expect(tokenize(fixture('constructed-comma-decimal.edi')).delimiters.decimal).toBe(',');
    });

    it('reports a UNA that is not 9 characters', () => {
      const { issues, segments } = tokenize('UNA:+.');
      expect(segments).toEqual([]);
      expect(issues[0]?.message).toMatch(/exactly 9 characters/);
    });

    it('treats a space release character as "none"', () => {
      const { segments } = tokenize("UNA:+.  'FTX+A?B'");
      expect(segments[0]?.elements).toEqual([['A?B']]);
    });

    it('uses IS1/IS3/IS4 for a level-B interchange without UNA', () => {
      const text = 'UNB\x1dUNOB\x1f3\x1dA\x1dB\x1c' + 'UNH\x1d1\x1dORDERS\x1fD\x1f96A\x1fUN\x1c';
      const { segments } = tokenize(text);
      expect(segments.map((s) => s.tag)).toEqual(['UNB', 'UNH']);
      expect(segments[1]?.elements[1]).toEqual(['ORDERS', 'D', '96A', 'UN']);
    });
  });

  describe('when released data ends right before the terminator', () => {
    const { segments } = tokenize(fixture('constructed-release-chars.edi'));

    it("reads DE?'' as the value DE' and ??' as a value ending in ?", () => {
      expect(byTag(segments, 'NAD')[0]?.elements[3]).toEqual(["DE'"]);
      expect(byTag(segments, 'FTX')[0]?.elements[3]).toEqual(["O'Neil's order", 'Answer?']);
      expect(byTag(segments, 'FTX')[1]?.elements[3]).toEqual(['ends with release?']);
      expect(byTag(segments, 'IMD')[0]?.elements[2]).toEqual(['', '', '', 'Question? mark', 'Plus+Colon:']);
    });
  });

  describe('when a terminator lacks its release character', () => {
    it('flags the stray fragment with its position', () => {
      const { segments } = tokenize(fixture('constructed-two-messages-one-broken.edi'));
      const bad = segments.find((s) => s.issue) as Segment;
      expect(bad.tag).toBe('Neil hammer');
      expect(bad.issue).toContain('at line 9, column 13');
    });
  });

  describe('when the input is truncated', () => {
    it('returns the last segment with an issue', () => {
      const { segments } = tokenize(fixture('constructed-truncated.edi'));
      const last = segments[segments.length - 1] as Segment;
      expect(last.tag).toBe('QTY');
      expect(last.elements).toEqual([['21', '']]);
      expect(last.issue).toMatch(/no segment terminator/);
    });
  });

  describe('when fed in chunks', () => {
    const text = fixture('constructed-crlf.edi');
    const whole = tokenize(text).segments;

    it.each([1, 2, 3, 7, 64])('yields the same segments and positions for chunks of %i characters', (size) => {
      const tokenizer = new EdifactTokenizer();
      const out: Segment[] = [];
      for (let i = 0; i < text.length; i += size) out.push(...tokenizer.feed(text.slice(i, i + size)));
      out.push(...tokenizer.end());
      expect(out).toEqual(whole);
    });

    it('handles a chunk boundary between release character and terminator', () => {
      const tokenizer = new EdifactTokenizer();
      const first = tokenizer.feed("UNA:+.? 'FTX+A?");
      const second = tokenizer.feed("'B'QTY+1'");
      expect(first).toEqual([]);
      expect([...second, ...tokenizer.end()].map((s) => s.elements)).toEqual([[["A'B"]], [['1']]]);
    });
  });

  it('escapes every service character for output', () => {
    expect(escapeData("a?b:c+d'e", DEFAULT_DELIMITERS)).toBe("a??b?:c?+d?'e");
    const round = tokenize(`FTX+${escapeData("O'Neil + Co: 100??", DEFAULT_DELIMITERS)}'`).segments[0];
    expect(round?.elements).toEqual([["O'Neil + Co: 100??"]]);
  });
});

describe('edifact interchange', () => {
  describe('when the UNT count is wrong', () => {
    it('rejects only that message, naming the UNT position', () => {
      const [interchange] = parseEdifact(fixture('constructed-wrong-unt-count.edi'));
      const [w1, r2] = interchange!.messages;
      expect(w1!.errors[0]?.message).toBe('message W1: UNT segment count "9" does not match the 10 segments from UNH to UNT (segment 11 (UNT) at line 12, column 1)');
      expect(r2!.errors).toEqual([]);
    });

    it('rejects the real php-edifact sample whose UNT says 14 for 23 segments', () => {
      const [interchange] = parseEdifact(fixture('php-edifact-release-character.edi'));
      expect(interchange!.messages[0]!.errors[0]?.message).toMatch(/UNT segment count "14" does not match the 23 segments/);
    });
  });

  describe('when the UNZ count and reference are wrong', () => {
    it('keeps the messages and records warnings', () => {
      const [interchange] = parseEdifact(fixture('constructed-wrong-unz-count.edi'));
      expect(interchange!.messages[0]!.errors).toEqual([]);
      expect(interchange!.errors).toEqual([]);
      expect(interchange!.warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/^UNZ says "3" messages, the interchange holds 1 \(segment 12 \(UNZ\) at line 13, column 1\)/),
        expect.stringMatching(/^UNZ reference "IC99" does not match UNB control reference "IC13"/),
      ]);
    });
  });

  describe('when the interchange is truncated', () => {
    it('keeps the complete message, rejects the cut one and warns about the missing UNZ', () => {
      const [interchange] = parseEdifact(fixture('constructed-truncated.edi'));
      expect(interchange!.messages[0]!.errors).toEqual([]);
      expect(interchange!.messages[1]!.errors.map((e) => e.message).join(' ')).toMatch(/segment 17 \(QTY\) at line 18, column 1 has no segment terminator.*no UNT before the end of the input/);
      expect(interchange!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/no UNZ/)]);
    });
  });

  describe('when given two messages in one interchange', () => {
    it('checks UNZ against the message count', () => {
      const [interchange] = parseEdifact(fixture('php-edifact-multi.edi'));
      expect(interchange!.messages.map((m) => [m.ref, m.type, m.segments.length, m.errors.length])).toEqual([
        ['1', 'PAORES', 13, 0],
        ['2', 'PAORES', 13, 0],
      ]);
      expect(interchange!.warnings).toEqual([]);
      expect(interchange!.header).toMatchObject({ syntaxId: 'IATB', syntaxVersion: '1', sender: { id: '6XPPC' }, controlRef: '1', preparedAt: '1994-01-01T09:50:00.000Z' });
    });
  });

  describe('when groups are used', () => {
    it('counts groups in UNZ and messages in UNE', () => {
      const text = "UNB+UNOC:3+S:14+R:14+240101:1200+9'UNG+ORDERS+S+R+240101:1200+G1+UN+D:96A'UNH+1+ORDERS:D:96A:UN'BGM+220+X+9'UNT+3+1'UNE+2+G1'UNZ+1+9'";
      const [interchange] = parseEdifact(text);
      expect(interchange!.messages[0]!.group?.ref).toBe('G1');
      expect(interchange!.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^UNE says 2 messages in group G1, 1 were found/)]);
    });
  });

  it('reads syntax version 3 and 4 envelope dates', () => {
    expect(envelopeDateTime('181205', '1607')).toBe('2018-12-05T16:07:00.000Z');
    expect(envelopeDateTime('991231', '2359')).toBe('1999-12-31T23:59:00.000Z');
    expect(envelopeDateTime('20240311', '0815')).toBe('2024-03-11T08:15:00.000Z');
    expect(envelopeDateTime('20240230', '0815')).toBeUndefined();
    const [v4] = parseEdifact("UNB+UNOW:4+S:14+R:14+20240311:0815+1'UNZ+0+1'");
    expect(v4!.header).toMatchObject({ syntaxId: 'UNOW', syntaxVersion: '4', preparedAt: '2024-03-11T08:15:00.000Z' });
  });

  it('decodes UNOC bytes that are ISO 8859-1 and bytes that are UTF-8', () => {
    const latin1 = decodeEdiBytes(bytes('php-edifact-order-excerpt-latin1.edi'));
    expect(latin1).toMatchObject({ charset: 'iso-8859-1', declared: 'UNOC' });
    expect(latin1.text).toContain('A?+A Kälte GmbH+Teststraße 16a');
    const utf8 = decodeEdiBytes(new TextEncoder().encode("UNB+UNOC:3+S+R+240101:1200+1'FTX+AAI+++Kälte'"));
    expect(utf8).toMatchObject({ charset: 'utf-8', declared: 'UNOC' });
    expect(utf8.text).toContain('Kälte');
  });
});
