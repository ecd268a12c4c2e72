import type { Database } from '../db/database.ts';
import type { SyncRun } from '../db/generated/client.ts';
import { HubError } from '../errors.ts';
import { FULL_ACCESS, inScope, type AccessScope } from '../orders/order-queries.ts';
import { runErrorsOf, runWarningsOf, type SyncRunError, type SyncRunWarning } from './sync-runs.ts';

export const RECENT_RUNS = 10;

export interface SyncRunView {
  id: string;
  /** schedule | manual | demo | reconcile | resync */
  trigger: string;
  /** running | succeeded | partial (some pages failed) | failed */
  status: string;
  startedAt: string;
  finishedAt: string | null;
  counts: { pages: number; received: number; created: number; updated: number; unchanged: number; failed: number };
  errorCode: string | null;
  error: string | null;
  /** How many things failed: pages, and the pull itself when it broke off. */
  errorCount: number;
  firstError: SyncRunError | null;
  /** Everything that failed, in order. */
  errors: SyncRunError[];
  /** What the connector warned about without failing anything (a cursor reset, paging by offset). */
  warnings: SyncRunWarning[];
  /** What a reconciliation found (checked, missing, stale, fetched, failed…) or what a resync did (since, previousState). */
  findings: Record<string, unknown> | null;
  /** Who asked (a resync, a reconciliation run by hand). */
  requestedBy: string | null;
}

export interface ChannelSyncStatus {
  channelId: string;
  enabled: boolean;
  syncSchedule: string;
  /** A worker holds the channel's sync lease right now (judged by the database clock). */
  running: boolean;
  leaseUntil: string | null;
  lastRun: SyncRunView | null;
  /** When the newest successful run finished. */
  lastSuccessAt: string | null;
  /** The newest run that ended in (or carried) an error. */
  lastError: { runId: string; at: string; code: string | null; message: string | null } | null;
  /** The newest runs first. */
  recentRuns: SyncRunView[];
}

/** What ops need to know about a channel's syncs. Read-only: sync_run rows are written by the jobs. */
export async function channelSyncStatus(db: Database, channelId: string, scope: AccessScope = FULL_ACCESS): Promise<ChannelSyncStatus> {
  // The lease is compared with the database's clock, the same clock the workers take it with.
  const channels = await db.query<{ enabled: boolean; sync_schedule: string; lease_until: Date | string | null; running: boolean }>(
    `SELECT enabled, sync_schedule, sync_lease_until AS lease_until,
            coalesce(sync_lease_until > now(), false) AS running
       FROM channel WHERE id = $1`,
    [channelId],
  );
  const channel = channels[0];
  if (!channel || !inScope(scope, channelId)) throw new HubError('not_found', `Channel ${channelId} does not exist.`);

  const [recent, lastSuccess, lastError] = await Promise.all([
    db.prisma.syncRun.findMany({ where: { channelId }, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: RECENT_RUNS }),
    db.prisma.syncRun.findFirst({ where: { channelId, status: 'succeeded' }, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }] }),
    db.prisma.syncRun.findFirst({
      where: { channelId, OR: [{ status: 'failed' }, { error: { not: null } }] },
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    }),
  ]);
  const recentRuns = recent.map(toView);
  return {
    channelId,
    enabled: channel.enabled,
    syncSchedule: channel.sync_schedule,
    running: channel.running === true,
    leaseUntil: channel.lease_until === null ? null : new Date(channel.lease_until).toISOString(),
    lastRun: recentRuns[0] ?? null,
    lastSuccessAt: lastSuccess ? (lastSuccess.finishedAt ?? lastSuccess.startedAt).toISOString() : null,
    lastError: lastError
      ? { runId: lastError.id, at: (lastError.finishedAt ?? lastError.startedAt).toISOString(), code: lastError.errorCode, message: lastError.error }
      : null,
    recentRuns,
  };
}

function toView(run: SyncRun): SyncRunView {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt ? run.finishedAt.toISOString() : null,
    counts: { pages: run.pages, received: run.received, created: run.created, updated: run.updated, unchanged: run.unchanged, failed: run.failed },
    errorCode: run.errorCode,
    error: run.error,
    ...runErrorSummary(run),
    warnings: runWarningsOf(run),
    findings: run.findings && typeof run.findings === 'object' && !Array.isArray(run.findings) ? (run.findings as Record<string, unknown>) : null,
    requestedBy: run.requestedBy,
  };
}

/** A run's errors with their count and the first (for views and listings). */
export function runErrorSummary(run: SyncRun): { errorCount: number; firstError: SyncRunError | null; errors: SyncRunError[] } {
  const errors = runErrorsOf(run);
  return { errorCount: errors.length, firstError: errors[0] ?? null, errors };
}

/** A channel's last run in a listing: its state, counts, and for partial/failed the error count and the first error. */
export interface LastSyncSummary {
  status: string;
  startedAt: string;
  finishedAt: string | null;
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errorCode: string | null;
  error: string | null;
  errorCount: number;
  firstError: SyncRunError | null;
  warnings: SyncRunWarning[];
}

export function lastSyncSummary(run: SyncRun): LastSyncSummary {
  const { errorCount, firstError } = runErrorSummary(run);
  return {
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    pages: run.pages,
    created: run.created,
    updated: run.updated,
    unchanged: run.unchanged,
    failed: run.failed,
    errorCode: run.errorCode,
    error: run.error,
    errorCount,
    firstError,
    warnings: runWarningsOf(run),
  };
}
