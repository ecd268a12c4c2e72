import { Type, type Static, type TProperties } from '@sinclair/typebox';

export const UNAS_DEFAULT_BASE_URL = 'https://api.unas.eu/shop';
/** getOrder accepts at most 500 per call (LimitNum max and default) [doc]. */
export const UNAS_MAX_LIMIT_NUM = 500;

const common = {
  apiKey: Type.String({ minLength: 1, description: 'UNAS API key (Beállítások › Külső kapcsolatok › API kapcsolat) with the getOrder permission', secret: true }),
  overlapMinutes: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1440, default: 10, description: 'TimeModStart is the cursor minus this much (clock skew between the hub and UNAS, late commits)' }),
  ),
  limitNum: Type.Optional(Type.Integer({ minimum: 1, maximum: UNAS_MAX_LIMIT_NUM, default: UNAS_MAX_LIMIT_NUM, description: 'Orders per getOrder call (LimitNum)' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000, default: 60_000 })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Attempts per getOrder call (login is never retried)' })),
  callsPerHour: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 6000,
      default: 25,
      description:
        'getOrder calls this channel may make per hour (counted in the sync state): UNAS allows 30 multi-order getOrder calls an hour on PREMIUM, 90 on VIP; the default leaves room for checks',
    }),
  ),
  statusFilter: Type.Optional(
    Type.String({
      minLength: 1,
      pattern: '^(\\d+|open_normal|open_prepare|close_ok|close_fault)$',
      description: 'getOrder Status filter: a status sequence number or a type (open_normal, open_prepare, close_ok, close_fault). Orders that leave the status are no longer seen.',
    }),
  ),
  statusList: Type.Optional(
    Type.Boolean({
      default: true,
      description:
        "Ask getOrderStatus once a day for the shop's status list: each status's type (open, closed ok, closed faulty) then decides the core status of orders whose status name the hub does not know. Off for Unas-compatible APIs without getOrderStatus",
    }),
  ),
} satisfies TProperties;

const baseUrl = (description: string) => Type.String({ format: 'uri', pattern: '^https?://', description });

/** Channel config of a UNAS shop (api.unas.eu). */
export const UnasConfigSchema = Type.Object(
  {
    ...common,
    baseUrl: Type.Optional(baseUrl(`API root, default ${UNAS_DEFAULT_BASE_URL} (functions are POSTed to <baseUrl>/<function>)`)),
  },
  { additionalProperties: false },
);
export type UnasConfig = Static<typeof UnasConfigSchema>;

/**
 * Channel config of a "custom API based on the Unas API": a shop system that implements the same XML
 * contract itself. Same fields, but `baseUrl` is required, and `authMode` covers implementations
 * without the login function.
 */
export const UnasCustomConfigSchema = Type.Object(
  {
    ...common,
    baseUrl: baseUrl('API root of the shop’s own implementation; functions are POSTed to <baseUrl>/login, <baseUrl>/getOrder'),
    authMode: Type.Optional(
      Type.Union([Type.Literal('login'), Type.Literal('bearer')], {
        default: 'login',
        description: 'login: POST <baseUrl>/login with <ApiKey> for a Token, as UNAS does; bearer: no login, the apiKey is sent as the Bearer token on every call',
      }),
    ),
  },
  { additionalProperties: false },
);
export type UnasCustomConfig = Static<typeof UnasCustomConfigSchema>;

export const UNAS_SECRET_FIELDS = ['apiKey'] as const;

/**
 * Sync state: `modifiedAfter` — every order modified before this instant (ISO UTC) is stored. It is
 * the TimeModEnd of the last clean run.
 */
export const UnasHoldSchema = Type.Object({
  /** ban: UNAS banned the IP (its answer names the end); login: the key was refused. */
  reason: Type.Union([Type.Literal('ban'), Type.Literal('login')]),
  /** No call to UNAS before this instant (ISO UTC). */
  until: Type.String({ format: 'date-time' }),
  /** The refusal as it was reported (no secrets). */
  message: Type.String(),
  /** login holds: sha256 of baseUrl + key, so a new key is tried at once. */
  key: Type.Optional(Type.String()),
});
export type UnasHold = Static<typeof UnasHoldSchema>;

/** One shop-defined order status as getOrderStatus gives it: its id, name and type (open_normal, close_ok, …). */
export const UnasStatusEntrySchema = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.String(),
  type: Type.String(),
});
export type UnasStatusEntry = Static<typeof UnasStatusEntrySchema>;

/** The shop's status list and when it was fetched (refreshed when older than STATUS_LIST_MAX_AGE_MS). */
export const UnasStatusListSchema = Type.Object({
  fetchedAt: Type.String({ format: 'date-time' }),
  statuses: Type.Array(UnasStatusEntrySchema),
});
export type UnasStatusList = Static<typeof UnasStatusListSchema>;

/**
 * `hold` — a ban or a refused login: no call before `hold.until`. It lives in the sync state (persisted
 * with the channel) because CLI calls and restarts start new processes, and UNAS bans the IP after 5
 * failed logins an hour; a clean run's last page writes a state without it.
 */
export const UnasStateSchema = Type.Object({
  modifiedAfter: Type.Optional(Type.String({ format: 'date-time' })),
  hold: Type.Optional(UnasHoldSchema),
  /** getOrder and getOrderStatus calls made in the hour that began at `since` (the call budget, `callsPerHour`). */
  calls: Type.Optional(Type.Object({ since: Type.String({ format: 'date-time' }), count: Type.Integer({ minimum: 0 }) })),
  /**
   * What the mapping needs besides the orders (the hub hands `referenceData` to the mapping as
   * `options.referenceData`): the shop's status list from getOrderStatus, refreshed daily.
   */
  referenceData: Type.Optional(Type.Object({ orderStatuses: Type.Optional(UnasStatusListSchema) })),
  /** The last refused or unreadable getOrderStatus answer: not asked again for STATUS_LIST_RETRY_MS. */
  statusListFailure: Type.Optional(Type.Object({ at: Type.String({ format: 'date-time' }), message: Type.String() })),
});
export type UnasState = Static<typeof UnasStateSchema>;

export interface ResolvedUnasConfig {
  baseUrl: string;
  apiKey: string;
  authMode: 'login' | 'bearer';
  overlapMinutes: number;
  limitNum: number;
  timeoutMs: number;
  maxAttempts: number;
  callsPerHour: number;
  statusFilter: string | undefined;
  statusList: boolean;
}

/** Applies defaults; the config was validated against its schema at the boundary. */
export function resolveUnasConfig(config: UnasConfig | UnasCustomConfig): ResolvedUnasConfig {
  const limitNum = Math.trunc(config.limitNum ?? UNAS_MAX_LIMIT_NUM);
  const authMode = 'authMode' in config && config.authMode === 'bearer' ? 'bearer' : 'login';
  return {
    baseUrl: String(config.baseUrl ?? UNAS_DEFAULT_BASE_URL).trim().replace(/\/+$/, ''),
    apiKey: String(config.apiKey ?? ''),
    authMode,
    overlapMinutes: Math.max(0, config.overlapMinutes ?? 10),
    limitNum: Math.min(UNAS_MAX_LIMIT_NUM, Math.max(1, Number.isFinite(limitNum) ? limitNum : UNAS_MAX_LIMIT_NUM)),
    timeoutMs: config.timeoutMs ?? 60_000,
    maxAttempts: config.maxAttempts ?? 3,
    callsPerHour: config.callsPerHour ?? 25,
    statusFilter: config.statusFilter || undefined,
    statusList: config.statusList !== false,
  };
}
