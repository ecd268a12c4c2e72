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
  /** Payload bodies in a final state (parsed, skipped, acknowledged failures) older than this are exported and dropped. */
  payloadDays: number;
  /** Finished sync runs older than this are deleted (each channel's last run and last successful run are kept). */
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
  jobs: { removed: number; note?: string | undefined } | null;
}

export interface RetentionOptions {
  dryRun?: boolean | undefined;
  now?: Date | undefined;
  /** Payloads exported and dropped per batch (one gzip member each). */
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
  const report: RetentionReport = { dryRun, payloads: { eligible: 0, bytes: 0, purged: 0, archive: null }, runs: { eligible: 0, deleted: 0 }, jobs: null };

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
    { dryRun, payloadsPurged: report.payloads.purged, payloadBytes: report.payloads.bytes, runsDeleted: report.runs.deleted, jobsRemoved: report.jobs?.removed ?? 0, archive: report.payloads.archive },
    dryRun
      ? `retention (dry run): ${report.payloads.eligible} payload bodies (${report.payloads.bytes} bytes) and ${report.runs.eligible} sync runs would go`
      : `retention: ${report.payloads.purged} payload bodies exported to ${report.payloads.archive ?? '-'} and dropped, ${report.runs.deleted} sync runs and ${report.jobs?.removed ?? 0} finished jobs removed`,
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
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(archive, { flags: 'a' }));
  const write = async (text: string): Promise<void> => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  try {
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
