import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { CommerceMlChunk } from '../../core/model/commerceml.ts';
import { readCommerceMl, writeOrdersDocument, type OrderForOneC } from '../../mappings/commerceml/index.ts';

const order: OrderForOneC = {
  id: 'HUB-2026-0042',
  number: 'PO-42',
  date: '2026-12-04',
  time: '09:15:00',
  currency: 'RUB',
  amount: '4085.32',
  buyer: { code: 'D-017', name: 'ООО "Ромашка" & сыновья', taxId: '7723240668', kpp: '772301001' },
  comment: 'Доставка до 12:00 <склад №2>',
  lines: [
    {
      id: 'bd72d910-55bc-11d9-848a-00112f43529a#90c55447-d3a8-11e4-9423-e0cb4ed5eed4',
      name: 'Женские ботфорты коричневые (38)',
      article: 'Б-130001',
      unit: { code: '715', name: 'пар' },
      unitPrice: '1719.00',
      quantity: '2',
      amount: '3438.00',
    },
    { id: 'SKU-EURO', name: 'Адаптер ★ 2,5 мм', unit: { code: '796', name: 'шт' }, unitPrice: '647.32', quantity: '1', amount: '647.32' },
  ],
  requisites: [
    { name: 'Статус заказа', value: '[N] Принят' },
    { name: 'Дата изменения статуса', value: '2026-12-04 09:15:00' },
  ],
};

async function readBack(bytes: Buffer): Promise<CommerceMlChunk[]> {
  const chunks: CommerceMlChunk[] = [];
  for await (const chunk of readCommerceMl(Readable.from([bytes]))) chunks.push(chunk);
  return chunks;
}

describe('writeOrdersDocument', () => {
  describe('when writing the 2.05 profile in windows-1251', () => {
    const bytes = writeOrdersDocument([order], { profile: '2.05', encoding: 'windows-1251', generatedAt: '2026-12-04T09:20:00' });
    const text = iconv.decode(bytes, 'windows-1251');

    it('declares windows-1251 and is encoded in it (one byte per Cyrillic letter)', () => {
      expect(bytes.subarray(0, 45).toString('latin1')).toBe('<?xml version="1.0" encoding="windows-1251"?>');
      expect(bytes.includes(iconv.encode('Заказ товара', 'windows-1251'))).toBe(true);
      expect(bytes.includes(Buffer.from('Заказ товара', 'utf8'))).toBe(false);
    });

    it('puts Документ directly under the root, with 1C’s fields and "руб" for RUB', () => {
      expect(text).toContain('<КоммерческаяИнформация ВерсияСхемы="2.05" ДатаФормирования="2026-12-04T09:20:00">\n\t<Документ>');
      expect(text).not.toContain('Контейнер');
      for (const line of ['<ХозОперация>Заказ товара</ХозОперация>', '<Роль>Продавец</Роль>', '<Валюта>руб</Валюта>', '<Курс>1</Курс>', '<Роль>Покупатель</Роль>', '<ИНН>7723240668</ИНН>']) {
        expect(text).toContain(line);
      }
      expect(text).toContain('<БазоваяЕдиница Код="715">пар</БазоваяЕдиница>');
    });

    it('writes a character windows-1251 lacks as a character reference, never "?"', () => {
      expect(text).toContain('Адаптер &#9733; 2,5 мм');
    });

    it('reads back through readCommerceMl: what was written is what 1C gets', async () => {
      const chunks = await readBack(bytes);
      expect(chunks[0]).toMatchObject({ kind: 'package', document: 'orders', schemaVersion: '2.05', containers: false });
      const documents = chunks.flatMap((c) => (c.kind === 'documents' ? c.documents : []));
      expect(documents).toEqual([
        {
          id: 'HUB-2026-0042',
          number: 'PO-42',
          date: '2026-12-04',
          time: '09:15:00',
          operation: 'Заказ товара',
          currency: 'руб',
          amount: '4085.32',
          counterparties: [{ id: 'D-017', name: 'ООО "Ромашка" & сыновья', role: 'Покупатель' }],
          lines: [
            { id: 'bd72d910-55bc-11d9-848a-00112f43529a#90c55447-d3a8-11e4-9423-e0cb4ed5eed4', name: 'Женские ботфорты коричневые (38)', unitPrice: '1719.00', quantity: '2', amount: '3438.00' },
            { id: 'SKU-EURO', name: 'Адаптер ★ 2,5 мм', unitPrice: '647.32', quantity: '1', amount: '647.32' },
          ],
          requisites: order.requisites,
        },
      ]);
    });
  });

  describe('when writing the 2.10 profile in UTF-8', () => {
    const second: OrderForOneC = { ...order, id: 'HUB-2026-0043', number: 'PO-43', currency: 'USD', rate: '92.5', lines: [] };
    const bytes = writeOrdersDocument([order, second], { profile: '2.10', encoding: 'utf-8', currencyNames: { USD: 'USD' } });
    const text = bytes.toString('utf8');

    it('wraps every Документ in a Контейнер and declares UTF-8', () => {
      expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="2.10"')).toBe(true);
      expect(text.match(/<Контейнер>\n\t\t<Документ>/g)).toHaveLength(2);
      expect(text).toContain('Адаптер ★ 2,5 мм');
      expect(text).toContain('<Валюта>USD</Валюта>\n\t\t\t<Курс>92.5</Курс>');
    });

    it('reads back with containers and both documents in order', async () => {
      const chunks = await readBack(bytes);
      expect(chunks[0]).toMatchObject({ document: 'orders', schemaVersion: '2.10', containers: true });
      const documents = chunks.flatMap((c) => (c.kind === 'documents' ? c.documents : []));
      expect(documents.map((d) => [d.id, d.currency, d.lines.length])).toEqual([
        ['HUB-2026-0042', 'руб', 2],
        ['HUB-2026-0043', 'USD', 0],
      ]);
    });
  });

  it('writes an empty document when there is nothing to send (1C then sees no orders)', async () => {
    const bytes = writeOrdersDocument([], { profile: '2.08', encoding: 'windows-1251', generatedAt: '2026-12-04T09:20:00' });
    expect(iconv.decode(bytes, 'windows-1251')).toBe(
      '<?xml version="1.0" encoding="windows-1251"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2026-12-04T09:20:00">\n</КоммерческаяИнформация>\n',
    );
    expect(await readBack(bytes)).toEqual([{ kind: 'package', document: 'orders', schemaVersion: '2.08', generatedAt: '2026-12-04T09:20:00', onlyChanges: false }]);
  });
});
