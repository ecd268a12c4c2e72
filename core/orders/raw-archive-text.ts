import { decodeBytes, hexPreview, isTextEncoding, notTextReason, textDecoderFor } from '../../lib/text-bytes.ts';
import type { Database } from '../db/database.ts';
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
  if (!isTextEncoding(row.encoding)) return { ok: false, error: notTextError(row, row.body.length) };
  return { ok: true, text: decodeBytes(row.body, row.encoding) };
}

/** Why a stored body is not text, naming where it came from (for ops). */
export function notTextError(row: { encoding: string; source?: string | null | undefined }, size: number): string {
  return `${notTextReason(row.encoding, size)}${row.source ? `; from ${row.source}` : ''}`;
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

/** Bytes read from the database at a time when a large body is read in slices. */
export const BODY_SLICE_BYTES = 1024 * 1024;

/**
 * A stored body's text, read from the database slice by slice (never the whole body in memory):
 * what large files stream through. The caller has checked that the encoding is text.
 */
export async function* storedTextSlices(db: Database, payloadId: string, encoding: string, sliceBytes = BODY_SLICE_BYTES): AsyncGenerator<string> {
  const decode = textDecoderFor(encoding);
  // substring() counts bytes from 1; a short slice is the last one.
  for (let from = 1; ; from += sliceBytes) {
    const [row] = await db.query<{ part: Uint8Array | null }>(`SELECT substring(body FROM $2 FOR $3) AS part FROM raw_payload WHERE id = $1`, [payloadId, from, sliceBytes]);
    const part = row?.part ?? new Uint8Array(0);
    const last = part.length < sliceBytes;
    const text = decode(part, last);
    if (text !== '') yield text;
    if (last) return;
  }
}

/** A stored body's whole text (the caller has checked that its encoding is text). */
export async function storedText(db: Database, payloadId: string, encoding: string): Promise<string> {
  const { body } = await db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { body: true } });
  return decodeBytes(body, encoding);
}

/** The start of a stored body as text (at most `bytes` of it), for readers that need only its envelope. */
export async function storedTextHead(db: Database, payloadId: string, encoding: string, bytes = 64 * 1024): Promise<string> {
  const [row] = await db.query<{ part: Uint8Array | null }>(`SELECT substring(body FROM 1 FOR $2) AS part FROM raw_payload WHERE id = $1`, [payloadId, bytes]);
  return textDecoderFor(encoding)(row?.part ?? new Uint8Array(0), true);
}

/** A stored body's size in bytes, without reading it. */
export async function storedBodySize(db: Database, payloadId: string): Promise<number> {
  const [row] = await db.query<{ size: number | string | null }>(`SELECT octet_length(body) AS size FROM raw_payload WHERE id = $1`, [payloadId]);
  return Number(row?.size ?? 0);
}
