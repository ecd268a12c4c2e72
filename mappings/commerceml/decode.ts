/**
 * Bytes of a CommerceML file → text, chunk by chunk, in the encoding the document itself states.
 * 1C writes catalogue files in UTF-8 (often with a BOM) and Bitrix-style order exchange in
 * windows-1251; a file is never assumed to be either (FORMATS.md §6): the BOM decides, else the
 * XML declaration, else the charset the transport gave, else UTF-8 (the XML default). The decoder is incremental, so a character split
 * across two chunks (a Cyrillic letter is 2 bytes in UTF-8) decodes once both halves are in.
 */
import type { Readable } from 'node:stream';
import iconv from 'iconv-lite';

export type ByteSource = AsyncIterable<Buffer | Uint8Array | string> | Readable;

/** How much of the head is read to find the declaration: `<?xml … encoding="…"?>` is short. */
const HEAD_BYTES = 1024;

export class CommerceMlEncodingError extends Error {
  override name = 'CommerceMlEncodingError';
}

/** The encoding a document's first bytes state (BOM, then XML declaration), or undefined to wait for more bytes. */
export function sniffEncoding(head: Buffer, complete: boolean, fallback = 'utf-8'): { encoding: string; bom: boolean } | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: true };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: true };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: true };
  if (head.length < 4 && !complete) return undefined;
  // UTF-16 without a BOM still starts "<?" as two-byte units (XML 1.0 appendix F).
  if (head[0] === 0x3c && head[1] === 0x00 && head[2] === 0x3f && head[3] === 0x00) return { encoding: 'utf-16le', bom: false };
  if (head[0] === 0x00 && head[1] === 0x3c && head[2] === 0x00 && head[3] === 0x3f) return { encoding: 'utf-16be', bom: false };
  const ascii = head.toString('latin1');
  if (!ascii.startsWith('<?xml')) return { encoding: fallback, bom: false };
  const end = ascii.indexOf('?>');
  if (end < 0 && !complete && head.length < HEAD_BYTES) return undefined;
  const declaration = end < 0 ? ascii : ascii.slice(0, end);
  const stated = /\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(declaration)?.[1];
  return { encoding: stated ? stated.toLowerCase() : fallback, bom: false };
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * The text of a document, decoded incrementally. `fallback` is the encoding of a document that has
 * neither a BOM nor an encoding in its declaration (the HTTP charset it came with; else UTF-8, the
 * XML default). Throws CommerceMlEncodingError for an encoding that cannot be decoded.
 */
export async function* decodeXml(source: ByteSource, fallback = 'utf-8'): AsyncGenerator<string> {
  let head: Buffer | undefined = Buffer.alloc(0);
  let decoder: ReturnType<typeof iconv.getDecoder> | undefined;

  const start = (complete: boolean): boolean => {
    const found = sniffEncoding(head!, complete, fallback.toLowerCase());
    if (!found) return false;
    if (!iconv.encodingExists(found.encoding)) {
      throw new CommerceMlEncodingError(`the document's encoding "${found.encoding}" cannot be decoded`);
    }
    // iconv-lite's decoders drop a leading U+FEFF themselves (stripBOM defaults to true).
    decoder = iconv.getDecoder(found.encoding);
    return true;
  };

  for await (const raw of source as AsyncIterable<Buffer | Uint8Array | string>) {
    const chunk = toBuffer(raw);
    if (!decoder) {
      head = head!.length === 0 ? chunk : Buffer.concat([head!, chunk]);
      if (!start(false)) continue;
      const text = decoder!.write(head!);
      head = undefined;
      if (text) yield text;
      continue;
    }
    const text = decoder.write(chunk);
    if (text) yield text;
  }
  if (!decoder) {
    if (!head || head.length === 0) return;
    start(true);
    const text = decoder!.write(head);
    if (text) yield text;
  }
  const rest = decoder!.end();
  if (rest) yield rest;
}
