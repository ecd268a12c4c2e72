import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it, expect } from 'vitest';
import nock from 'nock';
import { createHttpClient, parseRetryAfter, redactUrl, type HttpClientOptions } from '../../connectors/_kit/http.ts';
import { hmacSha256Base64, headerValue, verifyHmacSha256Base64 } from '../../connectors/_kit/hmac.ts';
import { rejection } from '../helpers/rejections.ts';

const API = 'https://api.example.test';

function recordingClient(options: HttpClientOptions = {}) {
  const sleeps: number[] = [];
  const client = createHttpClient({
    maxAttempts: 4,
    baseDelayMs: 100,
    jitter: 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { client, sleeps };
}

afterEach(() => {
  nock.cleanAll();
});

describe('http kit', () => {
  describe('when the upstream answers 2xx', () => {
    it('returns the body as text, even when it is not JSON, with lower-case headers', async () => {
      nock(API).get('/things').query({ a: '1' }).reply(200, '{"broken": ', { 'Content-Type': 'application/json', 'X-Thing': 'yes' });
      const { client } = recordingClient();
      const res = await client.request({ url: `${API}/things`, params: { a: 1 } });
      expect(res.status).toBe(200);
      expect(res.body).toBe('{"broken": ');
      expect(res.contentType).toBe('application/json');
      expect(res.headers['x-thing']).toBe('yes');
      expect(res.attempts).toBe(1);
    });

    it('builds request options fresh per call (params never leak between calls)', async () => {
      const scope = nock(API).get('/a').query({ per_page: '5' }).reply(200, '[]').get('/a').query({ page: '2' }).reply(200, '[]');
      const { client } = recordingClient();
      const params: Record<string, string | undefined> = { per_page: '5' };
      await client.request({ url: `${API}/a`, params });
      await client.request({ url: `${API}/a`, params: { page: '2' } });
      expect(params).toEqual({ per_page: '5' });
      expect(scope.isDone()).toBe(true);
    });
  });

  describe('when the upstream fails transiently', () => {
    it('retries 5xx with exponential backoff and succeeds', async () => {
      nock(API).get('/x').reply(500, 'oops').get('/x').reply(502, 'bad gateway').get('/x').reply(503).get('/x').reply(200, 'ok');
      const { client, sleeps } = recordingClient();
      const res = await client.request({ url: `${API}/x` });
      expect(res.body).toBe('ok');
      expect(res.attempts).toBe(4);
      expect(sleeps).toEqual([100, 200, 400]);
    });

    it('honours Retry-After in seconds on 429', async () => {
      nock(API).get('/x').reply(429, '', { 'Retry-After': '7' }).get('/x').reply(200, 'ok');
      const { client, sleeps } = recordingClient();
      await client.request({ url: `${API}/x` });
      expect(sleeps).toEqual([7000]);
    });

    it('honours Retry-After as an HTTP date', async () => {
      const now = Date.parse('2024-05-01T10:00:00Z');
      nock(API).get('/x').reply(503, '', { 'Retry-After': 'Wed, 01 May 2024 10:00:30 GMT' }).get('/x').reply(200, 'ok');
      const { client, sleeps } = recordingClient({ now: () => now });
      await client.request({ url: `${API}/x` });
      expect(sleeps).toEqual([30_000]);
    });

    it('gives up at once when Retry-After is longer than it is willing to wait', async () => {
      nock(API).get('/x').reply(429, '', { 'Retry-After': '3600' });
      const { client, sleeps } = recordingClient({ maxRetryAfterMs: 60_000 });
      const error = await rejection(client.request({ url: `${API}/x` }));
      expect(error.code).toBe('upstream_unavailable');
      expect(error.transient).toBe(true);
      expect(error.message).toMatch(/3600 s/);
      expect(sleeps).toEqual([]);
    });

    it('retries network errors', async () => {
      nock(API).get('/x').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).get('/x').reply(200, 'ok');
      const { client, sleeps } = recordingClient({ timeoutMs: 5000 });
      const res = await client.request({ url: `${API}/x` });
      expect(res.body).toBe('ok');
      expect(res.attempts).toBe(2);
      expect(sleeps).toEqual([100]);
    });

    it('wraps exhausted retries into upstream_unavailable naming the last problem', async () => {
      nock(API).get('/x').times(3).reply(503, '<html>Service Unavailable</html>');
      const { client, sleeps } = recordingClient({ maxAttempts: 3 });
      const error = await rejection(client.request({ url: `${API}/x` }));
      expect(error.code).toBe('upstream_unavailable');
      expect(error.status).toBe(503);
      expect(error.message).toContain('after 3 attempts');
      expect(error.message).toContain('Service Unavailable');
      expect(sleeps).toEqual([100, 200]);
    });

    it('caps the backoff and applies bounded jitter', async () => {
      nock(API).get('/x').times(5).reply(500);
      const { client, sleeps } = recordingClient({ maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5, random: () => 0 });
      nock(API).get('/x').reply(200, 'ok');
      await client.request({ url: `${API}/x` });
      // random 0 → −50 %: 1000, 2000, 4000, 5000 (capped), 5000 → halved.
      expect(sleeps).toEqual([500, 1000, 2000, 2500, 2500]);
    });
  });

  describe('when the upstream does not answer in time', () => {
    let server: Server | undefined;
    afterEach(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    });

    it('retries the timeout and then fails as upstream_unavailable', async () => {
      let hits = 0;
      server = createServer(() => {
        hits++; // never answers
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const { client, sleeps } = recordingClient({ timeoutMs: 50, maxAttempts: 2 });
      const error = await rejection(client.request({ url: `http://127.0.0.1:${port}/slow` }));
      expect(error.code).toBe('upstream_unavailable');
      expect(error.message).toMatch(/after 2 attempts; last: no answer within 50 ms/);
      // The retry is proven by the backoff; the server may not have parsed the second request before it timed out.
      expect(hits).toBeGreaterThanOrEqual(1);
      expect(sleeps).toEqual([100]);
    });
  });

  describe('when the upstream refuses', () => {
    it.each([401, 403])('maps %i to unauthorized with a clear message and no secrets', async (status) => {
      nock(API)
        .get('/orders')
        .query(true)
        .reply(status, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status } });
      const { client, sleeps } = recordingClient({ serviceName: 'WooCommerce' });
      const error = await rejection(client.request({ url: `${API}/orders`, params: { consumer_key: 'ck_live', consumer_secret: 'cs_live', page: 1 } }));
      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(status);
      expect(error.transient).toBe(false);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).toContain(`${API}/orders`);
      expect(error.message).toContain('Sorry, you cannot list resources.');
      expect(error.message).not.toContain('ck_live');
      expect(error.message).not.toContain('cs_live');
      expect(sleeps).toEqual([]);
    });

    it('maps other 4xx to upstream_rejected without retrying', async () => {
      nock(API).get('/x').reply(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.' });
      const { client, sleeps } = recordingClient();
      const error = await rejection(client.request({ url: `${API}/x` }));
      expect(error.code).toBe('upstream_rejected');
      expect(error.status).toBe(404);
      expect(error.message).toContain('rest_no_route');
      expect(sleeps).toEqual([]);
    });

    it('returns statuses the caller accepts instead of throwing', async () => {
      nock(API).get('/x').reply(400, '{"code":"rest_invalid_param"}');
      const { client } = recordingClient();
      const res = await client.request({ url: `${API}/x`, acceptStatuses: [400] });
      expect(res.status).toBe(400);
      expect(res.body).toBe('{"code":"rest_invalid_param"}');
    });

    it('never leaks Basic credentials into messages', async () => {
      nock(API).get('/x').basicAuth({ user: 'ck_abc', pass: 'cs_def' }).reply(403, 'Forbidden');
      const { client } = recordingClient();
      const error = await rejection(client.request({ url: `${API}/x`, auth: { username: 'ck_abc', password: 'cs_def' } }));
      expect(error.code).toBe('unauthorized');
      expect(error.message).not.toMatch(/ck_abc|cs_def/);
    });
  });

  describe('helpers', () => {
    it('parses Retry-After forms', () => {
      expect(parseRetryAfter('120')).toBe(120_000);
      expect(parseRetryAfter('1.5')).toBe(1500);
      expect(parseRetryAfter('Wed, 01 May 2024 10:00:05 GMT', Date.parse('2024-05-01T10:00:00Z'))).toBe(5000);
      expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', Date.parse('2024-05-01T10:00:00Z'))).toBe(0);
      expect(parseRetryAfter('soon')).toBeUndefined();
      expect(parseRetryAfter(undefined)).toBeUndefined();
    });

    it('redacts secret query values and userinfo', () => {
      const shown = redactUrl('https://user:pw@shop.example/wp-json/wc/v3/orders?consumer_secret=cs_1', { consumer_key: 'ck_1', page: 2 });
      expect(shown).toBe('https://shop.example/wp-json/wc/v3/orders?consumer_secret=***&consumer_key=***&page=2');
    });
  });
});

describe('hmac kit', () => {
  const secret = 'whsec-test';
  const body = Buffer.from('{"id":1,"url":"https:\\/\\/x.hu\\/","name":"\\u00c1rv\\u00edzt\\u0171r\\u0151"}', 'utf8');

  it('verifies base64 HMAC-SHA256 over the raw bytes', () => {
    const signature = hmacSha256Base64(body, secret);
    expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(verifyHmacSha256Base64(body, secret, signature)).toBe(true);
    expect(verifyHmacSha256Base64(body, secret, ` ${signature} `)).toBe(true);
  });

  it('fails on re-serialised JSON, wrong secret, hex digests, truncation and absence', () => {
    const signature = hmacSha256Base64(body, secret);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))), 'utf8');
    expect(verifyHmacSha256Base64(reserialised, secret, signature)).toBe(false);
    expect(verifyHmacSha256Base64(body, 'other', signature)).toBe(false);
    expect(verifyHmacSha256Base64(body, secret, Buffer.from(signature, 'base64').toString('hex'))).toBe(false);
    expect(verifyHmacSha256Base64(body, secret, signature.slice(0, -2))).toBe(false);
    expect(verifyHmacSha256Base64(body, secret, undefined)).toBe(false);
    expect(verifyHmacSha256Base64(body, secret, '')).toBe(false);
  });

  it('reads headers case-insensitively and takes the first of repeated ones', () => {
    expect(headerValue({ 'X-WC-Webhook-Topic': 'order.updated' }, 'x-wc-webhook-topic')).toBe('order.updated');
    expect(headerValue({ 'x-a': ['1', '2'] }, 'X-A')).toBe('1');
    expect(headerValue({}, 'x-a')).toBeUndefined();
  });
});
