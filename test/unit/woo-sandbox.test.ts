import { afterEach, describe, it, expect } from 'vitest';
import axios from 'axios';
import { Decimal } from 'decimal.js';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { createWooCommerceConnector, type WooConfig, type WooState } from '../../connectors/woocommerce/index.ts';
import { OrderDraftSchema } from '../../core/model/order.ts';
import { firstProblem } from '../../core/model/validate.ts';
import { generateWooOrder, startWooSandbox, type WooSandbox } from '../../testkit/woo-sandbox.ts';
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

async function pullAll(config: WooConfig, state: WooState | undefined, connector = makeConnector().connector, now = NOW): Promise<Array<PulledPage<WooState>>> {
  const pages: Array<PulledPage<WooState>> = [];
  for await (const page of connector.pull?.(config, state, { now: () => now }) ?? []) pages.push(page);
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

    it('holds a list answer while beforeList\'s promise is pending, then answers from the orders as they are then', async () => {
      let release!: () => void;
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      const s = await start({
        initialOrders: 3,
        beforeList: (_query, served) => {
          if (served !== 0) return undefined;
          held();
          return new Promise<void>((resolve) => (release = resolve));
        },
      });
      let answered = false;
      const first = get(`${s.url}/wp-json/wc/v3/orders`).then((res) => {
        answered = true;
        return res;
      });
      await holding;
      // A second request is not held, and answers while the first still waits.
      expect((await get(`${s.url}/wp-json/wc/v3/orders`)).headers['x-wp-total']).toBe('3');
      expect(answered).toBe(false);
      s.addOrders(1);
      release();
      expect((await first).headers['x-wp-total']).toBe('4');
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
      const all = await get(`${s.url}/wp-json/wc/v3/orders`, { orderby: 'modified', order: 'asc', per_page: 5 });
      const byOffset = await get(`${s.url}/wp-json/wc/v3/orders`, { orderby: 'modified', order: 'asc', per_page: 5, page: 3, offset: 2 });
      // offset overrides page (WP_Query); the paging headers still count the whole result.
      expect((JSON.parse(byOffset.data) as Array<{ id: number }>).map((o) => o.id)).toEqual(
        (JSON.parse((await get(`${s.url}/wp-json/wc/v3/orders`, { orderby: 'modified', order: 'asc', per_page: 7 })).data) as Array<{ id: number }>).slice(2, 7).map((o) => o.id),
      );
      expect(byOffset.headers['x-wp-total']).toBe(all.headers['x-wp-total']);
      const before = await get(`${s.url}/wp-json/wc/v3/orders`, { modified_before: s.orders[3]?.date_modified_gmt ?? '', dates_are_gmt: 'true', per_page: 100 });
      for (const o of JSON.parse(before.data) as Array<{ date_modified_gmt: string }>) expect(o.date_modified_gmt < (s.orders[3]?.date_modified_gmt ?? '')).toBe(true);
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

      // Orders in the cursor's own second are re-read (modified_after is exclusive, the request uses cursor − 1 s).
      const atSecond = (cursor: string | undefined) => s.orders.filter((o) => `${o.date_modified_gmt}.000Z` === cursor).map((o) => o.id);
      const touched = s.touchOrders(5).map((o) => o.id);
      const added = s.addOrders(3).map((o) => o.id);
      const incremental = await pullAll(config, state);
      expect(incremental).toHaveLength(1);
      expect(new Set(idsOf(incremental))).toEqual(new Set([...touched, ...added, ...atSecond(state?.modifiedAfter)]));
      const next = incremental.at(-1)?.state;
      expect(next?.modifiedAfter && state?.modifiedAfter && next.modifiedAfter > state.modifiedAfter).toBe(true);

      const nothing = await pullAll(config, next);
      expect(idsOf(nothing)).toEqual(atSecond(next?.modifiedAfter));
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

    it('reads more orders modified in one second than a page holds (ties) by offset, without looping or skipping', async () => {
      const s = await start({ initialOrders: 300 });
      // A bulk edit: 250 orders get the same date_modified_gmt.
      const bulkAt = new Date('2024-06-01T10:00:00Z');
      const bulk = s.touchOrderIds(s.orders.slice(20, 270).map((o) => o.id), bulkAt).map((o) => o.id);
      expect(bulk).toHaveLength(250);
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0 };
      const first = await pullAll(config, undefined);
      expect(first.every((p) => p.error === undefined)).toBe(true);
      expect(new Set(idsOf(first))).toEqual(new Set(s.orders.map((o) => o.id)));
      expect(first.length).toBeLessThan(10);
      expect(first.at(-1)?.state).toEqual({ modifiedAfter: bulkAt.toISOString() });
      // The tie second was read by offset within (second − 1 s, second + 1 s).
      const tieQueries = s.requests.filter((r) => r.query.modified_before === '2024-06-01T10:00:01Z');
      expect(tieQueries.map((r) => r.query.page)).toEqual(['1', '2', '3']);
      expect(tieQueries.every((r) => r.query.modified_after === '2024-06-01T09:59:59Z')).toBe(true);

      // From that cursor (overlap 0): the tie second again, then nothing, no loop.
      s.requests.length = 0;
      const again = await pullAll(config, first.at(-1)?.state);
      expect(new Set(idsOf(again))).toEqual(new Set(bulk));
      expect(s.requests.length).toBeLessThan(8);
      expect(again.at(-1)?.state).toEqual({ modifiedAfter: bulkAt.toISOString() });
    });

    it('re-reads a same-second window from page 1 when an order leaves it while it is paged by offset', async () => {
      const s = await start({ initialOrders: 260 });
      const bulkAt = new Date('2024-06-01T10:00:00Z');
      const bulk = s.touchOrderIds(s.orders.slice(0, 250).map((o) => o.id), bulkAt).map((o) => o.id);
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0 };
      const pages: Array<PulledPage<WooState>> = [];
      let moved: number[] = [];
      for await (const page of makeConnector().connector.pull?.(config, undefined, { now: () => NOW }) ?? []) {
        pages.push(page);
        const q = s.requests.at(-1)?.query;
        if (moved.length === 0 && q?.modified_before === '2024-06-01T10:00:01Z' && q.page === '2') {
          // Someone edits an order of the first tie page: the rest of the window shifts left by one.
          const firstTiePage = JSON.parse(pages.at(-2)?.body ?? '[]') as Array<{ id: number }>;
          moved = s.touchOrderIds([firstTiePage[0]?.id ?? 0], new Date('2024-06-01T10:05:00Z')).map((o) => o.id);
        }
      }
      expect(moved).toHaveLength(1);
      const tiePages = s.requests.filter((r) => r.query.modified_before === '2024-06-01T10:00:01Z').map((r) => r.query.page);
      expect(tiePages).toEqual(['1', '2', '3', '1', '2', '3']);
      // Nothing of the window was skipped, and the moved order was read again with its new date.
      const ids = new Set(idsOf(pages));
      expect(bulk.every((id) => ids.has(id))).toBe(true);
      expect(pages.every((p) => p.state !== undefined)).toBe(true);
      expect(pages.at(-1)?.state).toEqual({ modifiedAfter: '2024-06-01T10:05:00.000Z' });
    });

    it('advances the cursor page by page: a new pull from the state of a crashed run misses nothing', async () => {
      const s = await start({ initialOrders: 250 });
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0 };
      const crashed: Array<PulledPage<WooState>> = [];
      for await (const page of makeConnector().connector.pull?.(config, undefined, { now: () => NOW }) ?? []) {
        crashed.push(page);
        if (crashed.length === 2) break; // the process dies after storing page 2 (and its state)
      }
      const saved = crashed.at(-1)?.state;
      expect(crashed.map((p) => p.state?.modifiedAfter === undefined)).toEqual([false, false]);
      expect(saved?.modifiedAfter && saved.modifiedAfter < (crashed[0]?.state?.modifiedAfter ?? '') ? 'backwards' : 'forward').toBe('forward');
      const resumed = await pullAll(config, saved);
      const seen = new Set([...idsOf(crashed), ...idsOf(resumed)]);
      expect(seen).toEqual(new Set(s.orders.map((o) => o.id)));
      // It resumed near page 3, it did not start over.
      expect(idsOf(resumed).length).toBeLessThan(60);
    });

    it('on a busy store, orders modified during the run are picked up by the next run and none is lost', async () => {
      const s = await start({ initialOrders: 250 });
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0 };
      const sorted = [...s.orders].sort((a, b) => a.date_modified_gmt.localeCompare(b.date_modified_gmt) || a.id - b.id);
      const runStart = new Date(Date.parse(`${sorted.at(-1)?.date_modified_gmt}Z`) + 60_000);
      const duringRun = new Date(runStart.getTime() + 30_000);
      const run1: Array<PulledPage<WooState>> = [];
      let changed: number[] = [];
      for await (const page of makeConnector().connector.pull?.(config, undefined, { now: () => runStart }) ?? []) {
        run1.push(page);
        if (run1.length === 1) {
          // Staff edit 5 orders already read and 5 not yet read while the sync pages (X-WP-Total shrinks).
          changed = s.touchOrderIds([...sorted.slice(10, 15), ...sorted.slice(200, 205)].map((o) => o.id), duringRun).map((o) => o.id);
        }
      }
      expect(run1.every((p) => p.error === undefined && p.state !== undefined)).toBe(true);
      const state = run1.at(-1)?.state;
      expect(state?.modifiedAfter && state.modifiedAfter <= runStart.toISOString()).toBe(true);
      const run2 = await pullAll(config, state, makeConnector().connector, new Date(duringRun.getTime() + 60_000));
      // The next run is incremental and carries the new versions of every changed order.
      expect(idsOf(run2).length).toBeLessThan(20);
      const run2Orders = run2.flatMap((p) => JSON.parse(p.body) as Array<{ id: number; date_modified_gmt: string }>);
      for (const id of changed) expect(run2Orders.find((o) => o.id === id)?.date_modified_gmt).toBe(duringRun.toISOString().slice(0, 19));
      expect(new Set([...idsOf(run1), ...idsOf(run2)])).toEqual(new Set(s.orders.map((o) => o.id)));
    });

    it('archives a broken page, reads the next page by offset, and the next run re-reads the broken window', async () => {
      const s = await start({ initialOrders: 250 });
      // One try per page: the broken page is not fetched again within the run.
      const config: WooConfig = { url: s.url, consumerKey: KEY, consumerSecret: SECRET, overlapMinutes: 0, maxAttempts: 1 };
      const run1: Array<PulledPage<WooState>> = [];
      let brokenIds: number[] = [];
      for await (const page of makeConnector().connector.pull?.(config, undefined, { now: () => NOW }) ?? []) {
        run1.push(page);
        if (run1.length === 1) {
          // A PHP notice printed before the JSON: WordPress headers are fine, the body is not JSON.
          const q = new URLSearchParams({ per_page: '100', page: '1', orderby: 'modified', order: 'asc', modified_before: '2025-01-01T00:00:00Z', dates_are_gmt: 'true' });
          const lastTime = Date.parse(`${(JSON.parse(page.body) as Array<{ date_modified_gmt: string }>).at(-1)?.date_modified_gmt}Z`);
          q.set('modified_after', new Date(lastTime - 1000).toISOString().replace('.000', ''));
          const real = await get(`${s.url}/wp-json/wc/v3/orders?${q.toString()}`);
          brokenIds = (JSON.parse(real.data) as Array<{ id: number }>).map((o) => o.id);
          s.requests.length = 0;
          s.injectFaults({
            status: 200,
            body: `<br />\n<b>Notice</b>:  Undefined index: foo in <b>/var/www/wp-content/plugins/x.php</b><br />\n${real.data}`,
            headers: { 'X-WP-Total': String(real.headers['x-wp-total']), 'X-WP-TotalPages': String(real.headers['x-wp-totalpages']) },
          });
        }
      }
      expect(run1.map((p) => p.error?.code)).toEqual([undefined, 'invalid_data', undefined]);
      // The page after the broken one: same modified_after, page 2.
      expect(s.requests.map((r) => r.query.page)).toEqual(['1', '2']);
      expect(s.requests[1]?.query.modified_after).toBe(s.requests[0]?.query.modified_after);
      const readInRun1 = new Set(idsOf(run1.filter((p) => !p.error)));
      expect(brokenIds.filter((id) => !readInRun1.has(id)).length).toBeGreaterThan(90);
      expect(s.orders.filter((o) => !readInRun1.has(o.id)).every((o) => brokenIds.includes(o.id))).toBe(true);
      // The cursor did not pass the broken page: state only on the page before it.
      expect(run1.map((p) => p.state === undefined)).toEqual([false, true, true]);
      const run2 = await pullAll(config, run1[0]?.state);
      const run2Ids = new Set(idsOf(run2));
      expect(brokenIds.every((id) => run2Ids.has(id))).toBe(true);
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
