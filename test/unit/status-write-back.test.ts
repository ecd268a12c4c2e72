import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { Value } from '@sinclair/typebox/value';
import { createShoprenterConnector, type ShoprenterConfig } from '../../connectors/shoprenter/index.ts';
import { createUnasConnector, createUnasCustomConnector, resetUnasAuthCache } from '../../connectors/unas/index.ts';
import { createWooCommerceConnector } from '../../connectors/woocommerce/index.ts';
import { startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
import { createRegistry } from '../../jobs/registry.ts';
import { shoprenterMapping } from '../../mappings/shoprenter/index.ts';
import { unasMapping, unasOrderKey } from '../../mappings/unas/index.ts';
import { woocommerceMapping } from '../../mappings/woocommerce/index.ts';
import { rejection } from '../helpers/rejections.ts';

const http = { jitter: 0, baseDelayMs: 1, sleep: async () => undefined };

afterEach(() => nock.cleanAll());

describe('status write-back mapping (core status → channel status)', () => {
  const on = (statuses?: Record<string, string>) => ({ statusWriteBack: { enabled: true, ...(statuses && { statuses }) } });

  it('WooCommerce has defaults for the statuses it has, and a channel may override or add', () => {
    const woo = woocommerceMapping.statusWriteBack!;
    expect(['completed', 'cancelled', 'in_progress', 'refunded', 'on_hold'].map((s) => woo.statusOf(s, on()))).toEqual([
      { status: 'completed' },
      { status: 'cancelled' },
      { status: 'processing' },
      { status: 'refunded' },
      { status: 'on-hold' },
    ]);
    expect(woo.statusOf('shipped', on())).toEqual({ skip: expect.stringContaining('mapping.statusWriteBack.statuses.shipped') });
    expect(woo.statusOf('shipped', on({ shipped: 'shipped' }))).toEqual({ status: 'shipped' });
    expect(woo.statusOf('completed', on({ completed: 'delivered' }))).toEqual({ status: 'delivered' });
  });

  it('UNAS and Shoprenter statuses are per shop: nothing without the channel naming them', () => {
    expect(unasMapping.statusWriteBack!.statusOf('completed', on())).toEqual({ skip: expect.stringContaining('UNAS status name') });
    expect(unasMapping.statusWriteBack!.statusOf('completed', on({ completed: 'Teljesítve' }))).toEqual({ status: 'Teljesítve' });
    expect(shoprenterMapping.statusWriteBack!.statusOf('cancelled', on())).toEqual({ skip: expect.stringContaining('Shoprenter order status id') });
    expect(shoprenterMapping.statusWriteBack!.statusOf('cancelled', on({ cancelled: '7' }))).toEqual({ status: '7' });
  });

  it('is off by default and switched on per channel in the mapping options, which are validated', () => {
    for (const mapping of [woocommerceMapping, unasMapping, shoprenterMapping]) {
      expect(mapping.statusWriteBack!.enabled({})).toBe(false);
      expect(mapping.statusWriteBack!.enabled({ statusWriteBack: { enabled: false } })).toBe(false);
      expect(mapping.statusWriteBack!.enabled(on())).toBe(true);
      expect(Value.Check(mapping.optionsSchema, on({ completed: 'x' }))).toBe(true);
      expect(Value.Check(mapping.optionsSchema, on({ finished: 'x' }))).toBe(false);
      expect(Value.Check(mapping.optionsSchema, { statusWriteBack: { enabled: 'yes' } })).toBe(false);
    }
  });

  it("UNAS orders are set by their Key (externalId is Key|Id)", () => {
    expect(unasOrderKey('1000-1000001|152235551')).toBe('1000-1000001');
    expect(unasMapping.statusWriteBack!.orderRef!('K1|7')).toBe('K1');
  });

  it('the catalog tells which connectors can write statuses', () => {
    const registry = createRegistry();
    expect(registry.list().filter((c) => c.canWriteStatus).map((c) => c.type).sort()).toEqual(['shoprenter', 'unas', 'unas-custom', 'woocommerce']);
  });
});

describe('WooCommerce writeStatus (against the sandbox)', () => {
  let sandbox: WooSandbox;
  beforeEach(async () => {
    sandbox = await startWooSandbox({ consumerKey: 'ck_a', consumerSecret: 'cs_b', initialOrders: 3 });
  });
  afterEach(() => sandbox.close());

  const connector = createWooCommerceConnector({ http });
  const config = () => ({ url: sandbox.url, consumerKey: 'ck_a', consumerSecret: 'cs_b' });

  it('PUTs {status} to the order with Basic auth and reads the status back', async () => {
    const id = sandbox.orders[0]!.id;
    const receipt = await connector.writeStatus!(config(), { externalId: String(id), status: 'on-hold' });
    expect(receipt).toEqual({ target: `${sandbox.url}/wp-json/wc/v3/orders/${id}`, statusNow: 'on-hold' });
    expect(sandbox.orders[0]!.status).toBe('on-hold');
    expect(sandbox.requests.at(-1)).toMatchObject({ method: 'PUT', authorized: true, body: '{"status":"on-hold"}' });
  });

  it('classifies failures: 404 and 400 are refusals, 401 bad credentials, 503 and 429 worth retrying (one attempt each)', async () => {
    const id = String(sandbox.orders[0]!.id);
    const unknown = await rejection(connector.writeStatus!(config(), { externalId: '999999', status: 'completed' }));
    expect(unknown).toMatchObject({ code: 'upstream_rejected', status: 404, transient: false });
    const badStatus = await rejection(connector.writeStatus!(config(), { externalId: id, status: 'shipped' }));
    expect(badStatus).toMatchObject({ code: 'upstream_rejected', status: 400 });
    const badKey = await rejection(connector.writeStatus!({ ...config(), consumerSecret: 'cs_wrong' }, { externalId: id, status: 'completed' }));
    expect(badKey).toMatchObject({ code: 'unauthorized', status: 401, transient: false });
    sandbox.injectFaults({ status: 503 }, { status: 429, headers: { 'Retry-After': '30' } });
    const puts = sandbox.requests.length;
    expect(await rejection(connector.writeStatus!(config(), { externalId: id, status: 'completed' }))).toMatchObject({ code: 'upstream_unavailable', transient: true });
    expect(await rejection(connector.writeStatus!(config(), { externalId: id, status: 'completed' }))).toMatchObject({ code: 'upstream_unavailable', status: 429, transient: true });
    expect(sandbox.requests.length - puts).toBe(2);
    expect(sandbox.orders[0]!.status).not.toBe('completed');
  });
});

describe('UNAS writeStatus (setOrder)', () => {
  const API = 'https://api.unas.eu';
  const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
  const login = readFileSync(new URL('../fixtures/unas/login.xml', import.meta.url), 'utf8');
  const TOKEN = '6f0c1e2d3b4a59687766554433221100aabbccdd';
  // The answer shape public UNAS clients read (Orders/Order/Status "ok"); not a vendor sample.
  const answer = (status: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Orders><Order><Key>1000-1000001</Key><Status>${status}</Status></Order></Orders>`;
  beforeEach(() => resetUnasAuthCache());

  it('logs in, then POSTs setOrder with Action modify, the Key and the status name, with the Bearer token', async () => {
    let sent: { body: string; auth: string | undefined; type: string | undefined } | undefined;
    const scope = nock(API)
      .post('/shop/login')
      .reply(200, login, XML)
      .post('/shop/setOrder')
      .reply(function (_uri, body) {
        sent = { body: String(body), auth: this.req.headers.authorization, type: this.req.headers['content-type'] };
        return [200, answer('ok'), XML];
      });
    const receipt = await createUnasConnector({ http }).writeStatus!({ apiKey: 'unas-key' }, { externalId: '1000-1000001', status: 'Teljesítve & lezárva' });
    expect(receipt).toEqual({ target: 'https://api.unas.eu/shop/setOrder', statusNow: 'Teljesítve & lezárva' });
    expect(sent!.auth).toBe(`Bearer ${TOKEN}`);
    expect(sent!.type).toBe('application/xml; charset=UTF-8');
    expect(sent!.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Orders><Order><Action>modify</Action><Key>1000-1000001</Key><Status>Teljesítve &amp; lezárva</Status></Order></Orders>',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('a refusal in the answer, a 400 <Error> and a 5xx are told apart', async () => {
    nock(API).post('/shop/login').reply(200, login, XML).post('/shop/setOrder').reply(200, answer('error'), XML);
    expect(await rejection(createUnasConnector({ http }).writeStatus!({ apiKey: 'k' }, { externalId: 'K1', status: 'Nincs ilyen' }))).toMatchObject({ code: 'upstream_rejected' });
    nock(API).post('/shop/setOrder').reply(400, '<?xml version="1.0" encoding="UTF-8"?>\n<Error>Permission denied: setOrder</Error>', XML);
    expect(await rejection(createUnasConnector({ http }).writeStatus!({ apiKey: 'k' }, { externalId: 'K1', status: 'Teljesítve' }))).toMatchObject({ code: 'upstream_rejected', status: 400, transient: false });
    nock(API).post('/shop/setOrder').reply(503, 'down');
    expect(await rejection(createUnasConnector({ http }).writeStatus!({ apiKey: 'k' }, { externalId: 'K1', status: 'Teljesítve' }))).toMatchObject({ code: 'upstream_unavailable', transient: true });
  });

  it('the custom Unas-compatible API shares the contract (bearer mode: the key is the token)', async () => {
    let auth: string | undefined;
    nock('https://shop.example.hu').post('/api/setOrder').reply(function () {
      auth = this.req.headers.authorization;
      return [200, answer('ok'), XML];
    });
    await createUnasCustomConnector({ http }).writeStatus!({ apiKey: 'own-key', baseUrl: 'https://shop.example.hu/api', authMode: 'bearer' }, { externalId: 'K1', status: 'Kész' });
    expect(auth).toBe('Bearer own-key');
  });
});

describe('Shoprenter writeStatus (PUT /orders/{id} with an orderStatus link)', () => {
  const order172 = (JSON.parse(readFileSync(new URL('../fixtures/shoprenter/orders-page-0.json', import.meta.url), 'utf8')) as { items: unknown[] }).items[0];
  const token = readFileSync(new URL('../fixtures/shoprenter/token.json', import.meta.url), 'utf8');
  const JSON_HEADERS = { 'Content-Type': 'application/json' };

  it('OAuth: the order and the status as resource ids, Bearer token, JSON body and headers', async () => {
    let sent: { body: unknown; headers: Record<string, unknown> } | undefined;
    nock('https://oauth.app.shoprenter.net').post('/shopname/app/token').reply(200, token, JSON_HEADERS);
    nock('https://shopname.api2.myshoprenter.hu')
      .put('/api/orders/b3JkZXItb3JkZXJfaWQ9MTcy')
      .reply(function (_uri, body) {
        sent = { body, headers: this.req.headers };
        return [200, JSON.stringify(order172), JSON_HEADERS];
      });
    const config: ShoprenterConfig = { shopName: 'shopname', clientId: 'client-id-1', clientSecret: 'client-secret-2' };
    const receipt = await createShoprenterConnector({ http }).writeStatus!(config, { externalId: '172', status: '1' });
    expect(sent!.body).toEqual({ orderStatus: { id: 'b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE=' } });
    expect(sent!.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${JSON.parse(token).access_token}` });
    expect(receipt).toEqual({ target: 'https://shopname.api2.myshoprenter.hu/api/orders/b3JkZXItb3JkZXJfaWQ9MTcy', statusNow: '1' });
  });

  it('basic auth to the legacy host; 404 is a refusal, 429 worth retrying', async () => {
    let auth: unknown;
    nock('https://shopname.api.shoprenter.hu')
      .put('/orders/b3JkZXItb3JkZXJfaWQ9MTcy')
      .reply(function () {
        auth = this.req.headers.authorization;
        return [404, JSON.stringify({ error: 404, message: 'Not Found' }), JSON_HEADERS];
      })
      .put('/orders/b3JkZXItb3JkZXJfaWQ9MTcy')
      .reply(429, '', { 'Retry-After': '20' });
    const config: ShoprenterConfig = { shopName: 'shopname', authMode: 'basic', apiUser: 'api-user', apiKey: 'api-key' };
    const connector = createShoprenterConnector({ http });
    expect(await rejection(connector.writeStatus!(config, { externalId: '172', status: '5' }))).toMatchObject({ code: 'upstream_rejected', status: 404, transient: false });
    expect(auth).toBe(`Basic ${Buffer.from('api-user:api-key').toString('base64')}`);
    expect(await rejection(connector.writeStatus!(config, { externalId: '172', status: '5' }))).toMatchObject({ code: 'upstream_unavailable', status: 429, transient: true });
  });
});
