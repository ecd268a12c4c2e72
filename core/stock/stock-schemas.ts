import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, MoneyString } from '../model/common.ts';

/**
 * Shapes of stock loads and stock answers: validated once at the boundary (API, CLI, later 1C) by
 * StockService, reused by the API's schemas. Quantities are decimal strings (DECIMAL(18,4)).
 */

const Code = Type.String({ minLength: 1, maxLength: 200 });
const NonNegativeQuantity = Type.String({ pattern: '^\\d{1,14}(\\.\\d{1,4})?$', description: 'decimal string ≥ 0, at most 14 integer and 4 fractional digits' });
const PositiveQuantity = Type.String({ pattern: '^(?!0+(\\.0+)?$)\\d{1,14}(\\.\\d{1,4})?$', description: 'decimal string > 0, at most 14 integer and 4 fractional digits' });

export const ProductInputSchema = Type.Object(
  {
    sku: Code,
    name: Type.String({ minLength: 1 }),
    productLine: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    brand: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'pcs, m2, kg… (default pcs)' })),
  },
  { additionalProperties: false, title: 'ProductInput' },
);
export type ProductInput = Static<typeof ProductInputSchema>;

export const WarehouseInputSchema = Type.Object({ code: Code, name: Type.String({ minLength: 1 }) }, { additionalProperties: false, title: 'WarehouseInput' });
export type WarehouseInput = Static<typeof WarehouseInputSchema>;

/** "Product X has N on hand in warehouse W" as of a load: the hub writes the difference to the ledger. */
export const LevelInputSchema = Type.Object({ sku: Code, warehouse: Code, onHand: NonNegativeQuantity }, { additionalProperties: false, title: 'LevelInput' });
export type LevelInput = Static<typeof LevelInputSchema>;

/** A supplier order or shipment in transit, identified by (sku, reference). */
export const IncomingInputSchema = Type.Object(
  {
    sku: Code,
    warehouse: Code,
    reference: Code,
    quantity: NonNegativeQuantity,
    expectedOn: IsoDate,
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('cancelled')], { description: 'cancelled withdraws what has not arrived (default open)' })),
  },
  { additionalProperties: false, title: 'IncomingInput' },
);
export type IncomingInput = Static<typeof IncomingInputSchema>;

export const StockLoadSchema = Type.Object(
  {
    products: Type.Optional(Type.Array(ProductInputSchema)),
    warehouses: Type.Optional(Type.Array(WarehouseInputSchema)),
    levels: Type.Optional(Type.Array(LevelInputSchema)),
    incoming: Type.Optional(Type.Array(IncomingInputSchema)),
    /** Why, recorded on the ledger rows (a load id, "1C export 2026-04-01"). */
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, title: 'StockLoad' },
);
export type StockLoad = Static<typeof StockLoadSchema>;

export const BasketLineSchema = Type.Object(
  { sku: Code, quantity: PositiveQuantity, neededBy: Type.Optional(IsoDate) },
  { additionalProperties: false, title: 'BasketLine' },
);
export type BasketLine = Static<typeof BasketLineSchema>;

export const BasketSchema = Type.Array(BasketLineSchema, { minItems: 1, maxItems: 500 });

export const QuantityString = MoneyString;

export const RESOLVE_ACTIONS = ['confirm_partially', 'wait_for_supply', 'reject'] as const;
export type ResolveAction = (typeof RESOLVE_ACTIONS)[number];
