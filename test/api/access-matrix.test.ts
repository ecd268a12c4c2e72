import { ONEC_EXCHANGE_PATHS } from '../../api/routes/onec-exchange.ts';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { inventoryTable, type DeclaredRoute } from '../../api/auth/route-inventory.ts';
import type { Role } from '../../core/identity/access-rules.ts';
import { ingestOrders } from '../../core/orders/intake.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { orderDraft } from '../helpers/orders.ts';
import { FakeActions, fakeCatalog } from './fakes.ts';

/**
 * The BOLA matrix: every route the app registers × every role × (the caller's own dealer, another
 * dealer, no credentials), against the expectations written in docs/security.md, on both databases.
 *
 * Pass 1 asks who gets past authorisation: a probe hook answers 299 right after the auth hook, so
 * no handler runs and nothing changes, whatever the route. Pass 2 reads every GET route for real
 * and looks for personal data planted as canaries where the caller may not see it.
 */

const DOCS = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');

/** docs/security.md's inventory: `METHOD path` → who may call. */
function documentedCallers(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of DOCS.split('\n')) {
    const match = /^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| [^|]* \| ([^|]+) \|$/.exec(line);
    if (match) rows.set(`${match[1]} ${match[2]}`, match[3]!.trim());
  }
  return rows;
}

type Outcome = 'allow' | 401 | 403 | 404;
type Variant = 'own' | 'other';

interface Caller {
  name: string;
  role: Role | null;
  dealer: boolean;
  headers: Record<string, string>;
  /** The session's CSRF token, for the session callers' changes. */
  csrf?: string;
}

function expected(callers: string, caller: Caller, route: DeclaredRoute, variant: Variant): Outcome {
  if (callers === 'anyone' || callers === "the channel's own credential") return 'allow';
  if (!caller.role) return 401;
  if (callers === 'any signed-in user') return 'allow';
  if (caller.dealer && variant === 'other' && route.url.startsWith('/v1/dealers/:code')) return 404;
  const roles = callers === 'nobody' ? [] : callers.split(',').map((r) => r.replace('(own dealer)', '').trim());
  return roles.includes(caller.role) ? 'allow' : 403;
}

// Personal data planted where only some callers may see it.
const CANARY = {
  /** The client of the order dealer B took. */
  otherDealersClient: 'canary-b-client@example.invalid',
  otherDealersClientPhone: '+36 1 111 0001',
  /** The client of an order offered to both dealers and taken by nobody. */
  untakenClient: 'canary-offer-client@example.invalid',
  untakenClientPhone: '+36 1 111 0002',
  /** The client of the order dealer A took. */
  ownClient: 'canary-a-client@example.invalid',
  /** Dealer B's own record. */
  otherDealerRecord: 'canary-dealer-b@example.invalid',
  /** A shipping address that appeared in a later version of B's order: in its history as a whole object. */
  laterVersionContact: 'canary-v2-shipping@example.invalid',
};

describe.each(DATABASE_KINDS)('the access matrix on %s', (_kind, createDatabase) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  const callers: Caller[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createDatabase();
    app = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db) });
    // Pass 1's probe: a request that gets past authentication and authorisation stops here, before any handler.
    app.addHook('preParsing', async (request, reply) => {
      if (request.headers['x-matrix-probe'] === '1') return reply.code(299).send({ reached: true });
    });

    const admin = await makeUser(t.db, { login: 'setup.admin', roles: ['admin'] });
    const call = async (user: TestUser, method: InjectOptions['method'], url: string, payload?: object) => {
      const response = await app.inject({ method, url, headers: user.headers, ...(payload && { payload }) });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      return response.json();
    };
    await call(admin, 'PUT', '/v1/regions', { regions: [{ code: 'HU', name: 'Hungary', level: 'country' }, { code: 'HU-BU', name: 'Budapest', level: 'region', parentCode: 'HU' }] });
    await call(admin, 'PUT', '/v1/stock/products', { items: [{ sku: 'TILE-1', name: 'Floor tile 30x30', productLine: 'Marmi' }] });
    await call(admin, 'POST', '/v1/dealers', { code: 'DA', name: 'Dealer A', mainRegion: 'HU-BU', authorised: true, wholeRange: true });
    await call(admin, 'POST', '/v1/dealers', { code: 'DB', name: 'Dealer B', mainRegion: 'HU-BU', authorised: true, wholeRange: true, contacts: { emails: [CANARY.otherDealerRecord] } });
    await call(admin, 'POST', '/v1/promotions', { code: 'P1', name: 'Spring' });
    await call(admin, 'PUT', '/v1/distribution/config', { config: { settings: {}, tiers: [{ kind: 'taxi', windowMinutes: 60 }] } });
    ids.channel = (await t.db.prisma.channel.create({ data: { name: 'Site', kind: 'webshop', connectorType: 'testshop' } })).id;

    const staffRoles: Role[] = ['admin', 'ops', 'accountant', 'desk', 'distribution', 'monitoring'];
    for (const role of staffRoles) {
      const user = await makeUser(t.db, { login: `m.${role}`, roles: [role] });
      callers.push({ name: role, role, dealer: false, headers: user.headers });
    }
    const head = await makeUser(t.db, { login: 'da.head', roles: ['dealer_head'], dealer: 'DA', password: 'da-head-password' });
    const employee = await makeUser(t.db, { login: 'da.anna', roles: ['dealer_manager'], dealer: 'DA' });
    const otherHead = await makeUser(t.db, { login: 'db.head', roles: ['dealer_head'], dealer: 'DB' });
    callers.push({ name: 'dealer_head', role: 'dealer_head', dealer: true, headers: head.headers });
    callers.push({ name: 'dealer_manager', role: 'dealer_manager', dealer: true, headers: employee.headers });
    // 1C's way in: HTTP Basic.
    await makeUser(t.db, { login: 'onec', roles: ['integration'], password: 'onec-exchange-password' });
    callers.push({ name: 'integration (basic)', role: 'integration', dealer: false, headers: { authorization: `Basic ${Buffer.from('onec:onec-exchange-password').toString('base64')}` } });
    // Browsers' way in: the session cookie (changes carry the CSRF token).
    await makeUser(t.db, { login: 'session.admin', roles: ['admin'], password: 'session-admin-password' });
    for (const [name, login, password, role, dealer] of [
      ['admin (session)', 'session.admin', 'session-admin-password', 'admin', false],
      ['dealer_head (session)', 'da.head', 'da-head-password', 'dealer_head', true],
    ] as const) {
      const signIn = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { login, password } });
      expect(signIn.statusCode).toBe(200);
      const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
      callers.push({ name, role, dealer, headers: { cookie }, csrf: signIn.json().csrfToken });
    }
    callers.push({ name: 'nobody', role: null, dealer: false, headers: {} });

    // Orders of the region, offered to both dealers: A takes one, B takes one, one stays untaken.
    const order = async (externalId: string, email: string, phone: string) => {
      const [result] = await ingestOrders(t.db, { channelId: ids.channel!, drafts: [orderDraft(externalId, { customer: { name: 'Client', email, phone } })] });
      const orderId = result!.orderId!;
      await call(admin, 'POST', `/v1/orders/${orderId}/distribution`, {});
      return orderId;
    };
    ids.ownOrder = await order('W-A', CANARY.ownClient, '+36 1 111 0003');
    ids.otherOrder = await order('W-B', CANARY.otherDealersClient, CANARY.otherDealersClientPhone);
    ids.untakenOrder = await order('W-O', CANARY.untakenClient, CANARY.untakenClientPhone);
    await call(employee, 'POST', `/v1/dealers/DA/orders/${ids.ownOrder}/take`);
    await call(otherHead, 'POST', `/v1/dealers/DB/orders/${ids.otherOrder}/take`);
    const [changed] = await ingestOrders(t.db, {
      channelId: ids.channel!,
      drafts: [orderDraft('W-B', { customer: { name: 'Client', email: CANARY.otherDealersClient, phone: CANARY.otherDealersClientPhone }, shippingAddress: { city: 'Budapest', email: CANARY.laterVersionContact }, sourceUpdatedAt: '2026-11-21T10:00:00.000Z' })],
    });
    expect(changed).toMatchObject({ outcome: 'updated' });
    await call(admin, 'POST', '/v1/distribution/advance');
  });

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  /** A concrete request for a route: the caller's own dealer's things, or another dealer's. */
  function urlFor(url: string, variant: Variant): string {
    const own = variant === 'own';
    return url
      .replace(':code', own ? 'DA' : 'DB')
      .replace(':orderId', own ? ids.ownOrder! : ids.otherOrder!)
      .replace(/^\/v1\/orders\/:id/, `/v1/orders/${own ? ids.ownOrder : ids.otherOrder}`)
      .replace(/^\/v1\/channels\/:id/, `/v1/channels/${ids.channel}`)
      .replace(':login', own ? 'da.anna' : 'db.head')
      .replace(':promotionCode', 'P1')
      .replace(':version', '1')
      .replace(':id', '00000000-0000-4000-8000-00000000dead')
      .replace('*', 'index.css');
  }

  function variantsOf(route: DeclaredRoute): Variant[] {
    return /:(code|orderId|login)|^\/v1\/orders\/:id/.test(route.url) ? ['own', 'other'] : ['own'];
  }

  function request(caller: Caller, method: string, url: string, probe: boolean): InjectOptions {
    const headers: Record<string, string> = { ...caller.headers, ...(probe && { 'x-matrix-probe': '1' }) };
    if (caller.csrf && method !== 'GET') headers['x-csrf-token'] = caller.csrf;
    const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    return { method: method as InjectOptions['method'], url, headers, ...(withBody && { payload: {} }) };
  }

  it('documents every route the app serves, exactly as the routes declare it', () => {
    const documented = documentedCallers();
    const served = app.routeAccess.map((r) => `${r.method} ${r.url}`).sort();
    expect([...documented.keys()].sort()).toEqual(served);
    expect(DOCS).toContain(inventoryTable(app.routeAccess));
  });

  it('refuses to build a route that declares no access', async () => {
    const fresh = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db) });
    try {
      expect(() => fresh.get('/v1/forgotten', async () => ({ secret: true }))).toThrow(/GET \/v1\/forgotten declares no access/);
      // As routes are really added: in a plugin of their own.
      await expect(fresh.register(async (plugin) => void plugin.post('/v1/forgotten-too', async () => ({})))).rejects.toThrow(/declares no access/);
    } finally {
      await fresh.close().catch(() => undefined);
    }
  });

  it('answers every route × caller × own/other dealer as docs/security.md says, and no more', async () => {
    const documented = documentedCallers();
    const mismatches: string[] = [];
    const unknownDealer = await app.inject({ method: 'GET', url: '/v1/dealers/NO-SUCH', headers: callers[0]!.headers });
    expect(unknownDealer.json()).toEqual({ error: { code: 'not_found', message: 'Dealer NO-SUCH does not exist.' } });
    let asked = 0;
    for (const route of app.routeAccess) {
      const callersOfRoute = documented.get(`${route.method} ${route.url}`)!;
      for (const caller of callers) {
        for (const variant of variantsOf(route)) {
          const url = urlFor(route.url, variant);
          const response = await app.inject(request(caller, route.method, url, true));
          asked += 1;
          const want = expected(callersOfRoute, caller, route, variant);
          const got: Outcome | number = response.statusCode === 299 ? 'allow' : response.statusCode;
          if (got !== want) {
            mismatches.push(`${caller.name} ${route.method} ${url} (${variant}): expected ${want}, got ${got} ${response.body.slice(0, 160)}`);
            continue;
          }
          // 1C's exchange speaks its own protocol: refusals are `failure\n<reason>` lines there, not JSON.
          if (got !== 'allow' && ONEC_EXCHANGE_PATHS.includes(route.url as (typeof ONEC_EXCHANGE_PATHS)[number])) {
            if (!response.body.startsWith('failure\n')) mismatches.push(`${caller.name} ${route.method} ${url}: ${got} with ${response.body.slice(0, 160)}`);
            continue;
          }
          const body = got === 'allow' ? undefined : response.json();
          if (got === 401 && body.error.code !== 'unauthorized') mismatches.push(`${caller.name} ${route.method} ${url}: 401 with ${response.body}`);
          if (got === 403 && body.error.code !== 'not_allowed') mismatches.push(`${caller.name} ${route.method} ${url}: 403 with ${response.body}`);
          // Another dealer reads exactly as a dealer that does not exist.
          if (got === 404 && JSON.stringify(body) !== JSON.stringify({ error: { code: 'not_found', message: 'Dealer DB does not exist.' } })) {
            mismatches.push(`${caller.name} ${route.method} ${url}: 404 with ${response.body}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    // Printed for the closing note: how many answers the matrix checked on this database.
    console.log(`access matrix on ${_kind}: ${app.routeAccess.length} routes × ${callers.length} callers → ${asked} answers checked`);
    expect(asked).toBeGreaterThan(app.routeAccess.length * callers.length);
  });

  it("never shows a caller personal data it may not see, on any GET route", async () => {
    const staffWithContacts = new Set<string>(['admin', 'ops', 'desk', 'distribution', 'admin (session)']);
    const staffWithDealers = new Set<string>([...staffWithContacts, 'accountant', 'integration (basic)']);
    const mayNotSee = (caller: Caller): string[] => {
      const hidden: string[] = [];
      if (!staffWithContacts.has(caller.name)) hidden.push(CANARY.otherDealersClient, CANARY.otherDealersClientPhone, CANARY.untakenClient, CANARY.untakenClientPhone, CANARY.laterVersionContact);
      if (!staffWithDealers.has(caller.name)) hidden.push(CANARY.otherDealerRecord);
      if (!staffWithContacts.has(caller.name) && !caller.dealer) hidden.push(CANARY.ownClient);
      return hidden;
    };
    const extraReads = [`/v1/orders/${ids.otherOrder}?includeSnapshots=true`, '/v1/dealers/DA/orders?view=mine', '/v1/dealers/DA/orders?view=completed', '/v1/dealers/DB/orders?view=mine', '/v1/orders?q=canary'];
    // A live event stream never ends, so inject cannot read it; it carries order ids, reasons and notification
    // texts only, and test/api/dealer-cabinet.test.ts reads it over a real connection.
    const STREAMS = ['/v1/dealers/:code/events'];
    const gets = app.routeAccess.filter((r) => r.method === 'GET' && !r.url.startsWith('/docs') && !STREAMS.includes(r.url));
    const leaks: string[] = [];
    const seen = new Set<string>();
    for (const caller of callers) {
      const urls = [...gets.flatMap((route) => variantsOf(route).map((variant) => urlFor(route.url, variant))), ...extraReads];
      for (const url of urls) {
        const response = await app.inject(request(caller, 'GET', url, false));
        for (const canary of Object.values(CANARY)) if (response.body.includes(canary)) seen.add(`${caller.name} ${canary}`);
        for (const canary of mayNotSee(caller)) if (response.body.includes(canary)) leaks.push(`${caller.name} GET ${url} shows ${canary}`);
      }
    }
    expect(leaks).toEqual([]);
    // The canaries are where they should be: the checks above could have found them.
    expect(seen).toContain(`admin ${CANARY.otherDealersClient}`);
    expect(seen).toContain(`admin ${CANARY.untakenClientPhone}`);
    expect(seen).toContain(`admin ${CANARY.laterVersionContact}`);
    expect(seen).toContain(`accountant ${CANARY.otherDealerRecord}`);
    expect(seen).toContain(`dealer_manager ${CANARY.ownClient}`);
    expect(seen).toContain(`dealer_head ${CANARY.ownClient}`);
  });
});
