import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { sha256 } from './content-hash.ts';

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
  body: string;
}

export interface ArchivedPayload {
  id: string;
  /** The same body had already arrived on this channel (a retry, a re-pulled page). */
  duplicate: boolean;
  status: RawPayloadStatus;
}

/**
 * Stores an inbound payload before anything parses it. The same body on the same channel is
 * stored once and counted, so retries and re-pulled pages do not grow the archive.
 */
export async function archivePayload(db: Database, input: ArchiveInput): Promise<ArchivedPayload> {
  const rows = await db.query<{ id: string; status: RawPayloadStatus; inserted: boolean }>(
    `INSERT INTO raw_payload (id, channel_id, kind, source, content_type, body, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (channel_id, hash) DO UPDATE
       SET received_count = raw_payload.received_count + 1, last_received_at = now()
     RETURNING id, status, (xmax = 0) AS inserted`,
    [randomUUID(), input.channelId, input.kind, input.source ?? null, input.contentType ?? null, input.body, sha256(input.body)],
  );
  const row = rows[0]!;
  return { id: row.id, duplicate: !row.inserted, status: row.status };
}

export interface PayloadVerdict {
  status: Exclude<RawPayloadStatus, 'pending'>;
  errorCode?: string | undefined;
  error?: string | undefined;
  orderCount: number;
}

export async function recordPayloadVerdict(db: Database, id: string, verdict: PayloadVerdict): Promise<void> {
  await db.prisma.rawPayload.update({
    where: { id },
    data: {
      status: verdict.status,
      errorCode: verdict.errorCode ?? null,
      error: verdict.error ?? null,
      orderCount: verdict.orderCount,
      attempts: { increment: 1 },
      unfinishedTries: 0,
      processedAt: new Date(),
    },
  });
}
