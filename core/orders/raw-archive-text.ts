import { decodeBytes, hexPreview, isTextEncoding, notTextReason } from '../../lib/text-bytes.ts';
import type { RawPayloadInput } from '../model/mapping.ts';

/**
 * The raw archive keeps bytes and the encoding they were found in; everything that reads a stored
 * payload as text (mappings, acknowledgements, the API, the CLI) goes through here, so the bytes
 * are decoded one way everywhere.
 */
export interface StoredBody {
  body: Uint8Array;
  encoding: string;
  source?: string | null | undefined;
}

export type PayloadText = { ok: true; text: string } | { ok: false; error: string };

/** The body as text, or why it is not text (naming where it came from, for ops). */
export function payloadText(row: StoredBody): PayloadText {
  if (!isTextEncoding(row.encoding)) {
    return { ok: false, error: `${notTextReason(row.encoding, row.body.length)}${row.source ? `; from ${row.source}` : ''}` };
  }
  return { ok: true, text: decodeBytes(row.body, row.encoding) };
}

/** A stored payload as a mapping reads it: its body decoded with the stored encoding. */
export function mappingInput<Row extends StoredBody & Omit<RawPayloadInput, 'body'>>(
  row: Row,
): { ok: true; input: RawPayloadInput } | { ok: false; error: string } {
  const text = payloadText(row);
  if (!text.ok) return text;
  return { ok: true, input: { kind: row.kind, contentType: row.contentType, source: row.source, receivedAt: row.receivedAt, body: text.text } };
}

/** How a body is shown to people: its text, or a hex dump of its start when it is not text. */
export function bodyForDisplay(row: StoredBody): { text: boolean; body: string } {
  const read = payloadText(row);
  return read.ok ? { text: true, body: read.text } : { text: false, body: hexPreview(row.body) };
}
