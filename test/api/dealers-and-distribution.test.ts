import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AssortmentSummary,
  AssortmentView,
  DealerList,
  DealerLoadSummary,
  DealerView,
  ManagerView,
  PointsChangeView,
  PromotionView,
} from '../../core/dealers/dealer-service.ts';
import type { ConfigVersionView } from '../../core/distribution/distribution-configs.ts';
import type { DecisionTrace } from '../../core/distribution/distribution-plan.ts';
import type { DealerOrderRow, DistributionDetails, NotificationRow, RefusalReport } from '../../core/distribution/distribution-queries.ts';
import type { AdvanceReport, DistributeOutcome, DistributionService, TakeResult } from '../../core/distribution/distribution-service.ts';
import type { RetryReport } from '../../core/flows/order-lifecycle.ts';
import type { WhatIfReport } from '../../core/distribution/what-if.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import type {
  AssortmentSchema,
  AssortmentSummarySchema,
  DealerListSchema,
  DealerLoadSummarySchema,
  DealerSchema,
  ManagerSchema,
  PointsChangeSchema,
  PromotionSchema,
} from '../../api/schemas/dealers.ts';
import type {
  AdvanceReportSchema,
  AssignResultSchema,
  ConfigVersionSchema,
  DealerOrderRowSchema,
  DecisionTraceSchema,
  DeclineResultSchema,
  DistributeOutcomeSchema,
  DistributionDetailsSchema,
  NotificationSchema,
  RefusalReportSchema,
  StatusChangeResultSchema,
  TakeResultSchema,
  WhatIfReportSchema,
} from '../../api/schemas/distribution.ts';
import { actingAs, makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPglite, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp } from './fakes.ts';

// The answers' schemas are the API contract: they must say exactly what core answers.
describe('the response schemas', () => {
  it('match the core views type for type', () => {
    expectTypeOf<Static<typeof DealerSchema>>().toEqualTypeOf<DealerView>();
    expectTypeOf<Static<typeof DealerListSchema>>().toEqualTypeOf<DealerList>();
    expectTypeOf<Static<typeof DealerLoadSummarySchema>>().toEqualTypeOf<DealerLoadSummary>();
    expectTypeOf<Static<typeof AssortmentSchema>>().toEqualTypeOf<AssortmentView>();
    expectTypeOf<Static<typeof AssortmentSummarySchema>>().toEqualTypeOf<AssortmentSummary>();
    expectTypeOf<Static<typeof ManagerSchema>>().toEqualTypeOf<ManagerView>();
    expectTypeOf<Static<typeof PromotionSchema>>().toEqualTypeOf<PromotionView>();
    expectTypeOf<Static<typeof PointsChangeSchema>>().toEqualTypeOf<PointsChangeView>();
    expectTypeOf<Static<typeof ConfigVersionSchema>>().toEqualTypeOf<ConfigVersionView>();
    expectTypeOf<Static<typeof DealerOrderRowSchema>>().toEqualTypeOf<DealerOrderRow>();
    expectTypeOf<Static<typeof DecisionTraceSchema>>().toEqualTypeOf<DecisionTrace>();
    expectTypeOf<Static<typeof DistributionDetailsSchema>>().toEqualTypeOf<DistributionDetails>();
    expectTypeOf<Static<typeof NotificationSchema>>().toEqualTypeOf<NotificationRow>();
    expectTypeOf<Static<typeof RefusalReportSchema>>().toEqualTypeOf<RefusalReport>();
    expectTypeOf<Static<typeof TakeResultSchema>>().toEqualTypeOf<TakeResult>();
    expectTypeOf<Static<typeof DistributeOutcomeSchema>>().toEqualTypeOf<DistributeOutcome>();
    expectTypeOf<Omit<Static<typeof AdvanceReportSchema>, 'steps'>>().toEqualTypeOf<AdvanceReport>();
    expectTypeOf<NonNullable<Static<typeof AdvanceReportSchema>['steps']>>().toEqualTypeOf<RetryReport>();
    expectTypeOf<Static<typeof WhatIfReportSchema>>().toEqualTypeOf<WhatIfReport>();
    expectTypeOf<Static<typeof DeclineResultSchema>>().toEqualTypeOf<Awaited<ReturnType<DistributionService['decline']>>>();
    expectTypeOf<Static<typeof StatusChangeResultSchema>>().toEqualTypeOf<Awaited<ReturnType<DistributionService['changeStatus']>>>();
    expectTypeOf<Static<typeof AssignResultSchema>>().toEqualTypeOf<Awaited<ReturnType<DistributionService['assign']>>>();
  });
});

describe('dealers and distribution API on PGlite', () => {
  let t: TestDatabase;
  /** The API as an admin sees it. */
  let app: FastifyInstance;
  /** The API without credentials: actingAs(anonymous, user) is the API as that user sees it. */
  let anonymous: FastifyInstance;
  let admin: TestUser;
  /** Another member of the manufacturer's staff (the distribution role), to tell who did what. */
  let annaUser: TestUser;
  let anna: FastifyInstance;
  let channelId: string;
  let orderCounter = 0;

  type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A request as `as` (by default the admin). */
  async function call(method: Method, url: string, payload?: unknown, as: FastifyInstance = app) {
    const response = await as.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) });
    return { status: response.statusCode, body: response.body ? response.json() : undefined };
  }

  /** A new order from the site, through the core intake (no distribution yet). */
  async function newOrder(): Promise<string> {
    orderCounter += 1;
    const [result] = await ingestOrders(t.db, {
      channelId,
      drafts: [
        orderDraft(`W-${orderCounter}`, {
          region: 'HU-GS',
          customer: { name: 'Kiss Anna', email: 'anna@example.hu', phone: '+36 1 000 0000' },
          billingAddress: { name: 'Kiss Anna', city: 'Győr', postcode: '9021', country: 'HU' },
        }),
      ],
    });
    return result!.orderId!;
  }

  /** A new order, distributed through the API (offered to the region's dealers). */
  async function offeredOrder(): Promise<string> {
    const orderId = await newOrder();
    const distributed = await call('POST', `/v1/orders/${orderId}/distribution`, {});
    expect(distributed).toMatchObject({ status: 200, body: { action: 'distributed', status: 'offering' } });
    return orderId;
  }

  const dealer = (code: string, overrides: Record<string, unknown> = {}) => ({ code, name: `Dealer ${code}`, mainRegion: 'HU-BU', authorised: true, ...overrides });

  beforeAll(async () => {
    t = await createTestPglite();
    ({ app, anonymous, admin } = await buildTestApp(t.db));
    annaUser = await makeUser(t.db, { roles: ['distribution'], login: 'anna' });
    anna = actingAs(anonymous, annaUser);
    const regions = [
      { code: 'HU', name: 'Hungary', level: 'country' },
      { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' },
      { code: 'HU-PE', name: 'Pest', level: 'region', parentCode: 'HU' },
      { code: 'HU-BA', name: 'Baranya', level: 'region', parentCode: 'HU' },
      // Orders come from Győr-Moson-Sopron, where only the distribution tests' dealers are.
      { code: 'HU-GS', name: 'Győr-Moson-Sopron', level: 'region', parentCode: 'HU' },
    ];
    expect((await call('PUT', '/v1/regions', { regions })).status).toBe(200);
    const products = [
      { sku: 'TILE-1', name: 'Floor tile 30x30', productLine: 'Marmi' },
      { sku: 'TILE-2', name: 'Wall tile', productLine: 'Basic' },
    ];
    expect((await call('PUT', '/v1/stock/products', { items: products })).status).toBe(200);
    channelId = (await t.db.prisma.channel.create({ data: { name: 'Site', kind: 'webshop', connectorType: 'testshop' } })).id;
  });

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('when dealers are managed', () => {
    it('creates a dealer with its defaults, and refuses a duplicate, a missing field and an unknown region', async () => {
      const created = await call('POST', '/v1/dealers', dealer('CRUD-1', { extraRegions: ['HU-PE'], contacts: { emails: ['sales@crud.example'] } }));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        code: 'CRUD-1',
        mainRegion: { code: 'HU-BU', name: 'Budapest', path: '/HU/HU-BU/' },
        extraRegions: [{ code: 'HU-PE' }],
        authorised: true,
        acceptsSiteOrders: true,
        active: true,
        contacts: { emails: ['sales@crud.example'] },
        points: 0,
        avgTakeSeconds: null,
        managers: [],
        head: null,
      });

      expect(await call('POST', '/v1/dealers', dealer('CRUD-1'))).toMatchObject({ status: 409, body: { error: { code: 'conflict', field: 'code' } } });
      expect(await call('POST', '/v1/dealers', { code: 'CRUD-2', mainRegion: 'HU-BU' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_data', field: 'name' } } });
      expect(await call('POST', '/v1/dealers', dealer('CRUD-2', { mainRegion: 'XX-NOPE' }))).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', field: 'mainRegion', message: expect.stringContaining('XX-NOPE') } },
      });
      expect(await call('POST', '/v1/dealers', dealer('has space'))).toMatchObject({ status: 400, body: { error: { field: 'code' } } });
    });

    it('answers 404 for an unknown dealer, whatever is asked of it', async () => {
      // The manufacturer's routes of a dealer: staff asking about an unknown dealer are told it does not exist.
      const staffRoutes: [Method, string, unknown?][] = [
        ['GET', '/v1/dealers/NOPE'],
        ['PATCH', '/v1/dealers/NOPE', { name: 'x' }],
        ['DELETE', '/v1/dealers/NOPE'],
        ['GET', '/v1/dealers/NOPE/assortment'],
        ['GET', '/v1/dealers/NOPE/managers'],
        ['GET', '/v1/dealers/NOPE/points'],
        ['POST', '/v1/dealers/NOPE/points', { delta: 1, note: 'x' }],
      ];
      // The dealer's own routes: only the dealer's users use them (staff are refused whatever the code).
      const dealerRoutes: [Method, string, unknown?][] = [
        ['GET', '/v1/dealers/NOPE/orders'],
        ['GET', '/v1/dealers/NOPE/notifications'],
      ];
      for (const [method, url, payload] of staffRoutes) {
        expect(await call(method, url, payload), `${method} ${url}`).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      }
      for (const [method, url, payload] of dealerRoutes) {
        expect(await call(method, url, payload), `staff: ${method} ${url}`).toMatchObject({ status: 403, body: { error: { code: 'not_allowed' } } });
      }

      // A dealer's user naming an unknown dealer, or another dealer that exists, gets the same 404: nothing tells which dealers exist.
      expect((await call('POST', '/v1/dealers', dealer('SEEN-1'))).status).toBe(201);
      expect((await call('POST', '/v1/dealers', dealer('SEEN-2'))).status).toBe(201);
      const seen1 = actingAs(anonymous, await makeUser(t.db, { roles: ['dealer_head'], dealer: 'SEEN-1' }));
      for (const [method, url, payload] of [...staffRoutes, ...dealerRoutes]) {
        const unknown = await call(method, url, payload, seen1);
        expect(unknown, `dealer: ${method} ${url}`).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: expect.stringContaining('NOPE') } } });
        const other = await call(method, url.replace('NOPE', 'SEEN-2'), payload, seen1);
        expect(other, `dealer: ${method} ${url} of another dealer`).toEqual({
          status: 404,
          body: { error: { ...unknown.body.error, message: unknown.body.error.message.replace('NOPE', 'SEEN-2') } },
        });
      }
      // ...and changed nothing of the other dealer.
      expect((await call('GET', '/v1/dealers/SEEN-2')).body).toMatchObject({ code: 'SEEN-2', name: 'Dealer SEEN-2', points: 0 });
      // Its own dealer's routes answer.
      expect((await call('GET', '/v1/dealers/SEEN-1/orders', undefined, seen1)).status).toBe(200);
    });

    it('changes, lists and filters dealers', async () => {
      await call('POST', '/v1/dealers', dealer('LIST-1', { mainRegion: 'HU-BA' }));
      await call('POST', '/v1/dealers', dealer('LIST-2', { mainRegion: 'HU-BA', authorised: false }));
      const changed = await call('PATCH', '/v1/dealers/LIST-2', { name: 'Pécs Ceramics', active: false, description: 'blocked for now' });
      expect(changed).toMatchObject({ status: 200, body: { code: 'LIST-2', name: 'Pécs Ceramics', active: false, description: 'blocked for now' } });
      expect(await call('PATCH', '/v1/dealers/LIST-2', {})).toMatchObject({ status: 400, body: { error: { code: 'invalid_data' } } });

      const inBaranya = await call('GET', '/v1/dealers?region=HU-BA');
      expect(inBaranya.body.dealers.map((d: { code: string }) => d.code)).toEqual(['LIST-1', 'LIST-2']);
      expect(inBaranya.body.dealers[0]).toEqual({
        code: 'LIST-1', name: 'Dealer LIST-1', mainRegion: 'HU-BA', authorised: true, acceptsSiteOrders: true, callFromSite: false, active: true, points: 0, orders: 0,
        createdAt: expect.any(String),
      });
      expect((await call('GET', '/v1/dealers?region=HU-BA&active=false')).body).toMatchObject({ total: 1, dealers: [{ code: 'LIST-2' }] });
      expect((await call('GET', `/v1/dealers?q=${encodeURIComponent('pécs')}`)).body.dealers.map((d: { code: string }) => d.code)).toEqual(['LIST-2']);
      const page = await call('GET', '/v1/dealers?region=HU-BA&limit=1&offset=1');
      expect(page.body).toMatchObject({ total: 2, dealers: [{ code: 'LIST-2' }] });
      expect(await call('GET', '/v1/dealers?limit=0')).toMatchObject({ status: 400, body: { error: { field: 'limit' } } });
      expect(await call('GET', '/v1/dealers?region=XX')).toMatchObject({ status: 400, body: { error: { field: 'region' } } });
    });

    it('loads dealers idempotently by code', async () => {
      const load = { dealers: [dealer('LOAD-1'), dealer('LOAD-2', { mainRegion: 'HU-PE' })] };
      expect(await call('PUT', '/v1/dealers', load)).toEqual({ status: 200, body: { received: 2, created: 2, updated: 0, unchanged: 0 } });
      expect((await call('PUT', '/v1/dealers', load)).body).toEqual({ received: 2, created: 0, updated: 0, unchanged: 2 });
      load.dealers[1]!.name = 'Renamed';
      expect((await call('PUT', '/v1/dealers', load)).body).toEqual({ received: 2, created: 0, updated: 1, unchanged: 1 });
      expect(await call('PUT', '/v1/dealers', { dealers: [dealer('LOAD-3'), dealer('LOAD-3')] })).toMatchObject({ status: 400, body: { error: { field: '1.code' } } });
    });

    it('replaces the assortment, refusing unknown SKUs', async () => {
      await call('POST', '/v1/dealers', dealer('ASSORT-1'));
      expect(await call('PUT', '/v1/dealers/ASSORT-1/assortment', { items: [{ sku: 'GHOST' }] })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', field: 'items', details: { unknownSkus: ['GHOST'] } } },
      });
      expect(await call('PUT', '/v1/dealers/ASSORT-1/assortment', { items: [{ sku: 'TILE-1', ownPrice: '12.5' }] })).toMatchObject({ status: 400, body: { error: { field: 'items' } } });
      expect(await call('PUT', '/v1/dealers/ASSORT-1/assortment', { items: [{ sku: 'TILE-1' }, { sku: 'TILE-2' }], productLines: ['Marmi'] })).toEqual({
        status: 200,
        body: { items: 2, wholeRange: false, productLines: ['Marmi'] },
      });
      expect((await call('GET', '/v1/dealers/ASSORT-1/assortment')).body).toEqual({
        items: [
          { sku: 'TILE-1', name: 'Floor tile 30x30', productLine: 'Marmi', ownPrice: null },
          { sku: 'TILE-2', name: 'Wall tile', productLine: 'Basic', ownPrice: null },
        ],
        wholeRange: false,
        productLines: ['Marmi'],
      });
      expect((await call('GET', '/v1/dealers/ASSORT-1')).body.assortmentCount).toBe(2);
    });

    it('adds managers, moves the head role and removes a manager', async () => {
      await call('POST', '/v1/dealers', dealer('MGR-1'));
      expect(await call('POST', '/v1/dealers/MGR-1/managers', { login: 'eva', name: 'Éva', isHead: true })).toMatchObject({
        status: 201,
        body: { login: 'eva', isHead: true, email: null, canSignIn: false },
      });
      expect(await call('POST', '/v1/dealers/MGR-1/managers', { login: 'eva', name: 'Other Éva' })).toMatchObject({ status: 409, body: { error: { field: 'login' } } });
      expect(await call('POST', '/v1/dealers/MGR-1/managers', { login: 'has space', name: 'x' })).toMatchObject({ status: 400, body: { error: { field: 'login' } } });
      await call('POST', '/v1/dealers/MGR-1/managers', { login: 'bela', name: 'Béla' });
      expect(await call('POST', '/v1/dealers/MGR-1/head', { login: 'bela' })).toMatchObject({ status: 200, body: { login: 'bela', isHead: true } });
      expect((await call('GET', '/v1/dealers/MGR-1/managers')).body.items.map((m: ManagerView) => [m.login, m.isHead])).toEqual([['bela', true], ['eva', false]]);
      expect(await call('PATCH', '/v1/dealers/MGR-1/managers/bela', { active: false })).toMatchObject({ status: 200, body: { active: false, isHead: false } });
      expect((await call('GET', '/v1/dealers/MGR-1')).body.head).toBeNull();
      expect(await call('POST', '/v1/dealers/MGR-1/head', { login: 'nobody' })).toMatchObject({ status: 404 });
      expect((await call('DELETE', '/v1/dealers/MGR-1/managers/eva')).status).toBe(204);
      expect((await call('DELETE', '/v1/dealers/MGR-1/managers/eva')).status).toBe(404);
    });

    it('makes promotions and lets dealers join and leave them idempotently', async () => {
      await call('POST', '/v1/dealers', dealer('PROMO-1'));
      const promotion = { code: 'SPRING', name: 'Spring sale', validFrom: '2026-03-01', validTo: '2026-05-31' };
      expect(await call('POST', '/v1/promotions', promotion)).toMatchObject({ status: 201, body: { ...promotion, description: null, dealers: 0 } });
      expect(await call('POST', '/v1/promotions', promotion)).toMatchObject({ status: 409, body: { error: { code: 'conflict', field: 'code' } } });
      expect(await call('POST', '/v1/promotions', { ...promotion, code: 'BACKWARDS', validFrom: '2026-06-01' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_data' } } });
      expect(await call('PUT', '/v1/dealers/PROMO-1/promotions/SPRING')).toEqual({ status: 200, body: { changed: true } });
      expect(await call('PUT', '/v1/dealers/PROMO-1/promotions/SPRING')).toEqual({ status: 200, body: { changed: false } });
      expect((await call('GET', '/v1/promotions')).body.items).toContainEqual(expect.objectContaining({ code: 'SPRING', dealers: 1 }));
      expect((await call('GET', '/v1/dealers/PROMO-1')).body.promotions).toEqual(['SPRING']);
      expect(await call('PUT', '/v1/dealers/PROMO-1/promotions/NOPE')).toMatchObject({ status: 404 });
      expect(await call('DELETE', '/v1/dealers/PROMO-1/promotions/SPRING')).toEqual({ status: 200, body: { changed: true } });
      expect(await call('DELETE', '/v1/dealers/PROMO-1/promotions/SPRING')).toEqual({ status: 200, body: { changed: false } });
    });

    it('adjusts points by hand with a reason, recorded with who did it', async () => {
      await call('POST', '/v1/dealers', dealer('PTS-1'));
      expect(await call('POST', '/v1/dealers/PTS-1/points', { delta: 30, note: 'welcome bonus' }, anna)).toEqual({ status: 200, body: { balance: 30 } });
      expect(await call('POST', '/v1/dealers/PTS-1/points', { delta: -5, note: 'late report' })).toEqual({ status: 200, body: { balance: 25 } });
      expect(await call('POST', '/v1/dealers/PTS-1/points', { delta: 0, note: 'nothing' })).toMatchObject({ status: 400, body: { error: { field: 'delta' } } });
      expect(await call('POST', '/v1/dealers/PTS-1/points', { delta: 5 })).toMatchObject({ status: 400, body: { error: { field: 'note' } } });
      const history = await call('GET', '/v1/dealers/PTS-1/points');
      expect(history.body.items).toEqual([
        { id: expect.any(String), delta: -5, balance: 25, cause: 'manual', orderId: null, note: 'late report', changedBy: admin.login, createdAt: expect.any(String) },
        { id: expect.any(String), delta: 30, balance: 30, cause: 'manual', orderId: null, note: 'welcome bonus', changedBy: annaUser.login, createdAt: expect.any(String) },
      ]);
      const older = await call('GET', `/v1/dealers/PTS-1/points?limit=1&beforeId=${history.body.items[0].id}`);
      expect(older.body.items.map((c: PointsChangeView) => c.delta)).toEqual([30]);
      expect(await call('GET', '/v1/dealers/PTS-1/points?beforeId=abc')).toMatchObject({ status: 400, body: { error: { field: 'beforeId' } } });
    });

    it('deletes a dealer without history', async () => {
      await call('POST', '/v1/dealers', dealer('GONE-1'));
      expect(await call('DELETE', '/v1/dealers/GONE-1')).toEqual({ status: 204, body: undefined });
      expect((await call('GET', '/v1/dealers/GONE-1')).status).toBe(404);
    });
  });

  describe('when the strategy configuration is saved', () => {
    it('answers 404 while distribution is off, and skips distributing', async () => {
      expect(await call('GET', '/v1/distribution/config')).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: expect.stringContaining('off') } } });
      expect((await call('GET', '/v1/distribution/config/versions')).body).toEqual({ items: [] });
      const orderId = await newOrder();
      expect(await call('POST', `/v1/orders/${orderId}/distribution`, {})).toMatchObject({ status: 200, body: { orderId, action: 'skipped' } });
    });

    it('refuses an invalid configuration naming the field at fault', async () => {
      const base = { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] };
      expect(await call('PUT', '/v1/distribution/config', { config: { ...base, tiers: [{ kind: 'base', windowMinutes: 10, delayMinutes: 10, priorityDealers: [] }] } })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', field: 'config.tiers.0.delayMinutes' } },
      });
      expect(await call('PUT', '/v1/distribution/config', { config: { ...base, settings: { pointsOnCompletion: -1 } } })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', field: 'config.settings.pointsOnCompletion' } },
      });
      expect(await call('PUT', '/v1/distribution/config', { config: { ...base, settings: { fallbackDealer: 'NOBODY' } } })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', message: expect.stringContaining('NOBODY'), details: { missing: ['NOBODY'] } } },
      });
      expect(await call('PUT', '/v1/distribution/config', { note: 'no config' })).toMatchObject({ status: 400, body: { error: { field: 'config' } } });
      expect(await call('POST', '/v1/distribution/config/validate', { config: { ...base, tiers: [{ kind: 'teleport', windowMinutes: 1 }] } })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_data', field: expect.stringMatching(/^config\.tiers\.0/) } },
      });
      expect((await call('GET', '/v1/distribution/config/versions')).body).toEqual({ items: [] });
    });

    it('validates without saving, answering the configuration with its defaults', async () => {
      const validated = await call('POST', '/v1/distribution/config/validate', { config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] } });
      expect(validated.status).toBe(200);
      expect(validated.body).toMatchObject({
        valid: true,
        config: {
          settings: { pointsOnCompletion: 100, pointsOnDealerCancel: 50, fulfilmentDays: 14, timeZone: 'UTC', assortment: { rule: 'all' } },
          tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region', keepOffered: true }],
        },
      });
      expect((await call('GET', '/v1/distribution/config/versions')).body).toEqual({ items: [] });
    });

    it('saves versions, the newest in force, each with who saved it and why', async () => {
      const first = await call('PUT', '/v1/distribution/config', { config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] }, note: 'first try' }, anna);
      expect(first).toMatchObject({ status: 200, body: { version: 1, note: 'first try', createdBy: annaUser.login, config: { tiers: [{ kind: 'taxi' }] } } });
      const second = await call('PUT', '/v1/distribution/config', { config: { settings: { fulfilmentDays: 7 }, tiers: [{ kind: 'taxi', windowMinutes: 30 }] } });
      expect(second).toMatchObject({ status: 200, body: { version: 2, note: null, createdBy: admin.login } });
      expect(await call('GET', '/v1/distribution/config')).toEqual({ status: 200, body: second.body });
      expect((await call('GET', '/v1/distribution/config/versions')).body.items.map((v: ConfigVersionView) => v.version)).toEqual([2, 1]);
      expect(await call('GET', '/v1/distribution/config/versions/1')).toEqual({ status: 200, body: first.body });
      expect(await call('GET', '/v1/distribution/config/versions/99')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      expect(await call('GET', '/v1/distribution/config/versions/zero')).toMatchObject({ status: 400, body: { error: { field: 'version' } } });
    });
  });

  describe('when orders are distributed', () => {
    const TIERS = [
      { kind: 'rating', name: 'top dealers', windowMinutes: 30, minPoints: 100_000 },
      { kind: 'taxi', windowMinutes: 120 },
    ];
    /** The API as each dealer's user sees it: d1 is an employee of D-1 (d1-eva), d2 and d3 the heads of D-2 and D-3. */
    let d1: FastifyInstance;
    let d2: FastifyInstance;
    let d3: FastifyInstance;
    let d3Head: TestUser;
    /** Another employee of D-1. */
    let d1Oleg: FastifyInstance;

    beforeAll(async () => {
      // D-1 holds the whole range, D-2 the tile's product line; both serve Győr-Moson-Sopron. D-3 is in Pest; HQ (the fallback, the whole country) is not authorised.
      expect((await call('POST', '/v1/dealers', dealer('D-1', { mainRegion: 'HU-GS', wholeRange: true }))).status).toBe(201);
      expect((await call('POST', '/v1/dealers', dealer('D-2', { mainRegion: 'HU-GS' }))).status).toBe(201);
      expect((await call('PUT', '/v1/dealers/D-2/assortment', { items: [{ sku: 'TILE-1' }] })).status).toBe(200);
      expect((await call('POST', '/v1/dealers', dealer('D-3', { mainRegion: 'HU-PE', wholeRange: true }))).status).toBe(201);
      expect((await call('POST', '/v1/dealers', dealer('HQ', { mainRegion: 'HU', authorised: false }))).status).toBe(201);
      d1 = actingAs(anonymous, await makeUser(t.db, { roles: ['dealer_manager'], dealer: 'D-1', login: 'd1-eva' }));
      d1Oleg = actingAs(anonymous, await makeUser(t.db, { roles: ['dealer_manager'], dealer: 'D-1', login: 'd1-oleg' }));
      d2 = actingAs(anonymous, await makeUser(t.db, { roles: ['dealer_head'], dealer: 'D-2' }));
      d3Head = await makeUser(t.db, { roles: ['dealer_head'], dealer: 'D-3' });
      d3 = actingAs(anonymous, d3Head);
      const saved = await call('PUT', '/v1/distribution/config', { config: { settings: { fallbackDealer: 'HQ' }, tiers: TIERS }, note: 'taxi in the region' });
      expect(saved.status).toBe(200);
    });

    it("offers a new order to the region's dealers, and the trace says why each dealer was in or out", async () => {
      const orderId = await offeredOrder();
      const details = await call('GET', `/v1/orders/${orderId}/distribution`);
      expect(details.status).toBe(200);
      const trace: DecisionTrace = details.body.trace;
      expect(trace.order).toMatchObject({ regionCode: 'HU-GS', regionKnown: true, productLines: ['Marmi'], skus: ['TILE-1'], channel: 'Site' });
      expect(trace.dealers.map((d) => d.code)).toEqual(['D-1', 'D-2', 'HQ']);
      expect(trace.dealers.find((d) => d.code === 'D-1')).toMatchObject({ regionMatch: 'covers', failed: [] });
      expect(trace.dealers.find((d) => d.code === 'HQ')?.failed).toContainEqual({ check: 'not_authorised', message: expect.stringContaining('not an authorised dealer') });
      expect(trace.tiers.map((tier) => [tier.kind, tier.name, tier.skipped === null])).toEqual([
        ['rating', 'top dealers', false],
        ['taxi', 'taxi', true],
      ]);
      expect(trace.tiers[0]!.skipped).toContain('100000 points');
      expect(trace.tiers[0]!.details).toMatchObject({ minPoints: 100_000 });
      expect(trace.tiers[1]!.offeredTo.map((o) => o.code)).toEqual(['D-1', 'D-2']);
      expect(trace.result).toMatchObject({ outcome: 'offer', dealer: null, via: null, reason: expect.stringContaining('HQ') });
      expect(details.body).toMatchObject({ orderId, status: 'offering', configVersion: 3, round: 1, dealer: null, overdue: false });
      expect(details.body.offers.map((o: { dealer: string; tierKind: string; status: string }) => [o.dealer, o.tierKind, o.status])).toEqual([
        ['D-1', 'taxi', 'open'],
        ['D-2', 'taxi', 'open'],
      ]);
      expect(details.body.events.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['distributed', 'offer_visible']));

      const offered = await call('GET', '/v1/dealers/D-1/orders?view=offered', undefined, d1);
      const row: DealerOrderRow = offered.body.orders.find((o: DealerOrderRow) => o.orderId === orderId);
      expect(row).toMatchObject({
        distributionStatus: 'offering', region: 'HU-GS', product: 'Floor tile 30x30', productLines: 1, currency: 'HUF', offer: { tier: 'taxi', expiresAt: null },
        responsible: null,
      });
      // The client is the manufacturer's until a dealer takes the order: a name and a city, no contacts.
      expect(row.client).toEqual({ name: 'Kiss Anna', city: 'Győr' });
      expect((await call('GET', '/v1/dealers/D-3/orders?view=offered', undefined, d3)).body.orders.map((o: DealerOrderRow) => o.orderId)).not.toContain(orderId);
      expect(await call('GET', '/v1/dealers/D-1/orders?view=everything', undefined, d1)).toMatchObject({ status: 400, body: { error: { field: 'view' } } });
    });

    it('gives the order to the first dealer to take it and tells the second it is not offered to it', async () => {
      const orderId = await offeredOrder();
      const { number } = (await call('GET', `/v1/orders/${orderId}/distribution`)).body as { number: string };
      const taken = await call('POST', `/v1/dealers/D-1/orders/${orderId}/take`, undefined, d1);
      expect(taken).toEqual({ status: 200, body: { orderId, dealerCode: 'D-1', status: 'assigned', dueAt: expect.any(String), secondsToTake: expect.any(Number), alreadyYours: false } });
      // The dealer that lost the race: a plain "not offered to you", not who won.
      const late = await call('POST', `/v1/dealers/D-2/orders/${orderId}/take`, undefined, d2);
      expect(late).toEqual({ status: 404, body: { error: { code: 'not_found', message: `Order ${number} is not offered to you.`, details: { reason: 'taken_by_another' } } } });
      expect(await call('POST', `/v1/dealers/D-1/orders/${orderId}/take`, undefined, d1)).toMatchObject({ status: 200, body: { alreadyYours: true } });
      // A dealer it was never offered to hears the same, and learns nothing of its state (not even its number).
      expect(await call('POST', `/v1/dealers/D-3/orders/${orderId}/take`, undefined, d3)).toEqual({
        status: 404, body: { error: { code: 'not_found', message: `Order ${orderId} is not offered to you.`, details: { reason: 'not_offered' } } },
      });

      const mine = await call('GET', '/v1/dealers/D-1/orders?view=mine', undefined, d1);
      const row: DealerOrderRow = mine.body.orders.find((o: DealerOrderRow) => o.orderId === orderId);
      // Who took it answers for it.
      expect(row).toMatchObject({ distributionStatus: 'assigned', dealer: 'D-1', assignedVia: 'take', responsible: 'd1-eva' });
      expect(row.client).toEqual({ name: 'Kiss Anna', city: 'Győr', phone: '+36 1 000 0000', email: 'anna@example.hu' });
      expect((await call('GET', '/v1/dealers/D-2/orders?view=offered', undefined, d2)).body.orders.map((o: DealerOrderRow) => o.orderId)).not.toContain(orderId);
      const events = (await call('GET', `/v1/orders/${orderId}/distribution`)).body.events;
      expect(events).toContainEqual(expect.objectContaining({ kind: 'taken', dealer: 'D-1', actor: 'd1-eva' }));
    });

    it('tells a dealer the manufacturer passed over that the order is not offered to it', async () => {
      const orderId = await offeredOrder();
      expect(await call('POST', `/v1/orders/${orderId}/assign`, { dealer: 'D-1', note: 'the client asked for them' })).toMatchObject({ status: 200 });
      const passedOver = await call('POST', `/v1/dealers/D-2/orders/${orderId}/take`, undefined, d2);
      expect(passedOver).toMatchObject({ status: 404, body: { error: { code: 'not_found', details: { reason: 'taken_by_another' } } } });
      expect(JSON.stringify(passedOver.body)).not.toContain('D-1');
    });

    it('refuses a take after the deadline with 409 window_closed, saying when the window closed', async () => {
      const orderId = await offeredOrder();
      // Deadlines are rows: this one passed a second ago, and no tick has run since.
      const closedAt = new Date(Date.now() - 1000);
      await t.db.query(`UPDATE order_distribution SET deadline_at = $2::timestamptz WHERE order_id = $1`, [orderId, closedAt.toISOString()]);
      const late = await call('POST', `/v1/dealers/D-1/orders/${orderId}/take`, undefined, d1);
      expect(late).toMatchObject({
        status: 409, body: { error: { code: 'conflict', message: expect.stringContaining(`closed at ${closedAt.toISOString()}`), details: { reason: 'window_closed', closedAt: closedAt.toISOString() } } },
      });
      // The order went on at once, as the tick would have taken it on.
      expect((await call('GET', `/v1/orders/${orderId}/distribution`)).body).toMatchObject({ status: 'assigned', dealer: 'HQ', assignedVia: 'fallback' });
    });

    it('moves a taken order on to completed, earning the dealer its points', async () => {
      const orderId = await offeredOrder();
      await call('POST', `/v1/dealers/D-1/orders/${orderId}/take`, undefined, d1);
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/status`, { status: 'contacted' }, d2)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      // Another employee of the same dealer moves on only the orders it answers for.
      expect(await call('POST', `/v1/dealers/D-1/orders/${orderId}/status`, { status: 'contacted' }, d1Oleg)).toMatchObject({
        status: 403,
        body: { error: { code: 'not_allowed', details: { reason: 'not_responsible' } } },
      });
      expect(await call('POST', `/v1/dealers/D-1/orders/${orderId}/status`, { status: 'completed' }, d1)).toMatchObject({
        status: 409,
        body: { error: { code: 'conflict', details: { from: 'assigned', to: 'completed' } } },
      });
      expect(await call('POST', `/v1/dealers/D-1/orders/${orderId}/status`, { status: 'shipped' }, d1)).toMatchObject({ status: 400, body: { error: { field: 'status' } } });
      expect(await call('POST', `/v1/dealers/D-1/orders/${orderId}/status`, { status: 'contacted' }, d1)).toEqual({ status: 200, body: { orderId, status: 'contacted', points: null } });
      const completed = await call('POST', `/v1/dealers/D-1/orders/${orderId}/status`, { status: 'completed' }, d1);
      expect(completed).toEqual({ status: 200, body: { orderId, status: 'completed', points: { delta: 100, balance: expect.any(Number) } } });
      // The core order follows, and ops read each step in the order's lifecycle history.
      const detail = (await call('GET', `/v1/orders/${orderId}`)).body;
      expect(detail.status).toBe('completed');
      expect(detail.lifecycle).toContainEqual(expect.objectContaining({ step: 'core_status', key: 'r1:completed', outcome: 'done', detail: expect.objectContaining({ to: 'completed' }) }));
      expect(detail.lifecycle).toContainEqual(expect.objectContaining({ step: 'status_writeback', key: 'r1:completed', outcome: 'done' }));

      const history = await call('GET', '/v1/dealers/D-1/points', undefined, d1);
      expect(history.body.items).toContainEqual(expect.objectContaining({ delta: 100, cause: 'order_completed', orderId, balance: completed.body.points.balance }));
      expect((await call('GET', '/v1/dealers/D-1')).body.points).toBe(completed.body.points.balance);
      expect((await call('GET', '/v1/dealers/D-1/orders?view=completed', undefined, d1)).body.orders.map((o: DealerOrderRow) => o.orderId)).toContain(orderId);
      expect(await call('POST', `/v1/orders/${orderId}/distribution`, { force: true })).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    });

    it("shows a dealer its own part of an order's distribution, without the trace", async () => {
      const orderId = await offeredOrder();
      const own = await call('GET', `/v1/dealers/D-2/orders/${orderId}/distribution`, undefined, d2);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ orderId, status: 'offering', trace: null, dealer: null, responsible: null });
      expect(own.body.offers.map((o: { dealer: string }) => o.dealer)).toEqual(['D-2']);
      expect(own.body.events.every((e: { dealer: string | null }) => e.dealer === 'D-2')).toBe(true);
      // A dealer the order was never offered to hears "not offered to you", by the order's id only.
      expect(await call('GET', `/v1/dealers/D-3/orders/${orderId}/distribution`, undefined, d3)).toEqual({
        status: 404, body: { error: { code: 'not_found', message: `Order ${orderId} is not offered to you.`, details: { reason: 'not_offered' } } },
      });
      expect(await call('GET', '/v1/dealers/D-1/orders/no-such-order/distribution', undefined, d1)).toMatchObject({ status: 404 });
      expect(await call('GET', '/v1/orders/no-such-order/distribution')).toMatchObject({ status: 404 });
    });

    it('lets a dealer decline with a reason, and the refusals report counts it', async () => {
      const orderId = await offeredOrder();
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/decline`, { reason: '' }, d2)).toMatchObject({ status: 400, body: { error: { field: 'reason' } } });
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/decline`, { reason: 'no installer free' }, d2)).toEqual({
        status: 200,
        body: { orderId, escalated: false, status: 'offering' },
      });
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/take`, undefined, d2)).toMatchObject({ status: 403, body: { error: { code: 'not_allowed', details: { reason: 'declined' } } } });
      expect(await call('POST', `/v1/dealers/D-3/orders/${orderId}/decline`, { reason: 'not mine' }, d3)).toEqual({
        status: 404, body: { error: { code: 'not_found', message: `Order ${orderId} is not offered to you.`, details: { reason: 'not_offered' } } },
      });
      expect((await call('GET', '/v1/dealers/D-2/orders?view=offered', undefined, d2)).body.orders.map((o: DealerOrderRow) => o.orderId)).not.toContain(orderId);

      const from = new Date(Date.now() - 86_400_000).toISOString();
      const to = new Date(Date.now() + 86_400_000).toISOString();
      const report = await call('GET', `/v1/distribution/reports/refusals?from=${from}&to=${to}`);
      expect(report.status).toBe(200);
      expect(report.body.declines).toContainEqual({ reason: 'no installer free', count: 1, dealers: 1 });
      expect(report.body.takes).toContainEqual(expect.objectContaining({ dealer: 'D-1' }));
      expect(await call('GET', `/v1/distribution/reports/refusals?from=${from}`)).toMatchObject({ status: 400, body: { error: { field: 'to' } } });
    });

    it("cancels with a reason at the dealer's cost, and tells the manufacturer", async () => {
      const orderId = await offeredOrder();
      await call('POST', `/v1/dealers/D-2/orders/${orderId}/take`, undefined, d2);
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/status`, { status: 'cancelled' }, d2)).toMatchObject({ status: 400, body: { error: { field: 'reason' } } });
      expect(await call('POST', `/v1/dealers/D-2/orders/${orderId}/status`, { status: 'cancelled', reason: 'client unreachable' }, d2)).toEqual({
        status: 200,
        body: { orderId, status: 'cancelled', points: { delta: -50, balance: expect.any(Number) } },
      });
      const admin = await call('GET', '/v1/notifications?unread=true');
      const told = admin.body.items.find((n: NotificationRow) => n.orderId === orderId && n.kind === 'cancelled_by_dealer');
      expect(told).toMatchObject({ dealer: null, readAt: null });
      // The admins mark theirs read; a dealer's route cannot reach them.
      expect(await call('POST', '/v1/dealers/D-2/notifications/read', { ids: [told.id] }, d2)).toEqual({ status: 200, body: { marked: 0 } });
      expect(await call('POST', '/v1/notifications/read', { ids: [told.id] })).toEqual({ status: 200, body: { marked: 1 } });
      expect((await call('GET', '/v1/notifications?unread=true')).body.items.map((n: NotificationRow) => n.id)).not.toContain(told.id);
    });

    it('lets an admin distribute again and assign an order directly', async () => {
      const orderId = await offeredOrder();
      expect(await call('POST', `/v1/orders/${orderId}/distribution`)).toMatchObject({ status: 200, body: { action: 'redistributed', status: 'offering' } });
      expect((await call('GET', `/v1/orders/${orderId}/distribution`)).body.round).toBe(2);
      expect(await call('POST', `/v1/orders/${orderId}/distribution`, { force: false })).toMatchObject({ status: 200, body: { action: 'unchanged' } });
      // HQ is not authorised: refused with the failed check, and forcing needs a written reason.
      expect(await call('POST', `/v1/orders/${orderId}/assign`, { dealer: 'HQ' }, anna)).toMatchObject({
        status: 409,
        body: { error: { code: 'conflict', details: { reason: 'not_eligible', forceable: true, checks: [{ check: 'not_authorised', message: 'dealer HQ is not an authorised dealer' }] } } },
      });
      expect(await call('POST', `/v1/orders/${orderId}/assign`, { dealer: 'HQ', force: true }, anna)).toMatchObject({ status: 400, body: { error: { field: 'reason' } } });
      expect(await call('POST', `/v1/orders/${orderId}/assign`, { dealer: 'D-3', note: 'asked for by the client' }, anna)).toEqual({
        status: 200,
        body: { orderId, dealerCode: 'D-3', status: 'assigned', dueAt: expect.any(String), forced: false },
      });
      expect(await call('POST', `/v1/orders/${orderId}/assign`, { dealer: 'NOPE' })).toMatchObject({ status: 404 });
      expect(await call('POST', '/v1/orders/no-such-order/distribution', {})).toMatchObject({ status: 404 });
      const details = await call('GET', `/v1/orders/${orderId}/distribution`);
      // An order the dealer was given is its head's to answer for.
      expect(details.body).toMatchObject({ status: 'assigned', dealer: 'D-3', assignedVia: 'admin', responsible: d3Head.login });
      expect(details.body.events).toContainEqual(expect.objectContaining({ kind: 'assigned', actor: annaUser.login, detail: expect.objectContaining({ note: 'asked for by the client' }) }));
      // The manufacturer cancels it; the dealer is told and loses no points (it was not the dealer's doing).
      expect(await call('POST', `/v1/orders/${orderId}/status`, { status: 'cancelled' })).toMatchObject({ status: 400, body: { error: { field: 'reason' } } });
      expect(await call('POST', `/v1/orders/${orderId}/status`, { status: 'cancelled', reason: 'duplicate of a phone order' })).toEqual({
        status: 200,
        body: { orderId, status: 'cancelled', points: null },
      });
      expect((await call('GET', '/v1/dealers/D-3/notifications', undefined, d3)).body.items).toContainEqual(expect.objectContaining({ orderId, kind: 'cancelled' }));

      const all = await call('GET', '/v1/distribution/orders?dealer=D-3');
      expect(all.body.orders.map((o: DealerOrderRow) => o.orderId)).toEqual([orderId]);
      expect(all.body.total).toBe(1);
      expect((await call('GET', '/v1/distribution/orders?status=offering')).body.orders.every((o: DealerOrderRow) => o.distributionStatus === 'offering')).toBe(true);
      expect(await call('GET', '/v1/distribution/orders?dealer=NOPE')).toMatchObject({ status: 404 });
    });

    it("lists a dealer's notifications and marks them read", async () => {
      const orderId = await offeredOrder();
      const unread = await call('GET', '/v1/dealers/D-1/notifications?unread=true', undefined, d1);
      const offer = unread.body.items.find((n: NotificationRow) => n.orderId === orderId);
      expect(offer).toMatchObject({ dealer: 'D-1', kind: 'offered', message: expect.stringContaining('is offered to you'), readAt: null });
      // Another dealer's ids change nothing.
      expect(await call('POST', '/v1/dealers/D-3/notifications/read', { ids: [offer.id] }, d3)).toEqual({ status: 200, body: { marked: 0 } });
      expect(await call('POST', '/v1/dealers/D-1/notifications/read', { ids: [offer.id] }, d1)).toEqual({ status: 200, body: { marked: 1 } });
      expect(await call('POST', '/v1/dealers/D-1/notifications/read', { ids: [offer.id] }, d1)).toEqual({ status: 200, body: { marked: 0 } });
      expect((await call('GET', '/v1/dealers/D-1/notifications?unread=true', undefined, d1)).body.items.map((n: NotificationRow) => n.id)).not.toContain(offer.id);
      expect((await call('GET', '/v1/dealers/D-1/notifications?limit=1000', undefined, d1)).body.items).toContainEqual(expect.objectContaining({ id: offer.id, readAt: expect.any(String) }));
      expect(await call('POST', '/v1/dealers/D-1/notifications/read', { ids: ['x1'] }, d1)).toMatchObject({ status: 400, body: { error: { field: 'ids.0' } } });
    });

    it('runs the tick on demand', async () => {
      const report = await call('POST', '/v1/distribution/advance');
      expect(report).toEqual({ status: 200, body: { notified: expect.any(Number), fellBack: expect.any(Number), overdue: expect.any(Number), swept: expect.any(Number) } });
    });

    it('replays a configuration over past orders with per-dealer counts, changing nothing', async () => {
      await offeredOrder();
      const window = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
      const before = (await call('GET', '/v1/distribution/orders?limit=500')).body;

      const inForce = await call('POST', '/v1/distribution/what-if', window);
      expect(inForce.status).toBe(200);
      // The order the manufacturer cancelled above is a cancelled core order now: a replay would not distribute it.
      expect(inForce.body).toMatchObject({ configVersion: 3, ...window, notDistributed: 1 });
      expect(inForce.body.orders).toBeGreaterThan(0);
      type DealerCounts = WhatIfReport['byDealer'][number];
      const byDealer = new Map<string, DealerCounts>(inForce.body.byDealer.map((d: DealerCounts) => [d.dealer, d]));
      // Every order of the window is in Győr-Moson-Sopron: both dealers there are offered each one, the Pest dealer none.
      expect(byDealer.get('D-1')).toMatchObject({ offered: inForce.body.orders });
      expect(byDealer.get('D-2')).toMatchObject({ offered: inForce.body.orders });
      // D-3 got one order from the admin (actuallyGot), but the configuration in force would never offer it one.
      expect(byDealer.get('D-3') ?? { offered: 0, wouldGet: 0 }).toMatchObject({ offered: 0, wouldGet: 0 });
      expect(inForce.body.byTier).toEqual([
        { tier: 0, kind: 'rating', name: 'top dealers', orders: 0, taken: 0 },
        { tier: 1, kind: 'taxi', name: 'taxi', orders: inForce.body.orders, taken: expect.any(Number) },
      ]);

      const onlyD3 = await call('POST', '/v1/distribution/what-if', {
        ...window,
        config: { settings: {}, tiers: [{ kind: 'fixed', windowMinutes: 60, rules: [{ dealer: 'D-3', match: {} }] }] },
        sample: 1,
      });
      expect(onlyD3.status).toBe(200);
      expect(onlyD3.body).toMatchObject({ configVersion: null, orders: inForce.body.orders, outcomes: { offered: inForce.body.orders } });
      expect(onlyD3.body.byDealer.map((d: { dealer: string }) => d.dealer)).toContain('D-3');
      expect(onlyD3.body.byDealer.find((d: { dealer: string }) => d.dealer === 'D-3')).toMatchObject({ offered: inForce.body.orders });
      expect(onlyD3.body.sample).toHaveLength(1);

      expect(await call('POST', '/v1/distribution/what-if', { ...window, config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 0 }] } })).toMatchObject({
        status: 400,
        body: { error: { field: 'config.tiers.0' } },
      });
      expect(await call('POST', '/v1/distribution/what-if', { ...window, version: 99 })).toMatchObject({ status: 404 });
      expect(await call('POST', '/v1/distribution/what-if', { from: window.to, to: window.from })).toMatchObject({ status: 400, body: { error: { field: 'to' } } });
      expect((await call('GET', '/v1/distribution/orders?limit=500')).body).toEqual(before);
    });
  });

  describe('the OpenAPI document', () => {
    it('describes the dealer and distribution routes with their schemas', async () => {
      const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      for (const [method, path] of [
        ['post', '/v1/dealers'],
        ['get', '/v1/dealers/{code}'],
        ['put', '/v1/distribution/config'],
        ['post', '/v1/dealers/{code}/orders/{orderId}/take'],
        ['get', '/v1/orders/{id}/distribution'],
        ['post', '/v1/distribution/what-if'],
        ['get', '/v1/dealers/{code}/notifications'],
        ['post', '/v1/dealers/{code}/orders/{orderId}/responsible'],
      ]) {
        expect(doc.paths[path!]?.[method!], `${method} ${path}`).toBeDefined();
      }
      const details = doc.paths['/v1/orders/{id}/distribution'].get.responses['200'].content['application/json'].schema;
      expect(JSON.stringify(details)).toContain('regionMatch');
      expect(doc.paths['/v1/dealers'].post.requestBody.content['application/json'].schema.required).toEqual(['code', 'name', 'mainRegion']);
      const parameters = doc.paths['/v1/dealers/{code}/orders'].get.parameters.map((p: { name: string }) => p.name);
      expect(parameters).toEqual(expect.arrayContaining(['code', 'view', 'status', 'overdue', 'q', 'responsible', 'limit', 'offset']));
      // Who asks comes from the credentials, never from a header the caller writes.
      expect(parameters).not.toContain('x-hub-user');
    });
  });
});
