import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { StockService, type StockCheckView } from '../../core/stock/stock-service.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

/** Orders that hold no stock: gone (cancelled, refunded, failed) or not real yet (draft). */
const RELEASED = new Set(['cancelled', 'refunded', 'failed', 'draft']);
/** Orders whose goods have left: what they hold is shipped (on hand goes down); a sale done without a hold needs nothing. */
const DELIVERED = new Set(['shipped', 'completed']);

/**
 * Every order a payload created or changed passes the stock check: its current version is
 * reserved (a changed version re-checked), a cancelled one released, a shipped or completed one
 * ships what it held. The hub manages stock only for the products it knows: an order none of
 * whose SKUs is in the catalogue is left alone (documented in the README), so a shop whose stock
 * lives elsewhere does not fill the review queue. Returns the checks by order id.
 */
export async function checkStockOfOrders(ctx: ProcessorContext, outcome: Pick<PayloadOutcome, 'results'>): Promise<Map<string, StockCheckView>> {
  const logger = ctx.logger ?? silentLogger;
  const checks = new Map<string, StockCheckView>();
  const changed = outcome.results.filter((r) => r.orderId && (r.outcome === 'created' || r.outcome === 'updated'));
  if (changed.length === 0) return checks;
  const orders = await ctx.db.prisma.order.findMany({
    where: { id: { in: changed.map((r) => r.orderId!) } },
    select: { id: true, status: true, lines: { where: { kind: 'product' }, select: { sku: true } } },
  });
  const held = new Set(
    (await ctx.db.prisma.reservation.findMany({ where: { orderId: { in: orders.map((o) => o.id) }, status: 'active' }, select: { orderId: true }, distinct: ['orderId'] })).map(
      (r) => r.orderId,
    ),
  );
  const skus = [...new Set(orders.flatMap((o) => o.lines.flatMap((l) => (l.sku ? [l.sku] : []))))];
  const known = new Set(skus.length ? (await ctx.db.prisma.product.findMany({ where: { sku: { in: skus } }, select: { sku: true } })).map((p) => p.sku) : []);
  const stock = new StockService(ctx.db);
  for (const order of orders) {
    try {
      if (RELEASED.has(order.status)) {
        if (held.has(order.id)) await stock.releaseOrder(order.id, `order ${order.status}`);
      } else if (DELIVERED.has(order.status)) {
        if (held.has(order.id)) await shipOrRelease(stock, order.id, order.status);
      } else if (order.lines.some((l) => l.sku && known.has(l.sku))) {
        checks.set(order.id, (await stock.reserveOrder(order.id)).check);
      }
    } catch (error) {
      // The order stands; its check can be run again (POST /v1/orders/:id/reservations).
      logger.error({ orderId: order.id, err: error }, `stock check of order ${order.id} failed: ${(error as Error).message}`);
    }
  }
  return checks;
}

/** A channel says the goods left: ship what was held; what was still incoming cannot have left with them, so it is released. */
async function shipOrRelease(stock: StockService, orderId: string, status: string): Promise<void> {
  try {
    await stock.shipOrder(orderId);
  } catch {
    await stock.releaseOrder(orderId, `order ${status} at its channel while part of its hold was still incoming`);
  }
}
