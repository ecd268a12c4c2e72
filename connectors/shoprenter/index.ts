import { timingSafeEqual, createHash } from 'node:crypto';
import type { CheckReport, ConnectorDefinition, WebhookRequest, WebhookVerdict } from '../_kit/definition.ts';
import { ConnectorError } from '../_kit/connector-error.ts';
import { bodyExcerpt } from '../_kit/http.ts';
import { headerValue } from '../_kit/hmac.ts';
import type { RateLimiter } from '../_kit/rate-limit.ts';
import { ShoprenterClient, TokenCache, innerIdOf, resourceIdFor, type ShoprenterHttpOptions } from './client.ts';
import { SHOPRENTER_SECRET_FIELDS, ShoprenterConfigSchema, isValidTimeZone, resolveShoprenterConfig, type ShoprenterConfig, type ShoprenterState } from './spec.ts';
import { XML_ANSWER_MESSAGE, fetchOrder, listOrderStamps, looksLikeXml, pullOrders } from './streams/orders.ts';

export type { ShoprenterConfig, ShoprenterState } from './spec.ts';
export { ShoprenterConfigSchema, ShoprenterStateSchema } from './spec.ts';

export interface ShoprenterConnectorOptions {
  /** Test seams (sleep, random, clock) and backoff tuning for the HTTP client and the rate limiter. */
  http?: ShoprenterHttpOptions;
  /** Replaces the per-call rate limiter (tests). */
  limiter?: () => RateLimiter;
}

/** Header (or query parameter `token`) carrying the webhook secret: Shoprenter signs nothing. */
export const WEBHOOK_TOKEN_HEADER = 'X-Orderhub-Token';

/**
 * A webhook request may carry the URL it was posted to (`url`, with the `?token=`); the kit's
 * WebhookRequest has only headers and body, so the API route must pass it for the query form to work.
 */
export type ShoprenterWebhookRequest = WebhookRequest & { url?: string | undefined; query?: Record<string, unknown> | undefined };

function configProblem(config: ShoprenterConfig): string | undefined {
  if (!config || typeof config.shopName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(config.shopName)) {
    return `The shop name "${String(config?.shopName)}" is not a Shoprenter shop name (the part before .shoprenter.hu).`;
  }
  if (config.authMode === 'basic') {
    if (!config.apiUser || !config.apiKey) return 'The legacy API user and key are required for authMode basic.';
  } else if (!config.clientId || !config.clientSecret) {
    return 'The API client id and secret are required (Shoprenter admin › Settings › API Settings).';
  }
  if (config.apiBaseUrl !== undefined && (!URL.canParse(config.apiBaseUrl) || !/^https?:\/\//i.test(config.apiBaseUrl))) {
    return `The API base URL "${config.apiBaseUrl}" is not an http(s) URL.`;
  }
  if (config.timeZone !== undefined && !isValidTimeZone(config.timeZone)) return `The time zone "${config.timeZone}" is not an IANA zone name.`;
  return undefined;
}

async function check(config: ShoprenterConfig, options: ShoprenterConnectorOptions, tokens: TokenCache, signal?: AbortSignal): Promise<CheckReport> {
  const shop = String(config?.shopName ?? '');
  try {
    const problem = configProblem(config);
    if (problem) return { ok: false, message: problem };
    const resolved = resolveShoprenterConfig(config);
    const client = new ShoprenterClient(resolved, { http: options.http ?? {}, tokens, ...(options.limiter ? { limiter: options.limiter() } : {}) });
    /** Docs: https://doc.shoprenter.hu/api/order.html — the cheapest authenticated call, one order. */
    const response = await client.get('orders', { limit: 1 }, { signal, acceptStatuses: [404], maxAttempts: Math.min(2, resolved.maxAttempts) });
    if (response.status === 404) {
      return { ok: false, message: `No Shoprenter API for shop "${shop}" at ${client.baseUrl}: ${response.url} answered 404; check the shop name (and apiBaseUrl).`, details: { status: 404 } };
    }
    if (looksLikeXml(response)) {
      return { ok: false, message: `${XML_ANSWER_MESSAGE}: ${response.url} (${response.contentType || 'no content type'}).`, details: { status: response.status } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { items?: unknown }).items)) {
      return {
        ok: false,
        message: `Not a Shoprenter API at ${client.baseUrl}: ${response.url} answered ${response.status} but not with an order list (${response.contentType || 'no content type'}): ${bodyExcerpt(response.body, 100)}`,
        details: { status: response.status },
      };
    }
    const last = /[?&]page=(\d+)/.exec(String((parsed as { last?: { href?: unknown } }).last?.href ?? ''))?.[1];
    const count = last !== undefined ? Number(last) + 1 : undefined;
    return {
      ok: true,
      message: `Connected to Shoprenter shop "${resolved.shopName}"${count !== undefined ? `: ${count} order${count === 1 ? '' : 's'} visible` : ''}.`,
      details: { orders: count },
    };
  } catch (error) {
    if (error instanceof ConnectorError) {
      if (error.code === 'unauthorized') return { ok: false, message: error.message, details: { status: error.status } };
      if (error.code === 'upstream_unavailable') {
        return { ok: false, message: `Could not reach Shoprenter for shop "${shop}": ${error.message}`, details: { status: error.status } };
      }
      return { ok: false, message: error.message, details: { status: error.status } };
    }
    return { ok: false, message: `Check of Shoprenter shop "${shop}" failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function constantTimeEqual(given: string, expected: string): boolean {
  // Hash both so the comparison has a fixed length and costs the same whatever the input.
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

function tokenFromRequest(request: ShoprenterWebhookRequest): string | undefined {
  const header = headerValue(request.headers, WEBHOOK_TOKEN_HEADER);
  if (header !== undefined && header !== '') return header.trim();
  const fromQuery = request.query?.token;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  if (typeof request.url === 'string') {
    try {
      const value = new URL(request.url, 'http://hub.invalid').searchParams.get('token');
      if (value) return value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Shoprenter webhooks carry no signature (https://doc.shoprenter.hu/development/api/07_webhook.html):
 * the webhook URL configured in the shop includes a secret (`?token=…`) or a proxy adds
 * `X-Orderhub-Token`; it is compared in constant time with `webhookToken`. Pair it with an IP allow-list.
 */
export function verifyShoprenterWebhook(request: ShoprenterWebhookRequest, config: ShoprenterConfig): WebhookVerdict {
  const expected = config?.webhookToken;
  if (!expected) return { kind: 'rejected', reason: 'No webhookToken is configured for this Shoprenter channel: webhooks are refused.' };
  const given = tokenFromRequest(request);
  if (given === undefined) return { kind: 'rejected', reason: `Missing webhook token (${WEBHOOK_TOKEN_HEADER} header or ?token= in the webhook URL).` };
  if (!constantTimeEqual(given, expected)) return { kind: 'rejected', reason: 'Wrong webhook token.' };
  const text = request.rawBody.toString('utf8').trimStart();
  const topic = text.startsWith('<') ? 'xml' : /"orders"\s*:/.test(text) ? 'orders' : /"newsletter"\s*:/.test(text) ? 'newsletter' : undefined;
  return { kind: 'accepted', topic, deliveryId: undefined };
}

/** The Shoprenter connector; pass `http` seams in tests (no real waiting, fixed clock). */
export function createShoprenterConnector(options: ShoprenterConnectorOptions = {}): ConnectorDefinition<ShoprenterConfig, ShoprenterState> {
  const http = options.http ?? {};
  // Bearer tokens live as long as the connector (the process), keyed by token URL + client id + secret hash.
  const tokens = new TokenCache();
  return {
    type: 'shoprenter',
    title: 'Shoprenter',
    channelKind: 'webshop',
    spec: ShoprenterConfigSchema,
    secretFields: SHOPRENTER_SECRET_FIELDS,
    check: (config, callOptions) => check(config, options, tokens, callOptions?.signal),
    // A half-done window (`resume`) is dropped too: the next run starts over from `since`.
    resetCursor: (_state, since) => (since ? { updatedAfter: since.toISOString() } : {}),
    pull(config, state, pullOptions) {
      const resolved = resolveShoprenterConfig(config);
      const client = new ShoprenterClient(resolved, { http, tokens, ...(options.limiter ? { limiter: options.limiter() } : {}) });
      return pullOrders(client, resolved, state, pullOptions);
    },
    /** Reconciliation: inner ids and dateUpdated of the orders modified in the window (missing or stale ones are then fetched one by one). */
    listOrders(config, window, callOptions) {
      const resolved = resolveShoprenterConfig(config);
      const client = new ShoprenterClient(resolved, { http, tokens, ...(options.limiter ? { limiter: options.limiter() } : {}) });
      return listOrderStamps(client, resolved, window, callOptions?.signal);
    },
    /** One order by its inner id: what the hub reads when a webhook about it cannot be mapped. */
    fetchOrder(config, externalId, callOptions) {
      const resolved = resolveShoprenterConfig(config);
      const client = new ShoprenterClient(resolved, { http, tokens, ...(options.limiter ? { limiter: options.limiter() } : {}) });
      return fetchOrder(client, externalId, { signal: callOptions?.signal });
    },
    webhook: { verify: (request, config) => verifyShoprenterWebhook(request, config) },
    /**
     * `externalId` is the order's inner id (the mapping's externalId) or its resource id; `status` an
     * order status's inner id ("5") or resource id. Needs an API client with write scope on orders.
     */
    async writeStatus(config, update, callOptions) {
      const resolved = resolveShoprenterConfig(config);
      const client = new ShoprenterClient(resolved, { http, tokens, ...(options.limiter ? { limiter: options.limiter() } : {}) });
      const orderId = /^\d+$/.test(update.externalId) ? resourceIdFor('order', 'order_id', update.externalId) : update.externalId;
      const statusId = /^\d+$/.test(update.status) ? resourceIdFor('orderStatus', 'order_status_id', update.status) : update.status;
      const response = await client.updateOrderStatus(orderId, statusId, { signal: callOptions?.signal });
      let statusNow: string | undefined;
      try {
        const order = JSON.parse(response.body) as { orderStatus?: { id?: unknown; href?: unknown } };
        const ref = order.orderStatus?.id ?? order.orderStatus?.href?.toString().split('/').pop();
        statusNow = typeof ref === 'string' ? (innerIdOf(ref) ?? ref) : undefined;
      } catch {
        statusNow = undefined;
      }
      return { target: response.url, statusNow };
    },
  };
}

export const shoprenterConnector: ConnectorDefinition<ShoprenterConfig, ShoprenterState> = createShoprenterConnector();
