import { Type } from '@sinclair/typebox';
import { DecimalString, IsoDateTime, Nullable } from './common.ts';
import { DealerOrderRowSchema, DealerOrdersQuerySchema } from './distribution.ts';

/**
 * The dealer cabinet's extras on top of a dealer's order list (api/schemas/distribution.ts): the
 * tabs' counts, one order's card, order comments and the live events stream. Answers mirror
 * core/distribution/dealer-cabinet.ts.
 */

export const COMMENT_VISIBILITIES = ['client', 'internal'] as const;
const Visibility = Type.Union(COMMENT_VISIBILITIES.map((v) => Type.Literal(v)), {
  description: 'client: meant for the client (stored and flagged; not sent to the shop yet); internal: the dealer and the manufacturer only',
});

export const DealerOrderCountsQuerySchema = Type.Omit(DealerOrdersQuerySchema, ['view', 'limit', 'offset']);

export const DealerOrderCountsSchema = Type.Object(
  {
    offered: Type.Integer({ description: 'offered to the dealer now' }),
    mine: Type.Integer({ description: "the dealer's orders in work" }),
    completed: Type.Integer({ description: 'completed or cancelled' }),
    all: Type.Integer({ description: 'the three together' }),
  },
  { title: 'DealerOrderCounts', description: "the counts of the cabinet's tabs (Available / My / Completed / All), with the list's filters" },
);

export const OrderCommentSchema = Type.Object(
  {
    id: Type.String(),
    at: IsoDateTime,
    author: Type.String({ description: 'login' }),
    authorName: Nullable(Type.String()),
    visibility: Visibility,
    text: Type.String(),
  },
  { title: 'OrderComment' },
);

export const OrderCommentListSchema = Type.Object({ comments: Type.Array(OrderCommentSchema) }, { title: 'OrderCommentList' });

export const OrderCommentBodySchema = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 4000 }), visibility: Visibility },
  { additionalProperties: false },
);

export const DealerOrderCardSchema = Type.Object(
    {
      ...DealerOrderRowSchema.properties,
      lines: Type.Array(
        Type.Object({
          sku: Nullable(Type.String()),
          name: Type.String(),
          quantity: DecimalString,
          unitPrice: Nullable(DecimalString),
          total: Nullable(DecimalString),
        }),
      ),
      delivery: Type.Object(
        { region: Nullable(Type.String()), city: Nullable(Type.String()), address: Nullable(Type.String({ description: 'only once the dealer has the order' })) },
      ),
      history: Type.Array(
        Type.Object({
          at: IsoDateTime,
          kind: Type.String({ description: 'offer_visible, taken, declined, assigned, status, responsible, comment, …' }),
          actor: Nullable(Type.String()),
          text: Type.String({ description: 'the line in English' }),
          facts: Type.Object(
            {
              tier: Type.Optional(Type.String()),
              reason: Type.Optional(Type.String()),
              via: Type.Optional(Type.String({ description: 'how it was assigned: admin, fallback, default, …' })),
              from: Type.Optional(Type.String()),
              to: Type.Optional(Type.String()),
              points: Type.Optional(Type.Integer({ description: "the change of the dealer's points it caused" })),
              visibility: Type.Optional(Type.String()),
            },
            { description: 'what the line says, as values, for a screen to say it in its own language' },
          ),
        }),
        { description: "the order's distribution events this dealer may see (never other dealers' names or declines)" },
      ),
      comments: Type.Array(OrderCommentSchema, { description: 'empty while the order is only offered' }),
      allowed: Type.Object(
        {
          take: Type.Boolean(),
          decline: Type.Boolean(),
          statuses: Type.Array(Type.String(), { description: 'the statuses this user may move the order to now' }),
          reassign: Type.Boolean(),
          comment: Type.Boolean(),
        },
        { description: 'what this user may do with the order now' },
      ),
    },
  { title: 'DealerOrderCard', description: 'every DealerOrderRow field (offer: while it is offered to the dealer) and the rest of the card' },
);

export const DealerEventsDescription =
  'Server-Sent Events (text/event-stream) for the signed-in dealer user (the session cookie from EventSource on the same origin works): ' +
  '`event: orders` with data {"orderId", "reason": "offered" | "taken" | "lost" | "changed"} whenever an order this dealer sees or saw changes ' +
  '(an offer became visible to it, it or another dealer took it, a status step, a reassignment, a comment); ' +
  '`event: notification` with data {"id", "kind", "message", "orderId"} for each new notification of the dealer; a `: ping` comment every 20 s. ' +
  'The stream ends when the session ends or the hub stops; EventSource reconnects by itself, refetch the lists then.';
