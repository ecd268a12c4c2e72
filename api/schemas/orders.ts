import { Type } from '@sinclair/typebox';
import { AddressSchema } from '../../core/model/common.ts';
import { CustomerSchema, OrderDraftSchema, OrderLineKindSchema, OrderSourceSchema, OrderStatusSchema } from '../../core/model/order.ts';
import { ORDER_STATUSES } from '../../core/orders/order-status.ts';
import { STEP_NAMES } from '../../core/flows/order-steps.ts';
import { DecimalString, IsoDate, IsoDateTime, JsonObject, NextCursor, Nullable, PageQuery } from './common.ts';

export const ListOrdersQuerySchema = Type.Object({
  channelId: Type.Optional(Type.String({ minLength: 1 })),
  status: Type.Optional(
    // Checked by core, which names the unknown status; the pattern would only echo itself.
    Type.String({ minLength: 1, description: `One status or a comma list: ${ORDER_STATUSES.join(', ')}` }),
  ),
  placedFrom: Type.Optional(Type.Union([IsoDateTime, IsoDate], { description: 'Inclusive; a bare date means its start (UTC)' })),
  placedTo: Type.Optional(Type.Union([IsoDateTime, IsoDate], { description: 'Inclusive; a bare date means through its end (UTC)' })),
  region: Type.Optional(Type.String({ minLength: 1 })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the order number, external id, customer name or e-mail' })),
  ...PageQuery,
});

export const GetOrderQuerySchema = Type.Object({
  includeSnapshots: Type.Optional(Type.Boolean({ default: false, description: "Add each version's full order draft to the history" })),
});

const TotalsSchema = Type.Object({
  subtotal: DecimalString,
  discount: DecimalString,
  shipping: DecimalString,
  fee: DecimalString,
  tax: DecimalString,
  total: DecimalString,
  refunded: DecimalString,
  netTotal: DecimalString,
});

const orderSummaryFields = {
  id: Type.String(),
  channelId: Type.String(),
  channel: Type.Object({ name: Type.String(), kind: Type.String() }),
  externalId: Type.String(),
  number: Nullable(Type.String()),
  status: OrderStatusSchema,
  sourceStatus: Nullable(Type.String()),
  /** The channel's id of that status (Shoprenter, Unas), where it has one. */
  sourceStatusId: Nullable(Type.String()),
  customer: CustomerSchema,
  region: Nullable(Type.String()),
  currency: Type.String(),
  totals: TotalsSchema,
  placedAt: IsoDateTime,
  sourceUpdatedAt: Nullable(IsoDateTime),
  version: Type.Integer(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
};

export const OrderSummarySchema = Type.Object(orderSummaryFields);

export const OrderPageSchema = Type.Object({ items: Type.Array(OrderSummarySchema), nextCursor: NextCursor });

export const OrderLineSchema = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  kind: OrderLineKindSchema,
  externalId: Nullable(Type.String()),
  sku: Nullable(Type.String()),
  name: Type.String(),
  quantity: DecimalString,
  unitPrice: DecimalString,
  subtotal: DecimalString,
  discount: DecimalString,
  tax: DecimalString,
  total: DecimalString,
  attributes: JsonObject,
});

export const OrderRefundSchema = Type.Object({
  externalId: Type.String({ description: "The refund's id at the channel" }),
  amount: DecimalString,
  reason: Nullable(Type.String()),
  lines: Type.Array(JsonObject, {
    description:
      'Refunded lines; empty when only the amount is known. WooCommerce (refundDetails on): { kind, externalId, orderLineExternalId, productId, variationId, sku, name, quantity, amount, tax }, amounts positive',
  }),
  refundedAt: Nullable(IsoDateTime),
});

export const FieldChangeSchema = Type.Object({
  field: Type.String({ description: 'Field path, e.g. lines[2].quantity' }),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
  refused: Type.Optional(Type.String({ description: 'Why the core lifecycle refused this status change' })),
});

export const OrderVersionSchema = Type.Object({
  version: Type.Integer(),
  contentHash: Type.String(),
  changes: Type.Array(FieldChangeSchema),
  rawPayloadId: Nullable(Type.String()),
  createdAt: IsoDateTime,
  snapshot: Type.Optional(OrderDraftSchema),
});

export const OrderStepSchema = Type.Object({
  step: Type.Union(STEP_NAMES.map((n) => Type.Literal(n)), { description: 'The lifecycle step (core/flows): stock, acknowledgement, distribution, core_status, status_writeback, offer_again' }),
  key: Type.String({ description: 'What makes the step once-only: the order version (v2), the distribution round and status (r1:completed), the payload' }),
  outcome: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('skipped')]),
  attempts: Type.Integer(),
  error: Nullable(Type.String()),
  nextAttemptAt: Nullable(IsoDateTime),
  detail: JsonObject,
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

export const OrderAccountingSchema = Type.Object(
  {
    onec: Nullable(
      Type.Object({
        number: Nullable(Type.String({ description: 'Номер по 1С' })),
        date: Nullable(Type.String({ description: 'Дата по 1С, as 1C sent it' })),
        posted: Nullable(Type.Boolean({ description: 'Проведен' })),
        deletionMark: Nullable(Type.Boolean({ description: 'ПометкаУдаления' })),
        status: Nullable(Type.String({ description: "1C's status as sent (Статус заказа)" })),
        exportedVersion: Nullable(Type.Integer({ description: 'The order version 1C confirmed (sale&mode=success)' })),
        exportedAt: Nullable(IsoDateTime),
      }),
    ),
    paid: Type.String({ description: 'Σ of payments 1C reported (not marked for deletion)' }),
    paymentState: Type.Union([Type.Literal('unpaid'), Type.Literal('partially_paid'), Type.Literal('paid')]),
    shipped: Type.String({ description: 'Σ of shipments 1C reported' }),
    documents: Type.Array(
      Type.Object({
        kind: Type.Union([Type.Literal('payment'), Type.Literal('shipment')]),
        externalId: Type.String(),
        number: Nullable(Type.String()),
        date: Nullable(Type.String()),
        operation: Nullable(Type.String({ description: 'ХозОперация as 1C sent it' })),
        amount: Type.String(),
        posted: Nullable(Type.Boolean()),
        deleted: Type.Boolean(),
      }),
    ),
  },
  { description: "What the manufacturer's accounting (1C) says about the order" },
);

export const OrderDetailSchema = Type.Object({
  ...orderSummaryFields,
  source: OrderSourceSchema,
  billingAddress: Nullable(AddressSchema),
  shippingAddress: Nullable(AddressSchema),
  notes: Nullable(Type.String()),
  desiredDeliveryDate: Nullable(IsoDate),
  contentHash: Type.String(),
  lines: Type.Array(OrderLineSchema),
  refunds: Type.Array(OrderRefundSchema, { description: 'Refunds the channel reports, oldest first' }),
  history: Type.Array(OrderVersionSchema, { description: 'Every version, oldest first' }),
  lifecycle: Type.Array(OrderStepSchema, { description: 'What the hub did with the order, step by step, oldest first' }),
  accounting: OrderAccountingSchema,
});
