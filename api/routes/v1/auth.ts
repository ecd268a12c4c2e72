import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../../core/errors.ts';
import { MeSchema, NewTokenSchema, TokenInputSchema, TokenSchema, type Me } from '../../../core/identity/identity-schemas.ts';
import type { Principal } from '../../../core/identity/principal.ts';
import { anyone, signedIn } from '../../auth/access.ts';
import { SESSION_COOKIE, sameOrAllowedOrigin } from '../../auth/auth-hooks.ts';
import { actorOf, clientOf, principalOf } from '../../auth/request-context.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';

const SignInBodySchema = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false, title: 'SignIn' },
);
const SignOutBodySchema = Type.Object(
  { everywhere: Type.Optional(Type.Boolean({ description: 'end every session of the user, not only this one' })) },
  { additionalProperties: false },
);
const ChangePasswordBodySchema = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 1000 }), newPassword: Type.String({ minLength: 1, maxLength: 1000 }) },
  { additionalProperties: false, title: 'ChangePassword' },
);
const TokenParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
/** How long a token one makes for oneself may live; longer (or never-ending) ones are an admin's to give. */
const MAX_OWN_TOKEN_DAYS = 366;

/**
 * /v1/auth: signing in and out, who am I, one's own password and API tokens. Everything about other
 * users (admins) is under /v1/users.
 */
const authRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const auth = deps.authenticator;
  const tags = ['auth'];

  app.post(
    '/auth/login',
    {
      config: anyone('signing in is how one gets credentials'),
      schema: {
        tags,
        summary: 'Sign in with login and password: sets an HttpOnly session cookie and answers who you are, with the CSRF token for changes',
        description: 'Every failure answers the same 401, whatever the cause; repeated failures per login and per address answer 429 with Retry-After.',
        body: SignInBodySchema,
        response: { 200: MeSchema, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const origin = request.headers.origin;
      // A page of another site must not sign a visitor in (login CSRF).
      if (typeof origin === 'string' && !sameOrAllowedOrigin(origin, request, deps.security?.corsOrigins)) {
        throw new HubError('not_allowed', `Requests from ${origin} may not sign in to this hub.`, { details: { reason: 'cross_origin' } });
      }
      // A new session every time: a cookie the browser held before signing in is never promoted (fixation).
      const previous = request.cookies[SESSION_COOKIE];
      const signed = await auth.signIn(request.body.login, request.body.password, clientOf(request));
      if (previous) await auth.sessions.closeSecret(previous);
      setSessionCookie(request, reply, signed.sessionSecret, signed.expiresAt, deps);
      return meOf(signed.principal, signed.csrfToken, signed.expiresAt);
    },
  );

  app.post(
    '/auth/logout',
    {
      config: signedIn(),
      schema: { tags, summary: 'Sign out: ends this session (or every session of yours) and clears the cookie', body: SignOutBodySchema, response: { 204: Type.Null(), ...errors(400, 401, 403) } },
      // The body is optional: a POST without one is {}.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      await auth.signOut(principalOf(request), clientOf(request), request.body.everywhere ?? false);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    { config: signedIn(), schema: { tags, summary: 'Who you are: login, roles, permissions, your dealer, and the CSRF token of your session', response: { 200: MeSchema, ...errors(401) } } },
    async (request) => {
      // The session the auth hook already read: no second lookup.
      return meOf(principalOf(request), request.session?.csrfToken ?? null, request.session?.expiresAt ?? null);
    },
  );

  app.post(
    '/auth/password',
    {
      config: signedIn(),
      schema: {
        tags,
        summary: 'Change your own password, from a signed-in session; your other sessions end',
        description: 'Wrong current passwords count like failed sign-ins (429 when locked). Not with a token: a leaked token must not become a way to guess or replace the password.',
        body: ChangePasswordBodySchema,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      await auth.changeOwnPassword(principalOf(request), request.body.currentPassword, request.body.newPassword, clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/tokens',
    { config: signedIn(), schema: { tags, summary: 'Your API tokens (never their secrets)', response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...errors(401) } } },
    async (request) => ({ items: await auth.tokens.list(principalOf(request).userId) }),
  );

  app.post(
    '/auth/tokens',
    {
      config: signedIn(),
      schema: {
        tags,
        summary: 'Make an API token for yourself: its secret is in this answer only',
        description:
          'Made from a signed-in session (or by an admin, or the CLI), not with a token or Basic credentials: leaked credentials cannot mint their own successors. Your own tokens expire within a year; tokens that never expire are made by admins (POST /v1/users/:login/tokens) or the CLI.',
        body: TokenInputSchema,
        response: { 201: NewTokenSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // Only a person at a browser session makes tokens: a leaked token or Basic password cannot mint successors that outlive it.
      if (principal.via !== 'session') throw new HubError('not_allowed', 'Tokens are made from a signed-in session (or by an admin, or the CLI), not with a token or Basic credentials.', { details: { reason: 'session_only' } });
      return reply.code(201).send(await auth.tokens.create(principal.userId, request.body, actorOf(request), { maxDays: MAX_OWN_TOKEN_DAYS }));
    },
  );

  app.delete(
    '/auth/tokens/:id',
    {
      config: signedIn(),
      schema: { tags, summary: 'Revoke one of your API tokens (idempotent)', params: TokenParamsSchema, response: { 200: TokenSchema, ...errors(401, 403, 404) } },
    },
    async (request) => auth.tokens.revoke(principalOf(request).userId, request.params.id, actorOf(request)),
  );
};

export function meOf(principal: Principal, csrfToken: string | null, expiresAt: Date | null): Me {
  return {
    login: principal.login,
    name: principal.name,
    roles: principal.roles,
    permissions: [...principal.permissions].sort(),
    dealer: principal.dealer ? { code: principal.dealer.code, name: principal.dealer.name, head: principal.dealer.head } : null,
    via: principal.via,
    csrfToken,
    sessionExpiresAt: expiresAt ? expiresAt.toISOString() : null,
  };
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string, expiresAt: Date, deps: RouteDeps): void {
  const configured = deps.security?.cookieSecure ?? 'auto';
  void reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: configured === 'auto' ? request.protocol === 'https' : configured,
    expires: expiresAt,
  });
}

export default authRoutes;
