import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../core/db/database.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { createTestPglite, createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * No oversell, ever: many reservations race for the same stock. On PostgreSQL they come from
 * several pools (separate Database instances, i.e. separate connections as separate workers would
 * have); on PGlite (one connection) they race through the client's promise queue.
 */

type Line = OrderDraft['lines'][number];
const productLine = (sku: string, quantity: string): Line => ({
  kind: 'product', sku, name: sku, quantity, unitPrice: '1.00', subtotal: quantity, discount: '0', tax: '0', total: quantity, attributes: {},
});

/** Deterministic quantities 0.5 … 3 in half steps. */
const quantityFor = (i: number) => new Decimal((i * 7) % 6).plus(1).div(2).toString();

interface Fixture {
  main: Database;
  /** The services the racers use, one per pool (PostgreSQL) or the same one repeated (PGlite). */
  racers: StockService[];
  channelId: string;
}

async function setUp(t: TestDatabase, extraPools: number): Promise<Fixture & { close: () => Promise<void> }> {
  const pools: Database[] = [];
  for (let i = 0; i < extraPools; i++) pools.push(await openDatabase({ url: t.url, poolSize: 10 }));
  const channelId = (await t.db.prisma.channel.create({ data: { name: `race-${Date.now()}`, kind: 'webshop', connectorType: 'woocommerce' } })).id;
  const racers = [t.db, ...pools].map((db) => new StockService(db));
  return { main: t.db, racers, channelId, close: async () => void (await Promise.all(pools.map((p) => p.close()))) };
}

async function createOrders(f: Fixture, drafts: OrderDraft[]): Promise<string[]> {
  const results = await ingestOrders(f.main, { channelId: f.channelId, drafts });
  return results.map((r) => {
    if (!r.orderId) throw new Error(`order not stored: ${JSON.stringify(r)}`);
    return r.orderId;
  });
}

async function reservedBySku(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ sku: string; total: string }>(
    `SELECT p.sku, sum(r.quantity)::text AS total FROM reservation r JOIN product p ON p.id = r.product_id WHERE r.status = 'active' GROUP BY p.sku`,
  );
  return new Map(rows.map((r) => [r.sku, new Decimal(r.total).toString()]));
}

/** Every order has exactly one check, and per line reserved + shortfall = wanted. */
async function assertNothingLost(db: Database, orderIds: string[]): Promise<{ wanted: Decimal; allocated: Decimal; shortfall: Decimal }> {
  const checks = await db.prisma.stockCheck.findMany({ where: { orderId: { in: orderIds } } });
  expect(checks).toHaveLength(orderIds.length);
  expect(new Set(checks.map((c) => c.orderId)).size).toBe(orderIds.length);
  let wanted = new Decimal(0);
  let allocated = new Decimal(0);
  let shortfall = new Decimal(0);
  for (const check of checks) {
    for (const line of check.lines as { quantity: string; allocated: string; shortfall: string }[]) {
      expect(new Decimal(line.allocated).plus(line.shortfall).toString()).toBe(new Decimal(line.quantity).toString());
      wanted = wanted.plus(line.quantity);
      allocated = allocated.plus(line.allocated);
      shortfall = shortfall.plus(line.shortfall);
    }
  }
  // What the checks say was reserved is what the reservation rows hold.
  const [rows] = await db.query<{ total: string | null }>(`SELECT sum(quantity)::text AS total FROM reservation WHERE status = 'active' AND order_id = ANY($1::text[])`, [orderIds]);
  expect(new Decimal(rows?.total ?? 0).toString()).toBe(allocated.toString());
  expect(allocated.plus(shortfall).toString()).toBe(wanted.toString());
  return { wanted, allocated, shortfall };
}

const WAREHOUSES = [
  { code: 'MAIN', name: 'Main' },
  { code: 'EAST', name: 'East' },
];

const KINDS = [
  ['PostgreSQL (4 pools of 10 connections)', () => createTestPostgres({ poolSize: 10 }), 3],
  ['PGlite (one connection, promise queue)', () => createTestPglite(), 0],
] as const;

for (const [kind, createDatabase, extraPools] of KINDS) {
  describe(`concurrent reservations on ${kind}`, () => {
    let t: TestDatabase;
    let f: Fixture & { close: () => Promise<void> };

    beforeAll(async () => {
      t = await createDatabase();
      f = await setUp(t, extraPools);
    });
    afterAll(async () => {
      await f.close();
      await t.drop();
    });

    it('when 200 orders (each fired twice) race for one hot SKU, the reserved total is exactly the supply and nothing is lost', async () => {
      const stock = f.racers[0]!;
      await stock.load({
        products: [{ sku: 'HOT', name: 'Hot tile', unit: 'm2' }],
        warehouses: WAREHOUSES,
        levels: [
          { sku: 'HOT', warehouse: 'MAIN', onHand: '50' },
          { sku: 'HOT', warehouse: 'EAST', onHand: '12.5' },
        ],
        incoming: [
          { sku: 'HOT', warehouse: 'MAIN', reference: 'PO-1', quantity: '70', expectedOn: '2026-04-15' },
          { sku: 'HOT', warehouse: 'EAST', reference: 'PO-2', quantity: '30', expectedOn: '2026-04-20' },
        ],
      });
      const supply = new Decimal(50 + 12.5 + 70 + 30);
      const dates = [undefined, '2026-04-17', '2026-04-25'];
      const drafts = Array.from({ length: 200 }, (_, i) => orderDraft(`HOT-${i}`, { lines: [productLine('HOT', quantityFor(i))], desiredDeliveryDate: dates[i % 3] }));
      const orderIds = await createOrders(f, drafts);

      // 400 calls: every order twice, spread over the pools, interleaved.
      const calls = [...orderIds, ...orderIds.slice().reverse()].map((id, i) => f.racers[i % f.racers.length]!.reserveOrder(id));
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => o.created)).toHaveLength(200);

      const totals = await assertNothingLost(f.main, orderIds);
      expect(totals.wanted.gt(supply)).toBe(true);
      expect(totals.allocated.toString()).toBe(supply.toString());
      expect((await reservedBySku(f.main)).get('HOT')).toBe(supply.toString());
      const ledger = await stock.verifyLedger();
      expect(ledger.mismatches).toEqual([]);
      // Every order whose line was not fully confirmed waits in the review queue.
      const open = await stock.listReviews({ status: 'open' });
      expect(open.length).toBe(outcomes.filter((o) => o.created && o.check.result !== 'confirmed').length);
    });

    it('when 200 two-line orders mix the hot SKU with 25 spread SKUs (lines in either order), every SKU gets min(supply, demand) and no lock deadlocks', async () => {
      const stock = f.racers[0]!;
      const spread = Array.from({ length: 25 }, (_, i) => `SPREAD-${i}`);
      await stock.load({
        products: [{ sku: 'HOT2', name: 'Second hot tile' }, ...spread.map((sku) => ({ sku, name: sku }))],
        warehouses: WAREHOUSES,
        levels: [{ sku: 'HOT2', warehouse: 'MAIN', onHand: '40' }, ...spread.map((sku, i) => ({ sku, warehouse: 'MAIN', onHand: String(i % 5 === 0 ? 2 : 20) }))],
        incoming: [{ sku: 'HOT2', warehouse: 'EAST', reference: 'PO-H2', quantity: '25.5', expectedOn: '2026-04-15' }],
      });
      const drafts = Array.from({ length: 200 }, (_, i) => {
        const hot = productLine('HOT2', quantityFor(i));
        const other = productLine(spread[(i * 11) % spread.length]!, quantityFor(i + 3));
        return orderDraft(`MIX-${i}`, { lines: i % 2 ? [hot, other] : [other, hot] });
      });
      const orderIds = await createOrders(f, drafts);
      await Promise.all(orderIds.map((id, i) => f.racers[i % f.racers.length]!.reserveOrder(id)));

      await assertNothingLost(f.main, orderIds);
      const demand = new Map<string, Decimal>();
      for (const d of drafts) for (const l of d.lines) demand.set(l.sku!, (demand.get(l.sku!) ?? new Decimal(0)).plus(l.quantity));
      const supply = new Map<string, Decimal>([['HOT2', new Decimal('65.5')], ...spread.map((sku, i): [string, Decimal] => [sku, new Decimal(i % 5 === 0 ? 2 : 20)])]);
      const reserved = await reservedBySku(f.main);
      for (const [sku, wanted] of demand) {
        expect(reserved.get(sku) ?? '0', sku).toBe(Decimal.min(wanted, supply.get(sku)!).toString());
      }
      expect((await stock.verifyLedger()).mismatches).toEqual([]);
    });

    it('when reservations race with arrivals, cancellations, re-checks and stock loads on the hot SKU, nothing is ever over-reserved and the ledger agrees', async () => {
      const stock = f.racers[0]!;
      await stock.load({
        products: [{ sku: 'HOT3', name: 'Third hot tile' }],
        warehouses: WAREHOUSES,
        levels: [{ sku: 'HOT3', warehouse: 'MAIN', onHand: '30' }],
        incoming: [
          { sku: 'HOT3', warehouse: 'MAIN', reference: 'PO-A', quantity: '40', expectedOn: '2026-04-10' },
          { sku: 'HOT3', warehouse: 'EAST', reference: 'PO-B', quantity: '40', expectedOn: '2026-04-12' },
        ],
      });
      const supplies = await f.main.prisma.incomingSupply.findMany({ where: { product: { sku: 'HOT3' } }, orderBy: { reference: 'asc' } });
      const drafts = Array.from({ length: 200 }, (_, i) => orderDraft(`CHAOS-${i}`, { lines: [productLine('HOT3', quantityFor(i))], desiredDeliveryDate: i % 2 ? '2026-04-30' : undefined }));
      const orderIds = await createOrders(f, drafts);

      const work: Promise<unknown>[] = orderIds.map((id, i) => f.racers[i % f.racers.length]!.reserveOrder(id));
      // Meanwhile: goods arrive in chunks, some orders are cancelled, stock is counted again.
      for (let k = 0; k < 8; k++) work.push(f.racers[k % f.racers.length]!.receiveSupply(supplies[k % 2]!.id, '5'));
      for (let k = 0; k < 20; k++) work.push(f.racers[(k + 1) % f.racers.length]!.releaseOrder(orderIds[k * 10]!));
      for (let k = 0; k < 10; k++) {
        const i = k * 10 + 5;
        const changed = orderDraft(`CHAOS-${i}`, { lines: [productLine('HOT3', '1')], sourceUpdatedAt: '2026-12-01T00:00:00.000Z' });
        work.push(ingestOrders(f.main, { channelId: f.channelId, drafts: [changed] }).then(() => f.racers[k % f.racers.length]!.reserveOrder(orderIds[i]!)));
      }
      work.push(f.racers[0]!.setLevels([{ sku: 'HOT3', warehouse: 'MAIN', onHand: '35' }], 'count during the rush'));
      await Promise.all(work);

      // 200 first checks + 10 re-checks of a second version (whichever order the race ran them in).
      const checks = await f.main.prisma.stockCheck.count({ where: { orderId: { in: orderIds } } });
      expect(checks).toBe(210);
      const changed = await f.main.prisma.reservation.findMany({ where: { orderId: { in: Array.from({ length: 10 }, (_, k) => orderIds[k * 10 + 5]!) }, status: 'active' } });
      for (const r of changed) expect(r.quantity.lte(1)).toBe(true);
      const ledger = await stock.verifyLedger();
      expect(ledger.mismatches).toEqual([]);
      // The figures moved during the race (arrivals, the count), so the bound is read from the final state.
      const [state] = await f.main.query<{ on_hand: string; open: string; reserved: string }>(
        `SELECT (SELECT sum(on_hand) FROM stock_level l JOIN product p ON p.id = l.product_id WHERE p.sku = 'HOT3')::text AS on_hand,
                (SELECT sum(quantity - received) FROM incoming_supply s JOIN product p ON p.id = s.product_id WHERE p.sku = 'HOT3' AND s.status = 'open')::text AS open,
                (SELECT COALESCE(sum(quantity), 0) FROM reservation r JOIN product p ON p.id = r.product_id WHERE p.sku = 'HOT3' AND r.status = 'active')::text AS reserved`,
      );
      expect(new Decimal(state!.reserved).lte(new Decimal(state!.on_hand).plus(state!.open))).toBe(true);
    });
  });
}
