import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp } from './fakes.ts';

let t: TestDatabase;
let app: FastifyInstance;

const TREE = [
  { code: 'RU', name: 'Russia', level: 'country' },
  { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
  { code: 'RU-MOW-ZEL', name: 'Zelenograd', level: 'city', parentCode: 'RU-MOW' },
  { code: 'RU-SPE', name: 'Saint Petersburg', level: 'region', parentCode: 'RU' },
];

const RULE = { scope: 'brand', value: 'Porcelanosa', regionCode: 'RU-MOW', dealerCodes: ['D-17', 'D-42'], validFrom: '2026-01-01', validTo: '2026-12-31' };

beforeAll(async () => {
  t = await createTestPostgres();
  const built = await buildTestApp(t.db);
  app = built.app;
  await t.db.prisma.product.createMany({
    data: [
      { sku: 'POR-MARMI-60', name: 'Marmi 60x60', productLine: 'Marmi', brand: 'Porcelanosa' },
      { sku: 'KER-1', name: 'Kerama tile', productLine: 'Classic', brand: 'Kerama' },
    ],
  });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('when regions are loaded through the API', () => {
  it('loads the tree idempotently and lists it in tree order', async () => {
    const first = await app.inject({ method: 'PUT', url: '/v1/regions', payload: { regions: TREE } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: 4, created: 4, updated: 0, unchanged: 0, descendantsMoved: 0 });
    const again = await app.inject({ method: 'PUT', url: '/v1/regions', payload: { regions: TREE } });
    expect(again.json()).toMatchObject({ created: 0, unchanged: 4 });

    const list = await app.inject({ method: 'GET', url: '/v1/regions?under=RU-MOW' });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { code: string; path: string; parentCode: string }) => [r.code, r.path, r.parentCode])).toEqual([
      ['RU-MOW', '/RU/RU-MOW/', 'RU'],
      ['RU-MOW-ZEL', '/RU/RU-MOW/RU-MOW-ZEL/', 'RU-MOW'],
    ]);
  });

  it('answers 400 naming the field for an unknown parent, 404 for an unknown subtree', async () => {
    const bad = await app.inject({ method: 'PUT', url: '/v1/regions', payload: { regions: [{ code: 'X', name: 'X', level: 'city', parentCode: 'NOPE' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_data', field: '0.parentCode' });
    const missing = await app.inject({ method: 'PUT', url: '/v1/regions', payload: { regions: [{ code: 'A/B', name: 'X', level: 'city' }] } });
    expect(missing.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/regions?under=NOPE' })).statusCode).toBe(404);
  });
});

describe('when exclusivity rules are managed through the API', () => {
  let id: string;

  it('creates, reads, changes and lists a rule', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/exclusivity-rules', payload: RULE });
    expect(created.statusCode).toBe(201);
    id = created.json().id;
    expect(created.json()).toMatchObject({ ...RULE, regionPath: '/RU/RU-MOW/', externalId: null, note: null });

    expect((await app.inject({ method: 'GET', url: `/v1/exclusivity-rules/${id}` })).json()).toMatchObject({ id, value: 'Porcelanosa' });
    const patched = await app.inject({ method: 'PATCH', url: `/v1/exclusivity-rules/${id}`, payload: { note: 'contract 2026/17', dealerCodes: ['D-17'] } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ note: 'contract 2026/17', dealerCodes: ['D-17'], validTo: '2026-12-31' });

    const listed = await app.inject({ method: 'GET', url: '/v1/exclusivity-rules?regionCode=RU-MOW&activeOn=2026-12-31' });
    expect(listed.json().items.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await app.inject({ method: 'GET', url: '/v1/exclusivity-rules?activeOn=2027-01-01' })).json().items).toEqual([]);
  });

  it('refuses bad rules with 400 and a field', async () => {
    const dates = await app.inject({ method: 'POST', url: '/v1/exclusivity-rules', payload: { ...RULE, validFrom: '2027-01-01' } });
    expect(dates.statusCode).toBe(400);
    expect(dates.json().error).toMatchObject({ code: 'invalid_data', field: 'validTo' });
    const scope = await app.inject({ method: 'POST', url: '/v1/exclusivity-rules', payload: { ...RULE, scope: 'colour' } });
    expect(scope.statusCode).toBe(400);
    const noDealer = await app.inject({ method: 'POST', url: '/v1/exclusivity-rules', payload: { ...RULE, dealerCodes: [] } });
    expect(noDealer.statusCode).toBe(400);
    const region = await app.inject({ method: 'POST', url: '/v1/exclusivity-rules', payload: { ...RULE, regionCode: 'XX' } });
    expect(region.json().error).toMatchObject({ code: 'invalid_data', field: 'regionCode' });
    const empty = await app.inject({ method: 'PATCH', url: `/v1/exclusivity-rules/${id}`, payload: {} });
    expect(empty.statusCode).toBe(400);
  });

  it('loads rules idempotently by externalId, and answers 409 for a taken externalId', async () => {
    const rules = [{ ...RULE, externalId: '1C-9', scope: 'product_line', value: 'Classic', regionCode: 'RU-SPE', dealerCodes: ['D-50'] }];
    const first = await app.inject({ method: 'PUT', url: '/v1/exclusivity-rules', payload: { rules } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: 1, created: 1, updated: 0, unchanged: 0 });
    expect((await app.inject({ method: 'PUT', url: '/v1/exclusivity-rules', payload: { rules } })).json()).toEqual({ received: 1, created: 0, updated: 0, unchanged: 1 });
    const withoutId = await app.inject({ method: 'PUT', url: '/v1/exclusivity-rules', payload: { rules: [RULE] } });
    expect(withoutId.statusCode).toBe(400);
    const taken = await app.inject({ method: 'PATCH', url: `/v1/exclusivity-rules/${id}`, payload: { externalId: '1C-9' } });
    expect(taken.statusCode).toBe(409);
  });

  it('checks a dealer’s lines one by one, with the reason, by the regions the hub knows for the dealer', async () => {
    await new DealerService(t.db).load([
      { code: 'D-99', name: 'Zelenograd dealer', mainRegion: 'RU-MOW-ZEL', extraRegions: ['RU-SPE'], authorised: true },
      { code: 'D-17', name: 'Moscow partner', mainRegion: 'RU-MOW', authorised: true },
    ]);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/exclusivity/check',
      // The caller's region codes are ignored: D-99 is not let off by claiming to be elsewhere.
      payload: { dealer: { code: 'D-99', regionCodes: ['RU-MOS'] }, lines: [{ sku: 'POR-MARMI-60' }, { sku: 'KER-1' }], date: '2026-12-31' },
    });
    expect(response.statusCode).toBe(200);
    const check = response.json();
    expect(check).toMatchObject({ dealerCode: 'D-99', date: '2026-12-31', allowed: false, regionCodes: ['RU-MOW-ZEL', 'RU-SPE'], deliveryRegion: null });
    expect(check.lines[0]).toMatchObject({ sku: 'POR-MARMI-60', allowed: false, productKnown: true });
    expect(check.lines[0].reason).toBe(
      `brand "Porcelanosa" is exclusive in RU-MOW to dealer D-17 (rule ${id}, valid 2026-01-01..2026-12-31); dealer D-99 operates in RU-MOW-ZEL, inside RU-MOW`,
    );
    expect(check.lines[0].rules[0]).toMatchObject({ id, regionCode: 'RU-MOW' });
    expect(check.lines[1]).toMatchObject({ sku: 'KER-1', allowed: false, reason: expect.stringContaining('product line "Classic" is exclusive in RU-SPE to dealer D-50') });

    const partner = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-17' }, lines: [{ sku: 'POR-MARMI-60' }], date: '2026-06-01' } });
    expect(partner.json()).toMatchObject({ allowed: true, lines: [{ allowed: true }] });
    const delivered = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-17' }, lines: [{ sku: 'KER-1' }], date: '2026-06-01', deliveryRegion: 'RU-SPE' } });
    expect(delivered.json()).toMatchObject({ allowed: false, regionCodes: ['RU-MOW', 'RU-SPE'], deliveryRegion: 'RU-SPE' });
  });

  it('answers 400 for a bad check request', async () => {
    const noLines = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-1', regionCodes: ['RU'] }, lines: [] } });
    expect(noLines.statusCode).toBe(400);
    const badDate = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-1', regionCodes: ['RU'] }, lines: [{ sku: 'KER-1' }], date: '2026-02-30' } });
    expect(badDate.statusCode).toBe(400);
    const region = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-17' }, lines: [{ sku: 'KER-1' }], deliveryRegion: 'XX' } });
    expect(region.json().error).toMatchObject({ code: 'invalid_data', field: 'deliveryRegion' });
    const unknown = await app.inject({ method: 'POST', url: '/v1/exclusivity/check', payload: { dealer: { code: 'D-NOBODY' }, lines: [{ sku: 'KER-1' }] } });
    expect(unknown.statusCode).toBe(404);
  });

  it('deletes a rule: 204, then 404', async () => {
    expect((await app.inject({ method: 'DELETE', url: `/v1/exclusivity-rules/${id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/v1/exclusivity-rules/${id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/exclusivity-rules/${id}` })).statusCode).toBe(404);
  });
});

describe('when the OpenAPI document is read', () => {
  it('describes every exclusivity route', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/regions', '/v1/exclusivity-rules', '/v1/exclusivity-rules/{id}', '/v1/exclusivity/check']));
  });
});
