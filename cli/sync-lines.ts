import { runWarningsOf, type SyncCounts, type SyncRunError } from '../core/channels/sync-runs.ts';
import { runErrorSummary } from '../core/channels/sync-status.ts';
import type { SyncRun } from '../core/db/generated/client.ts';
import type { SyncProgress } from '../jobs/processors/sync-channel.ts';

/** How `hub channels sync` and `hub channels list` put a sync into words. */

export function describeCounts(counts: Pick<SyncCounts, 'created' | 'updated' | 'unchanged' | 'failed'>): string {
  return `+${counts.created} new, ${counts.updated} changed, ${counts.unchanged} unchanged${counts.failed ? `, ${counts.failed} failed` : ''}`;
}

/**
 * One line per stored page: its number (of the source's total, when it gives one), that page's own
 * counts, then the run's total so far, labelled; a second line when the page failed.
 */
export function progressLines(progress: SyncProgress): string[] {
  const of = progress.totalPages ? ` of ${progress.totalPages}` : '';
  const lines = [`  page ${progress.page}${of}: ${describeCounts(progress.pageCounts)} | total so far: ${progress.counts.pages} page(s), ${describeCounts(progress.counts)}`];
  const error = progress.pageError;
  if (error) {
    const read = progress.pageCounts.created + progress.pageCounts.updated + progress.pageCounts.unchanged;
    lines.push(`    page ${progress.page} ${read === 0 ? 'failed' : 'partly failed'}: ${error.code}: ${error.message} (hub payloads show ${error.payloadId})`);
  }
  return lines;
}

const MAX_LISTED_ERROR = 80;

/**
 * "succeeded 3m ago (+2, ~1)", "succeeded … (0 pages, 0 orders)", "partial … (+2, ~1; 1 error, first: page 1: …)",
 * "failed …: code (2 errors, first: …)"; then "; 1 warning: …" when the connector warned.
 */
export function describeLastRun(run: SyncRun, now: Date = new Date()): string {
  const when = ago(run.startedAt, now);
  const { errorCount, firstError } = runErrorSummary(run);
  const errors = firstError ? `${errorCount} error${errorCount === 1 ? '' : 's'}, first: ${shortError(firstError)}` : '';
  const runWarnings = runWarningsOf(run);
  const firstWarning = runWarnings[0];
  const warnings = firstWarning ? `; ${runWarnings.length} warning${runWarnings.length === 1 ? '' : 's'}: page ${firstWarning.page}: ${clipped(firstWarning.message)}` : '';
  if (run.status === 'failed') return `failed ${when}: ${run.errorCode ?? 'error'}${errors ? ` (${errors})` : ''}${warnings}`;
  // A run that read nothing says so, rather than "+0, ~0".
  const counts = run.pages === 0 || run.received === 0 ? `${run.pages} page${run.pages === 1 ? '' : 's'}, ${run.received} orders` : `+${run.created}, ~${run.updated}`;
  if (run.status === 'partial') return `partial ${when} (${counts}; ${errors})${warnings}`;
  return `${run.status} ${when} (${counts})${warnings}`;
}

function clipped(message: string): string {
  return message.length > MAX_LISTED_ERROR ? `${message.slice(0, MAX_LISTED_ERROR)}…` : message;
}

function shortError(error: SyncRunError): string {
  const where = error.page === null ? 'the pull' : `page ${error.page}`;
  const message = error.message.length > MAX_LISTED_ERROR ? `${error.message.slice(0, MAX_LISTED_ERROR)}…` : error.message;
  return `${where}: ${message}`;
}

export function ago(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 90) return `${seconds}s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)}h ago`;
  return date.toISOString().slice(0, 10);
}
