import { readFileSync } from 'node:fs';

/**
 * Generated X12 850 interchanges for streaming tests: the transaction set of the node-x12 sample
 * (test/fixtures/edi/x12/node-x12-850.edi, 33 segments, 6 PO1 lines) repeated with its own ST02/SE02
 * and PO number (BEG03) per set, inside the sample's own ISA/GS envelope. Nothing is added to the
 * sample's segments; only control numbers, PO numbers and (optionally) the PID descriptions change.
 */
const sample = readFileSync(new URL('../fixtures/edi/x12/node-x12-850.edi', import.meta.url), 'utf8');
const isaLine = sample.slice(0, sample.indexOf('~') + 1);
const stBlock = sample.slice(sample.indexOf('ST*850*'), sample.indexOf('~', sample.indexOf('SE*33*')) + 1);

export interface X12FileOptions {
  /** ISA13 (9 digits); IEA02 is the same unless `ieaControl` says otherwise. */
  isaControl?: string;
  ieaControl?: string;
  /** IEA01 (number of groups) as declared; the right count by default. */
  ieaCount?: number;
  /** GS06 / GE02 / GE01 as declared; right by default. */
  gsControl?: string;
  geControl?: string;
  geCount?: number;
  /** Replaces the PID descriptions' word WIDGET (e.g. with multi-byte text). */
  widget?: string;
}

/** One 850 set numbered `n`: ST02 = SE02 = n (4 digits at least), BEG03 = PO-<tag>-<n>. */
export function x12Set(tag: string, n: number, widget?: string): string {
  const control = String(n).padStart(4, '0');
  let set = stBlock
    .replace(/^ST\*850\*[^~]*~/, `ST*850*${control}~`)
    .replace(/SE\*33\*[^~]*~$/, `SE*33*${control}~`)
    .replace(/BEG\*00\*SA\*[^*]*\*/, `BEG*00*SA*PO-${tag}-${n}*`);
  if (widget) set = set.replaceAll('WIDGET', widget);
  return set;
}

/** One interchange, one PO group, `count` sets, one segment a line (terminator `~` then LF). */
export function x12File(tag: string, count: number, options: X12FileOptions = {}): string {
  const isaControl = options.isaControl ?? '000003438';
  const gsControl = options.gsControl ?? '1421';
  // ISA13 is characters 90–98 of the fixed-width header.
  const parts = [`${isaLine.slice(0, 90)}${isaControl}${isaLine.slice(99)}`, `GS*PO*4405197800*999999999*20101127*1719*${gsControl}*X*004010VICS~`];
  for (let n = 1; n <= count; n++) parts.push(x12Set(tag, n, options.widget));
  parts.push(`GE*${options.geCount ?? count}*${options.geControl ?? gsControl}~`, `IEA*${options.ieaCount ?? 1}*${options.ieaControl ?? isaControl}~`);
  return `${parts.join('\n')}\n`;
}
