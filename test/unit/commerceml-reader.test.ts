import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { CommerceMlChunk, CommerceMlOrderDocument, CatalogueProduct, Offer } from '../../core/model/commerceml.ts';
import { CommerceMlReadError, readCommerceMl, type ReadCommerceMlOptions } from '../../mappings/commerceml/index.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/commerceml/${name}`, import.meta.url));

async function* parts(buffers: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of buffers) yield b;
}

/** Every chunk the reader yields, and the error it ended with (if any). */
async function read(input: Buffer | Buffer[], options?: ReadCommerceMlOptions): Promise<{ chunks: CommerceMlChunk[]; error?: unknown }> {
  const chunks: CommerceMlChunk[] = [];
  try {
    for await (const chunk of readCommerceMl(parts(Array.isArray(input) ? input : [input]), options)) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

async function readOk(input: Buffer | Buffer[], options?: ReadCommerceMlOptions): Promise<CommerceMlChunk[]> {
  const { chunks, error } = await read(input, options);
  if (error) throw error;
  return chunks;
}

const headerOf = (chunks: CommerceMlChunk[]) => {
  const first = chunks[0];
  if (first?.kind !== 'package') throw new Error('the first chunk is not the package header');
  return first;
};
const offersOf = (chunks: CommerceMlChunk[]): Offer[] => chunks.flatMap((c) => (c.kind === 'offers' ? c.offers : []));
const productsOf = (chunks: CommerceMlChunk[]): CatalogueProduct[] => chunks.flatMap((c) => (c.kind === 'products' ? c.products : []));
const documentsOf = (chunks: CommerceMlChunk[]): CommerceMlOrderDocument[] => chunks.flatMap((c) => (c.kind === 'documents' ? c.documents : []));
const problemsOf = (chunks: CommerceMlChunk[]) => chunks.flatMap((c) => ('problems' in c ? c.problems : []));

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The 1C order sample (a bare Документ, as irpsv/commerceml's test holds it) under a 2.03 root, in the encoding asked. */
function orderSample(encoding: 'utf-8' | 'windows-1251'): Buffer {
  const head = `<?xml version="1.0" encoding="${encoding}"?>\n<КоммерческаяИнформация ВерсияСхемы="2.03" ДатаФормирования="2007-10-30">\n`;
  const tail = '\n</КоммерческаяИнформация>\n';
  const fragment = fixture(encoding === 'utf-8' ? 'document-order-2.03.fragment.xml' : 'document-order-2.03.fragment.windows-1251.xml');
  return Buffer.concat([iconv.encode(head, encoding), fragment, iconv.encode(tail, encoding)]);
}

describe('readCommerceMl', () => {
  describe('when reading 1C’s offers.xml (2.07, default namespace urn:1C.ru:commerceml_2)', async () => {
    const chunks = await readOk(fixture('offers0_1.cut.xml'));
    const offers = offersOf(chunks);

    it('says first what the package is: offers, a full snapshot, with its catalogue and classifier', () => {
      expect(headerOf(chunks)).toEqual({
        kind: 'package',
        document: 'offers',
        schemaVersion: '2.07',
        generatedAt: '2018-02-24T20:40:50',
        onlyChanges: false,
        catalogueId: 'e0ebf92b-554b-4fbf-8dfa-26e48d6cf943',
        classifierId: 'e0ebf92b-554b-4fbf-8dfa-26e48d6cf943',
      });
    });

    it('reads the price type with its currency as 1C names it and VAT included', () => {
      expect(chunks.filter((c) => c.kind === 'priceTypes')).toEqual([
        { kind: 'priceTypes', priceTypes: [{ id: 'bb14a3a4-6b17-11e0-9819-e0cb4ed5eed4', name: 'Розничная', currency: 'RUB', vatIncluded: true, taxName: 'НДС' }] },
      ]);
      expect(chunks.filter((c) => c.kind === 'warehouses')).toEqual([
        {
          kind: 'warehouses',
          warehouses: [
            { id: 'b773bb6b-7556-11e0-96dc-e0cb4ed5eed4', name: 'Главный склад' },
            { id: 'b6112590-41ba-11dd-ac9d-0015e9b8c48d', name: 'Магазин "Обувь"' },
          ],
        },
      ]);
    });

    it('splits a guid#guid Ид into the product and its variant, and leaves a plain guid whole', () => {
      expect(offers).toHaveLength(8);
      expect(offers[0]).toMatchObject({
        id: 'bd72d910-55bc-11d9-848a-00112f43529a#90c55447-d3a8-11e4-9423-e0cb4ed5eed4',
        productId: 'bd72d910-55bc-11d9-848a-00112f43529a',
        variantId: '90c55447-d3a8-11e4-9423-e0cb4ed5eed4',
        article: 'Б-130001',
      });
      expect(offers[2]).toMatchObject({ id: 'bd72d927-55bc-11d9-848a-00112f43529a', productId: 'bd72d927-55bc-11d9-848a-00112f43529a' });
      expect(offers[2]).not.toHaveProperty('variantId');
    });

    it('takes prices from ЦенаЗаЕдиницу, never from Представление (" 1 719 RUB за пара", " 13,5 RUB за упак")', () => {
      expect(offers[0]!.prices).toEqual([{ priceTypeId: 'bb14a3a4-6b17-11e0-9819-e0cb4ed5eed4', unitPrice: '1719', currency: 'RUB', factor: '1' }]);
      expect(offers[6]!.prices![0]!.unitPrice).toBe('13.5');
      expect(offers[4]!.prices!.map((p) => p.unitPrice)).toEqual(['27700', '21900']);
    });

    it('reads Количество and the stock per warehouse from Склад@ИдСклада@КоличествоНаСкладе, as decimal strings', () => {
      expect(offers[5]).toMatchObject({
        quantity: '32',
        stock: [
          { warehouseId: 'b6112591-41ba-11dd-ac9d-0015e9b8c48d', quantity: '20' },
          { warehouseId: 'b6112592-41ba-11dd-ac9d-0015e9b8c48d', quantity: '12' },
        ],
      });
      expect(offers[7]).toMatchObject({ quantity: '30.5', stock: [{ warehouseId: 'b6112591-41ba-11dd-ac9d-0015e9b8c48d', quantity: '30.5' }] });
      // BOSCH: Количество 0 and no Склад element: the file says nothing per warehouse.
      expect(offers[3]).toMatchObject({ name: 'BOSCH', quantity: '0' });
      expect(offers[3]).not.toHaveProperty('stock');
      expect(problemsOf(chunks)).toEqual([]);
    });
  });

  describe('when reading 1C’s import.xml (nested groups, products)', async () => {
    const chunks = await readOk(fixture('import0_1.cut.xml'));

    it('is an import, a full snapshot (Каталог СодержитТолькоИзменения="false"), the classifier held until the header is known', () => {
      expect(headerOf(chunks)).toMatchObject({ document: 'import', schemaVersion: '2.07', onlyChanges: false, catalogueId: '2e4e0b79-48fb-4e11-9ded-62cc4d789479' });
      expect(chunks.map((c) => c.kind)).toEqual(['package', 'groups', 'products']);
    });

    it('flattens nested groups with their parent', () => {
      const groups = chunks.flatMap((c) => (c.kind === 'groups' ? c.groups : []));
      expect(groups).toHaveLength(19);
      expect(groups.find((g) => g.name === 'Блендер')).toEqual({ id: '5efe2587-6413-11e8-9572-708bcda42178', name: 'Блендер', parentId: '5efe2579-6413-11e8-9572-708bcda42178' });
      expect(groups[0]).toEqual({ id: '7bce3417-583e-11e8-8163-708bcda42178', name: 'Пральні машини' });
    });

    it('reads products: barcode, unit code as a string, groups, requisites; an empty Артикул is absent', () => {
      const products = productsOf(chunks);
      expect(products).toHaveLength(3);
      expect(products[1]).toEqual({
        id: '7ca16727-583a-11e8-8161-708bcda42178',
        barcode: '2063753890012',
        name: 'Телевізор BRAVIS LED-32G5000',
        unit: { code: '2009', name: 'Штука' },
        groupIds: ['2cd30ff7-43cf-11e8-aa63-708bcda42178'],
        properties: [],
        requisites: [
          { name: 'ВидНоменклатуры', value: 'велика побутова техніка' },
          { name: 'ТипНоменклатуры', value: 'Товар' },
          { name: 'Повне найменування', value: 'BRAVIS LED-32G5000' },
        ],
        deleted: false,
      });
    });
  });

  describe('when reading 1C’s order sample (2.03, no namespace, a bare Документ)', async () => {
    const chunks = await readOk(orderSample('utf-8'));
    const [document] = documentsOf(chunks);

    it('reads the order document with its buyer, lines and requisites, dates kept as sent', () => {
      expect(headerOf(chunks)).toMatchObject({ document: 'orders', schemaVersion: '2.03', containers: false });
      expect(document).toMatchObject({
        id: '36',
        number: '36',
        date: '2007-10-30',
        time: '15:19:27',
        operation: 'Заказ товара',
        currency: 'руб',
        amount: '6734.47',
        // a Bitrix contragent Ид "<userId>#<login>#<name>", only trimmed; the contact person inside is not a second party
        counterparties: [{ id: '1#admin# admin', name: 'admin', role: 'Покупатель' }],
      });
      expect(document!.lines).toEqual([
        { id: 'ORDER_DELIVERY', name: 'Доставка заказа', unitPrice: '340.00', quantity: '1', amount: '340.00' },
        { id: 'dee6e19a-55bc-11d9-848a-00112f43529a', name: 'Телевизор &quot;JVC&quot;', unitPrice: '6394.47', quantity: '1.00', amount: '6394.47' },
      ]);
      expect(document!.requisites).toContainEqual({ name: 'Дата изменения статуса', value: '2007-10-30 15:19:27' });
      expect(document!.requisites).toContainEqual({ name: 'Статус заказа', value: '[N] Принят' });
    });

    it('decodes entities exactly once: the double-escaped &amp;quot; stays the text &quot;', () => {
      expect(document!.lines[1]!.name).toBe('Телевизор &quot;JVC&quot;');
    });

    it('reads the same from windows-1251 bytes, because the declaration says so', async () => {
      const bytes = orderSample('windows-1251');
      expect(bytes.includes(Buffer.from('Заказ товара', 'utf8'))).toBe(false);
      expect(await readOk(bytes)).toEqual(chunks);
    });
  });

  describe('when the file is fed in 3 arbitrary byte chunks, split inside multi-byte characters', () => {
    const splitsInside = (bytes: Buffer): Buffer[] => {
      // a UTF-8 continuation byte (10xxxxxx): splitting before it cuts a character in two
      const inside = (from: number) => {
        for (let i = from; i < bytes.length; i++) if ((bytes[i]! & 0xc0) === 0x80) return i;
        throw new Error('no multi-byte character');
      };
      const a = inside(Math.floor(bytes.length / 3));
      const b = inside(Math.floor((2 * bytes.length) / 3));
      return [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)];
    };

    it('gives the same chunks as the whole file (UTF-8)', async () => {
      const bytes = fixture('offers0_1.cut.xml');
      const pieces = splitsInside(bytes);
      expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
      expect(await readOk(pieces, { batchSize: 3 })).toEqual(await readOk(bytes, { batchSize: 3 }));
    });

    it('gives the same chunks for UTF-16 with a BOM split mid-character and mid-BOM', async () => {
      const text = fixture('import0_1.cut.xml').toString('utf8').replace('encoding="UTF-8"', 'encoding="UTF-16"');
      const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      const pieces = [bytes.subarray(0, 1), bytes.subarray(1, 1001), bytes.subarray(1001)];
      expect(await readOk(pieces)).toEqual(await readOk(fixture('import0_1.cut.xml')));
    });

    it('reads a UTF-8 BOM and a declaration split over chunks', async () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture('offers0_1.cut.xml')]);
      const pieces = [bytes.subarray(0, 2), bytes.subarray(2, 20), bytes.subarray(20)];
      expect(await readOk(pieces)).toEqual(await readOk(fixture('offers0_1.cut.xml')));
    });

    it('reads from a Node Readable as well', async () => {
      const chunks: CommerceMlChunk[] = [];
      for await (const c of readCommerceMl(Readable.from(splitsInside(fixture('offers0_1.cut.xml'))))) chunks.push(c);
      expect(offersOf(chunks)).toHaveLength(8);
    });
  });

  describe('when reading in batches and resuming', async () => {
    const bytes = fixture('offers0_1.cut.xml');
    const all = offersOf(await readOk(bytes));

    it('never puts more than batchSize records in a chunk, and counts positions in records', async () => {
      const chunks = await readOk(bytes, { batchSize: 3 });
      const batches = chunks.filter((c) => c.kind === 'offers');
      expect(batches.map((c) => [c.position, c.offers.length])).toEqual([
        [0, 3],
        [3, 3],
        [6, 2],
      ]);
    });

    it('bounds classifier chunks by batchSize too, in document order', async () => {
      const chunks = await readOk(fixture('import0_1.cut.xml'), { batchSize: 5 });
      const groups = chunks.filter((c) => c.kind === 'groups');
      expect(groups.map((c) => c.groups.length)).toEqual([5, 5, 5, 4]);
      expect(groups.flatMap((c) => c.groups)).toEqual((await readOk(fixture('import0_1.cut.xml'))).flatMap((c) => (c.kind === 'groups' ? c.groups : [])));
      expect(chunks.map((c) => c.kind)).toEqual(['package', 'groups', 'groups', 'groups', 'groups', 'products']);
    });

    it('skipRecords resumes exactly after the records already stored', async () => {
      for (const skip of [0, 1, 3, 7, 8, 20]) {
        const chunks = await readOk(bytes, { batchSize: 3, skipRecords: skip });
        expect(offersOf(chunks)).toEqual(all.slice(skip));
        const first = chunks.find((c) => c.kind === 'offers');
        if (skip < all.length) expect(first).toMatchObject({ position: skip });
        // the header and the price types still come: they are not records
        expect(chunks.map((c) => c.kind).slice(0, 3)).toEqual(['package', 'priceTypes', 'warehouses']);
      }
    });
  });

  describe('when a document is refused or broken', () => {
    it('refuses a DOCTYPE (XXE) with a clear error and expands nothing', async () => {
      const xxe = utf8(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE КоммерческаяИнформация [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' +
          '<КоммерческаяИнформация ВерсияСхемы="2.05"><Документ><Ид>&xxe;</Ид></Документ></КоммерческаяИнформация>',
      );
      const { chunks, error } = await read(xxe);
      expect(chunks).toEqual([]);
      expect(error).toBeInstanceOf(CommerceMlReadError);
      expect((error as Error).message).toMatch(/refused: the document has a DOCTYPE/);
      expect((error as CommerceMlReadError).line).toBe(2);
    });

    it('yields the records before a truncation, then a clear error with line and column', async () => {
      const whole = fixture('offers0_1.cut.xml').toString('utf8');
      const cut = whole.indexOf('<Наименование>Вентилятор BINATONE');
      const { chunks, error } = await read(utf8(whole.slice(0, cut)), { batchSize: 2 });
      expect(offersOf(chunks).map((o) => o.article)).toEqual(['Б-130001', 'Б-130001', 'КВ- 900', 'Х-1234', 'Х-6666']);
      expect(error).toBeInstanceOf(CommerceMlReadError);
      expect((error as CommerceMlReadError).line).toBeGreaterThan(100);
      expect((error as Error).message).toMatch(/^broken XML: .*\(line \d+, column \d+\)$/s);
    });

    it('reports mismatched tags at their line', async () => {
      const text = '<?xml version="1.0"?>\n<КоммерческаяИнформация ВерсияСхемы="2.05">\n<Документ><Ид>1</Ид></Документ>\n<Документ><Ид>2</Номер></Документ>\n</КоммерческаяИнформация>';
      const { chunks, error } = await read(utf8(text));
      expect(documentsOf(chunks).map((d) => d.id)).toEqual(['1']);
      expect((error as CommerceMlReadError).line).toBe(4);
    });

    it('keeps the records of a complete root when junk follows it, then reports the junk', async () => {
      const text = '<КоммерческаяИнформация ВерсияСхемы="2.05"><Документ><Ид>1</Ид></Документ><Документ><Ид>2</Ид></Документ></КоммерческаяИнформация>\n<Документ>';
      const { chunks, error } = await read(utf8(text));
      expect(documentsOf(chunks).map((d) => d.id)).toEqual(['1', '2']);
      expect(error).toBeInstanceOf(CommerceMlReadError);
    });

    it('refuses an empty file', async () => {
      const { chunks, error } = await read(Buffer.alloc(0));
      expect(chunks).toEqual([]);
      expect(error).toBeInstanceOf(CommerceMlReadError);
    });

    it('refuses an XML file that is not CommerceML', async () => {
      const { error } = await read(utf8('<?xml version="1.0"?><rss><channel/></rss>'));
      expect((error as Error).message).toMatch(/not a CommerceML document/);
    });

    it('reads a document without a declared encoding in the charset the transport gave, and UTF-8 otherwise', async () => {
      const text = '<?xml version="1.0"?><КоммерческаяИнформация ВерсияСхемы="2.03"><Документ><Ид>1</Ид><ХозОперация>Заказ товара</ХозОперация></Документ></КоммерческаяИнформация>';
      const asCharset = await readOk(iconv.encode(text, 'windows-1251'), { encoding: 'windows-1251' });
      expect(documentsOf(asCharset)[0]!.operation).toBe('Заказ товара');
      expect(await readOk(utf8(text))).toEqual(asCharset);
      // a declared encoding wins over the transport's
      const declared = await readOk(iconv.encode(text.replace('version="1.0"', 'version="1.0" encoding="windows-1251"'), 'windows-1251'), { encoding: 'utf-8' });
      expect(documentsOf(declared)[0]!.operation).toBe('Заказ товара');
    });

    it('refuses an encoding it cannot decode', async () => {
      const { error } = await read(utf8('<?xml version="1.0" encoding="x-klingon"?><КоммерческаяИнформация/>'));
      expect(error).toBeInstanceOf(CommerceMlReadError);
      expect((error as Error).message).toMatch(/x-klingon/);
    });
  });

  describe('when reading the format’s gotchas (FORMATS.md §6)', () => {
    const catalogue = (products: string, root = 'ВерсияСхемы="2.05"') =>
      utf8(`<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ${root}><Каталог СодержитТолькоИзменения="true"><Ид>c1</Ид><Товары>${products}</Товары></Каталог></КоммерческаяИнформация>`);

    it('matches names by local name whatever the namespace or prefix', async () => {
      const plain = await readOk(catalogue('<Товар><Ид>p1</Ид><Наименование>Болт</Наименование></Товар>'));
      const prefixed = await readOk(
        utf8(
          '<?xml version="1.0" encoding="UTF-8"?><cml:КоммерческаяИнформация xmlns:cml="urn:1C.ru:commerceml_3" cml:ВерсияСхемы="2.05">' +
            '<cml:Каталог cml:СодержитТолькоИзменения="true"><cml:Ид>c1</cml:Ид><cml:Товары><cml:Товар><cml:Ид>p1</cml:Ид><cml:Наименование>Болт</cml:Наименование></cml:Товар></cml:Товары></cml:Каталог></cml:КоммерческаяИнформация>',
        ),
      );
      expect(prefixed).toEqual(plain);
      expect(headerOf(plain)).toMatchObject({ document: 'import', onlyChanges: true, catalogueId: 'c1' });
    });

    it('trims a unit code sent as "796 " and keeps it a string; keeps comma decimals in property values as sent', async () => {
      const [product] = productsOf(
        await readOk(
          catalogue(
            '<Товар><Ид>p1</Ид><Наименование>\n\t\tГайка М8\n\t</Наименование><БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>' +
              '<ЗначенияСвойств><ЗначенияСвойства><Ид>weight</Ид><Значение>1,4</Значение></ЗначенияСвойства><ЗначенияСвойства><Ид>d</Ид><Значение> 0,01 </Значение></ЗначенияСвойства></ЗначенияСвойств>' +
              '<Изготовитель><Ид>m1</Ид><Наименование>ООО &quot;Крепёж&quot;</Наименование></Изготовитель></Товар>',
          ),
        ),
      );
      expect(product).toMatchObject({
        name: 'Гайка М8',
        unit: { code: '796', name: 'шт' },
        properties: [
          { propertyId: 'weight', value: '1,4' },
          { propertyId: 'd', value: '0,01' },
        ],
        manufacturer: 'ООО "Крепёж"',
      });
    });

    it('marks deleted products (Статус="Удален", ПометкаУдаления) and reports a Товар without Ид as a problem, not a throw', async () => {
      const chunks = await readOk(
        catalogue(
          '<Товар Статус="Удален"><Ид>gone</Ид><Наименование>Старый</Наименование></Товар>' +
            '<Товар><Наименование>Без Ид</Наименование></Товар>' +
            '<Товар><Ид>marked</Ид><Наименование>Помечен</Наименование><ПометкаУдаления>true</ПометкаУдаления></Товар>' +
            '<Товар><Ид>ok</Ид><Наименование>Живой</Наименование></Товар>',
        ),
      );
      expect(productsOf(chunks).map((p) => [p.id, p.deleted])).toEqual([
        ['gone', true],
        ['marked', true],
        ['ok', false],
      ]);
      expect(problemsOf(chunks)).toEqual([{ ref: '#1', message: 'a Товар without Ид ("Без Ид")' }]);
    });

    it('counts a record that gave only a problem in the chunk\'s records, so the next position follows on', async () => {
      const bytes = catalogue(
        '<Товар><Ид>a</Ид><Наименование>A</Наименование></Товар>' +
          '<Товар><Наименование>Без Ид</Наименование></Товар>' +
          '<Товар><Ид>c</Ид><Наименование>C</Наименование></Товар>' +
          '<Товар><Ид>d</Ид><Наименование>D</Наименование></Товар>',
      );
      const batches = (await readOk(bytes, { batchSize: 2 })).filter((c) => c.kind === 'products');
      expect(batches.map((c) => [c.position, c.records, c.products.map((p) => p.id)])).toEqual([
        [0, 2, ['a']],
        [2, 2, ['c', 'd']],
      ]);
      // Resuming at position + records re-reads nothing already applied.
      expect(productsOf(await readOk(bytes, { batchSize: 2, skipRecords: 2 })).map((p) => p.id)).toEqual(['c', 'd']);
    });

    it('reads properties with their choices (Справочник)', async () => {
      const chunks = await readOk(
        utf8(
          '<КоммерческаяИнформация ВерсияСхемы="2.10"><Классификатор><Ид>k</Ид><Свойства><Свойство><Ид>brand</Ид><Наименование>Производитель</Наименование><ТипЗначений>Справочник</ТипЗначений>' +
            '<ВариантыЗначений><Справочник><ИдЗначения>b1</ИдЗначения><Значение>АОЗТ "Молоко"</Значение></Справочник></ВариантыЗначений></Свойство>' +
            '<Свойство><Ид>w</Ид><Наименование>Вес</Наименование><ТипЗначений>Число</ТипЗначений></Свойство></Свойства></Классификатор></КоммерческаяИнформация>',
        ),
      );
      expect(headerOf(chunks)).toMatchObject({ document: 'import', classifierId: 'k' });
      expect(chunks[1]).toEqual({
        kind: 'properties',
        properties: [
          { id: 'brand', name: 'Производитель', valueType: 'Справочник', choices: [{ id: 'b1', value: 'АОЗТ "Молоко"' }] },
          { id: 'w', name: 'Вес', valueType: 'Число', choices: [] },
        ],
      });
    });

    it('ignores Представление: a price with only display text is a problem, the offer stays', async () => {
      const chunks = await readOk(
        utf8(
          '<КоммерческаяИнформация ВерсияСхемы="2.05"><ПакетПредложений СодержитТолькоИзменения="true"><Предложения>' +
            '<Предложение><Ид>a#v</Ид><Цены><Цена><Представление>2 042,66 руб. за шт</Представление><ИдТипаЦены>opt</ИдТипаЦены><ЦенаЗаЕдиницу>2042.66</ЦенаЗаЕдиницу><Валюта>руб</Валюта><Единица>шт</Единица><Коэффициент>1</Коэффициент></Цена>' +
            '<Цена><Представление>2 042,66 руб. за шт</Представление><ИдТипаЦены>rozn</ИдТипаЦены></Цена></Цены><Количество> 1 000 </Количество>' +
            '<Склад ИдСклада="w1" КоличествоНаСкладе="999"/><Склад><Ид>w2</Ид><Количество>1</Количество></Склад></Предложение>' +
            '</Предложения></ПакетПредложений></КоммерческаяИнформация>',
        ),
      );
      expect(offersOf(chunks)).toEqual([
        {
          id: 'a#v',
          productId: 'a',
          variantId: 'v',
          prices: [{ priceTypeId: 'opt', unitPrice: '2042.66', currency: 'руб', unit: 'шт', factor: '1' }],
          quantity: '1000',
          stock: [
            { warehouseId: 'w1', quantity: '999' },
            { warehouseId: 'w2', quantity: '1' },
          ],
        },
      ]);
      expect(problemsOf(chunks)).toEqual([{ ref: 'a#v', message: 'the Цена of type rozn has no number in ЦенаЗаЕдиницу ("") and is skipped' }]);
      expect(headerOf(chunks)).toMatchObject({ document: 'offers', onlyChanges: true });
    });

    it('reads 3.1 prices.xml and rests.xml (Остатки/Остаток/Склад) and tells them apart by content', async () => {
      const pkg = (offers: string) =>
        utf8(
          `<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_3" ВерсияСхемы="3.1" ДатаФормирования="2021-02-11T18:45:21"><ПакетПредложений СодержитТолькоИзменения="false"><Ид>c#</Ид><ИдКаталога>c</ИдКаталога><Предложения>${offers}</Предложения></ПакетПредложений></КоммерческаяИнформация>`,
        );
      const prices = await readOk(pkg('<Предложение><Ид>p1</Ид><Цены><Цена><ИдТипаЦены>t</ИдТипаЦены><ЦенаЗаЕдиницу>10.50</ЦенаЗаЕдиницу></Цена></Цены></Предложение>'));
      expect(headerOf(prices)).toMatchObject({ document: 'prices', schemaVersion: '3.1', catalogueId: 'c' });
      expect(offersOf(prices)[0]).not.toHaveProperty('stock');

      const rests = await readOk(
        pkg('<Предложение><Ид>p1#x</Ид><Остатки><Остаток><Склад><Ид>w1</Ид><Количество>5</Количество></Склад></Остаток><Остаток><Склад><Ид>w2</Ид><Количество>0.5</Количество></Склад></Остаток></Остатки></Предложение>'),
      );
      expect(headerOf(rests)).toMatchObject({ document: 'rests' });
      expect(offersOf(rests)).toEqual([
        {
          id: 'p1#x',
          productId: 'p1',
          variantId: 'x',
          stock: [
            { warehouseId: 'w1', quantity: '5' },
            { warehouseId: 'w2', quantity: '0.5' },
          ],
        },
      ]);
    });

    it('reads order documents in a Контейнер (2.08+), including ones that come back with only ЗначенияРеквизитов', async () => {
      const chunks = await readOk(
        utf8(
          '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.10" ДатаФормирования="2021-02-11T18:45:21"><Контейнер><Документ><Ид>HUB-1</Ид><Номер>HUB-1</Номер><Дата>2021-02-11</Дата>' +
            '<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>ЦБ-00042</Значение></ЗначениеРеквизита>' +
            '<ЗначениеРеквизита><Наименование>Дата по 1С</Наименование><Значение>11.02.2021 18:45:21</Значение></ЗначениеРеквизита>' +
            '<ЗначениеРеквизита><Наименование>ПометкаУдаления</Наименование><Значение>false</Значение></ЗначениеРеквизита>' +
            '<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Документ>' +
            '<Документ><Ид>pay-7</Ид><Номер>7</Номер><Дата>2021-02-12</Дата><ХозОперация>Выплата безналичных денег</ХозОперация><Валюта>руб</Валюта><Сумма>1 500.00</Сумма><Основание>HUB-1</Основание></Документ></Контейнер></КоммерческаяИнформация>',
        ),
      );
      expect(headerOf(chunks)).toMatchObject({ document: 'orders', schemaVersion: '2.10', containers: true });
      expect(documentsOf(chunks)).toEqual([
        {
          id: 'HUB-1',
          number: 'HUB-1',
          date: '2021-02-11',
          counterparties: [],
          lines: [],
          requisites: [
            { name: 'Номер по 1С', value: 'ЦБ-00042' },
            { name: 'Дата по 1С', value: '11.02.2021 18:45:21' },
            { name: 'ПометкаУдаления', value: 'false' },
            { name: 'Проведен', value: 'true' },
          ],
        },
        { id: 'pay-7', number: '7', date: '2021-02-12', operation: 'Выплата безналичных денег', currency: 'руб', amount: '1500.00', counterparties: [], lines: [], requisites: [], basis: 'HUB-1' },
      ]);
    });

    it('treats an empty exchange answer as an orders package with nothing in it', async () => {
      expect(await readOk(utf8('<КоммерческаяИнформация ВерсияСхемы="2.03" ДатаФормирования="2007-10-30">\n</КоммерческаяИнформация>'))).toEqual([
        { kind: 'package', document: 'orders', schemaVersion: '2.03', generatedAt: '2007-10-30', onlyChanges: false },
      ]);
    });
  });
});
