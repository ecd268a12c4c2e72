import type { Database } from '../db/database.ts';
import type { SyncRun } from '../db/generated/client.ts';
import type { SyncTrigger } from '../ports.ts';

/** What one sync run did, page by page. */
/** What one sync request came to: skipped (another ran, or the channel is off) or a run with its counts. */
export type SyncOutcome =
  | { status: 'skipped'; reason: 'already running' | 'disabled'; channelId: string }
  | { status: 'succeeded'; channelId: string; runId: string; counts: SyncCounts };

export interface SyncCounts {
  pages: number;
  /** Records read from the pages (orders and unreadable records). */
  received: number;
  created: number;
  updated: number;
  /** Identical to what the hub holds, or older than it (stale). */
  unchanged: number;
  /** Records (or whole pages) that could not be read; listed on their raw payload. */
  failed: number;
}

export type SyncRunStatus = 'running' | 'succeeded' | 'failed';

export function emptyCounts(): SyncCounts {
  return { pages: 0, received: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
}

const MAX_ERROR_TEXT = 4000;

export function startSyncRun(db: Database, channelId: string, trigger: SyncTrigger): Promise<SyncRun> {
  return db.prisma.syncRun.create({ data: { channelId, trigger, status: 'running' } });
}

/** Writes the counts so far, so a long run shows its progress. */
export async function recordSyncProgress(db: Database, runId: string, counts: SyncCounts): Promise<void> {
  await db.prisma.syncRun.update({ where: { id: runId }, data: { ...counts } });
}

export interface SyncRunResult {
  status: Exclude<SyncRunStatus, 'running'>;
  counts: SyncCounts;
  errorCode?: string | undefined;
  error?: string | undefined;
}

export function finishSyncRun(db: Database, runId: string, result: SyncRunResult): Promise<SyncRun> {
  const error = result.error && result.error.length > MAX_ERROR_TEXT ? `${result.error.slice(0, MAX_ERROR_TEXT)}…` : result.error;
  return db.prisma.syncRun.update({
    where: { id: runId },
    data: {
      ...result.counts,
      status: result.status,
      errorCode: result.errorCode ?? null,
      error: error ?? null,
      finishedAt: new Date(),
    },
  });
}

/** The latest run of each given channel (for listings). */
export async function latestSyncRuns(db: Database, channelIds: string[]): Promise<Map<string, SyncRun>> {
  if (channelIds.length === 0) return new Map();
  const runs = await db.prisma.syncRun.findMany({
    where: { channelId: { in: channelIds } },
    orderBy: { startedAt: 'desc' },
    distinct: ['channelId'],
  });
  return new Map(runs.map((r) => [r.channelId, r]));
}
