import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { RegionService } from '../../core/regions/region-service.ts';
import { loadConfig } from '../../jobs/config.ts';
import { createHub, type Hub } from '../../jobs/hub.ts';
import { onecExchangePorts } from '../../jobs/onec-exchange.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { createTestPostgres, type TestDatabase } from '../helpers/databases.ts';
import { freePort } from '../helpers/free-port.ts';
import { startODataStandIn, type ODataStandIn } from '../helpers/onec-odata-stand-in.ts';
import { OneCStandIn } from '../helpers/onec-stand-in.ts';
import { pdfText } from '../helpers/pdf-text.ts';

/**
 * Issue 13's "done when", over real HTTP against real PostgreSQL: a stand-in 1C loads a catalogue
 * (import.xml, the verbatim 1C fixture) and an offers.xml with four price types and stock per
 * warehouse through the exchange as 1C drives it; a dealer's purchase is priced from its column and
 * goes to 1C on sale&mode=query; 1C's answer (its number, status and a partial payment) updates the
 * order; the accountant syncs settlements from an OData stand-in and downloads the reconciliation
 * statement; the dealer's own user sees only its column's prices.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/commerceml/${name}`, import.meta.url));

// From import0_1.cut.xml (1C output, kept verbatim): its catalogue and three products (no Артикул, so their SKU is the 1C Ид).
const CATALOGUE = '2e4e0b79-48fb-4e11-9ded-62cc4d789479';
const BRAVIS_49 = '1a9ea3cb-d61a-11e9-810b-e0d55e56c3c9';
const BRAVIS_32 = '7ca16727-583a-11e8-8161-708bcda42178';
const ERGO = '7bce3407-583e-11e8-8163-708bcda42178';
// A characteristic of the ERGO set, as 1C writes a variant's offer: <product>#<characteristic>.
const ERGO_BLACK = `${ERGO}#90c55447-d3a8-11e4-9423-e0cb4ed5eed4`;

const PRICE_TYPES = {
  retail: { id: 'bb14a3a4-6b17-11e0-9819-e0cb4ed5eed4', name: 'Розничная' },
  wholesale: { id: 'bb14a3a5-6b17-11e0-9819-e0cb4ed5eed4', name: 'Крупный опт' },
  small: { id: 'bb14a3a6-6b17-11e0-9819-e0cb4ed5eed4', name: 'Мелкий опт' },
  dealer: { id: 'bb14a3a7-6b17-11e0-9819-e0cb4ed5eed4', name: 'Дилерская' },
};
const MAIN_STORE = 'b773bb6b-7556-11e0-96dc-e0cb4ed5eed4';
const SHOP_STORE = 'b6112590-41ba-11dd-ac9d-0015e9b8c48d';

/** Per item, the price in each column (retail, wholesale, small, dealer) and stock per warehouse. */
const OFFERS: { id: string; article?: string; name?: string; prices: [string, string, string, string]; stock: Record<string, string> }[] = [
  { id: BRAVIS_49, prices: ['21900', '17500', '18900', '16800'], stock: { [MAIN_STORE]: '5', [SHOP_STORE]: '3' } },
  { id: BRAVIS_32, prices: ['9990', '7900', '8490', '7600'], stock: { [MAIN_STORE]: '12' } },
  { id: ERGO, prices: ['14500', '11600', '12300', '11000'], stock: { [MAIN_STORE]: '2' } },
  { id: ERGO_BLACK, article: 'LE43DF3000-BLK', name: 'ERGO LE43DF3000 (чёрный)', prices: ['14900', '11900', '12600.50', '11300'], stock: { [MAIN_STORE]: '4', [SHOP_STORE]: '1' } },
];

/**
 * offers.xml in the shape of 1C's own (test/fixtures/commerceml/offers0_1.cut.xml: a bare
 * Классификатор, ПакетПредложений with ИдКаталога, ТипыЦен, Склады, Предложения with Цены and
 * Склад@КоличествоНаСкладе), built here because no 1C sample has four price types for the products
 * of import0_1; written in windows-1251, as many exchange modules send it.
 */
function offersXml(): Buffer {
  const types = Object.values(PRICE_TYPES);
  const xml = `<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="2.07" ДатаФормирования="2026-12-05T09:00:00">
	<Классификатор>
		<Ид>${CATALOGUE}</Ид>
		<Наименование>Классификатор (Каталог товарів 2E4E0B79)</Наименование>
	</Классификатор>
	<ПакетПредложений СодержитТолькоИзменения="false">
		<Ид>${CATALOGUE}#</Ид>
		<Наименование>Пакет предложений (Каталог товарів 2E4E0B79)</Наименование>
		<ИдКаталога>${CATALOGUE}</ИдКаталога>
		<ИдКлассификатора>${CATALOGUE}</ИдКлассификатора>
		<ТипыЦен>
${types
  .map(
    (t) => `			<ТипЦены>
				<Ид>${t.id}</Ид>
				<Наименование>${t.name}</Наименование>
				<Валюта>руб</Валюта>
				<Налог>
					<Наименование>НДС</Наименование>
					<УчтеноВСумме>true</УчтеноВСумме>
					<Акциз>false</Акциз>
				</Налог>
			</ТипЦены>`,
  )
  .join('\n')}
		</ТипыЦен>
		<Склады>
			<Склад>
				<Ид>${MAIN_STORE}</Ид>
				<Наименование>Главный склад</Наименование>
			</Склад>
			<Склад>
				<Ид>${SHOP_STORE}</Ид>
				<Наименование>Магазин "Обувь"</Наименование>
			</Склад>
		</Склады>
		<Предложения>
${OFFERS.map(
  (o) => `			<Предложение>
				<Ид>${o.id}</Ид>
${o.article ? `				<Артикул>${o.article}</Артикул>\n` : ''}${o.name ? `				<Наименование>${o.name}</Наименование>\n` : ''}				<БазоваяЕдиница Код="796" НаименованиеПолное="Штука">
					<Пересчет>
						<Единица>796</Единица>
						<Коэффициент>1</Коэффициент>
					</Пересчет>
				</БазоваяЕдиница>
				<Цены>
${types
  .map(
    (t, i) => `					<Цена>
						<Представление> ${o.prices[i]} руб за шт</Представление>
						<ИдТипаЦены>${t.id}</ИдТипаЦены>
						<ЦенаЗаЕдиницу>${o.prices[i]}</ЦенаЗаЕдиницу>
						<Валюта>руб</Валюта>
						<Коэффициент>1</Коэффициент>
					</Цена>`,
  )
  .join('\n')}
				</Цены>
				<Количество>${Object.values(o.stock).reduce((a, b) => a + Number(b), 0)}</Количество>
${Object.entries(o.stock)
  .map(([w, q]) => `				<Склад ИдСклада="${w}" КоличествоНаСкладе="${q}"/>`)
  .join('\n')}
			</Предложение>`,
).join('\n')}
		</Предложения>
	</ПакетПредложений>
</КоммерческаяИнформация>
`;
  return iconv.encode(xml, 'windows-1251');
}

/** A decimal as the API writes it: no trailing zeros ("12600.50" → "12600.5"). */
const decimal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);

const DEALER = '00-000001';
const DEALER_REF = '4b1e0c2a-1111-11ee-8c90-0242ac120002';
const DECEMBER = { from: '2026-12-01', to: '2026-12-31' };

describe('1C end to end: catalogue, a dealer purchase to 1C and back, settlements and the statement', { timeout: 300_000 }, () => {
  let t: TestDatabase;
  let hub: Hub;
  let app: FastifyInstance;
  let base: string;
  let oneC: ODataStandIn;
  const users = {} as Record<'admin' | 'desk' | 'accountant' | 'head' | 'integration', TestUser>;
  const INTEGRATION_PASSWORD = 'обмен-с-сайтом-1С';
  let orderId: string;

  const api = async (user: TestUser, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...user.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
  };
  const json = <T = Record<string, unknown>>(r: { bytes: Buffer }) => JSON.parse(r.bytes.toString('utf8')) as T;

  beforeAll(async () => {
    t = await createTestPostgres();
    oneC = await startODataStandIn({ user: 'hub', password: 'секрет-1С', register: 'AccumulationRegister_РасчетыСПокупателями' });
    hub = await createHub(
      loadConfig({
        HUB_1C_ODATA_URL: oneC.url,
        HUB_1C_USER: 'hub',
        HUB_1C_PASSWORD: 'секрет-1С',
        HUB_1C_PRESET: 'unf',
        HUB_1C_DEFAULT_REGION: 'RU',
        HUB_1C_COMPANY_NAME: 'АО "Завод Телевизоров"',
      }),
      { db: t.db, schedules: false },
    );
    app = await buildApp({ db: t.db, catalog: hub.catalog, actions: hub.actions, onec: { ports: onecExchangePorts(t.db) } });
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;

    users.admin = await makeUser(t.db, { roles: ['admin'] });
    users.desk = await makeUser(t.db, { roles: ['desk'] });
    users.accountant = await makeUser(t.db, { roles: ['accountant'] });
    users.integration = await makeUser(t.db, { login: 'onec', roles: ['integration'], password: INTEGRATION_PASSWORD });
    await new RegionService(t.db).load([
      { code: 'RU', name: 'Россия', level: 'country' },
      { code: 'RU-MOW', name: 'Москва', level: 'region', parentCode: 'RU' },
    ]);
    // The 1C channel: dealer purchases go to 1C, 1C's "[N] Принят" is the hub's in_progress; small chunks so files go in pieces.
    await hub.channels.create({ name: '1C УТ', connectorType: 'onec-exchange', config: { fileLimit: 4096, ordersTo1c: 'dealer_purchases', statusMap: { '[N] Принят': 'in_progress' } } });
  });

  afterAll(async () => {
    await app?.close();
    await hub?.close();
    await oneC?.close();
    await t?.drop();
  });

  it('loads the catalogue: import.xml and offers.xml, each sent in several chunks and imported until success', async () => {
    const exchange = new OneCStandIn(base, users.integration.login, INTEGRATION_PASSWORD);
    const auth = await exchange.checkauth('catalog');
    expect(auth[0]).toBe('success');
    const init = await exchange.call({ type: 'catalog', mode: 'init' });
    expect(init.lines).toEqual(['zip=no', 'file_limit=4096']);
    const limit = Number(init.lines[1]!.split('=')[1]);

    for (const [name, bytes] of [['import.xml', fixture('import0_1.cut.xml')], ['offers.xml', offersXml()]] as const) {
      const sent = await exchange.sendFile('catalog', name, bytes, limit);
      expect(sent.length, name).toBeGreaterThan(1);
      expect(sent.every((a) => a[0] === 'success'), name).toBe(true);
      const answers = await exchange.importUntilDone('catalog', name);
      expect(answers.at(-1)![0], `${name}: ${answers.at(-1)!.join(' ')}`).toBe('success');
    }
    // 1C's module ends with mode=complete (newer) — nothing left to do.
    expect((await exchange.call({ type: 'catalog', mode: 'complete' })).lines[0]).toBe('success');

    const columns = json<{ items: { code: string; name: string; currency: string; vatIncluded: boolean }[] }>(await api(users.accountant, 'GET', '/v1/price-columns')).items;
    expect(columns.map((c) => [c.name, c.currency, c.vatIncluded]).sort()).toEqual(Object.values(PRICE_TYPES).map((p) => [p.name, 'RUB', true]).sort());

    const products = json<{ items: { id: string; sku: string; externalId: string; parentId: string | null; name: string; active: boolean; stock: { warehouse: string; onHand: string }[]; prices: { column: string; unitPrice: string }[] }[] }>(
      await api(users.accountant, 'GET', '/v1/products?limit=50'),
    ).items;
    expect(products.map((p) => p.externalId).sort()).toEqual([BRAVIS_49, BRAVIS_32, ERGO, ERGO_BLACK].sort());
    // The full offers.xml deactivates nothing: every product of import.xml is still active.
    expect(products.every((p) => p.active)).toBe(true);
    const tv = products.find((p) => p.externalId === BRAVIS_49)!;
    expect(tv).toMatchObject({ sku: BRAVIS_49, name: 'Телевізор BRAVIS LED-49E6000 Smart' });
    expect(tv.stock.map((s) => [s.warehouse, s.onHand]).sort()).toEqual([[MAIN_STORE, '5'], [SHOP_STORE, '3']].sort());
    expect(tv.prices.map((p) => [p.column, p.unitPrice]).sort()).toEqual(Object.values(PRICE_TYPES).map((p, i) => [p.id, decimal(OFFERS[0]!.prices[i]!)]).sort());
    const variant = products.find((p) => p.externalId === ERGO_BLACK)!;
    expect(variant).toMatchObject({ sku: 'LE43DF3000-BLK', name: 'ERGO LE43DF3000 (чёрный)', parentId: products.find((p) => p.externalId === ERGO)!.id });
    expect(variant.stock.map((s) => [s.warehouse, s.onHand]).sort()).toEqual([[MAIN_STORE, '4'], [SHOP_STORE, '1']].sort());

    // The exchange log shows the session as succeeded, with both files imported.
    const sessions = json<{ items: { id: string; status: string; type: string }[] }>(await api(users.accountant, 'GET', '/v1/onec/exchanges')).items;
    expect(sessions[0]).toMatchObject({ type: 'catalog', status: 'succeeded' });
  });

  it('takes a later exchange of offers.xml alone (prices and stock) without deactivating products it does not describe', async () => {
    const exchange = new OneCStandIn(base, users.integration.login, INTEGRATION_PASSWORD);
    await exchange.checkauth('catalog');
    await exchange.call({ type: 'catalog', mode: 'init' });
    await exchange.sendFile('catalog', 'offers.xml', offersXml(), 4096);
    expect((await exchange.importUntilDone('catalog', 'offers.xml')).at(-1)![0]).toBe('success');
    const products = json<{ items: { active: boolean }[] }>(await api(users.accountant, 'GET', '/v1/products?limit=50')).items;
    expect(products).toHaveLength(4);
    expect(products.every((p) => p.active)).toBe(true);
  });

  it("prices the dealer's purchase from its column, by the column's name", async () => {
    // The dealer as staff register it, its price column named as 1C names the price type.
    const created = await api(users.admin, 'POST', '/v1/dealers', { code: DEALER, name: 'ООО "Ромашка"', mainRegion: 'RU-MOW', authorised: true, wholeRange: true, priceColumn: PRICE_TYPES.small.name });
    expect(created.status, created.bytes.toString()).toBe(201);
    users.head = await makeUser(t.db, { roles: ['dealer_head'], dealer: DEALER });

    const desk = await api(users.admin, 'POST', '/v1/channels', { name: 'Dealer portal', connectorType: 'manual', config: {} });
    expect(desk.status, desk.bytes.toString()).toBe(201);
    const deskId = json<{ id: string }>(desk).id;
    const placed = await api(users.desk, 'POST', `/v1/channels/${deskId}/orders`, {
      via: 'dealer_portal',
      dealerCode: DEALER,
      externalId: 'DP-1001',
      number: 'DP-1001',
      region: 'RU-MOW',
      customer: { name: 'ООО "Ромашка"', company: 'ООО "Ромашка"' },
      currency: 'RUB',
      lines: [
        { sku: BRAVIS_49, name: 'Телевізор BRAVIS LED-49E6000 Smart', quantity: '2' },
        { sku: 'LE43DF3000-BLK', name: 'ERGO LE43DF3000 (чёрный)', quantity: '1' },
      ],
    });
    expect(placed.status, placed.bytes.toString()).toBe(201);
    orderId = json<{ orderId: string }>(placed).orderId;

    const order = json<{ totals: { total: string }; source: Record<string, unknown>; lines: { sku: string; unitPrice: string; total: string; attributes: Record<string, unknown> }[] }>(
      await api(users.admin, 'GET', `/v1/orders/${orderId}`),
    );
    expect(order.source).toMatchObject({ dealerCode: DEALER });
    expect(order.lines.map((l) => [l.sku, l.unitPrice, l.total, l.attributes.priceColumn])).toEqual([
      [BRAVIS_49, '18900', '37800', PRICE_TYPES.small.id],
      ['LE43DF3000-BLK', '12600.5', '12600.5', PRICE_TYPES.small.id],
    ]);
    expect(order.totals.total).toBe('50400.5');
  });

  it('sends the purchase to 1C on sale&mode=query (windows-1251) and takes 1C\'s number, status and a partial payment back', async () => {
    const exchange = new OneCStandIn(base, users.integration.login, INTEGRATION_PASSWORD);
    expect((await exchange.checkauth('sale'))[0]).toBe('success');
    const init = await exchange.call({ type: 'sale', mode: 'init', version: '2.09' });
    expect(init.lines).toEqual(['zip=no', 'file_limit=4096', `sessid=${exchange.sessid}`, 'version=2.09']);

    const query = await exchange.call({ type: 'sale', mode: 'query' });
    expect(query.contentType).toBe('application/xml; charset=windows-1251');
    const document = iconv.decode(query.bytes, 'windows-1251');
    expect(document.startsWith('<?xml version="1.0" encoding="windows-1251"?>')).toBe(true);
    // The 2.08 profile: the Документ inside a Контейнер, with the dealer as 1C knows it and the column's prices.
    expect(document).toContain(`<Контейнер>\n\t\t<Документ>\n\t\t\t<Ид>${orderId}</Ид>\n\t\t\t<Номер>DP-1001</Номер>`);
    expect(document).toContain('<ХозОперация>Заказ товара</ХозОперация>');
    expect(document).toContain('<Валюта>руб</Валюта>');
    expect(document).toContain('<Сумма>50400.5</Сумма>');
    expect(document).toMatch(/<Контрагент>\s*<Ид>00-000001<\/Ид>\s*<Наименование>ООО "Ромашка"<\/Наименование>[\s\S]*<Роль>Покупатель<\/Роль>/);
    expect(document).toMatch(new RegExp(`<Товар>\\s*<Ид>${BRAVIS_49}</Ид>\\s*<Наименование>Телевізор BRAVIS LED-49E6000 Smart</Наименование>\\s*<БазоваяЕдиница Код="2009">Штука</БазоваяЕдиница>\\s*<ЦенаЗаЕдиницу>18900</ЦенаЗаЕдиницу>\\s*<Количество>2</Количество>\\s*<Сумма>37800</Сумма>`));
    expect(document).toMatch(new RegExp(`<Товар>\\s*<Ид>${ERGO_BLACK}</Ид>\\s*<Артикул>LE43DF3000-BLK</Артикул>[\\s\\S]*?<ЦенаЗаЕдиницу>12600.5</ЦенаЗаЕдиницу>`));
    expect((await exchange.call({ type: 'sale', mode: 'success' })).lines[0]).toBe('success');

    // 1C's answer: the order with its number and date in 1C and its status, and a bank payment for part of the sum.
    const answer = iconv.encode(
      `<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2026-12-05T11:20:00">
	<Контейнер>
		<Документ>
			<Ид>${orderId}</Ид>
			<Номер>DP-1001</Номер>
			<Дата>2026-12-05</Дата>
			<ХозОперация>Заказ товара</ХозОперация>
			<Роль>Продавец</Роль>
			<Валюта>руб</Валюта>
			<Курс>1</Курс>
			<Сумма>50400.5</Сумма>
			<Контрагенты>
				<Контрагент>
					<Ид>00-000001</Ид>
					<Наименование>ООО "Ромашка"</Наименование>
					<Роль>Покупатель</Роль>
				</Контрагент>
			</Контрагенты>
			<Время>11:15:02</Время>
			<ЗначенияРеквизитов>
				<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000777</Значение></ЗначениеРеквизита>
				<ЗначениеРеквизита><Наименование>Дата по 1С</Наименование><Значение>2026-12-05 11:15:02</Значение></ЗначениеРеквизита>
				<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>
				<ЗначениеРеквизита><Наименование>ПометкаУдаления</Наименование><Значение>false</Значение></ЗначениеРеквизита>
				<ЗначениеРеквизита><Наименование>Статус заказа</Наименование><Значение>[N] Принят</Значение></ЗначениеРеквизита>
			</ЗначенияРеквизитов>
		</Документ>
	</Контейнер>
	<Контейнер>
		<Документ>
			<Ид>a0c7c3e2-92f1-11f1-8d4e-0242ac120002</Ид>
			<Номер>ПБ-000045</Номер>
			<Дата>2026-12-05</Дата>
			<ХозОперация>Выплата безналичных денег</ХозОперация>
			<Роль>Продавец</Роль>
			<Валюта>руб</Валюта>
			<Курс>1</Курс>
			<Сумма>20000.00</Сумма>
			<Основание>DP-1001</Основание>
			<ЗначенияРеквизитов>
				<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>
			</ЗначенияРеквизитов>
		</Документ>
	</Контейнер>
</КоммерческаяИнформация>
`,
      'windows-1251',
    );
    const sent = await exchange.sendFile('sale', 'from1c.xml', answer, 1024);
    expect(sent.length).toBeGreaterThan(1);
    const imported = await exchange.importUntilDone('sale', 'from1c.xml');
    expect(imported.at(-1)![0], imported.at(-1)!.join(' ')).toBe('success');

    const order = json<{ status: string; accounting: Record<string, unknown> }>(await api(users.admin, 'GET', `/v1/orders/${orderId}`));
    expect(order.status).toBe('in_progress');
    expect(order.accounting).toMatchObject({
      onec: { number: 'УТ-000777', date: '2026-12-05 11:15:02', posted: true, deletionMark: false, status: '[N] Принят', exportedVersion: 1 },
      paid: '20000',
      paymentState: 'partially_paid',
      documents: [{ kind: 'payment', number: 'ПБ-000045', amount: '20000', operation: 'Выплата безналичных денег', posted: true, deleted: false }],
    });

    // Confirmed at its version: the next exchange does not send the order again.
    const next = new OneCStandIn(base, users.integration.login, INTEGRATION_PASSWORD);
    await next.checkauth('sale');
    expect(iconv.decode((await next.call({ type: 'sale', mode: 'query' })).bytes, 'windows-1251')).not.toContain(orderId);
  });

  it("lets the accountant sync the dealer's settlements from 1C (OData) and download the reconciliation statement", async () => {
    oneC.counterparties.push({
      Ref_Key: DEALER_REF, DataVersion: 'AAAAAQAAAAA=', DeletionMark: false, IsFolder: false, Code: DEALER, Description: 'ООО "Ромашка"', ИНН: '7701234567',
      ВидЦен_Key: 'price-small', ВидЦен: { Ref_Key: 'price-small', Description: PRICE_TYPES.small.name },
      Ответственный_Key: 'user-1', Ответственный: { Ref_Key: 'user-1', Description: 'Иванова А.' },
    });
    const doc = (ref: string, number: string, date: string, amount: number) => ({ Ref_Key: ref, DataVersion: 'AAAAAQAAAAA=', DeletionMark: false, Number: number, Date: date, Posted: true, Контрагент_Key: DEALER_REF, СуммаДокумента: amount });
    oneC.documents['Document_РасходнаяНакладная'] = [doc('ship-nov', '00ЦБ-000090', '2026-11-20T10:00:00', 10_000), doc('ship-dec', '00ЦБ-000101', '2026-12-06T12:30:00', 50_400.5)];
    oneC.documents['Document_ПоступлениеНаСчет'] = [doc('pay-dec', '00ЦБ-000120', '2026-12-05T00:00:00', 20_000)];
    oneC.documents['Document_ПриходнаяНакладная'] = [];
    const kinds: Record<string, 'Receipt' | 'Expense'> = { Document_РасходнаяНакладная: 'Receipt', Document_ПоступлениеНаСчет: 'Expense', Document_ПриходнаяНакладная: 'Expense' };
    oneC.movements = Object.entries(oneC.documents).flatMap(([set, docs]) => docs.map((d) => ({ period: String(d.Date), kind: kinds[set]!, counterparty: DEALER_REF, contract: 'main', amount: Number(d.СуммаДокумента) })));

    const dealers = await api(users.accountant, 'POST', '/v1/accounting/sync', { what: 'dealers' });
    expect(dealers.status).toBe(200);
    expect(json(dealers)).toMatchObject({ kind: 'dealers', status: 'succeeded', received: 1, updated: 1 });
    const settlements = await api(users.accountant, 'POST', '/v1/accounting/sync', { what: 'settlements', ...DECEMBER });
    expect(json(settlements)).toMatchObject({ kind: 'settlements', status: 'succeeded', documents: 2 });

    const view = await api(users.accountant, 'GET', `/v1/dealers/${DEALER}/settlements?from=${DECEMBER.from}&to=${DECEMBER.to}`);
    expect(view.status).toBe(200);
    expect(json(view)).toMatchObject({ basis: 'exact', opening: '10000.00', shipped: '50400.50', paid: '20000.00', returns: '0.00', closing: '40400.50' });

    const csv = await api(users.accountant, 'GET', `/v1/dealers/${DEALER}/settlements/statement.csv?from=${DECEMBER.from}&to=${DECEMBER.to}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = csv.bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('Акт сверки взаимных расчетов за период 01.12.2026 – 31.12.2026');
    expect(lines).toContain(';Сальдо начальное;10000,00;');
    expect(lines).toContain('05.12.2026;Оплата № 00ЦБ-000120;;20000,00');
    expect(lines).toContain('06.12.2026;Реализация (отгрузка) № 00ЦБ-000101;50400,50;');
    expect(lines).toContain(';Сальдо конечное;40400,50;');

    const pdf = await api(users.accountant, 'GET', `/v1/dealers/${DEALER}/settlements/statement.pdf?from=${DECEMBER.from}&to=${DECEMBER.to}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const text = pdfText(pdf.bytes).text.replace(/\n/g, '');
    expect(text).toContain('Сальдо начальное10\u00a0000,00');
    expect(text).toContain('Оплата № 00ЦБ-000120');
    expect(text).toContain('20\u00a0000,00');
    expect(text).toContain('Сальдо конечное40\u00a0400,50');
  });

  it("shows the dealer's own user only its own column's prices", async () => {
    const products = json<{ items: { externalId: string; prices: { column: string; unitPrice: string }[] }[] }>(await api(users.head, 'GET', '/v1/products?limit=50')).items;
    expect(products).toHaveLength(4);
    for (const product of products) {
      const offer = OFFERS.find((o) => o.id === product.externalId)!;
      expect(product.prices.map((p) => [p.column, p.unitPrice]), product.externalId).toEqual([[PRICE_TYPES.small.id, decimal(offer.prices[2])]]);
    }
    // Staff see every column.
    const staff = json<{ items: { prices: unknown[] }[] }>(await api(users.accountant, 'GET', '/v1/products?limit=50')).items;
    expect(staff.every((p) => p.prices.length === 4)).toBe(true);
    // And the dealer's user reads its own settlements only.
    expect((await api(users.head, 'GET', `/v1/dealers/${DEALER}/settlements?from=${DECEMBER.from}&to=${DECEMBER.to}`)).status).toBe(200);
    expect((await api(users.head, 'GET', `/v1/dealers/00-000002/settlements?from=${DECEMBER.from}&to=${DECEMBER.to}`)).status).toBe(404);
  });
});
