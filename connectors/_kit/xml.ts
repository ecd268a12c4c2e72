import { DecodeError, decodeLossy, decodeText, type DecodedText, type DecodeOptions } from './decode.ts';
import { parseXml, type XmlErrorCode, type XmlParseOptions } from '../../lib/xml.ts';

/**
 * Safe XML parsing for connectors: lib/xml.ts (refuses DOCTYPE/ENTITY declarations and
 * Object.prototype element names, size limit, positioned errors, `explicitArray: false`) plus
 * `parseXmlBytes`, which decodes the body first with ./decode.ts (BOM > HTTP charset > XML
 * declaration > UTF-8, fatal on invalid bytes).
 */
export * from '../../lib/xml.ts';
// ---- bytes → parsed XML (connectors only) ------------------------------------------------------------------

export type XmlBytesResult =
  | { ok: true; root: string; value: unknown; decoded: DecodedText }
  /** `text` is what to archive: the decoded text, or a lossy rendering when the bytes could not be decoded. */
  | { ok: false; code: XmlErrorCode | 'decode_failed'; message: string; text: string; decoded: DecodedText | undefined };

/** Decodes (./decode.ts) then parses (parseXml). Never throws. */
export function parseXmlBytes(bytes: Uint8Array, options: DecodeOptions & XmlParseOptions = {}): XmlBytesResult {
  let decoded: DecodedText;
  try {
    decoded = decodeText(bytes, options);
  } catch (error) {
    const message = error instanceof DecodeError ? error.message : String((error as Error)?.message ?? error);
    return { ok: false, code: 'decode_failed', message, text: decodeLossy(bytes, options), decoded: undefined };
  }
  const parsed = parseXml(decoded.text, options);
  if (!parsed.ok) return { ...parsed, text: decoded.text, decoded };
  return { ...parsed, decoded };
}

/** Escapes text for an XML element body or attribute value. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}
