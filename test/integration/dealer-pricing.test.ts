import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueService, type ApplyContext } from '../../core/catalogue/catalogue-service.ts';
import { DealerPrices } from '../../core/catalogue/dealer-prices.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import type { ManualOrderInput } from '../../core/model/manual-order.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';

/**
 * A dealer's purchase recorded through the hub's actions: lines without a unit price are priced
 * from the dealer's column (its region's override where one applies) at the moment of ordering, and
 * keep that price whatever 1C sends later.
 */
const DELTA: ApplyContext = { catalogueId: 'CAT-P', onlyChanges: true };

describe('a dealer purchase priced from its price column', () => {
  let t: TestDatabase;
  let hub: Hub;
  let desk: string;
  let catalogue: CatalogueService;

  const purchase = (externalId: string, overrides: Partial<ManualOrderInput> = {}): ManualOrderInput => ({
    operator: 'portal',
    via: 'dealer_portal',
    externalId,
    dealerCode: 'DA',
    region: 'RU-MOW-ZEL',
    customer: { name: 'Dealer A' },
    currency: 'RUB',
    lines: [{ sku: 'FT-1', name: 'Floor tile', quantity: '10' }],
    ...overrides,
  });
  const linesOf = async (orderId: string) =>
    (await t.db.prisma.orderLine.findMany({ where: { orderId }, orderBy: { position: 'asc' } })).map((l) => ({ sku: l.sku, unitPrice: l.unitPrice.toString(), total: l.total.toString(), attributes: l.attributes }));
  const setPrice = (column: string, price: string) =>
    catalogue.apply({ kind: 'offers', position: 0, problems: [], offers: [{ id: 'T-1', productId: 'T-1', prices: [{ priceTypeId: column, unitPrice: price }] }] }, DELTA);

  beforeAll(async () => {
    t = await createTestPostgres();
    hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
    await new RegionService(t.db).load([
      { code: 'RU', name: 'Russia', level: 'country' },
      { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
      { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
      { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
    ]);
    await new DealerService(t.db).load([
      { code: 'DA', name: 'Dealer A', mainRegion: 'RU-MOW', authorised: true, wholeRange: true, priceColumn: 'PT-OPT' },
      { code: 'DN', name: 'Dealer without a column', mainRegion: 'RU-SPE', authorised: true, wholeRange: true },
    ]);
    catalogue = new CatalogueService(t.db);
    await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-OPT', name: 'Оптовая', currency: 'руб' }, { id: 'PT-MSK', name: 'Москва', currency: 'руб' }] }, DELTA);
    await catalogue.apply({ kind: 'products', position: 0, problems: [], products: [
      { id: 'T-1', article: 'FT-1', name: 'Floor tile', groupIds: [], properties: [], requisites: [], deleted: false },
      { id: 'T-2', article: 'NO-PRICE', name: 'Unpriced tile', groupIds: [], properties: [], requisites: [], deleted: false },
    ] }, DELTA);
    await setPrice('PT-OPT', '100');
    await setPrice('PT-MSK', '110');
    desk = (await hub.channels.create({ name: 'Dealer portal', connectorType: 'manual', config: {} })).id;
  });
  afterAll(async () => {
    await hub?.close();
    await t?.drop();
  });

  it("prices a line from the dealer's column at the moment of ordering; a later price change does not reprice the order", async () => {
    await new DealerPrices(t.db).setColumns('DA', { column: 'PT-OPT', regions: [] });
    const receipt = await hub.actions.recordManualOrder(desk, purchase('BUY-1', { region: 'RU-SPE' }));
    expect(receipt.outcome).toBe('created');
    expect(await linesOf(receipt.orderId)).toEqual([{ sku: 'FT-1', unitPrice: '100', total: '1000', attributes: { priceColumn: 'PT-OPT' } }]);

    await setPrice('PT-OPT', '120');
    // The same order recorded again (a retry) is priced as of when it was first recorded: nothing changes.
    expect((await hub.actions.recordManualOrder(desk, purchase('BUY-1', { region: 'RU-SPE' }))).outcome).toBe('unchanged');
    expect((await linesOf(receipt.orderId))[0]!.unitPrice).toBe('100');
    const later = await hub.actions.recordManualOrder(desk, purchase('BUY-2', { region: 'RU-SPE' }));
    expect((await linesOf(later.orderId))[0]!.unitPrice).toBe('120');
  });

  it("takes the region's override for a city inside the region; a line with its own price keeps it", async () => {
    await new DealerPrices(t.db).setColumns('DA', { column: 'PT-OPT', regions: [{ region: 'RU-MOW', column: 'PT-MSK' }] });
    const receipt = await hub.actions.recordManualOrder(desk, purchase('BUY-3', { lines: [{ sku: 'FT-1', name: 'Floor tile', quantity: '1' }, { sku: 'FT-1', name: 'Floor tile', quantity: '1', unitPrice: '99' }] }));
    expect((await linesOf(receipt.orderId)).map((l) => [l.unitPrice, l.attributes])).toEqual([['110', { priceColumn: 'PT-MSK' }], ['99', {}]]);
  });

  it('refuses, with the reason, a line the column cannot price, and records nothing of the order', async () => {
    await expect(hub.actions.recordManualOrder(desk, purchase('BUY-4', { lines: [{ sku: 'NO-PRICE', name: 'Unpriced', quantity: '1' }] }))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('line 1 (NO-PRICE): SKU NO-PRICE has no price in column "Москва" (PT-MSK)'),
      details: { reason: 'not_priced' },
    });
    await expect(hub.actions.recordManualOrder(desk, purchase('BUY-5', { dealerCode: 'DN', region: 'RU-SPE' }))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('dealer DN has no price column'),
    });
    await expect(hub.actions.recordManualOrder(desk, purchase('BUY-6', { dealerCode: undefined }))).rejects.toMatchObject({ code: 'invalid_data', field: 'lines.0.unitPrice' });
    await expect(hub.actions.recordManualOrder(desk, purchase('BUY-7', { currency: 'EUR' }))).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('the price in column "Москва" is in RUB, the order in EUR'),
    });
    expect(await t.db.prisma.order.count({ where: { externalId: { in: ['BUY-4', 'BUY-5', 'BUY-6', 'BUY-7'] } } })).toBe(0);
  });

  it("resolves the column 1C names by code, else by name without regard to case, and an ambiguous name to none", async () => {
    const prices = new DealerPrices(t.db);
    await t.db.prisma.dealer.update({ where: { code: 'DN' }, data: { priceColumn: 'МОСКВА' } });
    expect(await prices.columnFor('DN', 'RU-SPE')).toMatchObject({ ok: true, column: { code: 'PT-MSK' } });
    await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-MSK-2', name: 'москва', currency: 'руб' }] }, DELTA);
    expect(await prices.columnFor('DN', 'RU-SPE')).toEqual({ ok: false, reason: 'dealer DN\'s price column "МОСКВА" is not a known price column' });
    await t.db.prisma.dealer.update({ where: { code: 'DN' }, data: { priceColumn: 'PT-MSK-2' } });
    expect(await prices.columnFor('DN', 'RU-SPE')).toMatchObject({ ok: true, column: { code: 'PT-MSK-2' } });
  });
});
