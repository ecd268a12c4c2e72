import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Database } from '../../core/db/database.ts';
import type { ProcessorContext } from '../runtime/types.ts';

/** How long finished things are kept (0 days: kept for ever) and where payload bodies are exported before they are dropped. */
export interface RetentionSettings {
  /**
   * Payload bodies in a final state (parsed, skipped, acknowledged failures) older than this are
   * exported and dropped; so are the bytes of 1C exchange files untouched for as long in an ended session.
   */
  payloadDays: number;
  /**
   * Finished sync runs older than this are deleted (each channel's last run and last successful run
   * are kept); so are ended 1C exchange sessions (with their files) whose files hold no bytes any more.
   */
  runDays: number;
  /** Finished BullMQ jobs (completed, and failed ones: the dead letters) older than this are removed. */
  jobDays: number;
  /** Where the archive files go (`payloads-YYYY-MM-DD.ndjson.gz`). */
  archiveDir: string;
}

export interface RetentionReport {
  dryRun: boolean;
  payloads: { eligible: number; bytes: number; purged: number; archive: string | null };
  runs: { eligible: number; deleted: number };
  /** The 1C exchange: files whose bytes were exported and deleted (rows kept), sessions deleted with their files. */
  exchange: { files: { eligible: number; bytes: number; purged: number; archive: string | null }; sessions: { eligible: number; deleted: number } };
  jobs: { removed: number; note?: string | undefined } | null;
}

export interface RetentionOptions {
  dryRun?: boolean | undefined;
  now?: Date | undefined;
  /** Payloads (or exchange files) exported and dropped per batch (one gzip member each). */
  batchSize?: number | undefined;
  /** Removes finished jobs older than the given age (the job runner's); returns how many and a note. */
  cleanJobs?: ((olderThanMs: number) => Promise<{ removed: number; note?: string | undefined }>) | undefined;
}

const DAY_MS = 86_400_000;
/** Bytes of a body read from the database at a time: a multiple of 3, so base64 pieces join into one. */
export const ARCHIVE_SLICE_BYTES = 3 * 256 * 1024;

/** Final states whose bodies may go: read (parsed, skipped) or failed and acknowledged by ops. */
const ELIGIBLE = `body_purged_at IS NULL AND last_received_at < $1
  AND (status IN ('parsed', 'skipped') OR (status IN ('failed', 'partial') AND acknowledged_at IS NOT NULL))`;

/** A run is kept while it is the channel's newest, or its newest successful one (sync status reads both). */
const OLD_RUNS = `status <> 'running' AND finished_at < $1
  AND id NOT IN (SELECT DISTINCT ON (channel_id) id FROM sync_run ORDER BY channel_id, started_at DESC, id DESC)
  AND id NOT IN (SELECT DISTINCT ON (channel_id) id FROM sync_run WHERE status = 'succeeded' ORDER BY channel_id, started_at DESC, id DESC)`;

/**
 * An exchange file whose bytes may go: untouched (received, imported, failed, reimported) for the
 * period, in a session that has ended (its cookie expired: 1C cannot send or import anything more in
 * it). Whatever its status: one that failed or was never imported had the whole period for a
 * reimport, and the archive keeps its bytes. $1: the cutoff, $2: now.
 */
const OLD_EXCHANGE_FILES = `f.bytes_purged_at IS NULL AND f.updated_at < $1
  AND EXISTS (SELECT 1 FROM onec_exchange_session s WHERE s.id = f.session_id AND s.expires_at < $2)`;

/**
 * An ended exchange session older than the run retention whose files hold no bytes any more (so
 * nothing goes unexported, and with payload retention off the bytes stay, with their session).
 * $1: the cutoff, $2: now, $3: in a dry run, the payload cutoff (files that this run would purge count as purged).
 */
const OLD_EXCHANGE_SESSIONS = `s.expires_at < $2 AND coalesce(s.finished_at, s.last_seen_at) < $1
  AND NOT EXISTS (SELECT 1 FROM onec_exchange_file f WHERE f.session_id = s.id AND f.bytes_purged_at IS NULL AND NOT coalesce(f.updated_at < $3::timestamptz, false))`;

/**
 * Retention: raw payload bodies, finished sync runs and finished jobs older than their settings.
 *
 * Payloads keep their row (status, hash, error, who acknowledged: the hash still deduplicates a
 * re-pulled page, order versions still name their payload); only the body goes, after it was
 * exported, streamed a slice at a time, to `<archiveDir>/payloads-<date>.ndjson.gz` (one JSON
 * line per payload with its metadata and `bodyBase64`; appended as one gzip member per batch and
 * synced to disk before any body of that batch is dropped). A crash between the two leaves a body
 * exported twice, never one dropped unexported. Pending and unacknowledged failed payloads are
 * never touched. `dryRun` counts and changes nothing.
 */
export async function runRetention(ctx: ProcessorContext, settings: RetentionSettings, options: RetentionOptions = {}): Promise<RetentionReport> {
  const { db } = ctx;
  const now = options.now ?? new Date();
  const dryRun = options.dryRun === true;
  const report: RetentionReport = {
    dryRun,
    payloads: { eligible: 0, bytes: 0, purged: 0, archive: null },
    runs: { eligible: 0, deleted: 0 },
    exchange: { files: { eligible: 0, bytes: 0, purged: 0, archive: null }, sessions: { eligible: 0, deleted: 0 } },
    jobs: null,
  };

  if (settings.payloadDays > 0) {
    const cutoff = new Date(now.getTime() - settings.payloadDays * DAY_MS);
    const [counted] = await db.query<{ n: number | string; bytes: number | string | null }>(`SELECT count(*) AS n, sum(octet_length(body)) AS bytes FROM raw_payload WHERE ${ELIGIBLE}`, [cutoff]);
    report.payloads.eligible = Number(counted?.n ?? 0);
    report.payloads.bytes = Number(counted?.bytes ?? 0);
    if (!dryRun && report.payloads.eligible > 0) {
      const archive = join(settings.archiveDir, `payloads-${now.toISOString().slice(0, 10)}.ndjson.gz`);
      report.payloads.archive = archive;
      await mkdir(settings.archiveDir, { recursive: true });
      for (;;) {
        const batch = await db.query<PayloadMeta>(
          `SELECT id, channel_id, kind, source, content_type, encoding, hash, status, received_at, last_received_at, octet_length(body) AS size
             FROM raw_payload WHERE ${ELIGIBLE} ORDER BY received_at, id LIMIT $2`,
          [cutoff, options.batchSize ?? 100],
        );
        if (batch.length === 0) break;
        await exportBodies(db, archive, batch);
        const purged = await db.query<{ n: number | string }>(
          `WITH purged AS (
             UPDATE raw_payload SET body = ''::bytea, body_bytes = octet_length(body), body_purged_at = $3, body_archive = $2
              WHERE id = ANY($1::text[]) AND body_purged_at IS NULL RETURNING 1)
           SELECT count(*) AS n FROM purged`,
          [batch.map((p) => p.id), archive, now],
        );
        const n = Number(purged[0]?.n ?? 0);
        report.payloads.purged += n;
        // Nothing of the batch could be dropped (changed meanwhile): stop rather than export it again and again.
        if (n === 0) break;
      }
    }
  }

  if (settings.payloadDays > 0) await purgeExchangeFiles(db, settings, { now, dryRun, batchSize: options.batchSize ?? 100 }, report.exchange.files);

  if (settings.runDays > 0) {
    const cutoff = new Date(now.getTime() - settings.runDays * DAY_MS);
    const payloadCutoff = dryRun && settings.payloadDays > 0 ? new Date(now.getTime() - settings.payloadDays * DAY_MS) : null;
    const params = [cutoff, now, payloadCutoff];
    const [sessions] = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM onec_exchange_session s WHERE ${OLD_EXCHANGE_SESSIONS}`, params);
    report.exchange.sessions.eligible = Number(sessions?.n ?? 0);
    if (!dryRun && report.exchange.sessions.eligible > 0) {
      // Their files (rows only: their bytes are gone already) and export lists go with them (ON DELETE CASCADE).
      const [deleted] = await db.query<{ n: number | string }>(`WITH gone AS (DELETE FROM onec_exchange_session s WHERE ${OLD_EXCHANGE_SESSIONS} RETURNING 1) SELECT count(*) AS n FROM gone`, params);
      report.exchange.sessions.deleted = Number(deleted?.n ?? 0);
    }
  }

  if (settings.runDays > 0) {
    const cutoff = new Date(now.getTime() - settings.runDays * DAY_MS);
    const [counted] = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM sync_run WHERE ${OLD_RUNS}`, [cutoff]);
    report.runs.eligible = Number(counted?.n ?? 0);
    if (!dryRun && report.runs.eligible > 0) {
      const [deleted] = await db.query<{ n: number | string }>(`WITH gone AS (DELETE FROM sync_run WHERE ${OLD_RUNS} RETURNING 1) SELECT count(*) AS n FROM gone`, [cutoff]);
      report.runs.deleted = Number(deleted?.n ?? 0);
    }
  }

  if (settings.jobDays > 0 && options.cleanJobs && !dryRun) report.jobs = await options.cleanJobs(settings.jobDays * DAY_MS);

  const logger = ctx.logger;
  logger?.info(
    {
      dryRun,
      payloadsPurged: report.payloads.purged,
      payloadBytes: report.payloads.bytes,
      runsDeleted: report.runs.deleted,
      exchangeFilesPurged: report.exchange.files.purged,
      exchangeBytes: report.exchange.files.bytes,
      exchangeSessionsDeleted: report.exchange.sessions.deleted,
      jobsRemoved: report.jobs?.removed ?? 0,
      archive: report.payloads.archive,
      exchangeArchive: report.exchange.files.archive,
    },
    dryRun
      ? `retention (dry run): ${report.payloads.eligible} payload bodies (${report.payloads.bytes} bytes), ${report.runs.eligible} sync runs, ` +
          `the bytes of ${report.exchange.files.eligible} 1C exchange files (${report.exchange.files.bytes} bytes) and ${report.exchange.sessions.eligible} 1C exchange sessions would go`
      : `retention: ${report.payloads.purged} payload bodies exported to ${report.payloads.archive ?? '-'} and dropped, ` +
          `the bytes of ${report.exchange.files.purged} 1C exchange files exported to ${report.exchange.files.archive ?? '-'} and dropped, ` +
          `${report.runs.deleted} sync runs, ${report.exchange.sessions.deleted} 1C exchange sessions and ${report.jobs?.removed ?? 0} finished jobs removed`,
  );
  return report;
}

interface PayloadMeta {
  id: string;
  channel_id: string;
  kind: string;
  source: string | null;
  content_type: string | null;
  encoding: string;
  hash: string;
  status: string;
  received_at: Date | string;
  last_received_at: Date | string;
  size: number | string;
}

/**
 * Appends one gzip member with a line per payload to the archive, reading each body in slices
 * (bounded memory whatever its size), and syncs the file before returning.
 */
async function exportBodies(db: Database, archive: string, batch: readonly PayloadMeta[]): Promise<void> {
  await appendToArchive(archive, async (write) => {
    for (const p of batch) {
      const meta = {
        id: p.id,
        channelId: p.channel_id,
        kind: p.kind,
        source: p.source,
        contentType: p.content_type,
        encoding: p.encoding,
        hash: p.hash,
        status: p.status,
        receivedAt: new Date(p.received_at).toISOString(),
        lastReceivedAt: new Date(p.last_received_at).toISOString(),
        bytes: Number(p.size),
      };
      // The line is written in pieces: {…meta, "bodyBase64":" + slices + "}.
      await write(`${JSON.stringify(meta).slice(0, -1)},"bodyBase64":"`);
      for (let from = 1; from <= Number(p.size); from += ARCHIVE_SLICE_BYTES) {
        const [row] = await db.query<{ part: Uint8Array | null }>(`SELECT substring(body FROM $2 FOR $3) AS part FROM raw_payload WHERE id = $1`, [p.id, from, ARCHIVE_SLICE_BYTES]);
        await write(Buffer.from(row?.part ?? new Uint8Array()).toString('base64'));
      }
      await write('"}\n');
    }
  });
}

/** Appends one gzip member with what `lines` writes to the archive, and syncs the file to disk before returning. */
async function appendToArchive(archive: string, lines: (write: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(archive, { flags: 'a' }));
  const write = async (text: string): Promise<void> => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  try {
    await lines(write);
    gzip.end();
  } catch (error) {
    gzip.destroy(error as Error);
    await done.catch(() => undefined);
    throw error;
  }
  await done;
  // On disk before any body of the batch is dropped (fsync syncs the file, whichever descriptor asks).
  const file = await open(archive, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

interface ExchangeFileMeta {
  id: string;
  session_id: string;
  session_type: string;
  login: string;
  name: string;
  status: string;
  size: number | string;
  chunks: number;
  unpacked_from: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

/**
 * The bytes of old exchange files: exported a batch at a time to `onec-exchange-<date>.ndjson.gz`
 * (one line per file, its chunks joined into `bytesBase64`, read in slices), synced, then deleted
 * with the file marked purged (when and where to) in one statement. The file rows stay: the exchange
 * log still lists them, and `hub 1c reimport` says where their bytes went.
 */
async function purgeExchangeFiles(
  db: Database,
  settings: RetentionSettings,
  options: { now: Date; dryRun: boolean; batchSize: number },
  report: RetentionReport['exchange']['files'],
): Promise<void> {
  const { now } = options;
  const cutoff = new Date(now.getTime() - settings.payloadDays * DAY_MS);
  const [counted] = await db.query<{ n: number | string; bytes: number | string | null }>(`SELECT count(*) AS n, sum(f.size) AS bytes FROM onec_exchange_file f WHERE ${OLD_EXCHANGE_FILES}`, [cutoff, now]);
  report.eligible = Number(counted?.n ?? 0);
  report.bytes = Number(counted?.bytes ?? 0);
  if (options.dryRun || report.eligible === 0) return;
  const archive = join(settings.archiveDir, `onec-exchange-${now.toISOString().slice(0, 10)}.ndjson.gz`);
  report.archive = archive;
  await mkdir(settings.archiveDir, { recursive: true });
  for (;;) {
    const batch = await db.query<ExchangeFileMeta>(
      `SELECT f.id, f.session_id, s.type AS session_type, s.login, f.name, f.status, f.size, f.chunks, f.unpacked_from, f.created_at, f.updated_at
         FROM onec_exchange_file f JOIN onec_exchange_session s ON s.id = f.session_id
        WHERE ${OLD_EXCHANGE_FILES} ORDER BY f.created_at, f.id LIMIT $3`,
      [cutoff, now, options.batchSize],
    );
    if (batch.length === 0) break;
    await appendToArchive(archive, async (write) => {
      for (const f of batch) await exportExchangeFile(db, f, write);
    });
    // One statement: a file is marked purged exactly when its chunks go.
    const [purged] = await db.query<{ n: number | string }>(
      `WITH purged AS (
         UPDATE onec_exchange_file SET bytes_purged_at = $3, bytes_archive = $2 WHERE id = ANY($1::text[]) AND bytes_purged_at IS NULL RETURNING id),
       gone AS (DELETE FROM onec_exchange_file_chunk c USING purged p WHERE c.file_id = p.id RETURNING 1)
       SELECT count(*) AS n FROM purged`,
      [batch.map((f) => f.id), archive, now],
    );
    const n = Number(purged?.n ?? 0);
    report.purged += n;
    // Nothing of the batch could be marked (changed meanwhile): stop rather than export it again and again.
    if (n === 0) break;
  }
}

/** One line: the file's metadata and `bytesBase64`, its chunks read in slices, base64 carried over slice ends (bounded memory). */
async function exportExchangeFile(db: Database, f: ExchangeFileMeta, write: (text: string) => Promise<void>): Promise<void> {
  const meta = {
    id: f.id,
    sessionId: f.session_id,
    sessionType: f.session_type,
    login: f.login,
    name: f.name,
    status: f.status,
    bytes: Number(f.size),
    chunks: f.chunks,
    unpackedFrom: f.unpacked_from,
    receivedAt: new Date(f.created_at).toISOString(),
    updatedAt: new Date(f.updated_at).toISOString(),
  };
  await write(`${JSON.stringify(meta).slice(0, -1)},"bytesBase64":"`);
  const chunks = await db.query<{ seq: number; size: number | string }>(`SELECT seq, octet_length(bytes) AS size FROM onec_exchange_file_chunk WHERE file_id = $1 ORDER BY seq`, [f.id]);
  // Chunks have any length (file_limit, the last one shorter): the bytes short of a multiple of 3 wait for the next slice.
  let carry = Buffer.alloc(0);
  for (const chunk of chunks) {
    for (let from = 1; from <= Number(chunk.size); from += ARCHIVE_SLICE_BYTES) {
      const [row] = await db.query<{ part: Uint8Array | null }>(`SELECT substring(bytes FROM $3 FOR $4) AS part FROM onec_exchange_file_chunk WHERE file_id = $1 AND seq = $2`, [
        f.id,
        chunk.seq,
        from,
        ARCHIVE_SLICE_BYTES,
      ]);
      const bytes = Buffer.concat([carry, Buffer.from(row?.part ?? new Uint8Array())]);
      const whole = bytes.byteLength - (bytes.byteLength % 3);
      await write(bytes.subarray(0, whole).toString('base64'));
      carry = bytes.subarray(whole);
    }
  }
  await write(`${carry.toString('base64')}"}\n`);
}
