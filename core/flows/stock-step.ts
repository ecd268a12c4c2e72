import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { holdsNoStock, isDeliveredStatus } from '../orders/order-status.ts';
import type { StockCheckView, StockService } from '../stock/stock-service.ts';
import type { StepResult } from './order-steps.ts';

/**
 * What an order's status does to its stock, the one rule for every path (intake, a dealer's or an
 * admin's change): an order that holds nothing (closed, draft) releases its hold; one whose goods
 * left (shipped, completed) ships it; any other is checked and reserved (its current version once).
 * The hub manages stock only for the products it knows: an order none of whose SKUs is in the
 * catalogue is left alone (README), so a shop whose stock lives elsewhere does not fill the review queue.
 */
export type StockAction = 'reserve' | 'release' | 'ship' | 'recheck';

export interface StockStepOutcome extends StepResult {
  check?: StockCheckView;
}

export function stockActionFor(status: string): Exclude<StockAction, 'recheck'> {
  if (holdsNoStock(status)) return 'release';
  if (isDeliveredStatus(status)) return 'ship';
  return 'reserve';
}

/**
 * Brings the order's stock in line with `action` (by default what its status asks). Idempotent:
 * reserving an order version again answers the stored check, releasing or shipping again moves
 * nothing. `recheck` releases what the order holds and checks it against what is free now (a new
 * round of distribution): the released hold and the new one both stay in the reservations' history.
 */
export async function applyStock(db: Database, stock: StockService, orderId: string, action?: StockAction, reason?: string): Promise<StockStepOutcome> {
  const order = await db.prisma.order.findUnique({ where: { id: orderId }, select: { status: true, lines: { where: { kind: 'product' }, select: { sku: true } } } });
  if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
  const byStatus = stockActionFor(order.status);
  // A check again is for an order that is to hold stock; one that closed or shipped meanwhile does what its status says.
  const wanted = !action || (action === 'recheck' && byStatus !== 'reserve') ? byStatus : action;
  const why = reason ?? `order ${order.status}`;
  const held = (await db.prisma.reservation.count({ where: { orderId, status: 'active' } })) > 0;
  if (wanted === 'release') {
    if (!held) return { outcome: 'skipped', detail: { action: wanted, reason: 'the order holds no stock' } };
    const released = await stock.releaseOrder(orderId, why);
    return { outcome: 'done', detail: { action: wanted, released: released.released } };
  }
  if (wanted === 'ship') {
    if (!held) return { outcome: 'skipped', detail: { action: wanted, reason: 'the order holds no stock' } };
    try {
      const shipped = await stock.shipOrder(orderId);
      return { outcome: 'done', detail: { action: wanted, shipped: shipped.shipped } };
    } catch (error) {
      // The goods left while part of the hold was still incoming: that part cannot have left with them.
      if (!(error instanceof HubError) || error.code !== 'conflict') throw error;
      const released = await stock.releaseOrder(orderId, `${why} while part of its hold was still incoming`);
      return { outcome: 'done', detail: { action: 'release', released: released.released, reason: error.message } };
    }
  }
  const skus = [...new Set(order.lines.flatMap((l) => (l.sku ? [l.sku] : [])))];
  const known = skus.length > 0 ? await db.prisma.product.count({ where: { sku: { in: skus } } }) : 0;
  if (known === 0) return { outcome: 'skipped', detail: { action: wanted, reason: 'the hub stocks none of its products' } };
  const reserved = await stock.reserveOrder(orderId, wanted === 'recheck' ? { again: why } : {});
  return { outcome: 'done', detail: { action: wanted, result: reserved.check.result, checkId: reserved.check.id, created: reserved.created }, check: reserved.check };
}
