import { Type, type Static } from '@sinclair/typebox';

/** Channel config of a WooCommerce store. Fields marked `secret: true` are listed in WOO_SECRET_FIELDS. */
export const WooConfigSchema = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      description: 'Store base URL (the WordPress site address), e.g. https://shop.example.hu',
    }),
    consumerKey: Type.String({ minLength: 1, description: 'REST API consumer key (ck_…), read access', secret: true }),
    consumerSecret: Type.String({ minLength: 1, description: 'REST API consumer secret (cs_…)', secret: true }),
    webhookSecret: Type.Optional(
      Type.String({ minLength: 1, description: 'Secret of the WooCommerce webhook(s) pointing at the hub', secret: true }),
    ),
    authMode: Type.Optional(
      Type.Union([Type.Literal('basic'), Type.Literal('query')], {
        default: 'basic',
        description: 'basic: HTTP Basic over HTTPS; query: consumer_key/consumer_secret in the query string, for servers that strip Authorization',
      }),
    ),
    perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
    overlapMinutes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1440, default: 10, description: 'The cursor is moved back by this much on every run (clock skew, late commits)' }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000, default: 30_000 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 4 })),
    refundDetails: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Also fetch GET /orders/<id>/refunds for every pulled order that lists refunds (refunded lines and dates): one more request per such order and pull',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WooConfig = Static<typeof WooConfigSchema>;

export const WOO_SECRET_FIELDS = ['consumerKey', 'consumerSecret', 'webhookSecret'] as const;

/** Sync state: every order modified before `modifiedAfter` is stored (ISO UTC instant, never past the run that wrote it). */
export const WooStateSchema = Type.Object({ modifiedAfter: Type.Optional(Type.String({ format: 'date-time' })) });
export type WooState = Static<typeof WooStateSchema>;

export interface ResolvedWooConfig {
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
  webhookSecret: string | undefined;
  authMode: 'basic' | 'query';
  perPage: number;
  overlapMinutes: number;
  timeoutMs: number;
  maxAttempts: number;
  /** Fetch each pulled order's refund list when its summary names refunds (off by default). */
  refundDetails: boolean;
}

/** Applies defaults; the config was validated against WooConfigSchema at the boundary. */
export function resolveWooConfig(config: WooConfig): ResolvedWooConfig {
  const perPage = Math.trunc(config.perPage ?? 100);
  return {
    baseUrl: String(config.url ?? '').trim().replace(/\/+$/, ''),
    consumerKey: config.consumerKey,
    consumerSecret: config.consumerSecret,
    webhookSecret: config.webhookSecret || undefined,
    authMode: config.authMode === 'query' ? 'query' : 'basic',
    perPage: Math.min(100, Math.max(1, Number.isFinite(perPage) ? perPage : 100)),
    overlapMinutes: Math.max(0, config.overlapMinutes ?? 10),
    timeoutMs: config.timeoutMs ?? 30_000,
    maxAttempts: config.maxAttempts ?? 4,
    refundDetails: config.refundDetails === true,
  };
}
