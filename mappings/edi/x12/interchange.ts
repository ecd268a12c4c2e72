import { formatPosition, tokenizeX12, value, type X12Delimiters, type X12Position, type X12Segment } from './tokenizer.ts';

/**
 * X12 envelopes: ISA/IEA (interchange), GS/GE (functional group), ST/SE (transaction set), with every
 * control number and count checked.
 *
 * What is rejected and what is only recorded (a decision; X12 itself leaves it to the 997):
 * - A transaction set is the unit of acceptance. SE01 ≠ the number of segments ST..SE, SE02 ≠ ST02, or
 *   a missing SE (the next ST/GE/IEA/ISA or the end of the text came first) rejects THAT set only, with
 *   an error naming the segment and its position; the other sets are kept. SE01 is what proves a set
 *   arrived whole, so nothing in a set that fails it is trusted.
 * - Group and interchange trailers (GE01 = number of ST, GS06 = GE02, IEA01 = number of GS,
 *   ISA13 = IEA02) and missing trailers (a truncated file without GE/IEA) are recorded as warnings on
 *   the document and on every set of that group/interchange. Each set already proved itself whole
 *   through its own SE; dropping good purchase orders because a translator miscounted a trailer would
 *   lose business, while the warning keeps the fault visible (and is what a 997 would report).
 * - Segments outside any transaction set are an error (one per run of consecutive stray segments); they
 *   do not affect the sets around them. A duplicate ST02 inside one group is a warning.
 */

export interface X12Issue {
  severity: 'error' | 'warning';
  /** `ST <control number>` when the issue concerns one transaction set. */
  ref?: string;
  message: string;
  position?: X12Position;
}

export interface X12InterchangeHeader {
  /** ISA05/ISA06 (ISA06 without its padding). */
  senderQualifier: string;
  senderId: string;
  /** ISA07/ISA08. */
  receiverQualifier: string;
  receiverId: string;
  /** ISA09 YYMMDD and ISA10 HHMM as sent. */
  date: string;
  time: string;
  /** ISA11 as sent (`U` or the repetition separator). */
  standardsOrRepetition: string;
  /** ISA12, e.g. 00401, 00501. */
  version: string;
  /** ISA13, 9 digits. */
  controlNumber: string;
  /** ISA14 (0/1) and ISA15 (P production, T test). */
  ackRequested: string;
  usage: string;
  delimiters: X12Delimiters;
  position: X12Position;
}

export interface X12GroupHeader {
  /** GS01, `PO` for 850, `PR` for 855. */
  functionalId: string;
  /** GS02/GS03 application sender/receiver codes. */
  senderCode: string;
  receiverCode: string;
  /** GS04 CCYYMMDD, GS05 HHMM[SS[dd]]. */
  date: string;
  time: string;
  /** GS06. */
  controlNumber: string;
  /** GS07 (X) and GS08 (e.g. 004010VICS, 005010). */
  agency: string;
  version: string;
  position: X12Position;
}

export interface X12TransactionSet {
  /** ST01, e.g. 850. */
  type: string;
  /** ST02 = SE02. */
  controlNumber: string;
  /** ST03 (5010 implementation convention reference), when sent. */
  implementationRef?: string;
  /** ST … SE inclusive. */
  segments: X12Segment[];
  interchange: X12InterchangeHeader;
  /** Undefined only for a set that was not inside a GS/GE group (recorded as a warning). */
  group?: X12GroupHeader;
  /** Warnings about the envelopes around this set (counts, control numbers, missing trailers). */
  warnings: X12Issue[];
}

export interface X12Group {
  header: X12GroupHeader;
  /** Accepted sets only. */
  transactionSets: X12TransactionSet[];
  /** Every ST seen in the group (accepted or rejected), what GE01 counts. */
  stCount: number;
  /** Sets rejected for syntax, with the 997 AK5 code (2 no SE, 3 SE02 ≠ ST02, 4 SE01 count). */
  rejected: Array<{ type: string; controlNumber: string; code: string }>;
  /** 997 AK9 codes of group envelope findings (3 no GE, 4 GE02 ≠ GS06, 5 GE01 count); they reject nothing. */
  envelopeCodes: string[];
  trailer?: X12Segment;
}

export interface X12Interchange {
  header: X12InterchangeHeader;
  groups: X12Group[];
  trailer?: X12Segment;
}

export interface X12Document {
  interchanges: X12Interchange[];
  /** Every accepted transaction set, in order. */
  transactionSets: X12TransactionSet[];
  /** Errors (rejected sets, stray segments, unreadable text) and warnings (envelope counts). */
  issues: X12Issue[];
}

export const setRef = (controlNumber: string): string => `ST ${controlNumber || '(no control number)'}`;

function interchangeHeader(isa: X12Segment): X12InterchangeHeader {
  return {
    senderQualifier: value(isa, 5) ?? '',
    senderId: value(isa, 6) ?? '',
    receiverQualifier: value(isa, 7) ?? '',
    receiverId: value(isa, 8) ?? '',
    date: value(isa, 9) ?? '',
    time: value(isa, 10) ?? '',
    standardsOrRepetition: isa.elements[11] ?? '',
    version: value(isa, 12) ?? '',
    controlNumber: value(isa, 13) ?? '',
    ackRequested: value(isa, 14) ?? '',
    usage: value(isa, 15) ?? '',
    delimiters: isa.delimiters,
    position: positionOf(isa),
  };
}

function groupHeader(gs: X12Segment): X12GroupHeader {
  return {
    functionalId: value(gs, 1) ?? '',
    senderCode: value(gs, 2) ?? '',
    receiverCode: value(gs, 3) ?? '',
    date: value(gs, 4) ?? '',
    time: value(gs, 5) ?? '',
    controlNumber: value(gs, 6) ?? '',
    agency: value(gs, 7) ?? '',
    version: value(gs, 8) ?? '',
    position: positionOf(gs),
  };
}

export function positionOf(s: X12Position): X12Position {
  return { index: s.index, offset: s.offset, line: s.line, column: s.column };
}

const DIGITS = /^\d+$/;

/** Control numbers are numeric (ISA13, GS06): `000000001` and `1` are the same number. */
function sameControlNumber(a: string, b: string): boolean {
  if (DIGITS.test(a) && DIGITS.test(b)) return BigInt(a) === BigInt(b);
  return a === b;
}

/** A count element (SE01, GE01, IEA01): a non-negative integer, or undefined. */
function count(raw: string | undefined): number | undefined {
  return raw !== undefined && DIGITS.test(raw) ? Number(raw) : undefined;
}

interface OpenSet {
  st: X12Segment;
  segments: X12Segment[];
}

/** Tokenizes and checks the envelopes of a whole payload. Never throws. */
export function parseX12(text: string): X12Document {
  const tokens = tokenizeX12(text);
  const doc: X12Document = { interchanges: [], transactionSets: [], issues: [] };
  for (const issue of tokens.issues) {
    const entry: X12Issue = { severity: issue.severity, message: issue.message };
    if (issue.position) entry.position = issue.position;
    doc.issues.push(entry);
  }

  let interchange: X12Interchange | undefined;
  let interchangeSets: X12TransactionSet[] = [];
  let group: X12Group | undefined;
  let open: OpenSet | undefined;
  let stray: X12Segment[] = [];

  const warn = (message: string, at: X12Position, targets: X12TransactionSet[]): void => {
    const issue: X12Issue = { severity: 'warning', message, position: positionOf(at) };
    doc.issues.push(issue);
    for (const set of targets) set.warnings.push(issue);
  };

  const flushStray = (): void => {
    if (stray.length === 0) return;
    const first = stray[0] as X12Segment;
    const last = stray[stray.length - 1] as X12Segment;
    const message =
      stray.length === 1
        ? `segment ${first.id} at ${formatPosition(first)} is outside a transaction set (no ST before it): ignored`
        : `${stray.length} segments from ${first.id} at ${formatPosition(first)} to ${last.id} at ${formatPosition(last)} are outside a transaction set (no ST before them): ignored`;
    doc.issues.push({ severity: 'error', message, position: positionOf(first) });
    stray = [];
  };

  const reject = (set: OpenSet, message: string, at: X12Position, code: string): void => {
    doc.issues.push({ severity: 'error', ref: setRef(value(set.st, 2) ?? ''), message, position: positionOf(at) });
    group?.rejected.push({ type: value(set.st, 1) ?? '', controlNumber: value(set.st, 2) ?? '', code });
  };

  /** Closes an open set that never reached its SE. */
  const abandonSet = (reason: string): void => {
    if (!open) return;
    const ctl = value(open.st, 2) ?? '';
    reject(open, `transaction set ${value(open.st, 1) ?? '?'} ${ctl} starting at ${formatPosition(open.st)} has no SE: ${reason}; rejected`, open.st, '2');
    open = undefined;
  };

  const closeGroup = (ge: X12Segment | undefined, at: X12Position): void => {
    if (!group) return;
    const sets = group.transactionSets;
    const gs = group.header;
    if (ge) {
      group.trailer = ge;
      const ge01 = count(value(ge, 1));
      if (ge01 !== group.stCount) {
        group.envelopeCodes.push('5');
        warn(`GE01 says ${value(ge, 1) ?? '(empty)'} transaction sets but group ${gs.controlNumber} holds ${group.stCount} (GE at ${formatPosition(ge)})`, ge, sets);
      }
      const ge02 = value(ge, 2) ?? '';
      if (!sameControlNumber(ge02, gs.controlNumber)) {
        group.envelopeCodes.push('4');
        warn(`GE02 ${ge02 || '(empty)'} does not match GS06 ${gs.controlNumber} (GE at ${formatPosition(ge)})`, ge, sets);
      }
    } else {
      group.envelopeCodes.push('3');
      warn(`functional group ${gs.controlNumber} (GS at ${formatPosition(gs.position)}) has no GE: the group is truncated`, at, sets);
    }
    group = undefined;
  };

  const closeInterchange = (iea: X12Segment | undefined, at: X12Position): void => {
    if (!interchange) return;
    const isa = interchange.header;
    if (iea) {
      interchange.trailer = iea;
      const iea01 = count(value(iea, 1));
      if (iea01 !== interchange.groups.length) {
        warn(`IEA01 says ${value(iea, 1) ?? '(empty)'} functional groups but interchange ${isa.controlNumber} holds ${interchange.groups.length} (IEA at ${formatPosition(iea)})`, iea, interchangeSets);
      }
      const iea02 = value(iea, 2) ?? '';
      if (!sameControlNumber(iea02, isa.controlNumber)) {
        warn(`IEA02 ${iea02 || '(empty)'} does not match ISA13 ${isa.controlNumber} (IEA at ${formatPosition(iea)})`, iea, interchangeSets);
      }
    } else {
      warn(`interchange ${isa.controlNumber} (ISA at ${formatPosition(isa.position)}) has no IEA: the interchange is truncated`, at, interchangeSets);
    }
    interchange = undefined;
    interchangeSets = [];
  };

  for (const segment of tokens.segments) {
    switch (segment.id) {
      case 'ISA': {
        flushStray();
        abandonSet(`an ISA at ${formatPosition(segment)} came first`);
        closeGroup(undefined, segment);
        closeInterchange(undefined, segment);
        interchange = { header: interchangeHeader(segment), groups: [] };
        doc.interchanges.push(interchange);
        break;
      }
      case 'GS': {
        flushStray();
        abandonSet(`a GS at ${formatPosition(segment)} came first`);
        closeGroup(undefined, segment);
        group = { header: groupHeader(segment), transactionSets: [], stCount: 0, rejected: [], envelopeCodes: [] };
        interchange?.groups.push(group);
        break;
      }
      case 'ST': {
        flushStray();
        abandonSet(`the next ST at ${formatPosition(segment)} came first`);
        open = { st: segment, segments: [segment] };
        if (group) group.stCount++;
        break;
      }
      case 'SE': {
        if (!open) {
          stray.push(segment);
          break;
        }
        const set = open;
        open = undefined;
        set.segments.push(segment);
        const stControl = value(set.st, 2) ?? '';
        const type = value(set.st, 1) ?? '';
        const se01 = value(segment, 1);
        const se02 = value(segment, 2) ?? '';
        if (count(se01) !== set.segments.length) {
          reject(set, `SE01 says ${se01 ?? '(empty)'} segments but transaction set ${type} ${stControl} holds ${set.segments.length} (ST at ${formatPosition(set.st)}, SE at ${formatPosition(segment)}); rejected`, segment, '4');
          break;
        }
        if (se02 !== stControl) {
          reject(set, `SE02 ${se02 || '(empty)'} does not match ST02 ${stControl || '(empty)'} (ST at ${formatPosition(set.st)}, SE at ${formatPosition(segment)}); rejected`, segment, '3');
          break;
        }
        if (!interchange) break; // unreachable: the tokenizer only yields segments after an ISA
        const accepted: X12TransactionSet = { type, controlNumber: stControl, segments: set.segments, interchange: interchange.header, warnings: [] };
        const implementationRef = value(set.st, 3);
        if (implementationRef) accepted.implementationRef = implementationRef;
        if (group) {
          accepted.group = group.header;
          if (group.transactionSets.some((t) => t.controlNumber === stControl)) {
            warn(`ST02 ${stControl} is used twice in functional group ${group.header.controlNumber} (second at ${formatPosition(set.st)})`, set.st, [accepted]);
          }
          group.transactionSets.push(accepted);
        } else {
          warn(`transaction set ${type} ${stControl} at ${formatPosition(set.st)} is not inside a functional group (no GS)`, set.st, [accepted]);
        }
        interchangeSets.push(accepted);
        doc.transactionSets.push(accepted);
        break;
      }
      case 'GE': {
        flushStray();
        abandonSet(`a GE at ${formatPosition(segment)} came first`);
        if (!group) {
          doc.issues.push({ severity: 'warning', message: `GE at ${formatPosition(segment)} closes no functional group (no GS before it)`, position: positionOf(segment) });
          break;
        }
        closeGroup(segment, segment);
        break;
      }
      case 'IEA': {
        flushStray();
        abandonSet(`an IEA at ${formatPosition(segment)} came first`);
        closeGroup(undefined, segment);
        closeInterchange(segment, segment);
        break;
      }
      default: {
        if (open) open.segments.push(segment);
        else stray.push(segment);
      }
    }
  }
  flushStray();
  const end = tokens.segments[tokens.segments.length - 1];
  if (end) {
    abandonSet('the text ends first (truncated)');
    closeGroup(undefined, end);
    closeInterchange(undefined, end);
  }
  return doc;
}
