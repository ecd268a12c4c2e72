import type { FastifyInstance } from 'fastify';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { ChannelService } from '../../core/channels/channels.ts';
import { OrderLifecycle } from '../../core/flows/order-lifecycle.ts';
import { OnecExchange } from '../../core/onec/onec-exchange.ts';
import { createRegistry } from '../../jobs/registry.ts';
import type { OnecExchangeSettings } from '../../core/model/onec-exchange.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { makeUser, actingAs, type TestUser } from '../helpers/auth.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { OneCStandIn, RecordingCatalogue, testReader, testWriter } from '../helpers/onec-stand-in.ts';
import { orderDraft } from '../helpers/orders.ts';
import { fakeCatalog, FakeActions, createChannel } from './fakes.ts';

/**
 * 1C's exchange over real HTTP, driven the way 1C drives it: checkauth (Basic) → init → file in
 * chunks → import until success; sale query → success → file → import. Sessions, files and import
 * positions live in PostgreSQL, so a second app (another replica, or the same after a restart)
 * goes on where the first stopped.
 */

const PASSWORD = 'onec-exchange-password';
let t: TestDatabase;
let integration: TestUser;
let ops: TestUser;
let admin: TestUser;
const servers: FastifyInstance[] = [];
let onecChannelId: string;

async function serve(catalogue: RecordingCatalogue, options: { recordBudget?: number; batchSize?: number } = {}): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db), onec: { ports: { reader: testReader, catalogue, writer: testWriter }, ...options } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push(app);
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}` };
}

async function settle(settings: Partial<OnecExchangeSettings>): Promise<void> {
  await t.db.prisma.channel.update({ where: { id: onecChannelId }, data: { config: { fileLimit: 10, ...settings } } });
}

function catalogueFile(ids: string[], snapshot: 'full' | 'delta' = 'full'): Buffer {
  return Buffer.from(`catalogue CAT-1 ${snapshot}\n${ids.map((id) => `product ${id}`).join('\n')}\n`);
}

for (const [kind, createDatabase] of DATABASE_KINDS) {
describe(`on ${kind}`, () => {
  beforeAll(async () => {
    t = await createDatabase();
    integration = await makeUser(t.db, { roles: ['integration'], password: PASSWORD });
    ops = await makeUser(t.db, { roles: ['ops'] });
    admin = await makeUser(t.db, { roles: ['admin'] });
    // The 1C channel as ops make it: a channel of the onec-exchange connector, its config validated by the settings' schema.
    const channels = new ChannelService(t.db, createRegistry());
    await expect(channels.create({ name: '1C bad', connectorType: 'onec-exchange', config: { encoding: 'koi8-r' } })).rejects.toThrow(/encoding/);
    const channel = await channels.create({ name: '1C УТ', connectorType: 'onec-exchange', config: {} });
    expect(channel.kind).toBe('erp');
    onecChannelId = channel.id;
  });

  afterAll(async () => {
    for (const app of servers.splice(0)) await app.close();
    await t?.drop();
  });

  beforeEach(async () => {
    await settle({});
  });

  describe('when 1C loads a catalogue', () => {
    it('checkauth → init → a file in 3 chunks → import until success; the session is in the log', async () => {
      const catalogue = new RecordingCatalogue();
      const { base, app } = await serve(catalogue);
      const onec = new OneCStandIn(base, integration.login, PASSWORD);

      const auth = await onec.checkauth('catalog');
      expect(auth[0]).toBe('success');
      expect(auth[1]).toBe('hub_1c_exchange');
      expect(auth[3]).toMatch(/^sessid=[0-9a-f]{32}$/);
      expect(auth[4]).toMatch(/^timestamp=\d{10}$/);

      const init = await onec.call({ type: 'catalog', mode: 'init' });
      expect(init.lines).toEqual(['zip=no', 'file_limit=10']);
      expect(init.contentType).toBe('text/plain; charset=windows-1251');

      const three = catalogueFile(['P1', 'P2']);
      const limit = Math.ceil(three.byteLength / 3);
      await settle({ fileLimit: limit });
      const sent = await onec.sendFile('catalog', 'import.xml', three, limit);
      expect(sent).toHaveLength(3);
      expect(sent.every((a) => a[0] === 'success')).toBe(true);

      const answers = await onec.importUntilDone('catalog', 'import.xml');
      expect(answers.at(-1)![0]).toBe('success');
      expect(catalogue.applied).toEqual(['P1', 'P2']);
      expect(catalogue.snapshots.map((s) => s.catalogueId)).toEqual(['CAT-1']);
      expect((await onec.call({ type: 'catalog', mode: 'success' })).lines[0]).toBe('success');

      const list = await actingAs(app, ops).inject({ method: 'GET', url: '/v1/onec/exchanges' });
      expect(list.statusCode, list.body).toBe(200);
      const session = (list.json() as { items: { id: string; login: string; status: string; files: number; bytes: number; counts: Record<string, number> }[] }).items.find((s) => s.login === integration.login && s.files === 1)!;
      expect(session).toMatchObject({ status: 'succeeded', bytes: three.byteLength, counts: { products: 2, deactivated: 0 } });
      const detail = (await actingAs(app, ops).inject({ method: 'GET', url: `/v1/onec/exchanges/${session.id}` })).json() as { steps: { mode: string }[]; fileList: { name: string; size: number; chunks: number; status: string }[] };
      expect(detail.fileList).toEqual([expect.objectContaining({ name: 'import.xml', size: three.byteLength, chunks: 3, status: 'imported' })]);
      expect(detail.steps.map((s) => s.mode)).toEqual(['checkauth', 'init', 'file', 'file', 'file', ...answers.map(() => 'import'), 'success']);
      // The bytes stored are the bytes sent.
      const stored = await t.db.query<{ bytes: Buffer }>(`SELECT c.bytes FROM onec_exchange_file_chunk c JOIN onec_exchange_file f ON f.id = c.file_id WHERE f.session_id = $1 ORDER BY c.seq`, [session.id]);
      expect(Buffer.concat(stored.map((r) => Buffer.from(r.bytes)))).toEqual(three);
    });

    it('answers the Bitrix path the same way', async () => {
      const { base } = await serve(new RecordingCatalogue());
      const onec = new OneCStandIn(base, integration.login, PASSWORD, '/bitrix/admin/1c_exchange.php');
      expect((await onec.checkauth('catalog'))[0]).toBe('success');
      expect((await onec.call({ type: 'catalog', mode: 'init' })).lines[0]).toBe('zip=no');
    });

    it('refuses a wrong password with failure and its reason', async () => {
      const { base } = await serve(new RecordingCatalogue());
      const answer = await new OneCStandIn(base, integration.login, 'not-the-password').call({ type: 'catalog', mode: 'checkauth' }, undefined, { basic: true });
      expect(answer.status).toBe(200);
      expect(answer.lines).toEqual(['failure', 'Login or password is wrong.']);
    });

    it('refuses a user without the integration role', async () => {
      const desk = await makeUser(t.db, { roles: ['desk'], password: PASSWORD });
      const { base } = await serve(new RecordingCatalogue());
      const answer = await new OneCStandIn(base, desk.login, PASSWORD).call({ type: 'catalog', mode: 'checkauth' }, undefined, { basic: true });
      expect(answer.lines[0]).toBe('failure');
    });

    it('refuses a call without the session cookie, and a wrong sessid, in windows-1251', async () => {
      const { base } = await serve(new RecordingCatalogue());
      const onec = new OneCStandIn(base, integration.login, PASSWORD);
      await onec.checkauth('catalog');
      const noCookie = await onec.call({ type: 'catalog', mode: 'init' }, undefined, { cookie: false });
      expect(noCookie.lines[0]).toBe('failure');
      expect(noCookie.status).toBe(401);

      onec.sessid = '0'.repeat(32);
      const wrong = await onec.call({ type: 'catalog', mode: 'init' });
      expect(wrong.lines[0]).toBe('failure');
      expect(wrong.lines[1]).toContain('Ошибка проверки источника запроса');
      // windows-1251, not UTF-8: "О" is the single byte 0xCE.
      expect(wrong.bytes.includes(Buffer.from([0xce, 0xf8, 0xe8, 0xe1, 0xea, 0xe0]))).toBe(true);
      expect(iconv.decode(wrong.bytes, 'windows-1251')).toContain('Ошибка');
    });

    it('confines file names to the session: traversal, absolute paths, backslashes and NUL are refused; sub-paths are kept', async () => {
      const { base } = await serve(new RecordingCatalogue());
      const onec = new OneCStandIn(base, integration.login, PASSWORD);
      await onec.checkauth('catalog');
      for (const name of ['../import.xml', 'import_files/../../etc/passwd', '/etc/passwd', 'C:/x.xml', 'import_files\\..\\x.jpg', 'a\u0000.xml', '']) {
        const answer = await onec.call({ type: 'catalog', mode: 'file', filename: name }, Buffer.from('x'));
        expect(answer.lines[0], name).toBe('failure');
      }
      const image = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]);
      expect((await onec.call({ type: 'catalog', mode: 'file', filename: 'import_files/ab/abc.jpg' }, image)).lines[0]).toBe('success');
      const [stored] = await t.db.query<{ name: string; size: string }>(`SELECT name, size FROM onec_exchange_file WHERE name = 'import_files/ab/abc.jpg'`);
      expect({ name: stored!.name, size: Number(stored!.size) }).toEqual({ name: 'import_files/ab/abc.jpg', size: 5 });
    });

    it('unpacks a zip package on the first import; refuses zip-slip and zip bombs', async () => {
      await settle({ zip: true, fileLimit: 64 });
      const catalogue = new RecordingCatalogue();
      const { base } = await serve(catalogue);
      const onec = new OneCStandIn(base, integration.login, PASSWORD);
      await onec.checkauth('catalog');
      expect((await onec.call({ type: 'catalog', mode: 'init' })).lines).toEqual(['zip=yes', 'file_limit=64']);
      const archive = Buffer.from(zipSync({ 'import.xml': catalogueFile(['Z1', 'Z2', 'Z3']), 'import_files/ab/abc.jpg': new Uint8Array([1, 2, 3]) }));
      await onec.sendFile('catalog', 'v8_exchange.zip', archive, 64);
      expect((await onec.importUntilDone('catalog', 'import.xml')).at(-1)![0]).toBe('success');
      expect(catalogue.applied).toEqual(['Z1', 'Z2', 'Z3']);
      const names = await t.db.query<{ name: string; status: string }>(
        `SELECT f.name, f.status FROM onec_exchange_file f JOIN onec_exchange_file a ON a.session_id = f.session_id AND a.name = 'v8_exchange.zip' WHERE a.id = f.id OR f.unpacked_from = a.id ORDER BY f.name`,
      );
      expect(names).toEqual([
        { name: 'import.xml', status: 'imported' },
        { name: 'import_files/ab/abc.jpg', status: 'received' },
        { name: 'v8_exchange.zip', status: 'unpacked' },
      ]);

      for (const [label, entries, limits] of [
        ['zip-slip', { '../evil.xml': new Uint8Array([1]) }, {}],
        ['zip bomb (declared)', { 'import.xml': new Uint8Array(2_000_000) }, {}],
        // Headers can lie: what really comes out is counted too, and stops at the limit.
        ['zip bomb (inflated)', { 'import.xml': new Uint8Array(2_000_000) }, { maxZipRatio: 1_000_000, maxUnpackedBytes: 100_000 }],
      ] as const) {
        const bad = new OneCStandIn(base, integration.login, PASSWORD);
        await bad.checkauth('catalog');
        await settle({ zip: true, fileLimit: 1_000_000, ...limits });
        await bad.sendFile('catalog', 'bad.zip', Buffer.from(zipSync(entries as Record<string, Uint8Array>)), 1_000_000);
        const answer = await bad.call({ type: 'catalog', mode: 'import', filename: 'import.xml' });
        expect(answer.lines[0], label).toBe('failure');
        expect(answer.lines[1], label).toMatch(/refused/);
      }
      // Visible to ops, with the archive kept.
      const failed = (await actingAs(servers.at(-1)!, ops).inject({ method: 'GET', url: '/v1/onec/exchanges?status=failed' })).json() as { items: { error: string; bytes: number }[] };
      expect(failed.items.map((s) => s.error)).toEqual([
        expect.stringMatching(/^bad\.zip: the zip archive was refused: it unpacks to more than 100000 bytes/),
        expect.stringMatching(/^bad\.zip: the zip archive was refused: entry "import\.xml" unpacks \d+ times its packed size/),
        expect.stringMatching(/^bad\.zip: the zip archive was refused: entry "\.\.\/evil\.xml"/),
      ]);
      // Nothing of a refused archive is left as a file to import.
      expect(await t.db.query(`SELECT f.name FROM onec_exchange_file f JOIN onec_exchange_file a ON f.unpacked_from = a.id WHERE a.name = 'bad.zip'`)).toEqual([]);
      expect(failed.items.every((s) => s.bytes > 0)).toBe(true);
    });

    it('goes on after an interrupted import on another app instance, applying every record exactly once', async () => {
      const catalogue = new RecordingCatalogue();
      const first = await serve(catalogue, { recordBudget: 2, batchSize: 2 });
      const onec = new OneCStandIn(first.base, integration.login, PASSWORD);
      await onec.checkauth('catalog');
      await settle({ fileLimit: 1000 });
      await onec.sendFile('catalog', 'import.xml', catalogueFile(['R1', 'R2', 'R3', 'R4', 'R5']), 1000);
      const step = await onec.call({ type: 'catalog', mode: 'import', filename: 'import.xml' });
      expect(step.lines[0]).toBe('progress');
      expect(catalogue.applied).toEqual(['R1', 'R2']);

      // The first instance is gone (a crash, a deploy); 1C's next call reaches another one.
      await first.app.close();
      const second = await serve(catalogue, { recordBudget: 2, batchSize: 2 });
      const resumed = new OneCStandIn(second.base, integration.login, PASSWORD);
      resumed.cookie = onec.cookie;
      resumed.sessid = onec.sessid;
      const answers = await resumed.importUntilDone('catalog', 'import.xml');
      expect(answers.map((a) => a[0])).toEqual(['progress', 'success']);
      expect(catalogue.applied).toEqual(['R1', 'R2', 'R3', 'R4', 'R5']);
      expect(catalogue.snapshots).toHaveLength(1);
      // A catalogue exchange ends with its last import: 1C sends no mode=success for it.
      const [session] = await t.db.query<{ status: string }>(`SELECT s.status FROM onec_exchange_session s JOIN onec_exchange_file f ON f.session_id = s.id WHERE f.name = 'import.xml' AND f.position = 5`);
      expect(session?.status).toBe('succeeded');
    });
  });

  describe('when an import fails', () => {
    it('answers failure in windows-1251, keeps the file and its error, and reads it again from its start after a fix', async () => {
      const catalogue = new RecordingCatalogue();
      catalogue.failOn = 'F2';
      const { base } = await serve(catalogue, { batchSize: 1 });
      const onec = new OneCStandIn(base, integration.login, PASSWORD);
      await onec.checkauth('catalog');
      await settle({ fileLimit: 1000 });
      await onec.sendFile('catalog', 'import.xml', catalogueFile(['F1', 'F2', 'F3']), 1000);
      const failed = await onec.call({ type: 'catalog', mode: 'import', filename: 'import.xml' });
      expect(failed.lines).toEqual(['failure', 'import.xml: product F2: unit «шт» is unknown']);
      expect(catalogue.applied).toEqual(['F1']);
      const [file] = await t.db.query<{ id: string; status: string; error: string; position: number }>(
        `SELECT f.id, f.status, f.error, f.position FROM onec_exchange_file f JOIN onec_exchange_session s ON s.id = f.session_id WHERE s.error LIKE '%unit «шт»%'`,
      );
      expect(file).toMatchObject({ status: 'failed', error: 'product F2: unit «шт» is unknown', position: 1 });

      catalogue.failOn = undefined;
      const exchange = new OnecExchange(t.db, { reader: testReader, catalogue, writer: testWriter }, { lifecycle: new OrderLifecycle(t.db) });
      expect((await exchange.reimport(file!.id))[0]).toBe('success');
      expect(catalogue.applied).toEqual(['F1', 'F1', 'F2', 'F3']);
      expect((await exchange.store.fileById(file!.id))!).toMatchObject({ status: 'imported', position: 3, error: null });
    });
  });

  describe('when 1C takes orders and sends their changes back', () => {
    it('query → success → file → import: number and date in 1C, the new status and a partial payment on the order', async () => {
      await settle({ fileLimit: 100_000, statusMap: { '[N] Принят': 'in_progress' } });
      const app = (await serve(new RecordingCatalogue())).app;
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const shop = await createChannel(actingAs(app, admin));
      const [result] = await ingestOrders(t.db, { channelId: shop.id, drafts: [orderDraft('WEB-1001', { number: '1001' })] });
      const orderId = result!.orderId!;

      const onec = new OneCStandIn(base, integration.login, PASSWORD);
      await onec.checkauth('sale');
      const init = await onec.call({ type: 'sale', mode: 'init', version: '2.09' });
      expect(init.lines).toEqual(['zip=no', 'file_limit=100000', `sessid=${onec.sessid}`, 'version=2.09']);
      const query = await onec.call({ type: 'sale', mode: 'query' });
      expect(query.contentType).toBe('application/xml; charset=windows-1251');
      expect(query.text).toContain(`<Контейнер><Документ><Ид>${orderId}</Ид><Номер>1001</Номер>`);
      expect((await onec.call({ type: 'sale', mode: 'success' })).lines[0]).toBe('success');

      // Confirmed: the next exchange does not send it again.
      const next = new OneCStandIn(base, integration.login, PASSWORD);
      await next.checkauth('sale');
      expect((await next.call({ type: 'sale', mode: 'query' })).text).not.toContain(orderId);

      const changes = iconv.encode(
        `<?xml version="1.0" encoding="windows-1251"?>
  <КоммерческаяИнформация ВерсияСхемы="2.05" ДатаФормирования="2026-12-05T10:00:00">
    <Документ>
      <Ид>${orderId}</Ид>
      <Номер>1001</Номер>
      <ЗначенияРеквизитов>
        <ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000123</Значение></ЗначениеРеквизита>
        <ЗначениеРеквизита><Наименование>Дата по 1С</Наименование><Значение>2026-12-05 09:58:00</Значение></ЗначениеРеквизита>
        <ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>
        <ЗначениеРеквизита><Наименование>Статус заказа</Наименование><Значение>[N] Принят</Значение></ЗначениеРеквизита>
      </ЗначенияРеквизитов>
    </Документ>
    <Документ>
      <Ид>PAY-77</Ид>
      <Номер>77</Номер>
      <Дата>2026-12-05</Дата>
      <ХозОперация>Выплата безналичных денег</ХозОперация>
      <Сумма>1000.00</Сумма>
      <Основание>${orderId}</Основание>
      <ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>
    </Документ>
  </КоммерческаяИнформация>`,
        'windows-1251',
      );
      expect((await next.sendFile('sale', 'orders-changes.xml', changes, 100_000)).map((a) => a[0])).toEqual(['success']);
      const imported = await next.importUntilDone('sale', 'orders-changes.xml');
      expect(imported.at(-1)![0]).toBe('success');

      const order = (await actingAs(app, admin).inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json() as { status: string; accounting: Record<string, unknown> };
      expect(order.status).toBe('in_progress');
      expect(order.accounting).toMatchObject({
        onec: { number: 'УТ-000123', date: '2026-12-05 09:58:00', posted: true, status: '[N] Принят', exportedVersion: 1 },
        paid: '1000',
        paymentState: 'partially_paid',
        documents: [{ kind: 'payment', externalId: 'PAY-77', amount: '1000', operation: 'Выплата безналичных денег', posted: true, deleted: false }],
      });
    });
  });
});
}
