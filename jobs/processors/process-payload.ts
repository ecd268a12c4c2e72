import { processPayload, type PayloadOutcome } from '../../core/orders/payload-processing.ts';
import type { ProcessorContext } from '../runtime/types.ts';

/** Reads one archived payload again (after a mapping fix); idempotent like every intake. */
export function reprocessPayload(ctx: ProcessorContext, payloadId: string): Promise<PayloadOutcome> {
  return processPayload(ctx.db, payloadId, ctx.registry.mappingFor);
}

export interface ReprocessFilter {
  channelId?: string | undefined;
  /** Payload statuses to read again; failed and partial by default. */
  statuses?: readonly ('failed' | 'partial' | 'pending')[] | undefined;
  limit?: number | undefined;
}

/** Reads again every payload that failed (oldest first), one at a time. */
export async function reprocessFailedPayloads(
  ctx: ProcessorContext,
  filter: ReprocessFilter = {},
  onEach?: (outcome: PayloadOutcome) => void,
): Promise<PayloadOutcome[]> {
  const payloads = await ctx.db.prisma.rawPayload.findMany({
    where: {
      status: { in: [...(filter.statuses ?? ['failed', 'partial'])] },
      ...(filter.channelId && { channelId: filter.channelId }),
    },
    orderBy: { receivedAt: 'asc' },
    select: { id: true },
    ...(filter.limit && { take: filter.limit }),
  });
  const outcomes: PayloadOutcome[] = [];
  for (const { id } of payloads) {
    const outcome = await reprocessPayload(ctx, id);
    outcomes.push(outcome);
    onEach?.(outcome);
  }
  return outcomes;
}
