import type { CheckReport, ConnectorDefinition, WebhookRequest, WebhookVerdict } from '../_kit/definition.ts';
import { ConnectorError } from '../_kit/connector-error.ts';
import { bodyExcerpt } from '../_kit/http.ts';
import { headerValue, verifyHmacSha256Base64 } from '../_kit/hmac.ts';
import { WooClient, type WooHttpOptions } from './client.ts';
import { WOO_SECRET_FIELDS, WooConfigSchema, resolveWooConfig, type ResolvedWooConfig, type WooConfig, type WooState } from './spec.ts';
import { DEFAULT_BROKEN_PAGE_RETRY, pullOrders, type BrokenPageRetry } from './streams/orders.ts';
import { fetchWooOrders, listWooOrders } from './streams/reconcile.ts';
import { withRefundDetails } from './streams/refunds.ts';

import type { WooPulledPage } from './streams/orders.ts';

export type { WooPulledPage } from './streams/orders.ts';

export type { WooConfig, WooState } from './spec.ts';
export { WooConfigSchema, WooStateSchema } from './spec.ts';

export interface WooConnectorOptions {
  /** Test seams (sleep, random, clock) and backoff tuning for the HTTP client. */
  http?: WooHttpOptions;
}

function describeUrl(config: WooConfig): string {
  try {
    const url = new URL(String(config?.url));
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return String(config?.url);
  }
}

async function check(config: WooConfig, http: WooHttpOptions, signal?: AbortSignal): Promise<CheckReport> {
  let where = 'the store';
  try {
    where = describeUrl(config);
    if (typeof config?.url !== 'string' || !URL.canParse(config.url) || !/^https?:\/\//i.test(config.url)) {
      return { ok: false, message: `The store URL "${String(config?.url)}" is not an http(s) URL.` };
    }
    if (!config.consumerKey || !config.consumerSecret) {
      return { ok: false, message: 'The consumer key and secret are required (WooCommerce › Settings › Advanced › REST API).' };
    }
    const client = new WooClient(resolveWooConfig(config), http);
    const { response, total } = await client.probe(signal);
    if (response.status === 404) {
      let code = '';
      try {
        code = String((JSON.parse(response.body) as { code?: unknown }).code ?? '');
      } catch {
        /* not JSON */
      }
      const hint = code === 'rest_no_route' ? 'WordPress answers but the WooCommerce REST API (wc/v3) is missing: is WooCommerce active?' : 'is this the WordPress site address of a WooCommerce store with pretty permalinks?';
      return { ok: false, message: `Not a WooCommerce store at ${where}: ${client.ordersUrl} answered 404; ${hint}`, details: { status: 404, code } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) {
      return {
        ok: false,
        message: `Not a WooCommerce store at ${where}: ${client.ordersUrl} answered ${response.status} but not with a JSON list of orders (${response.contentType || 'no content type'}): ${bodyExcerpt(response.body, 100)}`,
        details: { status: response.status },
      };
    }
    return {
      ok: true,
      message: `Connected to WooCommerce at ${where}${total !== undefined ? `: ${total} order${total === 1 ? '' : 's'} visible` : ''}.`,
      details: { total },
    };
  } catch (error) {
    if (error instanceof ConnectorError) {
      if (error.code === 'unauthorized') {
        return {
          ok: false,
          message: `WooCommerce at ${where} rejected the API key (HTTP ${error.status}): check the consumer key/secret and that the key has Read permission. ${error.message}`,
          details: { status: error.status, code: error.code },
        };
      }
      if (error.code === 'upstream_unavailable') {
        return { ok: false, message: `Could not reach ${where}: ${error.message}`, details: { status: error.status, code: error.code } };
      }
      return { ok: false, message: `WooCommerce at ${where} refused the request: ${error.message}`, details: { status: error.status, code: error.code } };
    }
    return { ok: false, message: `Checking ${where} failed: ${(error as Error)?.message ?? String(error)}` };
  }
}

/** The creation/activation ping (WC_Webhook::deliver_ping): form-encoded `webhook_id=<n>`, no X-WC-* headers, no signature. */
function isPing(rawBody: Buffer, topic: string | undefined): boolean {
  return !topic && /^webhook_id=\d+$/.test(rawBody.toString('utf8').trim());
}

/** `order` for order topics; the resource from X-WC-Webhook-Resource, else the topic's prefix (`product.updated` → product). */
function resourceOf(headers: WebhookRequest['headers'], topic: string | undefined): string | undefined {
  const resource = headerValue(headers, 'x-wc-webhook-resource')?.trim().toLowerCase();
  if (resource) return resource;
  const prefix = topic?.trim().toLowerCase().split('.')[0];
  return prefix || undefined;
}

/**
 * Webhook deliveries: https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
 * `X-WC-Webhook-Signature` = base64(HMAC-SHA256(raw body, webhook secret)).
 *
 * Order of the checks: the creation ping first (WooCommerce sends it unsigned, before anyone can
 * have copied the secret into the hub, and disables the webhook unless it gets 200), then the
 * resource (only order webhooks feed this channel), then the secret and the signature.
 */
export function verifyWooWebhook(request: WebhookRequest, config: WooConfig): WebhookVerdict {
  const rawBody = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(String(request.rawBody ?? ''), 'utf8');
  const topic = headerValue(request.headers, 'x-wc-webhook-topic');
  // Stores nothing, so neither the secret nor a signature matters.
  if (isPing(rawBody, topic)) return { kind: 'ping' };
  const resource = resourceOf(request.headers, topic);
  if (resource !== undefined && resource !== 'order') {
    return {
      kind: 'rejected',
      reason: `this channel only takes order webhooks; got resource "${resource}"${topic ? ` (topic ${topic})` : ''}: point only order.* webhooks at it`,
    };
  }
  const secret = config?.webhookSecret;
  if (!secret) {
    return {
      kind: 'rejected',
      reason: 'no webhook secret is configured for this WooCommerce channel: set webhookSecret to the secret of the WooCommerce webhook',
    };
  }
  const signature = headerValue(request.headers, 'x-wc-webhook-signature');
  if (!signature) return { kind: 'rejected', reason: 'missing X-WC-Webhook-Signature header' };
  if (!verifyHmacSha256Base64(rawBody, secret, signature)) {
    return { kind: 'rejected', reason: 'X-WC-Webhook-Signature does not match the body signed with the configured webhook secret' };
  }
  return { kind: 'accepted', topic, deliveryId: headerValue(request.headers, 'x-wc-delivery-id') };
}

/**
 * One order by id, as a page to archive and read like a pulled one (the hub's fallback for a webhook
 * it could not map). An answer that is not one JSON order object comes back with `error`, so it is
 * archived as received; it never carries a cursor.
 */
async function fetchOneOrder(client: WooClient, externalId: string, signal?: AbortSignal): Promise<WooPulledPage> {
  if (!/^\d+$/.test(externalId)) {
    throw new ConnectorError('upstream_rejected', `"${externalId}" is not a WooCommerce order id (a whole number): not fetched`);
  }
  const response = await client.fetchOrder(externalId, signal);
  const page: WooPulledPage = { source: response.url, contentType: response.contentType, body: response.body, page: 1 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch (error) {
    return { ...page, error: { code: 'invalid_data', message: `expected a JSON order, got malformed JSON: ${(error as Error).message}; starts with: ${bodyExcerpt(response.body, 120)}` } };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ...page, error: { code: 'invalid_data', message: `expected a JSON order object: ${bodyExcerpt(response.body, 120)}` } };
  }
  return page;
}

/** Broken pages are tried as often as failed requests (maxAttempts), with the client's backoff tuning and sleep when given. */
function brokenPageRetry(config: ResolvedWooConfig, http: WooHttpOptions): BrokenPageRetry {
  const { baseDelayMs, maxDelayMs } = http;
  const delayMs =
    baseDelayMs === undefined ? DEFAULT_BROKEN_PAGE_RETRY.delayMs : (retry: number) => Math.min(maxDelayMs ?? 30_000, baseDelayMs * 2 ** (retry - 1));
  return { attempts: config.maxAttempts, delayMs, sleep: http.sleep };
}

/** Builds the definition; tests inject `http.sleep` etc., production uses `woocommerceConnector`. */
export function createWooCommerceConnector(options: WooConnectorOptions = {}): ConnectorDefinition<WooConfig, WooState> {
  const http = options.http ?? {};
  return {
    type: 'woocommerce',
    title: 'WooCommerce',
    channelKind: 'webshop',
    spec: WooConfigSchema,
    secretFields: WOO_SECRET_FIELDS,
    check: (config, callOptions) => check(config, http, callOptions?.signal),
    pull(config, state, pullOptions) {
      const resolved = resolveWooConfig(config);
      const client = new WooClient(resolved, http);
      const pages = pullOrders(client, resolved, state, pullOptions, brokenPageRetry(resolved, http));
      return resolved.refundDetails ? withRefundDetails(pages, client, pullOptions?.signal) : pages;
    },
    listOrders: (config, window, callOptions) => listWooOrders(new WooClient(resolveWooConfig(config), http), window, callOptions?.signal),
    fetchOrders(config, externalIds, callOptions) {
      const resolved = resolveWooConfig(config);
      const client = new WooClient(resolved, http);
      const pages = fetchWooOrders(client, externalIds, callOptions?.signal);
      return resolved.refundDetails ? withRefundDetails(pages, client, callOptions?.signal) : pages;
    },
    resetCursor: (_state, since) => (since ? { modifiedAfter: since.toISOString() } : {}),
    fetchOrder: (config, externalId, callOptions) => fetchOneOrder(new WooClient(resolveWooConfig(config), http), externalId, callOptions?.signal),
    webhook: { verify: verifyWooWebhook },
    async writeStatus(config, update, callOptions) {
      const client = new WooClient(resolveWooConfig(config), http);
      const response = await client.updateOrderStatus(update.externalId, update.status, callOptions?.signal);
      let statusNow: string | undefined;
      try {
        const order = JSON.parse(response.body) as { status?: unknown };
        statusNow = typeof order.status === 'string' ? order.status : undefined;
      } catch {
        statusNow = undefined;
      }
      return { target: response.url, statusNow };
    },
  };
}

export const woocommerceConnector: ConnectorDefinition<WooConfig, WooState> = createWooCommerceConnector();
