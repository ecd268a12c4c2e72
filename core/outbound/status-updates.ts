import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import { notify } from '../distribution/distribution-records.ts';
import { HubError } from '../errors.ts';

/**
 * Status updates the hub owes channels (status write-back), as ops see them and as the sender works
 * them off. A row is its own timer: `pending` with `next_attempt_at` empty or past is due. Each
 * attempt's outcome is appended to `history`; the row ends `sent`, `skipped` (nothing to send, with
 * the reason) or `failed` (a permanent refusal at once, a passing one after MAX_WRITE_BACK_ATTEMPTS),
 * and a failure also lands in the manufacturer's notifications.
 */

export const STATUS_UPDATE_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type StatusUpdateState = (typeof STATUS_UPDATE_STATES)[number];

/** Wait after the 1st, 2nd, 3rd, 4th failed attempt; hourly after that. */
export const WRITE_BACK_BACKOFF_MINUTES = [1, 5, 15, 60] as const;
/** Attempts before a passing failure (network, 5xx, 429) becomes `failed`: about 7 hours of trying. */
export const MAX_WRITE_BACK_ATTEMPTS = 10;
/** A claimed update is not claimed again for this long (a sender that died mid-call is retried after it). */
export const WRITE_BACK_CLAIM_MS = 5 * 60_000;

export function writeBackDelayMs(failedAttempts: number): number {
  const minutes = WRITE_BACK_BACKOFF_MINUTES[Math.max(0, failedAttempts - 1)] ?? 60;
  return minutes * 60_000;
}

export interface StatusUpdateAttempt {
  at: string;
  outcome: 'sent' | 'failed' | 'skipped' | 'postponed' | 'retry_requested';
  message?: string | undefined;
  /** For failures: whether it is tried again. */
  retryable?: boolean | undefined;
  target?: string | undefined;
}

export interface StatusUpdateView {
  id: string;
  channelId: string;
  channelName: string;
  orderId: string;
  orderNumber: string | null;
  externalId: string;
  coreStatus: string;
  channelStatus: string | null;
  cause: string;
  state: StatusUpdateState;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  history: StatusUpdateAttempt[];
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StatusUpdateFilter {
  channelId?: string | undefined;
  state?: StatusUpdateState | undefined;
  orderId?: string | undefined;
  limit?: number | undefined;
}

const VIEW_INCLUDE = { channel: { select: { name: true } }, order: { select: { number: true } } } as const;
type Row = Prisma.ChannelStatusUpdateGetPayload<{ include: typeof VIEW_INCLUDE }>;

function view(row: Row): StatusUpdateView {
  return {
    id: row.id,
    channelId: row.channelId,
    channelName: row.channel.name,
    orderId: row.orderId,
    orderNumber: row.order.number,
    externalId: row.externalId,
    coreStatus: row.coreStatus,
    channelStatus: row.channelStatus,
    cause: row.cause,
    state: row.state as StatusUpdateState,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    lastError: row.lastError,
    history: Array.isArray(row.history) ? (row.history as unknown as StatusUpdateAttempt[]) : [],
    sentAt: row.sentAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Newest first. */
export async function listStatusUpdates(db: Database, filter: StatusUpdateFilter = {}): Promise<StatusUpdateView[]> {
  const rows = await db.prisma.channelStatusUpdate.findMany({
    where: {
      ...(filter.channelId && { channelId: filter.channelId }),
      ...(filter.state && { state: filter.state }),
      ...(filter.orderId && { orderId: filter.orderId }),
    },
    include: VIEW_INCLUDE,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(500, Math.max(1, filter.limit ?? 100)),
  });
  return rows.map(view);
}

export async function getStatusUpdate(db: Database, id: string): Promise<StatusUpdateView> {
  const row = await db.prisma.channelStatusUpdate.findUnique({ where: { id }, include: VIEW_INCLUDE });
  if (!row) throw new HubError('not_found', `Status update ${id} does not exist.`);
  return view(row);
}

/**
 * Ops: send a failed update again now, with a fresh series of attempts. Refused when a newer status
 * of the same order was queued since (sending the old one would turn the shop's order back).
 */
export async function retryStatusUpdate(db: Database, id: string, now: Date, by: string): Promise<StatusUpdateView> {
  await db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<Array<{ id: string; order_id: string; state: string; created_at: Date }>>(
      `SELECT id, order_id, state, created_at FROM channel_status_update WHERE id = $1 FOR UPDATE`,
      id,
    );
    const row = rows[0];
    if (!row) throw new HubError('not_found', `Status update ${id} does not exist.`);
    if (row.state !== 'failed') throw new HubError('conflict', `Status update ${id} is ${row.state}; only a failed one can be retried.`);
    const newer = await tx.channelStatusUpdate.findFirst({ where: { orderId: row.order_id, createdAt: { gt: row.created_at }, id: { not: id } }, select: { id: true, coreStatus: true } });
    if (newer) {
      throw new HubError('conflict', `Status update ${id} was superseded by a newer one (${newer.id}, ${newer.coreStatus}) for the same order; retry that one instead.`, {
        details: { newer: newer.id },
      });
    }
    await appendHistory(tx, id, { at: now.toISOString(), outcome: 'retry_requested', message: `retry requested by ${by}` });
    await tx.channelStatusUpdate.update({ where: { id }, data: { state: 'pending', attempts: 0, nextAttemptAt: null } });
  });
  return getStatusUpdate(db, id);
}

export interface ClaimedStatusUpdate {
  id: string;
  channelId: string;
  orderId: string;
  externalId: string;
  coreStatus: string;
  attempts: number;
}

/**
 * Takes up to `limit` due updates for sending, oldest first, and holds them for WRITE_BACK_CLAIM_MS
 * (their next_attempt_at moves on), so a sender running at the same time (a nudge and the minute's
 * tick, or two workers) never sends one twice.
 */
export async function claimDueStatusUpdates(db: Database, now: Date, limit = 50): Promise<ClaimedStatusUpdate[]> {
  const rows = await db.prisma.$queryRawUnsafe<Array<{ id: string; channel_id: string; order_id: string; external_id: string; core_status: string; attempts: number }>>(
    `UPDATE channel_status_update u SET next_attempt_at = $2::timestamptz, updated_at = $1::timestamptz
      WHERE u.id IN (SELECT id FROM channel_status_update
                      WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1::timestamptz)
                      ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING u.id, u.channel_id, u.order_id, u.external_id, u.core_status, u.attempts`,
    now.toISOString(),
    new Date(now.getTime() + WRITE_BACK_CLAIM_MS).toISOString(),
    limit,
  );
  return rows
    .map((r) => ({ id: r.id, channelId: r.channel_id, orderId: r.order_id, externalId: r.external_id, coreStatus: r.core_status, attempts: Number(r.attempts) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export type StatusUpdateOutcome =
  | { kind: 'sent'; channelStatus: string; target: string; statusNow?: string | undefined }
  | { kind: 'skipped'; reason: string; channelStatus?: string | undefined }
  | { kind: 'failed'; error: string; retryable: boolean; channelStatus?: string | undefined }
  /** Not tried (the channel is disabled): due again at `until`, no attempt counted. */
  | { kind: 'postponed'; reason: string; until: Date };

/** Records one attempt's outcome and moves the update on (sent, skipped, failed, or pending with its next attempt). */
export async function recordStatusUpdateOutcome(db: Database, id: string, outcome: StatusUpdateOutcome, now: Date): Promise<StatusUpdateView> {
  await db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<Array<{ state: string; attempts: number; order_id: string; core_status: string; channel_id: string }>>(
      `SELECT state, attempts, order_id, core_status, channel_id FROM channel_status_update WHERE id = $1 FOR UPDATE`,
      id,
    );
    const row = rows[0];
    if (!row) return;
    const pending = row.state === 'pending';
    const channelStatus = 'channelStatus' in outcome && outcome.channelStatus !== undefined ? { channelStatus: outcome.channelStatus } : {};
    switch (outcome.kind) {
      case 'sent':
        await appendHistory(tx, id, { at: now.toISOString(), outcome: 'sent', target: outcome.target, message: outcome.statusNow ? `the channel now shows ${outcome.statusNow}` : undefined });
        // Sent is what happened, even when a newer status superseded it meanwhile (that one follows).
        await tx.channelStatusUpdate.update({ where: { id }, data: { ...channelStatus, state: 'sent', attempts: row.attempts + 1, sentAt: now, nextAttemptAt: null, lastError: null } });
        return;
      case 'skipped':
        await appendHistory(tx, id, { at: now.toISOString(), outcome: 'skipped', message: outcome.reason });
        if (pending) await tx.channelStatusUpdate.update({ where: { id }, data: { ...channelStatus, state: 'skipped', nextAttemptAt: null, lastError: outcome.reason } });
        return;
      case 'postponed':
        await appendHistory(tx, id, { at: now.toISOString(), outcome: 'postponed', message: outcome.reason });
        if (pending) await tx.channelStatusUpdate.update({ where: { id }, data: { nextAttemptAt: outcome.until, lastError: outcome.reason } });
        return;
      case 'failed': {
        const attempts = row.attempts + 1;
        const final = !outcome.retryable || attempts >= MAX_WRITE_BACK_ATTEMPTS;
        await appendHistory(tx, id, { at: now.toISOString(), outcome: 'failed', message: outcome.error, retryable: !final });
        if (!pending) {
          await tx.channelStatusUpdate.update({ where: { id }, data: { ...channelStatus, attempts } });
          return;
        }
        if (!final) {
          await tx.channelStatusUpdate.update({
            where: { id },
            data: { ...channelStatus, attempts, lastError: outcome.error, nextAttemptAt: new Date(now.getTime() + writeBackDelayMs(attempts)) },
          });
          return;
        }
        await tx.channelStatusUpdate.update({ where: { id }, data: { ...channelStatus, state: 'failed', attempts, lastError: outcome.error, nextAttemptAt: null } });
        const channel = await tx.channel.findUnique({ where: { id: row.channel_id }, select: { name: true } });
        const why = outcome.retryable ? `after ${attempts} attempts` : 'the channel refused it';
        await notify(tx, null, row.order_id, 'status_write_back_failed',
          `Channel ${channel?.name ?? row.channel_id} did not take the order's status ${row.core_status} (${why}): ${outcome.error}`, now);
        return;
      }
    }
  });
  return getStatusUpdate(db, id);
}

async function appendHistory(tx: Prisma.TransactionClient, id: string, entry: StatusUpdateAttempt): Promise<void> {
  const clean = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  await tx.$executeRawUnsafe(`UPDATE channel_status_update SET history = history || $2::jsonb WHERE id = $1`, id, JSON.stringify([clean]));
}
