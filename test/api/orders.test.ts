import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { buildTestApp, createChannel } from './fakes.ts';

let testDb: TestDatabase;
let app: FastifyInstance;
let shopA: string;
let shopB: string;

const STATUSES = ['completed', 'received', 'shipped'] as const;

/** 25 orders on shop A, two per hour from 2026-11-01T00:00Z (equal placedAt pairs test the id tie-break). */
function shopADraft(i: number): OrderDraft {
  const placedAt = new Date(Date.UTC(2026, 10, 1, Math.floor(i / 2))).toISOString();
  return orderDraft(`A-${i}`, {
    number: `#${1000 + i}`,
    status: STATUSES[i % 3]!,
    region: i % 2 ? 'HU-BU' : 'HU-PE',
    customer: { name: `Customer ${i}`, email: `c${i}@example.hu` },
    placedAt,
    sourceUpdatedAt: placedAt,
  });
}

interface Summary {
  id: string;
  channelId: string;
  externalId: string;
  number: string | null;
  status: string;
  region: string | null;
  placedAt: string;
  totals: Record<string, string>;
}

async function list(query: string): Promise<{ items: Summary[]; nextCursor: string | null }> {
  const response = await app.inject({ method: 'GET', url: `/v1/orders${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Follows nextCursor to the end, returning every item in order. */
async function walk(query: string, limit: number): Promise<{ items: Summary[]; pages: number }> {
  const items: Summary[] = [];
  let cursor: string | null = null;
  let pages = 0;
  const sep = query ? '&' : '?';
  do {
    const page = await list(`${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { items, pages };
}

function byNewest(a: Summary, b: Summary): number {
  if (a.placedAt !== b.placedAt) return a.placedAt < b.placedAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

beforeAll(async () => {
  testDb = await createTestPostgres();
  ({ app } = await buildTestApp(testDb.db));
  shopA = (await createChannel(app)).id;
  shopB = (await createChannel(app)).id;
  await ingestOrders(testDb.db, {
    channelId: shopA,
    drafts: [
      ...Array.from({ length: 25 }, (_, i) => shopADraft(i)),
      orderDraft('A-special', {
        number: 'WEB-777',
        customer: { name: 'Nagy Éva', email: 'Eva.Nagy@Example.COM' },
        placedAt: '2026-10-15T08:00:00.000Z',
        region: 'HU-BA',
      }),
      orderDraft('A-50%_off', { number: '50%_off', customer: { name: 'Percent Pál' }, placedAt: '2026-10-14T08:00:00.000Z', region: 'HU-BA' }),
    ],
  });
  await ingestOrders(testDb.db, {
    channelId: shopB,
    drafts: Array.from({ length: 5 }, (_, i) =>
      orderDraft(`B-${i}`, { status: 'cancelled', region: 'AT-9', placedAt: `2026-12-0${i + 1}T12:00:00.000Z`, customer: { name: 'Kovács Béla', email: 'bela@example.at' } }),
    ),
  });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

describe('GET /v1/orders', () => {
  it('walks every page newest first without duplicates or gaps', async () => {
    const all = await testDb.db.prisma.order.findMany({ select: { id: true } });
    const { items, pages } = await walk('', 4);
    expect(pages).toBe(Math.ceil(all.length / 4));
    expect(items).toHaveLength(all.length);
    expect(new Set(items.map((o) => o.id)).size).toBe(all.length);
    expect(new Set(items.map((o) => o.id))).toEqual(new Set(all.map((o) => o.id)));
    expect(items).toEqual([...items].sort(byNewest));
  });

  it('breaks ties on placedAt by id, across page boundaries', async () => {
    // limit 3 puts page boundaries between orders with the same placedAt.
    const { items } = await walk(`?channelId=${shopA}&placedFrom=2026-11-01`, 3);
    expect(items).toHaveLength(25);
    expect(items).toEqual([...items].sort(byNewest));
    const sameHour = items.filter((o) => o.placedAt === '2026-11-01T05:00:00.000Z');
    expect(sameHour).toHaveLength(2);
    expect(sameHour[0]!.id > sameHour[1]!.id).toBe(true);
  });

  it('uses a default page of 50 and returns null nextCursor on the last page', async () => {
    const page = await list(`?channelId=${shopA}`);
    expect(page.items).toHaveLength(27);
    expect(page.nextCursor).toBeNull();
  });

  it('filters by channel', async () => {
    const page = await list(`?channelId=${shopB}`);
    expect(page.items).toHaveLength(5);
    expect(page.items.every((o) => o.channelId === shopB)).toBe(true);
    expect(page.items.map((o) => o.externalId)).toEqual(['B-4', 'B-3', 'B-2', 'B-1', 'B-0']);
  });

  it('filters by one status or several', async () => {
    const received = await list(`?channelId=${shopA}&status=shipped`);
    expect(received.items).toHaveLength(8);
    expect(received.items.every((o) => o.status === 'shipped')).toBe(true);

    const several = await list(`?channelId=${shopA}&status=completed,shipped`);
    expect(several.items).toHaveLength(17);
    expect(new Set(several.items.map((o) => o.status))).toEqual(new Set(['completed', 'shipped']));

    const everywhere = await list('?status=cancelled');
    expect(everywhere.items.map((o) => o.channelId)).toEqual(Array(5).fill(shopB));
  });

  it('filters by a placed date-time range, both ends inclusive', async () => {
    const page = await list(`?channelId=${shopA}&placedFrom=2026-11-01T03:00:00Z&placedTo=2026-11-01T05:00:00.000Z`);
    expect(page.items.map((o) => o.externalId).sort()).toEqual(['A-10', 'A-11', 'A-6', 'A-7', 'A-8', 'A-9']);
  });

  it('reads bare dates as whole days', async () => {
    expect((await list(`?channelId=${shopA}&placedFrom=2026-11-01&placedTo=2026-11-01`)).items).toHaveLength(25);
    expect((await list(`?channelId=${shopA}&placedTo=2026-10-14`)).items.map((o) => o.externalId)).toEqual(['A-50%_off']);
    expect((await list(`?channelId=${shopA}&placedTo=2026-10-13`)).items).toHaveLength(0);
  });

  it('filters by region', async () => {
    const page = await list(`?channelId=${shopA}&region=HU-BU`);
    expect(page.items).toHaveLength(12);
    expect(page.items.every((o) => o.region === 'HU-BU')).toBe(true);
    expect((await list('?region=AT-9')).items).toHaveLength(5);
  });

  it('finds by order number, external id, customer name and e-mail, ignoring case', async () => {
    const find = async (q: string) => (await list(`?q=${encodeURIComponent(q)}`)).items.map((o) => o.externalId);
    expect(await find('web-777')).toEqual(['A-special']);
    expect(await find('a-special')).toEqual(['A-special']);
    expect(await find('nagy éva')).toEqual(['A-special']);
    expect(await find('eva.nagy@example.com')).toEqual(['A-special']);
    expect(await find('c17@')).toEqual(['A-17']);
    expect((await find('kovács')).sort()).toEqual(['B-0', 'B-1', 'B-2', 'B-3', 'B-4']);
    expect(await find('#1024')).toEqual(['A-24']);
  });

  it('treats % and _ in the search text literally', async () => {
    const page = await list(`?q=${encodeURIComponent('%_')}`);
    expect(page.items.map((o) => o.externalId)).toEqual(['A-50%_off']);
  });

  it('combines filters and pages through them', async () => {
    const { items } = await walk(`?channelId=${shopA}&status=received,completed&region=HU-BU`, 2);
    const expected = Array.from({ length: 25 }, (_, i) => shopADraft(i)).filter((d) => d.region === 'HU-BU' && (d.status === 'received' || d.status === 'completed'));
    expect(items.map((o) => o.externalId).sort()).toEqual(expected.map((d) => d.externalId).sort());
    expect(items).toEqual([...items].sort(byNewest));
  });

  it('answers money as decimal strings', async () => {
    const page = await list(`?channelId=${shopB}&limit=1`);
    expect(page.items[0]!.totals).toEqual({ subtotal: '2000', discount: '0', shipping: '500', fee: '0', tax: '675', total: '3175', refunded: '0', netTotal: '3175' });
    expect(page.nextCursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['placedFrom=yesterday', 'placedFrom'],
    ['placedTo=2026-13-45', 'placedTo'],
    ['status=received,bogus', 'status'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const response = await app.inject({ method: 'GET', url: `/v1/orders?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_data', field });
  });
});

describe('GET /v1/orders/:id', () => {
  it('returns the order with lines by position and its history', async () => {
    const channel = await createChannel(app);
    const first = orderDraft('DETAIL-1', { desiredDeliveryDate: '2026-11-25', notes: 'Ring twice' });
    const payload1 = await archivePayload(testDb.db, { channelId: channel.id, kind: 'pull', body: JSON.stringify({ orders: [first] }) });
    const [created] = await ingestOrders(testDb.db, { channelId: channel.id, drafts: [first], rawPayloadId: payload1.id });
    const changed = orderDraft('DETAIL-1', {
      desiredDeliveryDate: '2026-11-25',
      notes: 'Ring twice',
      status: 'shipped',
      sourceUpdatedAt: '2026-11-21T09:00:00.000Z',
      lines: [
        { ...first.lines[0]!, quantity: '3', subtotal: '3000.00', total: '3000.00', tax: '810.00' },
        first.lines[1]!,
        { kind: 'fee', name: 'Packaging', quantity: '1', unitPrice: '0.5', subtotal: '0.5', discount: '0', tax: '0.1350', total: '0.5', attributes: { note: 'eco' } },
      ],
    });
    const payload2 = await archivePayload(testDb.db, { channelId: channel.id, kind: 'webhook', body: JSON.stringify({ orders: [changed] }) });
    await ingestOrders(testDb.db, { channelId: channel.id, drafts: [changed], rawPayloadId: payload2.id });

    const response = await app.inject({ method: 'GET', url: `/v1/orders/${created!.orderId}` });
    expect(response.statusCode).toBe(200);
    const order = response.json();
    expect(order).toMatchObject({
      id: created!.orderId,
      channelId: channel.id,
      channel: { name: channel.name, kind: 'webshop' },
      externalId: 'DETAIL-1',
      status: 'shipped',
      version: 2,
      currency: 'HUF',
      customer: { name: 'Kiss Anna', email: 'anna@example.hu' },
      billingAddress: { city: 'Budapest', country: 'HU' },
      shippingAddress: null,
      source: { shop: 'test-shop' },
      notes: 'Ring twice',
      desiredDeliveryDate: '2026-11-25',
      placedAt: '2026-11-20T10:00:00.000Z',
      sourceUpdatedAt: '2026-11-21T09:00:00.000Z',
    });
    expect(order.lines.map((l: { position: number; kind: string }) => [l.position, l.kind])).toEqual([
      [1, 'product'],
      [2, 'shipping'],
      [3, 'fee'],
    ]);
    expect(order.lines[0]).toMatchObject({ sku: 'TILE-1', quantity: '3', unitPrice: '1000', subtotal: '3000', tax: '810', total: '3000' });
    expect(order.lines[2]).toMatchObject({ quantity: '1', unitPrice: '0.5', tax: '0.135', attributes: { note: 'eco' } });

    expect(order.history).toHaveLength(2);
    expect(order.history[0]).toMatchObject({ version: 1, changes: [], rawPayloadId: payload1.id });
    expect(order.history[1]).toMatchObject({ version: 2, rawPayloadId: payload2.id });
    const fields = order.history[1].changes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['status', 'lines[0].quantity', 'lines[2]']));
    expect(order.history[1].changes).toContainEqual({ field: 'lines[0].quantity', from: '2', to: '3' });
    expect(order.history[1].changes).toContainEqual({ field: 'lines[2]', to: expect.objectContaining({ kind: 'fee', unitPrice: '0.5' }) });
    expect(order.history.every((v: Record<string, unknown>) => !('snapshot' in v))).toBe(true);

    const withSnapshots = await app.inject({ method: 'GET', url: `/v1/orders/${created!.orderId}?includeSnapshots=true` });
    expect(withSnapshots.statusCode).toBe(200);
    const history = withSnapshots.json().history;
    expect(history[0].snapshot).toMatchObject({ externalId: 'DETAIL-1', status: 'received', lines: [{ quantity: '2' }, { kind: 'shipping' }] });
    expect(history[1].snapshot.lines).toHaveLength(3);
  });

  it('answers 404 JSON for an unknown order', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('does not exist') } });
  });
});
