import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { acquireSyncLease, DEFAULT_LEASE_TTL_MS, releaseSyncLease, renewSyncLease, saveSyncStateUnderLease, type SyncLease } from '../../core/channels/sync-lease.ts';
import { emptyCounts, finishSyncRun, recordSyncProgress, startSyncRun, type SyncCounts, type SyncOutcome } from '../../core/channels/sync-runs.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import { assertValid } from '../../core/model/validate.ts';
import { archivePayload, recordPayloadVerdict } from '../../core/orders/raw-archive.ts';
import type { SyncTrigger } from '../../core/ports.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { reprocessPayload } from './process-payload.ts';

export type { SyncOutcome };

export interface SyncProgress {
  channelId: string;
  runId: string;
  page: number;
  totalPages?: number | undefined;
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
 * - Records a sync_run row, finished whatever happens.
 * - Throws HubError when the run failed: permanent codes (unauthorized, upstream_rejected,
 *   invalid_data, ...) need a human, `upstream_unavailable`/`internal` are worth a retry.
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
    logger.info({ channelId, trigger }, 'sync skipped: another sync of this channel is running');
    return { status: 'skipped', reason: 'already running', channelId };
  }

  const heartbeat = new LeaseHeartbeat(ctx, lease, ttlMs, options.signal);
  const counts = emptyCounts();
  let runId: string | undefined;
  try {
    const run = await startSyncRun(db, channelId, trigger);
    runId = run.id;
    logger.info({ channelId, runId, trigger }, `sync of "${channel.name}" started`);
    try {
      const connector = registry.requireConnector(channel.connectorType);
      if (!connector.pull) throw new HubError('not_allowed', `Connector "${connector.type}" cannot pull orders; channel "${channel.name}" only receives pushes.`);
      const spec = connector.spec;
      const config = assertValid(spec, Value.Default(spec, structuredClone(channel.config ?? {})), `Channel "${channel.name}" config`);

      const pages = connector.pull(config, channel.syncState ?? undefined, { signal: heartbeat.signal });
      for await (const page of pages) {
        heartbeat.throwIfLost();
        await storePage(ctx, channelId, page, counts);
        counts.pages += 1;
        if (page.state !== undefined && !(await saveSyncStateUnderLease(db, lease, page.state))) heartbeat.markLost();
        heartbeat.throwIfLost();
        if (!(await renewSyncLease(db, lease, ttlMs))) heartbeat.markLost();
        heartbeat.throwIfLost();
        await recordSyncProgress(db, runId, counts);
        onProgress?.({ channelId, runId, page: page.page, totalPages: page.totalPages, counts: { ...counts } });
      }
      heartbeat.throwIfLost();
    } catch (error) {
      const failure = toHubError(error, channel.name, heartbeat, options.signal?.aborted === true, counts);
      await finishSyncRun(db, runId, { status: 'failed', counts, errorCode: failure.code, error: failure.message });
      logger.warn({ channelId, runId, code: failure.code, permanent: failure.permanent }, failure.message);
      throw failure;
    }
    await finishSyncRun(db, runId, { status: 'succeeded', counts });
    logger.info({ channelId, runId, ...counts }, `sync of "${channel.name}" succeeded`);
    return { status: 'succeeded', channelId, runId, counts };
  } finally {
    heartbeat.stop();
    await releaseSyncLease(db, lease).catch((error: unknown) => logger.error({ channelId, err: error }, 'could not release the sync lease (it will expire)'));
  }
}

/** Archives one page raw, then reads it (unless the same body was already read) and counts. */
async function storePage(ctx: ProcessorContext, channelId: string, page: PulledPage, counts: SyncCounts): Promise<void> {
  const { db } = ctx;
  const archived = await archivePayload(db, { channelId, kind: 'pull', source: page.source, contentType: page.contentType, body: page.body });
  if (page.error) {
    await recordPayloadVerdict(db, archived.id, { status: 'failed', errorCode: page.error.code, error: page.error.message, orderCount: 0 });
    counts.failed += 1;
    return;
  }
  if (archived.duplicate && archived.status !== 'pending') {
    // The very same body was read before (an overlapping re-pull): its orders are what we hold.
    const stored = await db.prisma.rawPayload.findUnique({ where: { id: archived.id }, select: { orderCount: true } });
    const orders = stored?.orderCount ?? 0;
    counts.unchanged += orders;
    counts.received += orders;
    return;
  }
  const outcome = await reprocessPayload(ctx, archived.id);
  for (const result of outcome.results) {
    if (result.outcome === 'created') counts.created += 1;
    else if (result.outcome === 'updated') counts.updated += 1;
    else if (result.outcome === 'unchanged' || result.outcome === 'stale') counts.unchanged += 1;
  }
  // Rejected drafts are listed among the errors too.
  counts.failed += outcome.errors.length;
  counts.received += outcome.results.filter((r) => r.outcome !== 'rejected').length + outcome.errors.length;
}

const PERMANENT_CONNECTOR_CODES = new Set(['unauthorized', 'upstream_rejected', 'invalid_data']);

function toHubError(error: unknown, channelName: string, heartbeat: LeaseHeartbeat, interrupted: boolean, counts: SyncCounts): HubError {
  if (interrupted && !heartbeat.lost) {
    return new HubError('upstream_unavailable', `Sync of "${channelName}" interrupted; will run again (the hub is shutting down; ${counts.pages} page(s) were stored).`, { cause: error });
  }
  if (heartbeat.lost) {
    return new HubError('conflict', `Sync of "${channelName}" lost its lease (it ran past the lease without renewing) and stopped; another sync took over.`, { cause: error });
  }
  if (isHubError(error)) return error;
  if (error instanceof ConnectorError) {
    const code = PERMANENT_CONNECTOR_CODES.has(error.code) ? error.code : 'upstream_unavailable';
    const hint =
      error.code === 'unauthorized'
        ? ' Check the channel credentials (hub channels check).'
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

/**
 * Keeps the lease alive while a slow page is fetched (connector retries can take a while), and
 * aborts the pull when the lease turns out to be lost.
 */
class LeaseHeartbeat {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  lost = false;

  constructor(ctx: ProcessorContext, lease: SyncLease, ttlMs: number, external: AbortSignal | undefined) {
    if (external) {
      if (external.aborted) this.#controller.abort(external.reason);
      else external.addEventListener('abort', () => this.#controller.abort(external.reason), { once: true });
    }
    this.#timer = setInterval(() => {
      renewSyncLease(ctx.db, lease, ttlMs).then(
        (held) => {
          if (!held) this.markLost();
        },
        () => undefined, // a failed heartbeat is retried on the next beat; the lease has slack
      );
    }, Math.max(50, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  markLost(): void {
    this.lost = true;
    this.#controller.abort(new HubError('conflict', 'sync lease lost'));
  }

  throwIfLost(): void {
    if (this.lost) throw new HubError('conflict', 'sync lease lost');
    if (this.#controller.signal.aborted) {
      const error = new Error('sync aborted');
      error.name = 'AbortError';
      throw error;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
