import { randomUUID } from 'node:crypto';
import { recordRunFindings } from '../../core/channels/reconciliation.ts';
import { acquireSyncLease, releaseSyncLease, saveSyncStateUnderLease } from '../../core/channels/sync-lease.ts';
import { emptyCounts, finishSyncRun, startSyncRun } from '../../core/channels/sync-runs.ts';
import { HubError } from '../../core/errors.ts';
import type { ResyncReceipt } from '../../core/ports.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

/** How long the resync holds the channel's lease at most (it only rewrites the cursor). */
const RESYNC_LEASE_MS = 30_000;

/**
 * Sets a channel's sync cursor back to `since` (undefined: a full re-read) so the next sync reads
 * everything changed since then again, keeping what the connector keeps besides the cursor. Refused
 * (`conflict`) while a sync or a reconciliation holds the channel's lease: the cursor is rewritten
 * under the lease, so a running sync can never write its own cursor over it. Recorded as a sync run
 * of trigger `resync` (findings: since and the previous state; requested_by: who asked). The caller
 * queues the sync.
 */
export async function resetChannelCursor(ctx: ProcessorContext, channelId: string, options: { since?: Date | undefined; requestedBy: string }): Promise<Omit<ResyncReceipt, 'sync'>> {
  const { db, registry } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  const connector = registry.requireConnector(channel.connectorType);
  if (!connector.pull) throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) cannot be pulled; it receives pushes only.`);
  if (!connector.resetCursor) throw new HubError('not_allowed', `Channel "${channel.name}" (${connector.type}) has no cursor to set back.`);
  if (!channel.enabled) throw new HubError('not_allowed', `Channel "${channel.name}" is disabled; enable it before a resync.`);
  if (options.since && options.since.getTime() > Date.now()) throw new HubError('invalid_data', `since ${options.since.toISOString()} is in the future.`, { field: 'since' });

  const lease = await acquireSyncLease(db, channelId, `resync/${randomUUID()}`, RESYNC_LEASE_MS);
  if (!lease) throw new HubError('conflict', `A sync of "${channel.name}" is running (it holds the channel's lease); ask again when it has finished (hub channels status).`);
  try {
    const previousState = channel.syncState ?? {};
    const state = connector.resetCursor(channel.syncState ?? undefined, options.since);
    const run = await startSyncRun(db, channelId, 'resync');
    if (!(await saveSyncStateUnderLease(db, lease, state))) throw new HubError('conflict', `The lease of "${channel.name}" was taken over; the cursor was not changed.`);
    await finishSyncRun(db, run.id, { status: 'succeeded', counts: emptyCounts() });
    const findings = { since: options.since?.toISOString() ?? null, previousState };
    await recordRunFindings(db, run.id, findings, options.requestedBy);
    logger.info({ channelId, runId: run.id, since: findings.since, requestedBy: options.requestedBy }, `cursor of "${channel.name}" set back ${options.since ? `to ${findings.since}` : 'for a full re-read'}`);
    return { runId: run.id, since: findings.since };
  } finally {
    await releaseSyncLease(db, lease).catch((error: unknown) => logger.error({ channelId, err: error }, 'could not release the sync lease (it will expire)'));
  }
}
