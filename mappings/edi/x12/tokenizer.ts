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

/** Line/column bookkeeping that only ever moves forward: each newline is found once (indexOf). */
class LineCounter {
  private line = 1;
  private lineStart = 0;
  private nextNewline: number;
  constructor(private readonly text: string) {
    this.nextNewline = text.indexOf('\n');
  }

  at(offset: number): { line: number; column: number } {
    while (this.nextNewline >= 0 && this.nextNewline < offset) {
      this.line++;
      this.lineStart = this.nextNewline + 1;
      this.nextNewline = this.text.indexOf('\n', this.lineStart);
    }
    return { line: this.line, column: offset - this.lineStart + 1 };
  }
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

/**
 * Splits a whole payload into segments. Several interchanges (each with its own delimiters) may follow
 * each other. Text before the first ISA or between an IEA and the next ISA is reported and skipped.
 */
export function tokenizeX12(text: string): X12Tokens {
  const segments: X12Segment[] = [];
  const issues: X12TokenIssue[] = [];
  const lines = new LineCounter(text);
  let delimiters: X12Delimiters | undefined;
  // A byte-order mark is not part of the interchange.
  let pos = skipWhitespace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0, undefined);

  const position = (offset: number): X12Position => ({ index: segments.length, offset, ...lines.at(offset) });

  /** Finds the next real ISA at or after `from` (a segment start is not known outside an interchange). */
  const findIsa = (from: number): number => {
    let candidate = text.indexOf('ISA', from);
    while (candidate >= 0) {
      if (readIsaHeader(text, candidate).ok) return candidate;
      candidate = text.indexOf('ISA', candidate + 3);
    }
    return -1;
  };

  while (pos < text.length) {
    // A segment that starts with a valid ISA header opens an interchange (and its delimiters).
    if (text.startsWith('ISA', pos)) {
      const header = readIsaHeader(text, pos);
      // Inside an interchange only a strict (106-character) ISA opens the next one: a data segment that
      // merely starts with `ISA` and has enough separators must not cut the current interchange short.
      if (header.ok && (header.strict || !delimiters)) {
        delimiters = header.delimiters;
        const p = position(pos);
        if (!header.strict) {
          issues.push({ severity: 'warning', message: `ISA at ${formatPosition(p)} is ${header.length} characters, not ${ISA_LENGTH}: read by its separators`, position: p });
        }
        segments.push({ id: 'ISA', elements: header.elements, delimiters, ...p });
        pos = skipWhitespace(text, pos + header.length, delimiters.segment);
        continue;
      }
      if (!header.ok && !delimiters) {
        issues.push({ severity: 'error', message: `ISA at ${formatPosition(position(pos))} is not a valid interchange header: ${header.reason}`, position: position(pos) });
      }
    }
    if (!delimiters) {
      const next = findIsa(pos);
      const p = position(pos);
      if (next < 0) {
        if (segments.length === 0) issues.push({ severity: 'error', message: 'no ISA interchange header found', position: p });
        else issues.push({ severity: 'warning', message: `${text.length - pos} characters after the last interchange ignored (offset ${pos}, line ${p.line})`, position: p });
        break;
      }
      if (next > pos) issues.push({ severity: 'warning', message: `${next - pos} characters before the ISA at offset ${next} skipped`, position: p });
      pos = next;
      continue;
    }
    let end = text.indexOf(delimiters.segment, pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end);
    if (raw.trim() !== '') {
      const elements = raw.split(delimiters.element);
      const p = position(pos);
      segments.push({ id: elements[0] ?? '', elements, delimiters, ...p });
      if (end === text.length) {
        issues.push({ severity: 'warning', message: `last segment ${elements[0]} at ${formatPosition(p)} has no segment terminator ${describeChar(delimiters.segment)}`, position: p });
      }
      if (elements[0] === 'IEA') {
        // After an interchange, the next one may use other delimiters: look for a fresh ISA.
        delimiters = undefined;
        pos = skipWhitespace(text, end + 1, undefined);
        continue;
      }
    }
    pos = skipWhitespace(text, end + 1, delimiters.segment);
  }
  if (segments.length === 0 && !issues.some((i) => i.severity === 'error')) {
    issues.push({ severity: 'error', message: 'no ISA interchange header found' });
  }
  return { segments, issues };
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
