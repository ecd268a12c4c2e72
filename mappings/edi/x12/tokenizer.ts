/**
 * ANSI X12 tokenizer: text → segments with their delimiters and positions. No envelope rules here
 * (see interchange.ts); this layer only knows how to find segments and elements.
 *
 * Invariants (FORMATS.md §5):
 * - ISA is fixed width, 106 characters including its terminator: the element separator is the
 *   character at index 3, ISA16 (component separator) is at index 104 and the segment terminator at
 *   index 105. The terminator may be followed by CR/LF (formatting), or be a LF itself.
 * - ISA11 is the repetition separator from version 00402 on; up to 00401 it is the standards id `U`.
 * - An interchange starts only where a segment starts with exactly `ISA` + the element separator at the
 *   fixed positions; `ISA` inside data (a name such as `ISAAC`, `N1*ST*ISA*…`) never starts one.
 * - Every segment carries its ordinal, character offset and 1-based line:column so that every error
 *   can name where it is.
 *
 * Scanning uses indexOf/split only (no per-character regular expressions).
 */

export interface X12Delimiters {
  element: string;
  component: string;
  segment: string;
  /** ISA11 from 00402 on; undefined for `U` (00401 and earlier). */
  repetition?: string;
}

export interface X12Position {
  /** 0-based ordinal of the segment in the whole text. */
  index: number;
  /** 0-based character offset of the segment's first character. */
  offset: number;
  /** 1-based line and column of the segment's first character. */
  line: number;
  column: number;
}

export interface X12Segment extends X12Position {
  /** Segment id (`ISA`, `ST`, `PO1`, …). */
  id: string;
  /** elements[0] is the id; elements[n] is XXnn (e.g. PO1 → elements[2] = PO102, the quantity). */
  elements: string[];
  /** The delimiters in force for this segment (those of its interchange). */
  delimiters: X12Delimiters;
}

export interface X12TokenIssue {
  severity: 'error' | 'warning';
  message: string;
  position?: X12Position;
}

export interface X12Tokens {
  segments: X12Segment[];
  issues: X12TokenIssue[];
}

/** ISA layout: the element separator sits at these indexes of a conforming header. */
const ISA_SEPARATOR_INDEXES = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103] as const;
export const ISA_LENGTH = 106;
const WHITESPACE = ' \t\r\n\f\v';
/** Characters that can never be delimiters: letters, digits and space are data. */
const DATA_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ';

function isDataChar(c: string | undefined): boolean {
  return c === undefined || c === '' || DATA_CHARS.includes(c);
}

/** "S*" "C:" → `"*"`, printable names for messages (LF and CR spelled out). */
export function describeChar(c: string): string {
  if (c === '\n') return 'LF';
  if (c === '\r') return 'CR';
  if (c === '\t') return 'TAB';
  return JSON.stringify(c);
}

export function formatPosition(p: X12Position): string {
  return `segment ${p.index + 1} (line ${p.line}, column ${p.column}, offset ${p.offset})`;
}

export type IsaHeader =
  | { ok: true; delimiters: X12Delimiters; /** characters of ISA incl. the terminator */ length: number; strict: boolean; elements: string[] }
  | { ok: false; reason: string };

/**
 * Reads the ISA header starting at `at`. Strict first (the 106-character layout); a header whose
 * padding is off (real files with ISA06/08 shorter than 15) is read by counting 16 element separators,
 * with `strict: false` so the caller can warn.
 */
export function readIsaHeader(text: string, at = 0): IsaHeader {
  if (text.slice(at, at + 3) !== 'ISA') return { ok: false, reason: 'does not start with ISA' };
  const element = text[at + 3];
  if (element === undefined || isDataChar(element) || element === '\n' || element === '\r') {
    return { ok: false, reason: `character after ISA (${element === undefined ? 'end of text' : describeChar(element)}) cannot be an element separator` };
  }
  let strict = text.length >= at + ISA_LENGTH;
  if (strict) {
    for (const i of ISA_SEPARATOR_INDEXES) {
      if (text[at + i] !== element) {
        strict = false;
        break;
      }
    }
  }
  let componentAt: number;
  if (strict) {
    componentAt = at + 104;
  } else {
    // Lenient: the 16th element separator precedes ISA16. Bounded so that data after a broken header
    // is not taken for the header.
    let pos = at + 3;
    for (let n = 1; n < 16; n++) {
      pos = text.indexOf(element, pos + 1);
      if (pos < 0 || pos - at > 150) return { ok: false, reason: `ISA does not have 16 elements separated by ${describeChar(element)}` };
    }
    componentAt = pos + 1;
  }
  const component = text[componentAt];
  const segment = text[componentAt + 1];
  if (component === undefined || segment === undefined) return { ok: false, reason: 'ISA is cut short (no ISA16 or segment terminator)' };
  if (component === element || isDataChar(component) || component === '\r' || component === '\n') {
    return { ok: false, reason: `ISA16 ${describeChar(component)} cannot be a component separator` };
  }
  if (segment === element || segment === component || (isDataChar(segment) && segment !== ' ')) {
    return { ok: false, reason: `${describeChar(segment)} after ISA16 cannot be a segment terminator` };
  }
  if (segment === ' ') return { ok: false, reason: 'a space cannot be a segment terminator' };
  const body = text.slice(at, componentAt - 1);
  const elements = body.split(element);
  elements.push(component);
  if (elements.length !== 17) return { ok: false, reason: `ISA has ${elements.length - 1} elements, expected 16` };
  const delimiters: X12Delimiters = { element, component, segment };
  const isa11 = elements[11] ?? '';
  const version = (elements[12] ?? '').trim();
  if (isa11.length === 1 && version >= '00402' && !isDataChar(isa11) && isa11 !== element && isa11 !== component && isa11 !== segment) {
    delimiters.repetition = isa11;
  }
  return { ok: true, delimiters, length: componentAt + 2 - at, strict, elements };
}

function skipWhitespace(text: string, pos: number, terminator: string | undefined): number {
  while (pos < text.length) {
    const c = text[pos] as string;
    if (c !== terminator && WHITESPACE.includes(c)) pos++;
    else if (c === terminator && (c === '\n' || c === '\r')) pos++; // blank lines when LF/CR is the terminator
    else break;
  }
  return pos;
}

/** Receives what the scanner reads, in text order. */
export interface X12TokenSink {
  segment(segment: X12Segment): void;
  issue(issue: X12TokenIssue): void;
}

/**
 * Characters held before an `ISA` is judged: a strict header is 106 characters, a lenient one (short
 * padding) at most 150 + ISA16 + terminator; the rest is margin.
 */
const ISA_WINDOW = 200;

/**
 * The tokenizer fed slice by slice: `feed` takes the next piece of text, cut anywhere (inside a
 * segment, inside the ISA header, between a terminator and the line break after it), and hands over
 * every segment it completes; `end` reads what is left. Only the text not yet read into a segment is
 * held (one segment, or an ISA header's window), so a file of any size is read in bounded memory.
 * Fed the whole text at once or in any slices, it yields the same segments and issues, positions
 * included, as `tokenizeX12`, which is this scanner given one slice.
 */
export class X12Scanner {
  /** Text not consumed yet; `base` is the offset of its first character in the whole text. */
  private buf = '';
  private base = 0;
  private pos = 0;
  private started = false;
  private delimiters: X12Delimiters | undefined;
  private segments = 0;
  private sawError = false;
  /** Text outside an interchange being skipped: where the skipping began, and where to look next. */
  private skip: { from: number; position: X12Position } | undefined;
  private searchFrom = 0;
  /** Line bookkeeping (global offsets): the next newline not counted yet (-1: not found up to `searchedTo`). */
  private line = 1;
  private lineStart = 0;
  private nextNewline = -1;
  private searchedTo = 0;

  /** Characters held between feeds: the segment being read, or an ISA window. */
  get heldChars(): number {
    return this.buf.length - this.pos;
  }

  feed(text: string, sink: X12TokenSink): void {
    if (text === '') return;
    // Between feeds the buffer holds only the text not read yet (see wait in scan).
    this.buf += text;
    this.scan(false, sink);
  }

  end(sink: X12TokenSink): void {
    this.scan(true, sink);
    if (this.segments === 0 && !this.sawError) this.report(sink, { severity: 'error', message: 'no ISA interchange header found' });
    this.consumeTo(this.buf.length);
  }

  private report(sink: X12TokenSink, issue: X12TokenIssue): void {
    if (issue.severity === 'error') this.sawError = true;
    sink.issue(issue);
  }

  /**
   * Counts the newlines before global offset `offset` (only ever forward): each newline is found once,
   * and text searched without one is not searched again.
   */
  private countLines(offset: number): void {
    for (;;) {
      if (this.nextNewline < 0) {
        if (this.searchedTo >= offset) break;
        const from = Math.max(this.searchedTo, this.base) - this.base;
        const nl = this.buf.indexOf('\n', from);
        if (nl < 0) {
          this.searchedTo = this.base + this.buf.length;
          break;
        }
        this.nextNewline = this.base + nl;
        this.searchedTo = this.nextNewline + 1;
      }
      if (this.nextNewline >= offset) break;
      this.line++;
      this.lineStart = this.nextNewline + 1;
      this.nextNewline = -1;
    }
  }

  private position(at: number): X12Position {
    const offset = this.base + at;
    this.countLines(offset);
    return { index: this.segments, offset, line: this.line, column: offset - this.lineStart + 1 };
  }

  /** Keeps only the text from `at` on (the rest is read): its newlines are counted first. */
  private consumeTo(at: number): void {
    this.countLines(this.base + at);
    this.buf = this.buf.slice(at);
    this.base += at;
    this.searchFrom -= at;
    this.pos = 0;
  }

  private scan(final: boolean, sink: X12TokenSink): void {
    const text = this.buf;
    let pos = this.pos;
    if (!this.started) {
      if (text.length === 0) return;
      // A byte-order mark is not part of the interchange.
      if (text.charCodeAt(0) === 0xfeff) pos = 1;
      this.started = true;
    }
    const wait = (at: number): void => {
      this.pos = at;
      if (!final) this.consumeTo(at);
    };
    for (;;) {
      if (this.skip) {
        const found = this.findIsa(final);
        if (found === 'wait') return wait(Math.min(this.searchFrom, text.length));
        const skip = this.skip;
        this.skip = undefined;
        if (found < 0) {
          const p = skip.position;
          if (this.segments === 0) this.report(sink, { severity: 'error', message: 'no ISA interchange header found', position: p });
          else this.report(sink, { severity: 'warning', message: `${this.base + text.length - skip.from} characters after the last interchange ignored (offset ${skip.from}, line ${p.line})`, position: p });
          this.pos = text.length;
          return;
        }
        if (this.base + found > skip.from) {
          this.report(sink, { severity: 'warning', message: `${this.base + found - skip.from} characters before the ISA at offset ${this.base + found} skipped`, position: skip.position });
        }
        pos = found;
        continue;
      }
      pos = skipWhitespace(text, pos, this.delimiters?.segment);
      if (pos >= text.length) return wait(pos);
      const rest = text.length - pos;
      // Whether a segment is an ISA is judged on a whole header window (or the end of the text).
      if (!final && rest < ISA_WINDOW && 'ISA'.startsWith(text.slice(pos, pos + 3))) return wait(pos);
      // A segment that starts with a valid ISA header opens an interchange (and its delimiters).
      if (text.startsWith('ISA', pos)) {
        const header = readIsaHeader(text, pos);
        // Inside an interchange only a strict (106-character) ISA opens the next one: a data segment that
        // merely starts with `ISA` and has enough separators must not cut the current interchange short.
        if (header.ok && (header.strict || !this.delimiters)) {
          this.delimiters = header.delimiters;
          const p = this.position(pos);
          if (!header.strict) {
            this.report(sink, { severity: 'warning', message: `ISA at ${formatPosition(p)} is ${header.length} characters, not ${ISA_LENGTH}: read by its separators`, position: p });
          }
          this.segments++;
          sink.segment({ id: 'ISA', elements: header.elements, delimiters: header.delimiters, ...p });
          pos += header.length;
          continue;
        }
        if (!header.ok && !this.delimiters) {
          const p = this.position(pos);
          this.report(sink, { severity: 'error', message: `ISA at ${formatPosition(p)} is not a valid interchange header: ${header.reason}`, position: p });
        }
      }
      if (!this.delimiters) {
        // Outside an interchange: look for the next real ISA (a segment start is not known here).
        this.skip = { from: this.base + pos, position: this.position(pos) };
        this.searchFrom = pos;
        continue;
      }
      const delimiters = this.delimiters;
      let end = text.indexOf(delimiters.segment, pos);
      if (end < 0) {
        if (!final) return wait(pos);
        end = text.length;
      }
      const raw = text.slice(pos, end);
      if (raw.trim() !== '') {
        const elements = raw.split(delimiters.element);
        const p = this.position(pos);
        this.segments++;
        sink.segment({ id: elements[0] ?? '', elements, delimiters, ...p });
        if (end === text.length) {
          this.report(sink, { severity: 'warning', message: `last segment ${elements[0]} at ${formatPosition(p)} has no segment terminator ${describeChar(delimiters.segment)}`, position: p });
        }
        // After an interchange, the next one may use other delimiters: look for a fresh ISA.
        if (elements[0] === 'IEA') this.delimiters = undefined;
      }
      pos = end + 1;
    }
  }

  /**
   * The next valid ISA from `searchFrom`: its index in the buffer, -1 when the text ends without one,
   * 'wait' when more text is needed to judge a candidate.
   */
  private findIsa(final: boolean): number | 'wait' {
    const text = this.buf;
    let candidate = text.indexOf('ISA', this.searchFrom);
    while (candidate >= 0) {
      if (!final && text.length - candidate < ISA_WINDOW) {
        this.searchFrom = candidate;
        return 'wait';
      }
      if (readIsaHeader(text, candidate).ok) return candidate;
      candidate = text.indexOf('ISA', candidate + 3);
    }
    if (final) return -1;
    // The last characters may be the start of an `ISA` cut by the slice.
    this.searchFrom = Math.max(this.searchFrom, text.length - 2);
    return 'wait';
  }
}

/**
 * Splits a whole payload into segments. Several interchanges (each with its own delimiters) may follow
 * each other. Text before the first ISA or between an IEA and the next ISA is reported and skipped.
 */
export function tokenizeX12(text: string): X12Tokens {
  const tokens: X12Tokens = { segments: [], issues: [] };
  const sink: X12TokenSink = { segment: (s) => tokens.segments.push(s), issue: (i) => tokens.issues.push(i) };
  const scanner = new X12Scanner();
  scanner.feed(text, sink);
  scanner.end(sink);
  return tokens;
}

/** Element n of a segment (XXnn), '' when absent. */
export function element(segment: X12Segment, n: number): string {
  return segment.elements[n] ?? '';
}

/** Element n trimmed; undefined when empty (X12 pads ISA fields and some senders pad others). */
export function value(segment: X12Segment, n: number): string | undefined {
  const v = segment.elements[n]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The components of a composite element value. */
export function components(raw: string, delimiters: X12Delimiters): string[] {
  return raw.split(delimiters.component);
}

/** The repetitions of an element value (00402+); the value itself when no repetition separator. */
export function repetitions(raw: string, delimiters: X12Delimiters): string[] {
  return delimiters.repetition ? raw.split(delimiters.repetition) : [raw];
}
