import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import { decodeCursor, encodeCursor, FULL_ACCESS, inScope, pageSize, type AccessScope, type Page } from './order-queries.ts';
import type { RawPayloadKind, RawPayloadStatus } from './raw-archive.ts';
import { bodyForDisplay } from './raw-archive-text.ts';

export const RAW_PAYLOAD_STATUSES = ['pending', 'parsed', 'partial', 'failed', 'skipped'] as const satisfies readonly RawPayloadStatus[];
export const RAW_PAYLOAD_KINDS = ['pull', 'webhook', 'upload', 'push'] as const satisfies readonly RawPayloadKind[];

/**
 * `errors` is the ops shortcut for everything that needs a look: failed and partial, and pending
 * ones older than STALE_PENDING_MS (their processing job was lost or keeps failing).
 */
export type RawPayloadStatusFilter = RawPayloadStatus | 'errors';

/** A payload still `pending` this long after it arrived is stuck: swept, listed among the errors, reprocessed. */
export const STALE_PENDING_MS = 5 * 60_000;

/** Payloads still pending since before `now - STALE_PENDING_MS`. */
export function stalePendingWhere(now: Date = new Date()): Prisma.RawPayloadWhereInput {
  return { status: 'pending', receivedAt: { lt: new Date(now.getTime() - STALE_PENDING_MS) } };
}

/**
 * Payloads that need a look: failed or partial and not acknowledged by ops (core/orders/payload-attention.ts),
 * or stuck pending (see STALE_PENDING_MS). `includeAcknowledged`: acknowledged ones too.
 */
export function needsAttentionWhere(now: Date = new Date(), includeAcknowledged = false): Prisma.RawPayloadWhereInput {
  const failing: Prisma.RawPayloadWhereInput = { status: { in: ['failed', 'partial'] }, ...(!includeAcknowledged && { acknowledgedAt: null }) };
  return { OR: [failing, stalePendingWhere(now)] };
}

export interface RawPayloadFilter {
  status?: RawPayloadStatusFilter | undefined;
  channelId?: string | undefined;
  kind?: RawPayloadKind | undefined;
  /** With status `errors`: list the failed payloads ops acknowledged too (hidden by default). */
  includeAcknowledged?: boolean | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** A stored payload without its body (bodies can be megabytes; lists never carry them). */
export interface RawPayloadSummary {
  id: string;
  channelId: string;
  kind: string;
  source: string | null;
  contentType: string | null;
  /** How the stored bytes read: utf-8, iso-8859-2, utf-16le, …; gzip, zip or binary when they are not text. */
  encoding: string;
  hash: string;
  status: string;
  errorCode: string | null;
  error: string | null;
  orderCount: number;
  /** What the mapping noticed without rejecting anything (EDI envelope findings, a duplicate control number). */
  warnings: string[];
  attempts: number;
  receivedCount: number;
  receivedAt: string;
  lastReceivedAt: string;
  processedAt: string | null;
  /** Ops looked at this failure and let it be (it stays failed, off the "needs attention" list): when, who, why. */
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgeReason: string | null;
  /** A reprocess someone asked for read this once-failed payload: when, and who asked. */
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Retention dropped the body after exporting it to `bodyArchive` (the row stays). */
  bodyPurgedAt: string | null;
  bodyArchive: string | null;
}

export interface RawPayloadDetail extends RawPayloadSummary {
  /** The body decoded with its encoding; for a body that is not text, a hex dump of its start. */
  body: string;
  /** Whether `body` is the text (false: it is a hex preview, the bytes are in bodyBase64). */
  text: boolean;
  /** Size of the stored bytes. */
  bytes: number;
  /** The stored bytes, only when they are not text (a text body is `body` itself). */
  bodyBase64: string | null;
}

const SUMMARY_FIELDS = {
  id: true,
  channelId: true,
  kind: true,
  source: true,
  contentType: true,
  encoding: true,
  hash: true,
  status: true,
  errorCode: true,
  error: true,
  orderCount: true,
  warnings: true,
  attempts: true,
  receivedCount: true,
  receivedAt: true,
  lastReceivedAt: true,
  processedAt: true,
  acknowledgedAt: true,
  acknowledgedBy: true,
  acknowledgeReason: true,
  resolvedAt: true,
  resolvedBy: true,
  bodyPurgedAt: true,
  bodyArchive: true,
} as const satisfies Prisma.RawPayloadSelect;

type SummaryRow = Prisma.RawPayloadGetPayload<{ select: typeof SUMMARY_FIELDS }>;

/**
 * Payloads newest first by first arrival (received_at desc, id desc). received_at never changes,
 * so a duplicate arriving meanwhile does not move a payload between pages.
 */
export async function listRawPayloads(db: Database, filter: RawPayloadFilter = {}, scope: AccessScope = FULL_ACCESS): Promise<Page<RawPayloadSummary>> {
  const limit = pageSize(filter.limit);
  const and: Prisma.RawPayloadWhereInput[] = [];
  if (scope.channelIds !== undefined) and.push({ channelId: { in: [...scope.channelIds] } });
  if (filter.channelId !== undefined) and.push({ channelId: filter.channelId });
  if (filter.kind !== undefined) and.push({ kind: filter.kind });
  if (filter.status === 'errors') and.push(needsAttentionWhere(new Date(), filter.includeAcknowledged === true));
  else if (filter.status !== undefined) and.push({ status: { in: statusesFor(filter.status) } });
  if (filter.cursor !== undefined) {
    const cursor = decodeCursor(filter.cursor);
    const at = new Date(cursor.at);
    and.push({ OR: [{ receivedAt: { lt: at } }, { receivedAt: at, id: { lt: cursor.id } }] });
  }
  const rows = await db.prisma.rawPayload.findMany({
    where: { AND: and },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: SUMMARY_FIELDS,
  });
  const items = rows.slice(0, limit).map(toSummary);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.receivedAt, id: last.id }) : null };
}

/** One payload with its body: the stored bytes read with their encoding, or shown as bytes when they are not text. */
export async function getRawPayload(db: Database, id: string, scope: AccessScope = FULL_ACCESS): Promise<RawPayloadDetail> {
  const row = await db.prisma.rawPayload.findUnique({ where: { id }, select: { ...SUMMARY_FIELDS, body: true } });
  if (!row || !inScope(scope, row.channelId)) throw new HubError('not_found', `Raw payload ${id} does not exist.`);
  const shown = bodyForDisplay(row);
  return {
    ...toSummary(row),
    body: shown.body,
    text: shown.text,
    bytes: row.body.length,
    bodyBase64: shown.text ? null : Buffer.from(row.body).toString('base64'),
  };
}

function statusesFor(status: RawPayloadStatus): string[] {
  if (!(RAW_PAYLOAD_STATUSES as readonly string[]).includes(status)) {
    throw new HubError('invalid_data', `"${status}" is not a payload status (${RAW_PAYLOAD_STATUSES.join(', ')}, errors).`, { field: 'status' });
  }
  return [status];
}

function toSummary(row: SummaryRow): RawPayloadSummary {
  return {
    id: row.id,
    channelId: row.channelId,
    kind: row.kind,
    source: row.source,
    contentType: row.contentType,
    encoding: row.encoding,
    hash: row.hash,
    status: row.status,
    errorCode: row.errorCode,
    error: row.error,
    orderCount: row.orderCount,
    warnings: Array.isArray(row.warnings) ? row.warnings.map(String) : [],
    attempts: row.attempts,
    receivedCount: row.receivedCount,
    receivedAt: row.receivedAt.toISOString(),
    lastReceivedAt: row.lastReceivedAt.toISOString(),
    processedAt: row.processedAt ? row.processedAt.toISOString() : null,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: row.acknowledgedBy,
    acknowledgeReason: row.acknowledgeReason,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    resolvedBy: row.resolvedBy,
    bodyPurgedAt: row.bodyPurgedAt?.toISOString() ?? null,
    bodyArchive: row.bodyArchive,
  };
}
