import type { ListWindow, OrderListPage, OrderStamp, PulledPage, PullOptions } from '../../_kit/definition.ts';
import { ConnectorError } from '../../_kit/connector-error.ts';
import { bodyExcerpt, type HttpResponse, type QueryValue } from '../../_kit/http.ts';
import { innerIdOf, resourceIdFor, resourceIdOf, type ShoprenterClient } from '../client.ts';
import { formatLocalIso as formatShopLocal, parseLocalIso as parseShopLocal } from '../../../lib/time-zones.ts';
import type { ResolvedShoprenterConfig, ShoprenterState } from '../spec.ts';
import type { SrPulledDocument, SrPulledOrder } from '../types.ts';

/** Never loop forever on a shop whose links lie. */
const MAX_PAGES = 100_000;
/** Products/totals of one order: 200 per page; more pages than this is not an order. */
const MAX_CHILD_PAGES = 50;
const SECOND = 1000;

/** A pulled page, plus a warning ops should see (not an error: the page itself is fine). */
export interface ShoprenterPulledPage extends PulledPage<ShoprenterState> {
  warning?: string | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Shoprenter answers XML unless it honours `Accept: application/json`. */
export function looksLikeXml(response: Pick<HttpResponse, 'body' | 'contentType'>): boolean {
  return /xml/i.test(response.contentType) || /^\s*(\uFEFF)?<\?xml|^\s*<[A-Za-z]/.test(response.body);
}

export const XML_ANSWER_MESSAGE =
  'Shoprenter answered XML although the request sent Accept: application/json (a proxy or an old API endpoint dropped the header?); the hub reads JSON only';

type Parsed = { ok: true; value: Json } | { ok: false; xml: boolean; message: string };

/** A collection page: `{href, page, limit, first, previous, next, last, items: [...]}`. */
function readCollection(response: HttpResponse, what: string): Parsed {
  if (looksLikeXml(response)) return { ok: false, xml: true, message: `${XML_ANSWER_MESSAGE} (${what}; ${response.contentType || 'no content type'}): ${bodyExcerpt(response.body, 120)}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch (error) {
    const kind = /html/i.test(response.contentType) ? 'an HTML page' : 'malformed JSON';
    return { ok: false, xml: false, message: `expected a JSON ${what} page, got ${kind}: ${(error as Error).message}; starts with: ${bodyExcerpt(response.body, 120)}` };
  }
  if (!isObject(parsed) || !Array.isArray(parsed.items)) {
    return { ok: false, xml: false, message: `expected a JSON ${what} page with "items", got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}: ${bodyExcerpt(response.body, 120)}` };
  }
  return { ok: true, value: parsed };
}

/** `page` query value of a paging link (`…/orders?page=46&limit=5` → 46). */
export function pageOfLink(link: unknown): number | undefined {
  if (!isObject(link) || typeof link.href !== 'string') return undefined;
  const m = /[?&]page=(\d+)/.exec(link.href);
  return m ? Number(m[1]) : undefined;
}

const later = (a: Date | undefined, b: Date | undefined): Date | undefined => (!a ? b : !b ? a : a > b ? a : b);

/** Per-run lookups of linked resources the order only references (currency, status name). */
class Expander {
  readonly #currencies = new Map<string, Json | null>();
  #statusNames: Map<string, string> | undefined;
  readonly #client: ShoprenterClient;
  readonly #signal: AbortSignal | undefined;

  constructor(client: ShoprenterClient, signal: AbortSignal | undefined) {
    this.#client = client;
    this.#signal = signal;
  }

  /** GET /currencies/{id} once per run; a refused scope (403/404) leaves the link as it is. */
  async currency(link: unknown): Promise<Json | undefined> {
    if (!isObject(link) || typeof link.href !== 'string') return undefined;
    if (typeof link.code === 'string') return link;
    if (!this.#currencies.has(link.href)) {
      const response = await this.#client.getLinked(link.href, { signal: this.#signal, acceptStatuses: [403, 404] });
      let value: Json | null = null;
      if (response.status < 300) {
        try {
          const parsed: unknown = JSON.parse(response.body);
          if (isObject(parsed) && typeof parsed.code === 'string') value = parsed;
        } catch {
          value = null;
        }
      }
      this.#currencies.set(link.href, value);
    }
    const currency = this.#currencies.get(link.href);
    return currency ? { ...currency, href: link.href } : undefined;
  }

  /** Status names from orderStatusDescriptions (first language listed), read once per run; empty when refused. */
  async statusName(innerId: string): Promise<string | undefined> {
    if (!this.#statusNames) {
      this.#statusNames = new Map();
      const response = await this.#client.listOrderStatusDescriptions({ signal: this.#signal, acceptStatuses: [403, 404] });
      if (response.status < 300) {
        const read = readCollection(response, 'orderStatusDescriptions');
        if (read.ok) {
          for (const item of read.value.items as unknown[]) {
            if (!isObject(item) || typeof item.name !== 'string' || !isObject(item.orderStatus)) continue;
            const id = innerIdOf(resourceIdOf(item.orderStatus.href));
            if (id && !this.#statusNames.has(id)) this.#statusNames.set(id, item.name);
          }
        }
      }
    }
    return this.#statusNames.get(innerId);
  }
}

/** All products or totals of one order (follows `next`); a problem becomes an issue string, not an exception. */
async function readChildren(
  client: ShoprenterClient,
  resource: 'orderProducts' | 'orderTotals',
  orderId: string,
  signal: AbortSignal | undefined,
): Promise<{ items: unknown[] } | { issue: string }> {
  const items: unknown[] = [];
  for (let page = 0; page < MAX_CHILD_PAGES; page++) {
    const response = await client.listOrderChildren(resource, orderId, page, { signal });
    const read = readCollection(response, resource);
    if (!read.ok) return { issue: `${resource}: ${read.message}` };
    items.push(...(read.value.items as unknown[]));
    const last = pageOfLink(read.value.last);
    if (read.value.next === null || read.value.next === undefined || (read.value.items as unknown[]).length === 0 || (last !== undefined && page >= last)) {
      return { items };
    }
  }
  return { issue: `${resource}: more than ${MAX_CHILD_PAGES} pages` };
}

/** One order of the list, completed with its products, totals, currency and status name. */
async function assemble(client: ShoprenterClient, expander: Expander, raw: unknown, signal: AbortSignal | undefined): Promise<SrPulledOrder | Json> {
  let order: Json = isObject(raw) ? raw : {};
  const issues: string[] = [];
  // `full=1` ignored (links only): fetch the order itself.
  if (isObject(raw) && raw.innerId === undefined && typeof raw.href === 'string' && Object.keys(raw).length === 1) {
    const response = await client.getLinked(raw.href, { signal });
    try {
      const parsed: unknown = looksLikeXml(response) ? undefined : JSON.parse(response.body);
      if (isObject(parsed)) order = parsed;
      else issues.push(`order ${raw.href}: ${looksLikeXml(response) ? XML_ANSWER_MESSAGE : 'not a JSON object'}`);
    } catch (error) {
      issues.push(`order ${raw.href}: malformed JSON: ${(error as Error).message}`);
    }
  }
  const orderId = typeof order.id === 'string' && order.id !== '' ? order.id : resourceIdOf(order.href);
  if (!orderId) return { ...order, orderhubIssues: [...issues, 'order has no id: products and totals not read'] };

  const out: Json = { ...order };
  for (const resource of ['orderProducts', 'orderTotals'] as const) {
    const children = await readChildren(client, resource, orderId, signal);
    if ('issue' in children) issues.push(children.issue);
    else out[resource] = { ...(isObject(order[resource]) ? order[resource] : {}), items: children.items };
  }
  const currency = await expander.currency(order.currency);
  if (currency) out.currency = currency;
  if (isObject(order.orderStatus) && typeof order.orderStatus.href === 'string') {
    const statusId = innerIdOf(resourceIdOf(order.orderStatus.href));
    if (statusId) {
      const name = await expander.statusName(statusId);
      out.orderStatus = { ...order.orderStatus, innerId: statusId, ...(name !== undefined ? { name } : {}) };
    }
  }
  if (issues.length > 0) out.orderhubIssues = issues;
  return out;
}

/**
 * Pulls orders modified since the cursor.
 *
 * Request: `GET /orders?full=1&page=N&limit=L&updatedAtMin=<cursor − overlap, shop-local>` (plus
 * `createdAtMin` when `createdAfter` is set, `excludeAbandonedCart=1` unless carts are wanted), pages
 * 0, 1, … following `next` up to `last`; then for every order its `orderProducts` and `orderTotals`
 * (`?orderId=<id>&full=1`). Each page is yielded as ONE assembled JSON document
 * `{source, page, orders: [{...order, orderProducts: {href, items}, orderTotals: {href, items}}]}`.
 *
 * Invariants:
 * - The list is not sorted by modification time (Shoprenter has no sort parameter), so no cursor can be
 *   proven safe in the middle of a window. The window has no upper bound: orders modified while we page
 *   stay in it (re-read, never skipped). The cursor advances on the last page of a clean run to the
 *   largest `dateUpdated` seen, capped by the run start; it never moves back.
 * - Progress within a run: while the pages come in ascending `innerId` order (checked, not assumed),
 *   every page carries `resume` (same window, continue after the largest innerId stored, via
 *   `innerIdMin`), so a crash at page N resumes there. The cursor after a resumed run is capped by the
 *   interrupted run's start.
 * - A broken list page (not JSON, no items) is yielded with `error` and the run goes on with the next
 *   page when `last` is known; an order whose products/totals could not be read carries
 *   `orderhubIssues` (the mapping reports it). Either freezes the state for the rest of the run.
 * - An XML answer (Accept ignored) is yielded with `error`, then the run fails with a clear message.
 * - A cursor in the future is reset to now (with a `warning`).
 */
export async function* pullOrders(
  client: ShoprenterClient,
  config: ResolvedShoprenterConfig,
  state: ShoprenterState | undefined,
  options: PullOptions = {},
): AsyncGenerator<ShoprenterPulledPage> {
  const now = options.now ?? (() => new Date());
  const runStart = new Date(Math.floor(now().getTime() / SECOND) * SECOND);
  const zone = config.timeZone;
  const parseUtc = (value: unknown): Date | undefined => {
    if (typeof value !== 'string') return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  };

  let warning: string | undefined;
  let cursor = parseUtc(state?.updatedAfter);
  if (cursor && cursor > runStart) {
    warning =
      `The stored cursor ${cursor.toISOString()} is later than now (${runStart.toISOString()}; shop or hub clock skew, or a wrong timeZone): ` +
      `it was reset and this pull restarts from now − ${config.overlapMinutes} min. Orders changed between the last good sync and then may need a full resync.`;
    cursor = runStart;
  }

  // Resume an interrupted run: same window, after the last innerId stored.
  const resumeStartedAt = parseUtc(state?.resume?.startedAt);
  const resume =
    !warning && state?.resume && resumeStartedAt && resumeStartedAt <= runStart && /^\d+$/.test(state.resume.afterInnerId)
      ? { since: parseUtc(state.resume.since), startedAt: resumeStartedAt, afterInnerId: BigInt(state.resume.afterInnerId) }
      : undefined;
  const windowStart = resume ? resume.since : cursor ? new Date(cursor.getTime() - config.overlapMinutes * 60_000) : undefined;
  const startedAt = resume ? resume.startedAt : runStart;

  const params: Record<string, QueryValue> = { limit: config.pageSize };
  // updatedAtMin filters the modification date. (The doc text of createdAtMin also says "modified after":
  // a copy-paste; createdAtMin is only used to bound the first import by creation date.)
  if (windowStart) params.updatedAtMin = formatShopLocal(windowStart, zone);
  if (config.createdAfter) params.createdAtMin = formatShopLocal(config.createdAfter, zone);
  if (!config.includeAbandonedCarts) params.excludeAbandonedCart = 1;
  if (resume) params.innerIdMin = (resume.afterInnerId + 1n).toString();

  const expander = new Expander(client, options.signal);
  let maxSeen: Date | undefined;
  let lastInner: bigint | undefined = resume?.afterInnerId;
  let ascending = true;
  let frozen = false;
  let knownLast: number | undefined;

  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await client.listOrders({ ...params, page }, { signal: options.signal });
    const seq = page + 1;
    const notes: string[] = [];
    if (warning) notes.push(warning);
    warning = undefined;
    const read = readCollection(response, 'orders');

    if (!read.ok) {
      frozen = true;
      options.onProgress?.({ page: seq, totalPages: knownLast !== undefined ? knownLast + 1 : undefined });
      yield {
        source: response.url,
        contentType: response.contentType,
        body: response.body,
        page: seq,
        totalPages: knownLast !== undefined ? knownLast + 1 : undefined,
        error: { code: 'invalid_data', message: read.message },
        state: undefined,
        warning: notes.length > 0 ? notes.join(' ') : undefined,
      };
      if (read.xml) throw new ConnectorError('upstream_rejected', `${XML_ANSWER_MESSAGE}: ${response.url}`, { status: response.status });
      // Without a known last page we cannot tell whether more pages exist: stop here.
      if (knownLast === undefined || page >= knownLast) return;
      continue;
    }

    const list = read.value;
    const last = pageOfLink(list.last);
    if (last !== undefined) knownLast = last;
    const totalPages = knownLast !== undefined ? knownLast + 1 : undefined;
    options.onProgress?.({ page: seq, totalPages });

    const orders: Array<SrPulledOrder | Json> = [];
    let issues = false;
    for (const item of list.items as unknown[]) {
      const order = await assemble(client, expander, item, options.signal);
      if (Array.isArray(order.orderhubIssues) && order.orderhubIssues.length > 0) issues = true;
      maxSeen = later(maxSeen, parseShopLocal(order.dateUpdated, zone));
      const inner = typeof order.innerId === 'string' && /^\d+$/.test(order.innerId) ? BigInt(order.innerId) : undefined;
      if (inner === undefined || (lastInner !== undefined && inner <= lastInner)) ascending = false;
      else lastInner = inner;
      orders.push(order);
    }

    const reportedPage = typeof list.page === 'string' && /^\d+$/.test(list.page) ? Number(list.page) : page;
    if (reportedPage !== page) notes.push(`Shoprenter answered page ${String(list.page)} to a request for page ${page}.`);
    const isLast = orders.length === 0 || list.next === null || list.next === undefined || (knownLast !== undefined && page >= knownLast);

    const { items: _items, ...pageMeta } = list;
    const document: SrPulledDocument = { source: 'shoprenter-pull', page: pageMeta as unknown as SrPulledDocument['page'], orders: orders as SrPulledOrder[] };

    let nextState: ShoprenterState | undefined;
    if (!frozen && !issues) {
      const base: ShoprenterState = cursor ? { updatedAfter: cursor.toISOString() } : {};
      if (isLast) {
        const reached = maxSeen && maxSeen > startedAt ? startedAt : maxSeen;
        const advanced = later(cursor, reached);
        nextState = advanced ? { updatedAfter: advanced.toISOString() } : {};
      } else if (ascending && lastInner !== undefined) {
        nextState = {
          ...base,
          resume: { ...(windowStart ? { since: windowStart.toISOString() } : {}), startedAt: startedAt.toISOString(), afterInnerId: lastInner.toString() },
        };
      }
    }
    if (issues) {
      frozen = true;
      notes.push('Products or totals of some orders could not be read (see orderhubIssues): the cursor stays for this run.');
    }

    yield {
      source: response.url,
      contentType: 'application/json',
      body: JSON.stringify(document),
      page: seq,
      totalPages,
      error: undefined,
      state: nextState,
      warning: notes.length > 0 ? notes.join(' ') : undefined,
    };
    if (isLast) return;
  }
}

/**
 * One order by its inner id ("190") or resource id, assembled like a pulled one (products, totals,
 * currency, status name) into a one-order document `{source, fetched, orders: [order]}`: the fallback
 * when a webhook cannot be read. Never touches the sync state (no `state`).
 *
 * Request: `GET /orders/{id}` (https://doc.shoprenter.hu/api/order.html, response as
 * sr-api-docs `fixtures/api/order/response/json/get_id.json`). 404 → ConnectorError `upstream_rejected`;
 * an answer that is not a JSON order is returned with `error` (archived as failed).
 */
export async function fetchOrder(client: ShoprenterClient, ref: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ShoprenterPulledPage> {
  const id = /^\d+$/.test(ref) ? resourceIdFor('order', 'order_id', ref) : ref;
  if (innerIdOf(id) === undefined) throw new ConnectorError('upstream_rejected', `"${ref}" is not a Shoprenter order id (an inner id such as 190, or an order resource id).`);
  const response = await client.get(`orders/${encodeURIComponent(id)}`, {}, { signal: options.signal, acceptStatuses: [404] });
  if (response.status === 404) {
    throw new ConnectorError('upstream_rejected', `Shoprenter has no order ${ref} (${response.url} answered 404).`, { status: 404 });
  }
  const broken = (message: string): ShoprenterPulledPage => ({
    source: response.url,
    contentType: response.contentType,
    body: response.body,
    page: 1,
    error: { code: 'invalid_data', message },
    state: undefined,
  });
  if (looksLikeXml(response)) return broken(`${XML_ANSWER_MESSAGE} (order ${ref}; ${response.contentType || 'no content type'})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch (error) {
    return broken(`expected the JSON order ${ref}, got malformed JSON: ${(error as Error).message}; starts with: ${bodyExcerpt(response.body, 120)}`);
  }
  if (!isObject(parsed) || typeof parsed.innerId !== 'string') return broken(`expected the JSON order ${ref}, got: ${bodyExcerpt(response.body, 120)}`);
  const order = await assemble(client, new Expander(client, options.signal), parsed, options.signal);
  return {
    source: response.url,
    contentType: 'application/json',
    body: JSON.stringify({ source: 'shoprenter-pull', fetched: ref, orders: [order] }),
    page: 1,
    totalPages: 1,
    state: undefined,
  };
}

/**
 * Reconciliation's listing: the orders modified since `window.since` (`updatedAtMin`, shop-local) as
 * inner ids and `dateUpdated` only, 200 a page (the API's largest), without products, totals or
 * lookups. The orders list carries dates only with `full=1` (without it the items are links), so
 * that is what is asked for; nothing else is fetched.
 * Request: `GET /orders?full=1&limit=200&page=N&updatedAtMin=…` (https://doc.shoprenter.hu/api/order.html,
 * page shape as sr-api-docs `fixtures/api/order/response/json/get_page.json`).
 */
export async function* listOrderStamps(client: ShoprenterClient, config: ResolvedShoprenterConfig, window: ListWindow, signal?: AbortSignal): AsyncGenerator<OrderListPage<ShoprenterState>> {
  const params: Record<string, QueryValue> = { limit: 200, updatedAtMin: formatShopLocal(window.since, config.timeZone) };
  if (!config.includeAbandonedCarts) params.excludeAbandonedCart = 1;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await client.listOrders({ ...params, page }, { signal });
    const read = readCollection(response, 'orders');
    if (!read.ok) throw new ConnectorError(read.xml ? 'upstream_rejected' : 'upstream_unavailable', `Listing orders for a reconciliation: ${read.message}`, { status: response.status });
    const list = read.value;
    const orders: OrderStamp[] = [];
    for (const item of list.items as unknown[]) {
      if (!isObject(item)) continue;
      const id = typeof item.innerId === 'string' && /^\d+$/.test(item.innerId) ? item.innerId : innerIdOf(typeof item.id === 'string' ? item.id : item.href);
      if (!id) continue;
      const updated = parseShopLocal(item.dateUpdated, config.timeZone);
      if (updated && updated > window.until) continue;
      orders.push({ externalId: id, modifiedAt: updated?.toISOString() });
    }
    yield { source: response.url, page: page + 1, orders };
    const last = pageOfLink(list.last);
    if ((list.items as unknown[]).length === 0 || list.next === null || list.next === undefined || (last !== undefined && page >= last)) return;
  }
}
