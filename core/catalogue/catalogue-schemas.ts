import { Type, type Static } from '@sinclair/typebox';

/** Views of the catalogue and price columns, written once for core and the API (docs/1c.md). */

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const PriceColumnSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String({ description: "1C's Ид of the price type" }),
    name: Type.String(),
    currency: Nullable(Type.String()),
    vatIncluded: Type.Union([Type.Boolean(), Type.Null()]),
    placeholder: Type.Boolean({ description: 'true while only offers named it: its ТипЦены has not been read yet' }),
  },
  { title: 'PriceColumn' },
);
export type PriceColumnView = Static<typeof PriceColumnSchema>;

export const ItemPriceSchema = Type.Object(
  { column: Type.String({ description: "the column's code" }), columnName: Type.String(), unitPrice: Type.String(), currency: Nullable(Type.String()), vatIncluded: Type.Union([Type.Boolean(), Type.Null()]), validFrom: Type.String({ format: 'date-time' }) },
  { title: 'ItemPrice' },
);

export const ItemStockSchema = Type.Object(
  { warehouse: Type.String(), onHand: Type.String(), reserved: Type.String(), available: Type.String() },
  { title: 'ItemStock' },
);

export const ProductSummarySchema = Type.Object(
  {
    id: Type.String(),
    sku: Type.String(),
    externalId: Nullable(Type.String()),
    parentId: Nullable(Type.String()),
    name: Type.String(),
    article: Nullable(Type.String()),
    barcode: Nullable(Type.String()),
    unit: Type.String(),
    unitCode: Nullable(Type.String()),
    manufacturer: Nullable(Type.String()),
    groupIds: Type.Array(Type.String()),
    active: Type.Boolean(),
    stock: Type.Array(ItemStockSchema),
    prices: Type.Array(ItemPriceSchema, { description: "staff: every column; a dealer's user: its own column's (region override applied)" }),
  },
  { title: 'ProductSummary' },
);
export type ProductSummary = Static<typeof ProductSummarySchema>;

export const ProductDetailSchema = Type.Intersect(
  [
    ProductSummarySchema,
    Type.Object({
      description: Nullable(Type.String()),
      groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
      properties: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()), value: Type.String() }), { description: "a Справочник's value as its text" }),
      requisites: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
      variants: Type.Array(Type.Object({ id: Type.String(), sku: Type.String(), name: Type.String(), active: Type.Boolean() })),
    }),
  ],
  { title: 'ProductDetail' },
);
export type ProductDetail = Static<typeof ProductDetailSchema>;

export const ColumnPriceSchema = Type.Object(
  { itemId: Type.String(), sku: Type.String(), name: Type.String(), unitPrice: Type.String(), currency: Nullable(Type.String()), validFrom: Type.String({ format: 'date-time' }), validTo: Nullable(Type.String({ format: 'date-time' })) },
  { title: 'ColumnPrice' },
);
export type ColumnPrice = Static<typeof ColumnPriceSchema>;
