import type { Access, DealerPermission, StaffPermission } from '../../core/identity/access-rules.ts';

/**
 * How a route declares who may call it, in its options next to its schema:
 *
 *   app.post('/channels', { config: staff('channels.write'), schema: … }, handler)
 *
 * A route without a declaration cannot be registered (api/auth/auth-hooks.ts refuses it at boot),
 * so nothing is ever public by omission.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /**
     * While the database cannot be reached, an API token that authenticated this route within the
     * last minutes is still taken (GET /metrics: a scrape must report the outage, not fail with it).
     */
    tokenDuringOutage?: boolean;
    /** The cookie of 1C's exchange session (api/routes/onec-exchange.ts) authenticates this route too. */
    exchangeCookie?: string;
  }
}

type Declared = { access: Access };

/** Anyone, signed in or not (health, sign-in, the API's documentation). */
export function anyone(why: string): Declared {
  return { access: { kind: 'public', why } };
}

/** Authenticated by the channel itself (webhook signature, EDI upload token, POS store key), not by a user. */
export function channelCredential(why: string): Declared {
  return { access: { kind: 'channel', why } };
}

/** Any signed-in user, whatever its role (who am I, sign out, its own tokens). */
export function signedIn(): Declared {
  return { access: { kind: 'signed-in' } };
}

/** The manufacturer's staff (and integration users) holding the permission. */
export function staff(permission: StaffPermission): Declared {
  return { access: { kind: 'permission', staff: permission } };
}

/**
 * Staff holding the permission, whose API token is still taken for a few minutes while the database
 * is down (the metrics: they must say the database is down rather than fail with it).
 */
export function staffDuringOutage(permission: StaffPermission): Declared & { tokenDuringOutage: true } {
  return { access: { kind: 'permission', staff: permission }, tokenDuringOutage: true };
}

/** A dealer's own users holding the permission (/v1/dealers/:code/… of their own dealer only). */
export function dealer(permission: DealerPermission): Declared {
  return { access: { kind: 'permission', dealer: permission } };
}

/** Staff holding `staffPermission`, or the dealer's own users holding `dealerPermission`. */
export function staffOrDealer(staffPermission: StaffPermission, dealerPermission: DealerPermission): Declared {
  return { access: { kind: 'permission', staff: staffPermission, dealer: dealerPermission } };
}
