import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../connectors/_kit/definition.ts';
import type { ChannelMapping } from '../../core/model/mapping.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { listRawPayloads } from '../../core/orders/raw-payload-queries.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { reprocessFailedPayloads } from '../../jobs/processors/process-payload.ts';
import { ConnectorRegistry } from '../../jobs/registry.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
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

/** What the mapping saw, and the "database hiccups" it throws first (plain errors: the job retries). */
const mappingLog = { calls: 0, hiccups: 0 };

const pushMapping: ChannelMapping = {
  optionsSchema: Type.Object({}),
  map(payload) {
    mappingLog.calls += 1;
    if (mappingLog.hiccups > 0) {
      mappingLog.hiccups -= 1;
      throw new Error('Connection terminated unexpectedly');
    }
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
    hub = await createHub(loadConfig({}), {
      db: testDb.db,
      registry: new ConnectorRegistry([{ connector: pushConnector, mapping: pushMapping }]),
      retry: { attempts: 3, backoffMs: 10 },
    });
  });

  afterAll(async () => {
    await hub.close();
    await testDb.drop();
  });

  beforeEach(async () => {
    await testDb.db.execScript('DELETE FROM order_version; DELETE FROM order_line; DELETE FROM "order"; DELETE FROM raw_payload; DELETE FROM channel;');
    channelId = (await hub.channels.create({ name: 'Push shop', connectorType: 'fake-push', config: { secret: 's3cret' } })).id;
    mappingLog.calls = 0;
    mappingLog.hiccups = 0;
  });

  const payloadCount = () => testDb.db.prisma.rawPayload.count();

  /** The payload job's final event (registered before the payload is queued). */
  function processed(predicate: (e: PayloadProcessedEvent) => boolean = () => true): Promise<PayloadProcessedEvent> {
    return new Promise((resolve) => {
      const off = hub.runner.onPayloadProcessed((event) => {
        if (event.final && predicate(event)) {
          off();
          resolve(event);
        }
      });
    });
  }

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
    it('answers once it is archived, then a job reads it into the order', async () => {
      const done = processed();
      const receipt = await hub.actions.receiveWebhook(channelId, signed({ id: '42', status: 'processing' }));
      // The receipt is back before the payload job has even started.
      expect(mappingLog.calls).toBe(0);
      expect(receipt).toMatchObject({ kind: 'accepted', duplicate: false });
      const payloadId = (receipt as { payloadId: string }).payloadId;

      const event = await done;
      expect(event).toMatchObject({ payloadId, jobId: `payload-${payloadId}`, final: true, outcome: { status: 'parsed', orderCount: 1 } });
      const payload = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId } });
      expect(payload).toMatchObject({ kind: 'webhook', source: 'order.created', contentType: 'application/json', status: 'parsed', orderCount: 1 });
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId } });
      expect(order).toMatchObject({ externalId: '42', sourceStatus: 'processing' });
    });

    it('accepts the delivery when reading it hits a database hiccup, and the job retries', async () => {
      mappingLog.hiccups = 1;
      const attempts: PayloadProcessedEvent[] = [];
      hub.runner.onPayloadProcessed((e) => attempts.push(e));
      const done = processed();
      const receipt = await hub.actions.receiveWebhook(channelId, signed({ id: '45', status: 'processing' }));
      expect(receipt).toMatchObject({ kind: 'accepted', duplicate: false });
      expect((await done).outcome).toMatchObject({ status: 'parsed', orderCount: 1 });
      expect(attempts.map((a) => [a.attempt, a.final, a.error?.message ?? 'ok'])).toEqual([
        [1, false, 'Connection terminated unexpectedly'],
        [2, true, 'ok'],
      ]);
      expect(await testDb.db.prisma.order.count({ where: { channelId, externalId: '45' } })).toBe(1);
    });

    it('keeps one payload and one order when the same body arrives twice', async () => {
      const request = signed({ id: '43', status: 'processing' });
      const done = processed();
      const first = await hub.actions.receiveWebhook(channelId, request);
      await done;
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
      let done = processed();
      await hub.actions.receiveWebhook(channelId, signed({ id: '44', status: 'processing' }));
      await done;
      done = processed();
      await hub.actions.receiveWebhook(channelId, signed({ id: '44', status: 'on-hold' }, 's3cret', 'order.updated'));
      await done;
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId } });
      expect(order).toMatchObject({ version: 2, sourceStatus: 'on-hold' });
      expect(await payloadCount()).toBe(2);
    });
  });

  describe('when a payload was left pending (its job was lost)', () => {
    it('the sweep queues it once it is older than 5 minutes, and ops see it among the errors', async () => {
      const stale = await archivePayload(testDb.db, { channelId, kind: 'webhook', source: 'order.created', body: JSON.stringify({ id: '50', status: 'processing' }) });
      const fresh = await archivePayload(testDb.db, { channelId, kind: 'webhook', source: 'order.created', body: JSON.stringify({ id: '51', status: 'processing' }) });
      await testDb.db.query(`UPDATE raw_payload SET received_at = now() - interval '6 minutes' WHERE id = $1`, [stale.id]);

      const errors = await listRawPayloads(testDb.db, { status: 'errors', channelId });
      expect(errors.items.map((p) => p.id)).toEqual([stale.id]);

      const done = processed((e) => e.payloadId === stale.id);
      expect(await hub.runner.sweepPendingPayloads()).toBe(1);
      expect((await done).outcome).toMatchObject({ status: 'parsed', orderCount: 1 });
      expect(await testDb.db.prisma.order.count({ where: { channelId, externalId: '50' } })).toBe(1);
      const left = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id: fresh.id } });
      expect(left.status).toBe('pending'); // still young: its own job is expected to read it
    });

    it('hub reprocess --failed reads stale pending payloads too', async () => {
      const stale = await archivePayload(testDb.db, { channelId, kind: 'webhook', source: 'order.created', body: JSON.stringify({ id: '52', status: 'processing' }) });
      await archivePayload(testDb.db, { channelId, kind: 'webhook', source: 'order.created', body: JSON.stringify({ id: '53', status: 'processing' }) });
      await testDb.db.query(`UPDATE raw_payload SET received_at = now() - interval '6 minutes' WHERE id = $1`, [stale.id]);
      const outcomes = await reprocessFailedPayloads(hub.context, { channelId });
      expect(outcomes.map((o) => [o.payloadId, o.status])).toEqual([[stale.id, 'parsed']]);
    });
  });

  describe('when the channel is disabled', () => {
    it('refuses the webhook with conflict and stores nothing', async () => {
      await hub.channels.update(channelId, { enabled: false });
      await expect(hub.actions.receiveWebhook(channelId, signed({ id: '60', status: 'processing' }))).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('"Push shop" is disabled'),
      });
      expect(await payloadCount()).toBe(0);
    });
  });

  describe('when the channel cannot receive webhooks', () => {
    it('fails with not_found for an unknown channel', async () => {
      await expect(hub.actions.receiveWebhook('00000000-0000-0000-0000-000000000000', signed({ id: '1', status: 'x' }))).rejects.toMatchObject({ code: 'not_found' });
    });
  });
});
