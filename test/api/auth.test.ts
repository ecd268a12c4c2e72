import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { makeUser, type TestUser } from '../helpers/auth.ts';
import { DATABASE_KINDS, type TestDatabase } from '../helpers/databases.ts';
import { FakeActions, fakeCatalog } from './fakes.ts';

/**
 * Signing in and out, sessions, CSRF, throttling, API tokens, HTTP Basic, passwords and the audit
 * log, through the API on both databases. Time is the test's own clock: nothing waits.
 */
describe.each(DATABASE_KINDS)('authentication on %s', (_kind, createDatabase) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let now: Date;
  let admin: TestUser;
  const logLines: string[] = [];
  const PASSWORD = 'correct horse battery staple';

  const cookieOf = (response: LightMyRequestResponse): string => {
    const header = [response.headers['set-cookie']].flat().find((c) => String(c).startsWith('hub_session='));
    return String(header).split(';')[0]!;
  };
  const signIn = (login: string, password: string, extra: Partial<InjectOptions> = {}) =>
    app.inject({ method: 'POST', url: '/v1/auth/login', payload: { login, password }, ...extra });
  const minutes = (n: number) => {
    now = new Date(now.getTime() + n * 60_000);
  };

  beforeAll(async () => {
    t = await createDatabase();
    now = new Date();
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    app = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db), logger: { level: 'info', stream }, security: { clock: () => now } });
    admin = await makeUser(t.db, { login: 'root', roles: ['admin'] });
    await makeUser(t.db, { login: 'olga', roles: ['ops'], password: PASSWORD });
  });

  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  describe('when nobody signs in', () => {
    it('answers 401 with a Bearer challenge on /v1 routes, and serves /health and the docs', async () => {
      const orders = await app.inject({ method: 'GET', url: '/v1/orders' });
      expect(orders.statusCode).toBe(401);
      expect(orders.json().error.code).toBe('unauthorized');
      expect(orders.headers['www-authenticate']).toBe('Bearer realm="orderhub"');
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    });

    it('answers 401 to an unknown token, a made-up cookie and an unknown scheme', async () => {
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: 'Bearer ohk_nope' } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: { cookie: 'hub_session=forged' } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: 'Digest x' } })).statusCode).toBe(401);
    });
  });

  describe('when signing in', () => {
    it('sets an HttpOnly SameSite session cookie and answers who I am with a CSRF token', async () => {
      const response = await signIn('OLGA', PASSWORD);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ login: 'olga', roles: ['ops'], dealer: null, via: 'session', csrfToken: expect.any(String) });
      expect(response.json().permissions).toContain('payloads.reprocess');
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toMatch(/^hub_session=[\w-]{40,};/);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Lax');
      expect(setCookie).not.toContain('Secure');
      const me = await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(response) } });
      expect(me.json()).toMatchObject({ login: 'olga', csrfToken: response.json().csrfToken });
      // The row holds the secret's hash, not the secret.
      const secret = cookieOf(response).split('=')[1]!;
      const rows = await t.db.query<{ id: string }>(`SELECT id FROM auth_session WHERE user_id = (SELECT id FROM hub_user WHERE login = 'olga')`);
      expect(rows.map((r) => r.id)).toContain(createHash('sha256').update(secret).digest('hex'));
      expect(rows.map((r) => r.id)).not.toContain(secret);
    });

    it('marks the cookie Secure on HTTPS', async () => {
      const response = await signIn('olga', PASSWORD, { headers: { 'x-forwarded-proto': 'https' } });
      // Without trustProxy the forwarded protocol is not believed: still plain HTTP.
      expect(String(response.headers['set-cookie'])).not.toContain('Secure');
      const behindProxy = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db), security: { trustProxy: true } });
      try {
        const secure = await behindProxy.inject({ method: 'POST', url: '/v1/auth/login', payload: { login: 'olga', password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } });
        expect(String(secure.headers['set-cookie'])).toContain('Secure');
      } finally {
        await behindProxy.close();
      }
    });

    it('gives the same answer for an unknown login, a wrong password and a user without a password', async () => {
      await makeUser(t.db, { login: 'tokens-only', roles: ['ops'] });
      const answers = await Promise.all([signIn('nobody-here', PASSWORD), signIn('olga', 'wrong password'), signIn('tokens-only', PASSWORD)]);
      for (const answer of answers) {
        expect(answer.statusCode).toBe(401);
        expect(answer.json()).toEqual({ error: { code: 'unauthorized', message: 'Login or password is wrong.' } });
      }
    });

    it('starts a new session every time and ends the one the browser held before (no fixation)', async () => {
      const first = cookieOf(await signIn('olga', PASSWORD));
      const second = await signIn('olga', PASSWORD, { headers: { cookie: first } });
      expect(cookieOf(second)).not.toBe(first);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: first } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(second) } })).statusCode).toBe(200);
    });

    it('refuses a sign-in from another site', async () => {
      const response = await signIn('olga', PASSWORD, { headers: { origin: 'https://evil.example' } });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.details).toEqual({ reason: 'cross_origin' });
    });
  });

  describe('when a session changes something', () => {
    it('needs the CSRF token, and refuses another origin even with it', async () => {
      const signed = await signIn('olga', PASSWORD);
      const cookie = cookieOf(signed);
      const csrf = signed.json().csrfToken as string;
      const sync = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/v1/distribution/advance', headers: { cookie, ...headers } });
      const without = await sync({});
      expect(without.statusCode).toBe(403);
      expect(without.json().error.details).toEqual({ reason: 'csrf' });
      expect((await sync({ 'x-csrf-token': 'guess' })).json().error.details).toEqual({ reason: 'csrf' });
      expect((await sync({ 'x-csrf-token': csrf, origin: 'https://evil.example' })).json().error.details).toEqual({ reason: 'cross_origin' });
      expect((await sync({ 'x-csrf-token': csrf })).statusCode).toBe(200);
      expect((await sync({ 'x-csrf-token': csrf, origin: 'http://localhost:80' })).statusCode).toBe(200);
      // Reads need no token.
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: { cookie } })).statusCode).toBe(200);
    });
  });

  describe('when signing out', () => {
    it('ends this session and clears the cookie; everywhere ends every session', async () => {
      const a = await signIn('olga', PASSWORD);
      const b = await signIn('olga', PASSWORD);
      const out = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: cookieOf(a), 'x-csrf-token': a.json().csrfToken } });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/hub_session=;.*Expires=Thu, 01 Jan 1970/);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(a) } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(b) } })).statusCode).toBe(200);
      const c = await signIn('olga', PASSWORD);
      await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: cookieOf(c), 'x-csrf-token': c.json().csrfToken }, payload: { everywhere: true } });
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(b) } })).statusCode).toBe(401);
    });

    it('ends an idle session, and any session at its absolute end', async () => {
      const cookie = cookieOf(await signIn('olga', PASSWORD));
      minutes(11 * 60);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie } })).statusCode).toBe(200);
      minutes(11 * 60);
      // Used 11 hours ago: still within the 12 idle hours.
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie } })).statusCode).toBe(200);
      minutes(12 * 60 + 1);
      const idle = await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie } });
      expect(idle.statusCode).toBe(401);
      expect(idle.json().error.message).toMatch(/session has ended/);

      const busy = cookieOf(await signIn('olga', PASSWORD));
      for (let hour = 0; hour < 7 * 24; hour += 10) {
        minutes(10 * 60);
        const me = await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: busy } });
        if (hour + 10 < 7 * 24) expect(me.statusCode).toBe(200);
        else expect(me.statusCode).toBe(401);
      }
    });
  });

  describe('when sign-ins keep failing', () => {
    it('locks the login from that address after 5 failures (429 with Retry-After, even with the right password), then lets it in after the lock', async () => {
      await makeUser(t.db, { login: 'tamas', roles: ['desk'], password: PASSWORD });
      const from = { remoteAddress: '10.0.0.7' };
      for (let i = 0; i < 4; i++) expect((await signIn('tamas', `wrong ${i}`, from)).statusCode).toBe(401);
      const fifth = await signIn('Tamas', 'wrong 5', from);
      expect(fifth.statusCode).toBe(429);
      expect(fifth.headers['retry-after']).toBe('900');
      const right = await signIn('tamas', PASSWORD, from);
      expect(right.statusCode).toBe(429);
      expect(right.json().error.code).toBe('rate_limited');
      // A stranger's wrong guesses do not lock the user out where it really is; nor is another login of that address locked.
      expect((await signIn('tamas', PASSWORD, { remoteAddress: '10.0.0.8' })).statusCode).toBe(200);
      expect((await signIn('olga', PASSWORD, from)).statusCode).toBe(200);
      minutes(16);
      expect((await signIn('tamas', PASSWORD, from)).statusCode).toBe(200);
    });

    it('checks at most 5 passwords of a burst of concurrent sign-ins, whatever their number', async () => {
      await makeUser(t.db, { login: 'burst', roles: ['desk'], password: PASSWORD });
      const from = { remoteAddress: '10.0.0.9' };
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn('burst', `wrong guess ${i}`, from)));
      const statuses = answers.map((a) => a.statusCode).sort();
      // Four wrong answers; the fifth check locks (429), and the other 35 are refused unchecked.
      expect(statuses.filter((s) => s === 401)).toHaveLength(4);
      expect(statuses.filter((s) => s === 429)).toHaveLength(36);
      expect((await signIn('burst', PASSWORD, from)).statusCode).toBe(429);
      const [row] = await t.db.query<{ failures: number }>(`SELECT failures FROM login_throttle WHERE key = 'login:burst@10.0.0.9'`);
      expect(row!.failures).toBe(6);
      minutes(16);
    });

    it('locks a login guessed at from many addresses, for everyone', async () => {
      await makeUser(t.db, { login: 'target', roles: ['desk'], password: PASSWORD });
      for (let i = 0; i < 49; i++) expect((await signIn('target', 'wrong password', { remoteAddress: `10.9.0.${i}` })).statusCode).toBe(401);
      expect((await signIn('target', 'wrong password', { remoteAddress: '10.9.1.1' })).statusCode).toBe(429);
      expect((await signIn('target', PASSWORD, { remoteAddress: '10.9.1.2' })).statusCode).toBe(429);
      minutes(16);
      expect((await signIn('target', PASSWORD, { remoteAddress: '10.9.1.2' })).statusCode).toBe(200);
    });

    it('locks an address that tries many logins, and counts logins that do not exist', async () => {
      const from = { remoteAddress: '10.0.0.66' };
      for (let i = 0; i < 29; i++) expect((await signIn(`spray-${i}`, 'password1234', from)).statusCode).toBe(401);
      expect((await signIn('spray-29', 'password1234', from)).statusCode).toBe(429);
      expect((await signIn('olga', PASSWORD, from)).statusCode).toBe(429);
      expect((await signIn('olga', PASSWORD, { remoteAddress: '10.0.0.67' })).statusCode).toBe(200);
      minutes(16);
    });
  });

  describe('when API tokens are used', () => {
    it('shows the token once, stores its hash, lists it without the secret, and records its last use', async () => {
      const signed = await signIn('olga', PASSWORD);
      const session = { cookie: cookieOf(signed), 'x-csrf-token': signed.json().csrfToken as string };
      const made = await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: session, payload: { name: 'nightly export' } });
      expect(made.statusCode).toBe(201);
      const { token, details } = made.json();
      expect(token).toMatch(/^ohk_[\w-]{43}$/);
      expect(details).toMatchObject({ name: 'nightly export', prefix: token.slice(0, 10), revokedAt: null, lastUsedAt: null, createdBy: 'olga' });
      expect(new Date(details.expiresAt).getTime() - now.getTime()).toBe(90 * 86_400_000);
      const [stored] = await t.db.query<{ token_hash: string }>(`SELECT token_hash FROM api_token WHERE id = $1`, [details.id]);
      expect(stored!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));

      const use = await app.inject({ method: 'GET', url: '/v1/orders', headers: { authorization: `Bearer ${token}`, 'x-hub-user': 'mallory' }, remoteAddress: '10.1.2.3' });
      expect(use.statusCode).toBe(200);
      const listed = await app.inject({ method: 'GET', url: '/v1/auth/tokens', headers: session });
      expect(listed.body).not.toContain(token);
      expect(listed.json().items.find((i: { id: string }) => i.id === details.id)).toMatchObject({ lastUsedIp: '10.1.2.3', lastUsedAt: now.toISOString() });
    });

    it('stops working when revoked, when expired, and when its user is disabled; it cannot make tokens', async () => {
      const user = await makeUser(t.db, { login: 'script-owner', roles: ['ops'], password: PASSWORD });
      const signed = await signIn('script-owner', PASSWORD);
      const session = { cookie: cookieOf(signed), 'x-csrf-token': signed.json().csrfToken as string };
      const make = async (payload: object) => (await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: session, payload })).json();
      const revoked = await make({ name: 'to revoke' });
      const expiring = await make({ name: 'short', expiresAt: new Date(now.getTime() + 60_000).toISOString() });
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(revoked.token) })).statusCode).toBe(200);
      const revoke = await app.inject({ method: 'DELETE', url: `/v1/auth/tokens/${revoked.details.id}`, headers: session });
      expect(revoke.json().revokedAt).toBe(now.toISOString());
      const afterRevoke = await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(revoked.token) });
      expect(afterRevoke.statusCode).toBe(401);
      expect(afterRevoke.json().error.message).toMatch(/unknown, expired or revoked/);

      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(expiring.token) })).statusCode).toBe(200);
      minutes(2);
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: bearer(expiring.token) })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: session, payload: { name: 'past', expiresAt: '2020-01-01T00:00:00Z' } })).statusCode).toBe(400);
      // One's own tokens end within a year; a token that never ends is an admin's to give.
      for (const expiresAt of [null, new Date(now.getTime() + 400 * 86_400_000).toISOString()]) {
        expect((await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: session, payload: { name: 'forever', expiresAt } })).json().error).toMatchObject({ field: 'expiresAt' });
      }

      const minted = await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: user.headers, payload: { name: 'successor' } });
      expect(minted.statusCode).toBe(403);
      expect(minted.json().error.details).toEqual({ reason: 'session_only' });
      // Nor can a token replace (or guess) its user's password.
      const replaced = await app.inject({ method: 'POST', url: '/v1/auth/password', headers: user.headers, payload: { currentPassword: PASSWORD, newPassword: 'chosen by the thief' } });
      expect(replaced.json().error.details).toEqual({ reason: 'session_only' });
      // Another user's token cannot be revoked through one's own list.
      expect((await app.inject({ method: 'DELETE', url: `/v1/auth/tokens/${expiring.details.id}`, headers: admin.headers })).statusCode).toBe(404);

      const disable = await app.inject({ method: 'PATCH', url: '/v1/users/script-owner', headers: admin.headers, payload: { disabled: true } });
      expect(disable.json()).toMatchObject({ disabled: true });
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: user.headers })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: session.cookie } })).statusCode).toBe(401);
      const disabledSignIn = await signIn('script-owner', PASSWORD);
      expect(disabledSignIn.json().error.message).toMatch(/disabled/);
      expect((await signIn('script-owner', 'not the password')).json().error.message).toBe('Login or password is wrong.');
      await app.inject({ method: 'PATCH', url: '/v1/users/script-owner', headers: admin.headers, payload: { disabled: false } });
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: user.headers })).statusCode).toBe(200);
    });

    it('lets an admin make, list and revoke tokens of another user', async () => {
      const made = await app.inject({ method: 'POST', url: '/v1/users/olga/tokens', headers: admin.headers, payload: { name: 'for olga', expiresAt: null } });
      expect(made.statusCode).toBe(201);
      expect(made.json().details).toMatchObject({ expiresAt: null, createdBy: 'root' });
      const me = await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${made.json().token}` } });
      expect(me.json()).toMatchObject({ login: 'olga', via: 'token', csrfToken: null });
      const revoked = await app.inject({ method: 'DELETE', url: `/v1/users/olga/tokens/${made.json().details.id}`, headers: admin.headers });
      expect(revoked.json().revokedAt).not.toBeNull();
    });
  });

  describe('when a machine uses HTTP Basic', () => {
    it('lets integration users in, and no one else', async () => {
      await makeUser(t.db, { login: 'onec', roles: ['integration'], password: PASSWORD });
      const basic = (login: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` });
      const ok = await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('onec', PASSWORD) });
      expect(ok.statusCode).toBe(200);
      // Remembered: the second request does not hash again, and still checks the user.
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('onec', PASSWORD) })).statusCode).toBe(200);
      // Basic credentials make no tokens: a machine's password must not mint what outlives it.
      const minted = await app.inject({ method: 'POST', url: '/v1/auth/tokens', headers: basic('onec', PASSWORD), payload: { name: 'forever', expiresAt: null } });
      expect(minted.json().error.details).toEqual({ reason: 'session_only' });
      const wrong = await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('onec', 'nope-nope-nope') });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Basic realm="orderhub", charset="UTF-8"');
      const staff = await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('olga', PASSWORD) });
      expect(staff.statusCode).toBe(401);
      expect(staff.json().error.message).toMatch(/for integration users/);
      // A new password takes effect at once, remembered or not.
      await app.inject({ method: 'PUT', url: '/v1/users/onec/password', headers: admin.headers, payload: { password: 'a brand new password' } });
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('onec', PASSWORD) })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: basic('onec', 'a brand new password') })).statusCode).toBe(200);
    });
  });

  describe('when passwords change', () => {
    it('needs the current password, keeps this session and ends the others', async () => {
      await makeUser(t.db, { login: 'petra', roles: ['accountant'], password: PASSWORD });
      const here = await signIn('petra', PASSWORD);
      const elsewhere = cookieOf(await signIn('petra', PASSWORD));
      const session = { cookie: cookieOf(here), 'x-csrf-token': here.json().csrfToken as string };
      const change = (payload: object) => app.inject({ method: 'POST', url: '/v1/auth/password', headers: session, payload });
      expect((await change({ currentPassword: 'not it at all', newPassword: 'another long password' })).json().error.field).toBe('currentPassword');
      expect((await change({ currentPassword: PASSWORD, newPassword: 'short' })).json().error).toMatchObject({ code: 'invalid_data', field: 'password' });
      expect((await change({ currentPassword: PASSWORD, newPassword: 'petra' })).statusCode).toBe(400);
      expect((await change({ currentPassword: PASSWORD, newPassword: 'another long password' })).statusCode).toBe(204);
      // Wrong current passwords count like failed sign-ins: the fifth locks, and then even the right one waits.
      for (let i = 0; i < 4; i++) expect((await change({ currentPassword: `guess ${i}`, newPassword: 'whatever long enough' })).statusCode).toBe(400);
      expect((await change({ currentPassword: 'guess 4', newPassword: 'whatever long enough' })).statusCode).toBe(429);
      expect((await change({ currentPassword: 'another long password', newPassword: 'whatever long enough' })).statusCode).toBe(429);
      minutes(16);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: elsewhere } })).statusCode).toBe(401);
      expect((await signIn('petra', 'another long password')).statusCode).toBe(200);
    });
  });

  describe('when users are managed', () => {
    it('keeps at least one enabled admin', async () => {
      const admins = (await app.inject({ method: 'GET', url: '/v1/users?role=admin', headers: admin.headers })).json().items;
      expect(admins.map((u: { login: string }) => u.login)).toEqual(['root']);
      const lastOne = await app.inject({ method: 'PATCH', url: '/v1/users/root', headers: admin.headers, payload: { disabled: true } });
      expect(lastOne.statusCode).toBe(409);
      expect((await app.inject({ method: 'PATCH', url: '/v1/users/root', headers: admin.headers, payload: { roles: ['ops'] } })).statusCode).toBe(409);
      expect((await app.inject({ method: 'GET', url: '/v1/orders', headers: admin.headers })).statusCode).toBe(200);
    });

    it('refuses duplicate logins whatever their case, and dealer roles without a dealer', async () => {
      const dup = await app.inject({ method: 'POST', url: '/v1/users', headers: admin.headers, payload: { login: 'Olga', roles: ['ops'] } });
      expect(dup.statusCode).toBe(409);
      const noDealer = await app.inject({ method: 'POST', url: '/v1/users', headers: admin.headers, payload: { login: 'x.head', roles: ['dealer_head'] } });
      expect(noDealer.json().error).toMatchObject({ code: 'invalid_data', field: 'dealer' });
      const mixed = await app.inject({ method: 'POST', url: '/v1/users', headers: admin.headers, payload: { login: 'x.mixed', roles: ['ops', 'dealer_manager'], dealer: 'D' } });
      expect(mixed.json().error).toMatchObject({ code: 'invalid_data', field: 'roles' });
      const weak = await app.inject({ method: 'POST', url: '/v1/users', headers: admin.headers, payload: { login: 'weak', roles: ['ops'], password: 'short' } });
      expect(weak.json().error).toMatchObject({ code: 'invalid_data', field: 'password' });
    });
  });

  describe('the audit log', () => {
    it('records who changed what, from where, with the state before and after, never a secret', async () => {
      await signIn('olga', 'not her password', { remoteAddress: '192.0.2.99' });
      await signIn('nobody-here', 'whatever it is', { remoteAddress: '192.0.2.99' });
      const created = await app.inject({
        method: 'POST',
        url: '/v1/channels',
        headers: { ...admin.headers, 'x-hub-user': 'mallory' },
        remoteAddress: '192.0.2.10',
        payload: { name: 'Audited shop', connectorType: 'testshop', config: { url: 'https://shop.example', apiKey: 'ck', apiSecret: 'cs_secret_value' } },
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      await app.inject({ method: 'PATCH', url: `/v1/channels/${id}`, headers: admin.headers, payload: { enabled: false } });
      const audit = await app.inject({ method: 'GET', url: `/v1/audit?targetType=channel&targetId=${id}`, headers: admin.headers });
      const events = audit.json().items;
      expect(events.map((e: { action: string }) => e.action)).toEqual(['channel.update', 'channel.create']);
      expect(events[1]).toMatchObject({ kind: 'change', actor: 'root', via: 'token', ip: '192.0.2.10', before: null, after: { name: 'Audited shop' } });
      expect(events[0]).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
      expect(audit.body).not.toContain('cs_secret_value');
      const requests = (await app.inject({ method: 'GET', url: '/v1/audit?kind=request&action=POST%20/v1/channels', headers: admin.headers })).json().items;
      expect(requests[0]).toMatchObject({ actor: 'root', status: 201, ip: '192.0.2.10' });

      const security = (await app.inject({ method: 'GET', url: '/v1/audit?kind=security&action=sign-in*&limit=500', headers: admin.headers })).json().items;
      const failed = security.filter((e: { action: string }) => e.action === 'sign-in.failed');
      expect(failed.some((e: { details: { login?: string } }) => e.details.login === 'olga')).toBe(true);
      // A login that does not exist is not kept: it may be a password typed into the wrong field.
      expect(failed.some((e: { details: { login: string | null; knownLogin: boolean } }) => e.details.login === null && !e.details.knownLogin)).toBe(true);
      expect(JSON.stringify(failed)).not.toContain('nobody-here');
      const users = (await app.inject({ method: 'GET', url: '/v1/audit?action=user.*', headers: admin.headers })).json().items;
      expect(users.some((e: { action: string; actor: string }) => e.action === 'user.create' && e.actor.startsWith('cli:'))).toBe(true);
      expect(JSON.stringify(users)).not.toMatch(/scrypt\$/);
      const forbidden = await app.inject({ method: 'GET', url: '/v1/audit', headers: { authorization: `Bearer ${(await makeUser(t.db, { roles: ['ops'] })).token}` } });
      expect(forbidden.statusCode).toBe(403);
    });
  });

  it('never writes passwords, session secrets or tokens into the log', async () => {
    const signed = await signIn('olga', PASSWORD);
    await app.inject({ method: 'GET', url: '/v1/auth/me', headers: { cookie: cookieOf(signed) } });
    await app.inject({ method: 'GET', url: '/v1/orders?token=also-not-logged', headers: admin.headers });
    await signIn('olga', 'a wrong password here', { remoteAddress: '192.0.2.98' });
    const log = logLines.join('');
    expect(log).toContain('/v1/auth/login');
    expect(log).not.toContain('also-not-logged');
    expect(log).not.toContain('a wrong password here');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(admin.token);
    expect(log).not.toMatch(/hub_session=[\w-]{20}/);
  });
});

describe('security headers and cross-origin calls', () => {
  let t: TestDatabase;
  let closed: FastifyInstance;
  let open: FastifyInstance;

  beforeAll(async () => {
    t = await DATABASE_KINDS[1][1]();
    closed = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db) });
    open = await buildApp({ db: t.db, catalog: fakeCatalog, actions: new FakeActions(t.db), security: { corsOrigins: ['https://portal.example'] } });
  });

  afterAll(async () => {
    await closed?.close();
    await open?.close();
    await t?.drop();
  });

  it('sends helmet headers on every answer', async () => {
    const response = await closed.inject({ method: 'GET', url: '/v1/orders' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('allows no cross-origin browser call by default, and only the listed origins when configured', async () => {
    const preflight = (app: FastifyInstance, origin: string) =>
      app.inject({ method: 'OPTIONS', url: '/v1/orders', headers: { origin, 'access-control-request-method': 'GET' } });
    expect((await preflight(closed, 'https://portal.example')).headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight(open, 'https://portal.example')).headers['access-control-allow-origin']).toBe('https://portal.example');
    expect((await preflight(open, 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
