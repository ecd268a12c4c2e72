import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { OrderDraft } from '../../core/model/order.ts';
import { edifactMapping, EdifactTokenizer, InterchangeAssembler, type EdifactMessage, type Interchange, type Segment } from '../../mappings/edi/edifact/index.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');
const map = (body: string) => edifactMapping.map({ kind: 'upload', body, contentType: 'application/edifact' }, { defaultCurrency: 'EUR' });
const warningsOf = (order: OrderDraft): unknown => (order.transport!.edifact as Record<string, unknown>).warnings;

/** UNH…UNT of the constructed full order (33 segments, 2 lines, 112 pieces), as one line. */
const template = ((): string => {
  const text = fixture('constructed-full-d96a.edi').replace(/\r?\n/g, '');
  const start = text.indexOf('UNH+');
  return text.slice(start, text.indexOf("'", text.indexOf('UNT+', start)) + 1);
})();

function message(n: number, untCount = '33'): string {
  return template
    .replace(/^UNH\+[^+]*\+/, `UNH+M${n}+`)
    .replace(/UNT\+\d+\+[^']*'$/, `UNT+${untCount}+M${n}'`)
    .replace(/BGM\+220\+[^+]*\+/, `BGM+220+PO-${n}+`);
}

function interchange(ref: string, from: number, count: number, options: { unzCount?: number; badUnt?: number } = {}): string {
  const parts = [`UNB+UNOC:3+4012345000009:14+4098765000010:14+20240311:0815+${ref}'`];
  for (let n = from; n < from + count; n++) parts.push(message(n, n === options.badUnt ? '32' : '33'));
  parts.push(`UNZ+${options.unzCount ?? count}+${ref}'`);
  return parts.join('\n');
}

describe('edifact streaming mapping', () => {
  describe('when given one interchange of 5,000 ORDERS messages', () => {
    const result = map(`UNA:+.? '\n${interchange('BIG1', 1, 5000)}`);

    it('maps exactly 5,000 drafts, in message order, without errors', () => {
      expect(result.errors).toEqual([]);
      expect(result.orders).toHaveLength(5000);
      expect(result.orders[0]?.number).toBe('PO-1');
      expect(result.orders[4999]?.number).toBe('PO-5000');
      expect(new Set(result.orders.map((o) => o.externalId)).size).toBe(5000);
    });

    it('passes the control checks of every message', () => {
      for (const order of result.orders) {
        const edifact = order.transport!.edifact as Record<string, any>;
        expect(order.lines).toHaveLength(2);
        expect(edifact.controlTotals).toEqual({ '2': '2' });
        expect(edifact.interchange.controlRef).toBe('BIG1');
        expect(edifact.warnings).toBeUndefined();
      }
      expect(result.orders[4321]?.totals).toEqual(result.orders[0]?.totals);
    });
  });

  describe('when UNT and UNZ counts are wrong deep in a large payload', () => {
    const body = `${interchange('IC-A', 1, 2000, { badUnt: 1234 })}\n${interchange('IC-B', 2001, 3000, { unzCount: 2999 })}`;
    const result = map(body);

    it('rejects only the message with the bad UNT count, with its position', () => {
      expect(result.orders).toHaveLength(4999);
      expect(result.errors).toEqual([{ ref: 'message M1234', message: expect.stringMatching(/^message M1234: UNT segment count "32" does not match the 33 segments from UNH to UNT \(segment \d+ \(UNT\) at line 1235, column \d+\)$/) }]);
    });

    it('records the UNZ warning on every draft of that interchange and on no other', () => {
      const serial = (o: OrderDraft): number => Number(o.number!.slice('PO-'.length));
      const [a, b] = [result.orders.filter((o) => serial(o) <= 2000), result.orders.filter((o) => serial(o) > 2000)];
      expect(a).toHaveLength(1999);
      expect(b).toHaveLength(3000);
      expect(a.every((o) => warningsOf(o) === undefined)).toBe(true);
      const warnings = b.map((o) => warningsOf(o) as string[]);
      expect(warnings.every((w) => Array.isArray(w) && w.length === 1 && /^UNZ says "2999" messages, the interchange holds 3000/.test(w[0]!))).toBe(true);
    });
  });

  it('maps a truncated interchange the same way whole or streamed: complete messages kept, warning on each', () => {
    const body = interchange('IC-T', 1, 300).replace(/\nUNZ\+300\+IC-T'$/, '').slice(0, -40);
    const result = map(body);
    expect(result.orders).toHaveLength(299);
    expect(result.errors.map((e) => e.ref)).toEqual(['message M300']);
    expect(result.orders.every((o) => (warningsOf(o) as string[])[0]?.startsWith('no UNZ at the end of the input'))).toBe(true);
  });

  it('hands each message to onMessage as its UNT closes it and keeps none when asked', () => {
    const tokenizer = new EdifactTokenizer();
    const seen: Array<[string, number, number]> = [];
    let pushed = 0;
    const assembler = new InterchangeAssembler(undefined, {
      keepMessages: false,
      onMessage: (m: EdifactMessage, i: Interchange) => seen.push([m.ref, m.segments.length, i.messages.length]),
      onInterchange: (i: Interchange) => seen.push([`end ${i.header?.controlRef}`, pushed, i.warnings.length]),
    });
    const sink = { push: (s: Segment): void => {
      pushed++;
      assembler.push(s);
    } };
    tokenizer.feedTo(interchange('IC-S', 1, 3), sink);
    tokenizer.endTo(sink);
    assembler.finish();
    expect(seen).toEqual([
      ['M1', 33, 0],
      ['M2', 33, 0],
      ['M3', 33, 0],
      ['end IC-S', 101, 0],
    ]);
  });
});
