import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ODataAccountingSource } from '../../connectors/onec/odata-source.ts';
import { resolvePreset } from '../../connectors/onec/presets.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import type { AccountingSyncRequest } from '../../core/ports.ts';
import { startAccountingSync } from '../../core/settlements/accounting-syncs.ts';
import { storeSettlements } from '../../core/settlements/settlement-store.ts';
import { syncAccountingDealers } from '../../jobs/processors/accounting-sync.ts';
import { actingAs, makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { startODataStandIn, type ODataStandIn } from '../helpers/onec-odata-stand-in.ts';
import { pdfText } from '../helpers/pdf-text.ts';
import { buildTestApp } from './fakes.ts';

const PERIOD = '?from=2026-01-01&to=2026-01-31';

/**
 * Settlements over the API: who reads which dealer's settlements and statements (the accountant any
 * dealer, a dealer's head only its own, others not at all), what the CSV and the PDF say, and the
 * accounting syncs started and listed by the accountant.
 */
describe('settlements API', { timeout: 60_000 }, () => {
  let t: TestDatabase;
  let anonymous: FastifyInstance;
  let oneC: ODataStandIn;
  const users = {} as Record<'accountant' | 'ops' | 'desk' | 'head' | 'employee' | 'otherHead', TestUser>;

  beforeAll(async () => {
    t = await createTestPostgres();
    let actions;
    ({ anonymous, actions } = await buildTestApp(t.db));
    oneC = await startODataStandIn({ user: 'hub', password: 'pw' });
    // The composition root's action, over a 1C that refuses everything: the run it answers with is a failed one.
    const source = new ODataAccountingSource({ url: oneC.url, user: 'hub', password: 'pw', preset: resolvePreset('ut11'), http: { maxAttempts: 1 } });
    Object.assign(actions, {
      companyName: 'АО "Завод Керамики"',
      syncAccounting: (request: AccountingSyncRequest) => syncAccountingDealers({ db: t.db }, source, { trigger: request.trigger, requestedBy: request.requestedBy }),
    });
    oneC.failOn = { path: /./, status: 500, message: 'Сеанс 1С завершен администратором' };

    await t.db.query(`INSERT INTO region (id, code, name, level, path) VALUES (gen_random_uuid()::text, 'RU', 'Россия', 'country', '/RU/')`);
    await new DealerService(t.db).load([
      { code: 'ROMASHKA', name: 'ООО «Ромашка»', mainRegion: 'RU' },
      { code: 'VECTOR', name: 'ООО Вектор', mainRegion: 'RU' },
    ]);
    await t.db.query(`UPDATE dealer SET tax_id = '7701234567' WHERE code = 'ROMASHKA'`);
    const syncId = await startAccountingSync(t.db, { kind: 'settlements', source: 'odata', trigger: 'manual', from: '2026-01-01', to: '2026-01-31' });
    await storeSettlements(t.db, syncId, { from: '2026-01-01', to: '2026-01-31' }, [
      {
        dealerRef: 'r-1',
        dealerCode: 'ROMASHKA',
        figures: { opening: '6000.00', shipped: '5000.00', paid: '3000.00', returns: '500.00', closing: '7500.00', overdue: '1200.00', creditLimit: null },
        documents: [
          { ref: 'd-1', kind: 'shipment', number: '00ЦБ-000101', date: '2026-01-10T12:30:00.000Z', amount: '5000.00', orderNumber: 'П-1042' },
          { ref: 'd-2', kind: 'payment', number: '00ЦБ-000120', date: '2026-01-25T00:00:00.000Z', amount: '3000.00', orderNumber: null },
          { ref: 'd-3', kind: 'return', number: '00ЦБ-000130', date: '2026-01-28T00:00:00.000Z', amount: '500.00', orderNumber: null },
        ],
      },
      { dealerRef: 'r-2', dealerCode: 'VECTOR', figures: { opening: '0.00', shipped: '0.00', paid: '0.00', returns: '0.00', closing: '0.00', overdue: null, creditLimit: null }, documents: [] },
    ]);
    users.accountant = await makeUser(t.db, { roles: ['accountant'] });
    users.ops = await makeUser(t.db, { roles: ['ops'] });
    users.desk = await makeUser(t.db, { roles: ['desk'] });
    users.head = await makeUser(t.db, { roles: ['dealer_head'], dealer: 'ROMASHKA' });
    users.employee = await makeUser(t.db, { roles: ['dealer_manager'], dealer: 'ROMASHKA' });
    users.otherHead = await makeUser(t.db, { roles: ['dealer_head'], dealer: 'VECTOR' });
  });

  afterAll(async () => {
    await anonymous?.close();
    await oneC?.close();
    await t?.drop();
  });

  const get = (user: TestUser | undefined, url: string) => (user ? actingAs(anonymous, user) : anonymous).inject({ method: 'GET', url });

  it("lets the accountant read any dealer's settlements", async () => {
    const response = await get(users.accountant, `/v1/dealers/ROMASHKA/settlements${PERIOD}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      dealer: { code: 'ROMASHKA', taxId: '7701234567' },
      opening: '6000.00',
      shipped: '5000.00',
      paid: '3000.00',
      returns: '500.00',
      closing: '7500.00',
      overdue: '1200.00',
      basis: 'exact',
      documents: [{ kind: 'shipment', orderNumber: 'П-1042' }, { kind: 'payment' }, { kind: 'return' }],
    });
    expect((await get(users.accountant, `/v1/dealers/VECTOR/settlements${PERIOD}`)).statusCode).toBe(200);
  });

  it('lets a dealer read only its own settlements: another dealer does not exist for it', async () => {
    expect((await get(users.head, `/v1/dealers/ROMASHKA/settlements${PERIOD}`)).statusCode).toBe(200);
    expect((await get(users.head, `/v1/dealers/VECTOR/settlements${PERIOD}`)).statusCode).toBe(404);
    expect((await get(users.head, `/v1/dealers/VECTOR/settlements/statement.csv${PERIOD}`)).statusCode).toBe(404);
    expect((await get(users.otherHead, `/v1/dealers/ROMASHKA/settlements/statement.pdf${PERIOD}`)).statusCode).toBe(404);
  });

  it('refuses those without the permission', async () => {
    expect((await get(users.employee, `/v1/dealers/ROMASHKA/settlements${PERIOD}`)).statusCode).toBe(403);
    expect((await get(users.desk, `/v1/dealers/ROMASHKA/settlements${PERIOD}`)).statusCode).toBe(403);
    expect((await get(undefined, `/v1/dealers/ROMASHKA/settlements${PERIOD}`)).statusCode).toBe(401);
  });

  it('says which period is not synced, and refuses a period that ends before it starts', async () => {
    const missing = await get(users.accountant, '/v1/dealers/ROMASHKA/settlements?from=2026-02-01&to=2026-02-28');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('hub 1c sync-settlements --from 2026-02-01 --to 2026-02-28');
    expect((await get(users.accountant, '/v1/dealers/ROMASHKA/settlements?from=2026-01-31&to=2026-01-01')).statusCode).toBe(400);
  });

  it('hands out the reconciliation statement as CSV for a Russian Excel', async () => {
    const response = await get(users.head, `/v1/dealers/ROMASHKA/settlements/statement.csv${PERIOD}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="akt-sverki-ROMASHKA-2026-01-01-2026-01-31.csv"');
    const bytes = response.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines.slice(0, 9)).toEqual([
      'Акт сверки взаимных расчетов за период 01.01.2026 – 31.01.2026',
      // A quote inside a field: the field is quoted and the quote doubled, as Excel reads it.
      '"между АО ""Завод Керамики"" и ООО «Ромашка» (ИНН 7701234567)"',
      '',
      'Дата;Документ;Дебет;Кредит',
      ';Сальдо начальное;6000,00;',
      '10.01.2026;Реализация (отгрузка) № 00ЦБ-000101 (заказ П-1042);5000,00;',
      '25.01.2026;Оплата № 00ЦБ-000120;;3000,00',
      '28.01.2026;Возврат № 00ЦБ-000130;;500,00',
      ';Обороты за период;5000,00;3500,00',
    ]);
    expect(lines).toContain(';Сальдо конечное;7500,00;');
    expect(lines).toContain('"На 31.01.2026 задолженность ООО «Ромашка» (ИНН 7701234567) в пользу АО ""Завод Керамики"" составляет 7\u00a0500,00 руб."');
  });

  it('hands out the statement as a PDF whose Cyrillic text reads back', async () => {
    const response = await get(users.accountant, `/v1/dealers/ROMASHKA/settlements/statement.pdf${PERIOD}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    const pdf = response.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const { text: lines, fonts, embedded } = pdfText(pdf);
    // Long cells wrap: the lines of one cell read as one.
    const text = lines.replace(/\n/g, '');
    expect(embedded).toBe(true);
    expect(fonts).toEqual(expect.arrayContaining(['DejaVuSans', 'DejaVuSans-Bold']));
    expect(text).toContain('Акт сверки взаимных расчетов за период 01.01.2026 – 31.01.2026');
    expect(text).toContain('Реализация (отгрузка) № 00ЦБ-000101 (заказ П-1042)');
    expect(text).toContain('Сальдо конечное');
    expect(text).toContain('Сальдо конечное7\u00a0500,00');
  });

  it("lets the accountant and ops start a sync and see it fail with 1C's words; nobody else", async () => {
    const started = await actingAs(anonymous, users.accountant).inject({ method: 'POST', url: '/v1/accounting/sync', payload: { what: 'dealers' } });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toMatchObject({ kind: 'dealers', status: 'failed', requestedBy: users.accountant.login, error: expect.stringContaining('Сеанс 1С завершен администратором') });
    for (const user of [users.desk, users.head]) {
      expect((await actingAs(anonymous, user).inject({ method: 'POST', url: '/v1/accounting/sync', payload: { what: 'dealers' } })).statusCode).toBe(403);
    }
    const list = await get(users.ops, '/v1/accounting/syncs');
    expect(list.statusCode).toBe(200);
    expect(list.json().syncs[0]).toMatchObject({ id: started.json().id, status: 'failed' });
    expect((await get(users.head, '/v1/accounting/syncs')).statusCode).toBe(403);
  });
});
