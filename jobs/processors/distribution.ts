import { DistributionService, type AdvanceReport } from '../../core/distribution/distribution-service.ts';
import type { RetryReport } from '../../core/flows/order-lifecycle.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';
import { lifecycleOf, logFailedSteps } from '../lifecycle.ts';

/**
 * The minute's tick: offers that became visible are notified, overdue orders fall back, overdue
 * fulfilment is flagged; then the order lifecycle's steps whose retry time has come run again.
 */
export async function advanceDistributions(ctx: ProcessorContext): Promise<AdvanceReport & { steps: RetryReport }> {
  const logger = ctx.logger ?? silentLogger;
  const report = await new DistributionService(ctx.db).advance();
  if (report.fellBack + report.overdue + report.swept > 0) logger.info({ ...report }, 'distribution advanced');
  const { failedSteps, ...steps } = await lifecycleOf(ctx).retryDue();
  if (steps.ran > 0) logger.info({ ...steps }, 'order steps retried');
  logFailedSteps(ctx, failedSteps);
  return { ...report, steps };
}
