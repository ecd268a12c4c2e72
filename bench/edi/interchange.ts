/**
 * One large ORDERS interchange for the EDI benchmarks, built from the constructed fixture's message
 * (the reference parser refuses the real dilono sample), each copy with its own message reference and
 * document number, so every message is a distinct order.
 */
import { readFileSync } from 'node:fs';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/edi/edifact/${name}`, import.meta.url), 'utf8');

/** UNH…UNT of a fixture's first message, with the message ref and document number made unique per copy. */
function messageTemplate(name: string): string {
  const text = fixture(name).replace(/\r?\n/g, '');
  const start = text.indexOf('UNH+');
  const end = text.indexOf("'", text.indexOf('UNT+', start)) + 1;
  return text.slice(start, end);
}

export function buildInterchange(targetBytes: number): { text: string; messages: number } {
  // Only the constructed order: the reference's validator refuses the real dilono sample (see the gotcha table).
  const templates = [messageTemplate('constructed-full-d96a.edi')];
  const parts: string[] = ["UNA:+.? '", "UNB+UNOC:3+4012345000009:14+4098765000010:14+20240311:0815+BENCH1'"];
  let size = 0;
  let n = 0;
  while (size < targetBytes) {
    n++;
    const template = templates[n % templates.length] as string;
    const ref = `M${n}`;
    const message = template
      .replace(/^UNH\+[^+]*\+/, `UNH+${ref}+`)
      .replace(/UNT\+(\d+)\+[^']*'$/, `UNT+$1+${ref}'`)
      .replace(/BGM\+220\+[^+]*\+/, `BGM+220+PO-${n}+`);
    parts.push(message);
    size += message.length;
  }
  parts.push(`UNZ+${n}+BENCH1'`);
  return { text: parts.join('\n'), messages: n };
}

