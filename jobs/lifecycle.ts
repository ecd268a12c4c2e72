import { OrderLifecycle, type FailedStep } from '../core/flows/order-lifecycle.ts';
import { silentLogger, type ProcessorContext } from './runtime/types.ts';
import { acknowledgementFor } from './acknowledgement-formats.ts';

/** The one order lifecycle of this process: core's flows with the mappings and acknowledgement formats plugged in. */
export function lifecycleOf(ctx: ProcessorContext): OrderLifecycle {
  return new OrderLifecycle(ctx.db, { mappingFor: ctx.registry.mappingFor, acknowledgementFor });
}

/** Steps that failed are recorded and retried by the tick; the log says so too. */
export function logFailedSteps(ctx: ProcessorContext, failed: FailedStep[]): void {
  const logger = ctx.logger ?? silentLogger;
  for (const { orderId, step } of failed) logger.error({ orderId, step }, `order ${orderId}: step ${step} failed; it is retried by the minute's tick`);
}
