/**
 * UN/EDIFACT envelopes: UNB…UNZ interchanges, optional UNG…UNE groups, UNH…UNT messages.
 *
 * Verdicts (decisions):
 * - A message is rejected on its own when it is broken: UNT segment count ≠ segments counted from
 *   UNH to UNT inclusive, UNT reference ≠ UNH reference, a syntax problem in one of its segments
 *   (bad tag = usually an unreleased separator), no UNT before the next UNH/UNZ/end of input. The
 *   other messages of the interchange are kept.
 * - UNZ count or reference mismatch, UNE count/reference mismatch, a missing UNZ (truncated
 *   interchange) and a missing UNB are interchange WARNINGS: public samples carry wrong UNZ counts,
 *   and each message is already guarded by its own UNT count, so a bad envelope total rejects nothing.
 * - Segments outside any message (other than service segments) are interchange errors; they reject
 *   nothing else either.
 */
import {
  DEFAULT_DELIMITERS,
  EdifactTokenizer,
  component,
  delimitersAt,
  describePosition,
  type Delimiters,
  type Segment,
  type SegmentPosition,
} from './tokenizer.ts';

export interface PartyId {
  id: string;
  qualifier?: string;
  routing?: string;
}

export interface InterchangeHeader {
  /** UNOA, UNOB, UNOC, … UNOW, UNOY, or whatever the sender wrote (UNOL and IATB occur). */
  syntaxId: string;
  syntaxVersion: string;
  sender: PartyId;
  recipient: PartyId;
  /** As written: YYMMDD (syntax v1–3) or CCYYMMDD (v4). */
  date: string;
  time: string;
  /** ISO instant (times taken as UTC) when date and time are readable. */
  preparedAt?: string;
  controlRef: string;
  applicationRef?: string;
  ackRequested?: string;
  agreementId?: string;
  testIndicator?: string;
  position: SegmentPosition;
}

export interface GroupHeader {
  groupId: string;
  sender?: PartyId;
  recipient?: PartyId;
  ref: string;
  position: SegmentPosition;
  messageCount: number;
}

export interface EdifactIssue {
  severity: 'error' | 'warning';
  message: string;
  position?: SegmentPosition;
  /** ISO 9735 syntax error code (0085) a CONTRL reports it with, when one fits: 13 missing, 28 references do not match, 29 count mismatch, 33 outside a message. */
  syntaxError?: string;
}

export interface EdifactMessage {
  /** UNH message reference (0062). */
  ref: string;
  type: string;
  version: string;
  release: string;
  agency: string;
  associationCode?: string;
  /** S009 as written, e.g. `ORDERS:D:96A:UN:EAN008`. */
  identifier: string;
  /** UNH … UNT inclusive (as far as they came). */
  segments: Segment[];
  group?: GroupHeader;
  /** Non-empty: the message is rejected. */
  errors: EdifactIssue[];
  /** Delimiters in force (decimal mark!). */
  delimiters: Delimiters;
}

export interface Interchange {
  header?: InterchangeHeader;
  trailer?: { count: string; controlRef: string; position: SegmentPosition };
  delimiters: Delimiters;
  groups: GroupHeader[];
  messages: EdifactMessage[];
  /** Interchange-level problems that reject nothing by themselves. */
  errors: EdifactIssue[];
  warnings: EdifactIssue[];
}

const KNOWN_SYNTAX_IDS = new Set(['UNOA', 'UNOB', 'UNOC', 'UNOD', 'UNOE', 'UNOF', 'UNOG', 'UNOH', 'UNOI', 'UNOJ', 'UNOK', 'UNOW', 'UNOX', 'UNOY', 'KECA', 'IATA', 'IATB']);

function party(segment: Segment, e: number): PartyId {
  const out: PartyId = { id: component(segment, e, 0) };
  const qualifier = component(segment, e, 1);
  if (qualifier) out.qualifier = qualifier;
  const routing = component(segment, e, 2);
  if (routing) out.routing = routing;
  return out;
}

/** YYMMDD (windowed: 00–69 → 20xx) or CCYYMMDD, HHMM[SS] → ISO instant (UTC), undefined if unreadable. */
export function envelopeDateTime(date: string, time: string): string | undefined {
  let year: number;
  let rest: string;
  if (/^\d{8}$/.test(date)) {
    year = Number(date.slice(0, 4));
    rest = date.slice(4);
  } else if (/^\d{6}$/.test(date)) {
    const yy = Number(date.slice(0, 2));
    year = yy <= 69 ? 2000 + yy : 1900 + yy;
    rest = date.slice(2);
  } else {
    return undefined;
  }
  const month = Number(rest.slice(0, 2));
  const day = Number(rest.slice(2, 4));
  const t = /^\d{4}(\d{2})?$/.test(time) ? time : '0000';
  const hour = Number(t.slice(0, 2));
  const minute = Number(t.slice(2, 4));
  const second = t.length === 6 ? Number(t.slice(4, 6)) : 0;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (Number.isNaN(ms) || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return d.toISOString();
}

function issue(severity: EdifactIssue['severity'], message: string, position?: SegmentPosition, syntaxError?: string): EdifactIssue {
  const out: EdifactIssue = position ? { severity, message, position: { number: position.number, tag: position.tag, offset: position.offset, line: position.line, column: position.column } } : { severity, message };
  if (syntaxError) out.syntaxError = syntaxError;
  return out;
}

function positionOf(s: Segment): SegmentPosition {
  return { number: s.number, tag: s.tag, offset: s.offset, line: s.line, column: s.column };
}

/** Streaming hooks of an `InterchangeAssembler`. */
export interface AssemblerEvents {
  /**
   * A message is complete (its UNT) or was cut short (next UNH/UNG/UNE/UNZ/UNB, end of input): its
   * `errors` are final. Called once per message, in order, before its interchange's `onInterchange`.
   */
  onMessage?(message: EdifactMessage, interchange: Interchange): void;
  /** An interchange ended (its UNZ, the next UNB, or `finish()`): its `warnings` are final. */
  onInterchange?(interchange: Interchange): void;
  /**
   * false: messages go to `onMessage` only and are not kept in `interchange.messages`, so their
   * segments can be dropped as soon as they are handled. Default true.
   */
  keepMessages?: boolean;
}

/**
 * Groups a segment stream into interchanges and messages, checking control counts. Feed segments in
 * order (`push`), then `finish()`. Usable on a tokenizer's incremental output; with `events` it hands
 * each message over as soon as it closes (see `AssemblerEvents`).
 */
export class InterchangeAssembler {
  readonly interchanges: Interchange[] = [];
  private current: Interchange | undefined;
  private message: EdifactMessage | undefined;
  /** The interchange the open message belongs to. */
  private messageInterchange: Interchange | undefined;
  private group: GroupHeader | undefined;
  private messageCount = 0;
  private readonly keepMessages: boolean;

  constructor(
    private readonly delimitersFor: (segmentNumber: number) => Delimiters = () => DEFAULT_DELIMITERS,
    private readonly events: AssemblerEvents = {},
  ) {
    this.keepMessages = events.keepMessages !== false;
  }

  private open(at: Segment | undefined): Interchange {
    const interchange: Interchange = {
      delimiters: at ? this.delimitersFor(at.number) : DEFAULT_DELIMITERS,
      groups: [],
      messages: [],
      errors: [],
      warnings: [],
    };
    this.interchanges.push(interchange);
    this.current = interchange;
    this.messageCount = 0;
    this.group = undefined;
    return interchange;
  }

  private ensureInterchange(at: Segment): Interchange {
    if (this.current) return this.current;
    const interchange = this.open(at);
    interchange.warnings.push(issue('warning', `no UNB interchange header before ${describePosition(at)}`, at));
    return interchange;
  }

  private closeMessage(reason: string | undefined, at: Segment | undefined): void {
    const message = this.message;
    if (!message) return;
    if (reason) message.errors.push(issue('error', `message ${message.ref}: ${reason}`, at, '13'));
    const interchange = this.messageInterchange;
    this.message = undefined;
    this.messageInterchange = undefined;
    if (interchange) this.events.onMessage?.(message, interchange);
  }

  /** The current interchange is over: nothing adds to its warnings any more. */
  private closeInterchange(interchange: Interchange): void {
    this.current = undefined;
    this.events.onInterchange?.(interchange);
  }

  push(segment: Segment): void {
    switch (segment.tag) {
      case 'UNB':
        return this.unb(segment);
      case 'UNG':
        return this.ung(segment);
      case 'UNE':
        return this.une(segment);
      case 'UNH':
        return this.unh(segment);
      case 'UNT':
        return this.unt(segment);
      case 'UNZ':
        return this.unz(segment);
      default:
        break;
    }
    if (this.message) {
      this.message.segments.push(segment);
      if (segment.issue) this.message.errors.push(issue('error', `message ${this.message.ref}: ${segment.issue}`, segment));
      return;
    }
    const interchange = this.ensureInterchange(segment);
    interchange.errors.push(issue('error', segment.issue ?? `${describePosition(segment)} is outside any message (no open UNH)`, segment, segment.issue ? undefined : '33'));
  }

  private unb(segment: Segment): void {
    if (this.current && !this.current.trailer) this.endInterchange(`no UNZ before the next UNB at ${describePosition(segment)}: interchange truncated`);
    const interchange = this.open(segment);
    const syntaxId = component(segment, 0, 0);
    const header: InterchangeHeader = {
      syntaxId,
      syntaxVersion: component(segment, 0, 1),
      sender: party(segment, 1),
      recipient: party(segment, 2),
      date: component(segment, 3, 0),
      time: component(segment, 3, 1),
      controlRef: component(segment, 4, 0),
      position: positionOf(segment),
    };
    const preparedAt = envelopeDateTime(header.date, header.time);
    if (preparedAt) header.preparedAt = preparedAt;
    else interchange.warnings.push(issue('warning', `UNB date/time ${JSON.stringify(`${header.date}:${header.time}`)} is not YYMMDD/CCYYMMDD:HHMM (${describePosition(segment)})`, segment));
    const optional: Array<[keyof InterchangeHeader, number]> = [['applicationRef', 6], ['ackRequested', 8], ['agreementId', 9], ['testIndicator', 10]];
    for (const [key, e] of optional) {
      const value = component(segment, e, 0);
      if (value) (header as unknown as Record<string, string>)[key] = value;
    }
    interchange.header = header;
    if (segment.issue) interchange.errors.push(issue('error', segment.issue, segment));
    if (!header.controlRef) interchange.errors.push(issue('error', `UNB has no interchange control reference (${describePosition(segment)})`, segment, '13'));
    if (!header.sender.id) interchange.errors.push(issue('error', `UNB has no sender identification (${describePosition(segment)})`, segment, '13'));
    if (syntaxId && !KNOWN_SYNTAX_IDS.has(syntaxId)) interchange.warnings.push(issue('warning', `unknown syntax identifier ${syntaxId} (${describePosition(segment)})`, segment));
  }

  private ung(segment: Segment): void {
    const interchange = this.ensureInterchange(segment);
    if (this.message) this.closeMessage(`no UNT before ${describePosition(segment)}`, segment);
    const group: GroupHeader = { groupId: component(segment, 0, 0), sender: party(segment, 1), recipient: party(segment, 2), ref: component(segment, 4, 0), position: positionOf(segment), messageCount: 0 };
    interchange.groups.push(group);
    this.group = group;
  }

  private une(segment: Segment): void {
    const interchange = this.ensureInterchange(segment);
    if (this.message) this.closeMessage(`no UNT before ${describePosition(segment)}`, segment);
    const group = this.group;
    if (!group) {
      interchange.warnings.push(issue('warning', `UNE without UNG (${describePosition(segment)})`, segment));
      return;
    }
    const count = component(segment, 0, 0);
    if (count !== String(group.messageCount)) {
      interchange.warnings.push(issue('warning', `UNE says ${count || 'nothing'} messages in group ${group.ref}, ${group.messageCount} were found (${describePosition(segment)})`, segment));
    }
    if (component(segment, 1, 0) !== group.ref) {
      interchange.warnings.push(issue('warning', `UNE reference ${JSON.stringify(component(segment, 1, 0))} ≠ UNG reference ${JSON.stringify(group.ref)} (${describePosition(segment)})`, segment));
    }
    this.group = undefined;
  }

  private unh(segment: Segment): void {
    const interchange = this.ensureInterchange(segment);
    if (this.message) this.closeMessage(`no UNT before the next UNH at ${describePosition(segment)}`, segment);
    const identifier = (segment.elements[1] ?? []).join(':').replace(/:+$/, '');
    const message: EdifactMessage = {
      ref: component(segment, 0, 0),
      type: component(segment, 1, 0),
      version: component(segment, 1, 1),
      release: component(segment, 1, 2),
      agency: component(segment, 1, 3),
      identifier,
      segments: [segment],
      errors: [],
      delimiters: this.delimitersFor(segment.number),
    };
    const association = component(segment, 1, 4);
    if (association) message.associationCode = association;
    if (this.group) {
      message.group = this.group;
      this.group.messageCount++;
    }
    if (segment.issue) message.errors.push(issue('error', `message ${message.ref}: ${segment.issue}`, segment));
    if (!message.ref) message.errors.push(issue('error', `message without reference: UNH has no message reference number (${describePosition(segment)})`, segment, '13'));
    if (this.keepMessages) interchange.messages.push(message);
    this.messageCount++;
    this.message = message;
    this.messageInterchange = interchange;
  }

  private unt(segment: Segment): void {
    const message = this.message;
    if (!message) {
      const interchange = this.ensureInterchange(segment);
      interchange.errors.push(issue('error', `UNT without UNH (${describePosition(segment)})`, segment, '33'));
      return;
    }
    message.segments.push(segment);
    if (segment.issue) message.errors.push(issue('error', `message ${message.ref}: ${segment.issue}`, segment));
    const declared = component(segment, 0, 0);
    const counted = message.segments.length;
    if (declared !== String(counted) && Number(declared) !== counted) {
      message.errors.push(issue('error', `message ${message.ref}: UNT segment count ${JSON.stringify(declared)} does not match the ${counted} segments from UNH to UNT (${describePosition(segment)})`, segment, '29'));
    }
    const ref = component(segment, 1, 0);
    if (ref !== message.ref) {
      message.errors.push(issue('error', `message ${message.ref}: UNT reference ${JSON.stringify(ref)} does not match UNH reference ${JSON.stringify(message.ref)} (${describePosition(segment)})`, segment, '28'));
    }
    this.closeMessage(undefined, segment);
  }

  private unz(segment: Segment): void {
    const interchange = this.ensureInterchange(segment);
    if (this.message) this.closeMessage(`no UNT before ${describePosition(segment)}: message truncated`, segment);
    if (this.group) interchange.warnings.push(issue('warning', `group ${this.group.ref} has no UNE before ${describePosition(segment)}`, segment));
    const count = component(segment, 0, 0);
    const controlRef = component(segment, 1, 0);
    interchange.trailer = { count, controlRef, position: positionOf(segment) };
    const expected = interchange.groups.length > 0 ? interchange.groups.length : this.messageCount;
    const what = interchange.groups.length > 0 ? 'groups' : 'messages';
    if (count !== String(expected) && Number(count) !== expected) {
      interchange.warnings.push(issue('warning', `UNZ says ${JSON.stringify(count)} ${what}, the interchange holds ${expected} (${describePosition(segment)}); messages are kept, each checked by its own UNT`, segment));
    }
    const headerRef = interchange.header?.controlRef;
    if (headerRef !== undefined && controlRef !== headerRef) {
      interchange.warnings.push(issue('warning', `UNZ reference ${JSON.stringify(controlRef)} does not match UNB control reference ${JSON.stringify(headerRef)} (${describePosition(segment)})`, segment));
    }
    this.group = undefined;
    this.closeInterchange(interchange);
  }

  private endInterchange(warning: string): void {
    const interchange = this.current;
    if (!interchange) return;
    if (this.message) this.closeMessage('no UNT: the message is truncated', undefined);
    interchange.warnings.push(issue('warning', warning));
    this.closeInterchange(interchange);
  }

  finish(): Interchange[] {
    const interchange = this.current;
    if (interchange) {
      const hadHeader = interchange.header !== undefined;
      if (this.message) this.closeMessage('no UNT before the end of the input: the message is truncated', this.message.segments[this.message.segments.length - 1]);
      if (hadHeader && !interchange.trailer) {
        interchange.warnings.push(issue('warning', 'no UNZ at the end of the input: the interchange is truncated; complete messages are kept'));
      }
      this.closeInterchange(interchange);
    }
    return this.interchanges;
  }
}

/**
 * Parses decoded EDIFACT text into its interchanges (usually one). Never throws: problems are in
 * `errors`/`warnings` of the interchange and message concerned.
 */
export function parseEdifact(text: string): Interchange[] {
  return assembleEdifact(text);
}

/**
 * Tokenizes and assembles decoded EDIFACT text in one streaming pass: each segment goes to the
 * assembler as soon as it is read, so with `events.keepMessages: false` only the open message's
 * segments are held at any time. Tokenizer issues (a malformed UNA) are errors of the first interchange.
 */
export function assembleEdifact(text: string, events: AssemblerEvents = {}): Interchange[] {
  const tokenizer = new EdifactTokenizer();
  const assembler = new InterchangeAssembler((n) => delimitersAt(tokenizer.advices, n), events);
  tokenizer.feedTo(text, assembler);
  return finishEdifact(tokenizer, assembler);
}

/**
 * Ends a streaming read (the text fed so far is all there is): the interchanges read, with the
 * tokenizer's issues (a malformed UNA) as errors of the first interchange.
 */
export function finishEdifact(tokenizer: EdifactTokenizer, assembler: InterchangeAssembler): Interchange[] {
  tokenizer.endTo(assembler);
  const interchanges = assembler.finish();
  if (tokenizer.issues.length > 0) {
    const target: Interchange = interchanges[0] ?? { delimiters: DEFAULT_DELIMITERS, groups: [], messages: [], errors: [], warnings: [] };
    if (interchanges.length === 0) interchanges.push(target);
    for (const problem of tokenizer.issues) target.errors.push({ severity: 'error', message: problem.message });
  }
  return interchanges;
}
