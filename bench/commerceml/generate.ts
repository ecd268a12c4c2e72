/**
 * Generated CommerceML files for the benches, written as streams (a 1M-offer file is over a GB).
 *
 * - `writeSampleClones`: offers.xml made of one offer of the real 1C sample in test/fixtures/commerceml
 *   (offers0_1.cut.xml) copied with a different Ид per copy (bench/commerceml: reading only).
 * - `writeCatalogue`: an import.xml and a matching offers.xml for an import into the hub
 *   (bench/commerceml-import), shaped like the samples (import0_1.cut.xml's Товар, offers0_1.cut.xml's
 *   Предложение) but with 4 price types and stock in 2 warehouses per offer, and a product in every
 *   five sold as two variants (`guid#guid` offers). A delta (СодержитТолькоИзменения="true") carries
 *   every `deltaEvery`-th offer with a new price and quantity.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/commerceml/offers0_1.cut.xml', import.meta.url));

/** The sample's head (declaration … <Предложения>), its first offer, and its tail. */
function sampleParts(): { head: string; offer: string; tail: string } {
  const text = readFileSync(FIXTURE, 'utf8');
  const start = text.indexOf('<Предложения>') + '<Предложения>'.length;
  const first = text.indexOf('<Предложение>', start);
  const end = text.indexOf('</Предложение>', first) + '</Предложение>'.length;
  const tail = text.slice(text.indexOf('</Предложения>'));
  return { head: text.slice(0, start), offer: text.slice(first, end), tail: '\n\t\t' + tail };
}

async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function close(out: Writable, text: string): Promise<void> {
  out.end(text);
  await once(out, 'finish');
}

export async function writeSampleClones(file: string, offers: number): Promise<void> {
  const { head, offer, tail } = sampleParts();
  const guid = /<Ид>([0-9a-f-]{36})#([0-9a-f-]{36})<\/Ид>/.exec(offer);
  if (!guid) throw new Error('the sample offer has no guid#guid Ид');
  const out = createWriteStream(file);
  out.write(head);
  for (let i = 0; i < offers; i++) {
    const hex = i.toString(16).padStart(12, '0');
    const id = `${guid[1]!.slice(0, 24)}${hex}#${guid[2]}`;
    await put(out, '\n\t\t\t' + offer.replace(guid[0], `<Ид>${id}</Ид>`));
  }
  await close(out, tail);
}

// ---- a catalogue for the import bench --------------------------------------------------------------------------------

export const CATALOGUE_ID = 'be0c0000-0000-4000-8000-00000000ca7a';
export const PRICE_TYPES = [
  ['be0c0000-0000-4000-8000-0000000000p1', 'Розничная'],
  ['be0c0000-0000-4000-8000-0000000000p2', 'Оптовая'],
  ['be0c0000-0000-4000-8000-0000000000p3', 'Дилерская'],
  ['be0c0000-0000-4000-8000-0000000000p4', 'Закупочная'],
] as const;
export const WAREHOUSES = [
  ['be0c0000-0000-4000-8000-0000000000w1', 'Главный склад'],
  ['be0c0000-0000-4000-8000-0000000000w2', 'Магазин "Обувь"'],
] as const;
const GROUP = ['be0c0000-0000-4000-8000-00000000g001', 'Телевізори'] as const;
/** One product in this many is sold as two variants. */
const VARIANT_EVERY = 5;

const productId = (i: number) => `be0c0000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const variantId = (i: number, v: number) => `${productId(i)}#be0c0001-0000-4000-8000-${v.toString(16).padStart(12, '0')}`;

/** The products (and how many offers they make) for `offers` offers: 4 plain + 2 variants per 5 products. */
export function productsFor(offers: number): number {
  return Math.ceil((offers * VARIANT_EVERY) / (VARIANT_EVERY + 1));
}

function header(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="2.07" ДатаФормирования="2026-12-04T12:00:00">`;
}

function product(i: number): string {
  return `
			<Товар>
				<Ид>${productId(i)}</Ид>
				<Штрихкод>${(2063753890012 + i).toString()}</Штрихкод>
				<Артикул>BENCH-${i}</Артикул>
				<Наименование>Телевізор BRAVIS LED-${i} Smart</Наименование>
				<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">
					<Пересчет>
						<Единица>796</Единица>
						<Коэффициент>1</Коэффициент>
					</Пересчет>
				</БазоваяЕдиница>
				<Группы>
					<Ид>${GROUP[0]}</Ид>
				</Группы>
				<Описание/>
				<ЗначенияРеквизитов>
					<ЗначениеРеквизита>
						<Наименование>ВидНоменклатуры</Наименование>
						<Значение>велика побутова техніка</Значение>
					</ЗначениеРеквизита>
					<ЗначениеРеквизита>
						<Наименование>ТипНоменклатуры</Наименование>
						<Значение>Товар</Значение>
					</ЗначениеРеквизита>
				</ЗначенияРеквизитов>
			</Товар>`;
}

/** An offer as offers0_1.cut.xml writes one, with 4 prices and 2 warehouses; `round` shifts price and stock (a delta's change). */
function offer(id: string, name: string, article: string, n: number, round: number): string {
  const base = 1000 + (n % 9000) + round * 7;
  const prices = PRICE_TYPES.map(([type], k) => {
    const value = (base - k * 50).toString();
    return `
					<Цена>
						<Представление> ${value} RUB за шт</Представление>
						<ИдТипаЦены>${type}</ИдТипаЦены>
						<ЦенаЗаЕдиницу>${value}</ЦенаЗаЕдиницу>
						<Валюта>RUB</Валюта>
						<Коэффициент>1</Коэффициент>
					</Цена>`;
  }).join('');
  const a = (n % 40) + round;
  const b = (n % 7) + (round > 0 ? 1 : 0);
  return `
			<Предложение>
				<Ид>${id}</Ид>
				<Артикул>${article}</Артикул>
				<Наименование>${name}</Наименование>
				<БазоваяЕдиница Код="796" НаименованиеПолное="Штука">
					<Пересчет>
						<Единица>796</Единица>
						<Коэффициент>1</Коэффициент>
					</Пересчет>
				</БазоваяЕдиница>
				<Цены>${prices}
				</Цены>
				<Количество>${a + b}</Количество>
				<Склад ИдСклада="${WAREHOUSES[0][0]}" КоличествоНаСкладе="${a}"/>
				<Склад ИдСклада="${WAREHOUSES[1][0]}" КоличествоНаСкладе="${b}"/>
			</Предложение>`;
}

export async function writeImport(file: string, offers: number): Promise<number> {
  const products = productsFor(offers);
  const out = createWriteStream(file);
  out.write(`${header()}
	<Классификатор>
		<Ид>${CATALOGUE_ID}</Ид>
		<Наименование>Классификатор (Каталог товаров BENCH)</Наименование>
		<Группы>
			<Группа>
				<Ид>${GROUP[0]}</Ид>
				<Наименование>${GROUP[1]}</Наименование>
			</Группа>
		</Группы>
	</Классификатор>
	<Каталог СодержитТолькоИзменения="false">
		<Ид>${CATALOGUE_ID}</Ид>
		<ИдКлассификатора>${CATALOGUE_ID}</ИдКлассификатора>
		<Наименование>Каталог товаров BENCH</Наименование>
		<Товары>`);
  for (let i = 0; i < products; i++) await put(out, product(i));
  await close(out, `
		</Товары>
	</Каталог>
</КоммерческаяИнформация>
`);
  return products;
}

/**
 * offers.xml for `offers` offers (a full snapshot), or with `delta` only every `delta.every`-th offer,
 * changed (price and stock), as СодержитТолькоИзменения="true". Returns the offers written.
 */
export async function writeOffers(file: string, offers: number, delta?: { every: number }): Promise<number> {
  const out = createWriteStream(file);
  const types = PRICE_TYPES.map(([id, name]) => `
			<ТипЦены>
				<Ид>${id}</Ид>
				<Наименование>${name}</Наименование>
				<Валюта>RUB</Валюта>
				<Налог>
					<Наименование>НДС</Наименование>
					<УчтеноВСумме>true</УчтеноВСумме>
					<Акциз>false</Акциз>
				</Налог>
			</ТипЦены>`).join('');
  const stores = WAREHOUSES.map(([id, name]) => `
			<Склад>
				<Ид>${id}</Ид>
				<Наименование>${name.replace(/"/g, '&quot;')}</Наименование>
			</Склад>`).join('');
  out.write(`${header()}
	<ПакетПредложений СодержитТолькоИзменения="${delta ? 'true' : 'false'}">
		<Ид>${CATALOGUE_ID}#</Ид>
		<Наименование>Пакет предложений (Каталог товаров BENCH)</Наименование>
		<ИдКаталога>${CATALOGUE_ID}</ИдКаталога>
		<ИдКлассификатора>${CATALOGUE_ID}</ИдКлассификатора>
		<ТипыЦен>${types}
		</ТипыЦен>
		<Склады>${stores}
		</Склады>
		<Предложения>`);
  let n = 0;
  let written = 0;
  const round = delta ? 1 : 0;
  for (let i = 0; n < offers; i++) {
    const ids = i % VARIANT_EVERY === 0 ? [variantId(i, 1), variantId(i, 2)] : [productId(i)];
    for (const [v, id] of ids.entries()) {
      if (n >= offers) break;
      const variant = id.includes('#');
      if (!delta || n % delta.every === 0) {
        const name = variant ? `Телевізор BRAVIS LED-${i} Smart (${v === 0 ? 'чорний' : 'білий'})` : `Телевізор BRAVIS LED-${i} Smart`;
        await put(out, offer(id, name, variant ? `BENCH-${i}-${v + 1}` : `BENCH-${i}`, n, round));
        written += 1;
      }
      n += 1;
    }
  }
  await close(out, `
		</Предложения>
	</ПакетПредложений>
</КоммерческаяИнформация>
`);
  return written;
}
