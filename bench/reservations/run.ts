/**
 * bench/reservations: reservations/s of StockService.reserveOrder with 1, 10 and 100 concurrent
 * clients, on a hot SKU (every order wants the same product: the per-product lock serialises them)
 * and on spread SKUs (1000 products), on PostgreSQL; beside the raw SQL floor measured in the same
 * run: the same rows (one reservation, one ledger row, one stock check per order) inserted in one
 * transaction per order with no lock, no reads and no allocation.
 *
 *   npx tsx bench/reservations/run.ts
 *   BENCH_RESERVATIONS=1000 BENCH_POOL=40 npx tsx bench/reservations/run.ts
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../core/db/database.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { createTestPostgres } from '../../testkit/databases.ts';

const N = Number(process.env.BENCH_RESERVATIONS ?? 400);
const POOL = Number(process.env.BENCH_POOL ?? 40);
const SPREAD_SKUS = 1000;
const CLIENTS = [1, 10, 100];
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Row {
  mix: string;
  clients: number;
  reservePerSecond: number;
  rawPerSecond: number;
}

function draft(externalId: string, sku: string): OrderDraft {
  return {
    externalId,
    number: externalId,
    status: 'received',
    source: {},
    customer: { name: 'Bench dealer' },
    currency: 'EUR',
    totals: { subtotal: '2.00', discount: '0', shipping: '0', fee: '0', tax: '0', total: '2.00' },
    lines: [{ kind: 'product', sku, name: sku, quantity: '2', unitPrice: '1.00', subtotal: '2.00', discount: '0', tax: '0', total: '2.00', attributes: {} }],
    placedAt: '2026-04-01T10:00:00.000Z',
    desiredDeliveryDate: '2026-04-17',
  };
}

/** Creates N orders for the mix; each wants 2 units of its SKU (stock is ample, every reservation succeeds;
 * there is as much incoming by the date as on hand, so the strategy takes the incoming supply). */
async function prepare(db: Database, channelId: string, mix: 'hot' | 'spread', run: string): Promise<{ orderIds: string[]; productIds: string[] }> {
  const skus = mix === 'hot' ? [`HOT-${run}`] : Array.from({ length: SPREAD_SKUS }, (_, i) => `SP-${run}-${i}`);
  const stock = new StockService(db);
  const perSku = Math.ceil((N * 2) / skus.length) + 10;
  await stock.load({
    products: skus.map((sku) => ({ sku, name: sku })),
    warehouses: [{ code: 'MAIN', name: 'Main' }],
    levels: skus.map((sku) => ({ sku, warehouse: 'MAIN', onHand: String(perSku) })),
    incoming: skus.map((sku) => ({ sku, warehouse: 'MAIN', reference: 'PO-1', quantity: String(perSku), expectedOn: '2026-04-15' })),
  });
  const orderIds: string[] = [];
  for (let i = 0; i < N; i += 200) {
    const batch = Array.from({ length: Math.min(200, N - i) }, (_, k) => draft(`${run}-${i + k}`, skus[(i + k) % skus.length]!));
    for (const r of await ingestOrders(db, { channelId, drafts: batch })) orderIds.push(r.orderId!);
  }
  const products = await db.prisma.product.findMany({ where: { sku: { in: skus } }, select: { id: true } });
  return { orderIds, productIds: products.map((p) => p.id) };
}

/** Runs `work` over the items with `clients` concurrent callers; returns items per second. */
async function drive<T>(items: T[], clients: number, work: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return items.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The floor: the rows a reservation writes (reservation, ledger row, stock check), nothing else. */
async function rawReserve(db: Database, orderId: string, productId: string, warehouseId: string): Promise<void> {
  const reservationId = randomUUID();
  await db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO reservation (id, order_id, line_position, product_id, warehouse_id, source, quantity, needed_by) VALUES ($1, $2, 1, $3, $4, 'on_hand', 2, '2026-04-17')`,
      reservationId, orderId, productId, warehouseId,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO stock_movement (product_id, warehouse_id, kind, reserved_delta, reservation_id, order_id) VALUES ($1, $2, 'reserve', 2, $3, $4)`,
      productId, warehouseId, reservationId, orderId,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO stock_check (id, order_id, order_version, result, lines) VALUES ($1, $2, 1, 'confirmed', '[]'::jsonb)`,
      randomUUID(), orderId,
    );
  });
}

/** A fresh, migrated database on the server, dropped afterwards (the test suite's helper). */
function openPostgres() {
  return createTestPostgres({ adminUrl: ADMIN_URL, poolSize: POOL });
}

console.log(`bench/reservations: ${N} orders per cell (one line of 2 units each), PostgreSQL pool of ${POOL} connections; node ${process.version}`);
const { db, drop } = await openPostgres();
const rows: Row[] = [];
try {
  const channelId = (await db.prisma.channel.create({ data: { name: 'bench', kind: 'webshop', connectorType: 'woocommerce' } })).id;
  const warehouseId = async () => (await db.prisma.warehouse.findUniqueOrThrow({ where: { code: 'MAIN' } })).id;
  const stock = new StockService(db);
  for (const mix of ['hot', 'spread'] as const) {
    for (const clients of CLIENTS) {
      const run = `${mix}-${clients}`;
      const target = await prepare(db, channelId, mix, run);
      const reservePerSecond = await drive(target.orderIds, clients, (id) => stock.reserveOrder(id));
      const floor = await prepare(db, channelId, mix, `${run}-raw`);
      const warehouse = await warehouseId();
      const rawPerSecond = await drive(
        floor.orderIds.map((id, i) => ({ id, productId: floor.productIds[i % floor.productIds.length]! })),
        clients,
        (o) => rawReserve(db, o.id, o.productId, warehouse),
      );
      rows.push({ mix: mix === 'hot' ? 'hot (1 SKU)' : `spread (${SPREAD_SKUS} SKUs)`, clients, reservePerSecond, rawPerSecond });
      console.log(`  ${run}: ${reservePerSecond.toFixed(0)} reservations/s, raw ${rawPerSecond.toFixed(0)}/s`);
    }
  }
  // Every reservation the bench made (the floor's too: it writes matching rows on ample stock) must add up.
  const ledger = await stock.verifyLedger();
  if (!ledger.ok) throw new Error(`ledger mismatches after the bench: ${JSON.stringify(ledger.mismatches.slice(0, 5))}`);
} finally {
  await drop();
}

console.log('\n| SKUs | clients | reserveOrder reservations/s | raw SQL floor rows/s | reserve / raw |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.mix} | ${r.clients} | ${r.reservePerSecond.toFixed(0)} | ${r.rawPerSecond.toFixed(0)} | ${(r.reservePerSecond / r.rawPerSecond).toFixed(2)} |`);
}
