import { recordManualOrder as record } from '../../core/flows/manual-intake.ts';
import type { ManualOrderInput } from '../../core/model/manual-order.ts';
import type { ManualOrderReceipt } from '../../core/ports.ts';
import { lifecycleOf, logFailedSteps } from '../lifecycle.ts';
import type { ProcessorContext } from '../runtime/types.ts';

/** Drives core/flows/manual-intake.ts with this process's lifecycle; failed steps are logged (the tick retries them). */
export async function recordManualOrder(ctx: ProcessorContext, channelId: string, order: ManualOrderInput): Promise<ManualOrderReceipt> {
  const { failedSteps, ...receipt } = await record(ctx.db, lifecycleOf(ctx), channelId, order);
  logFailedSteps(ctx, failedSteps);
  return receipt;
}
