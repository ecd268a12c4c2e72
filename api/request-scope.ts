import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ADMIN_SCOPE, dealerScope, type DealerScope } from '../core/dealers/dealer-scope.ts';

/**
 * Who is asking, derived from the request in this one place. Authentication comes in a later
 * issue; until then a route under /v1/dealers/:code/ acts as that dealer (the login, if any, from
 * the x-hub-user header) and every other route acts as the manufacturer's admin. Adding
 * authentication replaces these functions, not the routes or the core queries.
 */

const HUB_USER_HEADER = 'x-hub-user';
const DEALER_ROUTES = '/v1/dealers/:code/';

/** Documents the header on the routes that record who acted (OpenAPI). */
export const HubUserHeadersSchema = Type.Object({
  [HUB_USER_HEADER]: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'login of the person acting (recorded in the history); until authentication arrives, trusted as given' })),
});

export function scopeOf(request: FastifyRequest): DealerScope {
  const code = (request.params as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && request.routeOptions.url?.startsWith(DEALER_ROUTES)) return dealerScope(code, userOf(request));
  return ADMIN_SCOPE;
}

/** The login recorded as the author of an admin's change (config versions, assignments, points). */
export function actorOf(request: FastifyRequest): string {
  return userOf(request) ?? 'admin';
}

function userOf(request: FastifyRequest): string | undefined {
  const value = request.headers[HUB_USER_HEADER];
  const login = (Array.isArray(value) ? value[0] : value)?.trim();
  return login ? login : undefined;
}
