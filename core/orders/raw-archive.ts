import { createHash, randomUUID } from 'node:crypto';
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodySniffer, charsetOf, sniffEncoding } from '../../lib/text-bytes.ts';
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

/** A body that arrived in pieces, once it has all arrived: what is known about it without holding it. */
export interface StreamedBody {
  /** Its first bytes (64 KiB at most). */
  head: Buffer;
  size: number;
  /** Tells the encoding as sniffEncoding would over the whole body. */
  sniffer: BodySniffer;
}

export interface StreamedArchiveInput {
  channelId: string;
  kind: RawPayloadKind;
  source?: string | undefined;
  /** Multi-byte charsets a declared encoding may name (e.g. the request's content type charset), tracked while the body passes. */
  charsets?: readonly (string | undefined)[] | undefined;
  /**
   * Called once the whole body has arrived: its content type and the encoding to record, or
   * undefined to store nothing after all (e.g. the body went past its limit).
   */
  describe(body: StreamedBody): { contentType?: string | undefined; encoding: string } | undefined;
}

/**
 * archivePayload for a body that arrives in pieces (an upload as it is received), never held whole:
 * on PostgreSQL each 8 MiB piece goes into the row as soon as it is complete, all in one transaction
 * that commits only when the body has ended, so a body that breaks off (the client went away) leaves
 * nothing; the content hash is computed as the pieces pass, and the same bytes sent again are counted
 * on the payload already stored (the new row is rolled back). PGlite is a single session shared by
 * every request, so a transaction cannot stay open while a body arrives: there the pieces wait in a
 * temporary file and go in, in one transaction, once the body has ended.
 * Resolves undefined when `describe` refused the body (nothing is stored); rejects when the body did.
 */
export async function archiveStream(db: Database, input: StreamedArchiveInput, body: AsyncIterable<Uint8Array>): Promise<(ArchivedPayload & { size: number }) | undefined> {
  if (db.kind === 'pglite') return archiveSpooled(db, input, body);
  const id = randomUUID();
  const hash = createHash('sha256');
  const sniffer = new BodySniffer(input.charsets);
  return db.withSession(async (session) => {
    await session.query('BEGIN');
    try {
      // A placeholder hash (unique per upload) until the body has ended and its own is known.
      await session.query(`INSERT INTO raw_payload (id, channel_id, kind, source, body, hash) VALUES ($1, $2, $3, $4, ''::bytea, $5)`, [
        id,
        input.channelId,
        input.kind,
        input.source ?? null,
        `receiving:${id}`,
      ]);
      for await (const piece of inPieces(body)) {
        hash.update(piece);
        sniffer.push(piece);
        await session.query(`UPDATE raw_payload SET body = body || $2 WHERE id = $1`, [id, piece]);
      }
      const described = input.describe({ head: sniffer.head, size: sniffer.size, sniffer });
      if (!described) {
        await session.query('ROLLBACK');
        return undefined;
      }
      const digest = hash.digest('hex');
      // Two uploads of the same bytes at once: the second waits here for the first to commit, then finds it.
      await session.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`raw_payload:${input.channelId}:${digest}`]);
      const [earlier] = await session.query<{ id: string }>(`SELECT id FROM raw_payload WHERE channel_id = $1 AND hash = $2`, [input.channelId, digest]);
      if (earlier) {
        await session.query('ROLLBACK');
        const [row] = await session.query<{ id: string; status: RawPayloadStatus; encoding: string }>(
          `UPDATE raw_payload SET received_count = received_count + 1, last_received_at = now() WHERE id = $1 RETURNING id, status, encoding`,
          [earlier.id],
        );
        return { id: row!.id, encoding: row!.encoding, duplicate: true, status: row!.status, size: sniffer.size };
      }
      await session.query(`UPDATE raw_payload SET hash = $2, content_type = $3, encoding = $4 WHERE id = $1`, [id, digest, described.contentType ?? null, described.encoding]);
      await session.query('COMMIT');
      return { id, encoding: described.encoding, duplicate: false, status: 'pending' as const, size: sniffer.size };
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** PGlite: the body goes to a temporary file as it arrives, then into the archive from there (see archiveStream). */
async function archiveSpooled(db: Database, input: StreamedArchiveInput, body: AsyncIterable<Uint8Array>): Promise<(ArchivedPayload & { size: number }) | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'orderhub-upload-'));
  const path = join(dir, 'body');
  try {
    const hash = createHash('sha256');
    const sniffer = new BodySniffer(input.charsets);
    const file = await open(path, 'w');
    try {
      for await (const piece of inPieces(body)) {
        hash.update(piece);
        sniffer.push(piece);
        await file.write(piece);
      }
    } finally {
      await file.close();
    }
    const described = input.describe({ head: sniffer.head, size: sniffer.size, sniffer });
    if (!described) return undefined;
    const digest = hash.digest('hex');
    const reader = await open(path, 'r');
    try {
      const piece = async (at: number) => {
        const buffer = Buffer.alloc(Math.min(ARCHIVE_PIECE_BYTES, sniffer.size - at));
        await reader.read(buffer, 0, buffer.length, at);
        return buffer;
      };
      return await db.withSession(async (session) => {
        await session.query('BEGIN');
        try {
          const archived = await archiveRow((sql, params) => session.query(sql, params), [
            randomUUID(),
            input.channelId,
            input.kind,
            input.source ?? null,
            described.contentType ?? null,
            await piece(0),
            described.encoding,
            digest,
          ]);
          if (!archived.duplicate) {
            for (let at = ARCHIVE_PIECE_BYTES; at < sniffer.size; at += ARCHIVE_PIECE_BYTES) {
              await session.query(`UPDATE raw_payload SET body = body || $2 WHERE id = $1`, [archived.id, await piece(at)]);
            }
          }
          await session.query('COMMIT');
          return { ...archived, size: sniffer.size };
        } catch (error) {
          await session.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } finally {
      await reader.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A body regrouped into ARCHIVE_PIECE_BYTES pieces (the last one shorter): at most one piece is held at a time. */
async function* inPieces(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let parts: Uint8Array[] = [];
  let held = 0;
  for await (const chunk of body) {
    let rest = chunk;
    while (held + rest.length >= ARCHIVE_PIECE_BYTES) {
      const take = ARCHIVE_PIECE_BYTES - held;
      parts.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      yield Buffer.concat(parts, ARCHIVE_PIECE_BYTES);
      parts = [];
      held = 0;
    }
    if (rest.length > 0) {
      parts.push(rest);
      held += rest.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}

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
