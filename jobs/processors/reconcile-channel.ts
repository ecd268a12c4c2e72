import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import type { ConnectorDefinition, OrderStamp, PulledPage } from '../../connectors/_kit/definition.ts';
import {
  compareStamps,
  DEFAULT_RECONCILE_SCHEDULE,
  hubOrderStamps,
  RECONCILE_OFF,
  reconcileFindings,
  reconcileWindow,
  recordRunFindings,
  type ReconcileFindings,
} from '../../core/channels/reconciliation.ts';
import { acquireSyncLease, DEFAULT_LEASE_TTL_MS, releaseSyncLease, saveSyncStateUnderLease } from '../../core/channels/sync-lease.ts';
import { LeaseHeartbeat } from './lease-heartbeat.ts';
import { emptyCounts, finishSyncRun, startSyncRun, type SyncCounts, type SyncRunError } from '../../core/channels/sync-runs.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import { connectorConfig } from '../registry.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { storePage } from './sync-channel.ts';

export type ReconcileOutcome =
  | { status: 'skipped'; reason: 'already running' | 'disabled'; channelId: string }
  | { status: 'succeeded' | 'partial'; channelId: string; runId: string; counts: SyncCounts; findings: ReconcileFindings };

export interface ReconcileOptions {
  /** Compare from this moment instead of the channel's window (now − reconcileWindowDays). */
  since?: Date | undefined;
  now?: (() => Date) | undefined;
  signal?: AbortSignal | undefined;
  /** Who asked (CLI user, API principal); null for the schedule. */
  requestedBy?: string | undefined;
}

/**
 * One reconciliation of one channel: the connector lists the shop's order ids and modification times
 * over the window, core compares them with the hub's orders, and what is missing or stale is fetched
 * (`fetchOrders`, else `fetchOrder` one by one), each page archived raw and read like a pulled page.
 * Holds the channel's sync lease (a sync and a reconciliation never overlap); the cursor is not touched.
 * Recorded as a sync run with trigger `reconcile` and its findings (checked, missing, stale, fetched,
 * failed): `succeeded` when every missing or stale order is now held current, `partial` otherwise.
 * A listing that fails fails the run (and throws, like a failed sync).
 */
export async function reconcileChannel(ctx: ProcessorContext, channelId: string, options: ReconcileOptions = {}): Promise<ReconcileOutcome> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const ttlMs = ctx.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  if (!channel.enabled) return { status: 'skipped', reason: 'disabled', channelId };
  const connector = registry.requireConnector(channel.connectorType) as ConnectorDefinition;
  if (!connector.listOrders) throw new HubError('not_allowed', `Connector "${connector.type}" cannot list orders; channel "${channel.name}" cannot be reconciled.`);
  const config = connectorConfig(connector, channel.config, `Channel "${channel.name}" config`);

  const owner = `${ctx.workerId ?? `${hostname()}/${process.pid}`}/${randomUUID()}`;
  const lease = await acquireSyncLease(db, channelId, owner, ttlMs);
  if (!lease) {
    logger.info({ channelId }, 'reconciliation skipped: a sync of this channel is running');
    return { status: 'skipped', reason: 'already running', channelId };
  }
  const heartbeat = new LeaseHeartbeat(ctx, lease, ttlMs, options.signal);

  const counts = emptyCounts();
  const errors: SyncRunError[] = [];
  let run: Awaited<ReturnType<typeof startSyncRun>>;
  try {
    run = await startSyncRun(db, channelId, 'reconcile');
  } catch (error) {
    heartbeat.stop();
    await releaseSyncLease(db, lease).catch(() => undefined);
    throw error;
  }
  const window = reconcileWindow((options.now ?? (() => new Date()))(), channel.reconcileWindowDays, options.since);
  logger.info({ channelId, runId: run.id, since: window.since.toISOString() }, `reconciliation of "${channel.name}" started`);
  try {
    const listed: OrderStamp[] = [];
    const warnings: string[] = [];
    /** Listing answers that are whole orders (UNAS): read when they hold a missing or stale order. */
    const payloads: { page: PulledPage; ids: Set<string> }[] = [];
    for await (const page of connector.listOrders(config, window, { signal: heartbeat.signal, state: channel.syncState ?? undefined })) {
      if (heartbeat.lost) throw new HubError('conflict', 'sync lease lost');
      listed.push(...page.orders);
      if (page.payload) payloads.push({ page: page.payload, ids: new Set(page.orders.map((o) => o.externalId)) });
      // A call budget spent (never a moved cursor): stored under the lease like a pull's state.
      if (page.state !== undefined && !(await saveSyncStateUnderLease(db, lease, page.state))) throw new HubError('conflict', 'sync lease lost');
      if (page.warning) {
        warnings.push(page.warning);
        logger.warn({ channelId, runId: run.id, page: page.page }, page.warning);
      }
    }
    const comparison = compareStamps(listed, await hubOrderStamps(db, channelId, [...new Set(listed.map((s) => s.externalId))]));
    const wanted = [...comparison.missing, ...comparison.stale];

    const store = async (page: PulledPage): Promise<void> => {
      if (heartbeat.lost) throw new HubError('conflict', 'sync lease lost');
      const stored = await storePage(ctx, channelId, page);
      for (const key of Object.keys(counts) as (keyof SyncCounts)[]) counts[key] += stored.counts[key];
      if (stored.error) errors.push(stored.error);
      page.settled?.(stored.fate);
    };
    const toFetch = new Set(wanted);
    for (const { page, ids } of payloads) {
      if (![...ids].some((id) => toFetch.has(id))) continue;
      await store(page);
      for (const id of ids) toFetch.delete(id);
    }
    if (toFetch.size > 0) {
      const ids = [...toFetch];
      if (connector.fetchOrders) {
        for await (const page of connector.fetchOrders(config, ids, { signal: heartbeat.signal })) await store(page);
      } else if (connector.fetchOrder) {
        for (const externalId of ids) {
          try {
            await store(await connector.fetchOrder(config, externalId, { signal: heartbeat.signal }));
          } catch (error) {
            // One order the shop refuses (deleted meanwhile) must not stop the others.
            if (!(error instanceof ConnectorError) || error.code !== 'upstream_rejected') throw error;
            errors.push({ page: null, source: null, payloadId: null, code: error.code, message: `order ${externalId}: ${error.message}` });
          }
        }
      } else {
        throw new HubError('not_allowed', `Connector "${connector.type}" cannot fetch orders by id; channel "${channel.name}" cannot be reconciled.`);
      }
    }

    // What the hub holds now decides: fetched = now held at (or after) the listed time.
    const after = compareStamps(
      listed.filter((s) => wanted.includes(s.externalId)),
      await hubOrderStamps(db, channelId, wanted),
    );
    const failedIds = [...after.missing, ...after.stale];
    const findings = reconcileFindings(window, comparison, wanted.length - failedIds.length, failedIds, warnings);
    const status = failedIds.length === 0 ? 'succeeded' : 'partial';
    const error = status === 'partial' ? `Reconciliation of "${channel.name}": ${failedIds.length} of ${wanted.length} missing or stale order(s) could not be fetched or read.` : undefined;
    await finishSyncRun(db, run.id, { status, counts, errorCode: status === 'partial' ? (errors[0]?.code ?? 'invalid_data') : undefined, error, errors });
    await recordRunFindings(db, run.id, findings, options.requestedBy);
    const summary = { checked: findings.checked, missing: findings.missing, stale: findings.stale, fetched: findings.fetched, failed: findings.failed };
    if (status === 'partial') logger.warn({ channelId, runId: run.id, ...summary }, error!);
    else logger.info({ channelId, runId: run.id, ...summary }, `reconciliation of "${channel.name}" succeeded`);
    return { status, channelId, runId: run.id, counts, findings };
  } catch (error) {
    const failure =
      isHubError(error) && !heartbeat.lost
        ? error
        : heartbeat.lost
          ? new HubError('conflict', `Reconciliation of "${channel.name}" lost its lease and stopped.`, { cause: error })
          : error instanceof ConnectorError
            ? new HubError(error.code === 'unauthorized' || error.code === 'upstream_rejected' ? error.code : 'upstream_unavailable', `Reconciliation of "${channel.name}" failed: ${error.message}`, { cause: error })
            : new HubError('internal', `Reconciliation of "${channel.name}" failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    await finishSyncRun(db, run.id, {
      status: 'failed',
      counts,
      errorCode: failure.code,
      error: failure.message,
      errors: [...errors, { page: null, source: null, payloadId: null, code: failure.code, message: failure.message }],
    });
    await recordRunFindings(db, run.id, undefined, options.requestedBy);
    logger.warn({ channelId, runId: run.id, code: failure.code }, failure.message);
    throw failure;
  } finally {
    heartbeat.stop();
    await releaseSyncLease(db, lease).catch((error: unknown) => logger.error({ channelId, err: error }, 'could not release the sync lease (it will expire)'));
  }
}

/** Name of the job (BullMQ scheduler, node-cron task) that runs the due reconciliations. */
export const RECONCILE_JOB = 'reconcile-channels';
/** How often the due reconciliations are looked for. */
export const RECONCILE_TICK_SCHEDULE = '*/15 * * * *';

/**
 * Is a reconciliation due: the schedule's latest occurrence at or before `now` came after the last
 * reconciliation started (and after the channel was created)? Pure; a bad cron is never due.
 */
export function reconcileDue(schedule: string | null, now: Date, lastStartedAt: Date | undefined, createdAt: Date): boolean {
  const expression = schedule ?? DEFAULT_RECONCILE_SCHEDULE;
  if (expression === RECONCILE_OFF) return false;
  let previous: Date;
  try {
    previous = CronExpressionParser.parse(expression, { currentDate: new Date(now.getTime() + 1), tz: 'UTC' }).prev().toDate();
  } catch {
    return false;
  }
  if (previous <= createdAt) return false;
  return lastStartedAt === undefined || lastStartedAt < previous;
}

/**
 * The tick: reconciles, one after another, every enabled channel whose connector can list orders and
 * whose reconciliation is due. A channel whose sync runs is left for the next tick (still due then);
 * one channel's failure is logged and never stops the others. Returns the outcomes by channel id.
 */
export async function reconcileDueChannels(ctx: ProcessorContext, now: Date = new Date(), signal?: AbortSignal): Promise<Map<string, ReconcileOutcome | HubError>> {
  const logger = ctx.logger ?? silentLogger;
  const channels = await ctx.db.prisma.channel.findMany({
    where: { enabled: true },
    select: { id: true, connectorType: true, reconcileSchedule: true, createdAt: true },
    orderBy: { name: 'asc' },
  });
  const results = new Map<string, ReconcileOutcome | HubError>();
  for (const channel of channels) {
    if (signal?.aborted) break;
    if (!ctx.registry.connector(channel.connectorType)?.listOrders) continue;
    const last = await ctx.db.prisma.syncRun.findFirst({ where: { channelId: channel.id, trigger: 'reconcile', status: { not: 'failed' } }, orderBy: { startedAt: 'desc' }, select: { startedAt: true } });
    if (!reconcileDue(channel.reconcileSchedule, now, last?.startedAt, channel.createdAt)) continue;
    try {
      // The window ends at the tick's moment, the one that found it due.
      results.set(channel.id, await reconcileChannel(ctx, channel.id, { signal, now: () => now }));
    } catch (error) {
      const failure = isHubError(error) ? error : new HubError('internal', (error as Error).message, { cause: error });
      results.set(channel.id, failure);
      logger.warn({ channelId: channel.id, code: failure.code }, 'scheduled reconciliation failed; it runs again at the next tick');
    }
  }
  return results;
}
