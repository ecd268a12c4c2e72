import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it, expect } from 'vitest';
import nock from 'nock';
import { Value } from '@sinclair/typebox/value';
import '../../core/model/formats.ts';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { createWooCommerceConnector, woocommerceConnector, type WooConfig, type WooPulledPage, type WooState } from '../../connectors/woocommerce/index.ts';
import { rejection } from '../helpers/rejections.ts';

const STORE = 'https://shop.example.hu';
const ORDERS = '/wp-json/wc/v3/orders';
const NOW = new Date('2024-05-01T12:00:00Z');

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/woocommerce/${name}`, import.meta.url), 'utf8'));
const page1 = fixture('list-orders-page.json') as Array<Record<string, unknown>>; // 727 (modified 2017-03-22T19:28:08), 723
const variationOrder = fixture('variation-order-wc8.json') as Record<string, unknown>; // modified 2024-03-15T09:07:41
const couponOrder = fixture('coupon-fee-refund-order.json') as Record<string, unknown>; // modified 2017-11-29T03:32:11
/** The documented "List all refunds" answer for order 723 (refunds 726 and 724), verbatim. */
const refunds723 = readFileSync(new URL('../fixtures/woocommerce/list-refunds-723.json', import.meta.url), 'utf8');

// The four fixture orders by date_modified_gmt ascending: 723, 727, the coupon order, 5012.
const byModified = [page1[1], page1[0], couponOrder, variationOrder] as Array<Record<string, unknown>>;

/**
 * A nock store that answers like WooCommerce for orderby=modified&order=asc: honours modified_after
 * (exclusive), modified_before (exclusive), page and per_page, and sends X-WP-Total/X-WP-TotalPages.
 * `override(n, query)` may replace the answer of request n (1-based).
 */
function fakeStore(orders: Array<Record<string, unknown>>, override?: (n: number, query: Record<string, string>) => [number, string, Record<string, string>] | undefined) {
  const queries: Array<Record<string, string>> = [];
  const gmt = (o: Record<string, unknown>) => Date.parse(`${String(o.date_modified_gmt)}Z`);
  const scope = nock(STORE)
    .persist()
    .get(ORDERS)
    .query((q) => {
      queries.push(q as Record<string, string>);
      return true;
    })
    .reply(() => {
      const q = queries.at(-1) ?? {};
      const replaced = override?.(queries.length, q);
      if (replaced) return replaced;
      const after = q.modified_after ? Date.parse(q.modified_after) : undefined;
      const before = q.modified_before ? Date.parse(q.modified_before) : undefined;
      const selected = orders
        .filter((o) => (after === undefined || gmt(o) > after) && (before === undefined || gmt(o) < before))
        .sort((a, b) => gmt(a) - gmt(b) || Number(a.id) - Number(b.id));
      const perPage = Number(q.per_page);
      const page = Number(q.page);
      return [200, JSON.stringify(selected.slice((page - 1) * perPage, page * perPage)), wpHeaders(selected.length, Math.ceil(selected.length / perPage))];
    });
  return { queries, scope };
}

const config: WooConfig = { url: `${STORE}/`, consumerKey: 'ck_test_1234', consumerSecret: 'cs_test_5678', webhookSecret: 'whsec' };

function makeConnector() {
  const sleeps: number[] = [];
  const connector = createWooCommerceConnector({
    http: {
      jitter: 0,
      baseDelayMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  return { connector, sleeps };
}

const wpHeaders = (total: number, totalPages: number) => ({
  'Content-Type': 'application/json; charset=UTF-8',
  'X-WP-Total': String(total),
  'X-WP-TotalPages': String(totalPages),
});

async function collect(
  connector: ReturnType<typeof makeConnector>['connector'],
  state: WooState | undefined,
  cfg: WooConfig = config,
): Promise<Array<PulledPage<WooState>>> {
  const pages: Array<PulledPage<WooState>> = [];
  const pull = connector.pull;
  if (!pull) throw new Error('connector has no pull');
  for await (const page of pull(cfg, state, { now: () => NOW })) pages.push(page);
  return pages;
}

afterEach(() => {
  nock.cleanAll();
});

describe('woocommerce connector', () => {
  describe('spec', () => {
    it('accepts a minimal config and flags the secrets', () => {
      expect(Value.Check(woocommerceConnector.spec, { url: 'https://shop.example.hu', consumerKey: 'ck_1', consumerSecret: 'cs_1' })).toBe(true);
      expect(woocommerceConnector.secretFields).toEqual(['consumerKey', 'consumerSecret', 'webhookSecret']);
      expect(woocommerceConnector.type).toBe('woocommerce');
      expect(woocommerceConnector.channelKind).toBe('webshop');
    });

    it('rejects bad values', () => {
      const base = { url: 'https://shop.example.hu', consumerKey: 'ck_1', consumerSecret: 'cs_1' };
      expect(Value.Check(woocommerceConnector.spec, { ...base, perPage: 101 })).toBe(false);
      expect(Value.Check(woocommerceConnector.spec, { ...base, authMode: 'oauth' })).toBe(false);
      expect(Value.Check(woocommerceConnector.spec, { ...base, url: 'ftp://x' })).toBe(false);
      expect(Value.Check(woocommerceConnector.spec, { ...base, consumerSecret: '' })).toBe(false);
      expect(Value.Check(woocommerceConnector.spec, { ...base, extra: 1 })).toBe(false);
    });
  });

  describe('when pulling without a cursor over several pages', () => {
    it('pages keyset-style: page=1 with modified_after = last seen − 1 s, Basic auth, and state on every page', async () => {
      const { queries } = fakeStore(byModified);
      const { connector } = makeConnector();
      const pull = connector.pull;
      if (!pull) throw new Error('no pull');
      const pages: Array<PulledPage<WooState>> = [];
      for await (const page of pull({ ...config, perPage: 2 }, undefined, { now: () => NOW })) pages.push(page);
      expect(pages.map((p) => [p.page, p.totalPages, p.error, p.state])).toEqual([
        [1, 2, undefined, { modifiedAfter: '2017-03-22T19:28:08.000Z' }],
        [2, 3, undefined, { modifiedAfter: '2017-11-29T03:32:11.000Z' }],
        [3, 3, undefined, { modifiedAfter: '2024-03-15T09:07:41.000Z' }],
      ]);
      expect(queries[0]).toEqual({ per_page: '2', page: '1', orderby: 'modified', order: 'asc', modified_before: '2024-05-01T12:00:00Z', dates_are_gmt: 'true' });
      expect(queries.map((q) => [q.page, q.modified_after])).toEqual([
        ['1', undefined],
        ['1', '2017-03-22T19:28:07Z'],
        ['1', '2017-11-29T03:32:10Z'],
      ]);
      expect(queries.every((q) => q.modified_before === '2024-05-01T12:00:00Z' && q.dates_are_gmt === 'true')).toBe(true);
      expect(JSON.parse(pages[0]?.body ?? '[]').map((o: { id: number }) => o.id)).toEqual([723, 727]);
      expect(pages[0]?.contentType).toBe('application/json; charset=UTF-8');
      expect(pages[0]?.source).toBe(`${STORE}${ORDERS}?per_page=2&page=1&orderby=modified&order=asc&modified_before=2024-05-01T12%3A00%3A00Z&dates_are_gmt=true`);
    });

    it('sends Basic auth on every request', async () => {
      const auths: string[] = [];
      nock(STORE)
        .get(ORDERS)
        .query(true)
        .reply(function () {
          auths.push(String(this.req.headers.authorization));
          return [200, JSON.stringify([page1[1]]), wpHeaders(1, 1)];
        });
      const { connector } = makeConnector();
      await collect(connector, undefined);
      expect(auths).toEqual([`Basic ${Buffer.from('ck_test_1234:cs_test_5678').toString('base64')}`]);
    });

    it('uses perPage from the config and tolerates an empty store', async () => {
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, '[]', wpHeaders(0, 0));
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { ...config, perPage: 25 });
      expect(query.per_page).toBe('25');
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({});
      expect(pages[0]?.error).toBeUndefined();
    });

    it('stops on a short page when the store sends no paging headers', async () => {
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify(page1), { 'Content-Type': 'application/json' });
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
    });
  });

  describe('when pulling from a cursor', () => {
    it('sends modified_after = cursor − overlap and advances to the max date_modified_gmt seen', async () => {
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify([variationOrder]), wpHeaders(1, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: '2024-03-15T09:00:00.000Z' }, { ...config, overlapMinutes: 15 });
      // cursor − overlap − 1 s: modified_after is exclusive, the cursor's own second is re-read.
      expect(query.modified_after).toBe('2024-03-15T08:44:59Z');
      expect(query.dates_are_gmt).toBe('true');
      expect(query.orderby).toBe('modified');
      expect(pages.at(-1)?.state).toEqual({ modifiedAfter: '2024-03-15T09:07:41.000Z' });
    });

    it('uses a 10 minute overlap by default and never moves the cursor back for orders re-read in the overlap', async () => {
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify([variationOrder]), wpHeaders(1, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: '2024-03-15T09:10:00.000Z' });
      expect(query.modified_after).toBe('2024-03-15T08:59:59Z');
      expect(pages.at(-1)?.state).toEqual({ modifiedAfter: '2024-03-15T09:10:00.000Z' });
    });

    it('keeps the max seen when an old store ignores modified_after and re-delivers everything', async () => {
      nock(STORE)
        .get(ORDERS)
        .query(true)
        .reply(200, JSON.stringify([...page1, couponOrder, variationOrder]), wpHeaders(4, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: '2024-03-01T00:00:00.000Z' });
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2024-03-15T09:07:41.000Z' });
    });

    it('falls back to orderby=date when the store rejects orderby=modified', async () => {
      const orderbys: string[] = [];
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          orderbys.push(String(q.orderby));
          return q.orderby === 'modified';
        })
        .reply(400, {
          code: 'rest_invalid_param',
          message: 'Invalid parameter(s): orderby',
          data: { status: 400, params: { orderby: 'orderby is not one of date, id, include, title, slug.' } },
        })
        .get(ORDERS)
        .query((q) => q.orderby === 'date')
        .reply(200, JSON.stringify(page1), wpHeaders(2, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.source).toContain('orderby=date');
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
    });

    it('resets a cursor in the future to now − overlap, says so, and stores now', async () => {
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify([variationOrder]), wpHeaders(1, 1));
      const { connector } = makeConnector();
      const pages = (await collect(connector, { modifiedAfter: '2099-01-01T00:00:00.000Z' })) as Array<WooPulledPage>;
      expect(query.modified_after).toBe('2024-05-01T11:49:59Z');
      expect(query.modified_before).toBe('2024-05-01T12:00:00Z');
      expect(pages).toHaveLength(1);
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.warning).toMatch(/later than now .* reset/);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2024-05-01T12:00:00.000Z' });
    });

    it('never stores a cursor past the run start, even when a store that ignores the filters sends a future date_modified_gmt', async () => {
      const skewed = { ...couponOrder, id: 9001, date_modified_gmt: '2099-01-01T00:00:00' };
      nock(STORE)
        .get(ORDERS)
        .query(true)
        .reply(200, JSON.stringify([variationOrder, skewed]), wpHeaders(2, 1));
      const { connector } = makeConnector();
      const pages = (await collect(connector, { modifiedAfter: '2024-03-01T00:00:00.000Z' })) as Array<WooPulledPage>;
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2024-05-01T12:00:00.000Z' });
      expect(pages[0]?.warning).toMatch(/ignores modified_after/);
      // And the next run is not stuck: it reads from now − overlap again.
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, '[]', wpHeaders(0, 0));
      const later = createWooCommerceConnector().pull?.(config, pages[0]?.state, { now: () => new Date('2024-05-01T13:00:00Z') });
      for await (const page of later ?? []) expect(page.state).toEqual({ modifiedAfter: '2024-05-01T12:00:00.000Z' });
      expect(query.modified_after).toBe('2024-05-01T11:49:59Z');
    });

    it('ignores an unreadable cursor and does a full pull', async () => {
      let query: Record<string, string> = {};
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(200, JSON.stringify(page1), wpHeaders(2, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: 'yesterday' });
      expect(query.modified_after).toBeUndefined();
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
    });
  });

  describe('when a page is broken', () => {
    it('yields the malformed page with invalid_data, fetches the next page by offset from the same cursor and does not advance the cursor past it', async () => {
      const html = '<!DOCTYPE html><html><body><h1>Error establishing a database connection</h1></body></html>';
      const { queries } = fakeStore(byModified, (n) => (n === 2 ? [200, html, { ...wpHeaders(3, 2), 'Content-Type': 'text/html; charset=UTF-8' }] : undefined));
      const { connector } = makeConnector();
      // One try per page: what happens once a page is still broken after its last try (retries: below).
      const pages = await collect(connector, { modifiedAfter: '2017-01-01T00:00:00.000Z' }, { ...config, perPage: 2, maxAttempts: 1 });
      expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
      expect(queries.map((q) => [q.page, q.modified_after])).toEqual([
        ['1', '2016-12-31T23:49:59Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['2', '2017-03-22T19:28:07Z'],
      ]);
      expect(pages[1]?.body).toBe(html);
      expect(pages[1]?.contentType).toBe('text/html; charset=UTF-8');
      expect(pages[1]?.error?.code).toBe('invalid_data');
      expect(pages[1]?.error?.message).toMatch(/HTML page/);
      // The order after the broken page is fetched...
      expect(JSON.parse(pages[2]?.body ?? '[]').map((o: { id: number }) => o.id)).toEqual([5012]);
      // ...but the cursor stays before the broken page's window.
      expect(pages.map((p) => p.state)).toEqual([{ modifiedAfter: '2017-03-22T19:28:08.000Z' }, undefined, undefined]);
    });

    const html = '<!DOCTYPE html><html><body><h1>Error establishing a database connection</h1></body></html>';
    const htmlAnswer = (total: number, pages: number): [number, string, Record<string, string>] => [200, html, { ...wpHeaders(total, pages), 'Content-Type': 'text/html; charset=UTF-8' }];

    it('fetches a broken page again with backoff, reads the whole answer and moves the cursor past it', async () => {
      const { queries } = fakeStore(byModified, (n) => (n === 2 ? htmlAnswer(3, 2) : undefined));
      const { connector, sleeps } = makeConnector();
      const pages = (await collect(connector, { modifiedAfter: '2017-01-01T00:00:00.000Z' }, { ...config, perPage: 2 })) as WooPulledPage[];
      expect(sleeps).toEqual([100]);
      // The retry is the same request.
      expect(queries.map((q) => [q.page, q.modified_after])).toEqual([
        ['1', '2016-12-31T23:49:59Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['1', '2017-11-29T03:32:10Z'],
      ]);
      expect(pages.map((p) => p.error)).toEqual([undefined, undefined, undefined]);
      expect(pages[1]?.warning).toMatch(/arrived broken 1 time\(s\) and was fetched again/);
      expect(pages.map((p) => p.state)).toEqual([
        { modifiedAfter: '2017-03-22T19:28:08.000Z' },
        { modifiedAfter: '2017-11-29T03:32:11.000Z' },
        { modifiedAfter: '2024-03-15T09:07:41.000Z' },
      ]);
    });

    it('keeps a page broken on every try: yielded failed after the last try, the orders after it read, the cursor before it; the next run reads it', async () => {
      const { queries } = fakeStore(byModified, (n) => (n >= 2 && n <= 4 ? htmlAnswer(3, 2) : undefined));
      const { connector, sleeps } = makeConnector();
      const run1 = await collect(connector, { modifiedAfter: '2017-01-01T00:00:00.000Z' }, { ...config, perPage: 2, maxAttempts: 3 });
      expect(sleeps).toEqual([100, 200]);
      expect(queries.map((q) => [q.page, q.modified_after])).toEqual([
        ['1', '2016-12-31T23:49:59Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['1', '2017-03-22T19:28:07Z'],
        ['2', '2017-03-22T19:28:07Z'],
      ]);
      expect(run1.map((p) => p.error?.code)).toEqual([undefined, 'invalid_data', undefined]);
      expect(run1[1]?.error?.message).toMatch(/HTML page.*still broken after 3 tries/);
      expect(run1[1]?.body).toBe(html);
      // The order after the broken page is read, but the cursor stays before the broken page.
      expect(JSON.parse(run1[2]?.body ?? '[]').map((o: { id: number }) => o.id)).toEqual([5012]);
      expect(run1.map((p) => p.state)).toEqual([{ modifiedAfter: '2017-03-22T19:28:08.000Z' }, undefined, undefined]);

      // The next run starts before the broken page and reads its orders (727 and the coupon order 116).
      nock.cleanAll();
      fakeStore(byModified);
      const run2 = await collect(makeConnector().connector, run1[0]?.state, { ...config, perPage: 2, maxAttempts: 3 });
      expect(run2.map((p) => p.error)).toEqual(run2.map(() => undefined));
      expect(run2.flatMap((p) => JSON.parse(p.body) as Array<{ id: number }>).map((o) => o.id)).toEqual(expect.arrayContaining([727, 116, 5012]));
      expect(run2.at(-1)?.state).toEqual({ modifiedAfter: '2024-03-15T09:07:41.000Z' });
    });

    it('ends the pull when a page request fails on every try, with the cursor left at the page before it', async () => {
      fakeStore(byModified, (n) => (n >= 2 ? [503, 'Service Unavailable', {}] : undefined));
      const { connector, sleeps } = makeConnector();
      const pages: WooPulledPage[] = [];
      const pulling = (async () => {
        for await (const page of connector.pull!({ ...config, perPage: 2, maxAttempts: 3 }, undefined, { now: () => NOW })) pages.push(page);
      })();
      const error = await rejection(pulling);
      expect(error.code).toBe('upstream_unavailable');
      expect(sleeps).toEqual([100, 200]);
      expect(pages.map((p) => p.state)).toEqual([{ modifiedAfter: '2017-03-22T19:28:08.000Z' }]);
    });

    it('archives truncated JSON and a JSON object that is not a list as broken pages', async () => {
      nock(STORE)
        .get(ORDERS)
        .query((q) => q.page === '1')
        .reply(200, JSON.stringify(page1).slice(0, 500), wpHeaders(3, 2))
        .get(ORDERS)
        .query((q) => q.page === '2')
        .reply(200, '{"code":"internal_server_error","message":"There has been a critical error on this website."}', wpHeaders(3, 2));
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { ...config, maxAttempts: 1 });
      expect(pages.map((p) => p.error?.code)).toEqual(['invalid_data', 'invalid_data']);
      expect(pages[0]?.error?.message).toMatch(/malformed JSON/);
      expect(pages[1]?.error?.message).toMatch(/got object/);
      expect(pages.at(-1)?.state).toBeUndefined();
    });

    it('on an old store (orderby=date, offset paging) does not advance the cursor when the result set changes while paging', async () => {
      nock(STORE)
        .get(ORDERS)
        .query((q) => q.orderby === 'modified')
        .reply(400, { code: 'rest_invalid_param', message: 'Invalid parameter(s): orderby', data: { status: 400 } })
        .get(ORDERS)
        .query((q) => q.orderby === 'date' && q.page === '1')
        .reply(200, JSON.stringify(page1), wpHeaders(3, 2))
        .get(ORDERS)
        .query((q) => q.orderby === 'date' && q.page === '2')
        .reply(200, '[]', wpHeaders(2, 1));
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { ...config, perPage: 2 });
      expect(pages).toHaveLength(2);
      expect(pages.map((p) => p.state)).toEqual([undefined, undefined]);
    });
  });

  describe('when the store refuses or fails', () => {
    it('throws unauthorized on 401 with the WooCommerce message and no secrets', async () => {
      nock(STORE)
        .get(ORDERS)
        .query(true)
        .reply(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
      const { connector, sleeps } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.message).toContain('Sorry, you cannot list resources.');
      expect(error.message).toContain(`${STORE}${ORDERS}`);
      expect(error.message).not.toMatch(/ck_test_1234|cs_test_5678/);
      expect(sleeps).toEqual([]);
    });

    it('throws unauthorized on 403', async () => {
      nock(STORE).get(ORDERS).query(true).reply(403, { code: 'woocommerce_rest_authentication_error', message: 'Consumer key is invalid.', data: { status: 403 } });
      const { connector } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain('Consumer key is invalid.');
    });

    it('honours Retry-After on 429', async () => {
      nock(STORE).get(ORDERS).query(true).reply(429, 'Too Many Requests', { 'Retry-After': '3' }).get(ORDERS).query(true).reply(200, JSON.stringify(page1), wpHeaders(2, 1));
      const { connector, sleeps } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(sleeps).toEqual([3000]);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
    });

    it('retries a 500 with backoff and goes on', async () => {
      nock(STORE).get(ORDERS).query(true).reply(500, '<html>Internal Server Error</html>').get(ORDERS).query(true).reply(200, JSON.stringify(page1), wpHeaders(2, 1));
      const { connector, sleeps } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(sleeps).toEqual([100]);
      expect(pages[0]?.error).toBeUndefined();
    });

    it('throws upstream_unavailable after maxAttempts of 503', async () => {
      nock(STORE).get(ORDERS).query(true).times(2).reply(503, 'Service Unavailable');
      const { connector, sleeps } = makeConnector();
      const error = await rejection(collect(connector, undefined, { ...config, maxAttempts: 2 }));
      expect(error.code).toBe('upstream_unavailable');
      expect(error.transient).toBe(true);
      expect(sleeps).toEqual([100]);
    });

    describe('when a request times out', () => {
      let server: Server | undefined;
      afterEach(async () => {
        server?.closeAllConnections();
        await new Promise((resolve) => server?.close(resolve));
        server = undefined;
      });

      it('retries it', async () => {
        let hits = 0;
        server = createServer((req, res) => {
          hits++;
          if (hits === 1) return; // the first request never gets an answer
          res.writeHead(200, wpHeaders(2, 1));
          res.end(JSON.stringify(page1));
        });
        await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as AddressInfo;
        const { connector, sleeps } = makeConnector();
        const pages = await collect(connector, undefined, { ...config, url: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
        expect(hits).toBe(2);
        expect(sleeps).toEqual([100]);
        expect(pages[0]?.state).toEqual({ modifiedAfter: '2017-03-22T19:28:08.000Z' });
      });
    });
  });

  describe('fetchOrder (the webhook fallback)', () => {
    it('fetches one order by id as a page without a cursor', async () => {
      const body = JSON.stringify(page1[0]);
      nock(STORE).get(`${ORDERS}/727`).basicAuth({ user: 'ck_test_1234', pass: 'cs_test_5678' }).reply(200, body, { 'Content-Type': 'application/json; charset=UTF-8' });
      const page = await makeConnector().connector.fetchOrder!(config, '727');
      expect(page).toEqual({ source: `${STORE}${ORDERS}/727`, contentType: 'application/json; charset=UTF-8', body, page: 1 });
    });

    it('returns an answer that is not one order with invalid_data, so it is archived as received', async () => {
      nock(STORE).get(`${ORDERS}/727`).reply(200, '<html>Maintenance</html>', { 'Content-Type': 'text/html' }).get(`${ORDERS}/728`).reply(200, '[]');
      const { connector } = makeConnector();
      expect((await connector.fetchOrder!(config, '727')).error).toMatchObject({ code: 'invalid_data', message: expect.stringMatching(/malformed JSON/) });
      expect((await connector.fetchOrder!(config, '728')).error).toMatchObject({ code: 'invalid_data', message: expect.stringMatching(/order object/) });
    });

    it('throws upstream_rejected for an unknown order, and does not ask for an id that is not a number', async () => {
      nock(STORE).get(`${ORDERS}/999`).reply(404, { code: 'woocommerce_rest_shop_order_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
      const { connector } = makeConnector();
      expect(await rejection(connector.fetchOrder!(config, '999'))).toMatchObject({ code: 'upstream_rejected', status: 404 });
      expect(await rejection(connector.fetchOrder!(config, '../products'))).toMatchObject({ code: 'upstream_rejected' });
    });
  });

  describe('when the server strips Authorization (authMode query)', () => {
    it('sends consumer_key/consumer_secret in the query and redacts them from the page source', async () => {
      let query: Record<string, string> = {};
      let authorization: unknown;
      nock(STORE)
        .get(ORDERS)
        .query((q) => {
          query = q as Record<string, string>;
          return true;
        })
        .reply(function () {
          authorization = this.req.headers.authorization;
          return [200, JSON.stringify(page1), wpHeaders(2, 1)];
        });
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined, { ...config, authMode: 'query' });
      expect(query.consumer_key).toBe('ck_test_1234');
      expect(query.consumer_secret).toBe('cs_test_5678');
      expect(authorization).toBeUndefined();
      expect(pages[0]?.source).toContain('consumer_key=***');
      expect(pages[0]?.source).toContain('consumer_secret=***');
      expect(pages[0]?.source).not.toMatch(/ck_test_1234|cs_test_5678/);
    });
  });

  describe('check', () => {
    it('reports ok with the number of visible orders', async () => {
      nock(STORE).get(ORDERS).query({ per_page: '1' }).basicAuth({ user: 'ck_test_1234', pass: 'cs_test_5678' }).reply(200, JSON.stringify([page1[0]]), wpHeaders(42, 42));
      const report = await woocommerceConnector.check(config);
      expect(report.ok).toBe(true);
      expect(report.message).toBe('Connected to WooCommerce at https://shop.example.hu: 42 orders visible.');
    });

    it('reports a bad key', async () => {
      nock(STORE).get(ORDERS).query(true).reply(401, { code: 'woocommerce_rest_authentication_error', message: 'Consumer secret is invalid.', data: { status: 401 } });
      const report = await woocommerceConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/rejected the API key/);
      expect(report.message).toContain('Consumer secret is invalid.');
      expect(report.message).not.toMatch(/cs_test_5678/);
    });

    it('reports an unreachable store', async () => {
      nock(STORE).get(ORDERS).query(true).times(2).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      const { connector } = makeConnector();
      const report = await connector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/^Could not reach https:\/\/shop\.example\.hu/);
      expect(report.message).toContain('ECONNREFUSED');
    });

    it('reports WordPress without WooCommerce', async () => {
      nock(STORE).get(ORDERS).query(true).reply(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } });
      const report = await woocommerceConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/Not a WooCommerce store .* is WooCommerce active\?/);
    });

    it('reports a site that answers HTML instead of the REST API', async () => {
      nock(STORE).get(ORDERS).query(true).reply(200, '<!doctype html><title>Shop</title>', { 'Content-Type': 'text/html' });
      const report = await woocommerceConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/^Not a WooCommerce store/);
      expect(report.message).toContain('text/html');
    });

    it('reports a malformed config without throwing', async () => {
      const report = await woocommerceConnector.check({ ...config, url: 'not a url' });
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/not an http\(s\) URL/);
      const missing = await woocommerceConnector.check({ ...config, consumerSecret: '' });
      expect(missing.ok).toBe(false);
    });
  });

  describe('when refund details are switched on (refundDetails)', () => {
    const REFUNDS_723 = `${ORDERS}/723/refunds`;
    const on: WooConfig = { ...config, refundDetails: true };

    it('is off by default: an order page naming refunds makes no other request', async () => {
      fakeStore(byModified);
      const refunds = nock(STORE).get(REFUNDS_723).query(true).reply(200, refunds723, wpHeaders(2, 1));
      const pages = await collect(makeConnector().connector, undefined);
      expect(pages.map((p) => [p.source.split('?')[0], p.error, p.state])).toEqual([[`${STORE}${ORDERS}`, undefined, { modifiedAfter: '2024-03-15T09:07:41.000Z' }]]);
      expect(refunds.isDone()).toBe(false);
      expect(Value.Check(woocommerceConnector.spec, { url: STORE, consumerKey: 'ck_1', consumerSecret: 'cs_1', refundDetails: true })).toBe(true);
    });

    it('follows an order page with the refund list of each order naming refunds, and moves its cursor onto the last list', async () => {
      fakeStore(byModified);
      const queries: Array<Record<string, string>> = [];
      nock(STORE)
        .get(REFUNDS_723)
        .query((q) => {
          queries.push(q as Record<string, string>);
          return true;
        })
        .reply(200, refunds723, wpHeaders(2, 1))
        .get(`${ORDERS}/116/refunds`)
        .query(true)
        .reply(200, '[]', wpHeaders(0, 0));
      const pages = await collect(makeConnector().connector, undefined, { ...on, perPage: 2 });
      expect(pages.map((p) => [p.page, p.source.replace(STORE, '').split('?')[0], p.error, p.state])).toEqual([
        [1, ORDERS, undefined, undefined],
        [1, REFUNDS_723, undefined, { modifiedAfter: '2017-03-22T19:28:08.000Z' }],
        [2, ORDERS, undefined, undefined],
        [2, `${ORDERS}/116/refunds`, undefined, { modifiedAfter: '2017-11-29T03:32:11.000Z' }],
        [3, ORDERS, undefined, { modifiedAfter: '2024-03-15T09:07:41.000Z' }],
      ]);
      // Every refund of the order in one request (the API's default page is 10), the body as received.
      expect(queries).toEqual([{ per_page: '100', page: '1' }]);
      expect(pages[1]?.body).toBe(refunds723);
      expect(pages[1]?.source).toBe(`${STORE}${REFUNDS_723}?per_page=100&page=1`);
    });

    it('reads every page of a long refund list', async () => {
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify([page1[1]]), wpHeaders(1, 1));
      nock(STORE).get(REFUNDS_723).query({ per_page: '100', page: '1' }).reply(200, refunds723, wpHeaders(102, 2));
      nock(STORE).get(REFUNDS_723).query({ per_page: '100', page: '2' }).reply(200, '[]', wpHeaders(102, 2));
      const pages = await collect(makeConnector().connector, undefined, on);
      expect(pages.map((p) => [p.source.replace(STORE, ''), p.state !== undefined])).toEqual([
        [`${ORDERS}?per_page=100&page=1&orderby=modified&order=asc&modified_before=2024-05-01T12%3A00%3A00Z&dates_are_gmt=true`, false],
        [`${REFUNDS_723}?per_page=100&page=1`, false],
        [`${REFUNDS_723}?per_page=100&page=2`, true],
      ]);
    });

    it('when the refund list cannot be fetched: a failed page with nothing received, and the cursor stays for the rest of the run', async () => {
      fakeStore(byModified);
      nock(STORE).get(REFUNDS_723).query(true).times(2).reply(500, '<html>Internal Server Error</html>');
      nock(STORE).get(`${ORDERS}/116/refunds`).query(true).reply(200, '[]', wpHeaders(0, 0));
      const { connector, sleeps } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: '2017-01-01T00:00:00.000Z' }, { ...on, perPage: 2, maxAttempts: 2 });
      expect(pages.map((p) => [p.page, p.source.replace(STORE, '').split('?')[0], p.error?.code, p.state])).toEqual([
        [1, ORDERS, undefined, undefined],
        [1, REFUNDS_723, 'upstream_unavailable', undefined],
        [2, ORDERS, undefined, undefined],
        [2, `${ORDERS}/116/refunds`, undefined, undefined],
        [3, ORDERS, undefined, undefined],
      ]);
      expect(pages[1]?.body).toBe('');
      expect(pages[1]?.error?.message).toMatch(/^the refunds of order 723 could not be fetched: .*500/);
      expect(sleeps).toHaveLength(1); // the client's own retry
    });

    it('when the store answers the refund list with something else than a JSON array: archived as received, failed', async () => {
      nock(STORE).get(ORDERS).query(true).reply(200, JSON.stringify([page1[1]]), wpHeaders(1, 1));
      nock(STORE).get(REFUNDS_723).query(true).reply(200, '{"code":"woocommerce_rest_invalid_order_id"}', wpHeaders(1, 1));
      const pages = await collect(makeConnector().connector, undefined, on);
      expect(pages.map((p) => [p.error?.code, p.state])).toEqual([
        [undefined, undefined],
        ['invalid_data', undefined],
      ]);
      expect(pages[1]?.body).toBe('{"code":"woocommerce_rest_invalid_order_id"}');
    });
  });
});
