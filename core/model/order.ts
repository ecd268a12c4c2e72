import { Type, type Static } from '@sinclair/typebox';
import { AddressSchema, IsoDate, IsoDateTime, MoneyString, UnitPriceString } from './common.ts';
import { ORDER_STATUSES } from '../orders/order-status.ts';

export const OrderStatusSchema = Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)));

export const CustomerSchema = Type.Object({
  externalId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  company: Type.Optional(Type.String()),
  taxNumber: Type.Optional(Type.String()),
});
export type Customer = Static<typeof CustomerSchema>;

/** Where an order came from inside its channel: which shop/store/partner/operator and campaign. */
export const OrderSourceSchema = Type.Object({
  shop: Type.Optional(Type.String()),
  store: Type.Optional(Type.String()),
  partner: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  createdVia: Type.Optional(Type.String()),
  /** The dealer that buys, on a dealer's own purchase (a manual order with dealerCode); 1C's exchange sends these as dealer purchases. */
  dealerCode: Type.Optional(Type.String()),
  campaign: Type.Optional(Type.String()),
  utm: Type.Optional(
    Type.Object({
      source: Type.Optional(Type.String()),
      medium: Type.Optional(Type.String()),
      campaign: Type.Optional(Type.String()),
      term: Type.Optional(Type.String()),
      content: Type.Optional(Type.String()),
    }),
  ),
});
export type OrderSource = Static<typeof OrderSourceSchema>;

export const OrderLineKindSchema = Type.Union([
  Type.Literal('product'),
  Type.Literal('shipping'),
  Type.Literal('fee'),
  Type.Literal('discount'),
]);

export const OrderLineDraftSchema = Type.Object({
  kind: OrderLineKindSchema,
  externalId: Type.Optional(Type.String()),
  sku: Type.Optional(Type.String()),
  name: Type.String(),
  quantity: MoneyString,
  unitPrice: UnitPriceString,
  /** Before discounts. */
  subtotal: MoneyString,
  discount: MoneyString,
  tax: MoneyString,
  /** After discounts, before tax. */
  total: MoneyString,
  /** Variation attributes, meta data and other source details of the line. */
  attributes: Type.Record(Type.String(), Type.Unknown()),
});
export type OrderLineDraft = Static<typeof OrderLineDraftSchema>;

export const OrderTotalsSchema = Type.Object({
  subtotal: MoneyString,
  discount: MoneyString,
  shipping: MoneyString,
  fee: MoneyString,
  tax: MoneyString,
  total: MoneyString,
});
export type OrderTotals = Static<typeof OrderTotalsSchema>;

/** A refund the channel reports on the order. Amounts are positive; they do not change `totals.total`. */
export const OrderRefundDraftSchema = Type.Object({
  /** The refund's id at the channel: the same refund read again is the same record. */
  externalId: Type.String({ minLength: 1 }),
  amount: MoneyString,
  reason: Type.Optional(Type.String()),
  /** Refunded lines as the channel reports them (its own shape); empty when only the amount is known. */
  lines: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  refundedAt: Type.Optional(IsoDateTime),
});
export type OrderRefundDraft = Static<typeof OrderRefundDraftSchema>;

/**
 * Details of an order's refunds read from a payload of their own (a refund list fetched apart from its
 * order, e.g. WooCommerce's `/orders/<id>/refunds`). Core writes them onto the order's refund records
 * (same channel, order by `orderExternalId`, refund by `externalId`); it never drops a refund for not
 * being listed here (a list may be one page of several). `lines` and `refundedAt` replace the stored
 * ones only when given.
 */
export const OrderRefundDetailsSchema = Type.Object({
  /** The order's id at the channel (its drafts' externalId). */
  orderExternalId: Type.String({ minLength: 1 }),
  refunds: Type.Array(OrderRefundDraftSchema),
});
export type OrderRefundDetails = Static<typeof OrderRefundDetailsSchema>;

/** What a mapping produces from a source payload; core turns it into an order or a new version. */
export const OrderDraftSchema = Type.Object({
  externalId: Type.String({ minLength: 1 }),
  number: Type.Optional(Type.String()),
  status: OrderStatusSchema,
  sourceStatus: Type.Optional(Type.String()),
  /** The channel's own id of that status, where the channel names statuses by id too (Shoprenter, Unas): what a status write-back sends. */
  sourceStatusId: Type.Optional(Type.String()),
  source: OrderSourceSchema,
  customer: CustomerSchema,
  billingAddress: Type.Optional(AddressSchema),
  shippingAddress: Type.Optional(AddressSchema),
  region: Type.Optional(Type.String()),
  currency: Type.String({ minLength: 1 }),
  totals: OrderTotalsSchema,
  lines: Type.Array(OrderLineDraftSchema),
  notes: Type.Optional(Type.String()),
  desiredDeliveryDate: Type.Optional(IsoDate),
  placedAt: IsoDateTime,
  /**
   * Refunds the channel reports, when its mapping reads them. Present (even empty) means "these are all
   * of them": intake drops stored refunds the channel no longer lists. Absent leaves them as they are.
   */
  refunds: Type.Optional(Type.Array(OrderRefundDraftSchema)),
  /** The source's own modification time; an older draft never overwrites a newer one. */
  sourceUpdatedAt: Type.Optional(IsoDateTime),
  /**
   * How this copy travelled (EDI envelope and control numbers, delivery ids): kept in the version
   * snapshot for answers such as acknowledgements, but not part of the order's content, so the
   * same order resent in a new envelope is not a new version.
   */
  transport: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type OrderDraft = Static<typeof OrderDraftSchema>;

/** A mapping's verdict on one payload: the orders it holds and the ones it could not read. */
export interface MappingResult {
  orders: OrderDraft[];
  errors: MappingError[];
  /** Records the mapping knowingly does not read (an invoice in an order channel): not errors, but ops see them. */
  skipped?: MappingSkip[];
  /** What the mapping noticed without rejecting anything (EDI: UNZ count mismatch, unknown syntax id): kept on the payload. */
  warnings?: string[];
  /** EDI envelopes the payload carries: core flags a control number a partner already sent in another payload. */
  interchanges?: InterchangeControls[];
  /** Refund details of orders the payload does not carry (a refund list of its own): written onto their refund records. */
  refundDetails?: OrderRefundDetails[];
}

/** The control numbers of one EDI interchange, as its sender numbered it. */
export interface InterchangeControls {
  syntax: 'edifact' | 'x12';
  /** The partner: interchange sender (UNB S002 / ISA06), `qualifier:id` when qualified. */
  sender: string;
  recipient: string;
  /** UNB 0020 / ISA13. */
  controlRef: string;
  /** UNG 0048 / GS06. */
  groups: string[];
  // UNH 0062 / ST02 are unique only inside their interchange or group: not compared across payloads, not reported.
}

export interface MappingSkip {
  ref?: string;
  reason: string;
}

export interface MappingError {
  /** Which record in the payload (external id, index) failed, when known. */
  ref?: string;
  message: string;
}
