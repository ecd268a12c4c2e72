import { describe, expect, it } from 'vitest';
import { odataError } from '../../connectors/onec/odata-source.ts';
import { ONEC_PRESETS, resolvePreset } from '../../connectors/onec/presets.ts';
import { loadConfig } from '../../jobs/config.ts';
import { dealersFrom1C, settlementsFrom1C } from '../../mappings/onec/accounting.ts';

const counterparty = (ref: string, code: string, name = `Дилер ${code}`) => ({ ref, code, name, taxId: ' 7701 ', priceColumn: ' ', region: null, manager: null, creditLimit: null });

describe('1C accounting: mapping, presets and settings', () => {
  describe('when counterparties become dealers', () => {
    it('trims what 1C pads, blanks become null, and reports codes a dealer cannot have', () => {
      const { dealers, problems } = dealersFrom1C([counterparty('r1', '00-01   '), counterparty('r2', 'A/B'), counterparty('r3', '00-01'), counterparty('r4', 'X', '  ')]);
      expect(dealers).toEqual([{ ref: 'r1', code: '00-01', name: 'Дилер 00-01', taxId: '7701', priceColumn: null, region: null, manager: null }]);
      expect(problems.map((p) => [p.dealer, p.message])).toEqual([
        ['A/B', expect.stringContaining('cannot be a dealer code')],
        ['00-01', expect.stringContaining('appears twice')],
        ['X', expect.stringContaining('has no name')],
      ]);
    });
  });

  describe('when settlements are read', () => {
    const period = { from: '2026-01-01', to: '2026-01-31' };
    const parties = [counterparty('r1', 'D1'), counterparty('r2', 'D2')];

    it('splits the expense into payments and returns by the return documents, and keeps cents exact', () => {
      const { settlements, problems } = settlementsFrom1C(
        period,
        [{ counterpartyRef: 'r1', opening: '1 000,10', receipt: 0.1, expense: '0.3', closing: 800.9, overdue: null, creditLimit: '50000' }],
        [
          { ref: 'd1', counterpartyRef: 'r1', kind: 'return', number: ' ВТ-1 ', date: '2026-01-05T10:00:00', amount: -0.2, orderNumber: '' },
          { ref: 'd2', counterpartyRef: 'r2', kind: 'payment', number: 'П-1', date: '2026-01-06T00:00:00', amount: 5, orderNumber: null },
          { ref: 'd3', counterpartyRef: 'r1', kind: 'payment', number: 'П-2', date: 'вчера', amount: 5, orderNumber: null },
        ],
        parties,
      );
      expect(settlements).toEqual([
        {
          dealerRef: 'r1',
          dealerCode: 'D1',
          figures: { opening: '1000.10', shipped: '0.10', paid: '0.10', returns: '0.20', closing: '800.90', overdue: null, creditLimit: '50000.00' },
          documents: [{ ref: 'd1', kind: 'return', number: 'ВТ-1', date: '2026-01-05T10:00:00.000Z', amount: '0.20', orderNumber: null }],
        },
      ]);
      expect(problems.map((p) => [p.dealer, p.message])).toEqual([
        ['D1', expect.stringContaining('date "вчера" is not a date')],
        ['D2', expect.stringContaining('1C gave no settlements for')],
      ]);
    });

    it('reports an amount that is not a number instead of storing it', () => {
      const { settlements, problems } = settlementsFrom1C(period, [{ counterpartyRef: 'r2', opening: 'n/a', receipt: 0, expense: 0, closing: 0, overdue: null, creditLimit: null }], [], parties);
      expect(settlements).toEqual([]);
      expect(problems).toEqual([{ dealer: 'D2', code: 'invalid_data', message: expect.stringContaining('not a number') }]);
    });
  });

  it("reads 1C's odata.error body, and nothing else", () => {
    expect(odataError('{"odata.error":{"code":"-1","message":{"lang":"ru","value":"Ошибка разбора"}}}')).toBe('Ошибка разбора (1C code -1)');
    expect(odataError('<html>502</html>')).toBeUndefined();
  });

  it('merges overrides over a preset: objects deeply, lists replaced; an unknown preset is refused', () => {
    const preset = resolvePreset('ut11', { register: { entitySet: 'AccumulationRegister_Взаиморасчеты' }, documents: [] });
    expect(preset.register).toEqual({ ...ONEC_PRESETS.ut11!.register, entitySet: 'AccumulationRegister_Взаиморасчеты' });
    expect(preset.documents).toEqual([]);
    expect(ONEC_PRESETS.ut11!.register.entitySet).toBe('AccumulationRegister_РасчетыСКлиентами');
    expect(() => resolvePreset('erp')).toThrow(/ut11, unf, bp30/);
  });

  describe('when the 1C settings are read', () => {
    it('leaves 1C off when no source is set, and reads an OData source', () => {
      expect(loadConfig({}).onec).toBeUndefined();
      expect(loadConfig({ HUB_1C_ODATA_URL: 'https://1c.example/trade/odata/standard.odata/', HUB_1C_USER: 'hub', HUB_1C_PASSWORD: 's3cret' }).onec).toMatchObject({
        source: 'odata',
        preset: 'ut11',
        user: 'hub',
        password: 's3cret',
        overrides: {},
      });
    });

    it('says everything wrong at once, without the password', () => {
      let message = '';
      try {
        loadConfig({ HUB_1C_ODATA_URL: 'https://1c.example/trade/', HUB_1C_PASSWORD: 's3cret', HUB_1C_PRESET: 'erp', HUB_1C_OVERRIDES: '[1]', HUB_1C_SCHEDULE: 'hourly' });
      } catch (error) {
        message = (error as Error).message;
      }
      for (const name of ['HUB_1C_ODATA_URL', 'HUB_1C_USER', 'HUB_1C_PRESET', 'HUB_1C_OVERRIDES', 'HUB_1C_SCHEDULE']) expect(message).toContain(name);
      expect(message).not.toContain('s3cret');
    });

    it('takes the web service when only it is set', () => {
      expect(loadConfig({ HUB_1C_SOAP_URL: 'http://1c.example/trade/ws/OrderhubSettlements.1cws', HUB_1C_USER: 'hub' }).onec).toMatchObject({ source: 'soap', soapWsdl: undefined });
    });
  });
});
