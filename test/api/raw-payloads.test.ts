import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPayload } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp, createChannel, testMapping, type FakeActions } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let actions: FakeActions;
let admin: { login: string };
let shop: string;
let pos: string;
const ids: Record<'parsed' | 'partial' | 'failed' | 'pending' | 'posFailed', string> = { parsed: '', partial: '', failed: '', pending: '', posFailed: '' };

const INVALID_DRAFT = { ...orderDraft('BAD-1'), currency: '' };

interface Item {
  id: string;
  channelId: string;
  kind: string;
  status: string;
  receivedAt: string;
  error: string | null;
}

/** Items of the channels seeded above (other tests may add payloads on their own channels). */
function ours(items: Item[]): Item[] {
  return items.filter((p) => p.channelId === shop || p.channelId === pos);
}

async function list(query: string): Promise<{ items: Item[]; nextCursor: string | null }> {
  const response = await app.inject({ method: 'GET', url: `/v1/raw-payloads${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function archive(channelId: string, kind: 'pull' | 'webhook', body: string, process: boolean): Promise<string> {
  const stored = await archivePayload(testDb.db, { channelId, kind, source: `${kind}:test`, contentType: 'application/json', body });
  if (process) await processPayload(testDb.db, stored.id, () => testMapping);
  return stored.id;
}

beforeAll(async () => {
  testDb = await createTestPostgres();
  ({ app, actions, admin } = await buildTestApp(testDb.db));
  shop = (await createChannel(app)).id;
  pos = (await createChannel(app)).id;
  ids.parsed = await archive(shop, 'pull', JSON.stringify({ orders: [orderDraft('OK-1')] }), true);
  ids.partial = await archive(shop, 'pull', JSON.stringify({ orders: [orderDraft('OK-2'), INVALID_DRAFT] }), true);
  ids.failed = await archive(shop, 'webhook', 'this is not JSON', true);
  ids.pending = await archive(shop, 'webhook', JSON.stringify({ orders: [orderDraft('LATE-1')] }), false);
  ids.posFailed = await archive(pos, 'webhook', '{"orders": [', true);
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

describe('GET /v1/raw-payloads', () => {
  it('lists newest first without bodies', async () => {
    const page = await list('');
    expect(ours(page.items).map((p) => p.id).sort()).toEqual(Object.values(ids).sort());
    for (const item of page.items) expect(item).not.toHaveProperty('body');
    expect(page.items).toEqual(
      [...page.items].sort((a, b) => (a.receivedAt !== b.receivedAt ? (a.receivedAt < b.receivedAt ? 1 : -1) : a.id < b.id ? 1 : -1)),
    );
    expect(page.nextCursor).toBeNull();
  });

  it('lists failed and partial payloads with status=errors', async () => {
    const page = await list('?status=errors');
    expect(ours(page.items).map((p) => p.id).sort()).toEqual([ids.partial, ids.failed, ids.posFailed].sort());
    const partial = page.items.find((p) => p.id === ids.partial)!;
    expect(partial).toMatchObject({ status: 'partial', orderCount: 1, errorCode: 'invalid_data', attempts: 1 });
    expect(partial.error).toContain('BAD-1');
  });

  it('filters by one status, channel and kind', async () => {
    expect((await list('?status=pending')).items.map((p) => p.id)).toEqual([ids.pending]);
    expect((await list('?status=parsed')).items.map((p) => p.id)).toEqual([ids.parsed]);
    expect((await list(`?channelId=${pos}`)).items.map((p) => p.id)).toEqual([ids.posFailed]);
    expect((await list(`?status=errors&channelId=${shop}&kind=webhook`)).items.map((p) => p.id)).toEqual([ids.failed]);
    expect((await list('?kind=upload')).items).toEqual([]);
  });

  it('pages with a cursor without duplicates or gaps', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await testDb.db.prisma.rawPayload.findMany({ select: { id: true } });
    expect(new Set(seen)).toEqual(new Set(all.map((p) => p.id)));
  });

  it.each([
    ['status=broken', 'status'],
    ['kind=fax', 'kind'],
    ['limit=0', 'limit'],
    ['cursor=%%%', 'cursor'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const response = await app.inject({ method: 'GET', url: `/v1/raw-payloads?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field });
  });
});

describe('GET /v1/raw-payloads/:id', () => {
  it('returns the payload with its body exactly as stored', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/raw-payloads/${ids.failed}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: ids.failed,
      channelId: shop,
      kind: 'webhook',
      source: 'webhook:test',
      contentType: 'application/json',
      status: 'failed',
      orderCount: 0,
      body: 'this is not JSON',
      encoding: 'utf-8',
      text: true,
      bytes: 16,
      bodyBase64: null,
      receivedCount: 1,
    });
  });

  it('answers 404 JSON for an unknown payload', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/raw-payloads/${randomUUID()}` });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});

describe('POST /v1/raw-payloads/:id/reprocess', () => {
  // Its own channel, so the payloads made here never show up in the list tests above.
  let reprocessShop: string;
  beforeAll(async () => {
    reprocessShop = (await createChannel(app)).id;
  });

  it('reads a pending payload and reports the outcome with counts', async () => {
    const id = await archive(reprocessShop, 'webhook', JSON.stringify({ orders: [orderDraft('RE-1'), orderDraft('RE-2')] }), false);
    const response = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${id}/reprocess` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      payloadId: id,
      status: 'parsed',
      orderCount: 2,
      errorCode: null,
      error: null,
      counts: { created: 2, updated: 0, unchanged: 0, stale: 0, rejected: 0 },
      errors: [],
    });
    // Who asked is the signed-in caller, handed to the action (it records it when the read resolves a failure).
    expect(actions.calls).toContainEqual({ action: 'reprocessPayload', payloadId: id, requestedBy: admin.login });
    const stored = await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } });
    expect(stored.status).toBe('parsed');
  });

  it('reports what still fails in a partial payload', async () => {
    const id = await archive(reprocessShop, 'pull', JSON.stringify({ orders: [orderDraft('RP-1'), { ...INVALID_DRAFT, externalId: 'RP-BAD' }] }), true);
    const response = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${id}/reprocess` });
    expect(response.statusCode).toBe(200);
    const outcome = response.json();
    expect(outcome).toMatchObject({ status: 'partial', orderCount: 1, errorCode: 'invalid_data', counts: { unchanged: 1, rejected: 1, created: 0 } });
    expect(outcome.errors).toEqual([{ ref: 'RP-BAD', message: expect.stringContaining('currency') }]);
  });

  it('reports a payload that still cannot be read as failed', async () => {
    const id = await archive(reprocessShop, 'webhook', 'still not JSON', true);
    const response = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${id}/reprocess` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'failed', orderCount: 0, error: expect.stringContaining('not JSON'), counts: { created: 0 } });
    expect((await testDb.db.prisma.rawPayload.findUniqueOrThrow({ where: { id } })).attempts).toBe(2);
  });

  it('answers 404 for an unknown payload', async () => {
    const response = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${randomUUID()}/reprocess` });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });
});

describe('POST /v1/raw-payloads/:id/acknowledge', () => {
  let ackShop: string;
  beforeAll(async () => {
    ackShop = (await createChannel(app)).id;
  });

  it('acknowledges a failed payload as the signed-in caller (never a name from the body); it stays failed and leaves status=errors', async () => {
    const id = await archive(ackShop, 'webhook', 'not JSON at all', true);
    const errorsOf = async (extra = '') => (await list(`?status=errors&channelId=${ackShop}${extra}`)).items.map((p) => p.id);
    expect(await errorsOf()).toEqual([id]);

    // Who acknowledged is the caller, whatever the body says.
    const response = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${id}/acknowledge`, payload: { reason: 'the shop owner’s test order', acknowledgedBy: 'someone.else' } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ payloadId: id, status: 'failed', acknowledgedBy: admin.login, reason: 'the shop owner’s test order' });

    expect(await errorsOf()).toEqual([]);
    expect(await errorsOf('&includeAcknowledged=true')).toEqual([id]);
    const shown = await app.inject({ method: 'GET', url: `/v1/raw-payloads/${id}` });
    expect(shown.json()).toMatchObject({ status: 'failed', acknowledgedBy: admin.login, acknowledgeReason: 'the shop owner’s test order', resolvedBy: null });
  });

  it('answers 409 for a parsed payload, 400 without a reason and 404 for an unknown one', async () => {
    const parsed = await archive(ackShop, 'pull', JSON.stringify({ orders: [orderDraft('ACK-OK')] }), true);
    expect((await app.inject({ method: 'POST', url: `/v1/raw-payloads/${parsed}/acknowledge`, payload: { reason: 'because' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/v1/raw-payloads/${parsed}/acknowledge`, payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/v1/raw-payloads/${randomUUID()}/acknowledge`, payload: { reason: 'because' } })).statusCode).toBe(404);
  });
});
