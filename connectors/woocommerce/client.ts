import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpResponse, type QueryValue } from '../_kit/http.ts';
import type { ResolvedWooConfig } from './spec.ts';

/** Transport only: auth and one request per call. Paging and state live in streams/orders.ts. */

/** Test seams and tuning that are not channel config. */
export type WooHttpOptions = Pick<HttpClientOptions, 'sleep' | 'random' | 'now' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'jitter'>;

export interface OrdersPageQuery {
  page: number;
  perPage: number;
  orderby?: 'modified' | 'date' | 'id';
  order?: 'asc' | 'desc';
  /** ISO 8601 UTC (sent with dates_are_gmt=true). */
  modifiedAfter?: string | undefined;
  modifiedBefore?: string | undefined;
}

export interface WooPage {
  response: HttpResponse;
  /** X-WP-Total, when the store sent a number. */
  total: number | undefined;
  /** X-WP-TotalPages, when the store sent a number. */
  totalPages: number | undefined;
}

function headerInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

export class WooClient {
  readonly #config: ResolvedWooConfig;
  readonly #http: HttpClient;

  constructor(config: ResolvedWooConfig, http: WooHttpOptions = {}) {
    this.#config = config;
    this.#http = createHttpClient({
      ...http,
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      serviceName: 'WooCommerce',
      headers: { 'User-Agent': 'orderhub-woocommerce/0.1' },
    });
  }

  get ordersUrl(): string {
    return `${this.#config.baseUrl}/wp-json/wc/v3/orders`;
  }

  /** Auth per call, built fresh: Basic (default) or the query-string fallback. */
  #auth(params: Record<string, QueryValue>): { params: Record<string, QueryValue>; auth?: { username: string; password: string } } {
    if (this.#config.authMode === 'query') {
      return { params: { ...params, consumer_key: this.#config.consumerKey, consumer_secret: this.#config.consumerSecret } };
    }
    return { params: { ...params }, auth: { username: this.#config.consumerKey, password: this.#config.consumerSecret } };
  }

  /**
   * One page of orders.
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
   * (`modified_after`, `modified_before`, `dates_are_gmt` and `orderby=modified` exist on newer WC
   * only; older stores ignore the unknown filters and reject the unknown orderby with 400.)
   */
  async fetchOrdersPage(query: OrdersPageQuery, options: { signal?: AbortSignal | undefined; acceptStatuses?: number[] } = {}): Promise<WooPage> {
    const params: Record<string, QueryValue> = {
      per_page: query.perPage,
      page: query.page,
      orderby: query.orderby ?? 'modified',
      order: query.order ?? 'asc',
    };
    if (query.modifiedAfter !== undefined) params.modified_after = query.modifiedAfter;
    if (query.modifiedBefore !== undefined) params.modified_before = query.modifiedBefore;
    if (query.modifiedAfter !== undefined || query.modifiedBefore !== undefined) params.dates_are_gmt = 'true';
    const response = await this.#http.request({
      url: this.ordersUrl,
      ...this.#auth(params),
      signal: options.signal,
      ...(options.acceptStatuses ? { acceptStatuses: options.acceptStatuses } : {}),
    });
    return { response, total: headerInt(response.headers['x-wp-total']), totalPages: headerInt(response.headers['x-wp-totalpages']) };
  }

  /**
   * One page of order ids and modification times (reconciliation): `_fields=id,date_modified_gmt`,
   * ordered by id (stable while orders change), within `modified_after`/`modified_before` (GMT).
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders (`_fields` is the
   * WP REST API's global parameter: https://developer.wordpress.org/rest-api/using-the-rest-api/global-parameters/#_fields)
   */
  async listOrderStamps(query: { page: number; perPage: number; modifiedAfter: string; modifiedBefore: string }, signal?: AbortSignal): Promise<WooPage> {
    const response = await this.#http.request({
      url: this.ordersUrl,
      ...this.#auth({
        _fields: 'id,date_modified_gmt',
        per_page: query.perPage,
        page: query.page,
        orderby: 'id',
        order: 'asc',
        modified_after: query.modifiedAfter,
        modified_before: query.modifiedBefore,
        dates_are_gmt: 'true',
      }),
      signal,
    });
    return { response, total: headerInt(response.headers['x-wp-total']), totalPages: headerInt(response.headers['x-wp-totalpages']) };
  }

  /**
   * Whole orders by id, one page: `GET /orders?include=1,2,3&per_page=<n>&orderby=id&order=asc`
   * (reconciliation's fetch of missing or stale orders; at most 100 ids per call).
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders (`include`)
   */
  async fetchOrdersByIds(ids: readonly string[], signal?: AbortSignal): Promise<WooPage> {
    const response = await this.#http.request({
      url: this.ordersUrl,
      ...this.#auth({ include: ids.join(','), per_page: ids.length, orderby: 'id', order: 'asc' }),
      signal,
    });
    return { response, total: headerInt(response.headers['x-wp-total']), totalPages: headerInt(response.headers['x-wp-totalpages']) };
  }

  /**
   * One order by id: `GET /wp-json/wc/v3/orders/<id>` (the webhook fallback). 404 (unknown order) fails
   * as upstream_rejected; network errors, 5xx and 429 are retried like a page.
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order
   */
  async fetchOrder(id: string, signal?: AbortSignal): Promise<HttpResponse> {
    return this.#http.request({ url: `${this.ordersUrl}/${encodeURIComponent(id)}`, ...this.#auth({}), signal });
  }

  /**
   * One page of an order's refunds: `GET /wp-json/wc/v3/orders/<id>/refunds?per_page=&page=` (newest
   * first; the store's default page is 10). 404 (order gone) fails as upstream_rejected; network
   * errors, 5xx and 429 are retried like an orders page.
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-refunds
   */
  async fetchOrderRefunds(orderId: string, query: { page: number; perPage: number }, signal?: AbortSignal): Promise<WooPage> {
    const response = await this.#http.request({
      url: this.orderRefundsUrl(orderId),
      ...this.#auth({ per_page: query.perPage, page: query.page }),
      signal,
    });
    return { response, total: headerInt(response.headers['x-wp-total']), totalPages: headerInt(response.headers['x-wp-totalpages']) };
  }

  orderRefundsUrl(orderId: string): string {
    return `${this.ordersUrl}/${encodeURIComponent(orderId)}/refunds`;
  }

  /**
   * Sets one order's status: `PUT /wp-json/wc/v3/orders/<id>` with `{"status": "<slug>"}`; the
   * answer is the whole order. One attempt: the write-back job retries with its own backoff.
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#update-an-order
   * (needs a key with Write or Read/Write permission; a read-only key gets 401).
   */
  async updateOrderStatus(id: string, status: string, signal?: AbortSignal): Promise<HttpResponse> {
    return this.#http.request({
      method: 'PUT',
      url: `${this.ordersUrl}/${encodeURIComponent(id)}`,
      ...this.#auth({}),
      headers: { 'Content-Type': 'application/json' },
      data: JSON.stringify({ status }),
      signal,
      maxAttempts: 1,
    });
  }

  /**
   * Cheapest authenticated call: one order. 404 is accepted so `check` can explain it.
   * Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
   */
  async probe(signal?: AbortSignal): Promise<WooPage> {
    const response = await this.#http.request({
      url: this.ordersUrl,
      ...this.#auth({ per_page: 1 }),
      signal,
      acceptStatuses: [404],
      maxAttempts: Math.min(2, this.#config.maxAttempts),
    });
    return { response, total: headerInt(response.headers['x-wp-total']), totalPages: headerInt(response.headers['x-wp-totalpages']) };
  }
}
