import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import type { TestDatabase } from './databases.ts';

/** A request through the app; the answer's status and JSON body ({} when empty). */
export async function send(app: FastifyInstance, method: InjectOptions['method'], url: string, payload?: object): Promise<{ status: number; body: Record<string, any> }> {
  const response = await app.inject({ method, url, ...(payload && { payload }) });
  return { status: response.statusCode, body: response.body ? response.json() : {} };
}

/**
 * Two dealers of Hungary, KERT and OTHER, that see every order at once (one taxi tier, points at
 * their defaults), a product and a web shop channel; returns the channel.
 */
export async function kertAndOther(t: TestDatabase, admin: FastifyInstance): Promise<string> {
  await send(admin, 'PUT', '/v1/regions', { regions: [{ code: 'HU', name: 'Hungary', level: 'country' }, { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' }] });
  await send(admin, 'PUT', '/v1/stock/products', { items: [{ sku: 'TILE-1', name: 'Tile' }] });
  for (const code of ['KERT', 'OTHER']) {
    expect((await send(admin, 'POST', '/v1/dealers', { code, name: code, mainRegion: 'HU', authorised: true, wholeRange: true })).status).toBe(201);
  }
  await send(admin, 'PUT', '/v1/distribution/config', { config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] } });
  return (await t.db.prisma.channel.create({ data: { name: 'Site', kind: 'webshop', connectorType: 'testshop' } })).id;
}

/** An order from the site, distributed by the admin: offered to the dealers. */
export async function offered(t: TestDatabase, admin: FastifyInstance, channelId: string, draft: OrderDraft): Promise<string> {
  const [result] = await ingestOrders(t.db, { channelId, drafts: [draft] });
  const orderId = result!.orderId!;
  expect((await send(admin, 'POST', `/v1/orders/${orderId}/distribution`, {})).body).toMatchObject({ status: 'offering' });
  return orderId;
}
