import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ROLES } from '../../../core/identity/access-rules.ts';
import {
  LoginSchema,
  NewTokenSchema,
  PasswordBodySchema,
  TokenInputSchema,
  TokenSchema,
  UserChangesSchema,
  UserInputSchema,
  UserSchema,
} from '../../../core/identity/identity-schemas.ts';
import { staff } from '../../auth/access.ts';
import { actorOf } from '../../auth/request-context.ts';
import type { RouteDeps } from '../../deps.ts';
import { errors } from '../../schemas/common.ts';

const LoginParamsSchema = Type.Object({ login: LoginSchema });
const TokenParamsSchema = Type.Object({ login: LoginSchema, id: Type.String({ minLength: 1, maxLength: 100 }) });
const ListUsersQuerySchema = Type.Object(
  {
    role: Type.Optional(Type.Union(ROLES.map((r) => Type.Literal(r)))),
    dealer: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "a dealer's code: its users" })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * /v1/users: admins manage users, roles, passwords and anyone's tokens.
 * Every change is audited with the state before and after.
 */
const userRoutes: FastifyPluginAsyncTypebox<{ deps: RouteDeps }> = async (app, { deps }) => {
  const users = deps.authenticator.users;
  const tokens = deps.authenticator.tokens;
  const tags = ['auth'];

  app.get(
    '/users',
    { config: staff('users.manage'), schema: { tags, summary: 'Users by login, with their roles and dealer', querystring: ListUsersQuerySchema, response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...errors(400) } } },
    async (request) => ({ items: await users.list(request.query) }),
  );

  app.post(
    '/users',
    {
      config: staff('users.manage'),
      schema: {
        tags,
        summary: "Make a user: staff roles (admin, ops, accountant, desk, distribution), integration, or a dealer's dealer_head / dealer_manager",
        description: "A dealer's user signs in as the dealer's manager of the same login (made when missing); dealer_head appoints it head. Without a password the user signs in only with tokens.",
        body: UserInputSchema,
        response: { 201: UserSchema, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(request.body, actorOf(request))),
  );

  app.get(
    '/users/:login',
    { config: staff('users.manage'), schema: { tags, summary: 'One user', params: LoginParamsSchema, response: { 200: UserSchema, ...errors(404) } } },
    async (request) => users.get(request.params.login),
  );

  app.patch(
    '/users/:login',
    {
      config: staff('users.manage'),
      schema: {
        tags,
        summary: 'Change a user: name, roles, disabled (a disabled user is signed out everywhere and its tokens stop working)',
        description: 'The last enabled admin cannot lose the role or be disabled (409).',
        params: LoginParamsSchema,
        body: UserChangesSchema,
        response: { 200: UserSchema, ...errors(400, 404, 409) },
      },
    },
    async (request) => users.update(request.params.login, request.body, actorOf(request)),
  );

  app.put(
    '/users/:login/password',
    {
      config: staff('users.manage'),
      schema: { tags, summary: "Set a user's password; its sessions end", params: LoginParamsSchema, body: PasswordBodySchema, response: { 200: UserSchema, ...errors(400, 404) } },
    },
    async (request) => users.setPassword(request.params.login, request.body.password, actorOf(request)),
  );

  app.get(
    '/users/:login/tokens',
    { config: staff('users.manage'), schema: { tags, summary: "A user's API tokens (never their secrets)", params: LoginParamsSchema, response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...errors(404) } } },
    async (request) => ({ items: await tokens.list(await users.idOf(request.params.login)) }),
  );

  app.post(
    '/users/:login/tokens',
    {
      config: staff('users.manage'),
      schema: { tags, summary: 'Make an API token for a user (an integration machine, a script): its secret is in this answer only', params: LoginParamsSchema, body: TokenInputSchema, response: { 201: NewTokenSchema, ...errors(400, 404) } },
    },
    async (request, reply) => reply.code(201).send(await tokens.create(await users.idOf(request.params.login), request.body, actorOf(request))),
  );

  app.delete(
    '/users/:login/tokens/:id',
    { config: staff('users.manage'), schema: { tags, summary: "Revoke a user's API token (idempotent)", params: TokenParamsSchema, response: { 200: TokenSchema, ...errors(404) } } },
    async (request) => tokens.revoke(await users.idOf(request.params.login), request.params.id, actorOf(request)),
  );
};

export default userRoutes;
