import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import { StockService, type StockCheckView } from '../../core/stock/stock-service.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

const CLOSED = new Set(['cancelled', 'refunded', 'failed']);
/** Sales already done (a POS receipt, a shipped order) or not yet real (a draft) hold no reservation. */
const NOT_RESERVED = new Set(['draft', 'shipped', 'completed']);

/**
 * Every order a payload created or changed passes the stock check: its current version is
 * reserved (a changed version re-checked, a cancelled one released). The hub manages stock only
 * for the products it knows: an order none of whose SKUs is in the catalogue is left alone, so a
 * shop whose stock lives elsewhere does not fill the review queue. Returns the checks by order id.
 */
export async function checkStockOfOrders(ctx: ProcessorContext, outcome: PayloadOutcome): Promise<Map<string, StockCheckView>> {
  const logger = ctx.logger ?? silentLogger;
  const checks = new Map<string, StockCheckView>();
  const changed = outcome.results.filter((r) => r.orderId && (r.outcome === 'created' || r.outcome === 'updated'));
  if (changed.length === 0) return checks;
  const orders = await ctx.db.prisma.order.findMany({
    where: { id: { in: changed.map((r) => r.orderId!) } },
    select: { id: true, status: true, lines: { where: { kind: 'product' }, select: { sku: true } } },
  });
  const skus = [...new Set(orders.flatMap((o) => o.lines.flatMap((l) => (l.sku ? [l.sku] : []))))];
  if (skus.length === 0) return checks;
  const known = new Set((await ctx.db.prisma.product.findMany({ where: { sku: { in: skus } }, select: { sku: true } })).map((p) => p.sku));
  if (known.size === 0) return checks;
  const stock = new StockService(ctx.db);
  for (const order of orders) {
    if (!order.lines.some((l) => l.sku && known.has(l.sku)) || NOT_RESERVED.has(order.status)) continue;
    try {
      if (CLOSED.has(order.status)) await stock.releaseOrder(order.id, `order ${order.status}`);
      else checks.set(order.id, (await stock.reserveOrder(order.id)).check);
    } catch (error) {
      // The order stands; its check can be run again (POST /v1/orders/:id/reservations).
      logger.error({ orderId: order.id, err: error }, `stock check of order ${order.id} failed: ${(error as Error).message}`);
    }
  }
  return checks;
}
