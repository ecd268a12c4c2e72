import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { DistributionConfigSchema, TIER_KINDS, type TierKind } from '../../core/distribution/distribution-config.ts';
import type { DealerCheck, PlanOutcome, TierFilter } from '../../core/distribution/distribution-plan.ts';
import { WhatIfInputSchema } from '../../core/distribution/what-if.ts';
import { DecimalString, IsoDate, IsoDateTime, Nullable } from './common.ts';
import { ExclusivityRuleRefSchema } from './exclusivity.ts';

/**
 * Distribution: the strategy configuration's versions, dealers' and admins' order lists, taking,
 * declining and moving orders on, the decision trace, reports, what-if and notifications. Answers
 * mirror core's views (core/distribution/*.ts), which test/api/dealers-and-distribution.test.ts
 * checks type by type.
 */

const literals = <T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> => Type.Union(values.map((v) => Type.Literal(v)));

const DEALER_CHECKS: readonly DealerCheck[] = ['inactive', 'not_authorised', 'not_accepting', 'region', 'assortment', 'exclusivity', 'declined'];
const TIER_FILTERS: readonly TierFilter[] = ['points', 'quota', 'top', 'no_takes', 'fixed_rule', 'already_offered', 'region'];
const PLAN_OUTCOMES: readonly PlanOutcome[] = ['offer', 'assign', 'unassigned'];

const OrderIdParam = Type.String({ minLength: 1, maxLength: 100 });
const DealerCodeParam = Type.String({ minLength: 1, maxLength: 100, description: 'dealer code' });
const Limit = (max: number, byDefault: number) => Type.Optional(Type.Integer({ minimum: 1, maximum: max, description: `default ${byDefault}` }));
const Offset = Type.Optional(Type.Integer({ minimum: 0 }));
const Search = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'order number, client name or product name contains this (case-insensitive)' }));
const Overdue = Type.Optional(Type.Boolean({ description: 'only orders past their fulfilment term' }));

// ---- configuration -----------------------------------------------------------------------------------------------------

export const ConfigVersionParamsSchema = Type.Object({ version: Type.Integer({ minimum: 1 }) });

export const ConfigVersionSchema = Type.Object(
  {
    version: Type.Integer(),
    config: DistributionConfigSchema,
    note: Nullable(Type.String()),
    createdBy: Type.String(),
    createdAt: IsoDateTime,
  },
  { title: 'DistributionConfigVersion' },
);

/**
 * The configuration travels unvalidated by the HTTP layer: its tiers are a union whose branches
 * carry defaults, which fastify's validator (removeAdditional, strict defaults) cannot take. The hub
 * validates it (filling in the defaults) and names the field at fault as config.<path>.
 */
const ConfigInput = Type.Unknown({ description: 'a distribution strategy configuration: the `config` of DistributionConfigVersion (defaults may be left out)' });

export const SaveConfigBodySchema = Type.Object(
  { config: ConfigInput, note: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 1000, description: 'why this version (shown in the history)' }))) },
  { additionalProperties: false },
);

export const ValidateConfigBodySchema = Type.Object({ config: ConfigInput }, { additionalProperties: false });

export const ValidConfigSchema = Type.Object(
  { valid: Type.Literal(true), config: DistributionConfigSchema },
  { title: 'ValidDistributionConfig', description: 'the configuration as it would be saved, defaults filled in' },
);

// ---- order lists -------------------------------------------------------------------------------------------------------

export const DealerParamsSchema = Type.Object({ code: DealerCodeParam });
export const DealerOrderParamsSchema = Type.Object({ code: DealerCodeParam, orderId: OrderIdParam });

export const AllOrdersQuerySchema = Type.Object({
  status: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'distribution status: offering, unassigned, assigned, contacted, in_progress, completed, cancelled' })),
  dealer: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'only orders of this dealer (code)' })),
  overdue: Overdue,
  q: Search,
  limit: Limit(500, 50),
  offset: Offset,
});

export const DealerOrdersQuerySchema = Type.Object({
  view: Type.Union([Type.Literal('offered'), Type.Literal('mine'), Type.Literal('completed'), Type.Literal('all')], {
    default: 'offered',
    description:
      'offered: offered to the dealer now (no client contacts); mine: the dealer’s orders in work; completed: completed or cancelled; ' +
      'all: the three together, newest first (contacts only on the dealer’s own orders)',
  }),
  status: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'distribution status' })),
  overdue: Overdue,
  q: Search,
  responsible: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "only the orders this user (a manager's login) answers for" })),
  limit: Limit(500, 50),
  offset: Offset,
});

export const ReassignBodySchema = Type.Object({ login: Type.String({ minLength: 1, maxLength: 200, description: "the dealer's manager who answers for the order from now on" }) }, { additionalProperties: false });
export const ReassignResultSchema = Type.Object({ orderId: Type.String(), dealerCode: Type.String(), responsible: Type.String() }, { title: 'ReassignResult' });

export const DealerOrderRowSchema = Type.Object(
  {
    orderId: Type.String(),
    number: Nullable(Type.String()),
    distributionStatus: Type.String(),
    orderStatus: Type.String(),
    channel: Type.String(),
    region: Nullable(Type.String()),
    placedAt: IsoDateTime,
    client: Type.Object(
      {
        name: Nullable(Type.String()),
        phone: Type.Optional(Nullable(Type.String())),
        email: Type.Optional(Nullable(Type.String())),
        city: Nullable(Type.String()),
      },
      { description: 'contacts only once the dealer has the order' },
    ),
    product: Nullable(Type.String({ description: "the first product line's name" })),
    productLines: Type.Integer(),
    total: DecimalString,
    currency: Type.String(),
    dealer: Nullable(Type.String()),
    assignedVia: Nullable(Type.String()),
    assignedAt: Nullable(IsoDateTime),
    responsible: Nullable(Type.String({ description: "login of the dealer's user who answers for the order" })),
    dueAt: Nullable(IsoDateTime),
    overdue: Type.Boolean(),
    offer: Type.Optional(
      Type.Object({ tier: Type.String(), visibleFrom: IsoDateTime, expiresAt: Nullable(IsoDateTime) }, { description: "the offered view: the dealer's offer" }),
    ),
  },
  { title: 'DealerOrderRow' },
);

export const OrderListSchema = Type.Object({ orders: Type.Array(DealerOrderRowSchema), total: Type.Integer() }, { title: 'DistributedOrderList' });

// ---- a dealer's actions ------------------------------------------------------------------------------------------------

export const TakeResultSchema = Type.Object(
  {
    orderId: Type.String(),
    dealerCode: Type.String(),
    status: Type.Literal('assigned'),
    dueAt: IsoDateTime,
    secondsToTake: Type.Integer({ description: 'from the moment the offer became visible to the dealer to the take' }),
    alreadyYours: Type.Boolean({ description: 'the dealer had already taken it (asking again is harmless)' }),
  },
  { title: 'TakeResult' },
);

export const DeclineBodySchema = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why (reported with the refusal reasons)' }) }, { additionalProperties: false });

export const DeclineResultSchema = Type.Object(
  {
    orderId: Type.String(),
    escalated: Type.Boolean({ description: 'nobody who sees the order is left: the next tier opened now (or the fallback got it)' }),
    status: Type.String({ description: 'the distribution status after the decline' }),
  },
  { title: 'DeclineResult' },
);

export const StatusChangeBodySchema = Type.Object(
  {
    status: Type.Union([Type.Literal('contacted'), Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('cancelled')]),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'required to cancel' })),
  },
  { additionalProperties: false },
);

export const StatusChangeResultSchema = Type.Object(
  {
    orderId: Type.String(),
    status: Type.String(),
    points: Nullable(Type.Object({ delta: Type.Integer(), balance: Type.Integer() }, { description: "the change of the dealer's points it caused" })),
  },
  { title: 'StatusChangeResult' },
);

// ---- the decision trace and a distribution's details -------------------------------------------------------------------

const DealerVerdictSchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    regionMatch: literals(['covers', 'within', 'none'] as const),
    failed: Type.Array(
      Type.Object({
        check: literals(DEALER_CHECKS),
        message: Type.String(),
        rules: Type.Optional(Type.Array(ExclusivityRuleRefSchema, { description: 'exclusivity: the rules that exclude the dealer' })),
      }),
      { description: 'empty when the dealer is eligible' },
    ),
    points: Type.Integer(),
    avgTakeSeconds: Nullable(Type.Number()),
  },
  { title: 'DealerVerdict' },
);

const TierTraceSchema = Type.Object(
  {
    index: Type.Integer(),
    kind: literals<TierKind>(TIER_KINDS),
    name: Type.String(),
    opensAt: Nullable(IsoDateTime),
    closesAt: Nullable(IsoDateTime),
    /** Set once an early escalation moved the tier (opensAt/closesAt stay the plan). */
    actualOpensAt: Type.Optional(Nullable(IsoDateTime)),
    actualClosesAt: Type.Optional(Nullable(IsoDateTime)),
    offeredTo: Type.Array(Type.Object({
      code: Type.String(), rank: Type.Integer(), visibleFrom: IsoDateTime,
      /** Set once an early escalation moved the offer: when it actually became visible (visibleFrom stays the plan). */
      visibleAt: Type.Optional(IsoDateTime),
      expiresAt: Nullable(IsoDateTime),
    })),
    filtered: Type.Array(Type.Object({ code: Type.String(), filter: literals(TIER_FILTERS), message: Type.String() })),
    skipped: Nullable(Type.String({ description: 'why the tier offered nobody' })),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'strategy-specific numbers (quota maths, minimum points, ...)' }),
  },
  { title: 'TierTrace' },
);

export const DecisionTraceSchema = Type.Object(
  {
    decidedAt: IsoDateTime,
    configVersion: Type.Integer(),
    order: Type.Object({
      regionCode: Nullable(Type.String()),
      regionKnown: Type.Boolean(),
      orderKinds: Type.Array(Type.String()),
      productLines: Type.Array(Type.String()),
      skus: Type.Array(Type.String()),
      channel: Type.String(),
      stockCheck: Nullable(Type.String({ description: "the manufacturer's stock check of this order version: confirmed | partial | unavailable; null when not checked" })),
      exclusivity: Nullable(
        Type.Object(
          {
            regionCode: Nullable(Type.String()),
            date: IsoDate,
            byOrderRegion: Type.Boolean({ description: "false when the order's region is unknown: dealers were judged by their own regions" }),
            restricted: Type.Array(
              Type.Object({ index: Type.Integer(), sku: Type.String(), partners: Type.Array(Type.String()), rules: Type.Array(ExclusivityRuleRefSchema), reason: Type.String() }),
              { description: "the order's lines a rule restricts in its region: only their partners may be offered the order" },
            ),
          },
          { description: 'regional exclusivity by the order\'s delivery region; null when not judged' },
        ),
      ),
    }),
    defaultDealer: Type.Array(Type.Object({ dealer: Type.String(), matched: Type.Boolean(), usable: Type.Boolean(), message: Type.String() })),
    dealers: Type.Array(DealerVerdictSchema),
    tiers: Type.Array(TierTraceSchema),
    result: Type.Object({
      outcome: literals(PLAN_OUTCOMES),
      dealer: Nullable(Type.String()),
      via: Nullable(Type.Union([Type.Literal('default'), Type.Literal('fallback')])),
      reason: Type.String(),
    }),
  },
  { title: 'DecisionTrace' },
);

export const DistributionDetailsSchema = Type.Object(
  {
    orderId: Type.String(),
    number: Nullable(Type.String()),
    status: Type.String(),
    configVersion: Type.Integer(),
    round: Type.Integer(),
    startedAt: IsoDateTime,
    deadlineAt: Nullable(IsoDateTime),
    dealer: Nullable(Type.String()),
    assignedVia: Nullable(Type.String()),
    assignedAt: Nullable(IsoDateTime),
    responsible: Nullable(Type.String({ description: "login of the dealer's user who answers for the order" })),
    dueAt: Nullable(IsoDateTime),
    completedAt: Nullable(IsoDateTime),
    cancelledAt: Nullable(IsoDateTime),
    cancelledBy: Nullable(Type.String()),
    cancelReason: Nullable(Type.String()),
    overdue: Type.Boolean(),
    trace: Nullable(DecisionTraceSchema),
    offers: Type.Array(
      Type.Object({
        dealer: Type.String(),
        round: Type.Integer(),
        tier: Type.Integer(),
        tierKind: Type.String(),
        rank: Type.Integer(),
        visibleFrom: IsoDateTime,
        expiresAt: Nullable(IsoDateTime),
        status: Type.String(),
        declineReason: Nullable(Type.String()),
        respondedAt: Nullable(IsoDateTime),
      }),
    ),
    events: Type.Array(
      Type.Object({ id: Type.String(), kind: Type.String(), dealer: Nullable(Type.String()), actor: Nullable(Type.String()), detail: Type.Unknown(), at: IsoDateTime }),
    ),
  },
  { title: 'DistributionDetails', description: 'a dealer sees no trace, and only its own offers and events' },
);

// ---- admin's actions ---------------------------------------------------------------------------------------------------

export const OrderIdParamsSchema = Type.Object({ id: OrderIdParam });

export const DistributeBodySchema = Type.Object(
  {
    force: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'true (default): decide again whatever the state (not a completed order); false: only bring the distribution up to date with the order',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DistributeOutcomeSchema = Type.Object(
  {
    orderId: Type.String(),
    action: literals(['distributed', 'redistributed', 'cancelled', 'unchanged', 'skipped'] as const),
    status: Type.Optional(Type.String({ description: 'the distribution status after the call (absent when skipped)' })),
    reason: Type.String(),
  },
  { title: 'DistributeOutcome' },
);

export const AssignBodySchema = Type.Object(
  {
    dealer: Type.String({ minLength: 1, maxLength: 100, description: 'dealer code' }),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    force: Type.Optional(Type.Boolean({ description: 'assign although the dealer is not authorised or is excluded by regional exclusivity (never a blocked dealer); needs reason' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'why the assignment is forced (required with force): recorded in the order history and the audit log' })),
  },
  { additionalProperties: false },
);

export const AssignResultSchema = Type.Object(
  { orderId: Type.String(), dealerCode: Type.String(), status: Type.Literal('assigned'), dueAt: IsoDateTime, forced: Type.Boolean() },
  { title: 'AssignResult' },
);

export const AdvanceReportSchema = Type.Object(
  {
    notified: Type.Integer({ description: 'offers that became visible and were notified' }),
    fellBack: Type.Integer({ description: 'orders nobody took by the deadline, handed to the fallback (or left unassigned)' }),
    overdue: Type.Integer({ description: 'orders whose fulfilment term ran out' }),
    swept: Type.Integer({ description: 'orders an interrupted intake never distributed, distributed now' }),
    steps: Type.Optional(
      Type.Object(
        {
          ran: Type.Integer({ description: 'order lifecycle steps whose retry was due and ran again' }),
          done: Type.Integer(),
          failed: Type.Integer({ description: 'failed again: retried later with backoff (see the order\'s lifecycle history)' }),
        },
        { description: "the order lifecycle's due steps, retried (docs/lifecycle.md)" },
      ),
    ),
  },
  { title: 'AdvanceReport' },
);

// ---- what-if -----------------------------------------------------------------------------------------------------------

export const WhatIfBodySchema = WhatIfInputSchema;

const StatsSchema = Type.Object({ count: Type.Integer(), average: Type.Number(), median: Type.Number(), p90: Type.Number() });

export const WhatIfReportSchema = Type.Object(
  {
    configVersion: Nullable(Type.Integer({ description: 'null: the configuration given in the request' })),
    from: IsoDateTime,
    to: IsoDateTime,
    orders: Type.Integer(),
    notDistributed: Type.Integer({ description: 'orders the configuration would not distribute (not counted in orders)' }),
    outcomes: Type.Object({ offered: Type.Integer(), default: Type.Integer(), fallback: Type.Integer(), unassigned: Type.Integer(), fellBackAfterOffers: Type.Integer() }),
    byDealer: Type.Array(Type.Object({ dealer: Type.String(), offered: Type.Integer(), wouldGet: Type.Integer(), actuallyGot: Type.Integer() })),
    byTier: Type.Array(Type.Object({ tier: Type.Integer(), kind: Type.String(), name: Type.String(), orders: Type.Integer(), taken: Type.Integer() })),
    minutesToAssignment: Type.Object(
      { simulated: Nullable(StatsSchema), actual: Nullable(StatsSchema) },
      { description: "the orders' wait: minutes from distribution start to a dealer's take (not a dealer's take time)" },
    ),
    secondsToTake: Type.Object(
      { simulated: Nullable(StatsSchema), actual: Nullable(StatsSchema) },
      { description: "take time as the dealer record and the refusals report define it: seconds from the offer becoming visible to the taker until its take (actual: from the taken events)" },
    ),
    sample: Type.Array(
      Type.Object({
        orderId: Type.String(),
        number: Nullable(Type.String()),
        placedAt: IsoDateTime,
        outcome: literals(PLAN_OUTCOMES),
        dealer: Nullable(Type.String()),
        via: Nullable(Type.Union([Type.Literal('take'), Type.Literal('default'), Type.Literal('fallback')])),
        tier: Nullable(Type.String()),
        quotaDealer: Nullable(Type.String({ description: "the Base+ quota dealer the order counts against" })),
        minutesToAssignment: Nullable(Type.Number({ description: "the order's wait: minutes from distribution start to the simulated take" })),
        secondsToTake: Nullable(Type.Integer({ description: "the simulated taker's take time: seconds from its offer becoming visible" })),
        offeredTo: Type.Integer(),
        actualDealer: Nullable(Type.String()),
        actualVia: Nullable(Type.String()),
        actualSecondsToTake: Nullable(Type.Integer({ description: "the actual taker's take time: seconds from its offer becoming visible" })),
      }),
    ),
  },
  { title: 'WhatIfReport' },
);

// ---- reports and notifications -----------------------------------------------------------------------------------------

export const RefusalsQuerySchema = Type.Object({
  from: IsoDateTime,
  to: IsoDateTime,
});

export const RefusalReportSchema = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    declines: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer(), dealers: Type.Integer() })),
    cancellations: Type.Array(Type.Object({ cancelledBy: Type.String(), reason: Type.String(), count: Type.Integer() })),
    takes: Type.Array(Type.Object({ dealer: Type.String(), taken: Type.Integer(), avgSecondsToTake: Nullable(Type.Integer()), avgMinutesToTake: Nullable(Type.Number()) }), {
      description: "per dealer: its takes and the average time from the moment the offer became visible to the dealer to the take (the dealer record's definition), in seconds and in minutes (one decimal) for display",
    }),
  },
  { title: 'RefusalReport' },
);

export const NotificationsQuerySchema = Type.Object({
  unread: Type.Optional(Type.Boolean({ description: 'only unread ones' })),
  limit: Limit(1000, 100),
});

export const NotificationSchema = Type.Object(
  {
    id: Type.String(),
    dealer: Nullable(Type.String()),
    orderId: Nullable(Type.String()),
    orderNumber: Nullable(Type.String({ description: "the order's number as its channel gave it" })),
    kind: Type.String({ description: 'offered, assigned, cancelled, reassigned, overdue, order_changed, …' }),
    message: Type.String({ description: 'the notice in English' }),
    createdAt: IsoDateTime,
    readAt: Nullable(IsoDateTime),
  },
  { title: 'Notification' },
);

export const MarkReadBodySchema = Type.Object(
  { ids: Type.Array(Type.String({ pattern: '^\\d{1,18}$' }), { minItems: 1, maxItems: 1000, description: 'notification ids' }) },
  { additionalProperties: false },
);

export const MarkReadResultSchema = Type.Object({ marked: Type.Integer({ description: 'notifications that were unread and are read now' }) }, { title: 'MarkReadResult' });
