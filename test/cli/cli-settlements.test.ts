import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub } from '../helpers/cli.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { startODataStandIn, type ODataStandIn } from '../helpers/onec-odata-stand-in.ts';
import { pdfText } from '../helpers/pdf-text.ts';

const ROMASHKA = '4b1e0c2a-1111-11ee-8c90-0242ac120002';

/** `hub 1c …` and `hub settlements …` against PostgreSQL and a 1C OData stand-in, as an accountant runs them. */
describe('hub CLI for 1C settlements', { timeout: 120_000 }, () => {
  let t: TestDatabase;
  let oneC: ODataStandIn;
  let dir: string;
  const env = () => ({
    DATABASE_URL: t.url,
    REDIS_URL: undefined,
    HUB_1C_ODATA_URL: oneC.url,
    HUB_1C_USER: 'hub',
    HUB_1C_PASSWORD: 'секрет-не-печатать',
    HUB_1C_PRESET: 'ut11',
    // This infobase's price type is on the counterparty, not on the partner: an override of the preset.
    HUB_1C_OVERRIDES: JSON.stringify({ counterparties: { fields: { priceColumn: 'ВидЦен/Description', region: null, manager: null } } }),
    HUB_1C_DEFAULT_REGION: 'RU',
    HUB_1C_COMPANY_NAME: 'АО Завод',
  });
  const hub = (...args: string[]) => runHub(env(), ...args);

  beforeAll(async () => {
    t = await createTestPostgres();
    dir = await mkdtemp(join(tmpdir(), 'orderhub-1c-'));
    oneC = await startODataStandIn({ user: 'hub', password: 'секрет-не-печатать' });
    await t.db.query(`INSERT INTO region (id, code, name, level, path) VALUES (gen_random_uuid()::text, 'RU', 'Россия', 'country', '/RU/')`);
    oneC.counterparties.push({
      Ref_Key: ROMASHKA, DeletionMark: false, IsFolder: false, Code: 'R-1', Description: 'ООО Ромашка', ИНН: '7701234567',
      ВидЦен_Key: 'p-1', ВидЦен: { Ref_Key: 'p-1', Description: 'Оптовая' },
    });
    oneC.documents['Document_РеализацияТоваровУслуг'] = [
      { Ref_Key: 's-1', Number: '00ЦБ-000101', Date: '2026-01-10T12:30:00', Posted: true, Контрагент_Key: ROMASHKA, СуммаДокумента: 5000 },
    ];
    oneC.documents['Document_ПоступлениеБезналичныхДенежныхСредств'] = [
      { Ref_Key: 'p-1', Number: '00ЦБ-000120', Date: '2026-01-25T00:00:00', Posted: true, Контрагент_Key: ROMASHKA, СуммаДокумента: 2000 },
    ];
    oneC.documents['Document_ВозвратТоваровОтКлиента'] = [];
    oneC.movements = [
      { period: '2025-12-01T00:00:00', kind: 'Receipt', counterparty: ROMASHKA, contract: 'a', amount: 1000 },
      { period: '2026-01-10T12:30:00', kind: 'Receipt', counterparty: ROMASHKA, contract: 'a', amount: 5000 },
      { period: '2026-01-25T00:00:00', kind: 'Expense', counterparty: ROMASHKA, contract: 'a', amount: 2000 },
    ];
  });

  afterAll(async () => {
    await oneC?.close();
    await t?.drop();
  });

  it('syncs dealers and a period, shows the settlements as a table and writes the statement', async () => {
    const check = await hub('1c', 'check');
    expect(check.stdout).toContain('1C OData answers; 5 objects published.');
    const dealers = await hub('1c', 'sync-dealers');
    expect(dealers.stderr).toBe('');
    expect(dealers.stdout).toContain('1C dealers sync succeeded: 1 read, 1 new, 0 changed, 0 unchanged, 0 failed.');

    const settlements = await hub('1c', 'sync-settlements', '--from', '2026-01-01', '--to', '2026-01-31');
    expect(settlements.stdout).toContain('1C settlements sync for 2026-01-01…2026-01-31 succeeded: 1 read, 1 new, 0 changed, 0 unchanged, 0 failed, 2 documents.');

    const show = await hub('settlements', 'show', 'R-1', '--from', '2026-01-01', '--to', '2026-01-31');
    expect(show.code).toBe(0);
    const lines = show.stdout.split('\n');
    expect(lines[0]).toBe('ООО Ромашка (R-1, ИНН 7701234567), 2026-01-01…2026-01-31, RUB');
    expect(lines[1]).toMatch(/^\s*OPENING\s+SHIPPED\s+PAID\s+RETURNS\s+CLOSING\s+OVERDUE\s+CREDIT LIMIT$/);
    // Thousands are separated by a no-break space, as in a Russian document.
    expect(lines[2]!.replace(/\u00a0/g, ' ').trim().split(/\s{2,}/)).toEqual(['1 000,00', '5 000,00', '2 000,00', '0,00', '4 000,00', '—', '—']);
    expect(show.stdout).toMatch(/2026-01-10\s+shipment\s+00ЦБ-000101\s+5\u00a0000,00/);

    const csvFile = join(dir, 'akt.csv');
    const csv = await hub('settlements', 'statement', 'R-1', '--from', '2026-01-01', '--to', '2026-01-31', '--format', 'csv', '--out', csvFile);
    expect(csv.code).toBe(0);
    expect((await readFile(csvFile)).subarray(3).toString('utf8')).toContain(';Сальдо конечное;4000,00;');

    const pdfFile = join(dir, 'akt.pdf');
    expect((await hub('settlements', 'statement', 'R-1', '--from', '2026-01-01', '--to', '2026-01-31', '--format', 'pdf', '--out', pdfFile)).code).toBe(0);
    expect(pdfText(await readFile(pdfFile)).text).toContain('между АО Завод и ООО Ромашка (ИНН 7701234567)');

    for (const result of [dealers, settlements, show]) expect(result.stdout + result.stderr).not.toContain('секрет-не-печатать');
  });

  it("fails with 1C's words and exit code 1 when 1C refuses, and lists the failed sync", async () => {
    oneC.failOn = { path: /Balance/, status: 500, message: 'Нет доступа к регистру РасчетыСКлиентами' };
    const failed = await hub('1c', 'sync-settlements', '--from', '2026-01-01', '--to', '2026-01-31');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Нет доступа к регистру РасчетыСКлиентами');
    expect(failed.stdout + failed.stderr).not.toContain('секрет-не-печатать');
    const syncs = await hub('1c', 'syncs');
    expect(syncs.stdout.split('\n')[1]).toMatch(/settlements\s+odata\s+2026-01-01…2026-01-31\s+failed/);
  });
});
