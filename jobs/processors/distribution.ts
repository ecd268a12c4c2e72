import { DistributionService, type AdvanceReport } from '../../core/distribution/distribution-service.ts';
import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

/**
 * Every order a payload created or changed goes on to distribution (after its stock check): a new
 * order is offered to dealers, a changed one re-offered while nobody has it, a cancelled one
 * withdrawn. A failure is logged, recorded for ops (the order's history and the admins' notices)
 * and retried by the minute's tick; it never fails the intake.
 */
export async function distributeOrdersOf(ctx: ProcessorContext, outcome: Pick<PayloadOutcome, 'results'>): Promise<void> {
  const ids = [...new Set(outcome.results.filter((r) => r.orderId && (r.outcome === 'created' || r.outcome === 'updated')).map((r) => r.orderId!))];
  if (ids.length === 0) return;
  const logger = ctx.logger ?? silentLogger;
  const results = await new DistributionService(ctx.db).distributeOrders(ids);
  for (const result of results) {
    if ('error' in result) logger.error({ orderId: result.orderId, err: result.error }, `distribution of order ${result.orderId} failed: ${result.error.message}`);
  }
}

/** The minute's tick: offers that became visible are notified, overdue orders fall back, overdue fulfilment is flagged. */
export async function advanceDistributions(ctx: ProcessorContext): Promise<AdvanceReport> {
  const report = await new DistributionService(ctx.db).advance();
  if (report.fellBack + report.overdue + report.swept > 0) (ctx.logger ?? silentLogger).info({ ...report }, 'distribution advanced');
  return report;
}
