import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { Value } from '@sinclair/typebox/value';
import '../../core/model/formats.ts';
import type { PulledPage } from '../../connectors/_kit/definition.ts';
import { ConnectorError } from '../../connectors/_kit/connector-error.ts';
import {
  UnasBannedError,
  createUnasConnector,
  createUnasCustomConnector,
  resetUnasAuthCache,
  unasConnector,
  unasCustomConnector,
  type UnasConfig,
  type UnasState,
} from '../../connectors/unas/index.ts';
import { parseUnasBanTime } from '../../connectors/unas/time.ts';
import { rejection } from '../helpers/rejections.ts';

const API = 'https://api.unas.eu';
const NOW = new Date('2024-07-15T12:00:00Z');
const raw = (name: string): Buffer => readFileSync(new URL(`../fixtures/unas/${name}`, import.meta.url));
const text = (name: string): string => raw(name).toString('utf8');
const XML = { 'Content-Type': 'text/xml; charset=UTF-8' };
const TOKEN = '6f0c1e2d3b4a59687766554433221100aabbccdd';

const config: UnasConfig = { apiKey: 'unas-key-1234', limitNum: 2 };

/** Two orders per page: keys K1, K2, … */
function ordersXml(keys: number[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Orders>${keys.map((k) => `<Order><Key>K${k}</Key><Id>${k}</Id><Date>2024.07.15 10:00:00</Date></Order>`).join('')}</Orders>`;
}

function makeConnector(factory = createUnasConnector) {
  const sleeps: number[] = [];
  let clock = NOW.getTime();
  const connector = factory({
    http: {
      jitter: 0,
      baseDelayMs: 100,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
  return { connector, sleeps, advance: (ms: number) => (clock += ms) };
}

async function collect(connector: ReturnType<typeof makeConnector>['connector'], state: UnasState | undefined, cfg: any = config, now = NOW): Promise<Array<PulledPage<UnasState> & { warning?: string }>> {
  const pages: Array<PulledPage<UnasState> & { warning?: string }> = [];
  for await (const page of connector.pull!(cfg, state, { now: () => now })) pages.push(page);
  return pages;
}

/** Every page a pull yields, and the error it ends with (if any). */
async function pullAll(connector: ReturnType<typeof makeConnector>['connector'], state: UnasState | undefined, now: Date, cfg: any = config) {
  const pages: Array<PulledPage<UnasState>> = [];
  try {
    for await (const page of connector.pull!(cfg, state, { now: () => now })) pages.push(page);
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectorError);
    return { pages, error: error as ConnectorError };
  }
  return { pages, error: undefined };
}

/** The state a sync would persist after these pages: the last page's `state` that was set. */
const persisted = (before: UnasState | undefined, pages: Array<PulledPage<UnasState>>): UnasState | undefined =>
  pages.reduce<UnasState | undefined>((s, p) => p.state ?? s, before);

const param = (body: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

/** Records every request body and Authorization of a nock scope. */
function recorder() {
  const calls: Array<{ path: string; body: string; auth: string | undefined }> = [];
  const record = (path: string) =>
    function (this: { req: { headers: Record<string, string> } }, _uri: string, body: unknown) {
      calls.push({ path, body: String(body), auth: this.req.headers.authorization });
    };
  return { calls, record };
}

beforeEach(() => resetUnasAuthCache());
afterEach(() => nock.cleanAll());

describe('unas connector', () => {
  describe('spec', () => {
    it('accepts a minimal config, flags the secret and limits LimitNum to 500', () => {
      expect(Value.Check(unasConnector.spec, { apiKey: 'k' })).toBe(true);
      expect(Value.Check(unasConnector.spec, { apiKey: 'k', limitNum: 501 })).toBe(false);
      expect(Value.Check(unasConnector.spec, { apiKey: '' })).toBe(false);
      expect(Value.Check(unasConnector.spec, { apiKey: 'k', statusFilter: 'open_normal' })).toBe(true);
      expect(Value.Check(unasConnector.spec, { apiKey: 'k', statusFilter: 'whatever' })).toBe(false);
      expect(Value.Check(unasConnector.spec, { apiKey: 'k', authMode: 'bearer' })).toBe(false);
      expect(unasConnector.secretFields).toEqual(['apiKey']);
      expect([unasConnector.type, unasConnector.channelKind]).toEqual(['unas', 'webshop']);
    });

    it('the custom variant needs a baseUrl and allows authMode', () => {
      expect(Value.Check(unasCustomConnector.spec, { apiKey: 'k' })).toBe(false);
      expect(Value.Check(unasCustomConnector.spec, { apiKey: 'k', baseUrl: 'https://shop.example.hu/api', authMode: 'bearer' })).toBe(true);
      expect([unasCustomConnector.type, unasCustomConnector.title, unasCustomConnector.channelKind]).toEqual(['unas-custom', 'Custom API based on the Unas API', 'webshop']);
    });
  });

  describe('when pulling several pages', () => {
    it('logs in once, reuses the token on every page, pages with LimitStart and sets state on the last page only', async () => {
      const { calls, record } = recorder();
      nock(API)
        .post('/shop/login').reply(function (uri, body) { record('login').call(this as never, uri, body); return [200, text('login.xml'), XML]; })
        .post('/shop/getOrder').times(3).reply(function (uri, body) {
          record('getOrder').call(this as never, uri, body);
          const start = Number(param(String(body), 'LimitStart') ?? 0);
          return [200, ordersXml(start === 0 ? [1, 2] : start === 2 ? [3, 4] : [5]), XML];
        });
      const { connector } = makeConnector();
      const pages = await collect(connector, { modifiedAfter: '2024-07-15T09:00:00.000Z' });
      expect(calls.map((c) => c.path)).toEqual(['login', 'getOrder', 'getOrder', 'getOrder']);
      expect(param(calls[0]!.body, 'ApiKey')).toBe('unas-key-1234');
      expect(calls[0]!.auth).toBeUndefined();
      expect(calls.slice(1).every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
      const bodies = calls.slice(1).map((c) => c.body);
      expect(bodies.map((b) => [param(b, 'TimeModStart'), param(b, 'TimeModEnd'), param(b, 'LimitNum'), param(b, 'LimitStart')])).toEqual([
        [String(Date.parse('2024-07-15T08:50:00Z') / 1000), String(NOW.getTime() / 1000), '2', undefined],
        [String(Date.parse('2024-07-15T08:50:00Z') / 1000), String(NOW.getTime() / 1000), '2', '2'],
        [String(Date.parse('2024-07-15T08:50:00Z') / 1000), String(NOW.getTime() / 1000), '2', '4'],
      ]);
      expect(bodies.some((b) => /InvoiceAutoSet|DateModStart/.test(b))).toBe(false);
      // Every page keeps the cursor as it was and the hour's call count; only the last one moves the cursor.
      const since = NOW.toISOString();
      expect(pages.map((p) => [p.page, p.error, p.state])).toEqual([
        [1, undefined, { modifiedAfter: '2024-07-15T09:00:00.000Z', calls: { since, count: 1 } }],
        [2, undefined, { modifiedAfter: '2024-07-15T09:00:00.000Z', calls: { since, count: 2 } }],
        [3, undefined, { modifiedAfter: NOW.toISOString(), calls: { since, count: 3 } }],
      ]);
      expect(pages[0]?.body).toBe(ordersXml([1, 2]));
      expect(pages[0]?.source).toContain('https://api.unas.eu/shop/getOrder?TimeModStart=');
      expect(pages[0]?.source).not.toContain('unas-key-1234');
    });

    it('reuses the cached token in the next run and logs in again once it is near Expire', async () => {
      const { calls, record } = recorder();
      nock(API)
        .post('/shop/login').times(2).reply(function (uri, body) { record('login').call(this as never, uri, body); return [200, text('login.xml'), XML]; })
        .post('/shop/getOrder').times(3).reply(function (uri, body) { record('getOrder').call(this as never, uri, body); return [200, ordersXml([]), XML]; });
      const { connector, advance } = makeConnector();
      await collect(connector, undefined);
      await collect(connector, undefined);
      expect(calls.map((c) => c.path)).toEqual(['login', 'getOrder', 'getOrder']);
      advance(2 * 60 * 60_000); // Expire 2024.07.15 16:00 Budapest = 14:00Z; now 14:00Z
      await collect(connector, undefined);
      expect(calls.map((c) => c.path)).toEqual(['login', 'getOrder', 'getOrder', 'login', 'getOrder']);
    });

    it('logs in again once when UNAS says the token expired, and goes on', async () => {
      const { calls, record } = recorder();
      nock(API)
        .post('/shop/login').times(2).reply(function (uri, body) { record('login').call(this as never, uri, body); return [200, text('login.xml'), XML]; })
        .post('/shop/getOrder').reply(200, ordersXml([1, 2]), XML)
        .post('/shop/getOrder').reply(400, text('error-token-expired.xml'), XML)
        .post('/shop/getOrder').reply(200, ordersXml([3]), XML);
      const { connector } = makeConnector();
      const pages = await collect(connector, undefined);
      expect(calls.map((c) => c.path)).toEqual(['login', 'login']);
      expect(pages.map((p) => p.page)).toEqual([1, 2]);
      expect(pages.at(-1)?.state?.modifiedAfter).toBe(NOW.toISOString());
    });

    it('does not loop when the token is refused right after a fresh login', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(401, '<Error>Unauthorized</Error>', XML);
      const { connector } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toContain('Unauthorized');
    });
  });

  describe('the call budget', () => {
    it('counts getOrder calls per hour in the sync state and sends none over callsPerHour, across processes', async () => {
      const budget = { ...config, callsPerHour: 2 };
      const before: UnasState = { modifiedAfter: '2024-07-15T11:00:00.000Z' };
      const scope = nock(API)
        .post('/shop/login').reply(200, text('login.xml'), XML)
        .post('/shop/getOrder').reply(200, ordersXml([1, 2]), XML)
        .post('/shop/getOrder').reply(200, ordersXml([3, 4]), XML);
      const first = await pullAll(makeConnector().connector, before, NOW, budget);
      expect(scope.isDone()).toBe(true);
      expect(first.pages).toHaveLength(2);
      expect(first.error?.code).toBe('upstream_unavailable');
      expect(first.error?.message).toBe(
        "The channel's budget of 2 getOrder calls an hour (callsPerHour; UNAS allows 30 multi-order getOrder calls an hour on PREMIUM, 90 on VIP) is used up: " +
          'no call before 2024-07-15T13:00:00.000Z; this run stopped after 2 page(s) and the cursor stays.',
      );
      const stored = persisted(before, first.pages);
      expect(stored).toEqual({ modifiedAfter: before.modifiedAfter, calls: { since: NOW.toISOString(), count: 2 } });

      resetUnasAuthCache();
      const untouched = nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      const held = await pullAll(makeConnector().connector, stored, new Date(NOW.getTime() + 59 * 60_000), budget);
      expect(held.pages).toEqual([]);
      expect(held.error?.message).toMatch(/is used up: no call before 2024-07-15T13:00:00.000Z\.$/);
      expect(untouched.isDone()).toBe(false);

      const later = await pullAll(makeConnector().connector, stored, new Date(NOW.getTime() + 60 * 60_000), budget);
      expect(later.error).toBeUndefined();
      expect(untouched.isDone()).toBe(true);
      expect(persisted(stored, later.pages)).toEqual({ modifiedAfter: '2024-07-15T13:00:00.000Z', calls: { since: '2024-07-15T13:00:00.000Z', count: 1 } });
    });

    it('defaults to 25 calls an hour, under the 30 multi-order getOrder calls of PREMIUM', () => {
      expect(Value.Check(unasConnector.spec, { apiKey: 'k', callsPerHour: 0 })).toBe(false);
      expect(Value.Default(unasConnector.spec, { apiKey: 'k' })).toMatchObject({ callsPerHour: 25 });
    });
  });

  describe('when pulling with an abnormal or no cursor', () => {
    it('sends no TimeModStart without a cursor', async () => {
      let body = '';
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, (_u, b) => { body = String(b); return text('orders-empty.xml'); });
      const pages = await collect(makeConnector().connector, undefined);
      expect(param(body, 'TimeModStart')).toBeUndefined();
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state?.modifiedAfter).toBe(NOW.toISOString());
    });

    it('resets a cursor in the future to now, warns, and breaks nothing', async () => {
      let body = '';
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, (_u, b) => { body = String(b); return text('orders-empty.xml'); });
      const pages = await collect(makeConnector().connector, { modifiedAfter: '2099-01-01T00:00:00.000Z' }, { ...config, overlapMinutes: 15 });
      expect(param(body, 'TimeModStart')).toBe(String(NOW.getTime() / 1000 - 15 * 60));
      expect(pages).toHaveLength(1);
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.warning).toMatch(/later than now/);
      expect(pages[0]?.state?.modifiedAfter).toBe(NOW.toISOString());
    });

    it('sends the status filter', async () => {
      let body = '';
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, (_u, b) => { body = String(b); return text('orders-empty.xml'); });
      await collect(makeConnector().connector, undefined, { ...config, statusFilter: 'open_normal' });
      expect(param(body, 'Status')).toBe('open_normal');
    });
  });

  describe('when answers come in other encodings or broken', () => {
    it('decodes an ISO-8859-2 answer by its declaration and archives the decoded text', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, raw('get-order-iso-8859-2.xml'), { 'Content-Type': 'text/xml' });
      const pages = await collect(makeConnector().connector, undefined);
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.body).toContain('Kővári Győző');
      expect(pages[0]?.body).toContain('Fűzfa utca');
      expect(pages[0]?.contentType).toBe('text/xml');
    });

    it('archives bytes invalid in the declared charset lossily with an error, stops paging there, and does not advance the cursor', async () => {
      const scope = nock(API)
        .post('/shop/login').reply(200, text('login.xml'), XML)
        .post('/shop/getOrder').reply(200, raw('get-order-iso-8859-2.xml'), { 'Content-Type': 'text/xml; charset=UTF-8' })
        .post('/shop/getOrder').reply(200, Buffer.concat([Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Orders><Order><Key>'), Buffer.from([0xf5]), Buffer.from('</Key></Order></Orders>')]), XML);
      const pages = await collect(makeConnector().connector, undefined, { ...config, limitNum: 1 });
      // header UTF-8 vs declaration ISO-8859-2: the declaration wins because the bytes are not UTF-8
      expect(pages[0]?.error).toBeUndefined();
      expect(pages[0]?.warning).toMatch(/decoded as iso-8859-2/);
      expect(pages[1]?.error).toEqual({ code: 'invalid_data', message: expect.stringMatching(/bytes invalid in the declared encoding utf-8 at byte \d+ \(f5.*no further page is requested/) });
      expect(pages[1]?.body).toContain('<Key>\uFFFD</Key>');
      expect(pages).toHaveLength(2);
      expect(pages.map((p) => p.state?.modifiedAfter)).toEqual([undefined, undefined]);
      expect(scope.isDone()).toBe(true);
    });

    it('does not count a broken page as full: no further page is requested in that run', async () => {
      const { calls, record } = recorder();
      nock(API)
        .post('/shop/login').reply(200, text('login.xml'), XML)
        .post('/shop/getOrder').reply(200, function (this: any, uri: string, body: unknown) {
          record('getOrder').call(this, uri, body);
          return text('truncated.xml');
        }, XML);
      const pages = await collect(makeConnector().connector, { modifiedAfter: '2024-07-15T11:00:00.000Z' });
      expect(calls).toHaveLength(1);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.error?.message).toMatch(/expected <Orders> XML: malformed XML.*no further page is requested/);
      expect(pages[0]?.state).toEqual({ modifiedAfter: '2024-07-15T11:00:00.000Z', calls: { since: NOW.toISOString(), count: 1 } });
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('refuses a DOCTYPE answer as a broken page', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, text('hostile-xxe.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      const pages = await collect(makeConnector().connector, undefined);
      expect(pages[0]?.error?.message).toMatch(/DOCTYPE declaration is refused/);
      expect(pages.at(-1)?.state?.modifiedAfter).toBeUndefined();
    });
  });

  describe('when UNAS refuses or fails', () => {
    it('archives an <Error> answered with HTTP 200 with its text, and the run fails naming it', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, text('error.xml'), XML);
      const pages: PulledPage<UnasState>[] = [];
      const error = await rejection(
        (async () => {
          for await (const page of makeConnector().connector.pull!(config, undefined, { now: () => NOW })) pages.push(page);
        })(),
      );
      expect(error.code).toBe('upstream_rejected');
      expect(error.message).toBe('UNAS answered POST https://api.unas.eu/shop/getOrder with HTTP 200 and <Error>: Invalid value in LimitNum');
      expect(pages).toHaveLength(1);
      expect(pages[0]?.body).toBe(text('error.xml'));
      expect(pages[0]?.error).toEqual({ code: 'upstream_rejected', message: error.message });
      expect(pages[0]?.source).toMatch(/^https:\/\/api\.unas\.eu\/shop\/getOrder\?TimeModStart=&TimeModEnd=\d+&LimitNum=2&LimitStart=0$/);
      expect(pages[0]?.state?.modifiedAfter).toBeUndefined();
    });

    it('turns a 400 <Error> into upstream_rejected with the message', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(400, text('error.xml'), XML);
      const { connector, sleeps } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('upstream_rejected');
      expect(error.status).toBe(400);
      expect(error.message).toBe('UNAS rejected POST https://api.unas.eu/shop/getOrder with HTTP 400: Invalid value in LimitNum');
      expect(sleeps).toEqual([]);
    });

    it('turns the IP ban into upstream_unavailable with the ban end read as MM.DD.YYYY Budapest time', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(400, text('error-ban.xml'), XML);
      const error = await rejection(collect(makeConnector().connector, undefined));
      expect(error).toBeInstanceOf(UnasBannedError);
      expect(error.code).toBe('upstream_unavailable');
      expect(error.transient).toBe(true);
      expect((error as UnasBannedError).bannedUntil?.toISOString()).toBe('2022-02-28T09:00:00.000Z');
      expect(error.message).toContain('until 2022-02-28T09:00:00.000Z');
      expect(parseUnasBanTime('banned till 07.01.2024 10:00:00')?.toISOString()).toBe('2024-07-01T08:00:00.000Z');
    });

    it('honours the ban end across processes: the hold is in the sync state, nothing is sent before it, the message says until when', async () => {
      const banAt = new Date('2022-02-28T08:00:00Z');
      const before: UnasState = { modifiedAfter: '2022-02-28T07:00:00.000Z' };
      nock(API)
        .post('/shop/login').reply(200, text('login.xml'), XML)
        .post('/shop/getOrder').reply(200, ordersXml([1, 2]), XML)
        .post('/shop/getOrder').reply(400, text('error-ban.xml'), XML);
      const first = await pullAll(makeConnector().connector, before, banAt);
      expect(first.error).toBeInstanceOf(UnasBannedError);
      expect(first.pages).toHaveLength(2);
      expect(first.pages[0]?.state?.modifiedAfter).toBe(before.modifiedAfter);
      expect(first.pages[1]?.body).toBe(text('error-ban.xml'));
      expect(first.pages[1]?.error).toEqual({ code: 'upstream_unavailable', message: expect.stringContaining('until 2022-02-28T09:00:00.000Z') });
      const stored = persisted(before, first.pages);
      expect(stored).toEqual({
        modifiedAfter: before.modifiedAfter,
        calls: { since: banAt.toISOString(), count: 2 },
        hold: { reason: 'ban', until: '2022-02-28T09:00:00.000Z', message: first.error?.message },
      });

      // A new process (CLI call, restart): no memory, only the stored state. Nothing may be sent.
      resetUnasAuthCache();
      const untouched = nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      const held = await pullAll(makeConnector().connector, stored, new Date('2022-02-28T08:59:59Z'));
      expect(held.pages).toEqual([]);
      expect(held.error).toBeInstanceOf(UnasBannedError);
      expect(held.error?.message).toMatch(/^UNAS banned this IP: no call to UNAS before 2022-02-28T09:00:00.000Z \(the ban's end; nothing was sent\)/);
      expect((held.error as UnasBannedError).bannedUntil?.toISOString()).toBe('2022-02-28T09:00:00.000Z');
      expect(untouched.isDone()).toBe(false);

      // At the end the pull calls again; a clean run's last page drops the hold.
      const after = await pullAll(makeConnector().connector, stored, new Date('2022-02-28T09:00:00Z'));
      expect(after.error).toBeUndefined();
      expect(untouched.isDone()).toBe(true);
      // A new hour of the call budget begins (the last one started at 08:00).
      expect(persisted(stored, after.pages)).toEqual({ modifiedAfter: '2022-02-28T09:00:00.000Z', calls: { since: '2022-02-28T09:00:00.000Z', count: 1 } });
    });

    it('sends no call before a ban end it has seen in this process (check and write-back have no sync state)', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(400, text('error-ban.xml'), XML);
      const banAt = new Date('2022-02-28T08:00:00Z');
      const seeing = createUnasConnector({ http: { jitter: 0, now: () => banAt.getTime(), sleep: async () => undefined } });
      expect((await pullAll(seeing, undefined, banAt)).error).toBeInstanceOf(UnasBannedError);
      const untouched = nock(API).post('/shop/setOrder').reply(200, '<Orders><Order><Key>K1</Key><Status>ok</Status></Order></Orders>', XML);
      const error = await rejection(seeing.writeStatus!(config, { externalId: 'K1|1', status: 'Teljesítve' }));
      expect(error).toBeInstanceOf(UnasBannedError);
      expect(error.message).toMatch(/no call before 2022-02-28T09:00:00.000Z \(POST https:\/\/api.unas.eu\/shop\/setOrder not sent\)/);
      expect(untouched.isDone()).toBe(false);
    });

    it('stores a refused login as a hold in the sync state: a new process does not send the same key again for 15 minutes; a new key is tried', async () => {
      nock(API).post('/shop/login').once().reply(400, text('error-bad-api-key.xml'), XML);
      const first = await pullAll(makeConnector().connector, { modifiedAfter: '2024-07-15T11:00:00.000Z' }, NOW);
      expect(first.error?.code).toBe('unauthorized');
      expect(first.pages).toHaveLength(1);
      expect(first.pages[0]?.body).toBe(text('error-bad-api-key.xml'));
      expect(first.pages[0]?.source).toBe('https://api.unas.eu/shop/login');
      const stored = first.pages[0]?.state;
      expect(stored).toEqual({
        modifiedAfter: '2024-07-15T11:00:00.000Z',
        calls: { since: NOW.toISOString(), count: 0 },
        hold: { reason: 'login', until: '2024-07-15T12:15:00.000Z', message: first.error?.message, key: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect(JSON.stringify(stored)).not.toContain('unas-key-1234');

      resetUnasAuthCache();
      const untouched = nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      const held = await pullAll(makeConnector().connector, stored, new Date(NOW.getTime() + 10 * 60_000));
      expect(held.pages).toEqual([]);
      expect(held.error?.code).toBe('unauthorized');
      expect(held.error?.message).toMatch(/^The API key was refused; it is not sent again before 2024-07-15T12:15:00.000Z .*Invalid API Key/);
      expect(untouched.isDone()).toBe(false);

      // A changed key is not held back by the old key's hold.
      const changed = await pullAll(makeConnector().connector, stored, new Date(NOW.getTime() + 10 * 60_000), { ...config, apiKey: 'unas-key-5678' });
      expect(changed.error).toBeUndefined();
      expect(untouched.isDone()).toBe(true);

      // After the hold the same key is tried again.
      resetUnasAuthCache();
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      expect((await pullAll(makeConnector().connector, stored, new Date(NOW.getTime() + 15 * 60_000))).error).toBeUndefined();
    });

    it('reports a refused login as unauthorized, never retries it, and holds the key back for a while', async () => {
      const scope = nock(API).post('/shop/login').once().reply(400, text('error-bad-api-key.xml'), XML);
      const { connector, sleeps, advance } = makeConnector();
      const first = await rejection(collect(connector, undefined));
      expect(first.code).toBe('unauthorized');
      expect(first.message).toContain('Invalid API Key');
      expect(first.message).not.toContain('unas-key-1234');
      expect(scope.isDone()).toBe(true);
      expect(sleeps).toEqual([]);
      const second = await rejection(collect(connector, undefined));
      expect(second.code).toBe('unauthorized');
      expect(second.message).toMatch(/not retried before .*5 failed logins/);
      advance(16 * 60_000);
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      expect(await collect(connector, undefined)).toHaveLength(1);
    });

    it('retries a 503 on getOrder with backoff, then gives up as upstream_unavailable', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').times(3).reply(503, 'Service Unavailable');
      const { connector, sleeps } = makeConnector();
      const error = await rejection(collect(connector, undefined));
      expect(error.code).toBe('upstream_unavailable');
      expect(sleeps).toEqual([100, 200]);
    });
  });

  describe('the custom API variant', () => {
    const BASE = 'https://erp.example.hu';
    it('speaks the same contract against another base URL', async () => {
      const { calls, record } = recorder();
      nock(BASE)
        .post('/unas-api/login').reply(function (uri, body) { record('login').call(this as never, uri, body); return [200, text('login.xml'), XML]; })
        .post('/unas-api/getOrder').reply(function (uri, body) { record('getOrder').call(this as never, uri, body); return [200, ordersXml([1]), XML]; });
      const { connector } = makeConnector(createUnasCustomConnector);
      const pages = await collect(connector, undefined, { apiKey: 'custom-key', baseUrl: `${BASE}/unas-api/`, limitNum: 2 });
      expect(calls.map((c) => c.path)).toEqual(['login', 'getOrder']);
      expect(pages[0]?.source).toMatch(/^https:\/\/erp\.example\.hu\/unas-api\/getOrder\?/);
      expect(pages[0]?.state?.modifiedAfter).toBe(NOW.toISOString());
    });

    it('sends the key as the Bearer token without login in bearer mode', async () => {
      const { calls, record } = recorder();
      nock(BASE).post('/api/getOrder').reply(function (uri, body) { record('getOrder').call(this as never, uri, body); return [200, ordersXml([]), XML]; });
      const { connector } = makeConnector(createUnasCustomConnector);
      await collect(connector, undefined, { apiKey: 'static-token', baseUrl: `${BASE}/api`, authMode: 'bearer' });
      expect(calls.map((c) => [c.path, c.auth])).toEqual([['getOrder', 'Bearer static-token']]);
    });

    it('keeps tokens apart per base URL', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, ordersXml([]), XML);
      nock(BASE).post('/api/login').reply(200, text('login.xml').replace(TOKEN, 'other-token'), XML).post('/api/getOrder').matchHeader('authorization', 'Bearer other-token').reply(200, ordersXml([]), XML);
      await collect(makeConnector().connector, undefined, { apiKey: 'same-key' });
      const pages = await collect(makeConnector(createUnasCustomConnector).connector, undefined, { apiKey: 'same-key', baseUrl: `${BASE}/api` });
      expect(pages).toHaveLength(1);
    });
  });

  describe('check', () => {
    it('reports ok after a login and a getOrder with LimitNum=1', async () => {
      let body = '';
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(200, (_u, b) => { body = String(b); return ordersXml([1]); });
      const report = await unasConnector.check(config);
      expect(report.ok).toBe(true);
      expect(report.message).toBe('Connected to UNAS (https://api.unas.eu/shop): logged in and getOrder works (orders visible; charset utf-8).');
      expect(body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Params><LimitNum>1</LimitNum></Params>');
    });

    it('reports a refused key without throwing and without the key', async () => {
      nock(API).post('/shop/login').reply(400, text('error-bad-api-key.xml'), XML);
      const report = await unasConnector.check(config);
      expect(report.ok).toBe(false);
      expect(report.message).toMatch(/refused the API key.*Invalid API Key/);
      expect(report.message).not.toContain('unas-key-1234');
    });

    it('reports a missing getOrder permission, a ban, an unreachable host and a bad config', async () => {
      nock(API).post('/shop/login').reply(200, text('login.xml'), XML).post('/shop/getOrder').reply(400, '<Error>No permission for getOrder</Error>', XML);
      expect((await unasConnector.check(config)).message).toMatch(/refused the request: .*No permission for getOrder/);
      resetUnasAuthCache();
      nock(API).post('/shop/login').reply(400, text('error-ban.xml'), XML);
      expect((await unasConnector.check(config)).message).toMatch(/has banned this IP until 2022-02-28T09:00:00.000Z/);
      nock('https://down.example.hu').post('/api/login').replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      const down = await unasCustomConnector.check({ apiKey: 'k', baseUrl: 'https://down.example.hu/api' });
      expect(down.ok).toBe(false);
      expect(down.message).toMatch(/^Could not reach the custom Unas-compatible API at https:\/\/down\.example\.hu\/api: .*ECONNREFUSED/);
      expect((await unasCustomConnector.check({ apiKey: 'k', baseUrl: 'not a url' } as never)).message).toMatch(/not an http\(s\) URL/);
      expect((await unasConnector.check({ apiKey: '' })).ok).toBe(false);
    });
  });
});
