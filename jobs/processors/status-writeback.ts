import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import { claimDueStatusUpdates, recordStatusUpdateOutcome, type ClaimedStatusUpdate, type StatusUpdateOutcome } from '../../core/outbound/status-updates.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { connectorConfig } from '../registry.ts';

/** A disabled channel is not written to; its due updates wait this long, then look again. */
export const DISABLED_CHANNEL_WAIT_MS = 60 * 60_000;

export interface StatusWriteBackReport {
  claimed: number;
  sent: number;
  skipped: number;
  /** Failed for good (permanent refusal or out of attempts). */
  failed: number;
  /** Failed this time; tried again after the backoff. */
  retrying: number;
  postponed: number;
}

export interface SendOptions {
  /** The clock (tests move it instead of waiting). */
  now?: () => Date;
  /** Updates taken per run. Default 50. */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * Sends the due status updates (core/outbound/status-updates.ts) to their channels, one attempt each:
 * the channel's mapping names the channel's status for the core status, the connector sends it, the
 * outcome is recorded on the row (sent; failed and retried after a backoff; failed for good; skipped
 * with the reason). Run by the minute's tick and nudged after a status change is committed; it never
 * touches the order itself, so a channel that is down never holds up or undoes a core change.
 */
export async function sendDueStatusUpdates(ctx: ProcessorContext, options: SendOptions = {}): Promise<StatusWriteBackReport> {
  const now = options.now ?? (() => new Date());
  const logger = ctx.logger ?? silentLogger;
  const claimed = await claimDueStatusUpdates(ctx.db, now(), options.limit ?? 50);
  const report: StatusWriteBackReport = { claimed: claimed.length, sent: 0, skipped: 0, failed: 0, retrying: 0, postponed: 0 };
  for (const update of claimed) {
    const outcome = await attempt(ctx, update, now, options.signal);
    const after = await recordStatusUpdateOutcome(ctx.db, update.id, outcome, now());
    const fields = { statusUpdateId: update.id, orderId: update.orderId, channelId: update.channelId, coreStatus: update.coreStatus, state: after.state };
    if (outcome.kind === 'sent') {
      report.sent += 1;
      logger.info({ ...fields, channelStatus: outcome.channelStatus }, `order ${update.orderId}: the channel now has status ${outcome.channelStatus}`);
    } else if (outcome.kind === 'skipped') {
      report.skipped += 1;
      logger.info(fields, `order ${update.orderId}: status ${update.coreStatus} not written back: ${outcome.reason}`);
    } else if (outcome.kind === 'postponed') {
      report.postponed += 1;
    } else if (after.state === 'failed') {
      report.failed += 1;
      logger.error(fields, `order ${update.orderId}: writing status ${update.coreStatus} back failed for good: ${outcome.error}`);
    } else {
      report.retrying += 1;
      logger.warn({ ...fields, nextAttemptAt: after.nextAttemptAt }, `order ${update.orderId}: writing status ${update.coreStatus} back failed, retried later: ${outcome.error}`);
    }
  }
  return report;
}

const normalise = (status: string): string => status.trim().toLowerCase().replace(/^wc-/, '');

async function attempt(ctx: ProcessorContext, update: ClaimedStatusUpdate, now: () => Date, signal: AbortSignal | undefined): Promise<StatusUpdateOutcome> {
  const [channel, order] = await Promise.all([
    ctx.db.prisma.channel.findUnique({ where: { id: update.channelId }, select: { name: true, connectorType: true, config: true, mapping: true, enabled: true } }),
    ctx.db.prisma.order.findUnique({ where: { id: update.orderId }, select: { sourceStatus: true, sourceStatusId: true } }),
  ]);
  if (!channel || !order) return { kind: 'skipped', reason: 'the channel or the order no longer exists' };
  const connector = ctx.registry.connector(channel.connectorType);
  const mapping = ctx.registry.mappingFor(channel.connectorType)?.statusWriteBack;
  if (!connector?.writeStatus || !mapping) return { kind: 'skipped', reason: `the ${channel.connectorType} connector cannot write order statuses` };
  if (!mapping.enabled(channel.mapping)) return { kind: 'skipped', reason: `status write-back is switched off for channel ${channel.name}` };
  if (!channel.enabled) {
    return { kind: 'postponed', reason: `channel ${channel.name} is disabled; waiting until it is enabled`, until: new Date(now().getTime() + DISABLED_CHANNEL_WAIT_MS) };
  }
  const choice = mapping.statusOf(update.coreStatus, channel.mapping);
  if ('skip' in choice) return { kind: 'skipped', reason: choice.skip };
  const channelStatus = choice.status;
  // No echo: the channel already shows that status (it may be where the change came from). Shops that
  // take status ids (Shoprenter) are compared by id, the others by the status as they name it.
  const shown = [order.sourceStatusId, order.sourceStatus].filter((s): s is string => !!s);
  if (shown.some((s) => normalise(s) === normalise(channelStatus))) {
    return { kind: 'skipped', reason: `the channel already shows ${order.sourceStatus ?? channelStatus}`, channelStatus };
  }
  let config: unknown;
  try {
    config = connectorConfig(connector, channel.config);
  } catch (error) {
    return { kind: 'failed', error: `channel ${channel.name} has an invalid ${(error as Error).message}`, retryable: false, channelStatus };
  }
  const externalId = mapping.orderRef ? mapping.orderRef(update.externalId) : update.externalId;
  try {
    const receipt = await connector.writeStatus(config, { externalId, status: channelStatus }, signal ? { signal } : {});
    return { kind: 'sent', channelStatus, target: receipt.target, statusNow: receipt.statusNow };
  } catch (error) {
    if (error instanceof ConnectorError) return { kind: 'failed', error: error.message, retryable: error.transient, channelStatus };
    // Not classified (a bug, an abort): try again later rather than give up on the shop.
    return { kind: 'failed', error: (error as Error)?.message ?? String(error), retryable: true, channelStatus };
  }
}
