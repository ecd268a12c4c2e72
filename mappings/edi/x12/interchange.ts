import { formatPosition, X12Scanner, value, type X12Delimiters, type X12Position, type X12Segment, type X12TokenIssue, type X12TokenSink } from './tokenizer.ts';

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
  /** Accepted sets only (kept by parseX12; a streaming reader keeps none, see `accepted`). */
  transactionSets: X12TransactionSet[];
  /** How many sets were accepted. */
  accepted: number;
  /** Every ST seen in the group (accepted or rejected), what GE01 counts. */
  stCount: number;
  /** Sets rejected for syntax, with the 997 AK5 code (2 no SE, 3 SE02 ≠ ST02, 4 SE01 count). */
  rejected: X12RejectedSet[];
  /** 997 AK9 codes of group envelope findings (3 no GE, 4 GE02 ≠ GS06, 5 GE01 count); they reject nothing. */
  envelopeCodes: string[];
  trailer?: X12Segment;
}

export interface X12RejectedSet {
  type: string;
  controlNumber: string;
  /** 997 AK5 code (717). */
  code: string;
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

/** What the envelope reader hands over as it reads, in text order. */
export interface X12EnvelopeEvents {
  /** Every issue: `tokens` from the scanner (text outside interchanges, bad ISA…), `envelope` from the envelope checks. */
  issue?(issue: X12Issue, from: 'tokens' | 'envelope'): void;
  interchange?(interchange: X12Interchange): void;
  group?(group: X12Group, interchange: X12Interchange): void;
  /** An accepted set (SE01 and SE02 right), its segments complete; its warnings so far are on it. */
  set?(set: X12TransactionSet, interchange: X12Interchange, group: X12Group | undefined): void;
  /** A set rejected for its envelope (no SE, SE02 ≠ ST02, SE01 count). */
  rejected?(set: X12RejectedSet, interchange: X12Interchange | undefined, group: X12Group | undefined): void;
  /**
   * A warning known only after sets were handed over (GE/IEA counts and numbers, missing trailers):
   * it concerns every set of `group`, or of `interchange` when no group is given.
   */
  envelopeWarning?(issue: X12Issue, scope: { interchange: X12Interchange; group?: X12Group }): void;
}

/**
 * Checks the envelopes of segments handed over one by one (from an X12Scanner): holds the current
 * transaction set's segments and each open group's and interchange's counters, nothing else, and
 * hands over each set the moment its SE closes it. `parseX12` is this reader over a whole text.
 */
export class X12EnvelopeReader implements X12TokenSink {
  private interchange: X12Interchange | undefined;
  private group: X12Group | undefined;
  private open: OpenSet | undefined;
  /** ST02s accepted in the open group (a duplicate is a warning). */
  private groupControls = new Set<string>();
  /** A run of consecutive segments outside any set. */
  private stray: { first: X12Segment; last: X12Segment; count: number } | undefined;
  private last: X12Segment | undefined;

  constructor(private readonly events: X12EnvelopeEvents) {}

  issue(token: X12TokenIssue): void {
    const entry: X12Issue = { severity: token.severity, message: token.message };
    if (token.position) entry.position = token.position;
    this.events.issue?.(entry, 'tokens');
  }

  private report(issue: X12Issue): void {
    this.events.issue?.(issue, 'envelope');
  }

  private warn(message: string, at: X12Position, scope: { interchange: X12Interchange; group?: X12Group }): void {
    const issue: X12Issue = { severity: 'warning', message, position: positionOf(at) };
    this.report(issue);
    this.events.envelopeWarning?.(issue, scope);
  }

  private flushStray(): void {
    const stray = this.stray;
    if (!stray) return;
    const { first, last } = stray;
    const message =
      stray.count === 1
        ? `segment ${first.id} at ${formatPosition(first)} is outside a transaction set (no ST before it): ignored`
        : `${stray.count} segments from ${first.id} at ${formatPosition(first)} to ${last.id} at ${formatPosition(last)} are outside a transaction set (no ST before them): ignored`;
    this.report({ severity: 'error', message, position: positionOf(first) });
    this.stray = undefined;
  }

  private addStray(segment: X12Segment): void {
    if (this.stray) {
      this.stray.last = segment;
      this.stray.count++;
    } else {
      this.stray = { first: segment, last: segment, count: 1 };
    }
  }

  private reject(set: OpenSet, message: string, at: X12Position, code: string): void {
    this.report({ severity: 'error', ref: setRef(value(set.st, 2) ?? ''), message, position: positionOf(at) });
    const rejected: X12RejectedSet = { type: value(set.st, 1) ?? '', controlNumber: value(set.st, 2) ?? '', code };
    this.group?.rejected.push(rejected);
    this.events.rejected?.(rejected, this.interchange, this.group);
  }

  /** Closes an open set that never reached its SE. */
  private abandonSet(reason: string): void {
    const open = this.open;
    if (!open) return;
    const ctl = value(open.st, 2) ?? '';
    this.open = undefined;
    this.reject(open, `transaction set ${value(open.st, 1) ?? '?'} ${ctl} starting at ${formatPosition(open.st)} has no SE: ${reason}; rejected`, open.st, '2');
  }

  private closeGroup(ge: X12Segment | undefined, at: X12Position): void {
    const group = this.group;
    if (!group) return;
    const gs = group.header;
    // The group's sets: those of its interchange's group (a group is always inside an interchange here).
    const scope = { interchange: this.interchange as X12Interchange, group };
    if (ge) {
      group.trailer = ge;
      const ge01 = count(value(ge, 1));
      if (ge01 !== group.stCount) {
        group.envelopeCodes.push('5');
        this.warn(`GE01 says ${value(ge, 1) ?? '(empty)'} transaction sets but group ${gs.controlNumber} holds ${group.stCount} (GE at ${formatPosition(ge)})`, ge, scope);
      }
      const ge02 = value(ge, 2) ?? '';
      if (!sameControlNumber(ge02, gs.controlNumber)) {
        group.envelopeCodes.push('4');
        this.warn(`GE02 ${ge02 || '(empty)'} does not match GS06 ${gs.controlNumber} (GE at ${formatPosition(ge)})`, ge, scope);
      }
    } else {
      group.envelopeCodes.push('3');
      this.warn(`functional group ${gs.controlNumber} (GS at ${formatPosition(gs.position)}) has no GE: the group is truncated`, at, scope);
    }
    this.group = undefined;
    this.groupControls = new Set();
  }

  private closeInterchange(iea: X12Segment | undefined, at: X12Position): void {
    const interchange = this.interchange;
    if (!interchange) return;
    const isa = interchange.header;
    const scope = { interchange };
    if (iea) {
      interchange.trailer = iea;
      const iea01 = count(value(iea, 1));
      if (iea01 !== interchange.groups.length) {
        this.warn(`IEA01 says ${value(iea, 1) ?? '(empty)'} functional groups but interchange ${isa.controlNumber} holds ${interchange.groups.length} (IEA at ${formatPosition(iea)})`, iea, scope);
      }
      const iea02 = value(iea, 2) ?? '';
      if (!sameControlNumber(iea02, isa.controlNumber)) {
        this.warn(`IEA02 ${iea02 || '(empty)'} does not match ISA13 ${isa.controlNumber} (IEA at ${formatPosition(iea)})`, iea, scope);
      }
    } else {
      this.warn(`interchange ${isa.controlNumber} (ISA at ${formatPosition(isa.position)}) has no IEA: the interchange is truncated`, at, scope);
    }
    this.interchange = undefined;
  }

  segment(segment: X12Segment): void {
    this.last = segment;
    switch (segment.id) {
      case 'ISA': {
        this.flushStray();
        this.abandonSet(`an ISA at ${formatPosition(segment)} came first`);
        this.closeGroup(undefined, segment);
        this.closeInterchange(undefined, segment);
        this.interchange = { header: interchangeHeader(segment), groups: [] };
        this.events.interchange?.(this.interchange);
        break;
      }
      case 'GS': {
        this.flushStray();
        this.abandonSet(`a GS at ${formatPosition(segment)} came first`);
        this.closeGroup(undefined, segment);
        const group: X12Group = { header: groupHeader(segment), transactionSets: [], accepted: 0, stCount: 0, rejected: [], envelopeCodes: [] };
        this.group = group;
        if (this.interchange) {
          this.interchange.groups.push(group);
          this.events.group?.(group, this.interchange);
        }
        break;
      }
      case 'ST': {
        this.flushStray();
        this.abandonSet(`the next ST at ${formatPosition(segment)} came first`);
        this.open = { st: segment, segments: [segment] };
        if (this.group) this.group.stCount++;
        break;
      }
      case 'SE': {
        if (!this.open) {
          this.addStray(segment);
          break;
        }
        this.closeSet(this.open, segment);
        break;
      }
      case 'GE': {
        this.flushStray();
        this.abandonSet(`a GE at ${formatPosition(segment)} came first`);
        if (!this.group) {
          this.report({ severity: 'warning', message: `GE at ${formatPosition(segment)} closes no functional group (no GS before it)`, position: positionOf(segment) });
          break;
        }
        this.closeGroup(segment, segment);
        break;
      }
      case 'IEA': {
        this.flushStray();
        this.abandonSet(`an IEA at ${formatPosition(segment)} came first`);
        this.closeGroup(undefined, segment);
        this.closeInterchange(segment, segment);
        break;
      }
      default: {
        if (this.open) this.open.segments.push(segment);
        else this.addStray(segment);
      }
    }
  }

  private closeSet(set: OpenSet, se: X12Segment): void {
    this.open = undefined;
    set.segments.push(se);
    const stControl = value(set.st, 2) ?? '';
    const type = value(set.st, 1) ?? '';
    const se01 = value(se, 1);
    const se02 = value(se, 2) ?? '';
    if (count(se01) !== set.segments.length) {
      this.reject(set, `SE01 says ${se01 ?? '(empty)'} segments but transaction set ${type} ${stControl} holds ${set.segments.length} (ST at ${formatPosition(set.st)}, SE at ${formatPosition(se)}); rejected`, se, '4');
      return;
    }
    if (se02 !== stControl) {
      this.reject(set, `SE02 ${se02 || '(empty)'} does not match ST02 ${stControl || '(empty)'} (ST at ${formatPosition(set.st)}, SE at ${formatPosition(se)}); rejected`, se, '3');
      return;
    }
    const interchange = this.interchange;
    if (!interchange) return; // unreachable: the scanner only yields segments after an ISA
    const group = this.group;
    const accepted: X12TransactionSet = { type, controlNumber: stControl, segments: set.segments, interchange: interchange.header, warnings: [] };
    const implementationRef = value(set.st, 3);
    if (implementationRef) accepted.implementationRef = implementationRef;
    const warnSet = (message: string): void => {
      accepted.warnings.push({ severity: 'warning', message, position: positionOf(set.st) });
    };
    if (group) {
      accepted.group = group.header;
      if (this.groupControls.has(stControl)) warnSet(`ST02 ${stControl} is used twice in functional group ${group.header.controlNumber} (second at ${formatPosition(set.st)})`);
      this.groupControls.add(stControl);
      group.accepted++;
    } else {
      warnSet(`transaction set ${type} ${stControl} at ${formatPosition(set.st)} is not inside a functional group (no GS)`);
    }
    // The set first, then its warnings: a streaming reader starting a new chunk with this set reports them there.
    const warnings = [...accepted.warnings];
    this.events.set?.(accepted, interchange, group);
    for (const issue of warnings) this.report(issue);
  }

  /** The text ended: what is still open is closed as truncated. */
  end(): void {
    this.flushStray();
    const end = this.last;
    if (!end) return;
    this.abandonSet('the text ends first (truncated)');
    this.closeGroup(undefined, end);
    this.closeInterchange(undefined, end);
  }
}

/** Reads text fed slice by slice into envelope events: the scanner and the envelope reader joined. */
export class X12StreamReader {
  private readonly scanner = new X12Scanner();
  private readonly envelopes: X12EnvelopeReader;
  constructor(events: X12EnvelopeEvents) {
    this.envelopes = new X12EnvelopeReader(events);
  }

  feed(text: string): void {
    this.scanner.feed(text, this.envelopes);
  }

  end(): void {
    this.scanner.end(this.envelopes);
    this.envelopes.end();
  }
}

/**
 * Tokenizes and checks the envelopes of a whole payload, keeping every accepted set. Never throws.
 * Issues come as the tokenizer's first, then the envelope checks', each in text order.
 */
export function parseX12(text: string): X12Document {
  const doc: X12Document = { interchanges: [], transactionSets: [], issues: [] };
  const tokenIssues: X12Issue[] = [];
  const envelopeIssues: X12Issue[] = [];
  /** Every accepted set per interchange, for the interchange's warnings. */
  const interchangeSets = new Map<X12Interchange, X12TransactionSet[]>();
  const reader = new X12StreamReader({
    issue: (issue, from) => (from === 'tokens' ? tokenIssues : envelopeIssues).push(issue),
    interchange: (interchange) => {
      doc.interchanges.push(interchange);
      interchangeSets.set(interchange, []);
    },
    set: (set, interchange, group) => {
      group?.transactionSets.push(set);
      interchangeSets.get(interchange)?.push(set);
      doc.transactionSets.push(set);
    },
    envelopeWarning: (issue, { interchange, group }) => {
      for (const set of group ? group.transactionSets : (interchangeSets.get(interchange) ?? [])) set.warnings.push(issue);
    },
  });
  reader.feed(text);
  reader.end();
  doc.issues = [...tokenIssues, ...envelopeIssues];
  return doc;
}
