/**
 * Bytes → text by the declared charset, for connectors that receive XML (or any text) whose encoding
 * is not guaranteed to be UTF-8. Hungarian shops still serve ISO-8859-2 / windows-1250.
 *
 * Which encoding (RFC 7303 §3 and XML 1.0 Appendix F):
 *   1. a byte order mark (UTF-8, UTF-16LE/BE) wins;
 *   2. then the HTTP `charset` parameter;
 *   3. then the XML declaration's `encoding` (read from the first bytes, ASCII-compatible);
 *   4. else UTF-8.
 * When the header and the declaration disagree, UTF-8 is tried first if either names it and the bytes
 * are valid UTF-8 (random single-byte text is practically never valid multi-byte UTF-8), otherwise the
 * header's; if the chosen one fails, the other. Every disagreement is reported in `warnings`.
 *
 * Decoding uses TextDecoder with `fatal: true` (windows-1252 corrected, see windows1252Exact in lib/text-bytes.ts): bytes invalid in the encoding are an error with the
 * byte offset, never silently replaced by U+FFFD. Labels follow the WHATWG Encoding Standard, which
 * Node implements: `ISO-8859-1`/`latin1`/`US-ASCII` decode as windows-1252 (0x80–0x9F are € ‚ „ …),
 * exactly as browsers do; ISO-8859-2 and windows-1250 are distinct (0x8A is Š only in 1250). The
 * single-byte WHATWG tables map all 256 bytes, so only multi-byte encodings can fail.
 */

import { windows1252Exact } from '../../lib/text-bytes.ts';

export type DecodeErrorCode = 'unsupported_charset' | 'invalid_bytes' | 'too_large';

export class DecodeError extends Error {
  readonly code: DecodeErrorCode;
  /** WHATWG name of the encoding that failed, when known. */
  readonly encoding: string | undefined;
  /** Byte offset of the first invalid sequence, when known. */
  readonly offset: number | undefined;

  constructor(code: DecodeErrorCode, message: string, options: { encoding?: string; offset?: number } = {}) {
    super(message);
    this.name = 'DecodeError';
    this.code = code;
    this.encoding = options.encoding;
    this.offset = options.offset;
  }
}

export type CharsetSource = 'bom' | 'header' | 'declaration' | 'default';

export interface DecodedText {
  text: string;
  /** WHATWG name of the encoding used: `utf-8`, `iso-8859-2`, `windows-1250`, … */
  encoding: string;
  source: CharsetSource;
  /** What was declared, as written (undefined when absent). */
  declared: { header: string | undefined; xml: string | undefined; bom: string | undefined };
  /** Disagreements between header and declaration, and which one won. */
  warnings: string[];
}

export interface DecodeOptions {
  /** The HTTP Content-Type header, e.g. `text/xml; charset=ISO-8859-2`. */
  contentType?: string | undefined;
  /** Refuse larger bodies. Default 64 MiB. */
  maxBytes?: number;
  /** Used when nothing is declared. Default UTF-8 (XML's default). */
  defaultCharset?: string;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** `charset` parameter of a Content-Type header (quotes removed), or undefined. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const match = /;\s*charset\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(contentType);
  const value = (match?.[2] ?? match?.[1])?.trim();
  return value ? value : undefined;
}

/** `encoding` of an XML declaration at the very start (after an optional BOM), read as ASCII. */
export function xmlDeclaredEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  const match = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z][\w.:-]*)\1/.exec(head);
  return match?.[2];
}

function bomOf(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/** WHATWG name for a label, or undefined when Node does not know it (or it is the "replacement" decoder). */
export function resolveCharset(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1 when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let code = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function hexAround(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, Math.min(bytes.length, offset + 4)), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function decodeWith(bytes: Uint8Array, encoding: string, fatal: boolean): string {
  const text = new TextDecoder(encoding, { fatal, ignoreBOM: false }).decode(bytes);
  return encoding === 'windows-1252' ? windows1252Exact(text) : text;
}

function tryDecode(bytes: Uint8Array, encoding: string): { ok: true; text: string } | { ok: false; error: DecodeError } {
  try {
    return { ok: true, text: decodeWith(bytes, encoding, true) };
  } catch {
    const offset = encoding === 'utf-8' ? firstInvalidUtf8(bytes) : -1;
    const where = offset >= 0 ? ` at byte ${offset} (${hexAround(bytes, offset)})` : '';
    return {
      ok: false,
      error: new DecodeError('invalid_bytes', `bytes invalid in the declared encoding ${encoding}${where}`, { encoding, ...(offset >= 0 ? { offset } : {}) }),
    };
  }
}

/**
 * Decodes a body by its declared charset (see the rules above). Throws DecodeError when the charset is
 * unknown, the bytes are invalid in it, or the body is larger than `maxBytes`.
 */
export function decodeText(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.byteLength > maxBytes) {
    throw new DecodeError('too_large', `body of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`);
  }
  const header = charsetFromContentType(options.contentType);
  const xml = xmlDeclaredEncoding(bytes);
  const bom = bomOf(bytes);
  const declared = { header, xml, bom: bom?.encoding };
  const warnings: string[] = [];

  const resolve = (label: string, where: string): string => {
    const encoding = resolveCharset(label);
    if (!encoding) throw new DecodeError('unsupported_charset', `unsupported charset "${label}" (${where})`);
    return encoding;
  };

  if (bom) {
    const decoded = tryDecode(bytes, bom.encoding);
    if (!decoded.ok) throw decoded.error;
    for (const [label, where] of [
      [header, 'HTTP header'],
      [xml, 'XML declaration'],
    ] as const) {
      // A UTF-16 document may still declare "UTF-16"; only report real contradictions.
      if (label && resolveCharset(label) !== bom.encoding && !(bom.encoding.startsWith('utf-16') && /^utf-?16$/i.test(label))) {
        warnings.push(`the ${where} says ${label} but the body starts with a ${bom.encoding} byte order mark, which wins`);
      }
    }
    return { text: decoded.text, encoding: bom.encoding, source: 'bom', declared, warnings };
  }

  const fromHeader = header ? resolve(header, 'HTTP Content-Type') : undefined;
  const fromXml = xml ? resolve(xml, 'XML declaration') : undefined;

  if (fromHeader && fromXml && fromHeader !== fromXml) {
    const candidates: Array<{ encoding: string; source: CharsetSource }> =
      fromXml === 'utf-8' && firstInvalidUtf8(bytes) === -1
        ? [
            { encoding: fromXml, source: 'declaration' },
            { encoding: fromHeader, source: 'header' },
          ]
        : [
            { encoding: fromHeader, source: 'header' },
            { encoding: fromXml, source: 'declaration' },
          ];
    const failures: DecodeError[] = [];
    for (const candidate of candidates) {
      const decoded = tryDecode(bytes, candidate.encoding);
      if (decoded.ok) {
        warnings.push(
          `the HTTP header says ${header} but the XML declaration says ${xml}: decoded as ${candidate.encoding} (${candidate.source})` +
            (failures.length > 0 ? ` after ${failures[0]?.message}` : ''),
        );
        return { text: decoded.text, encoding: candidate.encoding, source: candidate.source, declared, warnings };
      }
      failures.push(decoded.error);
    }
    throw new DecodeError('invalid_bytes', `${failures.map((f) => f.message).join('; ')} (HTTP header ${header}, XML declaration ${xml})`, {
      encoding: fromHeader,
      ...(failures[0]?.offset !== undefined ? { offset: failures[0].offset } : {}),
    });
  }

  const encoding = fromHeader ?? fromXml ?? resolve(options.defaultCharset ?? 'utf-8', 'default');
  const source: CharsetSource = fromHeader ? 'header' : fromXml ? 'declaration' : 'default';
  const decoded = tryDecode(bytes, encoding);
  if (!decoded.ok) {
    const declaredBy = source === 'header' ? `HTTP header charset=${header}` : source === 'declaration' ? `XML declaration encoding="${xml}"` : 'no charset declared, XML default';
    throw new DecodeError('invalid_bytes', `${decoded.error.message} (${declaredBy})`, {
      encoding,
      ...(decoded.error.offset !== undefined ? { offset: decoded.error.offset } : {}),
    });
  }
  return { text: decoded.text, encoding, source, declared, warnings };
}

/**
 * A lossy but readable rendering for archiving a body that could not be decoded: invalid sequences
 * become U+FFFD. Never throws; unknown charsets fall back to UTF-8.
 */
export function decodeLossy(bytes: Uint8Array, options: Pick<DecodeOptions, 'contentType'> = {}): string {
  const label = bomOf(bytes)?.encoding ?? charsetFromContentType(options.contentType) ?? xmlDeclaredEncoding(bytes) ?? 'utf-8';
  return decodeWith(bytes, resolveCharset(label) ?? 'utf-8', false);
}
