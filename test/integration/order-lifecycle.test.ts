import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcknowledgementFormat } from '../../core/flows/acknowledgement.ts';
import { archivePayload } from '../../core/orders/raw-archive.ts';
import { ediAcknowledgements } from '../../jobs/acknowledgement-formats.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { ADMIN_SCOPE, dealerScope } from '../../core/dealers/dealer-scope.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { DistributionQueries } from '../../core/distribution/distribution-queries.ts';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { getOrder } from '../../core/orders/order-queries.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { DefaultStockAllocationStrategy, type StockAllocationStrategy } from '../../core/stock/allocation-strategy.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';

/**
 * The order lifecycle (core/flows) on a real database: intake → stock → distribution, and back: a
 * dealer's or an admin's change → core status → stock → distribution → the channel's write-back
 * (checked through the recorded step: the sending is another module's). Each test works in its own
 * "lab" (product line, stock and dealers of its own), as the distribution tests do; time is an
 * injected clock, moved rather than waited for.
 */

const MINUTE = 60_000;
/** A whole minute just before the real time (orders' created_at is the database's time). */
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;

class TestClock {
  private ms = T0;
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** An allocation policy that is unavailable for its first `failures` calls (a step that fails, then succeeds on retry). */
class FlakyAllocation implements StockAllocationStrategy {
  readonly name = 'flaky';
  private readonly inner = new DefaultStockAllocationStrategy();
  constructor(private failures: number) {}
  allocate(...args: Parameters<StockAllocationStrategy['allocate']>): ReturnType<StockAllocationStrategy['allocate']> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('allocation policy unavailable');
    }
    return this.inner.allocate(...args);
  }
}

interface Lab {
  tag: string;
  sku: string;
  code(name: string): string;
}

for (const [kind, createDatabase] of DATABASE_KINDS) {
  describe(`the order lifecycle on ${kind}`, () => {
    let t: TestDatabase;
    let clock: TestClock;
    let lifecycle: OrderLifecycle;
    let queries: DistributionQueries;
    let webshop: string;
    let edi: string;

    beforeAll(async () => {
      t = await createDatabase();
      clock = new TestClock();
      lifecycle = new OrderLifecycle(t.db, { clock: clock.now });
      queries = new DistributionQueries(t.db, clock.now);
      await new RegionService(t.db).load([
        { code: 'RU', name: 'Russia', level: 'country' },
        { code: 'RU-MOW', name: 'Moscow', level: 'region', parentCode: 'RU' },
      ]);
      webshop = (await t.db.prisma.channel.create({ data: { name: 'Webshop', kind: 'webshop', connectorType: 'woocommerce' } })).id;
      // Orders of EDI channels are not distributed (the configuration's default channel kinds).
      edi = (await t.db.prisma.channel.create({ data: { name: 'Partner EDI', kind: 'edi', connectorType: 'edi' } })).id;
      await lifecycle.distribution.configs.save({ settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60, scope: 'region' }] }, 'test');
    });
    afterAll(() => t.drop());

    /** A product line with 10 on hand, and dealers A, B, C in Moscow that hold it. */
    async function createLab(tag: string): Promise<Lab> {
      const lab: Lab = { tag, sku: `${tag}-SKU`, code: (name) => `${tag}-${name}` };
      await new StockService(t.db).load({
        products: [{ sku: lab.sku, name: `${tag} tile`, productLine: `${tag}-LINE`, unit: 'm2' }],
        warehouses: [{ code: 'MAIN', name: 'Main warehouse' }],
        levels: [{ sku: lab.sku, warehouse: 'MAIN', onHand: '10' }],
      });
      await new DealerService(t.db).load(
        ['A', 'B', 'C'].map((name) => ({ code: lab.code(name), name: `Dealer ${name} of ${tag}`, mainRegion: 'RU-MOW', authorised: true, productLines: [`${tag}-LINE`] })),
      );
      return lab;
    }

    function draftFor(lab: Lab, externalId: string, overrides: Partial<OrderDraft> = {}): OrderDraft {
      return orderDraft(`${lab.tag}-${externalId}`, {
        region: 'RU-MOW',
        currency: 'RUB',
        lines: [{ kind: 'product', sku: lab.sku, name: 'Tile', quantity: '2', unitPrice: '1000.00', subtotal: '2000.00', discount: '0', tax: '0', total: '2000.00', attributes: {} }],
        ...overrides,
      });
    }

    /** Intake as a channel sync does it, then the lifecycle's intake steps. */
    async function receive(lab: Lab, externalId: string, overrides: Partial<OrderDraft> = {}, channelId = webshop, flow = lifecycle): Promise<string> {
      const drafts = [draftFor(lab, externalId, overrides)];
      const results = await ingestOrders(t.db, { channelId, drafts });
      await flow.afterIntake({ payloadId: 'sync', results, drafts });
      if (!results[0]?.orderId) throw new Error(`order not stored: ${JSON.stringify(results[0])}`);
      return results[0].orderId;
    }

    async function coreStatus(orderId: string): Promise<string> {
      return (await t.db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status;
    }

    async function reservations(orderId: string): Promise<[string, string][]> {
      const rows = await t.db.prisma.reservation.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
      return rows.map((r) => [r.status, r.quantity.toString()]);
    }

    async function onHand(lab: Lab): Promise<string> {
      const [row] = await t.db.query<{ on_hand: string }>(`SELECT l.on_hand::text AS on_hand FROM stock_level l JOIN product p ON p.id = l.product_id WHERE p.sku = $1`, [lab.sku]);
      return String(Number(row!.on_hand));
    }

    async function history(orderId: string): Promise<[string, string, string][]> {
      return (await getOrder(t.db, orderId)).lifecycle.map((s) => [s.step, s.key, s.outcome]);
    }

    async function step(orderId: string, name: string, key: string) {
      return (await getOrder(t.db, orderId)).lifecycle.find((s) => s.step === name && s.key === key);
    }

    async function offeredTo(orderId: string, round: number): Promise<string[]> {
      return (await queries.details(ADMIN_SCOPE, orderId)).offers.filter((o) => o.round === round).map((o) => o.dealer).sort();
    }

    it("ships the reservation and completes the core order when the dealer completes it; the shop's old status does not undo it", async () => {
      const lab = await createLab('DONE');
      const a = dealerScope(lab.code('A'));
      const orderId = await receive(lab, '1');
      expect(await reservations(orderId)).toEqual([['active', '2']]);
      expect(await offeredTo(orderId, 1)).toEqual([lab.code('A'), lab.code('B'), lab.code('C')]);

      await lifecycle.distribution.take(a, orderId);
      await lifecycle.changeFulfilment(a, orderId, { status: 'contacted' });
      expect(await coreStatus(orderId)).toBe('received');
      await lifecycle.changeFulfilment(a, orderId, { status: 'in_progress' });
      expect(await coreStatus(orderId)).toBe('in_progress');
      expect(await lifecycle.changeFulfilment(a, orderId, { status: 'completed' })).toMatchObject({ status: 'completed', points: { delta: 100 } });

      expect(await coreStatus(orderId)).toBe('completed');
      expect(await reservations(orderId)).toEqual([['shipped', '2']]);
      expect(await onHand(lab)).toBe('8');
      expect(await history(orderId)).toEqual([
        ['stock', 'v1', 'done'],
        ['distribution', 'v1', 'done'],
        ['core_status', 'r1:contacted', 'skipped'],
        ['core_status', 'r1:in_progress', 'done'],
        ['status_writeback', 'r1:in_progress', 'done'],
        ['core_status', 'r1:completed', 'done'],
        ['status_writeback', 'r1:completed', 'done'],
        ['stock', 'r1:completed', 'done'],
      ]);
      expect(await step(orderId, 'status_writeback', 'r1:completed')).toMatchObject({ detail: { status: 'completed', cause: expect.stringContaining(`dealer ${lab.code('A')}`) } });
      expect(await step(orderId, 'stock', 'r1:completed')).toMatchObject({ attempts: 1, error: null, detail: { action: 'ship', shipped: [{ sku: lab.sku, quantity: '2' }] } });

      // The shop syncs the order again (a note changed) still saying "processing": the hub's completion stands, and the refusal is recorded.
      const [again] = await ingestOrders(t.db, { channelId: webshop, drafts: [draftFor(lab, '1', { notes: 'ring twice', sourceUpdatedAt: '2026-11-21T10:00:00.000Z' })] });
      expect(again).toMatchObject({ outcome: 'updated', version: 2 });
      expect(again!.changes).toContainEqual(expect.objectContaining({ field: 'status', from: 'completed', to: 'received', refused: expect.stringContaining('the hub made it completed') }));
      await lifecycle.afterIntake({ payloadId: 'sync', results: [again!], drafts: [] });
      expect(await coreStatus(orderId)).toBe('completed');
      expect(await reservations(orderId)).toEqual([['shipped', '2']]);
      // Its own new status is news: the shop cancelling a completed order is refused by the transition table.
      const [cancelled] = await ingestOrders(t.db, { channelId: webshop, drafts: [draftFor(lab, '1', { status: 'cancelled', sourceStatus: 'cancelled', sourceUpdatedAt: '2026-11-22T10:00:00.000Z' })] });
      expect(cancelled!.changes).toContainEqual(expect.objectContaining({ field: 'status', refused: 'an order that is completed cannot become cancelled' }));
      expect(await coreStatus(orderId)).toBe('completed');
    });

    it("releases the hold when a dealer cancels, checks stock again and offers the order to the other dealers in a new round", async () => {
      const lab = await createLab('BACK');
      const a = dealerScope(lab.code('A'));
      const orderId = await receive(lab, '1');
      await lifecycle.distribution.take(a, orderId);
      await lifecycle.changeFulfilment(a, orderId, { status: 'in_progress' });
      clock.advance(MINUTE);
      expect(await lifecycle.changeFulfilment(a, orderId, { status: 'cancelled', reason: 'client unreachable' })).toMatchObject({ status: 'cancelled', points: { delta: -50 } });

      expect(await coreStatus(orderId)).toBe('received');
      // The released hold and the new one, both in the order's reservations.
      expect(await reservations(orderId)).toEqual([['released', '2'], ['active', '2']]);
      expect(await onHand(lab)).toBe('10');
      const details = await queries.details(ADMIN_SCOPE, orderId);
      expect(details).toMatchObject({ status: 'offering', round: 2 });
      expect(await offeredTo(orderId, 2)).toEqual([lab.code('B'), lab.code('C')]);
      // A gave it up: it is not offered to A again (a 404 like any order not offered to it).
      await expect(lifecycle.distribution.take(a, orderId)).rejects.toMatchObject({ code: 'not_found', details: { reason: 'offer_ended' } });
      expect((await lifecycle.distribution.take(dealerScope(lab.code('B')), orderId)).dealerCode).toBe(lab.code('B'));

      expect((await history(orderId)).slice(2)).toEqual([
        ['core_status', 'r1:in_progress', 'done'],
        ['status_writeback', 'r1:in_progress', 'done'],
        ['core_status', 'r1:cancelled', 'done'],
        ['status_writeback', 'r1:cancelled', 'done'],
        ['stock', 'r1:cancelled', 'done'],
        ['stock', 'r1:recheck', 'done'],
        ['offer_again', 'r1', 'done'],
      ]);
      expect(await step(orderId, 'core_status', 'r1:cancelled')).toMatchObject({ detail: { from: 'in_progress', to: 'received' } });
      expect(await step(orderId, 'stock', 'r1:cancelled')).toMatchObject({ detail: { action: 'release', released: [{ sku: lab.sku, quantity: '2' }] } });
      expect(await step(orderId, 'stock', 'r1:recheck')).toMatchObject({ detail: { action: 'recheck', result: 'confirmed' } });
      expect(await step(orderId, 'offer_again', 'r1')).toMatchObject({ detail: { action: 'redistributed', status: 'offering' } });
    });

    it('does not hand an order back to the fallback dealer that gave it back: nobody took the new round, the admins decide', async () => {
      const lab = await createLab('FBK');
      const config = { settings: {}, tiers: [{ kind: 'taxi' as const, windowMinutes: 60, scope: 'region' as const }] };
      await lifecycle.distribution.configs.save({ ...config, settings: { fallbackDealer: lab.code('A') } }, 'test');
      try {
        const a = dealerScope(lab.code('A'));
        const orderId = await receive(lab, '1');
        await lifecycle.distribution.take(a, orderId);
        await lifecycle.changeFulfilment(a, orderId, { status: 'cancelled', reason: 'no fitter free this month' });
        expect(await queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ status: 'offering', round: 2 });

        clock.advance(61 * MINUTE);
        expect(await lifecycle.distribution.advance()).toMatchObject({ fellBack: 1 });
        const details = await queries.details(ADMIN_SCOPE, orderId);
        expect(details).toMatchObject({ status: 'unassigned', dealer: null });
        expect(details.events.at(-1)).toMatchObject({
          kind: 'unassigned',
          detail: { reason: expect.stringContaining(`fallback dealer ${lab.code('A')} gave the order back (no fitter free this month)`) },
        });
      } finally {
        await lifecycle.distribution.configs.save(config, 'test');
      }
    });

    it("releases stock, cancels the core order and ends distribution when the manufacturer cancels, distributed or not", async () => {
      const lab = await createLab('ADM');
      const orderId = await receive(lab, '1');
      await lifecycle.distribution.take(dealerScope(lab.code('A')), orderId);
      expect(await lifecycle.changeFulfilment({ kind: 'admin', actor: 'anna' }, orderId, { status: 'cancelled', reason: 'duplicate order' })).toMatchObject({ status: 'cancelled' });

      expect(await coreStatus(orderId)).toBe('cancelled');
      expect(await reservations(orderId)).toEqual([['released', '2']]);
      expect(await queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ status: 'cancelled', cancelledBy: 'admin', round: 1 });
      expect((await history(orderId)).slice(2)).toEqual([
        ['core_status', 'r1:cancelled', 'done'],
        ['status_writeback', 'r1:cancelled', 'done'],
        ['stock', 'r1:cancelled', 'done'],
      ]);
      expect(await step(orderId, 'status_writeback', 'r1:cancelled')).toMatchObject({ detail: { status: 'cancelled', cause: expect.stringContaining('the manufacturer (anna)') } });

      // An order that was never distributed (an EDI partner's) is cancelled all the same.
      const direct = await receive(lab, '2', {}, edi);
      expect(await step(direct, 'distribution', 'v1')).toMatchObject({ outcome: 'skipped' });
      await expect(lifecycle.changeFulfilment(ADMIN_SCOPE, direct, { status: 'cancelled' })).rejects.toMatchObject({ code: 'invalid_data', field: 'reason' });
      await lifecycle.changeFulfilment(ADMIN_SCOPE, direct, { status: 'cancelled', reason: 'partner withdrew it by phone' });
      expect(await coreStatus(direct)).toBe('cancelled');
      expect(await reservations(direct)).toEqual([['released', '2']]);
      expect((await history(direct)).slice(2)).toEqual([
        ['core_status', 'admin:cancelled', 'done'],
        ['status_writeback', 'admin:cancelled', 'done'],
        ['stock', 'admin:cancelled', 'done'],
      ]);
      await expect(lifecycle.changeFulfilment(ADMIN_SCOPE, direct, { status: 'cancelled', reason: 'again' })).rejects.toMatchObject({ code: 'conflict' });
    });

    it("releases and withdraws an order its channel cancelled, and writes nothing back to that channel", async () => {
      const lab = await createLab('CHAN');
      const orderId = await receive(lab, '1');
      await lifecycle.distribution.take(dealerScope(lab.code('A')), orderId);
      await receive(lab, '1', { status: 'cancelled', sourceStatus: 'cancelled', sourceUpdatedAt: '2026-11-22T10:00:00.000Z' });

      expect(await coreStatus(orderId)).toBe('cancelled');
      expect(await reservations(orderId)).toEqual([['released', '2']]);
      expect(await queries.details(ADMIN_SCOPE, orderId)).toMatchObject({ status: 'cancelled', cancelledBy: 'client' });
      expect(await history(orderId)).toEqual([
        ['stock', 'v1', 'done'],
        ['distribution', 'v1', 'done'],
        ['status_writeback', 'v2', 'skipped'],
        ['stock', 'v2', 'done'],
        ['distribution', 'v2', 'done'],
      ]);
      expect(await step(orderId, 'status_writeback', 'v2')).toMatchObject({ detail: { reason: 'the change came from the channel' } });
      expect(await step(orderId, 'stock', 'v2')).toMatchObject({ detail: { action: 'release' } });
      expect(await step(orderId, 'distribution', 'v2')).toMatchObject({ detail: { action: 'cancelled' } });
    });

    it('records a failed step with its error and next attempt, tells the admins once, and runs it again at that time', async () => {
      const lab = await createLab('RETRY');
      const flaky = new OrderLifecycle(t.db, { clock: clock.now, stock: new StockService(t.db, new FlakyAllocation(2)) });
      const orderId = await receive(lab, '1', {}, webshop, flaky);

      const failed = await step(orderId, 'stock', 'v1');
      expect(failed).toMatchObject({ outcome: 'failed', attempts: 1, error: 'allocation policy unavailable', nextAttemptAt: new Date(clock.now().getTime() + MINUTE).toISOString() });
      expect(await reservations(orderId)).toEqual([]);
      // Distribution does not wait for stock.
      expect(await step(orderId, 'distribution', 'v1')).toMatchObject({ outcome: 'done' });

      // Not due yet: the tick leaves it.
      expect(await flaky.retryDue()).toMatchObject({ ran: 0 });
      clock.advance(MINUTE);
      expect(await flaky.retryDue()).toMatchObject({ ran: 1, failed: 1 });
      expect(await step(orderId, 'stock', 'v1')).toMatchObject({ outcome: 'failed', attempts: 2, nextAttemptAt: new Date(clock.now().getTime() + 2 * MINUTE).toISOString() });
      const notices = (await queries.notifications(ADMIN_SCOPE, { limit: 1000 })).filter((n) => n.orderId === orderId && n.kind === 'lifecycle_failed');
      expect(notices).toHaveLength(1);
      expect(notices[0]!.message).toContain('step stock failed: allocation policy unavailable');

      clock.advance(2 * MINUTE);
      expect(await flaky.retryDue()).toMatchObject({ ran: 1, done: 1, failed: 0 });
      expect(await step(orderId, 'stock', 'v1')).toMatchObject({ outcome: 'done', attempts: 3, error: null, nextAttemptAt: null, detail: { action: 'reserve', result: 'confirmed' } });
      expect(await reservations(orderId)).toEqual([['active', '2']]);
      // Done is done: running the tick again changes nothing.
      expect(await flaky.retryDue()).toMatchObject({ ran: 0 });
    });

    it("answers an EDI partner's order once, and builds the answer again on retry when writing it failed", async () => {
      let failures = 1;
      const flaky: AcknowledgementFormat = {
        ...ediAcknowledgements,
        render: (input) => {
          if (failures-- > 0) throw new Error('outbox unavailable');
          return ediAcknowledgements.render(input);
        },
      };
      const flow = new OrderLifecycle(t.db, { clock: clock.now, mappingFor: createRegistry().mappingFor, acknowledgementFor: (type) => (type === 'edi' ? flaky : undefined) });
      const body = (await readFile(new URL('../fixtures/edi/x12/node-x12-850.edi', import.meta.url))).toString('utf8');
      const payload = await archivePayload(t.db, { channelId: edi, kind: 'upload', source: 'node-x12-850.edi', contentType: 'application/edi-x12', body });
      const outcome = await flow.intakePayload(payload.id);
      const orderId = outcome.results[0]!.orderId!;
      const key = `${payload.id}|v1`;

      expect(outcome.steps.failed).toEqual([{ orderId, step: 'acknowledgement' }]);
      expect(await step(orderId, 'acknowledgement', key)).toMatchObject({ outcome: 'failed', error: 'outbox unavailable', attempts: 1 });
      expect(await t.db.prisma.outboundDocument.count({ where: { orderId } })).toBe(0);

      clock.advance(MINUTE);
      expect(await flow.retryDue()).toMatchObject({ ran: 1, done: 1 });
      const answered = await step(orderId, 'acknowledgement', key);
      expect(answered).toMatchObject({ outcome: 'done', attempts: 2, detail: { kind: 'x12-855', documentId: expect.any(String) } });
      expect(await t.db.prisma.outboundDocument.findMany({ where: { orderId }, select: { kind: true } })).toEqual([{ kind: 'x12-855' }]);

      // Reading the same interchange again answers nothing new.
      await flow.intakePayload(payload.id);
      expect(await t.db.prisma.outboundDocument.count({ where: { orderId } })).toBe(1);
    });

    it('answers unknown SKUs the same whether alone or beside known ones, and a known one only after its stock check', async () => {
      const mappingFor = createRegistry().mappingFor;
      const answered = { value: 0 };
      const counting: AcknowledgementFormat = { ...ediAcknowledgements, render: (input) => (answered.value++, ediAcknowledgements.render(input)) };
      const flowWith = (stock?: StockService) => new OrderLifecycle(t.db, { clock: clock.now, mappingFor, stock, acknowledgementFor: (type) => (type === 'edi' ? counting : undefined) });
      let flow = flowWith();
      const base = (await readFile(new URL('../fixtures/edi/x12/node-x12-850.edi', import.meta.url))).toString('utf8');
      const skus = mappingFor('edi')!.map({ kind: 'upload', body: base }, {}).orders[0]!.lines.map((l) => l.sku!);
      expect(skus).toHaveLength(6);
      /** The fixture as another purchase order (BEG03), so each send is an order of its own. */
      async function send(poNumber: string): Promise<{ orderId: string; acks: () => Promise<string[]> }> {
        const body = base.replace('BEG*00*SA*08292233294', `BEG*00*SA*${poNumber}`);
        const payload = await archivePayload(t.db, { channelId: edi, kind: 'upload', source: `${poNumber}.edi`, contentType: 'application/edi-x12', body });
        const orderId = (await flow.intakePayload(payload.id)).results[0]!.orderId!;
        const acks = async () => {
          const docs = await t.db.prisma.outboundDocument.findMany({ where: { orderId } });
          // BAK02 says it for the whole order (RJ: rejected, no line detail); ACK01 line by line.
          return docs.flatMap((d) => d.body.split('\n').filter((l) => l.startsWith('ACK*') || l.startsWith('BAK*')).map((l) => l.split('*').slice(0, 3).join('*').replace(/~$/, '')));
        };
        return { orderId, acks };
      }

      // The hub keeps a catalogue (a lab's product), which knows none of the order's SKUs: every line is
      // refused, as an unknown SKU in a mixed order is.
      await createLab('UNK');
      const alone = await send('UNKNOWN-1');
      expect(await alone.acks()).toEqual(['BAK*00*RJ']);

      // The first SKU becomes a catalogue product with stock: the others are refused the same way.
      await new StockService(t.db).load({ products: [{ sku: skus[0]!, name: 'Small widget' }], levels: [{ sku: skus[0]!, warehouse: 'MAIN', onHand: '1000' }] });
      const mixed = await send('MIXED-1');
      expect(await mixed.acks()).toEqual(['BAK*00*AC', 'ACK*IA*120', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0']);

      // Its stock check fails: no answer goes out (none may promise more than the check); after the check, it does.
      flow = flowWith(new StockService(t.db, new FlakyAllocation(1)));
      const before = answered.value;
      const waiting = await send('WAITS-1');
      expect(await waiting.acks()).toEqual([]);
      expect(answered.value).toBe(before);
      expect(await step(waiting.orderId, 'acknowledgement', (await getOrder(t.db, waiting.orderId)).lifecycle.find((s) => s.step === 'acknowledgement')!.key)).toMatchObject({
        outcome: 'failed', error: expect.stringContaining('no stock check yet'),
      });
      clock.advance(10 * MINUTE);
      await flow.retryDue();
      clock.advance(10 * MINUTE);
      await flow.retryDue();
      expect(await waiting.acks()).toEqual(['BAK*00*AC', 'ACK*IA*120', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0']);
    });

    it('answers an order waiting in the manual stock review only after the review, never more than stays reserved', async () => {
      const flow = new OrderLifecycle(t.db, { clock: clock.now, mappingFor: createRegistry().mappingFor, acknowledgementFor: (type) => (type === 'edi' ? ediAcknowledgements : undefined) });
      const base = (await readFile(new URL('../fixtures/edi/x12/node-x12-850.edi', import.meta.url))).toString('utf8');
      await createLab('REV');
      // Line 1 (120 ordered) becomes a product of its own with 50 on hand; the other lines stay unknown SKUs.
      await new StockService(t.db).load({
        products: [{ sku: 'REVIEW-1', name: 'Reviewed widget' }, { sku: 'REVIEW-2', name: 'Sold-out widget' }],
        levels: [{ sku: 'REVIEW-1', warehouse: 'MAIN', onHand: '50' }, { sku: 'REVIEW-2', warehouse: 'MAIN', onHand: '0' }],
      });
      async function send(poNumber: string, sku: string, change: (body: string) => string = (b) => b) {
        const body = change(base.replace('BEG*00*SA*08292233294', `BEG*00*SA*${poNumber}`).replace('VN*AB3542', `VN*${sku}`));
        const payload = await archivePayload(t.db, { channelId: edi, kind: 'upload', source: `${poNumber}.edi`, contentType: 'application/edi-x12', body });
        const orderId = (await flow.intakePayload(payload.id)).results[0]!.orderId!;
        const acks = async () => {
          const docs = await t.db.prisma.outboundDocument.findMany({ where: { orderId } });
          return docs.flatMap((d) => d.body.split('\n').filter((l) => l.startsWith('ACK*') || l.startsWith('BAK*')).map((l) => l.split('*').slice(0, 3).join('*').replace(/~$/, '')));
        };
        const check = await t.db.prisma.stockCheck.findFirstOrThrow({ where: { orderId }, orderBy: { orderVersion: 'desc' } });
        return { orderId, acks, check };
      }

      const partly = await send('REVIEW-A', 'REVIEW-1');
      expect(partly.check).toMatchObject({ result: 'partial', reviewStatus: 'open' });
      expect(await partly.acks()).toEqual([]);
      const waiting = (await getOrder(t.db, partly.orderId)).lifecycle.find((s) => s.step === 'acknowledgement')!;
      // Waiting for a person is not a failure: the step stays pending with the reason, and no admin is told it failed.
      expect(waiting).toMatchObject({ outcome: 'pending', error: expect.stringContaining('waits in the manual stock review') });
      expect(await t.db.prisma.notification.count({ where: { orderId: partly.orderId, kind: 'lifecycle_failed' } })).toBe(0);
      // Still open: the tick looks again and leaves it unanswered.
      clock.advance(20 * MINUTE);
      await flow.retryDue();
      expect(await partly.acks()).toEqual([]);
      // The manager keeps what is reserved: answered at the next tick, line 1 changed to the 50 reserved.
      await flow.stock.resolveReview(partly.check.id, 'confirm_partially', 'manager');
      await flow.retryDue();
      expect(await partly.acks()).toEqual(['BAK*00*AC', 'ACK*IC*50', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0', 'ACK*IR*0']);

      // Rejected on review: every line is answered rejected.
      const none = await send('REVIEW-B', 'REVIEW-2');
      expect(none.check).toMatchObject({ result: 'unavailable', reviewStatus: 'open' });
      expect(await none.acks()).toEqual([]);
      await flow.stock.resolveReview(none.check.id, 'reject', 'manager');
      await flow.retryDue();
      expect(await none.acks()).toEqual(['BAK*00*RJ']);

      // Replaced (BEG 05) while version 1 waits in review: version 1 is never answered, only version 2 after its review.
      const v1 = await send('REVIEW-C', 'REVIEW-2');
      const v2 = await send('REVIEW-C', 'REVIEW-2', (b) => b.replace('BEG*00*SA*REVIEW-C', 'BEG*05*SA*REVIEW-C').replace('PO1*1*120*', 'PO1*1*60*'));
      expect(v2.orderId).toBe(v1.orderId);
      clock.advance(10 * MINUTE);
      await flow.retryDue();
      expect(await v1.acks()).toEqual([]);
      const v1Step = (await getOrder(t.db, v1.orderId)).lifecycle.find((s) => s.step === 'acknowledgement' && s.key.endsWith('|v1'))!;
      expect(v1Step).toMatchObject({ outcome: 'skipped' });
      await flow.stock.resolveReview(v2.check.id, 'reject', 'manager');
      await flow.retryDue();
      expect(await v2.acks()).toEqual(['BAK*00*RJ']);
    });
  });
}
