import { Type } from '@sinclair/typebox';
import {
  AssortmentInputSchema,
  DealerChangesSchema,
  DealerContactsSchema,
  DealerInputSchema,
  DealerListFilterSchema,
  DealerLoadSchema,
  ManagerChangesSchema,
  ManagerInputSchema,
  PointsAdjustmentSchema,
  PointsHistoryQuerySchema,
  PromotionInputSchema,
} from '../../core/dealers/dealer-schemas.ts';
import { DecimalString, IsoDate, IsoDateTime, Nullable } from './common.ts';

/**
 * Dealers, their assortment, managers, promotions and points. Request bodies are core's input
 * schemas (DealerService validates them again at its boundary); answers mirror core's views
 * (core/dealers/dealer-service.ts), which test/api/dealers-and-distribution.test.ts checks type by type.
 */

// ---- params and queries ------------------------------------------------------------------------------------------------

const CodeParam = Type.String({ minLength: 1, maxLength: 100, description: 'dealer code' });

export const DealerCodeParamsSchema = Type.Object({ code: CodeParam });
export const ManagerParamsSchema = Type.Object({ code: CodeParam, login: Type.String({ minLength: 1, maxLength: 200 }) });
export const DealerPromotionParamsSchema = Type.Object({ code: CodeParam, promotionCode: Type.String({ minLength: 1, maxLength: 100 }) });

export const ListDealersQuerySchema = DealerListFilterSchema;
export const PointsQuerySchema = PointsHistoryQuerySchema;

// ---- bodies ------------------------------------------------------------------------------------------------------------

export const CreateDealerBodySchema = DealerInputSchema;
export const UpdateDealerBodySchema = DealerChangesSchema;
export const LoadDealersBodySchema = Type.Object(
  { dealers: Type.Array(DealerInputSchema, { maxItems: DealerLoadSchema.maxItems, description: 'each dealer by its code: loading again updates, never duplicates; dealers left out are left alone' }) },
  { additionalProperties: false },
);
export const AssortmentBodySchema = AssortmentInputSchema;
export const AddManagerBodySchema = ManagerInputSchema;
export const UpdateManagerBodySchema = ManagerChangesSchema;
export const AppointHeadBodySchema = Type.Object({ login: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const CreatePromotionBodySchema = PromotionInputSchema;
export const PointsAdjustmentBodySchema = PointsAdjustmentSchema;

// ---- answers -----------------------------------------------------------------------------------------------------------

export const DealerRegionSchema = Type.Object({ code: Type.String(), name: Type.String(), path: Type.String() }, { title: 'DealerRegion' });

export const ManagerSchema = Type.Object(
  {
    login: Type.String(),
    name: Type.String(),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    isHead: Type.Boolean(),
    active: Type.Boolean(),
    canSignIn: Type.Boolean({ description: "has a password to sign in to the dealer's cabinet" }),
  },
  { title: 'Manager' },
);

export const DealerSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    logoUrl: Nullable(Type.String()),
    mainRegion: DealerRegionSchema,
    extraRegions: Type.Array(DealerRegionSchema, { description: 'tree order' }),
    authorised: Type.Boolean(),
    acceptsSiteOrders: Type.Boolean(),
    callFromSite: Type.Boolean(),
    active: Type.Boolean(),
    contacts: DealerContactsSchema,
    description: Nullable(Type.String()),
    wholeRange: Type.Boolean(),
    productLines: Type.Array(Type.String()),
    ownPricesAllowed: Type.Boolean(),
    priceColumn: Nullable(Type.String()),
    points: Type.Integer(),
    takesCount: Type.Integer(),
    avgTakeSeconds: Nullable(Type.Number({ description: 'average seconds from an offer becoming visible to the take; null before the first take' })),
    managers: Type.Array(ManagerSchema, { description: 'the head first, then by login' }),
    head: Nullable(Type.String({ description: "the head manager's login" })),
    promotions: Type.Array(Type.String(), { description: 'codes of the promotions the dealer joined' }),
    assortmentCount: Type.Integer({ description: "products in the dealer's assortment" }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { title: 'Dealer' },
);

export const DealerSummarySchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    mainRegion: Type.String({ description: 'code of the main region' }),
    authorised: Type.Boolean(),
    acceptsSiteOrders: Type.Boolean(),
    callFromSite: Type.Boolean(),
    active: Type.Boolean(),
    points: Type.Integer(),
    orders: Type.Integer({ description: 'orders distributed to the dealer' }),
    createdAt: IsoDateTime,
  },
  { title: 'DealerSummary' },
);

export const DealerListSchema = Type.Object(
  { dealers: Type.Array(DealerSummarySchema), total: Type.Integer({ description: 'dealers matching the filter, whatever the limit and offset' }) },
  { title: 'DealerList' },
);

export const DealerLoadSummarySchema = Type.Object(
  {
    received: Type.Integer(),
    created: Type.Integer(),
    updated: Type.Integer({ description: 'dealers of the load whose profile or regions changed' }),
    unchanged: Type.Integer({ description: 'dealers of the load left exactly as they were' }),
  },
  { title: 'DealerLoadSummary' },
);

export const AssortmentSummarySchema = Type.Object(
  { items: Type.Integer({ description: 'products now in the assortment' }), wholeRange: Type.Boolean(), productLines: Type.Array(Type.String()) },
  { title: 'AssortmentSummary' },
);

export const AssortmentSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        sku: Type.String(),
        name: Type.String(),
        productLine: Nullable(Type.String()),
        ownPrice: Nullable(DecimalString),
      }),
      { description: 'by SKU; ownPrice null: the manufacturer’s price' },
    ),
    wholeRange: Type.Boolean(),
    productLines: Type.Array(Type.String()),
  },
  { title: 'Assortment' },
);

export const PromotionSchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    validFrom: Nullable(IsoDate),
    validTo: Nullable(IsoDate),
    dealers: Type.Integer({ description: 'dealers that joined' }),
    createdAt: IsoDateTime,
  },
  { title: 'Promotion' },
);

export const MembershipChangeSchema = Type.Object(
  { changed: Type.Boolean({ description: 'false when the dealer was already in (joining) or not in (leaving) the promotion' }) },
  { title: 'MembershipChange' },
);

export const PointsChangeSchema = Type.Object(
  {
    id: Type.String({ description: 'ledger id; pass the oldest one as beforeId for the next page' }),
    delta: Type.Integer(),
    balance: Type.Integer({ description: "the dealer's points after this change" }),
    cause: Type.String({ description: 'order_completed | cancelled_by_dealer | manual | …' }),
    orderId: Nullable(Type.String()),
    note: Nullable(Type.String()),
    changedBy: Nullable(Type.String()),
    createdAt: IsoDateTime,
  },
  { title: 'PointsChange' },
);

export const PointsBalanceSchema = Type.Object({ balance: Type.Integer({ description: "the dealer's points after the adjustment" }) }, { title: 'PointsBalance' });
