import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestOrders } from '../../core/orders/intake.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`order intake on ${kind}`, () => {
    let t: TestDatabase;
    let channelId: string;

    beforeAll(async () => {
      t = await createDatabase();
      const channel = await t.db.prisma.channel.create({ data: { name: 'Shop', kind: 'webshop', connectorType: 'woocommerce' } });
      channelId = channel.id;
    });
    afterAll(() => t.drop());

    it('creates an order with its lines, totals as exact decimals and a first history entry', async () => {
      const [result] = await ingestOrders(t.db, { channelId, drafts: [orderDraft('A-1')] });
      expect(result).toMatchObject({ externalId: 'A-1', outcome: 'created', version: 1 });
      const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: result!.orderId! }, include: { lines: { orderBy: { position: 'asc' } }, versions: true } });
      expect(order.total.toString()).toBe('3175');
      expect(order.lines.map((l) => [l.kind, l.sku, l.quantity.toString(), l.unitPrice.toString()])).toEqual([
        ['product', 'TILE-1', '2', '1000'],
        ['shipping', null, '1', '500'],
      ]);
      expect(order.versions).toHaveLength(1);
      expect(order.status).toBe('received');
      expect(order.sourceStatus).toBe('processing');
    });

    it('treats the same order arriving again as a no-op', async () => {
      const [again] = await ingestOrders(t.db, { channelId, drafts: [orderDraft('A-1')] });
      expect(again!.outcome).toBe('unchanged');
      expect(await t.db.prisma.orderVersion.count({ where: { orderId: again!.orderId! } })).toBe(1);
    });

    it('turns a changed order into the next version and records what changed', async () => {
      const changed = orderDraft('A-1', {
        status: 'completed',
        sourceStatus: 'completed',
        sourceUpdatedAt: '2026-11-21T08:00:00.000Z',
        lines: [{ ...orderDraft('A-1').lines[0]!, quantity: '3', subtotal: '3000.00', total: '3000.00' }],
      });
      const [result] = await ingestOrders(t.db, { channelId, drafts: [changed] });
      expect(result).toMatchObject({ outcome: 'updated', version: 2 });
      const fields = result!.changes!.map((c) => c.field);
      expect(fields).toContain('status');
      expect(fields).toContain('lines[0].quantity');
      expect(fields).toContain('lines[1]');
      const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: result!.orderId! }, include: { lines: true, versions: { orderBy: { version: 'asc' } } } });
      expect(order.status).toBe('completed');
      expect(order.lines).toHaveLength(1);
      expect(order.versions.map((v) => v.version)).toEqual([1, 2]);
    });

    it('ignores a draft older than the version it already holds', async () => {
      const older = orderDraft('A-1', { notes: 'late webhook', sourceUpdatedAt: '2026-11-20T12:00:00.000Z' });
      const [result] = await ingestOrders(t.db, { channelId, drafts: [older] });
      expect(result!.outcome).toBe('stale');
      const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: result!.orderId! } });
      expect(order.notes).toBeNull();
      expect(order.version).toBe(2);
    });

    it('keeps the core status when the source asks for a transition the lifecycle refuses, and says why', async () => {
      const reopened = orderDraft('A-1', { status: 'pending_payment', sourceStatus: 'pending', sourceUpdatedAt: '2026-11-22T08:00:00.000Z' });
      const [result] = await ingestOrders(t.db, { channelId, drafts: [reopened] });
      expect(result!.outcome).toBe('updated');
      expect(result!.changes).toContainEqual({ field: 'status', from: 'completed', to: 'pending_payment', refused: 'an order that is completed cannot become pending_payment' });
      const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: result!.orderId! } });
      expect(order.status).toBe('completed');
      expect(order.sourceStatus).toBe('pending');
    });

    it('rejects an invalid draft with the field at fault and keeps the valid ones of the batch', async () => {
      const broken = { ...orderDraft('B-1'), totals: { ...orderDraft('B-1').totals, total: '12,50' } };
      const results = await ingestOrders(t.db, { channelId, drafts: [broken, orderDraft('B-2')] });
      expect(results.find((r) => r.externalId === 'B-1')).toMatchObject({ outcome: 'rejected' });
      expect(results.find((r) => r.externalId === 'B-1')!.error).toMatch(/^totals\.total: /);
      expect(results.find((r) => r.externalId === 'B-2')!.outcome).toBe('created');
    });

    it('drops NUL characters, which PostgreSQL text cannot hold, instead of failing the page', async () => {
      const [result] = await ingestOrders(t.db, { channelId, drafts: [orderDraft('N-1', { notes: 'ring\u0000 twice', customer: { name: 'Nagy\u0000 Béla' } })] });
      expect(result!.outcome).toBe('created');
      const order = await t.db.prisma.order.findUniqueOrThrow({ where: { id: result!.orderId! } });
      expect(order.notes).toBe('ring twice');
      expect(order.customer).toEqual({ name: 'Nagy Béla' });
    });

    it('rejects amounts the database columns cannot hold, naming the field, instead of rounding them', async () => {
      const tooPrecise = orderDraft('P-1', { totals: { ...orderDraft('P-1').totals, total: '3175.00001' } });
      const tooLarge = orderDraft('P-2', { totals: { ...orderDraft('P-2').totals, total: '123456789012345.5' } });
      const results = await ingestOrders(t.db, { channelId, drafts: [tooPrecise, tooLarge] });
      expect(results.map((r) => [r.externalId, r.outcome, r.error?.split(':')[0]])).toEqual([
        ['P-1', 'rejected', 'totals.total'],
        ['P-2', 'rejected', 'totals.total'],
      ]);
    });

    it('when the database refuses one order of a batch, rejects that one with its reason and takes the others', async () => {
      const impossibleDate = orderDraft('D-2', { desiredDeliveryDate: '2026-02-30' });
      const results = await ingestOrders(t.db, { channelId, drafts: [orderDraft('D-1'), impossibleDate, orderDraft('D-3')] });
      const byId = Object.fromEntries(results.map((r) => [r.externalId, r]));
      expect(byId['D-1']!.outcome).toBe('created');
      expect(byId['D-3']!.outcome).toBe('created');
      expect(byId['D-2']!.outcome).toBe('rejected');
      expect(byId['D-2']!.error).toMatch(/^the database refused it: /);
      expect(await t.db.prisma.order.count({ where: { channelId, externalId: { in: ['D-1', 'D-2', 'D-3'] } } })).toBe(2);
    });

    it('keeps one order per channel and external id, and the same id on another channel apart', async () => {
      const other = await t.db.prisma.channel.create({ data: { name: 'Other shop', kind: 'webshop', connectorType: 'woocommerce' } });
      const [result] = await ingestOrders(t.db, { channelId: other.id, drafts: [orderDraft('A-1')] });
      expect(result!.outcome).toBe('created');
      expect(await t.db.prisma.order.count({ where: { externalId: 'A-1' } })).toBe(2);
    });
  });
}

describe('concurrent intake on PostgreSQL', () => {
  let t: TestDatabase;
  let channelId: string;

  beforeAll(async () => {
    t = await DATABASE_KINDS[0][1]({ poolSize: 20 });
    const channel = await t.db.prisma.channel.create({ data: { name: 'Race shop', kind: 'webshop', connectorType: 'woocommerce' } });
    channelId = channel.id;
  });
  afterAll(() => t.drop());

  it('when 16 intakes race over the same 50 orders (pull, webhook and retries at once), each order exists once with one version', async () => {
    const drafts = Array.from({ length: 50 }, (_, i) => orderDraft(`R-${i}`));
    // Each racer sees the orders in a different order and batch size, as overlapping pages would.
    const racers = Array.from({ length: 16 }, (_, r) => {
      const shuffled = rotate(drafts, (r * 7) % drafts.length);
      const batchSize = 1 + (r % 5) * 10;
      return (async () => {
        for (let i = 0; i < shuffled.length; i += batchSize) {
          await ingestOrders(t.db, { channelId, drafts: shuffled.slice(i, i + batchSize) });
        }
      })();
    });
    await Promise.all(racers);
    expect(await t.db.prisma.order.count({ where: { channelId } })).toBe(50);
    expect(await t.db.prisma.orderVersion.count({ where: { order: { channelId } } })).toBe(50);
    expect(await t.db.prisma.orderLine.count({ where: { order: { channelId } } })).toBe(100);
  });

  it('when a changed order races with its old copy, exactly one new version wins and history has no duplicates', async () => {
    const changed = orderDraft('R-0', { status: 'completed', sourceUpdatedAt: '2026-11-21T00:00:00.000Z' });
    const old = orderDraft('R-0');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ingestOrders(t.db, { channelId, drafts: [i % 2 ? changed : old] })),
    );
    const flat = outcomes.flat().map((r) => r.outcome);
    expect(flat.filter((o) => o === 'updated')).toHaveLength(1);
    expect(flat.every((o) => ['updated', 'unchanged', 'stale'].includes(o))).toBe(true);
    const order = await t.db.prisma.order.findFirstOrThrow({ where: { channelId, externalId: 'R-0' }, include: { versions: true } });
    expect(order.version).toBe(2);
    expect(order.status).toBe('completed');
    expect(order.versions.map((v) => v.version).sort()).toEqual([1, 2]);
  });
});

function rotate<T>(items: T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)].reverse();
}
