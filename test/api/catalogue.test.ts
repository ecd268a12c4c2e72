import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogueService, type ApplyContext } from '../../core/catalogue/catalogue-service.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import type { CatalogueProduct } from '../../core/model/commerceml.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp } from './fakes.ts';

/** /v1/products and /v1/price-columns: staff see every column, a dealer's user only the one it buys at. */

const SNAPSHOT: ApplyContext = { catalogueId: 'CAT-API', onlyChanges: false };
const product = (id: string, name: string, overrides: Partial<CatalogueProduct> = {}): CatalogueProduct => ({
  id, name, groupIds: [], properties: [], requisites: [], deleted: false, ...overrides,
});

let t: TestDatabase;
let app: FastifyInstance;
let anonymous: FastifyInstance;
let head: TestUser;
let accountant: TestUser;
const columnIds: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestPostgres();
  ({ app, anonymous } = await buildTestApp(t.db));
  await new RegionService(t.db).load([
    { code: 'RU', name: 'Russia', level: 'country' },
    { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
    { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
  ]);
  await new DealerService(t.db).load([
    { code: 'DA', name: 'Dealer A', mainRegion: 'RU-MOW', authorised: true },
    { code: 'DB', name: 'Dealer B', mainRegion: 'RU-SPE', authorised: true },
  ]);
  const catalogue = new CatalogueService(t.db);
  await catalogue.apply({ kind: 'groups', groups: [{ id: 'G-TILES', name: 'Tiles' }, { id: 'G-FLOOR', name: 'Floor tiles', parentId: 'G-TILES' }, { id: 'G-BATH', name: 'Baths' }] }, SNAPSHOT);
  await catalogue.apply({ kind: 'properties', properties: [{ id: 'P-COLOUR', name: 'Colour', valueType: 'Справочник', choices: [{ id: 'c-white', value: 'White' }] }] }, SNAPSHOT);
  await catalogue.apply({
    kind: 'priceTypes',
    priceTypes: [{ id: 'PT-OPT', name: 'Оптовая', currency: 'руб' }, { id: 'PT-MSK', name: 'Москва', currency: 'руб' }, { id: 'PT-RETAIL', name: 'Розничная', currency: 'руб', vatIncluded: true }],
  }, SNAPSHOT);
  await catalogue.apply({
    kind: 'products',
    position: 0,
    problems: [],
    products: [
      product('T-1', 'Floor tile white', { article: 'FT-1', barcode: '4600000000028', groupIds: ['G-FLOOR'], properties: [{ propertyId: 'P-COLOUR', value: 'c-white' }] }),
      product('T-2', 'Wall tile', { article: 'WT-2', groupIds: ['G-TILES'] }),
      product('B-1', 'Acrylic bath', { article: 'BATH-1', groupIds: ['G-BATH'] }),
    ],
  }, SNAPSHOT);
  await catalogue.apply({ kind: 'warehouses', warehouses: [{ id: 'WH-1', name: 'Main' }] }, SNAPSHOT);
  const prices = (opt: string, msk: string, retail: string) => [{ priceTypeId: 'PT-OPT', unitPrice: opt }, { priceTypeId: 'PT-MSK', unitPrice: msk }, { priceTypeId: 'PT-RETAIL', unitPrice: retail }];
  await catalogue.apply({
    kind: 'offers',
    position: 0,
    problems: [],
    offers: [
      { id: 'T-1', productId: 'T-1', prices: prices('100', '110', '150'), stock: [{ warehouseId: 'WH-1', quantity: '40' }] },
      { id: 'T-2', productId: 'T-2', prices: prices('200', '210', '250') },
      { id: 'B-1', productId: 'B-1', prices: prices('9000', '9100', '12000'), quantity: '2' },
    ],
  }, SNAPSHOT);
  for (const c of await t.db.prisma.priceColumn.findMany()) columnIds[c.code] = c.id;
  // As 1C sends it: the price type's name, in its own case.
  await t.db.prisma.dealer.update({ where: { code: 'DA' }, data: { priceColumn: 'оптовая' } });
  head = await makeUser(t.db, { roles: ['dealer_head'], dealer: 'DA' });
  accountant = await makeUser(t.db, { roles: ['accountant'] });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const get = (user: TestUser | null, url: string) => (user ? anonymous.inject({ url, headers: user.headers }) : app.inject({ url }));

describe('when staff read the catalogue', () => {
  it('lists products with stock and every column, searches, filters by group with its subgroups, pages by cursor', async () => {
    const all = (await get(null, '/v1/products')).json();
    expect(all.items.map((p: { sku: string }) => p.sku)).toEqual(['BATH-1', 'FT-1', 'WT-2']);
    const tile = all.items.find((p: { sku: string }) => p.sku === 'FT-1');
    expect(tile.stock).toEqual([{ warehouse: 'WH-1', onHand: '40', reserved: '0', available: '40' }]);
    expect(tile.prices.map((p: { column: string; unitPrice: string; currency: string }) => [p.column, p.unitPrice, p.currency])).toEqual([['PT-MSK', '110', 'RUB'], ['PT-OPT', '100', 'RUB'], ['PT-RETAIL', '150', 'RUB']]);
    expect(all.items.find((p: { sku: string }) => p.sku === 'BATH-1').stock).toEqual([{ warehouse: '1c-default', onHand: '2', reserved: '0', available: '2' }]);

    expect((await get(null, '/v1/products?q=4600000000028')).json().items.map((p: { sku: string }) => p.sku)).toEqual(['FT-1']);
    expect((await get(null, '/v1/products?q=tile')).json().items).toHaveLength(2);
    expect((await get(null, '/v1/products?group=G-TILES')).json().items.map((p: { sku: string }) => p.sku)).toEqual(['FT-1', 'WT-2']);

    const first = (await get(null, '/v1/products?limit=2')).json();
    expect(first.items.map((p: { sku: string }) => p.sku)).toEqual(['BATH-1', 'FT-1']);
    const second = (await get(null, `/v1/products?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ items: [expect.objectContaining({ sku: 'WT-2' })], nextCursor: null });

    const detail = (await get(accountant, `/v1/products/${tile.id}`)).json();
    expect(detail).toMatchObject({ sku: 'FT-1', groups: [{ id: 'G-FLOOR', name: 'Floor tiles' }], properties: [{ id: 'P-COLOUR', name: 'Colour', value: 'White' }], variants: [] });
    expect((await get(null, '/v1/price-columns')).json().items.map((c: { code: string }) => c.code)).toEqual(['PT-MSK', 'PT-OPT', 'PT-RETAIL']);
    const prices = (await get(accountant, `/v1/price-columns/${columnIds['PT-RETAIL']}/prices?limit=2`)).json();
    expect(prices.items.map((p: { sku: string; unitPrice: string }) => [p.sku, p.unitPrice])).toEqual([['BATH-1', '12000'], ['FT-1', '150']]);
    expect(prices.nextCursor).not.toBeNull();
  });
});

describe("when a dealer's user reads the catalogue", () => {
  it('sees only its own column: the name 1C sent resolves without regard to case; other columns do not exist for it', async () => {
    const listed = (await get(head, '/v1/products?q=FT-1')).json();
    expect(listed.items[0].prices.map((p: { column: string; unitPrice: string }) => [p.column, p.unitPrice])).toEqual([['PT-OPT', '100']]);
    expect((await get(head, '/v1/price-columns')).json().items.map((c: { code: string }) => c.code)).toEqual(['PT-OPT']);
    expect((await get(head, `/v1/price-columns/${columnIds['PT-OPT']}/prices`)).statusCode).toBe(200);
    const other = await get(head, `/v1/price-columns/${columnIds['PT-RETAIL']}/prices`);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
    // Only staff set price columns.
    const refused = await anonymous.inject({ method: 'PUT', url: '/v1/dealers/DA/price-column', headers: head.headers, payload: { column: 'PT-RETAIL' } });
    expect(refused.statusCode).toBe(403);
  });

  it("sees its main region's override once staff set one, and its own columns only", async () => {
    const set = await anonymous.inject({ method: 'PUT', url: '/v1/dealers/DA/price-column', headers: accountant.headers, payload: { column: 'PT-OPT', regions: [{ region: 'RU-MOW', column: 'PT-MSK' }] } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ dealer: 'DA', priceColumn: 'PT-OPT', column: { code: 'PT-OPT' }, regions: [{ region: 'RU-MOW', column: { code: 'PT-MSK' } }] });
    const listed = (await get(head, '/v1/products?q=FT-1')).json();
    expect(listed.items[0].prices.map((p: { column: string; unitPrice: string }) => [p.column, p.unitPrice])).toEqual([['PT-MSK', '110']]);
    expect((await get(head, '/v1/price-columns')).json().items.map((c: { code: string }) => c.code)).toEqual(['PT-MSK', 'PT-OPT']);
    expect((await get(head, '/v1/dealers/DA/price-column')).json()).toMatchObject({ column: { code: 'PT-OPT' } });
    expect((await get(head, '/v1/dealers/DB/price-column')).statusCode).toBe(404);

    const unknown = await anonymous.inject({ method: 'PUT', url: '/v1/dealers/DA/price-column', headers: accountant.headers, payload: { column: 'PT-NONE' } });
    expect(unknown.statusCode).toBe(400);
  });

  it('cannot read the catalogue without signing in', async () => {
    expect((await anonymous.inject({ url: '/v1/products' })).statusCode).toBe(401);
  });
});
