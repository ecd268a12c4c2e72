import { Money, formatDecimal, parseDecimal } from '../../common/money.ts';
import type { X12PurchaseOrder, X12PoLine } from './850.ts';
import { ISA_LENGTH, type X12Delimiters } from './tokenizer.ts';

/**
 * Builds an X12 855 Purchase Order Acknowledgment for one parsed 850, in its own ISA/GS/ST…SE/GE/IEA
 * envelope. Pure: the control numbers and the clock are passed in (the caller owns the counters).
 *
 * Decisions:
 * - Envelope: sender and receiver swapped from the 850 (ISA05/06 ↔ ISA07/08, GS02 ↔ GS03); ISA12 and
 *   GS08 are the 850's (GS08 derived from ISA12 when the 850 had no GS); GS01 = PR; ISA14 = 0; ISA15 =
 *   the 850's usage unless given. ISA is fixed width (ISA06/08 padded to 15, ISA13 to 9 digits) and
 *   checked to be 106 characters. ISA11 is the repetition separator from 00402 on, `U` before.
 * - BAK02 from the line results: AD (acknowledge with detail, no change) when every line is accepted as
 *   ordered; AC (with detail and change) when any line is changed or rejected; RJ (rejected, no detail)
 *   when every line is rejected; AK (no detail, no change) when the 850 has no lines. AK and RJ carry no
 *   PO1/ACK loop and no CTT ("no detail").
 * - Each line: PO1 echoed as received (PO101…), then ACK: IA + ordered quantity; IC + the new quantity;
 *   IR + 0. Lines not listed in the input are accepted as received.
 * - Separators: X12 has no release (escape) character, so a delimiter can never appear inside data. By
 *   default the 855 reuses the 850's delimiters, so every echoed value (which was split on them) is
 *   unchanged. Any delimiter, CR or LF that does appear in a value (new data, or other delimiters chosen)
 *   is replaced by a space; in echoed PO1 values the component separator is kept when it is the 850's
 *   (a composite stays a composite). Element/component/segment/repetition separators must be distinct
 *   non-alphanumeric characters.
 */

export type X12AckStatus = 'accepted' | 'changed' | 'rejected';

export interface X12AckLine {
  /** PO101 of the 850 line (`#<ordinal>` for a line sent without PO101). */
  lineNo: string;
  status: X12AckStatus;
  /** Required for `changed`: the quantity the seller will ship. */
  quantity?: string | number;
}

export interface X12ControlNumbers {
  /** ISA13/IEA02: 1…999999999. */
  interchange: number | string;
  /** GS06/GE02: 1…999999999. */
  group: number | string;
  /** ST02/SE02: 4–9 characters; a number is zero-padded to 4. */
  transactionSet: number | string;
}

export interface Build855Options {
  controlNumbers: X12ControlNumbers;
  /** Per-line results; default every line accepted as received. */
  lines?: X12AckLine[];
  /** Interchange/acknowledgment date and time (UTC). Default: now. */
  at?: Date;
  /** ISA15; default the 850's (P when unknown). */
  usage?: 'P' | 'T';
  /** Override delimiters; default the 850's. */
  delimiters?: Partial<X12Delimiters>;
  /** Text after each segment terminator (ignored when the terminator is CR or LF). Default none. */
  segmentSuffix?: '' | '\n' | '\r\n';
  /** BAK08: the seller's order number. */
  sellerOrderNumber?: string;
  /** Who answers (the channel's ourId / ourQualifier: ISA06/ISA05, GS02); default the 850's receiver. */
  sender?: { id: string; qualifier?: string | undefined } | undefined;
  /** Force BAK02 instead of deriving it from the line results. */
  acknowledgmentType?: 'AC' | 'AD' | 'AK' | 'RJ';
}

/** Bad input to the builder (unknown line, changed line without quantity, over-long ids). */
export class X12BuildError extends Error {}

const ACK_CODES: Record<X12AckStatus, string> = { accepted: 'IA', changed: 'IC', rejected: 'IR' };

function controlNumber(raw: number | string, what: string): bigint {
  const text = String(raw).trim();
  if (!/^\d{1,9}$/.test(text) || BigInt(text) === 0n) throw new X12BuildError(`${what} must be a number from 1 to 999999999, got ${JSON.stringify(raw)}`);
  return BigInt(text);
}

function transactionSetControl(raw: number | string): string {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 1 || raw > 999_999_999) throw new X12BuildError(`transaction set control number must be 1…999999999, got ${raw}`);
    return String(raw).padStart(4, '0');
  }
  const text = raw.trim();
  if (!/^[A-Za-z0-9]{4,9}$/.test(text)) throw new X12BuildError(`transaction set control number must be 4–9 letters or digits, got ${JSON.stringify(raw)}`);
  return text;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function resolveDelimiters(po: X12PurchaseOrder, override: Partial<X12Delimiters> | undefined, repetitionInUse: boolean): X12Delimiters {
  const base = po.interchange.delimiters;
  const d: X12Delimiters = {
    element: override?.element ?? base.element,
    component: override?.component ?? base.component,
    segment: override?.segment ?? base.segment,
  };
  if (repetitionInUse) d.repetition = override?.repetition ?? base.repetition ?? '^';
  const all = [d.element, d.component, d.segment, ...(d.repetition ? [d.repetition] : [])];
  for (const c of all) {
    if (c.length !== 1 || /[A-Za-z0-9 ]/.test(c)) throw new X12BuildError(`delimiter ${JSON.stringify(c)} must be one non-alphanumeric character`);
  }
  if (new Set(all).size !== all.length) throw new X12BuildError(`delimiters must be distinct, got ${JSON.stringify(all)}`);
  return d;
}

/** Version of the group (GS08) for an interchange version (ISA12): 00401 → 004010. */
function groupVersion(isaVersion: string): string {
  return /^\d{5}$/.test(isaVersion) ? `${isaVersion}0` : '004010';
}

/** Builds the 855 text for one 850. Throws X12BuildError on bad input (not a mapping: callers pass their own data). */
export function build855(po: X12PurchaseOrder, options: Build855Options): string {
  const at = options.at ?? new Date();
  if (Number.isNaN(at.getTime())) throw new X12BuildError('at is not a valid date');
  const isaVersion = po.interchange.version || '00401';
  const d = resolveDelimiters(po, options.delimiters, isaVersion >= '00402');
  const sameComponent = d.component === po.interchange.delimiters.component;
  const suffix = d.segment === '\n' || d.segment === '\r' ? '' : (options.segmentSuffix ?? '');

  const forbidden = [d.element, d.segment, d.component, ...(d.repetition ? [d.repetition] : []), '\r', '\n'];
  const clean = (raw: string, keepComponent = false): string => {
    let out = raw;
    for (const c of forbidden) {
      if (keepComponent && c === d.component) continue;
      if (out.includes(c)) out = out.split(c).join(' ');
    }
    return out;
  };

  const isaCtl = controlNumber(options.controlNumbers.interchange, 'interchange control number');
  const gsCtl = controlNumber(options.controlNumbers.group, 'group control number');
  const stCtl = transactionSetControl(options.controlNumbers.transactionSet);

  const yy = pad2(at.getUTCFullYear() % 100);
  const ccyymmdd = `${at.getUTCFullYear()}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}`;
  const hhmm = `${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}`;

  // ISA: fixed width.
  const isaId = (raw: string, what: string): string => {
    const v = clean(raw);
    if (v.length > 15) throw new X12BuildError(`${what} ${JSON.stringify(raw)} is longer than 15 characters`);
    return v.padEnd(15, ' ');
  };
  const qualifier = (raw: string): string => (clean(raw) || 'ZZ').padEnd(2, ' ').slice(0, 2);
  const isa850 = po.interchange;
  const isaElements = [
    'ISA',
    '00',
    ' '.repeat(10),
    '00',
    ' '.repeat(10),
    qualifier(options.sender ? (options.sender.qualifier ?? isa850.receiverQualifier) : isa850.receiverQualifier),
    isaId(options.sender?.id ?? isa850.receiverId, options.sender ? "sender id (the channel's ourId)" : 'sender id (the 850 receiver)'),
    qualifier(isa850.senderQualifier),
    isaId(isa850.senderId, 'receiver id (the 850 sender)'),
    `${yy}${ccyymmdd.slice(4)}`,
    hhmm,
    d.repetition ?? 'U',
    isaVersion.padStart(5, '0').slice(0, 5),
    String(isaCtl).padStart(9, '0'),
    '0',
    options.usage ?? (isa850.usage === 'T' ? 'T' : 'P'),
    d.component,
  ];
  const isa = isaElements.join(d.element) + d.segment;
  if (isa.length !== ISA_LENGTH) throw new X12BuildError(`built ISA is ${isa.length} characters, not ${ISA_LENGTH}`);

  const gs = ['GS', 'PR', clean(options.sender?.id || po.group?.receiverCode || isa850.receiverId), clean(po.group?.senderCode || isa850.senderId), ccyymmdd, hhmm, String(gsCtl), 'X', clean(po.group?.version || groupVersion(isaVersion))];

  // Line results.
  const results = new Map<string, X12AckLine>();
  const keyOf = (l: X12PoLine): string => l.lineNo || `#${l.ordinal}`;
  const known = new Set(po.lines.map(keyOf));
  for (const r of options.lines ?? []) {
    if (!known.has(r.lineNo)) throw new X12BuildError(`line ${JSON.stringify(r.lineNo)} is not in PO ${po.poNumber} (lines: ${[...known].join(', ') || 'none'})`);
    if (results.has(r.lineNo)) throw new X12BuildError(`line ${JSON.stringify(r.lineNo)} is acknowledged twice`);
    if (r.status === 'changed') {
      const q = r.quantity === undefined ? undefined : parseDecimal(r.quantity);
      if (!q || q.isNegative()) throw new X12BuildError(`line ${r.lineNo} is changed but has no valid quantity`);
    } else if (!(r.status in ACK_CODES)) {
      throw new X12BuildError(`line ${r.lineNo}: unknown status ${JSON.stringify(r.status)}`);
    }
    results.set(r.lineNo, r);
  }
  const statuses = po.lines.map((l) => results.get(keyOf(l))?.status ?? 'accepted');
  const ackType =
    options.acknowledgmentType ??
    (po.lines.length === 0 ? 'AK' : statuses.every((s) => s === 'rejected') ? 'RJ' : statuses.some((s) => s !== 'accepted') ? 'AC' : 'AD');
  const withDetail = ackType === 'AC' || ackType === 'AD';

  const body: string[][] = [];
  body.push(['ST', '855', stCtl]);
  const poDate = po.poDate.replace(/-/g, '');
  body.push(['BAK', '00', ackType, clean(po.poNumber), poDate, clean(po.release ?? ''), '', '', clean(options.sellerOrderNumber ?? ''), ccyymmdd]);
  if (withDetail) {
    po.lines.forEach((l, i) => {
      const echo = l.po1.slice(1).map((v) => clean(v, sameComponent));
      body.push(['PO1', ...echo]);
      const status = statuses[i] ?? 'accepted';
      const result = results.get(keyOf(l));
      const quantity = status === 'rejected' ? '0' : status === 'changed' ? formatDecimal(new Money(parseDecimal(result?.quantity)!)) : l.quantity;
      body.push(['ACK', ACK_CODES[status], quantity, clean(l.uom ?? '')]);
    });
    body.push(['CTT', String(po.lines.length)]);
  }
  body.push(['SE', String(body.length + 1), stCtl]);

  const render = (elements: string[]): string => {
    let end = elements.length;
    while (end > 1 && elements[end - 1] === '') end--;
    return elements.slice(0, end).join(d.element) + d.segment + suffix;
  };
  return [isa + suffix, render(gs), ...body.map(render), render(['GE', '1', String(gsCtl)]), render(['IEA', '1', String(isaCtl).padStart(9, '0')])].join('');
}
