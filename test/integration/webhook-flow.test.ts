import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import { createTestPglite, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/** A push-only connector: HMAC-SHA256 (base64) of the raw body in x-signature, like WooCommerce. */
const pushConnector: ConnectorDefinition<{ secret: string }> = {
  type: 'fake-push',
  title: 'Fake push shop',
  channelKind: 'webshop',
  spec: Type.Object({ secret: Type.String({ minLength: 1 }) }),
  secretFields: ['secret'],
  check: async () => ({ ok: true, message: 'ok' }),
  webhook: {
    verify(request, config) {
      if (request.headers['x-ping']) return { kind: 'ping' };
      const expected = createHmac('sha256', config.secret).update(request.rawBody).digest('base64');
      if (request.headers['x-signature'] !== expected) return { kind: 'rejected', reason: 'signature mismatch' };
      return { kind: 'accepted', topic: String(request.headers['x-topic'] ?? 'order.updated') };
    },
  },
};

const pushMapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    const body = JSON.parse(payload.body) as { id: string; status: string };
    return { orders: [orderDraft(body.id, { sourceStatus: body.status })], errors: [] };
  },
};

function signed(body: object, secret = 's3cret', topic = 'order.created') {
  const rawBody = Buffer.from(JSON.stringify(body));
  return {
    rawBody,
    headers: { 'content-type': 'application/json', 'x-topic': topic, 'x-signature': createHmac('sha256', secret).update(rawBody).digest('base64') },
  };
}

describe('webhook flow', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let channelId: string;

  beforeAll(async () => {
    testDb = await createTestPglite();
    hub = await createHub(loadConfig({}), { db: testDb.db, registry: new ConnectorRegistry([{ connector: pushConnector, mapping: pushMapping }]) });
  });

  afterAll(async () => {
    await hub.close();
    await testDb.drop();
  });

  beforeEach(async () => {
    await testDb.db.execScript('DELETE FROM order_version; DELETE FROM order_line; DELETE FROM "order"; DELETE FROM raw_payload; DELETE FROM channel;');
    channelId = (await hub.channels.create({ name: 'Push shop', connectorType: 'fake-push', config: { secret: 's3cret' } })).id;
  });

  const payloadCount = () => testDb.db.prisma.rawPayload.count();

  describe('when the shop pings', () => {
    it('answers ping and stores nothing', async () => {
      const receipt = await hub.actions.receiveWebhook(channelId, { headers: { 'x-ping': '1' }, rawBody: Buffer.from('webhook_id=7') });
      expect(receipt).toEqual({ kind: 'ping' });
      expect(await payloadCount()).toBe(0);
    });
  });

  describe('when the signature is wrong', () => {
    it('rejects the request and stores nothing', async () => {
      const request = signed({ id: '1', status: 'processing' }, 'wrong-secret');
      const receipt = await hub.actions.receiveWebhook(channelId, request);
      expect(receipt).toEqual({ kind: 'rejected', reason: 'signature mismatch' });
      expect(await payloadCount()).toBe(0);
      expect(await testDb.db.prisma.order.count()).toBe(0);
    });
  });

  describe('when the payload is authentic', () => {
    it('archives it with its topic and creates the order', async () => {
      const receipt = await hub.actions.receiveWebhook(channelId, signed({ id: '42', status: 'processing' }));
      expect(receipt).toMatchObject({ kind: 'accepted', duplicate: false });
      const payload = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: (receipt as { payloadId: string }).payloadId } });
      expect(payload).toMatchObject({ kind: 'webhook', source: 'order.created', contentType: 'application/json', status: 'parsed', orderCount: 1 });
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId } });
      expect(order).toMatchObject({ externalId: '42', sourceStatus: 'processing' });
    });

    it('keeps one payload and one order when the same body arrives twice', async () => {
      const request = signed({ id: '43', status: 'processing' });
      const first = await hub.actions.receiveWebhook(channelId, request);
      const second = await hub.actions.receiveWebhook(channelId, request);
      expect(first).toMatchObject({ kind: 'accepted', duplicate: false });
      expect(second).toEqual({ kind: 'accepted', payloadId: (first as { payloadId: string }).payloadId, duplicate: true });
      const payloads = await testDb.db.prisma.rawPayload.findMany();
      expect(payloads).toHaveLength(1);
      expect(payloads[0]).toMatchObject({ receivedCount: 2, attempts: 1 });
      expect(await testDb.db.prisma.order.count()).toBe(1);
      expect(await testDb.db.prisma.orderVersion.count()).toBe(1);
    });

    it('makes a new version when a changed body arrives', async () => {
      await hub.actions.receiveWebhook(channelId, signed({ id: '44', status: 'processing' }));
      await hub.actions.receiveWebhook(channelId, signed({ id: '44', status: 'on-hold' }, 's3cret', 'order.updated'));
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId } });
      expect(order).toMatchObject({ version: 2, sourceStatus: 'on-hold' });
      expect(await payloadCount()).toBe(2);
    });
  });

  describe('when the channel cannot receive webhooks', () => {
    it('fails with not_found for an unknown channel', async () => {
      await expect(hub.actions.receiveWebhook('00000000-0000-0000-0000-000000000000', signed({ id: '1', status: 'x' }))).rejects.toMatchObject({ code: 'not_found' });
    });
  });
});
