/**
 * UN/EDIFACT tokenizer (ISO 9735 syntax versions 1–4): text in, segments out. No parser dependency.
 *
 * Invariants (see shared FORMATS.md §4):
 * - `UNA` is exactly 9 characters: `UNA` + component sep, element sep, decimal mark, release char,
 *   repetition sep (space = not used, as in syntax v3), segment terminator. Without it the defaults
 *   `:+.? '` apply; a level-B interchange without UNA (`UNB` followed by IS3 0x1D) uses the
 *   IS1/IS3/IS4 control characters and no release character.
 * - A segment terminator is real iff it is preceded by an EVEN number of release characters
 *   (`??'` ends the segment, `?'` and `???'` do not); `??` is a literal `?`.
 * - Only CR/LF directly following a terminator (i.e. before the next tag) are formatting and
 *   are skipped; a line break inside a data element is data.
 * - Every segment knows its 1-based number in the stream (UNA not counted), its character offset
 *   (UTF-16 code units of the decoded string) and its 1-based line:column, so errors can say
 *   "segment 14 (QTY) at line 9, column 1".
 *
 * Speed: one pass per segment over char codes (no regular expressions, no intermediate segment string or
 * `split` arrays): the terminator, separators and release characters are found in the same loop;
 * components without a release character are plain slices, element arrays are built once, sized
 * exactly, from reused scratch buffers. (A UNA declaring the same character twice falls back to the
 * older find-terminator-then-split reading, so such input reads as it always did.) `EdifactTokenizer` is
 * incremental (feed chunks, then `end()`; `feedTo`/`endTo` stream each segment into a sink);
 * `tokenize(text)` is the one-shot form.
 */

/** The service characters in force. `release` is '' when none is used; `repetition` ' ' = not used. */
export interface Delimiters {
  component: string;
  element: string;
  decimal: string;
  release: string;
  repetition: string;
  segment: string;
}

export const DEFAULT_DELIMITERS: Readonly<Delimiters> = Object.freeze({
  component: ':',
  element: '+',
  decimal: '.',
  release: '?',
  repetition: ' ',
  segment: "'",
});

/** Syntax level B (UNOA/UNOB) without UNA: IS1 component, IS3 element, IS4 segment; no release character. */
export const LEVEL_B_DELIMITERS: Readonly<Delimiters> = Object.freeze({
  component: '\x1f',
  element: '\x1d',
  decimal: '.',
  release: '',
  repetition: ' ',
  segment: '\x1c',
});

export interface SegmentPosition {
  /** 1-based number of the segment in the stream (UNA is not counted). */
  number: number;
  tag: string;
  /** Character offset of the segment's first character (its tag) in the decoded text. */
  offset: number;
  /** 1-based line and column of the segment's first character. */
  line: number;
  column: number;
}

export interface Segment extends SegmentPosition {
  /** Data elements after the tag, each as its list of components, release characters removed. */
  elements: string[][];
  /**
   * Only when a repetition separator is in force and some element repeats: every occurrence of the
   * repeated elements by element index (`elements[i]` holds the first occurrence).
   */
  repetitions?: Record<number, string[][]>;
  /** Offset just past the segment's last data character (where its terminator is, if any). */
  end: number;
  /** A syntax problem found while tokenizing this segment (bad tag, missing terminator). */
  issue?: string;
}

/** Problems that belong to no segment (a malformed UNA). */
export interface TokenizeIssue {
  offset: number;
  line: number;
  column: number;
  message: string;
}

/** A UNA seen in the stream: the delimiters apply from segment `fromSegment` on. */
export interface ServiceAdvice {
  fromSegment: number;
  offset: number;
  delimiters: Delimiters;
}

const LF = 10;
const CR = 13;

/** `segment 14 (QTY) at line 9, column 1` */
export function describePosition(p: SegmentPosition): string {
  return `segment ${p.number} (${p.tag || '?'}) at line ${p.line}, column ${p.column}`;
}

function isTagChar(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
}

function validTag(tag: string): boolean {
  return tag.length === 3 && isTagChar(tag.charCodeAt(0)) && isTagChar(tag.charCodeAt(1)) && isTagChar(tag.charCodeAt(2)) && tag.charCodeAt(0) >= 65;
}

/** Only whitespace, NUL or a DOS end-of-file mark (0x1A) from `from` on. */
function isBlankTail(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0 && c !== 0x1a && c !== 32 && c !== 9 && c !== LF && c !== CR && c !== 11 && c !== 12) return false;
  }
  return true;
}

function printable(text: string): string {
  return JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text);
}

/** Where the tokenizer hands its segments: an array, or anything else with a `push`. */
export interface SegmentSink {
  push(segment: Segment): unknown;
}

/**
 * Incremental tokenizer: `feed(chunk)` returns the segments completed so far, `end()` the rest
 * (an unterminated last segment comes back with `issue` set). `feedTo`/`endTo` hand each segment to a
 * sink as soon as it is complete instead, so a consumer can stream without holding them all.
 * Delimiters can change mid-stream when a second interchange brings its own UNA; `advices` records each.
 */
export class EdifactTokenizer {
  delimiters: Delimiters = { ...DEFAULT_DELIMITERS };
  readonly issues: TokenizeIssue[] = [];
  readonly advices: ServiceAdvice[] = [];
  private buffer = '';
  /** Absolute offset of buffer[0]. */
  private base = 0;
  private line = 1;
  /** Absolute offset of the first character of the current line. */
  private lineStart = 0;
  /** Local index up to which line breaks have been counted. */
  private counted = 0;
  /** Cached local index of the next LF at or after `counted` (-2 unknown, Infinity none). */
  private nextLf = -2;
  /** Cached local index of the next release character, legacy path only (-2 unknown, Infinity none). */
  private nextRelease = -2;
  private count = 0;
  private seenFirst = false;
  private ended = false;

  // Char codes of the delimiters in force (-1 = not used), refreshed whenever they may have changed.
  private segmentCode = 39;
  private componentCode = 58;
  private elementCode = 43;
  private releaseCode = 63;
  private repetitionCode = -1;
  /** Component, element, segment and release characters all differ: the single-pass scanner applies. */
  private distinct = true;

  // Scratch buffers reused for every segment; results of the last scan.
  private readonly scratchElements: string[][] = [];
  private readonly scratchComponents: string[] = [];
  private scanTag = '';
  private scanElements: string[][] = [];
  private scanRepetitions: Record<number, string[][]> | undefined;

  feed(chunk: string): Segment[] {
    const out: Segment[] = [];
    this.feedTo(chunk, out);
    return out;
  }

  end(): Segment[] {
    const out: Segment[] = [];
    this.endTo(out);
    return out;
  }

  /** Like `feed`, but each completed segment goes to `sink.push` as soon as it is read. */
  feedTo(chunk: string, sink: SegmentSink): void {
    if (this.ended) throw new Error('EdifactTokenizer: feed() after end()');
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk;
    this.drain(false, sink);
  }

  /** Like `end`, into a sink. */
  endTo(sink: SegmentSink): void {
    if (this.ended) return;
    this.drain(true, sink);
    this.ended = true;
  }

  private refreshCodes(): void {
    const d = this.delimiters;
    // A cached release position is for the old release character (the pre-scanner code kept it stale).
    this.nextRelease = -2;
    this.segmentCode = d.segment.charCodeAt(0);
    this.componentCode = d.component.charCodeAt(0);
    this.elementCode = d.element.charCodeAt(0);
    this.releaseCode = d.release === '' ? -1 : d.release.charCodeAt(0);
    this.repetitionCode = d.repetition !== ' ' && d.repetition !== '' ? d.repetition.charCodeAt(0) : -1;
    const s = this.segmentCode;
    const c = this.componentCode;
    const e = this.elementCode;
    const r = this.releaseCode;
    this.distinct = d.segment.length === 1 && d.component.length === 1 && d.element.length === 1 && d.release.length <= 1 && s !== c && s !== e && c !== e && s !== r && c !== r && e !== r;
  }

  private drain(final: boolean, sink: SegmentSink): void {
    const text = this.buffer;
    this.nextLf = -2;
    this.nextRelease = -2;
    this.counted = 0;
    this.refreshCodes();
    let pos = 0;
    const length = text.length;
    if (this.base === 0 && length > 0 && text.charCodeAt(0) === 0xfeff) pos = 1;
    for (;;) {
      // Line breaks directly after a terminator (or at the very start) are formatting.
      while (pos < length) {
        const c = text.charCodeAt(pos);
        if (c === LF || c === CR) pos++;
        else break;
      }
      if (pos >= length) break;
      if (!this.seenFirst || text.charCodeAt(pos) === 85 /* U */) {
        // Need 9 characters to know whether a UNA is there and what it says.
        if (length - pos < 9 && !final && 'UNA'.startsWith(text.slice(pos, pos + 3))) break;
        if (text.startsWith('UNA', pos)) {
          pos = this.serviceAdvice(text, pos, length);
          this.refreshCodes();
          continue;
        }
        if (!this.seenFirst && text.startsWith('UNB', pos) && text.charCodeAt(pos + 3) === 0x1d && this.advices.length === 0) {
          this.delimiters = { ...LEVEL_B_DELIMITERS };
          this.refreshCodes();
        }
      }
      const end = this.distinct ? this.scan(text, pos, length) : this.findTerminator(text, pos, length);
      if (end < 0) {
        if (!final) break;
        // Trailing whitespace or a DOS end-of-file mark after the last terminator is not a segment.
        if (isBlankTail(text, pos)) {
          pos = length;
          break;
        }
        let last = length;
        while (last > pos && (text.charCodeAt(last - 1) === LF || text.charCodeAt(last - 1) === CR)) last--;
        if (this.distinct) this.scan(text, pos, last);
        else this.split(text, pos, last);
        const segment = this.segment(text, pos, last);
        segment.issue = `${describePosition(segment)} has no segment terminator ${printable(this.delimiters.segment)}: the interchange is truncated`;
        sink.push(segment);
        pos = length;
        break;
      }
      if (!this.distinct) this.split(text, pos, end);
      sink.push(this.segment(text, pos, end));
      pos = end + this.delimiters.segment.length;
    }
    this.countLines(text, pos);
    this.buffer = pos === 0 ? text : text.slice(pos);
    this.base += pos;
  }

  private serviceAdvice(text: string, pos: number, length: number): number {
    this.countLines(text, pos);
    const where = { offset: this.base + pos, line: this.line, column: this.base + pos - this.lineStart + 1 };
    if (length - pos < 9) {
      this.issues.push({ ...where, message: `UNA at line ${where.line}, column ${where.column} is cut short: it must be exactly 9 characters` });
      return length;
    }
    const chars = text.slice(pos + 3, pos + 9);
    const [component, element, decimal, release, repetition, segment] = chars.split('') as [string, string, string, string, string, string];
    const delimiters: Delimiters = { component, element, decimal, release: release === ' ' ? '' : release, repetition, segment };
    const separators = [component, element, segment, delimiters.release].filter(Boolean);
    if (new Set(separators).size !== separators.length) {
      this.issues.push({ ...where, message: `UNA at line ${where.line}, column ${where.column} declares the same character twice: ${printable(chars)}` });
    }
    if (decimal !== '.' && decimal !== ',') {
      this.issues.push({ ...where, message: `UNA at line ${where.line}, column ${where.column} declares decimal mark ${printable(decimal)}; only "." and "," exist` });
    }
    this.delimiters = delimiters;
    this.advices.push({ fromSegment: this.count + 1, offset: where.offset, delimiters: { ...delimiters } });
    this.seenFirst = true;
    return pos + 9;
  }

  /**
   * Single pass over one segment from `start`: a release character takes the next character as data
   * (so `??'` ends the segment and `???'` does not: the parity rule), the first unreleased terminator
   * ends it. Leaves tag, elements and repetitions in the scan fields, reading up to the terminator or
   * `limit`; returns the terminator's local index, or -1 when there is none before `limit`.
   * Components without a release character are plain slices; arrays are built only at element ends,
   * sized exactly, from reused scratch buffers.
   */
  private scan(text: string, start: number, limit: number): number {
    const segmentCode = this.segmentCode;
    const componentCode = this.componentCode;
    const elementCode = this.elementCode;
    const releaseCode = this.releaseCode;
    const repetitionCode = this.repetitionCode;
    const elements = this.scratchElements;
    const components = this.scratchComponents;
    let elementCount = 0;
    let componentCount = 0;
    /** Element index, 0 = the tag element. */
    let e = 0;
    let tag = '';
    let occurrences: string[][] | undefined;
    let repetitions: Record<number, string[][]> | undefined;
    /** Start of the current component's unreleased run. */
    let from = start;
    /** Released text of the current component so far (only when `released`). */
    let pending = '';
    let released = false;
    let found = -1;
    for (let i = start; i < limit; i++) {
      const c = text.charCodeAt(i);
      if (c === releaseCode) {
        pending = released ? pending + text.slice(from, i) : text.slice(from, i);
        if (i + 1 < limit) pending += text[i + 1];
        released = true;
        i++;
        from = i + 1;
      } else if (c === segmentCode) {
        found = i;
        break;
      } else if (c === componentCode || c === elementCode || c === repetitionCode) {
        components[componentCount++] = released ? pending + text.slice(from, i) : text.slice(from, i);
        released = false;
        from = i + 1;
        if (c === componentCode) continue;
        let list = componentCount === 1 ? [components[0] as string] : components.slice(0, componentCount);
        componentCount = 0;
        if (c !== elementCode) {
          (occurrences ??= []).push(list);
          continue;
        }
        if (occurrences !== undefined) {
          occurrences.push(list);
          (repetitions ??= {})[e - 1] = occurrences;
          list = occurrences[0] as string[];
          occurrences = undefined;
        }
        if (e === 0) tag = list[0] ?? '';
        else elements[elementCount++] = list;
        e++;
      }
    }
    // The last component runs to the terminator (or limit); a release right before it adds nothing.
    const stop = found >= 0 ? found : limit;
    const tail = from < stop ? text.slice(from, stop) : '';
    components[componentCount++] = released ? pending + tail : tail;
    let list = componentCount === 1 ? [components[0] as string] : components.slice(0, componentCount);
    if (occurrences !== undefined) {
      occurrences.push(list);
      (repetitions ??= {})[e - 1] = occurrences;
      list = occurrences[0] as string[];
    }
    if (e === 0) tag = list[0] ?? '';
    else elements[elementCount++] = list;
    this.scanTag = tag;
    this.scanElements = elementCount === 0 ? [] : elements.slice(0, elementCount);
    this.scanRepetitions = repetitions;
    return found;
  }

  /** Builds the segment [start, end) from the last scan/split. */
  private segment(text: string, start: number, end: number): Segment {
    this.countLines(text, start);
    this.seenFirst = true;
    this.count++;
    const tag = this.scanTag;
    const segment: Segment = {
      number: this.count,
      tag,
      offset: this.base + start,
      line: this.line,
      column: this.base + start - this.lineStart + 1,
      elements: this.scanElements,
      end: this.base + end,
    };
    const repetitions = this.scanRepetitions;
    if (repetitions) segment.repetitions = repetitions;
    if (!validTag(tag)) segment.issue = `${describePosition(segment)}: ${printable(tag)} is not a segment tag (3 upper-case letters or digits); a separator or terminator in the data may lack its release character`;
    return segment;
  }

  /** Advances the line counter over LFs before local index `to`. */
  private countLines(text: string, to: number): void {
    if (to <= this.counted) return;
    let lf = this.nextLf;
    if (lf === -2 || lf < this.counted) {
      lf = text.indexOf('\n', this.counted);
      if (lf === -1) lf = Infinity;
    }
    while (lf < to) {
      this.line++;
      this.lineStart = this.base + lf + 1;
      const next = text.indexOf('\n', lf + 1);
      lf = next === -1 ? Infinity : next;
    }
    this.nextLf = lf;
    this.counted = to;
  }

  // ---- degenerate delimiters ---------------------------------------------------------------------------
  // A UNA that declares the same character twice (already reported in `issues`) is read exactly as before
  // the single-pass scanner existed: terminator by the parity rule, then split by element and component
  // separators (or walked char by char when a release or repetition character is in the segment).

  /** Local index of the next real terminator at or after `from`, or -1. */
  private findTerminator(text: string, from: number, length: number): number {
    const terminator = this.delimiters.segment;
    const release = this.delimiters.release;
    const releaseCode = release.charCodeAt(0);
    let i = text.indexOf(terminator, from);
    while (i !== -1 && i < length) {
      if (release !== '') {
        let k = i - 1;
        let n = 0;
        while (k >= from && text.charCodeAt(k) === releaseCode) {
          n++;
          k--;
        }
        if ((n & 1) === 1) {
          i = text.indexOf(terminator, i + 1);
          continue;
        }
      }
      return i;
    }
    return -1;
  }

  private hasRelease(text: string, start: number, end: number): boolean {
    const release = this.delimiters.release;
    if (release === '') return false;
    let r = this.nextRelease;
    if (r === -2 || r < start) {
      r = text.indexOf(release, start);
      if (r === -1) r = Infinity;
      this.nextRelease = r;
    }
    return r < end;
  }

  private split(text: string, start: number, end: number): void {
    const d = this.delimiters;
    const repetitionActive = d.repetition !== ' ' && d.repetition !== '';
    const repetitionAt = repetitionActive ? text.indexOf(d.repetition, start) : -1;
    this.scanRepetitions = undefined;
    if (!this.hasRelease(text, start, end) && !(repetitionAt !== -1 && repetitionAt < end)) {
      const parts = text.slice(start, end).split(d.element);
      const head = parts[0] ?? '';
      const headEnd = head.indexOf(d.component);
      this.scanTag = headEnd === -1 ? head : head.slice(0, headEnd);
      const elements = new Array<string[]>(parts.length - 1);
      for (let i = 1; i < parts.length; i++) {
        const part = parts[i] as string;
        elements[i - 1] = part.indexOf(d.component) === -1 ? [part] : part.split(d.component);
      }
      this.scanElements = elements;
      return;
    }
    const walked = this.walk(text, start, end, repetitionActive);
    const head = walked.elements.shift() ?? [''];
    this.scanTag = head[0] ?? '';
    this.scanElements = walked.elements;
    if (walked.repetitions) {
      const repetitions: Record<number, string[][]> = {};
      for (const [index, occurrences] of Object.entries(walked.repetitions)) repetitions[Number(index) - 1] = occurrences;
      this.scanRepetitions = repetitions;
    }
  }

  /** Char-by-char split of one segment honouring the release character. Element 0 is the tag. */
  private walk(text: string, start: number, end: number, repetitionActive: boolean): { elements: string[][]; repetitions?: Record<number, string[][]> } {
    const d = this.delimiters;
    const releaseCode = d.release === '' ? -1 : d.release.charCodeAt(0);
    const componentCode = d.component.charCodeAt(0);
    const elementCode = d.element.charCodeAt(0);
    const repetitionCode = repetitionActive ? d.repetition.charCodeAt(0) : -1;
    const elements: string[][] = [];
    let repetitions: Record<number, string[][]> | undefined;
    let occurrences: string[][] = [];
    let components: string[] = [];
    let current = '';
    let chunk = start;
    const closeElement = (): void => {
      if (occurrences.length > 0) {
        occurrences.push(components);
        repetitions ??= {};
        repetitions[elements.length] = occurrences;
        elements.push(occurrences[0] as string[]);
        occurrences = [];
      } else {
        elements.push(components);
      }
      components = [];
    };
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === releaseCode) {
        current += text.slice(chunk, i);
        if (i + 1 < end) current += text[i + 1];
        i++;
        chunk = i + 1;
      } else if (c === componentCode) {
        components.push(current + text.slice(chunk, i));
        current = '';
        chunk = i + 1;
      } else if (c === elementCode) {
        components.push(current + text.slice(chunk, i));
        current = '';
        chunk = i + 1;
        closeElement();
      } else if (c === repetitionCode) {
        components.push(current + text.slice(chunk, i));
        current = '';
        chunk = i + 1;
        occurrences.push(components);
        components = [];
      }
    }
    components.push(current + text.slice(chunk, Math.max(chunk, end)));
    closeElement();
    return repetitions ? { elements, repetitions } : { elements };
  }
}

export interface TokenizeResult {
  segments: Segment[];
  /** Delimiters in force at the end of the text. */
  delimiters: Delimiters;
  advices: ServiceAdvice[];
  issues: TokenizeIssue[];
}

/** One-shot tokenizing of a whole decoded interchange (or several concatenated). Never throws. */
export function tokenize(text: string): TokenizeResult {
  const tokenizer = new EdifactTokenizer();
  const segments: Segment[] = [];
  tokenizer.feedTo(text, segments);
  tokenizer.endTo(segments);
  return { segments, delimiters: tokenizer.delimiters, advices: tokenizer.advices, issues: tokenizer.issues };
}

/** Delimiters in force for segment `number`, given the advices recorded while tokenizing. */
export function delimitersAt(advices: readonly ServiceAdvice[], number: number, fallback: Delimiters = DEFAULT_DELIMITERS): Delimiters {
  let found: Delimiters = fallback;
  for (const advice of advices) {
    if (advice.fromSegment <= number) found = advice.delimiters;
    else break;
  }
  return found;
}

/** Escapes data for output: every service character in `value` gets the release character before it. */
export function escapeData(value: string, d: Delimiters = DEFAULT_DELIMITERS): string {
  if (d.release === '') return value;
  const specials = [d.release, d.component, d.element, d.segment];
  if (d.repetition !== ' ' && d.repetition !== '') specials.push(d.repetition);
  let out = '';
  let chunk = 0;
  for (let i = 0; i < value.length; i++) {
    if (specials.includes(value[i] as string)) {
      out += value.slice(chunk, i) + d.release + value[i];
      chunk = i + 1;
    }
  }
  return chunk === 0 ? value : out + value.slice(chunk);
}

/** An element to write: one value, or its components (undefined and trailing empty ones are left out). */
export type OutputElement = string | Array<string | undefined> | undefined;

/**
 * A writer of whole segments for output (ORDRSP, CONTRL): data escaped, trailing empty components
 * and elements dropped as the syntax wants, the segment terminator and an optional line break added.
 */
export function segmentWriter(d: Delimiters = DEFAULT_DELIMITERS, lineBreak = ''): (tag: string, ...elements: OutputElement[]) => string {
  return (tag, ...elements) => {
    const parts = elements.map((e) => {
      const components = (Array.isArray(e) ? e : [e]).map((c) => escapeData(c ?? '', d));
      while (components.length > 0 && components[components.length - 1] === '') components.pop();
      return components.join(d.component);
    });
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return [tag, ...parts].join(d.element) + d.segment + lineBreak;
  };
}

/** Value of component `c` of element `e` (0-based, tag excluded), '' when absent. */
export function component(segment: Segment, e: number, c = 0): string {
  return segment.elements[e]?.[c] ?? '';
}
