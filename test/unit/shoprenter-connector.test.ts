import { readFileSync } from 'node:fs';
import { afterEach, describe, it, expect } from 'vitest';
import nock from 'nock';
import { Value } from '@sinclair/typebox/value';
import '../../core/model/formats.ts';
import { createShoprenterConnector, shoprenterConnector, type ShoprenterConfig, type ShoprenterState } from '../../connectors/shoprenter/index.ts';
import type { ShoprenterPulledPage } from '../../connectors/shoprenter/streams/orders.ts';
import { shoprenterMapping } from '../../mappings/shoprenter/index.ts';
import { rejection } from '../helpers/rejections.ts';

const API = 'https://shopname.api2.myshoprenter.hu';
const OAUTH = 'https://oauth.app.shoprenter.net';
const TOKEN_PATH = '/shopname/app/token';
const NOW = new Date('2024-05-01T12:00:00Z');

const raw = (name: string): string => readFileSync(new URL(`../fixtures/shoprenter/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Record<string, any> => JSON.parse(raw(name)) as Record<string, any>;
const page0 = fixture('orders-page-0.json'); // orders 172 (updated 2019-09-06T15:47:59), 173 (2024-04-30T10:20:30 local); last page 1
const page1 = fixture('orders-page-1.json'); // order 174 (2024-05-01T13:30:00 local = 11:30Z), EUR
const token = fixture('token.json');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const oid = (n: number) => b64(`order-order_id=${n}`);

const config: ShoprenterConfig = { shopName: 'shopname', clientId: 'client-id-1', clientSecret: 'client-secret-2', webhookToken: 'a-long-webhook-token-123' };
const JSON_HEADERS = { 'Content-Type': 'application/json' };

function makeConnector() {
  let t = 1_700_000_000_000;
  const sleeps: number[] = [];
  const connector = createShoprenterConnector({
    http: {
      jitter: 0,
      baseDelayMs: 100,
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
    },
  });
  return { connector, sleeps, advance: (ms: number) => (t += ms) };
}

async function collect(connector: ReturnType<typeof makeConnector>['connector'], state: ShoprenterState | undefined, cfg: ShoprenterConfig = config) {
  const pages: ShoprenterPulledPage[] = [];
  const pull = connector.pull;
  if (!pull) throw new Error('connector has no pull');
  for await (const page of pull(cfg, state, { now: () => NOW })) pages.push(page as ShoprenterPulledPage);
  return pages;
}

function mockToken(times = 1, accessToken = token.access_token as string) {
  const bodies: unknown[] = [];
  const scope = nock(OAUTH)
    .post(TOKEN_PATH, (body) => {
      bodies.push(body);
      return true;
    })
    .times(times)
    .reply(200, { ...token, access_token: accessToken }, JSON_HEADERS);
  return { scope, bodies };
}

/** Products, totals, currencies and status names for the given orders. */
function mockChildren(orderIds: number[]) {
  const scope = nock(API);
  for (const id of orderIds) {
    scope
      .get('/api/orderProducts')
      .query((q) => q.orderId === oid(id) && q.full === '1' && q.page === '0')
      .reply(200, raw(`order-products-${id}.json`), JSON_HEADERS)
      .get('/api/orderTotals')
      .query((q) => q.orderId === oid(id) && q.full === '1' && q.page === '0')
      .reply(200, raw(`order-totals-${id}.json`), JSON_HEADERS);
  }
  scope
    .get(`/api/currencies/${encodeURIComponent(b64('currency-currency_id=4'))}`)
    .optionally()
    .reply(200, raw('currency-huf.json'), JSON_HEADERS)
    .get(`/api/currencies/${encodeURIComponent(b64('currency-currency_id=2'))}`)
    .optionally()
    .reply(200, raw('currency-eur.json'), JSON_HEADERS)
    .get('/api/orderStatusDescriptions')
    .query(true)
    .optionally()
    .reply(200, raw('order-status-descriptions.json'), JSON_HEADERS);
  return scope;
}

afterEach(() => {
  nock.cleanAll();
});

describe('shoprenter connector', () => {
  describe('spec', () => {
    it('accepts a minimal config, flags the secrets and caps the rate at 180/min', () => {
      expect(Value.Check(shoprenterConnector.spec, { shopName: 'shopname', clientId: 'a', clientSecret: 'b' })).toBe(true);
      expect(Value.Check(shoprenterConnector.spec, { shopName: 'shopname', authMode: 'basic', apiUser: 'u', apiKey: 'k' })).toBe(true);
      expect(shoprenterConnector.secretFields).toEqual(['clientId', 'clientSecret', 'apiUser', 'apiKey', 'webhookToken']);
      expect(shoprenterConnector.type).toBe('shoprenter');
      expect(shoprenterConnector.channelKind).toBe('webshop');
    });

    it('rejects bad values', () => {
      const base = { shopName: 'shopname', clientId: 'a', clientSecret: 'b' };
      expect(Value.Check(shoprenterConnector.spec, { ...base, pageSize: 201 })).toBe(false);
      expect(Value.Check(shoprenterConnector.spec, { ...base, requestsPerMinute: 181 })).toBe(false);
      expect(Value.Check(shoprenterConnector.spec, { ...base, shopName: 'shop.example.hu' })).toBe(false);
      expect(Value.Check(shoprenterConnector.spec, { ...base, authMode: 'hmac' })).toBe(false);
      expect(Value.Check(shoprenterConnector.spec, { ...base, extra: 1 })).toBe(false);
    });
  });

  describe('when pulling without a cursor over two 0-based pages', () => {
    it('fetches a token, sends JSON headers and the documented query, assembles each page and sets the cursor on the last page', async () => {
      const { bodies } = mockToken();
      const queries: Array<Record<string, string>> = [];
      const headers: Array<Record<string, unknown>> = [];
      nock(API)
        .get('/api/orders')
        .times(2)
        .query((q) => {
          // nock evaluates this for other paths of the host too: keep the order-list queries only.
          if (q.excludeAbandonedCart === undefined) return false;
          queries.push(q as Record<string, string>);
          return true;
        })
        .reply(function () {
          headers.push({ ...this.req.headers });
          return [200, JSON.stringify(queries.at(-1)?.page === '0' ? page0 : page1), JSON_HEADERS];
        });
      const children = mockChildren([172, 173, 174]);
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined);

      expect(bodies).toEqual([{ grant_type: 'client_credentials', client_id: 'client-id-1', client_secret: 'client-secret-2' }]);
      expect(children.pendingMocks()).toEqual([]);
      expect(queries).toEqual([
        { limit: '100', excludeAbandonedCart: '1', page: '0', full: '1' },
        { limit: '100', excludeAbandonedCart: '1', page: '1', full: '1' },
      ]);
      for (const h of headers) {
        expect(h.authorization).toBe(`Bearer ${token.access_token}`);
        expect(h.accept).toBe('application/json');
        expect(h['content-type']).toBe('application/json');
      }
      expect(pages.map((p) => [p.page, p.totalPages, p.error, p.contentType])).toEqual([
        [1, 2, undefined, 'application/json'],
        [2, 2, undefined, 'application/json'],
      ]);
      // Page 1 carries a resume point (innerIds ascend); the last page the cursor: the max dateUpdated (173: 10:20:30 CEST).
      expect(pages[0]?.state).toEqual({ resume: { startedAt: NOW.toISOString(), afterInnerId: '173' } });
      // 174 was modified after the run start (13:30 local = 11:30Z < 12:00Z): max seen is 11:30Z.
      expect(pages[1]?.state).toEqual({ updatedAfter: '2024-05-01T11:30:00.000Z' });

      const doc = JSON.parse(pages[0]?.body ?? '{}') as Record<string, any>;
      expect(doc.source).toBe('shoprenter-pull');
      expect(doc.page).toMatchObject({ page: '0', limit: '2', previous: null });
      expect(doc.orders.map((o: any) => o.innerId)).toEqual(['172', '173']);
      expect(doc.orders[0].orderProducts.items).toHaveLength(1);
      expect(doc.orders[1].orderTotals.items).toHaveLength(7);
      expect(doc.orders[0].currency).toMatchObject({ code: 'HUF', value: '1.00000000' });
      expect(doc.orders[1].orderStatus).toMatchObject({ innerId: '5', name: 'Teljesítve' });
      expect(pages[0]?.source).toBe(`${API}/api/orders?limit=100&excludeAbandonedCart=1&page=0&full=1`);

      // The mapping reads what was archived.
      const mapped = pages.map((p) => shoprenterMapping.map({ kind: 'pull', body: p.body, contentType: p.contentType }, {}));
      expect(mapped.flatMap((m) => m.errors)).toEqual([]);
      expect(mapped.flatMap((m) => m.orders).map((o) => [o.externalId, o.status, o.currency, o.totals.total])).toEqual([
        ['172', 'received', 'HUF', '3990'],
        ['173', 'completed', 'HUF', '7873.025'],
        ['174', 'cancelled', 'EUR', '31.75'],
      ]);
    });

    it('sends pageSize as limit and follows next only: an empty shop is one page', async () => {
      mockToken();
      let query: Record<string, string> = {};
      nock(API)
        .get('/api/orders')
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify({ ...page0, page: '0', limit: '25', next: null, last: { href: `${API}/api/orders?page=0&limit=25` }, items: [] }), JSON_HEADERS);
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { ...config, pageSize: 25 });
      expect(query.limit).toBe('25');
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({});
    });
  });

  describe('when pulling from a cursor', () => {
    it('sends updatedAtMin = cursor − overlap in shop-local time, never createdAtMin, and keeps the cursor for re-read orders', async () => {
      mockToken();
      let query: Record<string, string> = {};
      nock(API)
        .get('/api/orders')
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify({ ...page1, page: '0', previous: null, last: { href: `${API}/api/orders?page=0&limit=100` } }), JSON_HEADERS);
      mockChildren([174]);
      const { connector } = makeConnector();
      // 11:45Z = 13:45 CEST; minus 15 min.
      const pages = await collect(connector, { updatedAfter: '2024-05-01T11:45:00.000Z' }, { ...config, overlapMinutes: 15 });
      expect(query.updatedAtMin).toBe('2024-05-01T13:30:00');
      expect(query.createdAtMin).toBeUndefined();
      expect(pages.at(-1)?.state).toEqual({ updatedAfter: '2024-05-01T11:45:00.000Z' });
    });

    it('uses the configured timeZone for the filter and createdAtMin only for createdAfter', async () => {
      mockToken();
      let query: Record<string, string> = {};
      nock(API)
        .get('/api/orders')
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0&limit=100` }, items: [] }), JSON_HEADERS);
      const { connector } = makeConnector();
      await collect(connector, { updatedAfter: '2024-01-15T10:10:00.000Z' }, { ...config, timeZone: 'America/New_York', createdAfter: '2024-01-01T00:00:00Z', includeAbandonedCarts: true });
      expect(query.updatedAtMin).toBe('2024-01-15T05:00:00');
      expect(query.createdAtMin).toBe('2023-12-31T19:00:00');
      expect(query.excludeAbandonedCart).toBeUndefined();
    });

    it('yields nothing new and resets a cursor in the future, with a warning', async () => {
      mockToken();
      let query: Record<string, string> = {};
      nock(API)
        .get('/api/orders')
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0&limit=100` }, items: [] }), JSON_HEADERS);
      const { connector } = makeConnector();
      const pages = await collect(connector, { updatedAfter: '2099-01-01T00:00:00.000Z' });
      expect(query.updatedAtMin).toBe('2024-05-01T13:50:00');
      expect(pages).toHaveLength(1);
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.warning).toMatch(/later than now/);
      expect(pages[0]?.state).toEqual({ updatedAfter: NOW.toISOString() });
    });

    it('resumes an interrupted run after the last innerId stored and caps the cursor at the interrupted run start', async () => {
      mockToken();
      let query: Record<string, string> = {};
      nock(API)
        .get('/api/orders')
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify({ ...page1, page: '0', previous: null, last: { href: `${API}/api/orders?page=0&limit=100` } }), JSON_HEADERS);
      mockChildren([174]);
      const { connector } = makeConnector();
      const pages = await collect(connector, {
        updatedAfter: '2024-04-01T00:00:00.000Z',
        resume: { since: '2024-03-31T23:50:00.000Z', startedAt: '2024-05-01T11:00:00.000Z', afterInnerId: '173' },
      });
      expect(query.innerIdMin).toBe('174');
      expect(query.updatedAtMin).toBe('2024-04-01T01:50:00');
      expect(pages.at(-1)?.state).toEqual({ updatedAfter: '2024-05-01T11:00:00.000Z' });
    });
  });

  describe('when a page is broken', () => {
    it('archives the malformed page with invalid_data, still reads the next page and does not advance the cursor', async () => {
      mockToken();
      nock(API)
        .get('/api/orders')
        .query((q) => q.page === '0')
        .reply(200, JSON.stringify(page0).slice(0, 300), JSON_HEADERS)
        .get('/api/orders')
        .query((q) => q.page === '1')
        .reply(200, JSON.stringify(page1), JSON_HEADERS);
      mockChildren([174]);
      const { connector } = makeConnector();
      // The last page is known from a previous page only; give it through a first good page? Here page 0 is broken:
      // without a known last page the run stops after archiving it.
      const pages = await collect(connector, { updatedAfter: '2024-04-01T00:00:00.000Z' });
      expect(pages).toHaveLength(1);
      expect(pages[0]?.error?.code).toBe('invalid_data');
      expect(pages[0]?.error?.message).toMatch(/malformed JSON/);
      expect(pages[0]?.body).toBe(JSON.stringify(page0).slice(0, 300));
      expect(pages[0]?.state).toBeUndefined();
    });

    it('goes on past a broken page when the last page is known, freezing the state', async () => {
      mockToken();
      const three = (n: number, items: unknown[]) => ({
        ...page0,
        page: String(n),
        previous: n === 0 ? null : { href: `${API}/api/orders?page=${n - 1}` },
        next: n === 2 ? null : { href: `${API}/api/orders?page=${n + 1}` },
        last: { href: `${API}/api/orders?page=2&limit=2` },
        items,
      });
      nock(API)
        .get('/api/orders')
        .query((q) => q.page === '0')
        .reply(200, JSON.stringify(three(0, [page0.items[0]])), JSON_HEADERS)
        .get('/api/orders')
        .query((q) => q.page === '1')
        .reply(200, '<!DOCTYPE html><html><body>Bad gateway</body></html>', { 'Content-Type': 'text/html' })
        .get('/api/orders')
        .query((q) => q.page === '2')
        .reply(200, JSON.stringify(three(2, page1.items)), JSON_HEADERS);
      mockChildren([172, 174]);
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(pages.map((p) => [p.page, p.error?.code])).toEqual([
        [1, undefined],
        [2, 'invalid_data'],
        [3, undefined],
      ]);
      expect(pages[0]?.state).toEqual({ resume: { startedAt: NOW.toISOString(), afterInnerId: '172' } });
      expect(pages[1]?.state).toBeUndefined();
      expect(pages[2]?.state).toBeUndefined();
    });

    it('marks an order whose products could not be read and keeps the cursor', async () => {
      mockToken();
      nock(API)
        .get('/api/orders')
        .query(true)
        .reply(200, JSON.stringify({ ...page1, page: '0', previous: null, last: { href: `${API}/api/orders?page=0` } }), JSON_HEADERS)
        .get('/api/orderProducts')
        .query(true)
        .reply(200, '{"items": [', JSON_HEADERS)
        .get('/api/orderTotals')
        .query(true)
        .reply(200, raw('order-totals-174.json'), JSON_HEADERS);
      mockChildren([]);
      const { connector } = makeConnector();
      const pages = await collect(connector, { updatedAfter: '2024-04-01T00:00:00.000Z' });
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.state).toBeUndefined();
      const doc = JSON.parse(pages[0]?.body ?? '{}') as Record<string, any>;
      expect(doc.orders[0].orderhubIssues[0]).toMatch(/^orderProducts: expected a JSON orderProducts page, got malformed JSON/);
      const mapped = shoprenterMapping.map({ kind: 'pull', body: pages[0]?.body ?? '' }, {});
      expect(mapped.orders).toEqual([]);
      expect(mapped.errors).toEqual([{ ref: '174', message: expect.stringMatching(/could not read all of the order/) }]);
    });

    it('archives an XML answer (Accept ignored) with a clear error and fails the run', async () => {
      mockToken();
      const xml = '<?xml version="1.0" encoding="UTF-8"?><orders><page>0</page><items/></orders>';
      nock(API).get('/api/orders').query(true).reply(200, xml, { 'Content-Type': 'application/xml' });
      const { connector } = makeConnector();
      const pages: ShoprenterPulledPage[] = [];
      const pull = connector.pull;
      if (!pull) throw new Error('no pull');
      const error = await rejection(
        (async () => {
          for await (const page of pull(config, undefined, { now: () => NOW })) pages.push(page as ShoprenterPulledPage);
        })(),
      );
      expect(pages).toHaveLength(1);
      expect(pages[0]?.body).toBe(xml);
      expect(pages[0]?.error?.message).toMatch(/answered XML although the request sent Accept: application\/json/);
      expect(error.code).toBe('upstream_rejected');
      expect(error.message).toMatch(/answered XML/);
    });
  });

  describe('auth', () => {
    it('caches the token across pulls and refreshes it once on 401', async () => {
      const first = mockToken(1, 'token-one');
      const empty = JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0` }, items: [] });
      const auths: string[] = [];
      nock(API)
        .get('/api/orders')
        .times(3)
        .query(true)
        .reply(function () {
          auths.push(String(this.req.headers.authorization));
          return auths.length === 2 ? [401, '{"error":"invalid_token"}', JSON_HEADERS] : [200, empty, JSON_HEADERS];
        });
      const { connector } = makeConnector();
      await collect(connector, undefined);
      expect(first.scope.isDone()).toBe(true);
      const second = mockToken(1, 'token-two');
      await collect(connector, undefined);
      expect(second.scope.isDone()).toBe(true);
      expect(auths).toEqual(['Bearer token-one', 'Bearer token-one', 'Bearer token-two']);
    });

    it('fetches a new token when the cached one is about to expire', async () => {
      mockToken(1, 'token-one');
      const empty = JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0` }, items: [] });
      const auths: string[] = [];
      nock(API)
        .get('/api/orders')
        .times(2)
        .query(true)
        .reply(function () {
          auths.push(String(this.req.headers.authorization));
          return [200, empty, JSON_HEADERS];
        });
      const { connector, advance } = makeConnector();
      await collect(connector, undefined);
      advance(3600_000 - 59_000); // inside the 60 s margin
      mockToken(1, 'token-two');
      await collect(connector, undefined);
      expect(auths).toEqual(['Bearer token-one', 'Bearer token-two']);
    });

    it('uses HTTP Basic on the legacy host in basic mode', async () => {
      const empty = JSON.stringify({ ...page0, next: null, last: { href: 'x?page=0' }, items: [] });
      const scope = nock('https://shopname.api.shoprenter.hu').get('/orders').query(true).basicAuth({ user: 'apiuser', pass: 'apikey' }).reply(200, empty, JSON_HEADERS);
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { shopName: 'shopname', authMode: 'basic', apiUser: 'apiuser', apiKey: 'apikey' });
      expect(scope.isDone()).toBe(true);
      expect(pages).toHaveLength(1);
    });

    it('throws unauthorized with invalid_client and no secrets', async () => {
      nock(OAUTH).post(TOKEN_PATH).reply(401, { error: 'invalid_client', error_description: 'Client authentication failed' }, JSON_HEADERS);
      const { connector, sleeps } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain('invalid_client');
      expect(error.message).not.toMatch(/client-secret-2/);
      expect(sleeps).toEqual([]);
    });
  });

  describe('rate limit and retries', () => {
    it('spaces requests with the client-side limiter (no real waiting)', async () => {
      mockToken();
      nock(API)
        .get('/api/orders')
        .query(true)
        .reply(200, JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0` } }), JSON_HEADERS);
      mockChildren([172, 173]);
      const { connector, sleeps } = makeConnector();
      // 175/min → burst 5 (175 + 5 ≤ 180), one token every 342.86 ms. 7 requests: list, 2 × (products, totals), currency, statuses.
      await collect(connector, undefined, { ...config, requestsPerMinute: 175 });
      expect(sleeps).toEqual([343, 343]);
    });

    it('honours Retry-After on 429', async () => {
      mockToken();
      const empty = JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0` }, items: [] });
      nock(API).get('/api/orders').query(true).reply(429, 'Too Many Requests', { 'Retry-After': '7' }).get('/api/orders').query(true).reply(200, empty, JSON_HEADERS);
      const { connector, sleeps } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(sleeps).toEqual([7000]);
      expect(pages).toHaveLength(1);
    });

    it('retries a 503 with backoff and goes on', async () => {
      mockToken();
      const empty = JSON.stringify({ ...page0, next: null, last: { href: `${API}/api/orders?page=0` }, items: [] });
      nock(API).get('/api/orders').query(true).reply(503, '<html>Service Unavailable</html>').get('/api/orders').query(true).reply(200, empty, JSON_HEADERS);
      const { connector, sleeps } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(sleeps).toEqual([100]);
      expect(pages[0]?.error).toBeUndefined();
    });
  });

  describe('check', () => {
    it('reports ok with the number of orders', async () => {
      mockToken();
      nock(API)
        .get('/api/orders')
        .query({ limit: '1' })
        .reply(200, JSON.stringify({ ...page0, limit: '1', last: { href: `${API}/api/orders?page=41&limit=1` }, items: [{ href: 'x' }] }), JSON_HEADERS);
      const { connector } = makeConnector();
      const report = await connector.check(config);
      expect(report).toEqual({ ok: true, message: 'Connected to Shoprenter shop "shopname": 42 orders visible.', details: { orders: 42 } });
    });

    it('reports a rejected client', async () => {
      nock(OAUTH).post(TOKEN_PATH).reply(401, { error: 'invalid_client' }, JSON_HEADERS);
      const report = await shoprenterConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/rejected the API client .*invalid_client/);
      expect(report.message).not.toMatch(/client-secret-2/);
    });

    it('reports a wrong shop name', async () => {
      nock(OAUTH).post('/nosuchshop/app/token').reply(404, 'Not Found');
      const report = await shoprenterConnector.check({ ...config, shopName: 'nosuchshop' });
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/no shop named "nosuchshop"/);
    });

    it('reports an unreachable API', async () => {
      mockToken();
      nock(API).get('/api/orders').query(true).times(2).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      const { connector } = makeConnector();
      const report = await connector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/^Could not reach Shoprenter for shop "shopname"/);
      expect(report.message).toContain('ECONNREFUSED');
    });

    it('reports an XML answer', async () => {
      mockToken();
      nock(API).get('/api/orders').query(true).reply(200, '<?xml version="1.0"?><orders/>', { 'Content-Type': 'text/xml' });
      const report = await shoprenterConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/answered XML/);
    });

    it('reports a malformed config without throwing', async () => {
      expect((await shoprenterConnector.check({ ...config, clientSecret: undefined })).ok).toBe(false);
      expect((await shoprenterConnector.check({ ...config, shopName: 'a b' })).message).toMatch(/not a Shoprenter shop name/);
      expect((await shoprenterConnector.check(null as unknown as ShoprenterConfig)).ok).toBe(false);
    });
  });

  describe('fetchOrder (one order by id: the fallback for a webhook that cannot be mapped)', () => {
    it('reads GET /orders/{resource id} (the documented get_id answer) and assembles it like a pulled order, without a cursor', async () => {
      const { connector } = makeConnector();
      mockToken();
      const order = nock(API).get(`/api/orders/${oid(172)}`).reply(200, raw('order-172.json'), JSON_HEADERS);
      const children = mockChildren([172]);

      const page = await connector.fetchOrder!(config, '172');

      expect(order.isDone()).toBe(true);
      expect(children.pendingMocks()).toEqual([]);
      expect(page).toMatchObject({ source: `${API}/api/orders/${encodeURIComponent(oid(172))}`, contentType: 'application/json' });
      expect([page.error, page.state]).toEqual([undefined, undefined]);
      const document = JSON.parse(page.body) as Record<string, any>;
      expect(document).toMatchObject({ source: 'shoprenter-pull', fetched: '172' });
      expect(document.orders[0]).toMatchObject({ innerId: '172', currency: { code: 'HUF' }, orderStatus: { innerId: '1', name: 'Függőben lévő' } });
      expect(document.orders[0].orderProducts.items).toHaveLength(1);

      const mapped = shoprenterMapping.map({ kind: 'pull', body: page.body }, {});
      expect(mapped.errors).toEqual([]);
      expect(mapped.orders[0]).toMatchObject({ externalId: '172', status: 'received', sourceStatus: 'Függőben lévő', currency: 'HUF', notes: 'Megjegyzés', totals: { total: '3990' } });
    });

    it('says the shop has no such order on 404, and refuses what is not an order id without calling', async () => {
      const { connector } = makeConnector();
      mockToken();
      nock(API).get(`/api/orders/${oid(999)}`).reply(404, { message: 'Not found' }, JSON_HEADERS);
      const missing = await rejection(connector.fetchOrder!(config, '999'));
      expect(missing).toMatchObject({ code: 'upstream_rejected', status: 404 });
      expect(missing.message).toBe(`Shoprenter has no order 999 (${API}/api/orders/${encodeURIComponent(oid(999))} answered 404).`);
      const notAnId = await rejection(connector.fetchOrder!(config, '#0'));
      expect(notAnId.message).toBe('"#0" is not a Shoprenter order id (an inner id such as 190, or an order resource id).');
    });

    it('returns an answer that is not a JSON order with an error, to be archived as failed', async () => {
      const { connector } = makeConnector();
      mockToken();
      nock(API).get(`/api/orders/${oid(172)}`).reply(200, '<html>maintenance</html>', { 'Content-Type': 'text/html' });
      const page = await connector.fetchOrder!(config, '172');
      expect(page.body).toBe('<html>maintenance</html>');
      expect(page.error).toMatchObject({ code: 'invalid_data' });
    });
  });

  describe('webhook', () => {
    const body = Buffer.from(raw('webhook-order-confirm.json'), 'utf8');
    const verify = (request: Parameters<NonNullable<typeof shoprenterConnector.webhook>['verify']>[0], cfg: ShoprenterConfig = config) => {
      const handler = shoprenterConnector.webhook;
      if (!handler) throw new Error('no webhook handler');
      return handler.verify(request, cfg);
    };

    it('the raw body really carries \\/ and \\uXXXX escapes and mixed types', () => {
      const text = body.toString('utf8');
      expect(text).toContain('orders\\/b3JkZXItb3JkZXJfaWQ9MTkw');
      expect(text).toContain('Hajd\\u00fa-Bihar');
      expect(text).toContain('"shippingNetPrice":970.0714');
      expect(text).toContain('"shippingGrossPrice":"1006"');
      expect(text).toContain('"couponGrossPrice":null');
    });

    it('accepts the token in the header (any case) or in the URL query', () => {
      expect(verify({ rawBody: body, headers: { 'x-orderhub-token': config.webhookToken } })).toEqual({ kind: 'accepted', topic: 'orders', deliveryId: undefined });
      expect(verify({ rawBody: body, headers: { 'X-Orderhub-Token': [config.webhookToken as string] } }).kind).toBe('accepted');
      expect(verify({ rawBody: body, headers: {}, url: `/v1/channels/c1/webhook?token=${config.webhookToken}` } as never).kind).toBe('accepted');
    });

    it('rejects a missing or wrong token, and everything when no token is configured', () => {
      expect(verify({ rawBody: body, headers: {} })).toEqual({ kind: 'rejected', reason: expect.stringMatching(/Missing webhook token/) });
      expect(verify({ rawBody: body, headers: { 'x-orderhub-token': 'a-long-webhook-token-124' } })).toEqual({ kind: 'rejected', reason: 'Wrong webhook token.' });
      expect(verify({ rawBody: body, headers: { 'x-orderhub-token': 'short' } }).kind).toBe('rejected');
      expect(verify({ rawBody: body, headers: { 'x-orderhub-token': 'x' } }, { ...config, webhookToken: undefined }).kind).toBe('rejected');
    });
  });
});
