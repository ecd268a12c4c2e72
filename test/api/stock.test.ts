import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let channelId: string;

type Line = OrderDraft['lines'][number];
const productLine = (sku: string, quantity: string): Line => ({
  kind: 'product', sku, name: sku, quantity, unitPrice: '1.00', subtotal: quantity, discount: '0', tax: '0', total: quantity, attributes: {},
});

beforeAll(async () => {
  testDb = await createTestPostgres();
  const built = await buildTestApp(testDb.db);
  app = built.app;
  channelId = (await testDb.db.prisma.channel.create({ data: { name: 'Portal', kind: 'webshop', connectorType: 'testshop' } })).id;
});
afterAll(async () => {
  await app.close();
  await testDb.drop();
});

async function call(method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) {
  const response = await app.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) });
  return { status: response.statusCode, body: response.json() };
}

async function order(externalId: string, sku: string, quantity: string, desiredDeliveryDate?: string): Promise<string> {
  const [result] = await ingestOrders(testDb.db, { channelId, drafts: [orderDraft(externalId, { lines: [productLine(sku, quantity)], desiredDeliveryDate })] });
  return result!.orderId!;
}

describe('stock API', () => {
  describe('when stock is loaded', () => {
    it('upserts products, warehouses, levels and incoming supply idempotently', async () => {
      const products = { items: [{ sku: 'API-1', name: 'Tile', unit: 'm2', brand: 'NOVUS' }] };
      expect(await call('PUT', '/v1/stock/products', products)).toEqual({ status: 200, body: { created: 1, updated: 0, unchanged: 0 } });
      expect((await call('PUT', '/v1/stock/products', products)).body).toEqual({ created: 0, updated: 0, unchanged: 1 });
      expect((await call('PUT', '/v1/stock/warehouses', { items: [{ code: 'MAIN', name: 'Main' }] })).body).toEqual({ created: 1, updated: 0, unchanged: 0 });
      const levels = { items: [{ sku: 'API-1', warehouse: 'MAIN', onHand: '50' }], reason: 'api test' };
      expect((await call('PUT', '/v1/stock/levels', levels)).body).toEqual({ counts: { created: 1, updated: 0, unchanged: 0 }, released: [] });
      expect((await call('PUT', '/v1/stock/levels', levels)).body.counts).toEqual({ created: 0, updated: 0, unchanged: 1 });
      const incoming = { items: [{ sku: 'API-1', warehouse: 'MAIN', reference: 'PO-1', quantity: '70', expectedOn: '2026-04-15' }] };
      expect((await call('PUT', '/v1/stock/incoming', incoming)).body.counts).toEqual({ created: 1, updated: 0, unchanged: 0 });
      expect((await call('PUT', '/v1/stock/incoming', incoming)).body.counts).toEqual({ created: 0, updated: 0, unchanged: 1 });
    });

    it('refuses an unknown SKU with 400 naming the field, and a malformed quantity by schema', async () => {
      const unknown = await call('PUT', '/v1/stock/levels', { items: [{ sku: 'NOPE', warehouse: 'MAIN', onHand: '1' }] });
      expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'invalid_data', field: 'levels.0.sku' } } });
      const malformed = await call('PUT', '/v1/stock/levels', { items: [{ sku: 'API-1', warehouse: 'MAIN', onHand: '1,5' }] });
      expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'invalid_data', field: 'items.0.onHand' } } });
    });
  });

  describe('when availability is asked', () => {
    it('answers the documented example by date: 100 by 17 April is confirmed from 70 incoming + 30 on hand', async () => {
      const { status, body } = await call('POST', '/v1/stock/availability', { lines: [{ sku: 'API-1', quantity: '100' }], neededBy: '2026-04-17' });
      expect(status).toBe(200);
      expect(body.result).toBe('confirmed');
      expect(body.lines[0].sources).toEqual([
        { kind: 'incoming', warehouse: 'MAIN', supplyId: expect.any(String), reference: 'PO-1', expectedOn: '2026-04-15', quantity: '70' },
        { kind: 'on_hand', warehouse: 'MAIN', quantity: '30' },
      ]);
      const unknown = await call('POST', '/v1/stock/availability', { lines: [{ sku: 'GHOST', quantity: '1' }] });
      expect(unknown.body.lines[0]).toMatchObject({ status: 'unavailable', reason: 'unknown SKU GHOST' });
    });
  });

  describe('when orders reserve, ship and release', () => {
    it('reserves (201, then 200 for the same version), lists reservations, sends a short order to review and resolves it', async () => {
      const first = await order('API-O1', 'API-1', '100', '2026-04-17');
      const reserved = await call('POST', `/v1/orders/${first}/reservations`);
      expect(reserved.status).toBe(201);
      expect(reserved.body.check).toMatchObject({ result: 'confirmed', reviewStatus: 'none', orderVersion: 1 });
      expect((await call('POST', `/v1/orders/${first}/reservations`)).status).toBe(200);
      const listed = await call('GET', `/v1/orders/${first}/reservations`);
      expect(listed.body.reservations.map((r: { source: string; quantity: string }) => `${r.source}:${r.quantity}`).sort()).toEqual(['incoming:70', 'on_hand:30']);

      const second = await order('API-O2', 'API-1', '25', '2026-04-16');
      const short = await call('POST', `/v1/orders/${second}/reservations`);
      expect(short.body.check).toMatchObject({ result: 'partial', reviewStatus: 'open' });
      expect(short.body.check.lines[0]).toMatchObject({ allocated: '20', shortfall: '5' });

      const reviews = await call('GET', '/v1/stock/reviews?status=open');
      expect(reviews.body.items.map((r: { orderExternalId: string }) => r.orderExternalId)).toContain('API-O2');
      const checkId = short.body.check.id as string;
      const resolved = await call('POST', `/v1/stock/reviews/${checkId}/resolve`, { action: 'wait_for_supply', by: 'manager' });
      expect(resolved).toMatchObject({ status: 200, body: { reviewStatus: 'resolved', resolution: 'wait_for_supply' } });
      expect((await call('POST', `/v1/stock/reviews/${checkId}/resolve`, { action: 'reject', by: 'manager' })).status).toBe(409);
      expect((await call('POST', `/v1/stock/reviews/${checkId}/resolve`, { action: 'maybe', by: 'manager' })).status).toBe(400);

      // The supply arrives; the first order ships; the second is cancelled.
      const supplyId = listed.body.reservations.find((r: { source: string }) => r.source === 'incoming').supplyId as string;
      expect((await call('POST', `/v1/orders/${first}/ship`)).status).toBe(409);
      const arrival = await call('POST', `/v1/stock/incoming/${supplyId}/receive`, { quantity: '70' });
      expect(arrival.body).toEqual({ supplyId, received: '70', supplyStatus: 'received', moved: '70' });
      const shipped = await call('POST', `/v1/orders/${first}/ship`);
      expect(shipped).toMatchObject({ status: 200, body: { alreadyShipped: false } });
      const released = await call('POST', `/v1/orders/${second}/release?reason=dealer%20cancelled`);
      expect(released.body).toEqual({ orderId: second, released: [{ sku: 'API-1', quantity: '20' }] });
      const again = await call('POST', `/v1/orders/${second}/release`);
      expect(again.body.released, JSON.stringify(again.body)).toEqual([]);

      const ledger = await call('GET', '/v1/stock/ledger/verify');
      expect(ledger).toMatchObject({ status: 200, body: { ok: true, mismatches: [] } });
    });

    it('answers 404 for an unknown order, supply and review', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      expect((await call('POST', `/v1/orders/${missing}/reservations`)).status).toBe(404);
      expect((await call('GET', `/v1/orders/${missing}/reservations`)).status).toBe(404);
      expect((await call('POST', `/v1/stock/incoming/${missing}/receive`, { quantity: '1' })).status).toBe(404);
      expect((await call('POST', `/v1/stock/reviews/${missing}/resolve`, { action: 'reject', by: 'x' })).body.error.code).toBe('not_found');
    });
  });
});
