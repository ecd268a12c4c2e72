import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueService, type ApplyContext } from '../../core/catalogue/catalogue-service.ts';
import { DealerPrices } from '../../core/catalogue/dealer-prices.ts';
import type { CatalogueProduct, CommerceMlChunk, Offer } from '../../core/model/commerceml.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * The catalogue from 1C on a real PostgreSQL: chunks as the CommerceML readers yield them, built by
 * hand here (the readers have tests of their own on 1C's documented samples).
 */

const SNAPSHOT: ApplyContext = { catalogueId: 'CAT-1', onlyChanges: false, exchangeId: 'X-1' };
const DELTA: ApplyContext = { catalogueId: 'CAT-1', onlyChanges: true };

const product = (id: string, overrides: Partial<CatalogueProduct> = {}): CatalogueProduct => ({
  id, name: `Tile ${id}`, groupIds: ['G-1'], properties: [], requisites: [], deleted: false, ...overrides,
});
const products = (...items: CatalogueProduct[]): CommerceMlChunk => ({ kind: 'products', position: 0, products: items, problems: [] });
const offers = (...items: Offer[]): CommerceMlChunk => ({ kind: 'offers', position: 0, offers: items, problems: [] });
const offer = (id: string, overrides: Partial<Offer> = {}): Offer => {
  const [productId, variantId] = id.split('#');
  return { id, productId: productId!, ...(variantId && { variantId }), ...overrides };
};

describe.each(DATABASE_KINDS)('the catalogue from 1C on %s', (_kind, createDatabase) => {
  let t: TestDatabase;
  let catalogue: CatalogueService;

  beforeAll(async () => {
    t = await createDatabase();
    catalogue = new CatalogueService(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  const item = (externalId: string) => t.db.prisma.product.findUniqueOrThrow({ where: { externalId } });
  const dbNow = async () => (await t.db.query<{ now: Date }>(`SELECT now() AS now`))[0]!.now;

  describe('when a catalogue arrives as a full snapshot and then as deltas', () => {
    it('stores products with their 1C fields, deactivates what the next snapshot leaves out and never on a delta', async () => {
      const first = await catalogue.apply(products(
        product('S-1', { article: 'ART-S1', barcode: '4600000000011', unit: { code: '796 ', name: 'шт' }, manufacturer: 'NOVUS', properties: [{ propertyId: 'P-1', value: '1,4' }], description: 'Glazed' }),
        product('S-2', { unit: { code: '796' } }),
        product('S-3'),
      ), SNAPSHOT);
      expect(first).toMatchObject({ created: 3, updated: 0, unchanged: 0, deactivated: 0, problems: [] });
      expect(await item('S-1')).toMatchObject({
        sku: 'ART-S1', article: 'ART-S1', barcode: '4600000000011', unit: 'шт', unitCode: '796', manufacturer: 'NOVUS', groupIds: ['G-1'],
        properties: [{ propertyId: 'P-1', value: '1,4' }], catalogueId: 'CAT-1', active: true, parentId: null,
      });
      // No article: the 1C id is the SKU; a unit given by code only is named from OKEI.
      expect(await item('S-2')).toMatchObject({ sku: 'S-2', unit: 'шт', unitCode: '796' });

      const secondStarted = await dbNow();
      const second = await catalogue.apply(products(product('S-1', { article: 'ART-S1', barcode: '4600000000011', unit: { code: '796 ', name: 'шт' }, manufacturer: 'NOVUS', properties: [{ propertyId: 'P-1', value: '1,4' }], description: 'Glazed' }), product('S-2', { name: 'Tile S-2 renamed', unit: { code: '796' } })), SNAPSHOT);
      expect(second).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
      expect(await catalogue.finishSnapshot('CAT-1', secondStarted)).toEqual({ deactivated: 1 });
      expect((await item('S-3')).active).toBe(false);
      expect(await catalogue.finishSnapshot('CAT-1', secondStarted)).toEqual({ deactivated: 0 });

      // A delta mentions one product: the others stay as they are; deleted=true deactivates.
      expect(await catalogue.apply(products(product('S-2', { name: 'Tile S-2 renamed', unit: { code: '796' }, deleted: true })), DELTA)).toMatchObject({ deactivated: 1, updated: 0 });
      expect((await item('S-1')).active).toBe(true);
      expect((await item('S-2')).active).toBe(false);
      // Back in a later file: active again.
      expect(await catalogue.apply(products(product('S-3')), DELTA)).toMatchObject({ updated: 1 });
      expect((await item('S-3')).active).toBe(true);
    });
  });

  describe('when two items claim one SKU', () => {
    it('gives the second its 1C id and records a problem; a product loaded otherwise under the article is adopted', async () => {
      await new StockService(t.db).upsertProducts([{ sku: 'ART-OLD', name: 'Loaded by hand' }]);
      const answer = await catalogue.apply(products(product('C-1', { article: 'ART-C' }), product('C-2', { article: 'ART-C' }), product('C-3', { article: 'ART-OLD' })), SNAPSHOT);
      expect(answer.created).toBe(2);
      expect(answer.updated).toBe(1);
      expect(answer.problems).toEqual([{ ref: 'C-2', message: "SKU ART-C (its article) is already 1C item C-1's; this item gets another SKU" }]);
      expect((await item('C-1')).sku).toBe('ART-C');
      expect((await item('C-2')).sku).toBe('C-2');
      const adopted = await item('C-3');
      expect(adopted).toMatchObject({ sku: 'ART-OLD', name: 'Tile C-3' });
      expect(await t.db.prisma.product.count({ where: { sku: 'ART-OLD' } })).toBe(1);
      // The SKU stays once given, whatever the article becomes.
      await catalogue.apply(products(product('C-1', { article: 'ART-C-NEW' })), DELTA);
      expect(await item('C-1')).toMatchObject({ sku: 'ART-C', article: 'ART-C-NEW' });
    });
  });

  describe('when offers name variants, prices and stock', () => {
    it('makes each variant an item of its own under its product, with a placeholder column that a later ТипыЦен fills', async () => {
      await catalogue.apply(products(product('V-P', { article: 'ART-VP' })), SNAPSHOT);
      const answer = await catalogue.apply(offers(
        offer('V-P#RED', { name: 'Tile V-P (red)', article: 'ART-VP-RED', prices: [{ priceTypeId: 'PT-LATE', unitPrice: '231.7400', currency: 'руб' }] }),
        offer('V-P#BLUE', { prices: [{ priceTypeId: 'PT-LATE', unitPrice: '240' }] }),
        offer('NOPE#X', { prices: [{ priceTypeId: 'PT-LATE', unitPrice: '1' }] }),
      ), SNAPSHOT);
      expect(answer).toMatchObject({ created: 2, prices: { changed: 2, unchanged: 0 } });
      expect(answer.problems).toEqual([{ ref: 'NOPE#X', message: 'variant of unknown product NOPE (not in import.xml yet): skipped' }]);
      const parent = await item('V-P');
      expect(await item('V-P#RED')).toMatchObject({ sku: 'ART-VP-RED', parentId: parent.id, name: 'Tile V-P (red)', groupIds: ['G-1'] });
      expect(await item('V-P#BLUE')).toMatchObject({ sku: 'V-P#BLUE', parentId: parent.id, name: 'Tile V-P' });
      expect(await t.db.prisma.priceColumn.findUniqueOrThrow({ where: { code: 'PT-LATE' } })).toMatchObject({ name: 'PT-LATE', placeholder: true, currency: null });

      expect(await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-LATE', name: 'Оптовая', currency: 'руб.', vatIncluded: true, taxName: 'НДС' }] }, SNAPSHOT)).toMatchObject({ updated: 1 });
      expect(await t.db.prisma.priceColumn.findUniqueOrThrow({ where: { code: 'PT-LATE' } })).toMatchObject({ name: 'Оптовая', placeholder: false, currency: 'RUB', vatIncluded: true });
      const again = await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-LATE', name: 'Оптовая', currency: 'руб.', vatIncluded: true, taxName: 'НДС' }] }, SNAPSHOT);
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 1 });

      // A deleted product takes its variants with it.
      expect(await catalogue.apply(products(product('V-P', { article: 'ART-VP', deleted: true })), DELTA)).toMatchObject({ deactivated: 3 });
    });

    it('keeps price history: a change closes the old price, the same price writes nothing', async () => {
      await catalogue.apply(products(product('H-1')), SNAPSHOT);
      await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-H', name: 'History', currency: 'RUB' }] }, SNAPSHOT);
      expect((await catalogue.apply(offers(offer('H-1', { prices: [{ priceTypeId: 'PT-H', unitPrice: '100.00' }] })), SNAPSHOT)).prices).toEqual({ changed: 1, unchanged: 0 });
      const between = await dbNow();
      expect((await catalogue.apply(offers(offer('H-1', { prices: [{ priceTypeId: 'PT-H', unitPrice: '100.0000' }] })), SNAPSHOT)).prices).toEqual({ changed: 0, unchanged: 1 });
      expect((await catalogue.apply(offers(offer('H-1', { prices: [{ priceTypeId: 'PT-H', unitPrice: '110.50' }] })), DELTA)).prices).toEqual({ changed: 1, unchanged: 0 });
      const rows = await t.db.query<{ unit_price: string; valid_from: Date; valid_to: Date | null }>(
        `SELECT pr.unit_price::text AS unit_price, valid_from, valid_to FROM price pr JOIN product p ON p.id = pr.product_id WHERE p.external_id = 'H-1' ORDER BY valid_from`,
      );
      expect(rows.map((r) => r.unit_price)).toEqual(['100.000000', '110.500000']);
      expect(rows[0]!.valid_to).toEqual(rows[1]!.valid_from);
      expect(rows[1]!.valid_to).toBeNull();
      await t.db.prisma.region.create({ data: { code: 'H', name: 'H', level: 'country', path: '/H/' } });
      await t.db.prisma.dealer.create({ data: { code: 'H-DEALER', name: 'H', priceColumn: 'history' } });
      const prices = new DealerPrices(t.db);
      expect(await prices.priceFor('H-DEALER', { sku: 'H-1' }, between)).toMatchObject({ ok: true, unitPrice: '100', currency: 'RUB' });
      expect(await prices.priceFor('H-DEALER', { sku: 'H-1' }, new Date(Date.now() + 60_000))).toMatchObject({ ok: true, unitPrice: '110.5' });
    });

    it('loads stock through the stock module: a reservation in place stays correct, a total goes to the default warehouse', async () => {
      await catalogue.apply(products(product('K-1', { article: 'STOCK-1' })), SNAPSHOT);
      await catalogue.apply({ kind: 'warehouses', warehouses: [{ id: 'WH-GUID-1', name: 'Main' }] }, SNAPSHOT);
      const first = await catalogue.apply(offers(offer('K-1', { stock: [{ warehouseId: 'WH-GUID-1', quantity: '10' }] })), SNAPSHOT);
      expect(first.stock).toMatchObject({ created: 1, updated: 0, unchanged: 0, released: [] });

      const stock = new StockService(t.db);
      const channelId = (await t.db.prisma.channel.create({ data: { name: 'Portal', kind: 'webshop', connectorType: 'testshop' } })).id;
      const [ordered] = await ingestOrders(t.db, {
        channelId,
        drafts: [orderDraft('R-1', { lines: [{ kind: 'product', sku: 'STOCK-1', name: 'Tile', quantity: '6', unitPrice: '1', subtotal: '6', discount: '0', tax: '0', total: '6', attributes: {} }] })],
      });
      expect((await stock.reserveOrder(ordered!.orderId!)).check.result).toBe('confirmed');

      // 1C says 8 now: the 6 reserved stay, 2 are free.
      expect((await catalogue.apply(offers(offer('K-1', { stock: [{ warehouseId: 'WH-GUID-1', quantity: '8' }] })), DELTA)).stock).toMatchObject({ updated: 1, released: [] });
      expect((await stock.reservations(ordered!.orderId!)).reservations).toEqual([expect.objectContaining({ quantity: '6', status: 'active' })]);
      const availability = await stock.availability([{ sku: 'STOCK-1', quantity: '3' }]);
      expect(availability.lines[0]).toMatchObject({ status: 'partial', allocated: '2' });
      // 1C says 4: stock under the reservation shrank, the stock module releases what no longer fits and reopens the order for review.
      const shrunk = await catalogue.apply(offers(offer('K-1', { stock: [{ warehouseId: 'WH-GUID-1', quantity: '4' }] })), DELTA);
      expect(shrunk.stock.released).toEqual([expect.objectContaining({ orderId: ordered!.orderId, sku: 'STOCK-1', quantity: '2' })]);
      expect((await stock.verifyLedger()).ok).toBe(true);

      // A total without warehouses: the default warehouse; a negative 1C balance: 0 and a problem.
      const total = await catalogue.apply(offers(offer('K-1', { quantity: '5' })), DELTA);
      expect(total.stock.created).toBe(1);
      const negative = await catalogue.apply(offers(offer('K-1', { stock: [{ warehouseId: 'WH-GUID-2', quantity: '-3' }, { warehouseId: 'WH-GUID-1', quantity: '1,5' }] })), DELTA);
      expect(negative.problems).toEqual([
        { ref: 'K-1', message: 'negative quantity -3 at warehouse WH-GUID-2 loaded as 0' },
        { ref: 'K-1', message: 'quantity at warehouse WH-GUID-1 is not a number: "1,5"' },
      ]);
      const levels = await t.db.query<{ code: string; on_hand: string }>(
        `SELECT w.code, l.on_hand::text AS on_hand FROM stock_level l JOIN warehouse w ON w.id = l.warehouse_id JOIN product p ON p.id = l.product_id WHERE p.sku = 'STOCK-1' ORDER BY w.code`,
      );
      expect(levels).toEqual([{ code: '1c-default', on_hand: '5.0000' }, { code: 'WH-GUID-1', on_hand: '4.0000' }, { code: 'WH-GUID-2', on_hand: '0.0000' }]);
      expect((await stock.verifyLedger()).ok).toBe(true);
    });
  });

  describe('when a chunk is applied again (an import resumed after a crash)', () => {
    it('changes nothing', async () => {
      const chunks: CommerceMlChunk[] = [
        { kind: 'groups', groups: [{ id: 'G-R', name: 'Tiles' }, { id: 'G-R2', name: 'Floor', parentId: 'G-R' }] },
        { kind: 'properties', properties: [{ id: 'P-R', name: 'Colour', valueType: 'Справочник', choices: [{ id: 'c1', value: 'Red' }] }] },
        { kind: 'priceTypes', priceTypes: [{ id: 'PT-R', name: 'Retail', currency: 'руб' }] },
        { kind: 'warehouses', warehouses: [{ id: 'WH-R', name: 'Main' }] },
        products(product('R-1', { article: 'ART-R1', properties: [{ propertyId: 'P-R', value: 'c1' }] }), product('R-2')),
        offers(offer('R-1', { prices: [{ priceTypeId: 'PT-R', unitPrice: '10' }], stock: [{ warehouseId: 'WH-R', quantity: '3' }] }), offer('R-2#V', { prices: [{ priceTypeId: 'PT-R', unitPrice: '12' }], quantity: '1' })),
      ];
      for (const chunk of chunks) await catalogue.apply(chunk, SNAPSHOT);
      const tables = async () => t.db.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM product)::text AS products, (SELECT count(*) FROM price)::text AS prices, (SELECT count(*) FROM stock_movement)::text AS movements,
                (SELECT count(*) FROM price_column)::text AS columns, (SELECT max(updated_at) FROM product)::text AS touched`,
      );
      const before = await tables();
      for (const chunk of chunks) {
        const again = await catalogue.apply(chunk, SNAPSHOT);
        expect(again, chunk.kind).toMatchObject({ created: 0, updated: 0, deactivated: 0, prices: { changed: 0 }, stock: { created: 0, updated: 0 } });
      }
      expect(await tables()).toEqual(before);
    });
  });
});
