import { Type } from '@sinclair/typebox';
import {
  BasketLineSchema,
  IncomingInputSchema,
  LevelInputSchema,
  ProductInputSchema,
  RESOLVE_ACTIONS,
  WarehouseInputSchema,
} from '../../core/stock/stock-schemas.ts';
import { IsoDate, IsoDateTime, Nullable } from './common.ts';

const Quantity = Type.String({ description: 'decimal string' });
const LineStatusSchema = Type.Union([Type.Literal('confirmed'), Type.Literal('partial'), Type.Literal('unavailable')]);
const ReviewStatusSchema = Type.Union([Type.Literal('none'), Type.Literal('open'), Type.Literal('resolved')]);
const ResolveActionSchema = Type.Union(RESOLVE_ACTIONS.map((a) => Type.Literal(a)));

const LoadReason = { reason: Type.Optional(Type.String({ maxLength: 500, description: 'Recorded on the ledger rows (a load id, "1C export …")' })) };

export const ProductsBodySchema = Type.Object({ items: Type.Array(ProductInputSchema, { maxItems: 10_000 }) }, { additionalProperties: false });
export const WarehousesBodySchema = Type.Object({ items: Type.Array(WarehouseInputSchema, { maxItems: 1_000 }) }, { additionalProperties: false });
export const LevelsBodySchema = Type.Object({ items: Type.Array(LevelInputSchema, { maxItems: 10_000 }), ...LoadReason }, { additionalProperties: false });
export const IncomingBodySchema = Type.Object({ items: Type.Array(IncomingInputSchema, { maxItems: 10_000 }), ...LoadReason }, { additionalProperties: false });

export const UpsertCountsSchema = Type.Object({ created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() }, { title: 'UpsertCounts' });

const ReleasedByLoadSchema = Type.Object({ orderId: Type.String(), reservationId: Type.String(), sku: Type.String(), quantity: Quantity, why: Type.String() });

export const LoadAnswerSchema = Type.Object(
  { counts: UpsertCountsSchema, released: Type.Array(ReleasedByLoadSchema, { description: 'Reservations released because the stock under them shrank; their orders are back in review' }) },
  { title: 'StockLoadAnswer' },
);

export const AvailabilityBodySchema = Type.Object(
  {
    lines: Type.Array(BasketLineSchema, { minItems: 1, maxItems: 500 }),
    neededBy: Type.Optional(IsoDate),
  },
  { additionalProperties: false, description: 'A basket; neededBy applies to lines without their own date' },
);

const SourceSchema = Type.Object({
  kind: Type.Union([Type.Literal('on_hand'), Type.Literal('incoming')]),
  warehouse: Type.String(),
  supplyId: Type.Optional(Type.String()),
  reference: Type.Optional(Type.String()),
  expectedOn: Type.Optional(IsoDate),
  quantity: Quantity,
});

export const LineVerdictSchema = Type.Object(
  {
    position: Type.Integer(),
    sku: Nullable(Type.String()),
    productId: Nullable(Type.String()),
    quantity: Quantity,
    neededBy: Nullable(IsoDate),
    status: LineStatusSchema,
    allocated: Quantity,
    shortfall: Quantity,
    sources: Type.Array(SourceSchema),
    allocatedComplete: Nullable(IsoDate),
    restArrives: Type.Array(SourceSchema),
    restArrivesOn: Nullable(IsoDate),
    reason: Type.Optional(Type.String()),
  },
  { title: 'StockLineVerdict' },
);

export const AvailabilitySchema = Type.Object({ result: LineStatusSchema, lines: Type.Array(LineVerdictSchema) }, { title: 'Availability' });

export const StockCheckSchema = Type.Object(
  {
    id: Type.String(),
    orderId: Type.String(),
    orderVersion: Type.Integer(),
    result: LineStatusSchema,
    lines: Type.Array(LineVerdictSchema),
    reviewStatus: ReviewStatusSchema,
    reason: Nullable(Type.String()),
    resolution: Nullable(ResolveActionSchema),
    resolvedBy: Nullable(Type.String()),
    resolvedAt: Nullable(IsoDateTime),
    note: Nullable(Type.String()),
    createdAt: IsoDateTime,
  },
  { title: 'StockCheck' },
);

export const ReserveAnswerSchema = Type.Object({ check: StockCheckSchema, created: Type.Boolean() }, { title: 'ReserveAnswer' });

export const OrderReservationsSchema = Type.Object(
  {
    orderId: Type.String(),
    orderVersion: Type.Integer(),
    check: Nullable(StockCheckSchema),
    reservations: Type.Array(
      Type.Object({
        id: Type.String(),
        orderId: Type.String(),
        linePosition: Type.Integer(),
        sku: Type.String(),
        warehouse: Type.String(),
        source: Type.Union([Type.Literal('on_hand'), Type.Literal('incoming')]),
        supplyId: Nullable(Type.String()),
        supplyReference: Nullable(Type.String()),
        expectedOn: Nullable(IsoDate),
        quantity: Quantity,
        neededBy: Nullable(IsoDate),
        status: Type.Union([Type.Literal('active'), Type.Literal('released'), Type.Literal('shipped')]),
      }),
    ),
  },
  { title: 'OrderReservations' },
);

export const ReleaseAnswerSchema = Type.Object({ orderId: Type.String(), released: Type.Array(Type.Object({ sku: Type.String(), quantity: Quantity })) }, { title: 'ReleaseAnswer' });
export const ReleaseQuerySchema = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Recorded on the ledger rows' })) });

export const ShipAnswerSchema = Type.Object(
  { orderId: Type.String(), shipped: Type.Array(Type.Object({ sku: Type.String(), warehouse: Type.String(), quantity: Quantity })), alreadyShipped: Type.Boolean() },
  { title: 'ShipAnswer' },
);

export const ReceiveBodySchema = Type.Object(
  { quantity: Type.String({ pattern: '^\\d{1,14}(\\.\\d{1,4})?$', description: 'decimal string > 0' }), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export const ReceiveAnswerSchema = Type.Object({ supplyId: Type.String(), received: Quantity, supplyStatus: Type.String(), moved: Quantity }, { title: 'ReceiveAnswer' });

export const ReviewsQuerySchema = Type.Object({ status: Type.Optional(ReviewStatusSchema) });
export const ReviewSchema = Type.Composite([StockCheckSchema, Type.Object({ orderNumber: Nullable(Type.String()), orderExternalId: Type.String() })], { title: 'StockReview' });

export const ResolveBodySchema = Type.Object(
  { action: ResolveActionSchema, by: Type.String({ minLength: 1, maxLength: 200 }), note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);

export const LedgerReportSchema = Type.Object(
  {
    ok: Type.Boolean(),
    checked: Type.Object({ levels: Type.Integer(), supplies: Type.Integer(), reservations: Type.Integer(), movements: Type.Integer() }),
    mismatches: Type.Array(Type.Object({ kind: Type.String(), key: Type.String(), current: Quantity, ledger: Quantity })),
  },
  { title: 'LedgerReport' },
);
