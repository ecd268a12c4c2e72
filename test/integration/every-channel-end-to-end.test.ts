import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { asAdmin, type TestUser } from '../helpers/auth.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { syncChannel } from '../../jobs/processors/sync-channel.ts';
import { advanceDistributions } from '../../jobs/processors/distribution.ts';
import { StockService } from '../../core/stock/stock-service.ts';
import type { InProcessRunner } from '../../jobs/runtime/inprocess-runner.ts';
import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { nextProcessedPayload } from '../helpers/payload-events.ts';

const fixture = (path: string) => readFile(new URL(`../fixtures/${path}`, import.meta.url));
const POS_KEY = 'store-bp01-terminal-key-0123456789';
const EDI_TOKEN = 'partner-upload-token-0123456789';

/**
 * POS stores, the sales desk (manual orders and quotes) and an EDI partner, through the real API,
 * hub actions, in-process jobs, mappings and intake on PostgreSQL.
 */
describe('every channel kind end to end', () => {
  let testDb: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let admin: TestUser;
  let runner: InProcessRunner;

  beforeAll(async () => {
    testDb = await createTestPostgres();
    hub = await createHub(loadConfig({ DATABASE_URL: testDb.url }), { db: testDb.db, retry: { attempts: 2, backoffMs: 10 } });
    runner = hub.runner as InProcessRunner;
    await runner.start();
    ({ app, admin } = await asAdmin(await buildApp({ db: hub.db, catalog: hub.catalog, actions: hub.actions }), hub.db));
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await testDb?.drop();
  });

  const processed = (): Promise<PayloadProcessedEvent> => nextProcessedPayload(runner);

  async function createChannel(body: Record<string, unknown>): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/v1/channels', payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id;
  }

  describe('when POS terminals push sales', () => {
    const sale = {
      receiptId: 'R-1',
      terminalId: 'T1',
      completedAt: '2026-11-23T09:15:02+01:00',
      currency: 'HUF',
      lines: [{ sku: 'TILE-30', name: 'Floor tile', quantity: '2', unitPrice: '2490', taxRate: '27' }],
      total: '4980',
    };

    it('counts a sale once, even when a terminal retries after a network drop, and keeps store turnover apart', async () => {
      const store = await createChannel({ name: 'Store Budapest', connectorType: 'pos', config: { storeCode: 'BP-01', apiKey: POS_KEY }, mapping: { storeCode: 'BP-01' }, labels: ['franchise'] });
      await createChannel({ name: 'Store Győr', connectorType: 'pos', config: { storeCode: 'GY-01', apiKey: `${POS_KEY}-gy` } });
      const push = (body: unknown, key = POS_KEY) =>
        app.inject({ method: 'POST', url: `/v1/channels/${store}/webhook`, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

      expect((await push(sale, 'wrong-key-wrong-key-wrong-key')).statusCode).toBe(401);
      const first = processed();
      expect((await push(sale)).statusCode).toBe(202);
      await first;
      // The same bytes again: one payload, read once.
      expect((await push(sale)).json()).toMatchObject({ duplicate: true });
      // A retry that serialises differently: another payload, still the same order.
      const retry = processed();
      await push({ ...sale, cashier: undefined, lines: sale.lines });
      await push(Object.fromEntries(Object.entries(sale).reverse()));
      await retry;
      await runner.whenIdle();
      const orders = await testDb.db.prisma.order.findMany({ where: { channelId: store } });
      expect(orders.map((o) => [o.externalId, o.status, o.total.toFixed()])).toEqual([['T1/R-1', 'completed', '4980']]);

      const report = await app.inject({ method: 'GET', url: '/v1/reports/turnover?groupBy=channel' });
      expect(report.json().items).toEqual([{ key: 'Store Budapest', channelIds: [store], currency: 'HUF', orders: 1, total: '4980' }]);
      const byLabel = await app.inject({ method: 'GET', url: '/v1/reports/turnover?groupBy=label' });
      expect(byLabel.json().items).toEqual([{ key: 'franchise', channelIds: [store], currency: 'HUF', orders: 1, total: '4980' }]);
    });
  });

  describe('when the sales desk works', () => {
    let desk: string;
    const content = {
      customer: { name: 'Építő Kft.' },
      currency: 'HUF',
      lines: [{ sku: 'TILE-30', name: 'Floor tile', quantity: '100', unitPrice: '1890', taxRate: '27' }],
    };

    beforeAll(async () => {
      desk = await createChannel({ name: 'Sales desk', connectorType: 'manual', config: {} });
    });

    it('records an operator’s order with the operator (the signed-in user) as its source, and a retry with the same id is the same order', async () => {
      const body = { ...content, via: 'phone', externalId: 'CALL-2026-11-23-01' };
      const created = await app.inject({ method: 'POST', url: `/v1/channels/${desk}/orders`, payload: body });
      expect(created.statusCode, created.body).toBe(201);
      const again = await app.inject({ method: 'POST', url: `/v1/channels/${desk}/orders`, payload: body });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ orderId: created.json().orderId, outcome: 'unchanged', version: 1 });
      const order = await app.inject({ method: 'GET', url: `/v1/orders/${created.json().orderId}` });
      expect(order.json()).toMatchObject({ totals: { total: '240030', tax: '51030' }, source: { user: admin.login, createdVia: 'phone' } });
    });

    it('answers 400 naming the field for an invalid manual order, and refuses it on a channel that is not manual', async () => {
      // No `via` (how the order reached the operator): invalid.
      const invalid = await app.inject({ method: 'POST', url: `/v1/channels/${desk}/orders`, payload: { ...content } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error).toMatchObject({ code: 'invalid_data', field: 'via' });
      const store = (await testDb.db.prisma.channel.findFirstOrThrow({ where: { connectorType: 'pos' } })).id;
      const wrong = await app.inject({ method: 'POST', url: `/v1/channels/${store}/orders`, payload: { ...content, via: 'phone' } });
      expect(wrong.statusCode).toBe(403);
    });

    it('takes a quote from draft to an order, once, through the API', async () => {
      const created = await app.inject({ method: 'POST', url: '/v1/quotes', payload: { channelId: desk, content } });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id;
      expect((await app.inject({ method: 'POST', url: `/v1/quotes/${id}/accept` })).statusCode).toBe(409);
      const revised = await app.inject({ method: 'PUT', url: `/v1/quotes/${id}`, payload: { content: { ...content, notes: 'pallet delivery' } } });
      expect(revised.json()).toMatchObject({ version: 2, status: 'draft' });
      await app.inject({ method: 'POST', url: `/v1/quotes/${id}/send` });
      await app.inject({ method: 'POST', url: `/v1/quotes/${id}/accept` });
      const converted = await app.inject({ method: 'POST', url: `/v1/quotes/${id}/convert` });
      expect(converted.statusCode).toBe(201);
      const again = await app.inject({ method: 'POST', url: `/v1/quotes/${id}/convert` });
      expect(again.statusCode).toBe(200);
      expect(again.json().orderId).toBe(converted.json().orderId);
      const quote = await app.inject({ method: 'GET', url: `/v1/quotes/${id}` });
      expect(quote.json()).toMatchObject({
        status: 'converted',
        orderId: converted.json().orderId,
        createdBy: admin.login,
        versions: [{ version: 1, changedBy: admin.login }, { version: 2, changedBy: admin.login }],
      });
    });
    it('checks the stock of an order converted from a quote, like any other order', async () => {
      await new StockService(testDb.db).load({
        products: [{ sku: 'TILE-30', name: 'Floor tile' }],
        warehouses: [{ code: 'BP', name: 'Budapest' }],
        levels: [{ sku: 'TILE-30', warehouse: 'BP', onHand: '60' }],
      });
      const quote = (await app.inject({ method: 'POST', url: '/v1/quotes', payload: { channelId: desk, content } })).json();
      await app.inject({ method: 'POST', url: `/v1/quotes/${quote.id}/send` });
      await app.inject({ method: 'POST', url: `/v1/quotes/${quote.id}/accept` });
      const { orderId } = (await app.inject({ method: 'POST', url: `/v1/quotes/${quote.id}/convert` })).json();
      const check = await testDb.db.prisma.stockCheck.findFirstOrThrow({ where: { orderId } });
      expect(check).toMatchObject({ result: 'partial', reviewStatus: 'open' });
      expect(await testDb.db.prisma.reservation.aggregate({ where: { orderId, status: 'active' }, _sum: { quantity: true } })).toMatchObject({ _sum: { quantity: expect.anything() } });
    });
  });

  describe('when an EDI partner sends interchanges', () => {
    let partner: string;
    let inbox: string;
    let outboxDir: string;

    beforeAll(async () => {
      inbox = await mkdtemp(join(tmpdir(), 'edi-inbox-'));
      outboxDir = await mkdtemp(join(tmpdir(), 'edi-outbox-'));
      partner = await createChannel({ name: 'EDI partner', connectorType: 'edi', config: { ourId: '5412345000013', uploadToken: EDI_TOKEN, inboxDir: inbox, outboxDir } });
    });

    const upload = (body: Buffer, token = EDI_TOKEN) =>
      app.inject({ method: 'POST', url: `/v1/channels/${partner}/files`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/edifact' }, payload: body });

    it('keeps the good message of an interchange whose other message is broken, names the broken segment, and answers the good one with an ORDRSP', async () => {
      expect((await upload(Buffer.from('UNA'), 'not-the-token')).statusCode).toBe(401);
      const done = processed();
      const response = await upload(await fixture('edi/edifact/constructed-two-messages-one-broken.edi'));
      expect(response.statusCode, response.body).toBe(202);
      const event = await done;
      expect(event.outcome).toMatchObject({ status: 'partial', orderCount: 1 });
      expect(event.outcome!.error).toMatch(/segment \d+ \(\w+\) at line \d+/);
      const payload = await app.inject({ method: 'GET', url: `/v1/raw-payloads?status=errors&channelId=${partner}` });
      expect(payload.json().items).toHaveLength(1);

      const outbox = await app.inject({ method: 'GET', url: `/v1/channels/${partner}/outbox?unfetched=true` });
      expect(outbox.json().items).toHaveLength(1);
      const [doc] = outbox.json().items;
      expect(doc).toMatchObject({ kind: 'edifact-ordrsp' });
      const file = await app.inject({ method: 'GET', url: `/v1/outbox/${doc.id}` });
      expect(file.headers['content-type']).toMatch(/^application\/edifact/);
      expect(file.body).toMatch(/^UNA:\+\.\? 'UNB\+/);
      // From us as the channel names us (ourId), to the partner that sent the order.
      expect(file.body).toMatch(/^UNA:\+\.\? 'UNB\+UNO[A-Z]:\d\+5412345000013(:\d+)?\+/);
      expect(file.body).toContain("BGM+231+");
      expect(await readdir(outboxDir)).toEqual([doc.fileName]);
      // Reading the same interchange again records no second answer.
      await hub.actions.reprocessPayload(event.payloadId);
      expect((await app.inject({ method: 'GET', url: `/v1/channels/${partner}/outbox` })).json().items).toHaveLength(1);
    });

    it('reads X12 850 files dropped into the inbox on sync, reserves stock, answers each line with an 855 from the reservation, and empties the inbox', async () => {
      await new StockService(testDb.db).load({
        products: [{ sku: 'WID-100', name: 'Widget 100' }, { sku: 'WID-300', name: 'Widget 300' }],
        warehouses: [{ code: 'MAIN', name: 'Main warehouse' }],
        levels: [{ sku: 'WID-100', warehouse: 'MAIN', onHand: '4' }, { sku: 'WID-300', warehouse: 'MAIN', onHand: '5' }],
      });
      await writeFile(join(inbox, 'po-1.x12'), await fixture('edi/x12/constructed-00401-crlf.edi'));
      const outcome = await syncChannel(hub.context, partner, 'manual');
      expect(outcome).toMatchObject({ status: 'succeeded', counts: { created: 1 } });
      expect(await readdir(inbox)).toEqual(['processed']);
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId: partner, externalId: 'ACMEBUYER:PO-4711' } });
      const reservations = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}/reservations` })).json();
      expect(JSON.stringify(reservations)).toContain('"partial"');
      const reviews = (await app.inject({ method: 'GET', url: '/v1/stock/reviews?status=open' })).json().items as { id: string; orderId: string }[];
      const review = reviews.find((r) => r.orderId === order.id)!;
      expect(review).toBeDefined();
      // Not answered while the order waits in the manual stock review (docs/lifecycle.md); the manager keeps what is reserved, the tick answers.
      const outboxOf = async () => (await app.inject({ method: 'GET', url: `/v1/channels/${partner}/outbox` })).json().items as { id: string; kind: string }[];
      expect((await outboxOf()).filter((d) => d.kind === 'x12-855')).toEqual([]);
      const resolved = await app.inject({ method: 'POST', url: `/v1/stock/reviews/${review.id}/resolve`, payload: { action: 'confirm_partially', by: 'manager' } });
      expect(resolved.statusCode, resolved.body).toBe(200);
      await advanceDistributions(hub.context);
      const outbox = await outboxOf();
      const ack = outbox.find((d: { kind: string }) => d.kind === 'x12-855')!;
      const file = await app.inject({ method: 'GET', url: `/v1/outbox/${ack.id}` });
      expect(file.body).toMatch(/^ISA\*/);
      expect(file.body).toContain('ST*855*');
      // 10 × WID-100 wanted, 4 in stock: changed to 4; WID-300 confirmed; the line without a SKU cannot be stocked.
      expect(file.body).toMatch(/BAK\*00\*AC\*/);
      expect(file.body).toMatch(/PO1\*1\*10\*[^~]*~\s*ACK\*IC\*4\b/);
      expect(file.body).toMatch(/PO1\*2\*3\.5\*[^~]*~\s*ACK\*IR\*0\b/);
      expect(file.body).toMatch(/PO1\*3\*2\*[^~]*~\s*ACK\*IA\*2\b/);
    });

    it('answers the same PO resent in a new interchange from its stored check, and a cancellation by releasing the stock and rejecting every line', async () => {
      const original = (await fixture('edi/x12/constructed-00401-crlf.edi')).toString('utf8');
      const resent = original.replaceAll('000000101', '000000102').replace('GS*PO*ACMEBUYER*WIDGETCO*20240315*093045*101', 'GS*PO*ACMEBUYER*WIDGETCO*20240315*093045*102').replace('GE*1*101', 'GE*1*102');
      await writeFile(join(inbox, 'po-1-resent.x12'), resent);
      expect(await syncChannel(hub.context, partner, 'manual')).toMatchObject({ counts: { unchanged: 1 } });
      const order = await testDb.db.prisma.order.findFirstOrThrow({ where: { channelId: partner, externalId: 'ACMEBUYER:PO-4711' } });
      expect(order.version).toBe(1);
      const answers = async () => {
        const items = (await app.inject({ method: 'GET', url: `/v1/channels/${partner}/outbox` })).json().items as { id: string; kind: string }[];
        return Promise.all(items.filter((d) => d.kind === 'x12-855').map(async (d) => (await app.inject({ method: 'GET', url: `/v1/outbox/${d.id}` })).body));
      };
      const afterResend = await answers();
      expect(afterResend).toHaveLength(2);
      expect(afterResend.every((body) => /ACK\*IC\*4\b/.test(body))).toBe(true);
      expect(new Set(afterResend.map((body) => body.slice(90, 99))).size).toBe(2); // distinct ISA13 control numbers

      const cancellation = resent.replaceAll('000000102', '000000103').replace('BEG*00*SA*PO-4711', 'BEG*01*SA*PO-4711');
      await writeFile(join(inbox, 'po-1-cancel.x12'), cancellation);
      expect(await syncChannel(hub.context, partner, 'manual')).toMatchObject({ counts: { updated: 1 } });
      const reservations = await testDb.db.prisma.reservation.count({ where: { orderId: order.id, status: 'active' } });
      expect(reservations).toBe(0);
      const afterCancel = await answers();
      expect(afterCancel).toHaveLength(3);
      const rejectAll = afterCancel.find((body) => !/ACK\*I[AC]/.test(body));
      expect(rejectAll).toMatch(/BAK\*00\*RJ\*/);
      const ledger = await app.inject({ method: 'GET', url: '/v1/stock/ledger/verify' });
      expect(ledger.json()).toMatchObject({ ok: true });
    });
  });
});
