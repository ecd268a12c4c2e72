import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { WebhookRequest } from '../../connectors/_kit/definition.ts';
import { woocommerceConnector, type WooConfig } from '../../connectors/woocommerce/index.ts';
import { phpJsonEncode } from '../../testkit/woo-sandbox.ts';
import { woocommerceMapping } from '../../mappings/woocommerce/index.ts';

const secret = 'Sx9&<wh>"sec"'; // HTML-special characters, as in woocommerce#22500
const config: WooConfig = { url: 'https://shop.example.hu', consumerKey: 'ck_1', consumerSecret: 'cs_1', webhookSecret: secret };
const verify = (request: WebhookRequest, cfg: WooConfig = config) => {
  const handler = woocommerceConnector.webhook;
  if (!handler) throw new Error('no webhook handler');
  return handler.verify(request, cfg);
};

const sign = (body: Buffer, key = secret) => createHmac('sha256', key).update(body).digest('base64');

// The body exactly as WordPress sends it: PHP json_encode escapes `/` as `\/` and non-ASCII as \uXXXX.
const order = JSON.parse(readFileSync(new URL('../fixtures/woocommerce/variation-order-wc8.json', import.meta.url), 'utf8')) as unknown;
const rawBody = Buffer.from(phpJsonEncode(order), 'utf8');

function delivery(body: Buffer, headers: Record<string, string | string[] | undefined>): WebhookRequest {
  return {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-wc-webhook-source': 'https://shop.example.hu/',
      'x-wc-webhook-topic': 'order.updated',
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-event': 'updated',
      'x-wc-webhook-id': '12',
      'x-wc-delivery-id': '7f3a9c',
      ...headers,
    },
  };
}

describe('woocommerce webhook', () => {
  it('the raw body really carries PHP escapes (the case that breaks re-serialising verifiers)', () => {
    const text = rawBody.toString('utf8');
    expect(text).toContain('https:\\/\\/shop.example.hu\\/');
    expect(text).toContain('\\u00f6'); // ö
    expect(text).not.toContain('ö');
  });

  describe('when the signature is right', () => {
    it('accepts the delivery with its topic and delivery id', () => {
      const verdict = verify(delivery(rawBody, { 'x-wc-webhook-signature': sign(rawBody) }));
      expect(verdict).toEqual({ kind: 'accepted', topic: 'order.updated', deliveryId: '7f3a9c' });
    });

    it('accepts header names in any case and repeated headers', () => {
      const verdict = verify({
        rawBody,
        headers: { 'X-WC-Webhook-Signature': [sign(rawBody)], 'X-WC-Webhook-Topic': 'order.created', 'X-WC-Delivery-ID': 'd-1' },
      });
      expect(verdict).toEqual({ kind: 'accepted', topic: 'order.created', deliveryId: 'd-1' });
    });

    it('accepts raw UTF-8 unicode bodies too, and the mapping reads the accepted body', () => {
      const utf8 = Buffer.from(JSON.stringify(order), 'utf8');
      expect(verify(delivery(utf8, { 'x-wc-webhook-signature': sign(utf8) })).kind).toBe('accepted');
      const result = woocommerceMapping.map({ kind: 'webhook', body: rawBody.toString('utf8') }, {});
      expect(result.errors).toEqual([]);
      expect(result.orders[0]?.shippingAddress?.line1).toBe('Fő utca 1.');
    });
  });

  describe('when the signature is wrong or missing', () => {
    it('rejects a signature computed over the re-serialised JSON', () => {
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(rawBody.toString('utf8'))), 'utf8');
      const verdict = verify(delivery(rawBody, { 'x-wc-webhook-signature': sign(reserialised) }));
      expect(verdict.kind).toBe('rejected');
    });

    it('rejects a signature made with another secret (e.g. the consumer secret)', () => {
      const verdict = verify(delivery(rawBody, { 'x-wc-webhook-signature': sign(rawBody, 'cs_1') }));
      expect(verdict).toEqual({ kind: 'rejected', reason: expect.stringMatching(/does not match/) });
    });

    it('rejects a hex signature and a tampered body', () => {
      const hex = createHmac('sha256', secret).update(rawBody).digest('hex');
      expect(verify(delivery(rawBody, { 'x-wc-webhook-signature': hex })).kind).toBe('rejected');
      const tampered = Buffer.from(rawBody.toString('utf8').replace('21551.90', '1.00'), 'utf8');
      expect(verify(delivery(tampered, { 'x-wc-webhook-signature': sign(rawBody) })).kind).toBe('rejected');
    });

    it('rejects a missing signature', () => {
      expect(verify(delivery(rawBody, {}))).toEqual({ kind: 'rejected', reason: 'missing X-WC-Webhook-Signature header' });
    });
  });

  describe('when no webhook secret is configured', () => {
    it('rejects deliveries with a clear reason', () => {
      const { webhookSecret: _unused, ...noSecret } = config;
      const signed = verify(delivery(rawBody, { 'x-wc-webhook-signature': sign(rawBody) }), noSecret);
      expect(signed).toEqual({ kind: 'rejected', reason: expect.stringMatching(/no webhook secret is configured/) });
    });

    it('still answers the creation ping, which WooCommerce sends before the secret can be set', () => {
      const { webhookSecret: _unused, ...noSecret } = config;
      // As WC_Webhook::deliver_ping() sends it: form body `webhook_id=<id>`, Hookshot user agent, no X-WC-* headers.
      const ping = verify(
        { rawBody: Buffer.from('webhook_id=12'), headers: { 'user-agent': 'WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)', 'content-type': 'application/x-www-form-urlencoded' } },
        noSecret,
      );
      expect(ping).toEqual({ kind: 'ping' });
    });
  });

  describe('when the webhook is not about orders', () => {
    it('rejects product, customer, coupon and action topics with a clear reason, signed or not', () => {
      const body = Buffer.from('{"id":31,"name":"Kerti pad"}');
      const product = verify(delivery(body, { 'x-wc-webhook-topic': 'product.updated', 'x-wc-webhook-resource': 'product', 'x-wc-webhook-signature': sign(body) }));
      expect(product).toEqual({ kind: 'rejected', reason: expect.stringMatching(/this channel only takes order webhooks.*product\.updated/) });
      const { webhookSecret: _unused, ...noSecret } = config;
      expect(verify(delivery(body, { 'x-wc-webhook-topic': 'customer.created', 'x-wc-webhook-resource': 'customer' }), noSecret)).toEqual({
        kind: 'rejected',
        reason: expect.stringMatching(/only takes order webhooks/),
      });
      // Without the resource header the topic's prefix decides.
      const coupon = verify({ rawBody: body, headers: { 'x-wc-webhook-topic': 'coupon.deleted', 'x-wc-webhook-signature': sign(body) } });
      expect(coupon).toEqual({ kind: 'rejected', reason: expect.stringMatching(/only takes order webhooks/) });
      const action = verify(delivery(body, { 'x-wc-webhook-topic': 'action.woocommerce_order_status_changed', 'x-wc-webhook-resource': 'action', 'x-wc-webhook-signature': sign(body) }));
      expect(action.kind).toBe('rejected');
    });

    it('accepts order.deleted (resource order); the mapping turns its {id} body into nothing', () => {
      const body = Buffer.from('{"id":727}');
      const verdict = verify(delivery(body, { 'x-wc-webhook-topic': 'order.deleted', 'x-wc-webhook-event': 'deleted', 'x-wc-webhook-signature': sign(body) }));
      expect(verdict).toEqual({ kind: 'accepted', topic: 'order.deleted', deliveryId: '7f3a9c' });
      expect(woocommerceMapping.map({ kind: 'webhook', body: body.toString('utf8') }, {})).toEqual({ orders: [], errors: [] });
    });
  });

  describe('when WooCommerce pings a new webhook', () => {
    it('answers ping for the form-encoded body without a signature', () => {
      const verdict = verify({ rawBody: Buffer.from('webhook_id=12'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(verdict).toEqual({ kind: 'ping' });
    });

    it('answers ping when a signature is present, right or wrong', () => {
      const body = Buffer.from('webhook_id=12');
      expect(verify({ rawBody: body, headers: { 'x-wc-webhook-signature': sign(body) } })).toEqual({ kind: 'ping' });
      expect(verify({ rawBody: body, headers: { 'x-wc-webhook-signature': 'bogus' } })).toEqual({ kind: 'ping' });
    });

    it('does not treat a topic delivery as a ping', () => {
      const body = Buffer.from('webhook_id=12');
      expect(verify({ rawBody: body, headers: { 'x-wc-webhook-topic': 'order.updated' } }).kind).toBe('rejected');
    });
  });
});
