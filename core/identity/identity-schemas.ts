import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from './access-rules.ts';

/**
 * Shapes of users, tokens and "who am I": validated once at the boundary (API, CLI) and answered
 * as they are typed here, so core and the API share one definition.
 */

const IsoDateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/** Logins are case-insensitive; no whitespace, and no colon (HTTP Basic splits on it). */
export const LoginSchema = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s:]+$', description: 'case-insensitive; no spaces or colons' });
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)), { description: ROLES.join(' | ') });
const PasswordSchema = Type.String({ minLength: 1, maxLength: 1000, description: 'at least 10 characters; not the login' });

export const UserInputSchema = Type.Object(
  {
    login: LoginSchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    roles: Type.Array(RoleSchema, {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: 'staff roles and integration may be combined; a dealer user has exactly one of dealer_head, dealer_manager and names its dealer',
    }),
    dealer: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the dealer's code, for dealer_head and dealer_manager" })),
    password: Type.Optional(PasswordSchema),
  },
  { additionalProperties: false, title: 'UserInput' },
);
export type UserInput = Static<typeof UserInputSchema>;

export const UserChangesSchema = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 300 }), Type.Null()])),
    roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 10, uniqueItems: true, description: "a dealer user's role moves between dealer_head and dealer_manager" })),
    disabled: Type.Optional(Type.Boolean({ description: 'true: signs in no more; its sessions end and its tokens stop working' })),
  },
  { additionalProperties: false, minProperties: 1, title: 'UserChanges' },
);
export type UserChanges = Static<typeof UserChangesSchema>;

export const UserSchema = Type.Object(
  {
    login: Type.String(),
    name: Nullable(Type.String()),
    roles: Type.Array(RoleSchema),
    dealer: Type.Union([Type.Object({ code: Type.String(), name: Type.String() }), Type.Null()]),
    disabled: Type.Boolean(),
    hasPassword: Type.Boolean(),
    passwordChangedAt: Nullable(IsoDateTime),
    createdBy: Type.String(),
    createdAt: IsoDateTime,
  },
  { title: 'User' },
);
export type UserView = Static<typeof UserSchema>;

export const PasswordBodySchema = Type.Object({ password: PasswordSchema }, { additionalProperties: false, title: 'NewPassword' });

export const TokenInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'what the token is for, e.g. "nightly export"' }),
    expiresAt: Type.Optional(Type.Union([IsoDateTime, Type.Null()], { description: 'default: in 90 days; null: never' })),
  },
  { additionalProperties: false, title: 'TokenInput' },
);
export type TokenInput = Static<typeof TokenInputSchema>;

export const TokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: 'the first characters of the token, to recognise it' }),
    expiresAt: Nullable(IsoDateTime),
    lastUsedAt: Nullable(IsoDateTime),
    lastUsedIp: Nullable(Type.String()),
    revokedAt: Nullable(IsoDateTime),
    createdBy: Type.String(),
    createdAt: IsoDateTime,
  },
  { title: 'Token' },
);
export type TokenView = Static<typeof TokenSchema>;

export const NewTokenSchema = Type.Object(
  { token: Type.String({ description: 'the secret: shown this once, stored only as a hash' }), details: TokenSchema },
  { title: 'NewToken' },
);
export type NewToken = Static<typeof NewTokenSchema>;

/** Who is asking: GET /v1/auth/me. */
export const MeSchema = Type.Object(
  {
    login: Type.String(),
    name: Nullable(Type.String()),
    roles: Type.Array(RoleSchema),
    permissions: Type.Array(Type.String()),
    dealer: Type.Union([Type.Object({ code: Type.String(), name: Type.String(), head: Type.Boolean() }), Type.Null()]),
    via: Type.Union([Type.Literal('session'), Type.Literal('token'), Type.Literal('basic')]),
    csrfToken: Nullable(Type.String({ description: 'send it as x-csrf-token with every change made with the session cookie' })),
    sessionExpiresAt: Nullable(IsoDateTime),
  },
  { title: 'Me' },
);
export type Me = Static<typeof MeSchema>;
