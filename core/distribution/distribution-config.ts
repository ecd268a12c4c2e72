import { Type, type Static } from '@sinclair/typebox';

/**
 * The manufacturer's distribution strategy configuration (seeds 001, "Настройка стратегии
 * распределения заказов"): settings (points, fulfilment term, default and fallback dealers, which
 * orders are distributed) and tiers of strategies in priority order. Tier i opens when tier i-1's
 * window has run out with nobody taking the order; a tier that finds nobody is skipped at once.
 * Stored versioned in distribution_config; the highest version is in force.
 */

const Code = Type.String({ minLength: 1, maxLength: 100 });
const Codes = Type.Array(Code, { maxItems: 10_000 });
const Minutes = Type.Integer({ minimum: 1, maximum: 60 * 24 * 90, description: 'minutes' });

/** What an order must be like for a rule to apply; every criterion given must hold (each criterion: any of its values). */
export const OrderMatchSchema = Type.Object(
  {
    /** Region codes; an order in a sub-region (city) matches its region. */
    regions: Type.Optional(Codes),
    /** Any product line of the order's lines. */
    productLines: Type.Optional(Codes),
    skus: Type.Optional(Codes),
    brands: Type.Optional(Codes),
    /** Channel names. */
    channels: Type.Optional(Codes),
    channelKinds: Type.Optional(Codes),
    /** Any label of the order's channel. */
    channelLabels: Type.Optional(Codes),
    /** Order kinds as settings.orderKinds define them (e.g. installation). */
    orderKinds: Type.Optional(Codes),
  },
  { additionalProperties: false },
);
export type OrderMatch = Static<typeof OrderMatchSchema>;

const tierCommon = {
  /** A name for the trace and reports; the kind by default. */
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** How long the tier's dealers see the order before it goes on to the next tier. */
  windowMinutes: Minutes,
  /**
   * After the window, do the tier's dealers still see the order (default) or only the next tier's?
   * "If nobody in the priority set accepts in time, the order becomes visible to all": the priority
   * set normally stays in "all".
   */
  keepOffered: Type.Optional(Type.Boolean({ default: true })),
};

export const FixedTierSchema = Type.Object(
  {
    kind: Type.Literal('fixed'),
    ...tierCommon,
    /** "+ add strategy": each rule names a dealer for orders that match; every matching rule's dealer is offered the order. */
    rules: Type.Array(Type.Object({ dealer: Code, match: OrderMatchSchema }, { additionalProperties: false }), { minItems: 1, maxItems: 10_000 }),
  },
  { additionalProperties: false },
);

export const QuotaSchema = Type.Object(
  {
    dealer: Code,
    /** percent: share of the period's distributed orders; count: orders per period. */
    unit: Type.Union([Type.Literal('percent'), Type.Literal('count')]),
    limit: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);

export const BasePlusTierSchema = Type.Object(
  {
    kind: Type.Literal('base_plus'),
    ...tierCommon,
    /** The quota period, in settings.timeZone. */
    period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'month' }),
    quotas: Type.Array(QuotaSchema, { minItems: 1, maxItems: 1_000 }),
  },
  { additionalProperties: false },
);

export const RatingTierSchema = Type.Object(
  {
    kind: Type.Literal('rating'),
    ...tierCommon,
    /** "Minimum number of points to enter the top". */
    minPoints: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }),
    /** At most this many dealers, best first (all above minPoints when absent). */
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);

export const FastestTierSchema = Type.Object(
  {
    kind: Type.Literal('fastest'),
    ...tierCommon,
    /** The dealers with the shortest average acceptance time. */
    top: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Dealers with fewer taken orders have no meaningful average and are left out. */
    minTakes: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5 }),
  },
  { additionalProperties: false },
);

export const BaseTierSchema = Type.Object(
  {
    kind: Type.Literal('base'),
    ...tierCommon,
    /** "Delay of the strategy": during it only the priority dealers see the order. */
    delayMinutes: Type.Integer({ minimum: 0, maximum: 60 * 24 * 30, default: 0 }),
    priorityDealers: Type.Array(Code, { maxItems: 10_000, default: [] }),
  },
  { additionalProperties: false },
);

export const TaxiTierSchema = Type.Object(
  {
    kind: Type.Literal('taxi'),
    ...tierCommon,
    /** region: every eligible dealer of the order's region; everywhere: every eligible dealer, wherever it is. */
    scope: Type.Union([Type.Literal('region'), Type.Literal('everywhere')], { default: 'region' }),
  },
  { additionalProperties: false },
);

export const TierSchema = Type.Union([FixedTierSchema, BasePlusTierSchema, RatingTierSchema, FastestTierSchema, BaseTierSchema, TaxiTierSchema]);
export type Tier = Static<typeof TierSchema>;
export type TierKind = Tier['kind'];
export const TIER_KINDS: readonly TierKind[] = ['fixed', 'base_plus', 'rating', 'fastest', 'base', 'taxi'];

export const SettingsSchema = Type.Object(
  {
    /** "Points added when an order is completed". */
    pointsOnCompletion: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 100 }),
    /** "Points removed when an order is cancelled" by the dealer. */
    pointsOnDealerCancel: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 50 }),
    /** "Default fulfilment term (days)". */
    fulfilmentDays: Type.Integer({ minimum: 1, maximum: 3650, default: 14 }),
    /** "Order distribution department": gets what nobody is eligible for or nobody took. */
    fallbackDealer: Type.Optional(Code),
    /** "Default dealer for installation orders": orders that match go straight to the dealer, before any tier. */
    defaultDealers: Type.Array(Type.Object({ dealer: Code, match: OrderMatchSchema }, { additionalProperties: false }), { maxItems: 1_000, default: [] }),
    /** Named kinds of order: an order is of a kind when one of its lines is of those product lines or SKUs. */
    orderKinds: Type.Array(
      Type.Object(
        { kind: Code, productLines: Type.Optional(Codes), skus: Type.Optional(Codes) },
        { additionalProperties: false },
      ),
      { maxItems: 1_000, default: [] },
    ),
    /**
     * When a dealer's assortment covers an order: all (every product line), any (one line), or
     * share (at least minShare of the product lines).
     */
    assortment: Type.Object(
      {
        rule: Type.Union([Type.Literal('all'), Type.Literal('any'), Type.Literal('share')], { default: 'all' }),
        minShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      },
      { additionalProperties: false, default: { rule: 'all' } },
    ),
    /** Which orders are distributed: channel kinds (and/or channel names), in which core statuses. */
    distribute: Type.Object(
      {
        channelKinds: Type.Array(Code, { maxItems: 100, default: ['webshop', 'manual'] }),
        channels: Type.Array(Code, { maxItems: 10_000, default: [] }),
        statuses: Type.Array(Code, { minItems: 1, maxItems: 20, default: ['received', 'in_progress', 'on_hold'] }),
      },
      { additionalProperties: false, default: { channelKinds: ['webshop', 'manual'], channels: [], statuses: ['received', 'in_progress', 'on_hold'] } },
    ),
    /** Break ties (rating, base, taxi order of offers) by the shorter average acceptance time. */
    preferFastAcceptance: Type.Boolean({ default: false }),
    /** IANA zone the quota periods (day/week/month) are counted in. */
    timeZone: Type.String({ minLength: 1, maxLength: 64, default: 'UTC' }),
  },
  { additionalProperties: false },
);
export type DistributionSettings = Static<typeof SettingsSchema>;

export const DistributionConfigSchema = Type.Object(
  {
    settings: SettingsSchema,
    /** In priority order: the first tier offers first. */
    tiers: Type.Array(TierSchema, { maxItems: 50, default: [] }),
  },
  { additionalProperties: false },
);
export type DistributionConfig = Static<typeof DistributionConfigSchema>;

/** Every dealer code a configuration names (they must exist when it is saved). */
export function dealersNamedIn(config: DistributionConfig): string[] {
  const codes = new Set<string>();
  if (config.settings.fallbackDealer) codes.add(config.settings.fallbackDealer);
  for (const d of config.settings.defaultDealers) codes.add(d.dealer);
  for (const tier of config.tiers) {
    if (tier.kind === 'fixed') tier.rules.forEach((r) => codes.add(r.dealer));
    if (tier.kind === 'base_plus') tier.quotas.forEach((q) => codes.add(q.dealer));
    if (tier.kind === 'base') tier.priorityDealers.forEach((c) => codes.add(c));
  }
  return [...codes].sort();
}

/** Every region code the configuration's match rules name (they must exist when it is saved). */
export function regionsNamedIn(config: DistributionConfig): string[] {
  const codes = new Set<string>();
  for (const d of config.settings.defaultDealers) d.match.regions?.forEach((c) => codes.add(c));
  for (const tier of config.tiers) if (tier.kind === 'fixed') tier.rules.forEach((r) => r.match.regions?.forEach((c) => codes.add(c)));
  return [...codes].sort();
}
