import { isUtf8 } from 'node:buffer';
/**
 * What a stored body's bytes are: text in some encoding, or not text at all. Shared by the raw
 * archive (which records the encoding beside the bytes), the hub's readers (which decode with it)
 * and connectors that sniff what they read (an EDI inbox file may be a UTF-16 export or a gzip).
 *
 * Order of evidence: a known binary signature (gzip, zip); a byte order mark; the zero-byte pattern
 * of BOM-less UTF-16 (ASCII-range text in UTF-16 has a NUL in every other byte); any other NUL
 * means binary (no text encoding the hub reads has one), and so do control bytes in abundance; then
 * the charset the sender declared, when the bytes are valid in it; then UTF-8 when valid; else
 * windows-1252 (a single-byte set maps every byte, so the text is at least readable).
 */

/** Encodings recorded for bytes that are not text: kept as bytes, never handed to a mapping. */
export const NOT_TEXT_ENCODINGS = ['gzip', 'zip', 'binary'] as const;
export type NotTextEncoding = (typeof NOT_TEXT_ENCODINGS)[number];

export function isTextEncoding(encoding: string): boolean {
  return !(NOT_TEXT_ENCODINGS as readonly string[]).includes(encoding);
}

/** How many leading bytes the UTF-16 and control-character heuristics look at. */
const SAMPLE_BYTES = 4096;

export function sniffEncoding(bytes: Uint8Array, declared?: string | undefined): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return validIn(bytes, 'utf-8') ? 'utf-8' : 'binary';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return validIn(bytes, 'utf-16le') ? 'utf-16le' : 'binary';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return validIn(bytes, 'utf-16be') ? 'utf-16be' : 'binary';
  const utf16 = utf16ByZeros(bytes);
  if (utf16) return validIn(bytes, utf16) ? utf16 : 'binary';
  if (indexOfZero(bytes) >= 0 || controlShare(bytes) > 0.1) return 'binary';
  const hinted = declared ? resolveLabel(declared) : undefined;
  if (hinted && !hinted.startsWith('utf-16') && validIn(bytes, hinted)) return hinted;
  if (validIn(bytes, 'utf-8')) return 'utf-8';
  return 'windows-1252';
}

/** The text of bytes in a text encoding (a leading BOM dropped). Throws for a not-text encoding. */
export function decodeBytes(bytes: Uint8Array, encoding: string): string {
  return textDecoderFor(encoding)(bytes, true);
}

/**
 * A decoder of bytes handed over in pieces (a large stored body read slice by slice): a character
 * split across two pieces comes out whole; `last` flushes. Throws for a not-text encoding.
 */
export function textDecoderFor(encoding: string): (bytes: Uint8Array, last: boolean) => string {
  if (!isTextEncoding(encoding)) throw new TypeError(`bytes recorded as ${encoding} are not text`);
  const label = resolveLabel(encoding) ?? 'utf-8';
  const decoder = new TextDecoder(label);
  const fixC1 = label === 'windows-1252';
  return (bytes, last) => {
    const text = decoder.decode(bytes, { stream: !last });
    return fixC1 ? windows1252Exact(text) : text;
  };
}

/** Why bytes of a not-text encoding cannot be read, in words ops act on. */
export function notTextReason(encoding: string, size: number): string {
  const what =
    encoding === 'gzip'
      ? 'looks like gzip (compressed data); decompress it and send the file itself'
      : encoding === 'zip'
        ? 'looks like a zip archive; unpack it and send the files inside'
        : 'binary data (NUL or control bytes, no text encoding fits)';
  return `not text: ${what} (${size} bytes)`;
}

/** The start of some bytes as hex, 16 a line, for showing a body that is not text. */
export function hexPreview(bytes: Uint8Array, max = 256): string {
  const lines: string[] = [];
  const shown = bytes.subarray(0, max);
  for (let at = 0; at < shown.length; at += 16) {
    const row = shown.subarray(at, at + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > max) lines.push(`… (${bytes.length} bytes in all)`);
  return lines.join('\n');
}

function resolveLabel(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

function validIn(bytes: Uint8Array, encoding: string): boolean {
  // UTF-8 is checked without making a string of the whole body (uploads run to 100 MB and more).
  if (encoding === 'utf-8') return isUtf8(bytes);
  try {
    new TextDecoder(encoding, { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function indexOfZero(bytes: Uint8Array): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(0);
}

/** utf-16le / utf-16be when one byte of each pair is mostly zero and the other almost never. */
function utf16ByZeros(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const pairs = Math.floor(Math.min(bytes.length, SAMPLE_BYTES) / 2);
  if (pairs < 2) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (bytes[i] === 0) evenZeros += 1;
    if (bytes[i + 1] === 0) oddZeros += 1;
  }
  if (oddZeros >= pairs * 0.3 && evenZeros <= pairs * 0.02) return 'utf-16le';
  if (evenZeros >= pairs * 0.3 && oddZeros <= pairs * 0.02) return 'utf-16be';
  return undefined;
}

/** Share of control bytes no text carries (tab, CR, LF, FF, ESC and the EDI separators 0x1C–0x1F are fine). */
function controlShare(bytes: Uint8Array): number {
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  if (sample.length === 0) return 0;
  let controls = 0;
  for (const b of sample) if ((b < 0x09 || (b > 0x0d && b < 0x1b)) || b === 0x7f) controls += 1;
  return controls / sample.length;
}

/**
 * windows-1252 bytes 0x80–0x9F (WHATWG index). Node 20's TextDecoder('windows-1252') decodes them as
 * Latin-1 C1 controls (a Node bug fixed in later majors), so they are mapped here to be exact on every
 * version; U+0080–U+009F can only come from those bytes.
 */
const WINDOWS_1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Text TextDecoder('windows-1252') made, with bytes 0x80–0x9F as windows-1252 means them (see WINDOWS_1252_C1). */
export function windows1252Exact(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (c) => String.fromCharCode(WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] as number));
}

/** The `charset` parameter of a Content-Type (quotes removed), or undefined. */
export function charsetOf(contentType: string | null | undefined): string | undefined {
  const match = contentType ? /;\s*charset\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(contentType) : null;
  const value = (match?.[2] ?? match?.[1])?.trim();
  return value ? value : undefined;
}

/**
 * sniffEncoding over a body that arrives in pieces (an upload streamed into the archive), without
 * holding it: the start is kept for the signature, byte order mark and sample heuristics, and
 * whatever else sniffEncoding asks of the whole body is tracked as the pieces pass — a NUL anywhere,
 * UTF-8 validity (a character split between pieces carried over), UTF-16 validity when the start
 * says UTF-16, which bytes occur (validity in a single-byte charset), and validity in the
 * multi-byte charsets named up front. `encoding(declared)` then answers what sniffEncoding(whole,
 * declared) would; a multi-byte declared charset not named up front counts as not valid.
 */
export class BodySniffer {
  /** The body's first bytes (up to HEAD_BYTES): what the heuristics and a connector's decode look at. */
  head: Buffer = Buffer.alloc(0);
  private headBuffer: Buffer = Buffer.alloc(0);
  size = 0;
  private zero = false;
  private utf8 = true;
  private utf8Carry: Buffer = Buffer.alloc(0);
  private readonly seen = new Uint8Array(256);
  private readonly decoders = new Map<string, { decoder: InstanceType<typeof TextDecoder>; valid: boolean }>();
  private pending: Buffer[] = [];
  private started = false;

  static readonly HEAD_BYTES = 64 * 1024;

  constructor(multiByte: readonly (string | undefined)[] = []) {
    for (const label of multiByte) {
      const name = label ? resolveLabel(label) : undefined;
      if (name && name !== 'utf-8' && !name.startsWith('utf-16') && !this.decoders.has(name) && !isSingleByte(name)) {
        this.decoders.set(name, { decoder: new TextDecoder(name, { fatal: true }), valid: true });
      }
    }
  }

  push(piece: Uint8Array): void {
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (this.head.length < BodySniffer.HEAD_BYTES) {
      // Copied into one buffer of the head's final size, not concatenated anew per piece.
      const room = BodySniffer.HEAD_BYTES - this.head.length;
      const part = bytes.subarray(0, room);
      if (this.headBuffer.length === 0) this.headBuffer = Buffer.alloc(BodySniffer.HEAD_BYTES);
      part.copy(this.headBuffer, this.head.length);
      this.head = this.headBuffer.subarray(0, this.head.length + part.length);
    }
    this.size += bytes.length;
    // UTF-16 is told by the first SAMPLE_BYTES: pieces wait until those are known.
    if (!this.started) {
      this.pending.push(bytes);
      if (this.head.length >= SAMPLE_BYTES) this.start();
      return;
    }
    this.track(bytes);
  }

  /** Whether the whole body so far is valid UTF-8. */
  get validUtf8(): boolean {
    this.finishStart();
    return this.utf8 && this.utf8Carry.length === 0;
  }

  /** What sniffEncoding(the whole body, declared) says. */
  encoding(declared?: string | undefined): string {
    this.finishStart();
    const bytes = this.head;
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return this.validUtf8 ? 'utf-8' : 'binary';
    const utf16 = this.utf16();
    if (utf16) return this.valid(utf16) ? utf16 : 'binary';
    if (this.zero || controlShare(bytes) > 0.1) return 'binary';
    const hinted = declared ? resolveLabel(declared) : undefined;
    if (hinted && !hinted.startsWith('utf-16') && this.valid(hinted)) return hinted;
    if (this.validUtf8) return 'utf-8';
    return 'windows-1252';
  }

  private utf16(): 'utf-16le' | 'utf-16be' | undefined {
    const bytes = this.head;
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
    return utf16ByZeros(bytes);
  }

  private start(): void {
    this.started = true;
    const utf16 = this.utf16();
    if (utf16) this.decoders.set(utf16, { decoder: new TextDecoder(utf16, { fatal: true }), valid: true });
    const pending = this.pending;
    this.pending = [];
    for (const bytes of pending) this.track(bytes);
  }

  private finishStart(): void {
    if (!this.started) this.start();
    for (const entry of this.decoders.values()) {
      if (!entry.valid) continue;
      try {
        entry.decoder.decode(new Uint8Array(0));
      } catch {
        entry.valid = false;
      }
    }
  }

  private track(bytes: Buffer): void {
    if (!this.zero && bytes.indexOf(0) >= 0) this.zero = true;
    for (let i = 0; i < bytes.length; i++) this.seen[bytes[i]!] = 1;
    if (this.utf8) {
      const joined = this.utf8Carry.length > 0 ? Buffer.concat([this.utf8Carry, bytes]) : bytes;
      const cut = completeUtf8Length(joined);
      this.utf8 = isUtf8(joined.subarray(0, cut));
      this.utf8Carry = Buffer.from(joined.subarray(cut));
    }
    for (const entry of this.decoders.values()) {
      if (!entry.valid) continue;
      try {
        entry.decoder.decode(bytes, { stream: true });
      } catch {
        entry.valid = false;
      }
    }
  }

  private valid(encoding: string): boolean {
    if (encoding === 'utf-8') return this.validUtf8;
    const tracked = this.decoders.get(encoding);
    if (tracked) return tracked.valid;
    if (!isSingleByte(encoding)) return false;
    const present: number[] = [];
    this.seen.forEach((flag, byte) => flag && present.push(byte));
    return validIn(Uint8Array.from(present), encoding);
  }
}

/** How many leading bytes end on a whole UTF-8 character (the rest may be a character the next piece completes). */
function completeUtf8Length(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Whether an encoding maps every byte on its own (so its validity is a matter of which bytes occur). */
function isSingleByte(encoding: string): boolean {
  return encoding === 'windows-1252' || /^(iso-8859-\d+|windows-125\d|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic|windows-874)$/.test(encoding);
}
