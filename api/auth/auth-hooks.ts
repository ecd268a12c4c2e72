import cookie from '@fastify/cookie';
import { createHash, timingSafeEqual } from 'node:crypto';
import { isDatabaseOutage } from '../../core/db/sql-errors.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { recordAudit } from '../../core/audit/audit-log.ts';
import { HubError } from '../../core/errors.ts';
import { mayCall, type AccessDecision } from '../../core/identity/access-rules.ts';
import type { Principal } from '../../core/identity/principal.ts';
import type { RouteDeps } from '../deps.ts';
import { anyone } from './access.ts';
import type { DeclaredRoute } from './route-inventory.ts';
import { actorOf, clientOf } from './request-context.ts';

/**
 * Authentication and authorisation for every route, in one place:
 * - at registration, a route without a declared access (config.access) stops the app from building;
 * - on each request (onRequest, before the body is even read): the caller is authenticated from an
 *   API token (Bearer), HTTP Basic (integration users) or the session cookie, the route's access is
 *   decided by core (mayCall), and a session's changes must carry its CSRF token;
 * - before each answer to a signed-in caller's change (onSend): a row in the audit log.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared access, as registered (docs/security.md, the BOLA matrix). */
    routeAccess: readonly DeclaredRoute[];
  }
}

export const SESSION_COOKIE = 'hub_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Routes of the API's documentation (swagger-ui registers them itself). */
const DOCS_PREFIX = '/docs';

const SIGN_IN_HINT = 'Sign in first (POST /v1/auth/login gives a session cookie) or send an API token as "Authorization: Bearer …".';

export async function installAuth(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('session', undefined);

  const inventory: DeclaredRoute[] = [];
  app.decorate('routeAccess', inventory);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = [route.method].flat();
    if (!route.config?.access) {
      if (methods.every((m) => m === 'OPTIONS')) {
        route.config = { ...route.config, ...anyone('CORS preflight: says only which origins may call') };
        return;
      }
      if (route.url !== DOCS_PREFIX && !route.url.startsWith(`${DOCS_PREFIX}/`)) {
        throw new Error(`Route ${String(route.method)} ${route.url} declares no access: add config: staff(…) / dealer(…) / signedIn() / anyone(…) (api/auth/access.ts).`);
      }
      route.config = { ...route.config, ...anyone('the API documentation (OpenAPI) holds no data') };
    }
    for (const method of methods) {
      // fastify adds a HEAD beside every GET, with the GET's options.
      if (method !== 'HEAD') inventory.push({ method, url: route.url, access: route.config!.access! });
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (!access) {
      // Only fastify's own not-found handler declares nothing; a route that escaped the check above is refused, not public.
      if (request.is404) return;
      throw new HubError('internal', `Route ${request.method} ${request.routeOptions.url} declares no access.`);
    }
    if (access.kind === 'public' || access.kind === 'channel') return;
    const principal = await authenticate(request, reply, deps);
    request.principal = principal;
    const decision = mayCall(access, principal, dealerNamedBy(request));
    if (!decision.allowed) throw refusal(decision, principal, request);
    if (principal && principal.via === 'session' && !SAFE_METHODS.has(request.method)) checkCsrf(request, deps);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.principal || SAFE_METHODS.has(request.method)) return payload;
    try {
      await recordAudit(deps.db.prisma, actorOf(request), {
        kind: 'request',
        action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        status: reply.statusCode,
        details: { params: request.params ?? {} },
      });
    } catch (error) {
      // The change itself is done and answered; a lost audit row is logged, not turned into a failure.
      request.log.error({ err: error }, 'could not write the audit row of a request');
    }
    return payload;
  });
}

/** The dealer a URL of the dealers' side names (/v1/dealers/:code/…), if any. */
function dealerNamedBy(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.url?.startsWith('/v1/dealers/:code')) return undefined;
  const code = (request.params as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function authenticate(request: FastifyRequest, reply: FastifyReply, deps: RouteDeps): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  const client = clientOf(request);
  if (header) {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer') {
      const principal = value ? await tokenPrincipal(request, deps, value, client) : undefined;
      if (!principal) throw new HubError('unauthorized', 'The API token is unknown, expired or revoked.');
      return principal;
    }
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new HubError('unauthorized', 'HTTP Basic credentials must be login:password.', { details: { scheme: 'basic' } });
      try {
        return await deps.authenticator.basic(decoded.slice(0, colon), decoded.slice(colon + 1), client);
      } catch (error) {
        if (error instanceof HubError && error.code === 'unauthorized') throw new HubError('unauthorized', error.message, { details: { scheme: 'basic' } });
        throw error;
      }
    }
    throw new HubError('unauthorized', 'Unsupported Authorization scheme: use Bearer (an API token) or Basic (integration users).');
  }
  // 1C's exchange names its session by the cookie checkauth gave (core/onec), on its own routes only.
  const exchangeSecret = request.routeOptions.config?.exchangeCookie ? request.cookies[request.routeOptions.config.exchangeCookie] : undefined;
  if (exchangeSecret && deps.onecExchange) return (await deps.onecExchange.sessionOf(exchangeSecret, undefined)).principal;
  const secret = request.cookies[SESSION_COOKIE];
  if (!secret) return undefined;
  const session = await deps.authenticator.session(secret);
  if (!session) {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    throw new HubError('unauthorized', 'Your session has ended; sign in again.');
  }
  request.session = { csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  return session.principal;
}

/** How long a token seen on a `tokenDuringOutage` route is still taken while the database is down. */
const OUTAGE_GRACE_MS = 10 * 60 * 1000;
/** sha256 of a token → its principal and when the database last vouched for it; only for `tokenDuringOutage` routes. */
const vouched = new Map<string, { principal: Principal; at: number }>();

/**
 * The token's principal from the database. On a route declared `tokenDuringOutage` (GET /metrics),
 * a token the database vouched for in the last 10 minutes is still taken while the database cannot
 * be reached: no revocation can be written then either. Any other route answers 503.
 */
async function tokenPrincipal(request: FastifyRequest, deps: RouteDeps, secret: string, client: ReturnType<typeof clientOf>): Promise<Principal | undefined> {
  const graced = request.routeOptions.config?.tokenDuringOutage === true;
  const key = graced ? createHash('sha256').update(secret).digest('hex') : '';
  try {
    const principal = await deps.authenticator.token(secret, client);
    if (graced) {
      if (principal) vouched.set(key, { principal, at: Date.now() });
      else vouched.delete(key);
      if (vouched.size > 100) vouched.delete(vouched.keys().next().value!);
    }
    return principal;
  } catch (error) {
    const known = graced && isDatabaseOutage(error) ? vouched.get(key) : undefined;
    if (known && Date.now() - known.at < OUTAGE_GRACE_MS) return known.principal;
    throw error;
  }
}

/** The answer to a refused caller, from core's decision. */
function refusal(decision: Exclude<AccessDecision, { allowed: true }>, principal: Principal | undefined, request: FastifyRequest): HubError {
  switch (decision.status) {
    case 401:
      return new HubError('unauthorized', SIGN_IN_HINT);
    case 404:
      // Word for word what a dealer that does not exist gets: the answer must not tell which dealers exist.
      return new HubError('not_found', `Dealer ${dealerNamedBy(request)} does not exist.`);
    case 403: {
      const access = request.routeOptions.config.access;
      const needed = access?.kind === 'permission' ? (principal?.dealer ? access.dealer : access.staff) : undefined;
      if (needed) {
        return new HubError('not_allowed', `Your role (${principal?.roles.join(', ') || 'none'}) may not do this: it needs the permission ${needed}.`, {
          details: { reason: 'role', permission: needed },
        });
      }
      // The route has no permission for the caller's side at all.
      return principal?.dealer
        ? new HubError('not_allowed', "This is for the manufacturer's staff; a dealer's users work under /v1/dealers/<their code>/.", { details: { reason: 'staff_only' } })
        : new HubError('not_allowed', "This is a dealer's own action; sign in as one of the dealer's users (staff assign orders with POST /v1/orders/:id/assign).", {
            details: { reason: 'dealer_only' },
          });
    }
  }
}

function checkCsrf(request: FastifyRequest, deps: RouteDeps): void {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && !sameOrAllowedOrigin(origin, request, deps.security?.corsOrigins)) {
    throw new HubError('not_allowed', `Requests from ${origin} may not use this hub's session.`, { details: { reason: 'cross_origin' } });
  }
  const sent = request.headers[CSRF_HEADER];
  const expected = request.session?.csrfToken;
  if (typeof sent !== 'string' || !expected || !safeEqual(sent, expected)) {
    throw new HubError('not_allowed', `A change made with the session cookie needs the ${CSRF_HEADER} header (its value comes with sign-in and GET /v1/auth/me).`, {
      details: { reason: 'csrf' },
    });
  }
}

/** An Origin header that is this hub itself, or one the operator allowed. */
export function sameOrAllowedOrigin(origin: string, request: FastifyRequest, allowed: readonly string[] | undefined): boolean {
  if (allowed?.includes(origin)) return true;
  try {
    // Default ports may be spelled or not on either side (a TLS proxy forwards `Host: hub.example` for https://hub.example).
    const withoutDefaultPort = (host: string) => host.toLowerCase().replace(/:(80|443)$/, '');
    return withoutDefaultPort(new URL(origin).host) === withoutDefaultPort(request.host);
  } catch {
    return false;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
