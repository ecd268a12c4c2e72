import type { Actor } from '../../core/audit/actor.ts';
import { recordReprocessResolution } from '../../core/orders/payload-attention.ts';
import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { HubError } from '../../core/errors.ts';
import { needsAttentionWhere, stalePendingWhere } from '../../core/orders/raw-payload-queries.ts';
import type { Prisma } from '../../core/db/generated/client.ts';
import type { ProcessorContext } from '../runtime/types.ts';
import { lifecycleOf, logFailedSteps } from '../lifecycle.ts';
import { fetchUnmappedWebhookOrders } from './webhook-fallback.ts';

/**
 * Reads one archived payload into orders (first time or again after a mapping fix; idempotent
 * like every intake) and runs the order lifecycle's intake steps (core/flows): stock,
 * acknowledgement, distribution. A failed step is recorded and retried by the tick.
 */
export async function reprocessPayload(ctx: ProcessorContext, payloadId: string, requestedBy?: Actor): Promise<PayloadOutcome> {
  const before = await ctx.db.prisma.rawPayload.findUnique({ where: { id: payloadId }, select: { status: true, bodyPurgedAt: true, bodyArchive: true } });
  if (before?.bodyPurgedAt) {
    // Retention dropped the body: reading the empty row would fail a payload that was fine.
    throw new HubError('conflict', `Raw payload ${payloadId} has no body any more: retention exported it to ${before.bodyArchive ?? 'the archive'} on ${before.bodyPurgedAt.toISOString().slice(0, 10)}.`);
  }
  const { steps, ...outcome } = await lifecycleOf(ctx).intakePayload(payloadId);
  logFailedSteps(ctx, steps.failed);
  // A webhook that could not be read: fetch its orders from the shop (the webhook stays failed).
  if (outcome.errors.length > 0) await fetchUnmappedWebhookOrders(ctx, outcome, (id) => reprocessPayload(ctx, id));
  // Someone asked (ops, the CLI): a failure this read cleared is resolved, by them.
  if (requestedBy) await recordReprocessResolution(ctx.db, payloadId, before?.status, outcome, requestedBy);
  return outcome;
}

export interface ReprocessFilter {
  channelId?: string | undefined;
  /**
   * Payload statuses to read again. By default: failed and partial, and pending ones older than
   * STALE_PENDING_MS (their job was lost); a fresh pending payload is left to its job.
   */
  statuses?: readonly ('failed' | 'partial' | 'pending')[] | undefined;
  limit?: number | undefined;
}

/** Reads again every payload that failed (oldest first), one at a time. */
export async function reprocessFailedPayloads(
  ctx: ProcessorContext,
  filter: ReprocessFilter = {},
  onEach?: (outcome: PayloadOutcome) => void,
  requestedBy?: Actor,
): Promise<PayloadOutcome[]> {
  const which: Prisma.RawPayloadWhereInput = filter.statuses ? { status: { in: [...filter.statuses] } } : needsAttentionWhere();
  const payloads = await ctx.db.prisma.rawPayload.findMany({
    where: { AND: [which, ...(filter.channelId ? [{ channelId: filter.channelId }] : [])] },
    orderBy: { receivedAt: 'asc' },
    select: { id: true },
    ...(filter.limit && { take: filter.limit }),
  });
  const outcomes: PayloadOutcome[] = [];
  for (const { id } of payloads) {
    const outcome = await reprocessPayload(ctx, id, requestedBy);
    outcomes.push(outcome);
    onEach?.(outcome);
  }
  return outcomes;
}

/** Ids of the payloads still pending after STALE_PENDING_MS, oldest first (what the sweep re-queues). */
export function stalePendingPayloadIds(ctx: ProcessorContext, limit = 1000): Promise<string[]> {
  return pendingPayloadIds(ctx, stalePendingWhere(), limit);
}

/** Ids of every payload still pending, whatever its age, oldest first (re-queued when Redis lost its jobs). */
export function allPendingPayloadIds(ctx: ProcessorContext, limit = 1000): Promise<string[]> {
  return pendingPayloadIds(ctx, { status: 'pending' }, limit);
}

async function pendingPayloadIds(ctx: ProcessorContext, where: Prisma.RawPayloadWhereInput, limit: number): Promise<string[]> {
  const rows = await ctx.db.prisma.rawPayload.findMany({ where, orderBy: { receivedAt: 'asc' }, select: { id: true }, take: limit });
  return rows.map((r) => r.id);
}
