import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueService, type ApplyContext } from '../../core/catalogue/catalogue-service.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import type { HubActions } from '../../core/ports.ts';
import { DistributionConfigs } from '../../core/distribution/distribution-configs.ts';
import { ExclusivityService } from '../../core/exclusivity/exclusivity-service.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { actingAs, makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp } from './fakes.ts';

/**
 * A dealer's purchase orders to the manufacturer, as the dealer portal's users place them: the
 * check (prices at the dealer's column, availability by the desired date as seed 002 tells it,
 * exclusivity per line, nothing reserved), placing through the manual intake, the history, and
 * who may do it (the dealer's own users only; the dealer comes from the sign-in, not the URL).
 */

const SNAPSHOT: ApplyContext = { catalogueId: 'CAT-PO', onlyChanges: false };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const ARRIVES = day(7);

let t: TestDatabase;
let hub: Hub;
let staff: FastifyInstance;
let anonymous: FastifyInstance;
let daHead: TestUser;
let daManager: TestUser;
let dbHead: TestUser;
let channelId: string;

const as = (user: TestUser) => actingAs(anonymous, user);
async function send(app: FastifyInstance, method: InjectOptions['method'], url: string, payload?: object): Promise<{ status: number; body: any }> {
  const response = await app.inject({ method, url, ...(payload && { payload }) });
  return { status: response.statusCode, body: response.body ? response.json() : {} };
}
const counts = async () => ({ orders: await t.db.prisma.order.count(), payloads: await t.db.prisma.rawPayload.count(), reservations: await t.db.prisma.reservation.count() });

beforeAll(async () => {
  t = await createTestPostgres();
  hub = await createHub(loadConfig({}), { db: t.db, schedules: false });
  let actions: HubActions;
  ({ app: staff, anonymous, actions } = await buildTestApp(t.db));
  // The real intake behind the API (the fake hub actions do not record manual orders).
  actions.recordManualOrder = (id, order) => hub.actions.recordManualOrder(id, order);

  await new RegionService(t.db).load([
    { code: 'RU', name: 'Russia', level: 'country' },
    { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
    { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
  ]);
  await new DealerService(t.db).load([
    { code: 'DA', name: 'Dealer A', mainRegion: 'RU-MOW', authorised: true, wholeRange: true, priceColumn: 'PT-OPT' },
    { code: 'DB', name: 'Dealer B', mainRegion: 'RU-SPE', authorised: true, wholeRange: true, priceColumn: 'PT-OPT' },
    { code: 'DX', name: 'Exclusive partner', mainRegion: 'RU-MOW', authorised: true, wholeRange: true, priceColumn: 'PT-OPT' },
  ]);
  const catalogue = new CatalogueService(t.db);
  await catalogue.apply({ kind: 'priceTypes', priceTypes: [{ id: 'PT-OPT', name: 'Оптовая', currency: 'руб' }, { id: 'PT-RETAIL', name: 'Розничная', currency: 'руб' }] }, SNAPSHOT);
  const product = (id: string, article: string, name: string) => ({ id, article, name, groupIds: [], properties: [], requisites: [], deleted: false });
  await catalogue.apply({
    kind: 'products',
    position: 0,
    problems: [],
    products: [product('T-1', 'FT-1', 'Floor tile'), product('T-2', 'WT-2', 'Wall tile'), product('T-3', 'EXC-1', 'Exclusive mosaic'), product('T-4', 'NO-PRICE', 'Unpriced tile')],
  }, SNAPSHOT);
  const prices = (opt: string, retail: string) => [{ priceTypeId: 'PT-OPT', unitPrice: opt }, { priceTypeId: 'PT-RETAIL', unitPrice: retail }];
  await catalogue.apply({
    kind: 'offers',
    position: 0,
    problems: [],
    offers: [
      { id: 'T-1', productId: 'T-1', prices: prices('100', '150') },
      { id: 'T-2', productId: 'T-2', prices: prices('200', '250') },
      { id: 'T-3', productId: 'T-3', prices: prices('300', '350') },
    ],
  }, SNAPSHOT);
  await new StockService(t.db).load({
    warehouses: [{ code: 'MAIN', name: 'Main warehouse' }],
    levels: [{ sku: 'FT-1', warehouse: 'MAIN', onHand: '50' }, { sku: 'WT-2', warehouse: 'MAIN', onHand: '500' }, { sku: 'EXC-1', warehouse: 'MAIN', onHand: '20' }],
    incoming: [{ sku: 'FT-1', warehouse: 'MAIN', reference: 'SUP-70', quantity: '70', expectedOn: ARRIVES }],
  });
  await new ExclusivityService(t.db).create({ scope: 'product', value: 'EXC-1', regionCode: 'RU-MOW', dealerCodes: ['DX'], note: 'DX sells the mosaic in Moscow' });
  // Distribution is on for manual channels (the default kinds): a dealer's own purchase still is not offered to dealers.
  await new DistributionConfigs(t.db).save({ settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] }, 'test', 'taxi');
  channelId = (await hub.channels.create({ name: 'Dealer portal', connectorType: 'manual', config: { desk: 'Dealers', dealerPurchases: true } })).id;

  daHead = await makeUser(t.db, { login: 'da.head', roles: ['dealer_head'], dealer: 'DA' });
  daManager = await makeUser(t.db, { login: 'da.anna', roles: ['dealer_manager'], dealer: 'DA' });
  dbHead = await makeUser(t.db, { login: 'db.head', roles: ['dealer_head'], dealer: 'DB' });
});

afterAll(async () => {
  await anonymous?.close();
  await hub?.close();
  await t?.drop();
});

describe("checking a dealer's purchase", () => {
  it('the 50 + 70 example: 100 wanted after the supply arrives is available (the supply first, then 30 from stock); before it, partial, short 50; nothing is reserved', async () => {
    const before = await counts();
    const after = await send(as(daHead), 'POST', '/v1/dealers/DA/purchases/check', { lines: [{ sku: 'FT-1', quantity: '100' }], desiredDate: day(10) });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ currency: 'RUB', priceColumn: { name: 'Оптовая' }, desiredDate: day(10), total: '10000', canOrder: true });
    expect(after.body.lines).toEqual([
      {
        sku: 'FT-1', name: 'Floor tile', quantity: '100', unitPrice: '100', amount: '10000',
        availability: { status: 'available', inStock: '30', incoming: [{ date: ARRIVES, quantity: '70' }], availableByDate: '100', short: '0' },
        exclusivity: { allowed: true, reason: null },
        problem: null,
      },
    ]);

    const early = await send(as(daManager), 'POST', '/v1/dealers/DA/purchases/check', { lines: [{ sku: 'FT-1', quantity: '100' }], desiredDate: day(3) });
    expect(early.body.lines[0].availability).toEqual({ status: 'partial', inStock: '50', incoming: [], availableByDate: '50', short: '50' });
    // A short line still may be ordered: it waits for supply.
    expect(early.body.canOrder).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it("prices at the dealer's column, names unknown and unpriced lines, and refuses a product under another dealer's exclusivity line by line", async () => {
    const check = await send(as(daHead), 'POST', '/v1/dealers/DA/purchases/check', {
      lines: [{ sku: 'WT-2', quantity: '2.5' }, { sku: 'EXC-1', quantity: '1' }, { sku: 'NOPE', quantity: '1' }, { sku: 'NO-PRICE', quantity: '1' }],
    });
    expect(check.status).toBe(200);
    const [wall, exclusive, unknown, unpriced] = check.body.lines;
    expect(wall).toMatchObject({ unitPrice: '200', amount: '500', problem: null, exclusivity: { allowed: true }, availability: { status: 'available', inStock: '2.5' } });
    expect(exclusive).toMatchObject({ unitPrice: '300', exclusivity: { allowed: false, reason: expect.any(String) }, problem: expect.any(String) });
    expect(unknown).toMatchObject({ name: null, unitPrice: null, amount: null, problem: expect.stringContaining('not in the catalogue'), availability: { status: 'unavailable', short: '1' } });
    expect(unpriced).toMatchObject({ unitPrice: null, problem: expect.stringContaining('no price') });
    expect(check.body).toMatchObject({ canOrder: false, desiredDate: null, total: '800' });

    // Dealer B is outside Moscow: the mosaic is not exclusive there.
    const other = await send(as(dbHead), 'POST', '/v1/dealers/DB/purchases/check', { lines: [{ sku: 'EXC-1', quantity: '1' }] });
    expect(other.body).toMatchObject({ canOrder: true, lines: [{ exclusivity: { allowed: true, reason: null } }] });
  });
});

describe("placing a dealer's purchase", () => {
  it('refuses a line under exclusivity with 409 naming the line, and records nothing', async () => {
    const before = await counts();
    const refused = await send(as(daHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '1' }, { sku: 'EXC-1', quantity: '1' }], reference: 'PO-REFUSED' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', details: { reason: 'exclusivity', lines: [{ line: 1, sku: 'EXC-1', reason: expect.any(String) }] } });
    expect(await counts()).toEqual(before);
  });

  it("records it through the manual intake at the dealer's prices; the same reference again is the same order", async () => {
    const placed = await send(as(daManager), 'POST', '/v1/dealers/DA/purchases', {
      lines: [{ sku: 'WT-2', quantity: '3' }, { sku: 'FT-1', quantity: '5' }], desiredDate: day(14), comment: 'Deliver to the back gate', reference: 'PO-2026-001',
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ number: 'PO-2026-001', total: '1100', currency: 'RUB', created: true, status: expect.any(String), placedAt: expect.any(String) });
    const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: placed.body.orderId }, include: { lines: { orderBy: { position: 'asc' } } } });
    expect(order.channelId).toBe(channelId);
    expect(order.source).toMatchObject({ dealerCode: 'DA', user: 'da.anna', createdVia: 'dealer_portal' });
    expect(order.lines.map((l) => [l.sku, l.unitPrice.toString(), (l.attributes as { priceColumn?: string }).priceColumn])).toEqual([['WT-2', '200', 'PT-OPT'], ['FT-1', '100', 'PT-OPT']]);
    // Archived like every inbound payload, and reserved like every order.
    expect(await t.db.prisma.rawPayload.count({ where: { channelId } })).toBe(1);
    expect(await t.db.prisma.reservation.count({ where: { orderId: order.id, status: 'active' } })).toBeGreaterThan(0);
    // The manufacturer fulfils it: it is not offered to dealers as a client's order would be.
    expect(await t.db.prisma.orderDistribution.count({ where: { orderId: order.id } })).toBe(0);

    const before = await counts();
    const again = await send(as(daHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '300' }], reference: 'PO-2026-001' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ orderId: placed.body.orderId, created: false, total: '1100' });
    expect(await counts()).toEqual(before);
  });

  it('lists it in the history with its lines; another dealer neither lists nor reads it', async () => {
    await send(as(daHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '1' }] });
    const list = await send(as(daHead), 'GET', '/v1/dealers/DA/purchases?limit=10');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    expect(list.body.purchases.map((p: { reference: string | null }) => p.reference)).toEqual([null, 'PO-2026-001']);
    const mine = list.body.purchases[1];
    expect(mine).toMatchObject({ number: 'PO-2026-001', lineCount: 2, desiredDate: day(14), total: '1100', currency: 'RUB' });
    expect((await send(as(daHead), 'GET', '/v1/dealers/DA/purchases?limit=1&offset=1')).body.purchases.map((p: { orderId: string }) => p.orderId)).toEqual([mine.orderId]);

    const detail = await send(as(daManager), 'GET', `/v1/dealers/DA/purchases/${mine.orderId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ comment: 'Deliver to the back gate', placedBy: 'da.anna', reference: 'PO-2026-001' });
    expect(detail.body.lines).toEqual([
      { sku: 'WT-2', name: 'Wall tile', quantity: '3', unitPrice: '200', amount: '600' },
      { sku: 'FT-1', name: 'Floor tile', quantity: '5', unitPrice: '100', amount: '500' },
    ]);
    expect(detail.body.history.length).toBeGreaterThan(0);

    expect((await send(as(dbHead), 'GET', '/v1/dealers/DB/purchases')).body).toEqual({ purchases: [], total: 0 });
    expect((await send(as(dbHead), 'GET', `/v1/dealers/DB/purchases/${mine.orderId}`)).status).toBe(404);
    // Another dealer's code in the URL answers as if it did not exist (docs/security.md), and nothing is recorded.
    const before = await counts();
    expect((await send(as(dbHead), 'GET', `/v1/dealers/DA/purchases/${mine.orderId}`)).status).toBe(404);
    expect((await send(as(dbHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '1' }] })).status).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it("is the dealer's own: staff cannot call the dealer's purchase routes", async () => {
    expect((await send(staff, 'POST', '/v1/dealers/DA/purchases/check', { lines: [{ sku: 'WT-2', quantity: '1' }] })).status).toBe(403);
    expect((await send(staff, 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '1' }] })).status).toBe(403);
    expect((await send(staff, 'GET', '/v1/dealers/DA/purchases')).status).toBe(403);
    expect((await send(anonymous, 'GET', '/v1/dealers/DA/purchases')).status).toBe(401);
  });

  it("says so when no channel takes dealers' purchases", async () => {
    await t.db.prisma.channel.update({ where: { id: channelId }, data: { enabled: false } });
    try {
      const refused = await send(as(daHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '1' }] });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'conflict', details: { reason: 'no_purchase_channel' }, message: expect.stringContaining('dealerPurchases') });
      // A purchase placed before is still the same order when its reference comes again.
      expect((await send(as(daHead), 'POST', '/v1/dealers/DA/purchases', { lines: [{ sku: 'WT-2', quantity: '3' }], reference: 'PO-2026-001' }))).toMatchObject({ status: 200, body: { created: false } });
    } finally {
      await t.db.prisma.channel.update({ where: { id: channelId }, data: { enabled: true } });
    }
  });
});

describe("the dealer's catalogue", () => {
  it("lists products with the dealer's price and the free stock now, searches and pages", async () => {
    const page = await send(as(daManager), 'GET', '/v1/dealers/DA/catalogue?limit=2');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 4, priceColumn: { name: 'Оптовая' } });
    expect(page.body.items.map((i: { sku: string }) => i.sku)).toEqual(['EXC-1', 'FT-1']);
    const tile = (await send(as(daManager), 'GET', '/v1/dealers/DA/catalogue?q=floor')).body;
    expect(tile.total).toBe(1);
    // 50 on hand less the 5 the placed purchase reserved from stock.
    expect(tile.items[0]).toMatchObject({ sku: 'FT-1', name: 'Floor tile', unit: expect.any(String), price: '100', currency: 'RUB' });
    expect(Number(tile.items[0].inStock)).toBeLessThanOrEqual(50);
    expect((await send(as(daManager), 'GET', '/v1/dealers/DA/catalogue?q=NO-PRICE')).body.items[0]).toMatchObject({ price: null });
    expect((await send(staff, 'GET', '/v1/dealers/DA/catalogue')).status).toBe(403);
  });
});
