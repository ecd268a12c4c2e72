import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestOrders } from '../../core/orders/intake.ts';
import { processPayload } from '../../core/orders/payload-processing.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { createTestPglite, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp, createChannel, testMapping, type FakeActions } from './fakes.ts';

// The embedded runtime: the same API on PGlite (raw SQL filters, arrays, JSON ->> and the lease clock).
describe('when the API runs on PGlite', () => {
  let testDb: TestDatabase;
  let app: FastifyInstance;
  let actions: FakeActions;
  let channelId: string;

  beforeAll(async () => {
    testDb = await createTestPglite();
    ({ app, actions } = await buildTestApp(testDb.db));
    channelId = (await createChannel(app)).id;
    await ingestOrders(testDb.db, {
      channelId,
      drafts: Array.from({ length: 7 }, (_, i) =>
        orderDraft(`P-${i}`, {
          status: i % 2 ? 'received' : 'completed',
          customer: { name: i === 3 ? 'Szabó Zoltán' : `Vevő ${i}`, email: `v${i}@example.hu` },
          placedAt: new Date(Date.UTC(2026, 10, 10, i % 3)).toISOString(),
        }),
      ),
    });
  });

  afterAll(async () => {
    await app?.close();
    await testDb?.drop();
  });

  it('creates and reads channels with secrets redacted', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/channels/${channelId}` });
    expect(response.statusCode).toBe(200);
    expect(response.json().config.apiSecret).toBe('********');
  });

  it('lists, filters, searches and pages orders', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { statusCode: number; json(): { items: { externalId: string }[]; nextCursor: string | null } } = await app.inject({ method: 'GET', url: `/v1/orders?channelId=${channelId}&limit=3${cursor ? `&cursor=${cursor}` : ''}` });
      expect(response.statusCode).toBe(200);
      const page = response.json();
      seen.push(...page.items.map((o) => o.externalId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);

    const filtered = await app.inject({ method: 'GET', url: `/v1/orders?status=received,shipped&placedFrom=2026-11-10&placedTo=2026-11-10T01:00:00Z&q=${encodeURIComponent('SZABÓ')}` });
    expect(filtered.json().items.map((o: { externalId: string }) => o.externalId)).toEqual(['P-3']);
  });

  it('shows an order with lines and history', async () => {
    const list = (await app.inject({ method: 'GET', url: '/v1/orders?q=P-0' })).json();
    const response = await app.inject({ method: 'GET', url: `/v1/orders/${list.items[0].id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ externalId: 'P-0', totals: { total: '3175' }, lines: [{ position: 1, quantity: '2' }, { position: 2 }], history: [{ version: 1 }] });
  });

  it('lists and reprocesses raw payloads', async () => {
    const stored = await archivePayload(testDb.db, { channelId, kind: 'webhook', body: 'broken' });
    await processPayload(testDb.db, stored.id, () => testMapping);
    const errors = (await app.inject({ method: 'GET', url: '/v1/raw-payloads?status=errors' })).json();
    expect(errors.items.map((p: { id: string }) => p.id)).toEqual([stored.id]);
    const detail = (await app.inject({ method: 'GET', url: `/v1/raw-payloads/${stored.id}` })).json();
    expect(detail.body).toBe('broken');
    const outcome = await app.inject({ method: 'POST', url: `/v1/raw-payloads/${stored.id}/reprocess` });
    expect(outcome.json()).toMatchObject({ status: 'failed', orderCount: 0 });
  });

  it('reports a running sync from the lease', async () => {
    await testDb.db.prisma.channel.update({ where: { id: channelId }, data: { syncLeaseOwner: 'w', syncLeaseUntil: new Date(Date.now() + 60_000) } });
    await testDb.db.prisma.syncRun.create({ data: { channelId, trigger: 'schedule', status: 'running' } });
    const status = (await app.inject({ method: 'GET', url: `/v1/channels/${channelId}/sync-status` })).json();
    expect(status).toMatchObject({ running: true, lastRun: { status: 'running', trigger: 'schedule' } });
  });

  it('hands webhook bytes through unchanged', async () => {
    const body = Buffer.from('{"u":"https:\\/\\/x.hu\\/","n":"\\u00e9"}');
    const response = await app.inject({ method: 'POST', url: `/v1/channels/${channelId}/webhook`, headers: { 'content-type': 'application/json' }, payload: body });
    expect(response.statusCode).toBe(202);
    const call = actions.calls.find((c) => c.action === 'receiveWebhook');
    expect(call && 'rawBody' in call && call.rawBody.equals(body)).toBe(true);
  });
});
