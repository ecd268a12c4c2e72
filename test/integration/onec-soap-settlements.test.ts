import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoapAccountingSource } from '../../connectors/onec/soap-source.ts';
import { SettlementService } from '../../core/settlements/settlement-service.ts';
import { syncAccountingDealers, syncAccountingSettlements } from '../../jobs/processors/accounting-sync.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { startSoapStandIn, type SoapStandIn } from '../helpers/onec-soap-stand-in.ts';

/**
 * Dealers and settlements from a 1C that implements the hub's OrderhubSettlements web service (a
 * stand-in built with `soap` from the project's WSDL, over real HTTP, Basic auth on the WSDL too).
 */
describe('1C over the OrderhubSettlements web service', { timeout: 60_000 }, () => {
  let t: TestDatabase;
  let oneC: SoapStandIn;
  let source: SoapAccountingSource;

  beforeAll(async () => {
    t = await createTestPostgres();
    oneC = await startSoapStandIn({ user: 'hub', password: 'пароль' });
    // The WSDL as 1C hands it out (behind the password); the address inside it is 1C's own, so the endpoint is given.
    source = new SoapAccountingSource({ wsdl: oneC.wsdlUrl, endpoint: oneC.url, user: 'hub', password: 'пароль' });
    await t.db.query(`INSERT INTO region (id, code, name, level, path) VALUES (gen_random_uuid()::text, 'RU-SPE', 'Санкт-Петербург', 'region', '/RU-SPE/')`);
    oneC.counterparties.push(
      { Ref: 'c-001', Code: 'К-001', Description: 'ИП Сидоров', INN: '780123456789', PriceType: 'Дилерская СПб', Region: 'Санкт-Петербург', Manager: 'Смирнова О.', CreditLimit: '500000.00' },
      { Ref: 'c-002', Code: 'К-002', Description: 'ООО Плитка', INN: null, PriceType: null, Region: 'RU-SPE', Manager: null, CreditLimit: null },
    );
    oneC.settlements.set('К-001', { DealerCode: 'К-001', OpeningBalance: '12000.00', Shipped: '8000.00', PaidAndReturned: '10000.00', ClosingBalance: '10000.00', OverdueDebt: '2000.00', CreditLimit: '500000.00' });
    oneC.documents.set('К-001', [
      { Ref: 'doc-1', Kind: 'shipment', Number: 'РТУ-0007', Date: '2026-03-03T15:20:00', Amount: '8000.00', OrderNumber: null },
      { Ref: 'doc-2', Kind: 'payment', Number: 'ПП-0450', Date: '2026-03-10T00:00:00', Amount: '9000.00', OrderNumber: null },
      { Ref: 'doc-3', Kind: 'return', Number: 'ВТ-0003', Date: '2026-03-20T00:00:00', Amount: '1000.00', OrderNumber: null },
    ]);
  });

  afterAll(async () => {
    await oneC?.close();
    await t?.drop();
  });

  it('reads the counterparties into dealers', async () => {
    const run = await syncAccountingDealers({ db: t.db }, source, { trigger: 'manual' });
    expect(run).toMatchObject({ source: 'soap', status: 'succeeded', received: 2, created: 2 });
    expect(await t.db.query(`SELECT code, price_column, tax_id, account_manager FROM dealer ORDER BY code`)).toEqual([
      { code: 'К-001', price_column: 'Дилерская СПб', tax_id: '780123456789', account_manager: 'Смирнова О.' },
      { code: 'К-002', price_column: null, tax_id: null, account_manager: null },
    ]);
    // A column staff set is kept while 1C gives none for the dealer.
    await t.db.query(`UPDATE dealer SET price_column = 'Опт-2' WHERE code = 'К-002'`);
    expect(await syncAccountingDealers({ db: t.db }, source, { trigger: 'manual' })).toMatchObject({ status: 'succeeded', created: 0, updated: 0, unchanged: 2 });
    expect(await t.db.query(`SELECT price_column FROM dealer WHERE code = 'К-002'`)).toEqual([{ price_column: 'Опт-2' }]);
  });

  it("stores a quarter's settlements with overdue debt and the credit limit, asking per dealer", async () => {
    const run = await syncAccountingSettlements({ db: t.db }, source, { trigger: 'manual', period: { from: '2026-03-01', to: '2026-03-31' } });
    expect(run).toMatchObject({ status: 'succeeded', created: 2, documents: 3 });
    expect(oneC.calls.filter((c) => c.operation === 'GetSettlements').map((c) => c.args)).toEqual([
      { DealerCode: 'К-001', DateFrom: '2026-03-01', DateTo: '2026-03-31' },
      { DealerCode: 'К-002', DateFrom: '2026-03-01', DateTo: '2026-03-31' },
    ]);
    const view = await new SettlementService(t.db).forPeriod('К-001', '2026-03-01', '2026-03-31');
    expect(view).toMatchObject({ opening: '12000.00', shipped: '8000.00', paid: '9000.00', returns: '1000.00', closing: '10000.00', overdue: '2000.00', creditLimit: '500000.00' });
    expect(view.documents.map((d) => d.date)).toEqual(['2026-03-03T15:20:00.000Z', '2026-03-10T00:00:00.000Z', '2026-03-20T00:00:00.000Z']);
  });

  it("records a SOAP fault as a failed sync with 1C's words", async () => {
    oneC.faultFor.set('К-002', 'Не удалось получить данные: договор не найден');
    const run = await syncAccountingSettlements({ db: t.db }, source, { trigger: 'manual', period: { from: '2026-03-01', to: '2026-03-31' } });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'upstream_rejected', error: expect.stringContaining('договор не найден') });
  });

  it('records a refused password as a failed sync', async () => {
    const wrong = new SoapAccountingSource({ wsdl: oneC.wsdlUrl, endpoint: oneC.url, user: 'hub', password: 'не тот' });
    expect(await wrong.check()).toMatchObject({ ok: false });
    const run = await syncAccountingDealers({ db: t.db }, wrong, { trigger: 'manual' });
    expect(run).toMatchObject({ status: 'failed' });
    expect(JSON.stringify(run)).not.toContain('не тот');
  });
});
