import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ODataAccountingSource } from '../../connectors/onec/odata-source.ts';
import { resolvePreset } from '../../connectors/onec/presets.ts';
import { DealerService } from '../../core/dealers/dealer-service.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { listAccountingSyncs } from '../../core/settlements/accounting-syncs.ts';
import { SettlementService } from '../../core/settlements/settlement-service.ts';
import { syncAccountingDealers, syncAccountingSettlements } from '../../jobs/processors/accounting-sync.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { startODataStandIn, type ODataStandIn } from '../helpers/onec-odata-stand-in.ts';
import { orderDraft } from '../helpers/orders.ts';

const ROMASHKA = '4b1e0c2a-1111-11ee-8c90-0242ac120002';
const VECTOR = '4b1e0c2a-2222-11ee-8c90-0242ac120002';
const FOLDER = '4b1e0c2a-3333-11ee-8c90-0242ac120002';
const RETAIL = '4b1e0c2a-4444-11ee-8c90-0242ac120002';
const JANUARY = { from: '2026-01-01', to: '2026-01-31' };

/**
 * Dealers and settlements from a 1C that speaks the OData standard interface (a real HTTP stand-in),
 * through the UNF preset with an override, into the hub: dealers new and changed with their price
 * column as 1C names it, a month's settlements with opening and closing balances and a partial
 * payment, re-syncs that change nothing or replace the period, and 1C's errors as failed runs.
 */
describe.each(DATABASE_KINDS)('1C over OData: dealers and settlements on %s', { timeout: 60_000 }, (_kind, createDatabase) => {
  let t: TestDatabase;
  let oneC: ODataStandIn;
  let source: ODataAccountingSource;

  const ctx = () => ({ db: t.db });

  beforeAll(async () => {
    t = await createDatabase();
    oneC = await startODataStandIn({ user: 'hub', password: 'секрет-1С', register: 'AccumulationRegister_РасчетыСПокупателями' });
    // Region from a plain attribute (an override of the preset); 2 rows per page so every list pages.
    // The shipments carry the portal's order number in НомерВходящегоДокумента (the documents list replaces the preset's).
    const base = resolvePreset('unf');
    const preset = resolvePreset('unf', {
      counterparties: { fields: { region: 'Регион' } },
      documents: base.documents.map((d) => (d.kind === 'shipment' ? { ...d, orderNumberField: 'НомерВходящегоДокумента' } : d)),
    });
    source = new ODataAccountingSource({ url: oneC.url, user: 'hub', password: 'секрет-1С', preset, pageSize: 2, http: { maxAttempts: 1 } });
    await t.db.query(`INSERT INTO region (id, code, name, level, path) VALUES (gen_random_uuid()::text, 'RU', 'Россия', 'country', '/RU/'),
      (gen_random_uuid()::text, 'RU-MOW', 'Москва', 'region', '/RU/RU-MOW/')`);
    // A dealer the hub already had, known by the same code as in 1C.
    await new DealerService(t.db).load([{ code: '00-000002', name: 'Вектор (старое имя)', mainRegion: 'RU' }]);
    oneC.counterparties.push(
      counterparty(ROMASHKA, '00-000001  ', 'ООО "Ромашка"', '7701234567', 'Мелкий опт', 'Москва', 'Иванова А.'),
      counterparty(VECTOR, '00-000002', 'ООО Вектор', '7809876543', 'Крупный опт', 'Саратов', 'Петров П.'),
      { ...counterparty(FOLDER, '00-000100', 'Покупатели', null, null, null, null), IsFolder: true },
      counterparty(RETAIL, '00-000003', 'Розничный покупатель', null, 'Розничная', null, null),
    );
  });

  afterAll(async () => {
    await oneC?.close();
    await t?.drop();
  });

  beforeEach(() => {
    oneC.failOn = undefined;
  });

  it('says whether 1C publishes what the preset needs ($metadata)', async () => {
    oneC.documents['Document_РасходнаяНакладная'] = [];
    expect(await source.check()).toMatchObject({ ok: false, message: expect.stringContaining('Document_ПоступлениеНаСчет') });
    oneC.documents['Document_ПоступлениеНаСчет'] = [];
    oneC.documents['Document_ПриходнаяНакладная'] = [];
    expect(await source.check()).toMatchObject({ ok: true });
  });

  it('makes dealers of the counterparties, writes the price column as 1C names it, and pages through them', async () => {
    const run = await syncAccountingDealers(ctx(), source, { trigger: 'manual', defaultRegion: 'RU' });
    // The folder is filtered out by 1C ($filter IsFolder eq false); three counterparties, two new and one known.
    expect(run).toMatchObject({ kind: 'dealers', source: 'odata', status: 'succeeded', received: 3, created: 2, updated: 1, unchanged: 0, failed: 0 });
    expect(run.errors).toEqual([expect.objectContaining({ dealer: '00-000002', code: 'warning', message: expect.stringContaining('Саратов') })]);
    const rows = await t.db.query<Record<string, string | null>>(
      `SELECT d.code, d.name, d.price_column, d.tax_id, d.accounting_ref, d.account_manager, r.code AS region
         FROM dealer d JOIN dealer_region dr ON dr.dealer_id = d.id AND dr.is_main JOIN region r ON r.id = dr.region_id ORDER BY d.code`,
    );
    expect(rows).toEqual([
      { code: '00-000001', name: 'ООО "Ромашка"', price_column: 'Мелкий опт', tax_id: '7701234567', accounting_ref: ROMASHKA, account_manager: 'Иванова А.', region: 'RU-MOW' },
      { code: '00-000002', name: 'ООО Вектор', price_column: 'Крупный опт', tax_id: '7809876543', accounting_ref: VECTOR, account_manager: 'Петров П.', region: 'RU' },
      { code: '00-000003', name: 'Розничный покупатель', price_column: 'Розничная', tax_id: null, accounting_ref: RETAIL, account_manager: null, region: 'RU' },
    ]);
    const catalogue = oneC.requests.filter((r) => r.includes('Catalog_'));
    expect(catalogue.map((r) => new URL(r, 'http://x').searchParams.get('$skip'))).toEqual(['0', '2']);
    // Cyrillic names %-encoded; references expanded to read their names.
    expect(catalogue[0]).toContain(`/Catalog_${encodeURIComponent('Контрагенты')}?`);
    expect(new URL(catalogue[0]!, 'http://x').searchParams.get('$expand')).toBe('ВидЦен,Ответственный');
  });

  it('changes only what changed in 1C on the next sync', async () => {
    oneC.counterparties[0] = counterparty(ROMASHKA, '00-000001', 'ООО "Ромашка"', '7701234567', 'Крупный опт', 'Москва', 'Иванова А.');
    const run = await syncAccountingDealers(ctx(), source, { trigger: 'manual', defaultRegion: 'RU' });
    expect(run).toMatchObject({ status: 'succeeded', received: 3, created: 0, updated: 1, unchanged: 2 });
    expect(await t.db.query(`SELECT price_column FROM dealer WHERE code = '00-000001'`)).toEqual([{ price_column: 'Крупный опт' }]);
  });

  it("stores a month's settlements: opening from December, a shipment, a partial payment and a return, closing at the month's end", async () => {
    const [order] = await ingestOrders(t.db, { channelId: (await t.db.prisma.channel.create({ data: { name: 'Portal', kind: 'webshop', connectorType: 'testshop' } })).id, drafts: [orderDraft('WEB-1042', { number: 'П-1042' })] });
    oneC.documents['Document_РасходнаяНакладная'] = [
      document('d-dec-ship', '00ЦБ-000090', '2025-12-05T10:00:00', ROMASHKA, 10_000),
      document('d-jan-ship', '00ЦБ-000101', '2026-01-10T12:30:00', ROMASHKA, 5_000, 'П-1042'),
      document('d-feb-ship', '00ЦБ-000150', '2026-02-02T09:00:00', ROMASHKA, 700),
      { ...document('d-unposted', '00ЦБ-000102', '2026-01-11T00:00:00', ROMASHKA, 999), Posted: false },
      document('v-jan-ship', '00ЦБ-000103', '2026-01-15T08:00:00', VECTOR, 1_234.56),
    ];
    oneC.documents['Document_ПоступлениеНаСчет'] = [
      document('p-dec', '00ЦБ-000091', '2025-12-20T00:00:00', ROMASHKA, 4_000),
      document('p-jan', '00ЦБ-000120', '2026-01-25T00:00:00', ROMASHKA, 3_000),
    ];
    oneC.documents['Document_ПриходнаяНакладная'] = [document('r-jan', '00ЦБ-000130', '2026-01-28T00:00:00', ROMASHKA, 500)];
    oneC.movements = movementsOf(oneC);

    const run = await syncAccountingSettlements(ctx(), source, { trigger: 'manual', period: JANUARY });
    // Romashka and Vector; the retail buyer has no movement but is asked about (zeros).
    expect(run).toMatchObject({ kind: 'settlements', status: 'succeeded', from: '2026-01-01', to: '2026-01-31', created: 3, failed: 0, documents: 4 });

    const view = await new SettlementService(t.db).forPeriod('00-000001', '2026-01-01', '2026-01-31');
    expect(view).toMatchObject({ basis: 'exact', opening: '6000.00', shipped: '5000.00', paid: '3000.00', returns: '500.00', closing: '7500.00', overdue: null });
    expect(view.documents.map((d) => [d.date.slice(0, 10), d.kind, d.number, d.amount, d.orderNumber, d.orderId])).toEqual([
      ['2026-01-10', 'shipment', '00ЦБ-000101', '5000.00', 'П-1042', order!.orderId],
      ['2026-01-25', 'payment', '00ЦБ-000120', '3000.00', null, null],
      ['2026-01-28', 'return', '00ЦБ-000130', '500.00', null, null],
    ]);
    expect(await new SettlementService(t.db).forPeriod('00-000002', '2026-01-01', '2026-01-31')).toMatchObject({ opening: '0.00', shipped: '1234.56', closing: '1234.56' });

    // The virtual tables were asked as path functions: opening before Jan 1, closing before Feb 1, turnovers over January.
    const register = encodeURIComponent('AccumulationRegister_РасчетыСПокупателями');
    const paths = oneC.requests.map((r) => r.split('?')[0]!);
    expect(paths).toContain(`/trade/odata/standard.odata/${register}/Balance(Period=datetime'2026-01-01T00%3A00%3A00')`);
    expect(paths).toContain(`/trade/odata/standard.odata/${register}/Balance(Period=datetime'2026-02-01T00%3A00%3A00')`);
    expect(paths).toContain(`/trade/odata/standard.odata/${register}/Turnovers(StartPeriod=datetime'2026-01-01T00%3A00%3A00',EndPeriod=datetime'2026-01-31T23%3A59%3A59')`);
  });

  it('derives a part of a synced period from its documents', async () => {
    const view = await new SettlementService(t.db).forPeriod('00-000001', '2026-01-11', '2026-01-31');
    expect(view).toMatchObject({ basis: 'derived', opening: '11000.00', shipped: '0.00', paid: '3000.00', returns: '500.00', closing: '7500.00' });
    await expect(new SettlementService(t.db).forPeriod('00-000001', '2026-02-01', '2026-02-28')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('changes nothing when the same period is synced again, and replaces it when 1C changed it', async () => {
    const again = await syncAccountingSettlements(ctx(), source, { trigger: 'manual', period: JANUARY });
    expect(again).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: 3, documents: 4 });
    expect(await t.db.query(`SELECT count(*)::int AS n FROM settlement_document`)).toEqual([{ n: 4 }]);
    expect(await t.db.query(`SELECT count(*)::int AS n FROM dealer_settlement`)).toEqual([{ n: 3 }]);

    // The January payment is unposted in 1C: it leaves the hub too, and the figures follow.
    oneC.documents['Document_ПоступлениеНаСчет']![1]!.Posted = false;
    oneC.movements = movementsOf(oneC);
    const changed = await syncAccountingSettlements(ctx(), source, { trigger: 'manual', period: JANUARY });
    expect(changed).toMatchObject({ status: 'succeeded', created: 0, updated: 1, unchanged: 2, documents: 3 });
    expect(await new SettlementService(t.db).forPeriod('00-000001', '2026-01-01', '2026-01-31')).toMatchObject({ paid: '0.00', closing: '10500.00' });
    expect(await t.db.query(`SELECT count(*)::int AS n FROM settlement_document WHERE source_ref = 'p-jan'`)).toEqual([{ n: 0 }]);
  });

  it("records 1C's odata.error as a failed sync with 1C's words, and keeps what was stored", async () => {
    oneC.failOn = { path: /\/Turnovers\(/, status: 500, message: 'Ошибка при выполнении запроса: недостаточно прав на регистр' };
    const run = await syncAccountingSettlements(ctx(), source, { trigger: 'schedule', period: JANUARY });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'upstream_rejected', error: expect.stringContaining('недостаточно прав на регистр (1C code -1)') });
    expect((await listAccountingSyncs(t.db))[0]).toMatchObject({ id: run.id, status: 'failed' });
    expect(await new SettlementService(t.db).forPeriod('00-000001', '2026-01-01', '2026-01-31')).toMatchObject({ closing: '10500.00' });
  });

  it('records a refused password as a failed sync without the password anywhere', async () => {
    const wrong = new ODataAccountingSource({ url: oneC.url, user: 'hub', password: 'неверный-пароль', preset: resolvePreset('unf'), http: { maxAttempts: 1 } });
    const run = await syncAccountingDealers(ctx(), wrong, { trigger: 'manual' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'unauthorized', error: expect.stringContaining('HUB_1C_USER') });
    expect(JSON.stringify(run)).not.toContain('неверный-пароль');
  });
});

function counterparty(ref: string, code: string, name: string, inn: string | null, priceType: string | null, region: string | null, manager: string | null) {
  return {
    Ref_Key: ref,
    DataVersion: 'AAAAAQAAAAA=',
    DeletionMark: false,
    IsFolder: false,
    Code: code,
    Description: name,
    ИНН: inn ?? '',
    Регион: region ?? '',
    ВидЦен_Key: priceType ? `price-${priceType}` : '00000000-0000-0000-0000-000000000000',
    ...(priceType && { ВидЦен: { Ref_Key: `price-${priceType}`, Description: priceType } }),
    Ответственный_Key: manager ? `user-${manager}` : '00000000-0000-0000-0000-000000000000',
    ...(manager && { Ответственный: { Ref_Key: `user-${manager}`, Description: manager } }),
  };
}

function document(ref: string, number: string, date: string, counterpartyRef: string, amount: number, orderNumber?: string) {
  return { Ref_Key: ref, DataVersion: 'AAAAAQAAAAA=', DeletionMark: false, Number: number, Date: date, Posted: true, Контрагент_Key: counterpartyRef, СуммаДокумента: amount, ...(orderNumber && { НомерВходящегоДокумента: orderNumber }) };
}

/** The register's movements, as 1C posts them from the documents: shipments raise the debt, payments and returns lower it. */
function movementsOf(oneC: ODataStandIn) {
  const kinds: Record<string, 'Receipt' | 'Expense'> = { Document_РасходнаяНакладная: 'Receipt', Document_ПоступлениеНаСчет: 'Expense', Document_ПриходнаяНакладная: 'Expense' };
  return Object.entries(oneC.documents).flatMap(([set, docs]) =>
    docs
      .filter((d) => d.Posted)
      .map((d) => ({ period: String(d.Date), kind: kinds[set]!, counterparty: String(d.Контрагент_Key), contract: 'main', amount: Number(d.СуммаДокумента) })),
  );
}
