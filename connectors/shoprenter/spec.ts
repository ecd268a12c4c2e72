import { Type, type Static } from '@sinclair/typebox';

/** Shoprenter's documented quota: 180 requests per minute per shop; more → HTTP 429. */
export const SHOPRENTER_HARD_LIMIT_PER_MINUTE = 180;

/** Channel config of one Shoprenter shop. Fields marked `secret: true` are listed in SHOPRENTER_SECRET_FIELDS. */
export const ShoprenterConfigSchema = Type.Object(
  {
    shopName: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$',
      description: 'The shop name: the part before .shoprenter.hu / .myshoprenter.hu',
    }),
    authMode: Type.Optional(
      Type.Union([Type.Literal('oauth'), Type.Literal('basic')], {
        default: 'oauth',
        description: 'oauth: custom API client (client id/secret → Bearer token, api2.myshoprenter.hu); basic: legacy API user + key ({shop}.api.shoprenter.hu)',
      }),
    ),
    clientId: Type.Optional(Type.String({ minLength: 1, description: 'Custom API client id (Settings › API Settings)', secret: true })),
    clientSecret: Type.Optional(Type.String({ minLength: 1, description: 'Custom API client secret', secret: true })),
    apiUser: Type.Optional(Type.String({ minLength: 1, description: 'Legacy API user (authMode basic)', secret: true })),
    apiKey: Type.Optional(Type.String({ minLength: 1, description: 'Legacy API key (authMode basic)', secret: true })),
    apiBaseUrl: Type.Optional(
      Type.String({ format: 'uri', pattern: '^https?://', description: 'Overrides the API base URL (tests, proxies), e.g. https://shop.api2.myshoprenter.hu/api' }),
    ),
    tokenUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'Overrides the OAuth token URL (tests, proxies)' })),
    webhookToken: Type.Optional(
      Type.String({ minLength: 16, description: 'Shared secret expected in X-Orderhub-Token or ?token= on webhook deliveries (Shoprenter signs nothing)', secret: true }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, default: 'Europe/Budapest', description: 'IANA zone of the shop: Shoprenter dates carry no offset' })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 })),
    overlapMinutes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1440, default: 10, description: 'The cursor is moved back by this much on every run (clock skew, late commits)' }),
    ),
    createdAfter: Type.Optional(
      Type.String({ format: 'date-time', description: 'Never import orders created before this instant (sent as createdAtMin); bounds the first sync' }),
    ),
    includeAbandonedCarts: Type.Optional(Type.Boolean({ default: false, description: 'Also pull abandoned carts (orderStatusId 0); default sends excludeAbandonedCart=1' })),
    requestsPerMinute: Type.Optional(
      Type.Integer({ minimum: 1, maximum: SHOPRENTER_HARD_LIMIT_PER_MINUTE, default: 150, description: 'Client-side limit; Shoprenter allows 180/min' }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000, default: 30_000 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 4 })),
  },
  { additionalProperties: false },
);
export type ShoprenterConfig = Static<typeof ShoprenterConfigSchema>;

export const SHOPRENTER_SECRET_FIELDS = ['clientId', 'clientSecret', 'apiUser', 'apiKey', 'webhookToken'] as const;

/**
 * Sync state. `updatedAfter`: every order modified before it is stored (ISO UTC). `resume`: a run
 * that stopped half way; the next run continues the same window after `afterInnerId` and the cursor
 * may then advance at most to `startedAt` (the start of the interrupted run).
 */
export const ShoprenterStateSchema = Type.Object({
  updatedAfter: Type.Optional(Type.String({ format: 'date-time' })),
  resume: Type.Optional(
    Type.Object({
      since: Type.Optional(Type.String({ format: 'date-time' })),
      startedAt: Type.String({ format: 'date-time' }),
      afterInnerId: Type.String({ pattern: '^\\d+$' }),
    }),
  ),
});
export type ShoprenterState = Static<typeof ShoprenterStateSchema>;

export interface ResolvedShoprenterConfig {
  shopName: string;
  authMode: 'oauth' | 'basic';
  clientId: string;
  clientSecret: string;
  apiUser: string;
  apiKey: string;
  /** Without trailing slash: `https://{shop}.api2.myshoprenter.hu/api` or `https://{shop}.api.shoprenter.hu`. */
  apiBaseUrl: string;
  tokenUrl: string;
  webhookToken: string | undefined;
  timeZone: string;
  pageSize: number;
  overlapMinutes: number;
  createdAfter: Date | undefined;
  includeAbandonedCarts: boolean;
  requestsPerMinute: number;
  timeoutMs: number;
  maxAttempts: number;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Applies defaults; the config was validated against ShoprenterConfigSchema at the boundary. */
export function resolveShoprenterConfig(config: ShoprenterConfig): ResolvedShoprenterConfig {
  const shopName = String(config.shopName ?? '').trim().toLowerCase();
  const authMode = config.authMode === 'basic' ? 'basic' : 'oauth';
  const defaultBase = authMode === 'basic' ? `https://${shopName}.api.shoprenter.hu` : `https://${shopName}.api2.myshoprenter.hu/api`;
  const pageSize = Math.trunc(config.pageSize ?? 100);
  const rpm = Math.trunc(config.requestsPerMinute ?? 150);
  const createdAfter = config.createdAfter ? new Date(config.createdAfter) : undefined;
  const zone = config.timeZone && isValidTimeZone(config.timeZone) ? config.timeZone : 'Europe/Budapest';
  return {
    shopName,
    authMode,
    clientId: config.clientId ?? '',
    clientSecret: config.clientSecret ?? '',
    apiUser: config.apiUser ?? '',
    apiKey: config.apiKey ?? '',
    apiBaseUrl: (config.apiBaseUrl ?? defaultBase).trim().replace(/\/+$/, ''),
    tokenUrl: config.tokenUrl ?? `https://oauth.app.shoprenter.net/${encodeURIComponent(shopName)}/app/token`,
    webhookToken: config.webhookToken || undefined,
    timeZone: zone,
    pageSize: Math.min(200, Math.max(1, Number.isFinite(pageSize) ? pageSize : 100)),
    overlapMinutes: Math.max(0, config.overlapMinutes ?? 10),
    createdAfter: createdAfter && !Number.isNaN(createdAfter.getTime()) ? createdAfter : undefined,
    includeAbandonedCarts: config.includeAbandonedCarts === true,
    // Hard cap: a config that slipped past validation still cannot exceed Shoprenter's quota.
    requestsPerMinute: Math.min(SHOPRENTER_HARD_LIMIT_PER_MINUTE, Math.max(1, Number.isFinite(rpm) ? rpm : 150)),
    timeoutMs: config.timeoutMs ?? 30_000,
    maxAttempts: config.maxAttempts ?? 4,
  };
}
