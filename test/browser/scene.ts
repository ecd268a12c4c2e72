import { Type } from '@sinclair/typebox';
import { expect } from 'vitest';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { processPayload } from '../../core/orders/payload-processing.ts';
import type { WebHub } from './web-hub.ts';

/** Two Budapest dealers that both see the region's orders at once (one tier, no delay), 100 points per completed order. */
export async function twoDealersInBudapest(web: WebHub): Promise<void> {
  const call = async (method: 'PUT' | 'POST', url: string, payload: unknown) => {
    const response = await web.admin.inject({ method, url, payload: payload as object });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };
  await call('PUT', '/v1/regions', { regions: [
    { code: 'HU', name: 'Hungary', level: 'country' },
    { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' },
  ] });
  await call('PUT', '/v1/dealers', { dealers: [
    { code: 'BP-KERT', name: 'Kert és Otthon Kft.', mainRegion: 'HU-BU', authorised: true, wholeRange: true },
    { code: 'BP-PAD', name: 'Padvilág Bt.', mainRegion: 'HU-BU', authorised: true, wholeRange: true },
    { code: 'DEPT', name: 'Order distribution department', mainRegion: 'HU', authorised: true, wholeRange: true, acceptsSiteOrders: false },
  ] });
  await call('PUT', '/v1/distribution/config', {
    comment: 'browser test: the region, everyone at once',
    config: { settings: { fallbackDealer: 'DEPT', pointsOnCompletion: 100 }, tiers: [{ kind: 'base', name: 'Budapest dealers', windowMinutes: 60 }] },
  });
}

let placed = 0;

/** A phone order recorded by the sales desk for a Budapest client: the hub distributes it to the region's dealers. */
export async function phoneOrder(web: WebHub, channelId: string, client: { name: string; phone: string }): Promise<{ orderId: string; number: string }> {
  placed += 1;
  const number = `PH-${placed}`;
  const response = await web.admin.inject({
    method: 'POST',
    url: `/v1/channels/${channelId}/orders`,
    payload: {
      externalId: number,
      number,
      operator: 'desk',
      via: 'phone',
      region: 'HU-BU',
      currency: 'HUF',
      customer: { name: client.name, phone: client.phone, email: 'client@example.hu' },
      shippingAddress: { name: client.name, city: 'Budapest', postcode: '1051', country: 'HU', line1: 'Október 6. utca 12.' },
      lines: [{ sku: 'BENCH-1', name: 'Garden bench', quantity: '2', unitPrice: '45000.00' }],
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { orderId: response.json<{ orderId?: string; id?: string }>().orderId ?? response.json<{ id: string }>().id, number };
}

export async function channel(web: WebHub, name: string, connectorType: string, config: Record<string, unknown>): Promise<string> {
  const response = await web.admin.inject({ method: 'POST', url: '/v1/channels', payload: { name, connectorType, config } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string }>().id;
}

/**
 * A shop's webhook that an earlier mapping refused: archived as it came (the payload is a WooCommerce
 * order as the shop sends it) and failed with that mapping's error, waiting for ops to read it again
 * with the mapping the hub has now.
 */
export async function payloadAnOldMappingRefused(web: WebHub, channelId: string, body: string): Promise<string> {
  const stored = await archivePayload(web.t.db, { channelId, kind: 'webhook', source: 'webhook:order.created', contentType: 'application/json', body });
  const oldMapping: ChannelMapping = {
    optionsSchema: Type.Object({}),
    map: () => ({ orders: [], errors: [{ ref: '727', message: 'meta_data "_billing_tax_number" is not a string' }] }),
  };
  await processPayload(web.t.db, stored.id, () => oldMapping);
  return stored.id;
}
