import { Type } from '@sinclair/typebox';
import { DecimalString, IsoDate, IsoDateTime, Nullable } from './common.ts';

/**
 * A dealer's purchase orders to the manufacturer (the dealer portal's "closed shop", seed 002):
 * check a basket (prices at the dealer's column, availability by the desired date, exclusivity per
 * line), place it through the manual intake, and its history. Views: core/dealers/dealer-purchases.ts.
 */

const Quantity = Type.String({ pattern: '^(?!0+(\\.0+)?$)\\d{1,14}(\\.\\d{1,4})?$', description: 'decimal string > 0, at most 14 integer and 4 fractional digits' });

export const PurchaseLineInputSchema = Type.Object(
  { sku: Type.String({ minLength: 1, maxLength: 200 }), quantity: Quantity },
  { additionalProperties: false, title: 'PurchaseLineInput' },
);

const basketFields = {
  lines: Type.Array(PurchaseLineInputSchema, { minItems: 1, maxItems: 200 }),
  desiredDate: Type.Optional(Type.String({ ...IsoDate, description: 'the date the dealer wants the goods by (YYYY-MM-DD); without it: as soon as possible' })),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "delivery region code: widens the dealer's territory for exclusivity and picks a regional price column" })),
};

export const PurchaseCheckBodySchema = Type.Object(basketFields, { additionalProperties: false, title: 'PurchaseCheckBody' });

export const PlacePurchaseBodySchema = Type.Object(
  {
    ...basketFields,
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the dealer's own PO number: the same reference again is the same order (200, nothing recorded twice)" })),
  },
  { additionalProperties: false, title: 'PlacePurchaseBody' },
);

export const PriceColumnBriefSchema = Type.Object({ id: Type.String(), name: Type.String() }, { title: 'PriceColumnBrief' });

export const PurchaseAvailabilitySchema = Type.Object(
  {
    status: Type.Union([Type.Literal('available'), Type.Literal('partial'), Type.Literal('unavailable')]),
    inStock: Type.String({ ...DecimalString, description: "what this line takes from the manufacturer's stock on hand now" }),
    incoming: Type.Array(Type.Object({ date: IsoDate, quantity: DecimalString }), { description: 'supplies arriving by the desired date that count toward this line' }),
    availableByDate: Type.String({ ...DecimalString, description: 'inStock + Σ incoming' }),
    short: Type.String({ ...DecimalString, description: 'what cannot be promised by the desired date; 0 when none' }),
  },
  { title: 'PurchaseAvailability' },
);

export const PurchaseCheckLineSchema = Type.Object(
  {
    sku: Type.String(),
    name: Nullable(Type.String()),
    quantity: DecimalString,
    unitPrice: Nullable(DecimalString),
    amount: Nullable(DecimalString),
    availability: PurchaseAvailabilitySchema,
    exclusivity: Type.Object({ allowed: Type.Boolean(), reason: Nullable(Type.String()) }),
    problem: Nullable(Type.String({ description: 'why the line cannot be ordered as it is (unknown SKU, no price, refused by exclusivity); null when it can' })),
  },
  { title: 'PurchaseCheckLine' },
);

export const PurchaseCheckSchema = Type.Object(
  {
    currency: Nullable(Type.String()),
    priceColumn: Nullable(PriceColumnBriefSchema),
    desiredDate: Nullable(IsoDate),
    lines: Type.Array(PurchaseCheckLineSchema),
    total: DecimalString,
    canOrder: Type.Boolean({ description: 'every line is known, priced and allowed (availability does not stop an order: a short line waits for supply)' }),
  },
  { title: 'PurchaseCheck' },
);

export const PlacedPurchaseSchema = Type.Object(
  {
    orderId: Type.String(),
    number: Nullable(Type.String()),
    status: Type.String(),
    total: DecimalString,
    currency: Type.String(),
    placedAt: IsoDateTime,
    created: Type.Boolean({ description: 'false when the reference named an order placed before' }),
  },
  { title: 'PlacedPurchase' },
);

export const PurchaseSummarySchema = Type.Object(
  {
    orderId: Type.String(),
    number: Nullable(Type.String()),
    placedAt: IsoDateTime,
    status: Type.String(),
    total: DecimalString,
    currency: Type.String(),
    lineCount: Type.Integer(),
    desiredDate: Nullable(IsoDate),
    reference: Nullable(Type.String()),
  },
  { title: 'PurchaseSummary' },
);

export const PurchaseListSchema = Type.Object({ purchases: Type.Array(PurchaseSummarySchema), total: Type.Integer() }, { title: 'PurchaseList' });

export const PurchaseListQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const PurchaseDetailSchema = Type.Intersect(
  [
    PurchaseSummarySchema,
    Type.Object({
      comment: Nullable(Type.String()),
      region: Nullable(Type.String()),
      placedBy: Nullable(Type.String({ description: "the login of the dealer's user who placed it" })),
      lines: Type.Array(Type.Object({ sku: Nullable(Type.String()), name: Type.String(), quantity: DecimalString, unitPrice: DecimalString, amount: DecimalString })),
      history: Type.Array(Type.Object({ at: IsoDateTime, status: Type.String() }), { description: 'the statuses the order went through, oldest first' }),
    }),
  ],
  { title: 'PurchaseDetail' },
);

export const PurchaseParamsSchema = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 100, description: 'dealer code' }),
  orderId: Type.String({ minLength: 1, maxLength: 100 }),
});

export const DealerCatalogueQuerySchema = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'part of the name, article, SKU or barcode' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const DealerCatalogueSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          productId: Type.String(),
          sku: Type.String(),
          name: Type.String(),
          unit: Type.String(),
          price: Nullable(Type.String({ ...DecimalString, description: "the dealer's current price (its column; its main region's override applied)" })),
          currency: Nullable(Type.String()),
          inStock: Type.String({ ...DecimalString, description: 'free stock on hand now, all warehouses' }),
        },
        { title: 'DealerCatalogueItem' },
      ),
    ),
    total: Type.Integer(),
    priceColumn: Nullable(PriceColumnBriefSchema),
  },
  { title: 'DealerCatalogue' },
);
