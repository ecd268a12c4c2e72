import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { PageFate, PulledPage } from '../../connectors/_kit/definition.ts';
import { INTERRUPTED_RUN_CODE, reapOrphanedSyncRuns } from '../../core/channels/sync-reaper.ts';
import { LeaseHeartbeat } from './lease-heartbeat.ts';
import { acquireSyncLease, DEFAULT_LEASE_TTL_MS, leaseRemainingMs, releaseSyncLease, renewSyncLease, saveSyncStateUnderLease } from '../../core/channels/sync-lease.ts';
import { describePageErrors, emptyCounts, finishSyncRun, recordSyncProgress, runStatusFromPages, startSyncRun, type SyncCounts, type SyncOutcome, type SyncRunError, type SyncRunResult, type SyncRunWarning } from '../../core/channels/sync-runs.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import { archivePayload, recordPayloadVerdict, type ArchivedPayload } from '../../core/orders/raw-archive.ts';
import type { SyncTrigger } from '../../core/ports.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { reprocessPayload } from './process-payload.ts';
import { connectorConfig } from '../registry.ts';

export type { SyncOutcome };

/** Reported after each stored page. */
export interface SyncProgress {
  channelId: string;
  runId: string;
  /** The connector's page number. */
  page: number;
  /** How many pages the source says there are, when it says. */
  totalPages?: number | undefined;
  /** This page's own counts. */
  pageCounts: SyncCounts;
  /** What the page failed with (or the first record it could not read), if anything. */
  pageError?: SyncRunError | undefined;
  /** The run so far, this page included. */
  counts: SyncCounts;
}

export type SyncProgressListener = (progress: SyncProgress) => void;

export interface SyncOptions {
  /** Aborts the pull (graceful shutdown); the run is recorded as failed and retried later. */
  signal?: AbortSignal | undefined;
}

/**
 * One sync of one channel: pull the pages changed since the stored cursor, archive each page raw
 * before reading it, read it into orders, and move the cursor only after the page is stored.
 *
 * - A disabled channel is not synced, whatever the trigger: `skipped` with reason `disabled`.
 * - Holds the channel's DB lease for its whole length; when another sync holds it, returns
 *   `skipped` (`already running`) without touching anything.
 * - `options.signal` (shutdown) stops it between pages: the run is recorded as failed
 *   ("interrupted; will run again"), the lease is released, and an `upstream_unavailable`
 *   HubError (worth a retry) is thrown.
 * - Records a sync_run row, finished whatever happens: `succeeded` when every page was stored and
 *   read (no page at all included: `pages: 0`), `partial` when some pages failed (or held records it
 *   could not read), `failed` when no page could be read at all or the pull itself failed. The
 *   failed pages are kept on the run, and so are the connector's page warnings (also logged).
 * - A failure is logged before the failed run is recorded: a recording error cannot swallow it.
 * - A lost lease (another holder wrote it) stops the sync: `conflict` while that holder is live, a
 *   retryable failure when nobody holds it (see afterLostLease).
 * - Throws HubError when the run failed: permanent codes (unauthorized, upstream_rejected,
 *   invalid_data, ...) need a human, `upstream_unavailable`/`internal` are worth a retry. A run
 *   whose every page failed throws `upstream_unavailable` (retried); the run keeps the pages' codes.
 */
export async function syncChannel(
  ctx: ProcessorContext,
  channelId: string,
  trigger: SyncTrigger,
  onProgress?: SyncProgressListener,
  options: SyncOptions = {},
): Promise<SyncOutcome> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const ttlMs = ctx.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  if (!channel.enabled) {
    logger.info({ channelId, trigger }, `sync of "${channel.name}" skipped: the channel is disabled`);
    return { status: 'skipped', reason: 'disabled', channelId };
  }

  const owner = `${ctx.workerId ?? `${hostname()}/${process.pid}`}/${randomUUID()}`;
  const lease = await acquireSyncLease(db, channelId, owner, ttlMs);
  if (!lease) {
    const retryInMs = await leaseRemainingMs(db, channelId).catch(() => undefined);
    logger.info({ channelId, trigger, retryInMs }, 'sync skipped: another sync of this channel is running');
    return { status: 'skipped', reason: 'already running', channelId, retryInMs };
  }

  const heartbeat = new LeaseHeartbeat(ctx, lease, ttlMs, options.signal);
  const counts = emptyCounts();
  const pageErrors: SyncRunError[] = [];
  const warnings: SyncRunWarning[] = [];
  /** Pages that failed whole (nothing in them was read), as opposed to pages read in part. */
  let unreadPages = 0;
  let runId: string | undefined;
  try {
    // Holding the lease now, any run of this channel still `running` lost its worker: closed first.
    for (const reaped of await reapOrphanedSyncRuns(db, { channelId, heldBy: owner, previousLeaseUntil: channel.syncLeaseUntil })) {
      logger.warn({ channelId, runId: reaped.runId }, reaped.reason);
    }
    const run = await startSyncRun(db, channelId, trigger, owner);
    runId = run.id;
    logger.info({ channelId, runId, trigger }, `sync of "${channel.name}" started`);
    try {
      const connector = registry.requireConnector(channel.connectorType);
      if (!connector.pull) throw new HubError('not_allowed', `Connector "${connector.type}" cannot pull orders; channel "${channel.name}" only receives pushes.`);
      const config = connectorConfig(connector, channel.config, `Channel "${channel.name}" config`);

      const pages = connector.pull(config, channel.syncState ?? undefined, { signal: heartbeat.signal });
      // Once a page could not be archived, no later cursor may be saved: the cursor covers only stored pages.
      let cursorHeld = false;
      for await (const page of pages) {
        heartbeat.throwIfLost();
        if (page.warning) {
          warnings.push({ page: page.page, message: page.warning });
          // The connector's own words about the pull (cursors, paging), never the page's data.
          logger.warn({ channelId, runId, page: page.page }, `sync of "${channel.name}", page ${page.page}: ${page.warning}`);
        }
        const stored = await storePage(ctx, channelId, page);
        addCounts(counts, stored.counts);
        if (stored.error) pageErrors.push(stored.error);
        if (stored.unread) unreadPages += 1;
        if (!stored.fate.archived) cursorHeld = true;
        // The connector hears what became of the page before it is asked for the next one (an inbox moves the file by it).
        page.settled?.(stored.fate);
        if (page.state !== undefined && !cursorHeld && !(await saveSyncStateUnderLease(db, lease, page.state))) heartbeat.markLost();
        heartbeat.throwIfLost();
        if (!(await renewSyncLease(db, lease, ttlMs))) heartbeat.markLost();
        heartbeat.throwIfLost();
        await recordSyncProgress(db, runId, counts, warnings);
        onProgress?.({ channelId, runId, page: page.page, totalPages: page.totalPages, pageCounts: stored.counts, pageError: stored.error, counts: { ...counts } });
      }
      heartbeat.throwIfLost();
    } catch (error) {
      const failure = toHubError(error, channel.name, heartbeat, options.signal?.aborted === true, counts);
      // A shutdown is no outage of the shop: the run says `interrupted` (and is resumed at the next
      // start), while the error stays retryable for the job runner.
      const code = options.signal?.aborted === true && !heartbeat.lost ? INTERRUPTED_RUN_CODE : failure.code;
      const errors = [...pageErrors, { page: null, source: null, payloadId: null, code, message: failure.message }];
      // Logged first: a failure to record the run (the database is down) must not swallow the sync's own failure.
      logger.warn({ channelId, runId, code, permanent: failure.permanent, ...counts }, failure.message);
      await finishRunOrLog(ctx, runId, { status: 'failed', counts, errorCode: code, error: failure.message, errors, warnings });
      if (heartbeat.lost) throw await afterLostLease(ctx, channelId, channel.name, failure);
      throw failure;
    }
    const status = runStatusFromPages(counts.pages, pageErrors, unreadPages);
    if (status === 'failed') {
      // Retried like a failed pull: a page the source sent broken may come right on the next pull
      // (the broken ones stay archived, failed, for ops to see and reprocess).
      const first = pageErrors[0]!;
      const failure = new HubError('upstream_unavailable', `Sync of "${channel.name}" failed: ${describePageErrors(counts.pages, pageErrors)}`, { details: { errors: pageErrors } });
      logger.warn({ channelId, runId, code: failure.code, permanent: failure.permanent, ...counts }, `Sync of "${channel.name}" failed: ${pagesForLog(counts.pages, pageErrors)}`);
      await finishRunOrLog(ctx, runId, { status, counts, errorCode: first.code, error: failure.message, errors: pageErrors, warnings });
      throw failure;
    }
    if (status === 'partial') {
      const first = pageErrors[0]!;
      const error = `Sync of "${channel.name}" partly failed: ${describePageErrors(counts.pages, pageErrors)}`;
      logger.warn({ channelId, runId, code: first.code, ...counts }, `Sync of "${channel.name}" partly failed: ${pagesForLog(counts.pages, pageErrors)}`);
      await finishSyncRun(db, runId, { status, counts, errorCode: first.code, error, errors: pageErrors, warnings });
      return { status, channelId, runId, counts, errors: pageErrors, warnings };
    }
    await finishSyncRun(db, runId, { status, counts, warnings });
    const said = counts.pages === 0 ? ': the source had nothing (0 pages, 0 orders)' : '';
    const warned = warnings.length > 0 ? ` with ${warnings.length} warning(s)` : '';
    logger.info({ channelId, runId, ...counts, warnings: warnings.length }, `sync of "${channel.name}" succeeded${warned}${said}`);
    return { status, channelId, runId, counts, warnings };
  } finally {
    heartbeat.stop();
    await releaseSyncLease(db, lease).catch((error: unknown) => logger.error({ channelId, err: error }, 'could not release the sync lease (it will expire)'));
  }
}

/**
 * A lost lease means someone else wrote the channel's lease. While that holder is live, it syncs
 * the channel (from the cursor this sync could no longer move): nothing to do, `conflict` stands.
 * When nobody holds it now (the taker already ended, crashed, or the lease was cleared), the channel
 * may be left with no sync until the next cron: the sync fails retryable instead, and the job runner
 * (either one: BullMQ's retry of the same job id, the in-process slot's) runs it again after its
 * backoff, from the stored cursor. A retry that finds a holder by then is skipped and follows it up.
 */
async function afterLostLease(ctx: ProcessorContext, channelId: string, channelName: string, lost: HubError): Promise<HubError> {
  const holderMs = await leaseRemainingMs(ctx.db, channelId).catch(() => 0);
  if (holderMs > 0) return lost;
  (ctx.logger ?? silentLogger).warn({ channelId }, `sync of "${channelName}" lost its lease and nobody holds it now: it will run again`);
  return new HubError('upstream_unavailable', `Sync of "${channelName}" lost its lease and nobody holds it now; it will run again from the stored cursor.`, { cause: lost });
}

/** Records a failed run; a failure to record it is logged (the run's own failure was logged already) and the sync's failure is what is thrown. */
async function finishRunOrLog(ctx: ProcessorContext, runId: string, result: SyncRunResult): Promise<void> {
  try {
    await finishSyncRun(ctx.db, runId, result);
  } catch (error) {
    (ctx.logger ?? silentLogger).error({ runId, err: error }, `could not record the failed sync run ${runId} (it stays "running" until the reaper closes it): ${(error as Error).message}`);
  }
}

/**
 * Archives one page raw, then reads it (unless the same body was already read). Returns the page's
 * own counts, its error when the page failed or held records it could not read, and its fate for
 * the connector. A page that cannot be archived is reported as such and the pull goes on: one bad
 * page (an inbox file) never blocks the next.
 */
export async function storePage(ctx: ProcessorContext, channelId: string, page: PulledPage): Promise<{ counts: SyncCounts; error?: SyncRunError; unread?: boolean; fate: PageFate }> {
  const { db } = ctx;
  const counts = { ...emptyCounts(), pages: 1 };
  let archived: ArchivedPayload;
  try {
    archived = await archivePayload(db, { channelId, kind: 'pull', source: page.source, contentType: page.contentType, body: page.bytes ?? page.body, encoding: page.encoding });
  } catch (error) {
    // Said with NULs spelled out: what the archive refused must not make the run's record refused too.
    const source = page.source.replaceAll('\0', '\\0');
    const message = `${source} could not be archived: ${(error instanceof Error ? error.message : String(error)).replaceAll('\0', '\\0')}`;
    (ctx.logger ?? silentLogger).warn({ channelId, page: page.page, source }, `${source} could not be archived; the pull goes on with the next page`);
    counts.failed += 1;
    return { counts, error: { page: page.page, source, payloadId: null, code: 'internal', message }, unread: true, fate: { archived: false, error: message } };
  }
  const fate = (status: Extract<PageFate, { archived: true }>['status'], error: string | null | undefined): PageFate => ({ archived: true, payloadId: archived.id, status, error: error ?? undefined });
  const pageError = (code: string | null, message: string | null): SyncRunError => ({
    page: page.page,
    source: page.source,
    payloadId: archived.id,
    code: code ?? 'invalid_data',
    message: message ?? 'the page could not be read',
  });
  if (page.error) {
    await recordPayloadVerdict(db, archived.id, { status: 'failed', errorCode: page.error.code, error: page.error.message, orderCount: 0 });
    counts.failed += 1;
    return { counts, error: pageError(page.error.code, page.error.message), unread: true, fate: fate('failed', page.error.message) };
  }
  if (archived.duplicate && archived.status !== 'pending') {
    // The very same body was read before (an overlapping re-pull): its orders are what we hold.
    const stored = await db.prisma.rawPayload.findUnique({ where: { id: archived.id }, select: { orderCount: true, status: true, errorCode: true, error: true } });
    const orders = stored?.orderCount ?? 0;
    counts.unchanged += orders;
    counts.received += orders;
    const status = (stored?.status ?? 'parsed') as 'parsed' | 'partial' | 'failed' | 'skipped';
    if (stored && (stored.status === 'failed' || stored.status === 'partial')) {
      if (stored.status === 'failed') counts.failed += 1;
      return { counts, error: pageError(stored.errorCode, stored.error), unread: stored.status === 'failed', fate: fate(status, stored.error) };
    }
    return { counts, fate: fate(status, stored?.error) };
  }
  const outcome = await reprocessPayload(ctx, archived.id);
  // Whole-payload counts: a large file's outcome keeps only its first results and errors.
  counts.created += outcome.counts.created;
  counts.updated += outcome.counts.updated;
  counts.unchanged += outcome.counts.unchanged + outcome.counts.stale;
  // Rejected drafts are listed among the errors too.
  counts.failed += outcome.errorCount;
  counts.received += outcome.orderCount + outcome.errorCount;
  if (outcome.status === 'failed' || outcome.status === 'partial') return { counts, error: pageError(outcome.errorCode ?? null, outcome.error ?? null), unread: outcome.status === 'failed', fate: fate(outcome.status, outcome.error) };
  return { counts, fate: fate(outcome.status, outcome.error) };
}

/**
 * The failed pages for the log: which page, which payload, which code. Not the pages' error texts:
 * those quote what the payload held (customers' names, addresses) and stay on the run and the payload.
 */
function pagesForLog(pages: number, pageErrors: readonly SyncRunError[]): string {
  const listed = pageErrors.slice(0, 5).map((e) => `page ${e.page} (payload ${e.payloadId ?? 'not stored'}, ${e.code})`);
  return `${pageErrors.length} of ${pages} page(s) failed: ${listed.join(', ')}${pageErrors.length > listed.length ? ', …' : ''}; hub payloads list --failed shows why`;
}

function addCounts(total: SyncCounts, page: SyncCounts): void {
  for (const key of Object.keys(total) as (keyof SyncCounts)[]) total[key] += page[key];
}

const PERMANENT_CONNECTOR_CODES = new Set(['unauthorized', 'upstream_rejected', 'invalid_data']);

function toHubError(error: unknown, channelName: string, heartbeat: LeaseHeartbeat, interrupted: boolean, counts: SyncCounts): HubError {
  if (interrupted && !heartbeat.lost) {
    return new HubError('upstream_unavailable', `Sync of "${channelName}" interrupted; will run again (the hub is shutting down; ${counts.pages} page(s) were stored).`, { cause: error });
  }
  if (heartbeat.lost) {
    return new HubError('conflict', `Sync of "${channelName}" lost its lease to another holder (it ran past the lease without renewing, or the lease was taken from it) and stopped.`, { cause: error });
  }
  if (isHubError(error)) return error;
  if (error instanceof ConnectorError) {
    const code = PERMANENT_CONNECTOR_CODES.has(error.code) ? error.code : 'upstream_unavailable';
    const hint =
      error.code === 'unauthorized'
        ? ' Check the channel credentials (hub channels check).'
        : error.notBefore
          ? ` No attempt is worth making before ${error.notBefore.toISOString()}.`
          : error.code === 'upstream_unavailable'
            ? ' This looks temporary; the next attempt may succeed.'
            : '';
    const reason = error.message.replace(/[.\s]+$/, '');
    return new HubError(code, `Sync of "${channelName}" failed: ${reason}.${hint}`, { cause: error, details: { status: error.status } });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new HubError('upstream_unavailable', `Sync of "${channelName}" interrupted; will run again.`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HubError('internal', `Sync of "${channelName}" failed: ${message}`, { cause: error });
}
