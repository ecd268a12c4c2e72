import type { Database } from '../db/database.ts';
import type { SyncRun } from '../db/generated/client.ts';
import type { SyncTrigger } from '../ports.ts';

/**
 * What one sync request came to: skipped (another ran, or the channel is off) or a run with its
 * counts. A run whose every page failed is not an outcome: it throws (and is retried like any failure).
 */
export type SyncOutcome =
  | { status: 'skipped'; reason: 'already running' | 'disabled'; channelId: string; /** already running: when the holder's lease ends (try again then at the latest). */ retryInMs?: number | undefined }
  | { status: 'succeeded'; channelId: string; runId: string; counts: SyncCounts; warnings?: SyncRunWarning[] | undefined }
  | { status: 'partial'; channelId: string; runId: string; counts: SyncCounts; errors: SyncRunError[]; warnings?: SyncRunWarning[] | undefined };

/** What a connector warned about on a page without failing it (a cursor in the future was reset, the store ignores modified_after). */
export interface SyncRunWarning {
  /** The connector's page number. */
  page: number;
  message: string;
}

/** Something that failed in a run, kept on it: a page (failed, or read only in part), or the pull itself. */
export interface SyncRunError {
  /** The connector's page number; null when the pull itself failed. */
  page: number | null;
  source: string | null;
  /** The raw payload the page is archived as (hub payloads show <id>). */
  payloadId: string | null;
  code: string;
  message: string;
}

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

export type SyncRunStatus = 'running' | 'succeeded' | 'partial' | 'failed';

export function emptyCounts(): SyncCounts {
  return { pages: 0, received: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
}

const MAX_ERROR_TEXT = 4000;

/** `leaseOwner`: the sync lease holder running it (a run whose holder is gone is reaped: sync-reaper.ts). */
export function startSyncRun(db: Database, channelId: string, trigger: SyncTrigger, leaseOwner?: string): Promise<SyncRun> {
  return db.prisma.syncRun.create({ data: { channelId, trigger, status: 'running', leaseOwner: leaseOwner ?? null } });
}

/** Writes the counts (and the connector's warnings) so far, so a long run shows its progress. */
export async function recordSyncProgress(db: Database, runId: string, counts: SyncCounts, warnings?: readonly SyncRunWarning[]): Promise<void> {
  await db.prisma.syncRun.update({ where: { id: runId }, data: { ...counts, ...(warnings && warnings.length > 0 && { warnings: warnings.map((w) => ({ ...w, message: clip(w.message) })) }) } });
}

export interface SyncRunResult {
  status: Exclude<SyncRunStatus, 'running'>;
  counts: SyncCounts;
  errorCode?: string | undefined;
  error?: string | undefined;
  errors?: SyncRunError[] | undefined;
  warnings?: SyncRunWarning[] | undefined;
}

/**
 * The run's status from its pages: succeeded when no page failed (zero pages included: the source
 * had nothing new, and the run says `pages: 0`); failed when there were pages and none of them was
 * read at all (`unreadPages` of `pages`); partial in between, including pages read only in part.
 */
export function runStatusFromPages(pages: number, pageErrors: readonly SyncRunError[], unreadPages: number = pageErrors.length): 'succeeded' | 'partial' | 'failed' {
  if (pageErrors.length === 0) return 'succeeded';
  // One error per page at most; a page read in part has an error but is not unread.
  return pages > 0 && unreadPages >= pages ? 'failed' : 'partial';
}

/** One line for a run's page errors: how many, and the first. */
export function describePageErrors(pages: number, pageErrors: readonly SyncRunError[]): string {
  const first = pageErrors[0];
  if (!first) return '';
  return `${pageErrors.length} of ${pages} page(s) failed; first: ${describeRunError(first)}`;
}

/** "page 2 (source, payload id): message", or the pull's own failure. */
export function describeRunError(error: SyncRunError): string {
  if (error.page === null) return `the pull: ${error.message}`;
  return `page ${error.page} (${error.source}, payload ${error.payloadId}): ${error.message}`;
}

export function finishSyncRun(db: Database, runId: string, result: SyncRunResult): Promise<SyncRun> {
  const error = result.error === undefined ? undefined : clip(result.error);
  return db.prisma.syncRun.update({
    where: { id: runId },
    data: {
      ...result.counts,
      status: result.status,
      errorCode: result.errorCode ?? null,
      error: error ?? null,
      errors: (result.errors ?? []).map((e) => ({ ...e, message: clip(e.message) })),
      warnings: (result.warnings ?? []).map((w) => ({ ...w, message: clip(w.message) })),
      finishedAt: new Date(),
    },
  });
}

function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

/** The errors stored on a run (a JSON column). */
export function runErrorsOf(run: SyncRun): SyncRunError[] {
  return Array.isArray(run.errors) ? (run.errors as unknown as SyncRunError[]) : [];
}

/** The connector warnings stored on a run (a JSON column). */
export function runWarningsOf(run: SyncRun): SyncRunWarning[] {
  return Array.isArray(run.warnings) ? (run.warnings as unknown as SyncRunWarning[]) : [];
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
