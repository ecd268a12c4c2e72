import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../core/audit/actor.ts';
import type { CatalogueViewer } from '../../core/catalogue/catalogue-queries.ts';
import type { DealerScope } from '../../core/dealers/dealer-scope.ts';
import { HubError } from '../../core/errors.ts';
import type { Client } from '../../core/identity/authenticator.ts';
import { actorOfPrincipal, scopeOfPrincipal, type Principal } from '../../core/identity/principal.ts';

/**
 * Who is asking, for a route's handler: the principal authenticated by the onRequest hook
 * (api/auth/auth-hooks.ts), never anything the request says about itself.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that needs a signed-in caller. */
    principal: Principal | undefined;
    /** The session the caller came with (its CSRF token and end), when it used the session cookie. */
    session: { csrfToken: string; expiresAt: Date } | undefined;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HubError('internal', `Route ${request.routeOptions.url} reads the principal but does not require a signed-in caller.`);
  return request.principal;
}

/** The dealers' orders the caller sees: its own dealer's, or the manufacturer's view for staff. */
export function scopeOf(request: FastifyRequest): DealerScope {
  return scopeOfPrincipal(principalOf(request));
}

/** Who acted, as changes and the audit log record it. */
export function actorOf(request: FastifyRequest): Actor {
  return actorOfPrincipal(request.principal, request.ip ?? null);
}

export function clientOf(request: FastifyRequest): Client {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null };
}

/** Whose view of the catalogue's prices: every column (staff), or the caller's dealer's. */
export function viewerOf(request: FastifyRequest): CatalogueViewer {
  const principal = principalOf(request);
  return principal.dealerCode ? { kind: 'dealer', dealerCode: principal.dealerCode } : { kind: 'staff' };
}
