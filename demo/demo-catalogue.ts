import { CatalogueService, type ApplyContext } from '../core/catalogue/catalogue-service.ts';
import { DealerPrices } from '../core/catalogue/dealer-prices.ts';
import type { Database } from '../core/db/database.ts';
import { DealerPurchases } from '../core/dealers/dealer-purchases.ts';
import { dealerScope } from '../core/dealers/dealer-scope.ts';
import { ExclusivityService } from '../core/exclusivity/exclusivity-service.ts';
import { finishAccountingSync, startAccountingSync } from '../core/settlements/accounting-syncs.ts';
import { storeSettlements } from '../core/settlements/settlement-store.ts';
import { archivePayload } from '../core/orders/raw-archive.ts';
import { StockService } from '../core/stock/stock-service.ts';
import { lifecycleOf } from '../jobs/lifecycle.ts';
import type { Hub } from '../jobs/hub.ts';
import { generateWooOrder } from '../testkit/woo-sandbox.ts';

/**
 * What the demo's screens show besides the shops' orders: a catalogue whose SKUs are those the Woo
 * sandboxes sell (testkit/woo-sandbox.ts) plus a few more, two price columns (retail and the
 * dealers'), stock with one supply on its way (seed 002's example: 50 on hand, 70 arriving in 7
 * days), an exclusivity rule that refuses one product to BP-KERT in Budapest, the manual channel
 * that takes dealers' purchases, BP-KERT's settlements as the accounting system would send them,
 * and one shop payload the mapping refused, for ops to look at and reprocess.
 */

const SNAPSHOT: ApplyContext = { catalogueId: 'DEMO-CATALOGUE', onlyChanges: false };

export const DEMO_WAREHOUSE = 'BP-RAKTAR';
/** The seed's 50 + 70 example: 50 on hand, 70 arriving in 7 days. */
export const SUPPLY_PRODUCT = 'KP-TOLGY';
/** Refused to BP-KERT in Budapest: BP-PAD holds its exclusivity there. */
export const EXCLUSIVE_PRODUCT = 'NE-300';
export const DEALER_COLUMN = 'DEALER';
export const RETAIL_COLUMN = 'RETAIL';
export const PURCHASE_CHANNEL = 'Dealer purchases';

/** SKU, name, unit, retail and dealer price (HUF, net), stock on hand. */
const PRODUCTS: [string, string, string, string, string, string][] = [
  ['KP-TOLGY', 'Kerti pad – tölgy', 'db', '45990', '36800', '50'],
  ['DP-4040-ZOLD', 'Díszpárna 40×40, zöld', 'db', '4990', '3990', '120'],
  ['DP-4040-KEK', 'Díszpárna 40×40, kék', 'db', '4990', '3990', '85'],
  ['DP-4040-SZURKE', 'Díszpárna 40×40, szürke', 'db', '4990', '3990', '0'],
  ['FK-MINI', 'Fonott kosár „Mini”', 'db', '2490', '1890', '300'],
  ['VK-S', 'Vászon kötény, S', 'db', '7990', '6200', '40'],
  ['VK-M', 'Vászon kötény, M', 'db', '7990', '6200', '60'],
  ['VK-L', 'Vászon kötény, L', 'db', '7990', '6200', '25'],
  ['KB-350', 'Kerámia bögre (350 ml)', 'db', '2990', '2100', '500'],
  ['KA-FENYO', 'Kerti asztal – fenyő', 'db', '89990', '71900', '12'],
  ['NE-300', 'Napernyő 3 m', 'db', '34990', '27900', '30'],
  ['VL-80', 'Virágláda 80 cm', 'db', '12990', '9900', '45'],
  ['KSZ-RATTAN', 'Kerti szék – rattan', 'db', '24990', '19900', '8'],
];

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

export interface DemoCatalogue {
  products: number;
  supplyArrives: string;
}

/** Warehouses, products, both price columns with prices, stock, the incoming supply, the dealers' column and the exclusivity rule. */
export async function setUpDemoCatalogue(db: Database, dealerCodes: readonly string[]): Promise<DemoCatalogue> {
  const catalogue = new CatalogueService(db);
  await catalogue.apply({ kind: 'warehouses', warehouses: [{ id: DEMO_WAREHOUSE, name: 'Budapesti raktár' }] }, SNAPSHOT);
  await catalogue.apply({
    kind: 'priceTypes',
    priceTypes: [
      { id: RETAIL_COLUMN, name: 'Kiskereskedelmi ár', currency: 'HUF' },
      { id: DEALER_COLUMN, name: 'Viszonteladói ár', currency: 'HUF' },
    ],
  }, SNAPSHOT);
  await catalogue.apply({
    kind: 'products',
    position: 0,
    problems: [],
    products: PRODUCTS.map(([sku, name, unit]) => ({ id: `DEMO-${sku}`, article: sku, name, unit: { name: unit }, groupIds: [], properties: [], requisites: [], deleted: false })),
  }, SNAPSHOT);
  await catalogue.apply({
    kind: 'offers',
    position: 0,
    problems: [],
    offers: PRODUCTS.map(([sku, , , retail, dealer, onHand]) => ({
      id: `DEMO-${sku}`,
      productId: `DEMO-${sku}`,
      prices: [{ priceTypeId: RETAIL_COLUMN, unitPrice: retail }, { priceTypeId: DEALER_COLUMN, unitPrice: dealer }],
      stock: [{ warehouseId: DEMO_WAREHOUSE, quantity: onHand }],
    })),
  }, SNAPSHOT);
  const supplyArrives = day(7);
  await new StockService(db).upsertIncoming(
    [
      { sku: SUPPLY_PRODUCT, warehouse: DEMO_WAREHOUSE, reference: 'BESZ-2026-070', quantity: '70', expectedOn: supplyArrives },
      { sku: 'DP-4040-SZURKE', warehouse: DEMO_WAREHOUSE, reference: 'BESZ-2026-071', quantity: '60', expectedOn: day(14) },
    ],
    'demo: supplier orders',
  );
  const prices = new DealerPrices(db);
  for (const code of dealerCodes) await prices.setColumns(code, { column: DEALER_COLUMN });
  await new ExclusivityService(db).create({
    scope: 'product',
    value: EXCLUSIVE_PRODUCT,
    regionCode: 'HU-BU',
    dealerCodes: ['BP-PAD'],
    externalId: 'demo-exclusive-parasol',
    note: 'demo: BP-PAD alone sells the parasol in Budapest',
  });
  return { products: PRODUCTS.length, supplyArrives };
}

/**
 * The manual channel dealers' purchases go to, and one purchase BP-KERT placed through it (as its
 * head would in the web app), so the purchase history is not empty.
 */
export async function setUpDealerPurchases(hub: Hub): Promise<{ channelId: string; orderId: string }> {
  const channel = await hub.channels.create({ name: PURCHASE_CHANNEL, connectorType: 'manual', config: { desk: 'Dealer portal', dealerPurchases: true } });
  const placed = await new DealerPurchases(hub.db).place(
    dealerScope('BP-KERT', 'kert.head'),
    {
      lines: [{ sku: 'KB-350', quantity: '48' }, { sku: 'FK-MINI', quantity: '24' }],
      desiredDate: day(10),
      reference: 'KERT-PO-0001',
      comment: 'demo: the spring restock',
    },
    (channelId, order) => hub.actions.recordManualOrder(channelId, order),
  );
  return { channelId: channel.id, orderId: placed.orderId };
}

/**
 * BP-KERT's settlements over the last two months as the accounting system's sync stores them
 * (core/settlements/settlement-store.ts; no 1C needed): figures and a few documents, one naming the
 * demo purchase. The demo's accounting is in forints.
 */
export async function setUpDemoSettlements(db: Database): Promise<void> {
  const from = day(-60);
  const to = day(0);
  const syncId = await startAccountingSync(db, { kind: 'settlements', source: 'demo', trigger: 'cli', from, to, requestedBy: 'demo' });
  const at = (offset: number) => `${day(offset)}T10:00:00.000Z`;
  const result = await storeSettlements(db, syncId, { from, to }, [
    {
      dealerRef: 'BP-KERT',
      dealerCode: 'BP-KERT',
      figures: { opening: '250000.00', shipped: '412500.00', paid: '380000.00', returns: '12500.00', closing: '270000.00', overdue: '0.00', creditLimit: '1500000.00' },
      documents: [
        { ref: 'demo-ship-1', kind: 'shipment', number: 'SZ-2026-0412', date: at(-45), amount: '212500.00', orderNumber: null },
        { ref: 'demo-pay-1', kind: 'payment', number: 'BF-2026-0101', date: at(-30), amount: '380000.00', orderNumber: null },
        { ref: 'demo-return-1', kind: 'return', number: 'VI-2026-0007', date: at(-20), amount: '12500.00', orderNumber: null },
        { ref: 'demo-ship-2', kind: 'shipment', number: 'SZ-2026-0519', date: at(-1), amount: '200000.00', orderNumber: 'KERT-PO-0001' },
      ],
    },
  ]);
  await finishAccountingSync(db, syncId, result);
  await db.prisma.dealerSettlement.updateMany({ where: { syncId }, data: { currency: 'HUF' } });
}

/**
 * One webhook body the WooCommerce mapping refuses (an order without its currency), archived and
 * read through the same intake every payload takes: ops find it among the failed payloads, with the
 * mapping's reason, and may reprocess it.
 */
export async function archiveFailedPayload(hub: Hub, channelId: string): Promise<string> {
  const { currency: _currency, ...order } = generateWooOrder(999, { firstId: 9000, baseTime: new Date(Date.now() - 3_600_000) });
  const archived = await archivePayload(hub.db, {
    channelId,
    kind: 'push',
    source: 'webhook order.created (demo: a body without its currency)',
    contentType: 'application/json',
    body: JSON.stringify(order),
  });
  await lifecycleOf(hub.context).intakePayload(archived.id);
  return archived.id;
}
