import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { DealerPrices } from '../catalogue/dealer-prices.ts';
import { ExclusivityService } from '../exclusivity/exclusivity-service.ts';
import type { ManualOrderInput } from '../model/manual-order.ts';
import { archivePayload } from '../orders/raw-archive.ts';
import type { ManualOrderReceipt } from '../ports.ts';
import { MANUAL_CONNECTOR } from '../quotes/quotes.ts';
import type { FailedStep, OrderLifecycle } from './order-lifecycle.ts';

/**
 * An order an operator (or a dealer buying for its own stock) records by hand: archived like any
 * inbound payload, then read by the manual mapping at once through the lifecycle's intake, so the
 * caller sees the order (or the reason it was refused). The caller's own id makes a retried request
 * the same order, placed when it was first recorded. A dealer's purchase that breaks regional
 * exclusivity is refused line by line before anything of it is recorded: the caller hears it at once;
 * so is one whose unpriced lines the dealer's price column cannot price.
 */
export async function recordManualOrder(
  db: Database,
  lifecycle: OrderLifecycle,
  channelId: string,
  order: ManualOrderInput,
): Promise<ManualOrderReceipt & { failedSteps: FailedStep[] }> {
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
    const lines = order.lines.flatMap((l) => (l.sku ? [{ sku: l.sku }] : []));
    await new ExclusivityService(db).refuseDealerPurchase(order.dealerCode, lines, order.desiredDeliveryDate ?? receivedAt.slice(0, 10), order.region);
  }
  // Lines without a price are priced from the dealer's column as of when the order was first
  // recorded (a retry prices it the same); the archived order carries the prices used.
  order = await new DealerPrices(db).priceDealerPurchase(order, new Date(receivedAt));
  const archived = await archivePayload(db, {
    channelId,
    kind: 'push',
    source: `operator ${order.operator} (${order.via})`,
    contentType: 'application/json',
    body: JSON.stringify({ receivedAt, externalId, order }),
  });
  const { steps, ...outcome } = await lifecycle.intakePayload(archived.id);
  const result = outcome.results.find((r) => r.externalId === externalId);
  if (!result || result.outcome === 'rejected') {
    throw new HubError('invalid_data', `The order was not recorded: ${outcome.error ?? result?.error ?? 'the mapping produced no order'}`, { details: { payloadId: archived.id } });
  }
  return { payloadId: archived.id, orderId: result.orderId!, externalId, outcome: result.outcome, version: result.version!, failedSteps: steps.failed };
}
