import { createHash, randomUUID } from 'node:crypto';
import { charsetOf, sniffEncoding } from '../../lib/text-bytes.ts';
import type { Database } from '../db/database.ts';

export type RawPayloadKind = 'pull' | 'webhook' | 'upload' | 'push';
/**
 * pending: stored, not read yet; parsed: every record read; partial: some records failed; failed:
 * nothing read; skipped: nothing in it is for this channel (e.g. only invoices in an order channel).
 */
export type RawPayloadStatus = 'pending' | 'parsed' | 'partial' | 'failed' | 'skipped';

export interface ArchiveInput {
  channelId: string;
  kind: RawPayloadKind;
  source?: string | undefined;
  contentType?: string | undefined;
  /**
   * The body as received. Bytes are stored as they are, with the encoding sniffed from them (the
   * content type's charset helps); text from callers that only have text is stored as UTF-8.
   */
  body: string | Uint8Array;
  /** The encoding the caller already knows the bytes are in (e.g. what it decoded them with). */
  encoding?: string | undefined;
}

export interface ArchivedPayload {
  id: string;
  /** How the bytes were found to read: utf-8, iso-8859-2, utf-16le, …, or gzip / zip / binary (not text). */
  encoding: string;
  /** The same body had already arrived on this channel (a retry, a re-pulled page). */
  duplicate: boolean;
  status: RawPayloadStatus;
}

/**
 * Stores an inbound payload before anything parses it, whatever its bytes are (NUL bytes, gzip and
 * UTF-16 included): what cannot be read is stored all the same and failed by its reader with a
 * clear error. The same bytes on the same channel are stored once and counted, so retries and
 * re-pulled pages do not grow the archive.
 */
export async function archivePayload(db: Database, input: ArchiveInput): Promise<ArchivedPayload> {
  const bytes = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  const encoding = typeof input.body === 'string' ? 'utf-8' : sniffEncoding(bytes, input.encoding ?? charsetOf(input.contentType));
  const hash = createHash('sha256').update(bytes).digest('hex');
  const row = (query: Database['query']) =>
    archiveRow(query, [randomUUID(), input.channelId, input.kind, input.source ?? null, input.contentType ?? null, bytes.subarray(0, ARCHIVE_PIECE_BYTES), encoding, hash]);
  if (bytes.length <= ARCHIVE_PIECE_BYTES) return row((sql, params) => db.query(sql, params));
  // A large body goes in pieces, in one transaction: the driver copies one piece at a time, never the whole file.
  return db.withSession(async (session) => {
    await session.query('BEGIN');
    try {
      const archived = await row((sql, params) => session.query(sql, params));
      if (!archived.duplicate) {
        for (let at = ARCHIVE_PIECE_BYTES; at < bytes.length; at += ARCHIVE_PIECE_BYTES) {
          await session.query(`UPDATE raw_payload SET body = body || $2 WHERE id = $1`, [archived.id, bytes.subarray(at, at + ARCHIVE_PIECE_BYTES)]);
        }
      }
      await session.query('COMMIT');
      return archived;
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** Bodies larger than this are written in pieces of this size. */
export const ARCHIVE_PIECE_BYTES = 8 * 1024 * 1024;

async function archiveRow(query: Database['query'], params: unknown[]): Promise<ArchivedPayload> {
  const rows = await query<{ id: string; status: RawPayloadStatus; encoding: string; inserted: boolean }>(
    `INSERT INTO raw_payload (id, channel_id, kind, source, content_type, body, encoding, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (channel_id, hash) DO UPDATE
       SET received_count = raw_payload.received_count + 1, last_received_at = now()
     RETURNING id, status, encoding, (xmax = 0) AS inserted`,
    params,
  );
  const row = rows[0]!;
  return { id: row.id, encoding: row.encoding, duplicate: !row.inserted, status: row.status };
}

export interface PayloadVerdict {
  status: Exclude<RawPayloadStatus, 'pending'>;
  errorCode?: string | undefined;
  error?: string | undefined;
  orderCount: number;
  /** Findings that rejected nothing (EDI envelope warnings, a duplicate control number when the channel only warns). */
  warnings?: string[] | undefined;
}

export async function recordPayloadVerdict(db: Database, id: string, verdict: PayloadVerdict): Promise<void> {
  await db.prisma.rawPayload.update({
    where: { id },
    // An update answers with the row; never with its body (a 100 MB payload would come back per call).
    select: { id: true },
    data: {
      status: verdict.status,
      errorCode: verdict.errorCode ?? null,
      error: verdict.error ?? null,
      orderCount: verdict.orderCount,
      warnings: verdict.warnings ?? [],
      attempts: { increment: 1 },
      unfinishedTries: 0,
      processedAt: new Date(),
    },
  });
}
