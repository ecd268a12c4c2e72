import { createHash } from 'node:crypto';
import { ConnectorError } from '../_kit/connector-error.ts';
import { bodyExcerpt, createHttpClient, defaultSleep, type HttpClient, type HttpClientOptions, type HttpResponse, type QueryValue } from '../_kit/http.ts';
import { createRateLimiter, type RateLimiter } from '../_kit/rate-limit.ts';
import type { ResolvedShoprenterConfig } from './spec.ts';
import { SHOPRENTER_HARD_LIMIT_PER_MINUTE } from './spec.ts';

/** Transport only: auth (OAuth token or Basic), rate limit and one request per call. Paging and state live in streams/orders.ts. */

/** Test seams and tuning that are not channel config. */
export type ShoprenterHttpOptions = Pick<HttpClientOptions, 'sleep' | 'random' | 'now' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'jitter'>;

/** Refresh a token this long before Shoprenter says it expires. */
export const TOKEN_MARGIN_MS = 60_000;
/** Requests that may start back to back; kept small so `requestsPerMinute + burst` stays under 180. */
export const MAX_BURST = 10;

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/** In-memory bearer tokens, shared by every pull/check of one connector instance. Never persisted. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();

  static key(config: ResolvedShoprenterConfig): string {
    const secret = createHash('sha256').update(config.clientSecret).digest('hex');
    return `${config.tokenUrl}|${config.clientId}|${secret}`;
  }

  get(key: string, now: number): string | undefined {
    const token = this.#tokens.get(key);
    if (!token) return undefined;
    if (token.expiresAt <= now) {
      this.#tokens.delete(key);
      return undefined;
    }
    return token.accessToken;
  }

  set(key: string, accessToken: string, expiresAt: number): void {
    this.#tokens.set(key, { accessToken, expiresAt });
  }

  delete(key: string): void {
    this.#tokens.delete(key);
  }
}

export interface ShoprenterClientOptions {
  http?: ShoprenterHttpOptions;
  tokens?: TokenCache;
  /** Replaces the limiter built from `requestsPerMinute` (tests). */
  limiter?: RateLimiter;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  acceptStatuses?: number[];
  maxAttempts?: number;
}

/** Base64 resource id from an href (`…/orders/b3JkZXItb3JkZXJfaWQ9MTcy?x` → `b3JkZXItb3JkZXJfaWQ9MTcy`). */
export function resourceIdOf(href: unknown): string | undefined {
  if (typeof href !== 'string') return undefined;
  const path = href.split(/[?#]/)[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last ? decodeURIComponent(last) : undefined;
}

/** Resource id of an inner id: base64 of `<resource>-<column>=<innerId>` (`order`, `order_id`, 172 → `b3JkZXItb3JkZXJfaWQ9MTcy`). */
export function resourceIdFor(resource: string, column: string, innerId: string): string {
  return Buffer.from(`${resource}-${column}=${innerId}`, 'utf8').toString('base64');
}

/** Inner (numeric) id from a resource id: base64 of `<resource>-<column>=<innerId>` (`order-order_id=172` → `172`). */
export function innerIdOf(resourceId: unknown): string | undefined {
  if (typeof resourceId !== 'string' || !/^[A-Za-z0-9+/_-]+=*$/.test(resourceId)) return undefined;
  const decoded = Buffer.from(resourceId.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  const m = /^[A-Za-z]+-[a-z_]+=(\d+)$/.exec(decoded);
  return m?.[1];
}

export class ShoprenterClient {
  readonly #config: ResolvedShoprenterConfig;
  readonly #http: HttpClient;
  readonly #tokenHttp: HttpClient;
  readonly #limiter: RateLimiter;
  readonly #tokens: TokenCache;
  readonly #now: () => number;

  constructor(config: ResolvedShoprenterConfig, options: ShoprenterClientOptions = {}) {
    this.#config = config;
    const http = options.http ?? {};
    const sleep = http.sleep ?? defaultSleep;
    this.#now = http.now ?? Date.now;
    this.#limiter =
      options.limiter ??
      createRateLimiter({
        limit: config.requestsPerMinute,
        intervalMs: 60_000,
        burst: Math.max(1, Math.min(MAX_BURST, SHOPRENTER_HARD_LIMIT_PER_MINUTE - config.requestsPerMinute)),
        now: this.#now,
        sleep,
      });
    const limiter = this.#limiter;
    const headers = {
      // Shoprenter refuses requests without Content-Type and answers XML unless JSON is asked for.
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': 'orderhub-shoprenter/0.1',
    };
    this.#http = createHttpClient({
      ...http,
      // The kit sleeps before every retry; a retry is a request too, so it waits for a token afterwards.
      sleep: async (ms, signal) => {
        await sleep(ms, signal);
        await limiter.acquire(signal);
      },
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      serviceName: 'Shoprenter',
      headers,
    });
    // The token endpoint is another host with its own limits: not counted against the API quota.
    this.#tokenHttp = createHttpClient({ ...http, sleep, timeoutMs: config.timeoutMs, maxAttempts: Math.min(2, config.maxAttempts), serviceName: 'Shoprenter OAuth', headers });
    this.#tokens = options.tokens ?? new TokenCache();
  }

  get baseUrl(): string {
    return this.#config.apiBaseUrl;
  }

  /**
   * Client-credentials token, cached until `expires_in` minus a margin.
   * Docs: https://doc.shoprenter.hu/development/api/12_acquiring_an_access_token.html
   * `POST https://oauth.app.shoprenter.net/{shopName}/app/token` → `{token_type, expires_in, access_token}`;
   * 401 `invalid_client`, 400 `invalid_request`.
   */
  async accessToken(signal?: AbortSignal, forceRefresh = false): Promise<string> {
    const key = TokenCache.key(this.#config);
    if (!forceRefresh) {
      const cached = this.#tokens.get(key, this.#now());
      if (cached) return cached;
    }
    this.#tokens.delete(key);
    const response = await this.#tokenHttp.request({
      method: 'POST',
      url: this.#config.tokenUrl,
      data: JSON.stringify({ grant_type: 'client_credentials', client_id: this.#config.clientId, client_secret: this.#config.clientSecret }),
      signal,
      acceptStatuses: [400, 401, 403, 404],
    });
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(response.body);
      if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    const code = typeof parsed.error === 'string' ? parsed.error : '';
    const detail = typeof parsed.error_description === 'string' ? parsed.error_description : typeof parsed.message === 'string' ? parsed.message : bodyExcerpt(response.body);
    if (response.status === 401 || response.status === 403 || code === 'invalid_client') {
      throw new ConnectorError(
        'unauthorized',
        `Shoprenter rejected the API client for shop "${this.#config.shopName}" (HTTP ${response.status}${code ? ` ${code}` : ''}): check the client id and secret (Settings › API Settings). ${detail}`.trim(),
        { status: response.status },
      );
    }
    if (response.status === 404) {
      throw new ConnectorError('upstream_rejected', `Shoprenter has no shop named "${this.#config.shopName}" (the token endpoint ${response.url} answered 404): check the shop name.`, {
        status: 404,
      });
    }
    if (response.status === 400) {
      throw new ConnectorError('upstream_rejected', `Shoprenter refused the token request (HTTP 400${code ? ` ${code}` : ''}): ${detail}`, { status: 400 });
    }
    const token = parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new ConnectorError('upstream_unavailable', `Shoprenter's token endpoint answered without an access_token: ${bodyExcerpt(response.body, 120)}`, { status: response.status });
    }
    const expiresIn = Number(parsed.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 3_600_000;
    this.#tokens.set(key, token, this.#now() + Math.max(0, lifetimeMs - Math.min(TOKEN_MARGIN_MS, lifetimeMs / 2)));
    return token;
  }

  /** One API request: rate-limited, authenticated, and once re-authenticated on 401 (a revoked or expired token). */
  async get(path: string, params: Record<string, QueryValue>, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.#send('GET', path, params, undefined, options);
  }

  async #send(method: 'GET' | 'PUT', path: string, params: Record<string, QueryValue>, data: string | undefined, options: RequestOptions): Promise<HttpResponse> {
    const url = /^https?:\/\//i.test(path) ? path : `${this.#config.apiBaseUrl}/${path.replace(/^\/+/, '')}`;
    const send = async (token: string | undefined): Promise<HttpResponse> => {
      await this.#limiter.acquire(options.signal);
      return this.#http.request({
        method,
        url,
        params: { ...params },
        ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
        ...(this.#config.authMode === 'basic' ? { auth: { username: this.#config.apiUser, password: this.#config.apiKey } } : {}),
        ...(data !== undefined ? { data } : {}),
        signal: options.signal,
        ...(options.acceptStatuses ? { acceptStatuses: options.acceptStatuses } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      });
    };
    if (this.#config.authMode === 'basic') return send(undefined);
    const token = await this.accessToken(options.signal);
    try {
      return await send(token);
    } catch (error) {
      if (!(error instanceof ConnectorError) || error.code !== 'unauthorized' || error.status !== 401) throw error;
      return send(await this.accessToken(options.signal, true));
    }
  }

  /**
   * Sets one order's status: `PUT /orders/{orderId}` with `{"orderStatus": {"id": "<orderStatus resource id>"}}`,
   * the link form every resource reference takes in a PUT body. One attempt: the write-back job retries.
   * Docs: https://doc.shoprenter.hu/api/order.html (PUT /orders/{id});
   * body shape from https://github.com/Shoprenter/sr-api-docs/blob/master/fixtures/api/order/request/put.json
   * (`"orderStatus": {"id": "b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE="}`).
   */
  updateOrderStatus(orderResourceId: string, statusResourceId: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.#send('PUT', `orders/${encodeURIComponent(orderResourceId)}`, {}, JSON.stringify({ orderStatus: { id: statusResourceId } }), { ...options, maxAttempts: 1 });
  }

  /**
   * One page of orders, full objects.
   * Docs: https://doc.shoprenter.hu/api/order.html (getCollection; filters in
   * https://github.com/Shoprenter/sr-api-docs/blob/master/fixtures/api/order/data.json)
   */
  listOrders(params: Record<string, QueryValue>, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.get('orders', { ...params, full: 1 }, options);
  }

  /**
   * Products or totals of one order, one page.
   * Docs: https://doc.shoprenter.hu/api/order_product.html · https://doc.shoprenter.hu/api/order_total.html
   */
  listOrderChildren(resource: 'orderProducts' | 'orderTotals', orderId: string, page: number, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.get(resource, { orderId, full: 1, page, limit: 200 }, options);
  }

  /**
   * A linked resource by its href (currencies), rebased on the configured API base URL.
   * Docs: https://doc.shoprenter.hu/api/currency.html
   */
  getLinked(href: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const id = resourceIdOf(href) ?? '';
    const resource = /\/([A-Za-z]+)\/[^/]*$/.exec(href.split(/[?#]/)[0] ?? '')?.[1] ?? '';
    return this.get(`${resource}/${encodeURIComponent(id)}`, {}, options);
  }

  /**
   * Status names (all languages), for the status map by name.
   * Docs: https://doc.shoprenter.hu/api/order_status_description.html
   */
  listOrderStatusDescriptions(options: RequestOptions = {}): Promise<HttpResponse> {
    return this.get('orderStatusDescriptions', { full: 1, limit: 200, page: 0 }, options);
  }
}
