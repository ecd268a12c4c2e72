import { afterEach, describe, it, expect } from 'vitest';
import axios from 'axios';
import { Decimal } from 'decimal.js';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { createWooCommerceConnector, type WooConfig, type WooState } from '../../connectors/woocommerce/index.ts';
import { OrderDraftSchema } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { generateWooOrder, startWooSandbox, type WooSandbox } from '../../demo/woo-sandbox.ts';
import { woocommerceMapping } from '../../mappings/woocommerce/index.ts';

const KEY = 'ck_sandbox';
const SECRET = 'cs_sandbox';
const NOW = new Date('2025-01-01T00:00:00Z');

let sandbox: WooSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Partial<Parameters<typeof startWooSandbox>[0]> = {}): Promise<WooSandbox> {
  sandbox = await startWooSandbox({ consumerKey: KEY, consumerSecret: SECRET, ...options });
  return sandbox;
}

const get = (url: string, params: Record<string, string | number> = {}, auth: { username: string; password: string } | undefined = { username: KEY, password: SECRET }) =>
  axios.get<string>(url, { params, ...(auth ? { auth } : {}), responseType: 'text', transformResponse: [(d: unknown) => d], validateStatus: () => true });

function makeConnector() {
  const sleeps: number[] = [];
  const connector = createWooCommerceConnector({ http: { jitter: 0, baseDelayMs: 100, sleep: async (ms) => void sleeps.push(ms) } });
  return { connector, sleeps };
}

async function pullAll(config: WooConfig, state: WooState | undefined, connector = makeConnector().connector): Promise<Array<PulledPage<WooState>>> {
  const pages: Array<PulledPage<WooState>> = [];
  for await (const page of connector.pull?.(config, state, { now: () => NOW }) ?? []) pages.push(page);
  return pages;
}

const idsOf = (pages: Array<PulledPage<WooState>>): number[] => pages.flatMap((p) => (JSON.parse(p.body) as Array<{ id: number }>).map((o) => o.id));

describe('woo sandbox', () => {
  describe('generateWooOrder', () => {
    it('is deterministic and shaped like the REST API (money strings, dates without Z, float price)', () => {
      const a = generateWooOrder(7);
      expect(generateWooOrder(7)).toEqual(a);
      expect(a.id).toBe(1007);
      expect(a.date_created_gmt).toBe('2024-01-01T08:07:00');
      expect(a.date_created).toBe('2024-01-01T09:07:00');
      expect(a.total).toMatch(/^\d+\.\d{2}$/);
      expect(typeof a.line_items[0]?.price).toBe('number');
    });

    it('varies statuses, currencies, lines and meta', () => {
      const orders = Array.from({ length: 300 }, (_, i) => generateWooOrder(i));
      expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['processing', 'completed', 'on-hold', 'pending', 'cancelled', 'refunded', 'failed', 'checkout-draft']));
      expect(new Set(orders.map((o) => o.currency))).toEqual(new Set(['HUF', 'EUR']));
      expect(orders.some((o) => o.coupon_lines.length > 0)).toBe(true);
      expect(orders.some((o) => o.fee_lines.length > 0)).toBe(true);
      expect(orders.some((o) => o.shipping_lines[0]?.method_id.includes(':'))).toBe(true);
      expect(orders.some((o) => o.line_items.some((l) => l.variation_id !== 0 && l.meta_data.some((m) => m.display_key === 'Szín')))).toBe(true);
      expect(orders.some((o) => o.billing.country === 'HU' && o.billing.state === 'BU')).toBe(true);
    });

    it('produces orders the mapping reads without errors, satisfying the totals identity', () => {
      const orders = Array.from({ length: 200 }, (_, i) => generateWooOrder(i));
      const result = woocommerceMapping.map({ kind: 'pull', body: JSON.stringify(orders) }, {});
      expect(result.errors).toEqual([]);
      expect(result.orders).toHaveLength(200);
      for (const draft of result.orders) {
        expect(firstProblem(OrderDraftSchema, draft)).toBeUndefined();
        const lines = draft.lines.reduce((sum, l) => sum.plus(l.total), new Decimal(0));
        expect(lines.plus(draft.totals.tax).toFixed()).toBe(new Decimal(draft.totals.total).toFixed());
      }
    });
  });

  describe('when queried like the real API', () => {
    it('answers 401 with the WooCommerce error body on bad credentials', async () => {
      const s = await start({ initialOrders: 3 });
      const res = await get(`${s.url}/wp-json/wc/v3/orders`, {}, { username: KEY, password: 'wrong' });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.data)).toEqual({ code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
    });

    it('pages with X-WP-Total, X-WP-TotalPages and Link, and answers [] past the end', async () => {
      const s = await start({ initialOrders: 25 });
      const first = await get(`${s.url}/wp-json/wc/v3/orders`, { per_page: 10, page: 1 });
      expect(first.status).toBe(200);
      expect(first.headers['x-wp-total']).toBe('25');
      expect(first.headers['x-wp-totalpages']).toBe('3');
      expect(first.headers.link).toContain('rel="next"');
      // Default order: date desc, like WooCommerce.
      expect((JSON.parse(first.data) as Array<{ id: number }>)[0]?.id).toBe(1024);
      const beyond = await get(`${s.url}/wp-json/wc/v3/orders`, { per_page: 10, page: 9 });
      expect(beyond.status).toBe(200);
      expect(beyond.data).toBe('[]');
      const tooMany = await get(`${s.url}/wp-json/wc/v3/orders`, { per_page: 101 });
      expect(tooMany.status).toBe(400);
      expect(JSON.parse(tooMany.data).code).toBe('rest_invalid_param');
    });

    it('encodes like PHP json_encode and accepts query-string auth', async () => {
      const s = await start({ initialOrders: 2 });
      const res = await get(`${s.url}/wp-json/wc/v3/orders`, { consumer_key: KEY, consumer_secret: SECRET }, undefined);
      expect(res.status).toBe(200);
      expect(res.data).toContain('https:\\/\\/shop.example.hu\\/');
      expect(res.data).not.toMatch(/[\u0080-\uffff]/);
      expect(s.requests.at(-1)?.query.consumer_secret).toBe('***');
    });

    it('filters on modified_after/modified_before with dates_are_gmt and sorts by modified', async () => {
      const s = await start({ initialOrders: 20 });
      const res = await get(`${s.url}/wp-json/wc/v3/orders`, {
        orderby: 'modified',
        order: 'asc',
        modified_after: s.orders[14]?.date_modified_gmt ?? '',
        dates_are_gmt: 'true',
      });
      const ids = (JSON.parse(res.data) as Array<{ id: number }>).map((o) => o.id);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const order = s.orders.find((o) => o.id === id);
        expect((order?.date_modified_gmt ?? '') > (s.orders[14]?.date_modified_gmt ?? '')).toBe(true);
      }
      const single = await get(`${s.url}/wp-json/wc/v3/orders/1003`);
      expect(JSON.parse(single.data).id).toBe(1003);
      const none = await get(`${s.url}/wp-json/wc/v3/nothing`);
      expect(JSON.parse(none.data).code).toBe('rest_no_route');
    });
  });

  describe('when the connector pulls from it over loopback', () => {
    it('pulls everything, then only the changes since the cursor', async () => {
      const s = await start({ initialOrders: 250 });
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0 };
      const full = await pullAll(config, undefined);
      expect(full.map((p) => [p.page, p.totalPages, p.error])).toEqual([
        [1, 3, undefined],
        [2, 3, undefined],
        [3, 3, undefined],
      ]);
      expect(new Set(idsOf(full)).size).toBe(250);
      const maxModified = s.orders.map((o) => o.date_modified_gmt).sort().at(-1);
      const state = full.at(-1)?.state;
      expect(state).toEqual({ modifiedAfter: `${maxModified}.000Z` });

      const touched = s.touchOrders(5).map((o) => o.id);
      const added = s.addOrders(3).map((o) => o.id);
      const incremental = await pullAll(config, state);
      expect(incremental).toHaveLength(1);
      expect(idsOf(incremental).sort()).toEqual([...touched, ...added].sort());
      const next = incremental.at(-1)?.state;
      expect(next?.modifiedAfter && state?.modifiedAfter && next.modifiedAfter > state.modifiedAfter).toBe(true);

      const nothing = await pullAll(config, next);
      expect(idsOf(nothing)).toEqual([]);
      expect(nothing.at(-1)?.state).toEqual(next);
    });

    it('re-reads the overlap window by default (intake is idempotent)', async () => {
      const s = await start({ initialOrders: 30 });
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET };
      const full = await pullAll(config, undefined);
      const again = await pullAll(config, full.at(-1)?.state);
      // Orders are one minute apart: the last 10 minutes hold about 10 of them.
      expect(idsOf(again).length).toBeGreaterThanOrEqual(9);
      expect(idsOf(again).length).toBeLessThanOrEqual(11);
      expect(again.at(-1)?.state).toEqual(full.at(-1)?.state);
    });

    it('works against an old store that ignores modified_after and rejects orderby=modified', async () => {
      const s = await start({ initialOrders: 40, supportsModifiedFilters: false });
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, perPage: 15 };
      const first = await pullAll(config, undefined);
      const state = first.at(-1)?.state;
      const second = await pullAll(config, state);
      expect(new Set(idsOf(second)).size).toBe(40);
      expect(second.every((p) => p.source.includes('orderby=date'))).toBe(true);
      expect(second.at(-1)?.state).toEqual(state);
    });

    it('recovers from injected throttling and reports bad credentials', async () => {
      const s = await start({ initialOrders: 5 });
      s.injectFaults({ status: 429, headers: { 'Retry-After': '2' } }, { status: 503 });
      const { connector, sleeps } = makeConnector();
      const pages = await pullAll({ url: s.url, consumerKey: KEY, consumerSecret: SECRET }, undefined, connector);
      expect(sleeps).toEqual([2000, 200]);
      expect(idsOf(pages)).toHaveLength(5);
      const report = await connector.check({ url: s.url, consumerKey: KEY, consumerSecret: 'nope' });
      expect(report.ok).toBe(false);
      expect(report.message).toContain('Sorry, you cannot list resources.');
      const ok = await connector.check({ url: s.url, consumerKey: KEY, consumerSecret: SECRET, authMode: 'query' });
      expect(ok).toMatchObject({ ok: true, message: `Connected to WooCommerce at ${s.url}: 5 orders visible.` });
    });
  });
});
