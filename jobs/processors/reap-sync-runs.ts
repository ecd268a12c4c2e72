import { channelsToResume, reapOrphanedSyncRuns, type ReapedRun } from '../../core/channels/sync-reaper.ts';
import type { SyncTrigger } from '../../core/ports.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

export interface ReapReport {
  reaped: ReapedRun[];
  /** Channels a sync was requested for (their interrupted work resumes from the cursor). */
  resumed: string[];
}

/**
 * The reaper's job (both runners, every minute and at start): closes the runs whose worker is gone
 * (core/channels/sync-reaper.ts), logs each with its reason, and asks for a sync of their channels.
 * `atStart` also resumes the channels whose latest run was interrupted (a shutdown, a kill) but not
 * reaped yet, so the embedded hub picks the work up at once rather than at the next cron tick.
 */
export async function reapAndResume(
  ctx: ProcessorContext,
  requestSync: (channelId: string, trigger: SyncTrigger) => Promise<unknown>,
  options: { atStart?: boolean } = {},
): Promise<ReapReport> {
  const logger = ctx.logger ?? silentLogger;
  const reaped = await reapOrphanedSyncRuns(ctx.db);
  for (const run of reaped) logger.warn({ channelId: run.channelId, runId: run.runId }, `"${run.channelName}": ${run.reason}`);
  const wanted = new Set(reaped.map((r) => r.channelId));
  if (options.atStart) for (const id of await channelsToResume(ctx.db)) wanted.add(id);
  const resumed: string[] = [];
  if (wanted.size === 0) return { reaped, resumed };
  const channels = await ctx.db.prisma.channel.findMany({ where: { id: { in: [...wanted] }, enabled: true }, select: { id: true, name: true, connectorType: true } });
  for (const channel of channels) {
    if (!ctx.registry.connector(channel.connectorType)?.pull) continue;
    try {
      // A scheduled sync in effect: the one the interruption cut short.
      await requestSync(channel.id, 'schedule');
      resumed.push(channel.id);
      logger.info({ channelId: channel.id }, `the interrupted sync of "${channel.name}" is resumed (from its stored cursor)`);
    } catch (error) {
      logger.warn({ channelId: channel.id, err: error }, `could not queue the resumed sync of "${channel.name}"; its schedule will run it`);
    }
  }
  return { reaped, resumed };
}
