import { Type } from '@sinclair/typebox';
import { DealerBuyerSchema, ManualOrderContentSchema, ManualOrderViaSchema, OrderedLineSchema } from '../../core/model/manual-order.ts';
import { QUOTE_STATUSES } from '../../core/quotes/quote-status.ts';
import { DecimalString, IsoDateTime, Nullable } from './common.ts';

/** What the desk sends; the operator is the signed-in user, never a field of the body. */
export const ManualOrderBodySchema = Type.Intersect([
  Type.Omit(ManualOrderContentSchema, ['lines']),
  Type.Object({
    lines: Type.Array(OrderedLineSchema, { minItems: 1 }),
    via: ManualOrderViaSchema,
    dealerCode: Type.Optional(DealerBuyerSchema),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'your own id for the order; repeats of it are the same order' })),
    number: Type.Optional(Type.String()),
  }),
]);

export const ManualOrderReceiptSchema = Type.Object(
  {
    payloadId: Type.String(),
    orderId: Type.String(),
    externalId: Type.String(),
    outcome: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged'), Type.Literal('stale')]),
    version: Type.Integer(),
  },
  { title: 'ManualOrderReceipt' },
);

const QuoteStatusSchema = Type.Union(QUOTE_STATUSES.map((s) => Type.Literal(s)));

export const QuoteSchema = Type.Object(
  {
    id: Type.String(),
    number: Type.String(),
    channelId: Type.String(),
    status: QuoteStatusSchema,
    version: Type.Integer(),
    content: ManualOrderContentSchema,
    priced: Type.Object({ subtotal: DecimalString, discount: DecimalString, shipping: DecimalString, fee: DecimalString, tax: DecimalString, total: DecimalString }),
    createdBy: Type.String(),
    lostReason: Nullable(Type.String()),
    sentAt: Nullable(IsoDateTime),
    acceptedAt: Nullable(IsoDateTime),
    lostAt: Nullable(IsoDateTime),
    convertedAt: Nullable(IsoDateTime),
    orderId: Nullable(Type.String()),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    versions: Type.Optional(Type.Array(Type.Object({ version: Type.Integer(), changedBy: Type.String(), createdAt: IsoDateTime, content: ManualOrderContentSchema }))),
  },
  { title: 'Quote' },
);

export const CreateQuoteBodySchema = Type.Object({ channelId: Type.String({ minLength: 1 }), content: ManualOrderContentSchema });
export const ReviseQuoteBodySchema = Type.Object({ content: ManualOrderContentSchema });
export const LoseQuoteBodySchema = Type.Object({ reason: Type.String({ minLength: 1 }) });
export const ListQuotesQuerySchema = Type.Object({ status: Type.Optional(QuoteStatusSchema), channelId: Type.Optional(Type.String()) });
export const QuoteConversionSchema = Type.Object({ quote: QuoteSchema, orderId: Type.String(), created: Type.Boolean() }, { title: 'QuoteConversion' });
