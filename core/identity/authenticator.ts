import { createHash } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import { ApiTokens } from './api-tokens.ts';
import { LoginThrottle, DEFAULT_THROTTLE_POLICY, type ThrottlePolicy } from './login-throttle.ts';
import { hashPassword, verifyNothing, verifyPassword } from './passwords.ts';
import { actorOfPrincipal, PRINCIPAL_COLUMNS, PRINCIPAL_JOINS, principalFromRow, type Principal, type PrincipalRow } from './principal.ts';
import { DEFAULT_SESSION_POLICY, SessionStore, csrfTokenOf, type SessionPolicy } from './sessions.ts';
import { UserService } from './user-service.ts';

/**
 * Proving who is asking: a password at sign-in (then the session cookie), an API token, or HTTP
 * Basic for integration users. One answer for every failed sign-in, whatever the cause (unknown
 * login, wrong password, no password), so the API never tells which logins exist; only someone
 * who gave the right password hears that the account is disabled.
 */

export interface AuthPolicy {
  session: SessionPolicy;
  throttle: ThrottlePolicy;
}

export const DEFAULT_AUTH_POLICY: AuthPolicy = { session: DEFAULT_SESSION_POLICY, throttle: DEFAULT_THROTTLE_POLICY };

export const WRONG_CREDENTIALS = 'Login or password is wrong.';

export interface Client {
  ip: string | null;
  userAgent: string | null;
}

export interface SignedIn {
  principal: Principal;
  /** The cookie's value. */
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Basic credentials verified recently, so a machine's every request does not cost a scrypt run. */
const BASIC_CACHE_MS = 5 * 60_000;
const BASIC_CACHE_SIZE = 1000;

export class Authenticator {
  readonly sessions: SessionStore;
  readonly tokens: ApiTokens;
  readonly throttle: LoginThrottle;
  readonly users: UserService;
  private readonly basicCache = new Map<string, { hash: string; until: number }>();

  constructor(
    private readonly db: Database,
    policy: AuthPolicy = DEFAULT_AUTH_POLICY,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.sessions = new SessionStore(db, policy.session, clock);
    this.tokens = new ApiTokens(db, clock);
    this.throttle = new LoginThrottle(db, policy.throttle, clock);
    this.users = new UserService(db);
  }

  /** POST /v1/auth/login: a new session, or unauthorized / rate_limited. */
  async signIn(login: string, password: string, client: Client): Promise<SignedIn> {
    const { principal } = await this.checkPassword(login, password, client, 'session');
    const opened = await this.sessions.open(principal.userId, client);
    const signedIn = { ...principal, credentialId: opened.id };
    await this.audit(signedIn, client, 'sign-in');
    return { principal: signedIn, sessionSecret: opened.secret, csrfToken: csrfTokenOf(opened.secret), expiresAt: opened.expiresAt };
  }

  async signOut(principal: Principal, client: Client, everywhere = false): Promise<void> {
    if (principal.via !== 'session') return;
    if (everywhere) await this.sessions.closeAll(principal.userId);
    else await this.sessions.close(principal.credentialId);
    await this.audit(principal, client, 'sign-out', { everywhere });
  }

  /** HTTP Basic, for integration users only (people sign in for a session or use a token). */
  async basic(login: string, password: string, client: Client): Promise<Principal> {
    const key = createHash('sha256').update(`${login.trim().toLowerCase()}\0${password}`).digest('hex');
    const cached = this.basicCache.get(key);
    if (cached && cached.until > this.clock().getTime()) {
      const row = await this.userRow(login);
      // The cache holds the hash it was verified against: a new password or a disabled user misses it.
      const principal = row && row.password_hash === cached.hash ? principalFromRow(row, 'basic', row.user_id) : undefined;
      if (principal?.roles.includes('integration')) return principal;
      this.basicCache.delete(key);
    }
    const { principal, passwordHash } = await this.checkPassword(login, password, client, 'basic');
    if (!principal.roles.includes('integration')) {
      await this.audit(principal, client, 'sign-in.refused', { reason: 'basic authentication is for integration users' });
      throw new HubError('unauthorized', 'HTTP Basic authentication is for integration users; sign in (POST /v1/auth/login) or use an API token.');
    }
    if (this.basicCache.size >= BASIC_CACHE_SIZE) this.basicCache.clear();
    this.basicCache.set(key, { hash: passwordHash, until: this.clock().getTime() + BASIC_CACHE_MS });
    return principal;
  }

  /** The session's principal and the CSRF token its writes must carry (`touch: false`: without counting as activity). */
  async session(secret: string, options: { touch?: boolean } = {}): Promise<{ principal: Principal; csrfToken: string; expiresAt: Date } | undefined> {
    const resolved = await this.sessions.resolve(secret, options);
    return resolved && { ...resolved, csrfToken: csrfTokenOf(secret) };
  }

  token(secret: string, client: Client): Promise<Principal | undefined> {
    return this.tokens.resolve(secret, client.ip);
  }

  /**
   * Changes the caller's own password from its signed-in session (it must know the current one;
   * a token or Basic cannot: a leaked token must not become a way to guess or replace the
   * password). Wrong guesses count like failed sign-ins. The user's other sessions end.
   */
  async changeOwnPassword(principal: Principal, current: string, next: string, client: Client): Promise<void> {
    if (principal.via !== 'session') {
      throw new HubError('not_allowed', 'Change your password from a signed-in session (POST /v1/auth/login), not with a token.', { details: { reason: 'session_only' } });
    }
    const keys = { login: principal.login, address: client.ip };
    const reserved = await this.throttle.reserve(keys);
    if ('lockedUntil' in reserved) throw tooMany(reserved.lockedUntil, this.clock());
    const row = await this.userRow(principal.login);
    const ok = row?.password_hash ? (await verifyPassword(current, row.password_hash)).ok : false;
    if (!ok) {
      const locked = await this.throttle.failed(reserved.attempt);
      if (locked) throw tooMany(locked, this.clock());
      throw new HubError('invalid_data', 'currentPassword is wrong.', { field: 'currentPassword' });
    }
    await this.throttle.succeeded(keys, reserved.attempt);
    await this.users.setPassword(principal.login, next, actorOfPrincipal(principal, client.ip), principal.credentialId);
  }

  /** The principal of a correct password, and the hash it now has stored (re-hashed when its parameters were old). */
  private async checkPassword(login: string, password: string, client: Client, via: 'session' | 'basic'): Promise<{ principal: Principal; passwordHash: string }> {
    const keys = { login, address: client.ip };
    // The attempt is counted before the (slow) check, so a burst of sign-ins cannot outrun the limit.
    const reserved = await this.throttle.reserve(keys);
    if ('lockedUntil' in reserved) throw tooMany(reserved.lockedUntil, this.clock());
    const row = await this.userRow(login);
    const check = row?.password_hash ? await verifyPassword(password, row.password_hash) : (await verifyNothing(password), { ok: false, rehash: false });
    if (!row || !check.ok) {
      const lockedNow = await this.throttle.failed(reserved.attempt);
      // The login tried is kept only when it exists: people type their password into the login field.
      await this.auditAnonymous(client, 'sign-in.failed', { login: row ? row.login : null, knownLogin: !!row, via, locked: !!lockedNow });
      if (lockedNow) throw tooMany(lockedNow, this.clock());
      throw new HubError('unauthorized', WRONG_CREDENTIALS);
    }
    await this.throttle.succeeded(keys, reserved.attempt);
    let passwordHash = row.password_hash!;
    if (check.rehash) {
      passwordHash = await hashPassword(password);
      await this.users.storeRehash(row.user_id, passwordHash);
    }
    const principal = principalFromRow(row, via, row.user_id);
    if (!principal) {
      await this.auditAnonymous(client, 'sign-in.refused', { login: row.login, via, reason: 'disabled' });
      throw new HubError('unauthorized', 'This account is disabled; ask an admin (or your dealer\u2019s head) to enable it.');
    }
    return { principal, passwordHash };
  }

  /** The user with its password hash: only password checks read the hash, not every request's credential lookup. */
  private async userRow(login: string): Promise<(PrincipalRow & { password_hash: string | null }) | undefined> {
    const [row] = await this.db.query<PrincipalRow & { password_hash: string | null }>(
      `SELECT u.password_hash, ${PRINCIPAL_COLUMNS} FROM hub_user u ${PRINCIPAL_JOINS} WHERE lower(u.login) = lower($1)`,
      [login.trim()],
    );
    return row;
  }

  private async audit(principal: Principal, client: Client, action: string, details?: unknown): Promise<void> {
    await recordAudit(this.db.prisma, actorOfPrincipal(principal, client.ip), {
      kind: 'security',
      action,
      target: { type: 'user', id: principal.login },
      details: { userAgent: client.userAgent, ...(details as object) },
    });
  }

  private async auditAnonymous(client: Client, action: string, details: Record<string, unknown>): Promise<void> {
    await recordAudit(this.db.prisma, actorOfPrincipal(undefined, client.ip), { kind: 'security', action, details: { userAgent: client.userAgent, ...details } });
  }
}

function tooMany(until: Date, now: Date): HubError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new HubError('rate_limited', `Too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} minute(s).`, { details: { retryAfterSeconds: seconds } });
}
