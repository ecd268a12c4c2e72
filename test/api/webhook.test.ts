import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { buildTestApp, createChannel, type ActionCall, type FakeActions } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let actions: FakeActions;
let channelId: string;

// Escaped slashes and \u escapes must reach the signature check exactly as sent: a parse and
// re-serialise would turn `\/` into `/` and `\u00e1` into `á`, and the HMAC would no longer match.
const ESCAPED_JSON =
  '{"id":727,"permalink":"https:\\/\\/shop.example.hu\\/?p=727","billing":{"first_name":"\\u00c1rp\\u00e1d","city":"P\\u00e9cs"},' +
  '"note":"Sz\u00e9p napot! \ud83d\ude00","total":"12.50"}';

function webhookCalls(): Extract<ActionCall, { action: 'receiveWebhook' }>[] {
  return actions.calls.filter((c): c is Extract<ActionCall, { action: 'receiveWebhook' }> => c.action === 'receiveWebhook');
}

beforeAll(async () => {
  testDb = await createTestPostgres();
  ({ app, actions } = await buildTestApp(testDb.db));
  channelId = (await createChannel(app)).id;
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

beforeEach(() => {
  actions.calls.length = 0;
  actions.webhookReceipt = () => ({ kind: 'accepted', payloadId: 'payload-1', duplicate: false });
});

describe('when a webhook arrives', () => {
  it.each([
    ['application/json', undefined],
    ['application/json; charset=utf-8', undefined],
    ['application/x-www-form-urlencoded', 'webhook_id=12&topic=order.updated%2Bx'],
    ['text/plain', undefined],
  ])('hands the raw bytes of a %s body to the action byte-identical', async (contentType, body) => {
    const bytes = Buffer.from(body ?? ESCAPED_JSON, 'utf8');
    const response = await app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/webhook`,
      headers: { 'content-type': contentType, 'x-wc-webhook-signature': 'c2lnbmF0dXJl', 'x-wc-webhook-topic': 'order.updated' },
      payload: bytes,
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ payloadId: 'payload-1', duplicate: false });
    const [call] = webhookCalls();
    expect(call?.channelId).toBe(channelId);
    expect(Buffer.isBuffer(call?.rawBody)).toBe(true);
    expect(call!.rawBody.equals(bytes)).toBe(true);
    expect(call!.rawBody.toString('utf8')).toContain(body === undefined ? 'https:\\/\\/shop.example.hu' : 'order.updated%2Bx');
    expect(call?.headers['x-wc-webhook-signature']).toBe('c2lnbmF0dXJl');
    expect(call?.headers['x-wc-webhook-topic']).toBe('order.updated');
  });

  it('hands over a body sent without a content type', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, payload: Buffer.from('webhook_id=5') });
    expect(response.statusCode).toBe(202);
    expect(webhookCalls()[0]?.rawBody.toString()).toBe('webhook_id=5');
  });

  it('does not choke on a body that is not valid JSON (the action decides)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/webhook`,
      headers: { 'content-type': 'application/json' },
      payload: '{"id": 1, oops',
    });
    expect(response.statusCode).toBe(202);
    expect(webhookCalls()[0]?.rawBody.toString()).toBe('{"id": 1, oops');
  });

  it('reports a duplicate delivery', async () => {
    actions.webhookReceipt = () => ({ kind: 'accepted', payloadId: 'payload-9', duplicate: true });
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ payloadId: 'payload-9', duplicate: true });
  });

  it('answers a ping with 200', async () => {
    actions.webhookReceipt = () => ({ kind: 'ping' });
    const response = await app.inject({
      method: 'POST',
      url: `/v1/channels/${channelId}/webhook`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'webhook_id=12',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
  });

  it('answers 401 with the reason when the action rejects it', async () => {
    actions.webhookReceipt = () => ({ kind: 'rejected', reason: 'The signature does not match the body.' });
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'application/json' }, payload: ESCAPED_JSON });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'unauthorized', message: 'The signature does not match the body.' } });
  });

  it('answers 404 for an unknown channel without calling the action', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${randomUUID()}/webhook`, headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
    expect(webhookCalls()).toHaveLength(0);
  });

  it('accepts bodies above the 1 MB default of the rest of the API', async () => {
    const big = Buffer.from(JSON.stringify({ filler: 'x'.repeat(2 * 1024 * 1024) }));
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'application/json' }, payload: big });
    expect(response.statusCode).toBe(202);
    expect(webhookCalls()[0]?.rawBody.length).toBe(big.length);
  });

  it('answers 413 JSON above the default 10 MB limit', async () => {
    const tooBig = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'text/plain' }, payload: tooBig });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', message: expect.stringContaining(`the limit is ${10 * 1024 * 1024} bytes`), details: { reason: 'too_large', limit: 10 * 1024 * 1024 } });
    // The hub hears of the refusal with the body's start only, never the whole body.
    expect(webhookCalls()).toHaveLength(1);
    expect(webhookCalls()[0]!.rawBody.length).toBe(2048);
  });
});

describe('when the webhook body limit is configured', () => {
  it('answers 413 JSON above it', async () => {
    const small = await buildTestApp(testDb.db, { webhookBodyLimit: 1024 });
    try {
      const ok = await small.app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
      expect(ok.statusCode).toBe(202);
      const response = await small.app.inject({
        method: 'POST',
        url: `/v1/channels/${channelId}/webhook`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ filler: 'x'.repeat(2048) }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toContain('application/json');
      expect(response.json().error.code).toBe('invalid_data');
      expect(response.json().error.message).toContain('the limit is 1024 bytes');
      expect(small.actions.calls.filter((c) => c.action === 'receiveWebhook').map((c) => (c as { rawBody: Buffer }).rawBody.length)).toEqual([7, 2048]);
    } finally {
      await small.app.close();
    }
  });
});

describe('when the rest of the API receives JSON', () => {
  it('still parses it (the raw parser is confined to the webhook route)', async () => {
    const response = await app.inject({ method: 'PATCH', url: `/v1/channels/${channelId}`, headers: { 'content-type': 'application/json' }, payload: '{"enabled":true}' });
    expect(response.statusCode).toBe(200);
    expect(response.json().enabled).toBe(true);
  });
});
