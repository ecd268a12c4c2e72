import { randomUUID } from 'node:crypto';
import type { ManualOrderInput } from '../../core/model/manual-order.ts';
import { HubError } from '../../core/errors.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import type { ManualOrderReceipt } from '../../core/ports.ts';
import { MANUAL_CONNECTOR } from '../../core/quotes/quotes.ts';
import type { ProcessorContext } from '../runtime/types.ts';
import { reprocessPayload } from './process-payload.ts';

/**
 * An order an operator records on a buyer's behalf: archived like any inbound payload, then read
 * by the manual mapping at once so the operator sees the order (or the reason it was refused).
 * The caller's own id makes a retried request the same order, placed when it was first recorded.
 */
export async function recordManualOrder(ctx: ProcessorContext, channelId: string, order: ManualOrderInput): Promise<ManualOrderReceipt> {
  const { db } = ctx;
  const channel = await db.prisma.channel.findUnique({ where: { id: channelId } });
  if (!channel) throw new HubError('not_found', `Channel ${channelId} does not exist.`);
  if (channel.connectorType !== MANUAL_CONNECTOR) {
    throw new HubError('not_allowed', `Orders are recorded by hand on a manual channel; "${channel.name}" is a ${channel.connectorType} channel.`);
  }
  if (!channel.enabled) throw new HubError('conflict', `Channel "${channel.name}" is disabled.`);

  const externalId = order.externalId ?? randomUUID();
  const existing = order.externalId
    ? await db.prisma.order.findUnique({ where: { channelId_externalId: { channelId, externalId } }, select: { placedAt: true } })
    : null;
  const receivedAt = (existing?.placedAt ?? new Date()).toISOString();
  if (order.dealerCode) {
    // A dealer's own purchase that breaks exclusivity is refused before anything of it is recorded.
    const lines = order.lines.flatMap((l) => (l.sku ? [{ sku: l.sku }] : []));
    await new ExclusivityService(db).refuseDealerPurchase(order.dealerCode, lines, order.desiredDeliveryDate ?? receivedAt.slice(0, 10), order.region);
  }
  const archived = await archivePayload(db, {
    channelId,
    kind: 'push',
    source: `operator ${order.operator} (${order.via})`,
    contentType: 'application/json',
    body: JSON.stringify({ receivedAt, externalId, order }),
  });
  const outcome = await reprocessPayload(ctx, archived.id);
  const result = outcome.results.find((r) => r.externalId === externalId);
  if (!result || result.outcome === 'rejected') {
    throw new HubError('invalid_data', `The order was not recorded: ${outcome.error ?? result?.error ?? 'the mapping produced no order'}`, { details: { payloadId: archived.id } });
  }
  return { payloadId: archived.id, orderId: result.orderId!, externalId, outcome: result.outcome, version: result.version! };
}
