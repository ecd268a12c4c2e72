import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, UnitPriceString } from '../model/common.ts';

/**
 * Shapes of dealer input (API, CLI, 1C loads): validated once at the boundary by DealerService,
 * reused by the API's schemas. Codes are stable identifiers without '/' or whitespace, like region
 * codes, so they can sit in URLs and in exclusivity rules unchanged.
 */

const Code = (description: string) => Type.String({ minLength: 1, maxLength: 100, pattern: '^[^/\\s]+$', description });
const DealerCode = Code('stable dealer code, as 1C names the dealer');
const RegionCode = Code('region code, e.g. RU-MOW');
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
/**
 * A web address shown as a link (a dealer's site, its logo): http(s), or no scheme at all as 1C
 * often sends it (www.example.ru); never javascript:, data: or another scheme a page would run, and
 * no spaces or control characters (browsers drop them, so java\tscript: would still run).
 */
const WebAddress = Type.String({ minLength: 1, maxLength: 2000, pattern: '^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000-\\u001f]*|(?![^/?#]*:)[^\\s\\u0000-\\u001f]*)$', description: 'http(s) address, or one without a scheme' });

export const DealerContactsSchema = Type.Object(
  {
    phones: Type.Optional(Type.Array(Text(100), { maxItems: 50 })),
    emails: Type.Optional(Type.Array(Text(300), { maxItems: 50 })),
    site: Type.Optional(WebAddress),
    address: Type.Optional(Text(2000)),
  },
  { additionalProperties: false, title: 'DealerContacts' },
);
export type DealerContacts = Static<typeof DealerContactsSchema>;

/** Everything of a dealer but its code; shared by the input and the changes. */
const dealerFields = {
  name: Text(300),
  logoUrl: Type.Optional(Nullable(WebAddress)),
  mainRegion: RegionCode,
  extraRegions: Type.Optional(Type.Array(RegionCode, { maxItems: 10_000, description: 'further regions or cities the dealer serves' })),
  authorised: Type.Optional(Type.Boolean({ description: 'default false' })),
  acceptsSiteOrders: Type.Optional(Type.Boolean({ description: 'takes part in distribution of site orders (default true)' })),
  callFromSite: Type.Optional(Type.Boolean({ description: 'default false' })),
  active: Type.Optional(Type.Boolean({ description: 'false: blocked, offered nothing, keeps its history (default true)' })),
  contacts: Type.Optional(DealerContactsSchema),
  description: Type.Optional(Nullable(Text(10_000))),
  wholeRange: Type.Optional(Type.Boolean({ description: 'holds the whole range (default false)' })),
  productLines: Type.Optional(Type.Array(Text(200), { maxItems: 1000, description: 'product lines the dealer holds completely' })),
  ownPricesAllowed: Type.Optional(Type.Boolean({ description: 'may set its own prices in its assortment (default false)' })),
  priceColumn: Type.Optional(Nullable(Text(200))),
};

export const DealerInputSchema = Type.Object({ code: DealerCode, ...dealerFields }, { additionalProperties: false, title: 'DealerInput' });
export type DealerInput = Static<typeof DealerInputSchema>;

/** A change of a dealer: any field but the code; null clears an optional text. */
export const DealerChangesSchema = Type.Object(
  { ...dealerFields, name: Type.Optional(dealerFields.name), mainRegion: Type.Optional(dealerFields.mainRegion) },
  { additionalProperties: false, minProperties: 1, title: 'DealerChanges' },
);
export type DealerChanges = Static<typeof DealerChangesSchema>;

export const DealerLoadSchema = Type.Array(DealerInputSchema, { maxItems: 50_000 });

export const DealerListFilterSchema = Type.Object(
  {
    region: Type.Optional(RegionCode),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'substring of the name or code, case-insensitive' })),
    active: Type.Optional(Type.Boolean()),
    authorised: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 100' })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false, title: 'DealerListFilter' },
);
export type DealerListFilter = Static<typeof DealerListFilterSchema>;

export const AssortmentItemSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 200 }),
    ownPrice: Type.Optional(Type.Union([UnitPriceString, Type.Null()], { description: "the dealer's own unit price; only when ownPricesAllowed" })),
  },
  { additionalProperties: false, title: 'AssortmentItem' },
);

/** The dealer's whole assortment: it replaces what was stored. */
export const AssortmentInputSchema = Type.Object(
  {
    wholeRange: Type.Optional(Type.Boolean({ description: 'absent: left as it is' })),
    productLines: Type.Optional(Type.Array(Text(200), { maxItems: 1000, description: 'absent: left as they are' })),
    items: Type.Array(AssortmentItemSchema, { maxItems: 100_000 }),
  },
  { additionalProperties: false, title: 'AssortmentInput' },
);
export type AssortmentInput = Static<typeof AssortmentInputSchema>;

const managerFields = {
  name: Text(300),
  email: Type.Optional(Nullable(Text(300))),
  phone: Type.Optional(Nullable(Text(100))),
  isHead: Type.Optional(Type.Boolean({ description: "the dealer's head manager; appointing one moves the role from the previous head" })),
};

export const ManagerInputSchema = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$', description: 'unique across every dealer' }), ...managerFields },
  { additionalProperties: false, title: 'ManagerInput' },
);
export type ManagerInput = Static<typeof ManagerInputSchema>;

export const ManagerChangesSchema = Type.Object(
  { ...managerFields, name: Type.Optional(managerFields.name), active: Type.Optional(Type.Boolean({ description: 'false: the login is blocked; a blocked head stops being the head' })) },
  { additionalProperties: false, minProperties: 1, title: 'ManagerChanges' },
);
export type ManagerChanges = Static<typeof ManagerChangesSchema>;

export const PromotionInputSchema = Type.Object(
  {
    code: Code('stable promotion code'),
    name: Text(300),
    description: Type.Optional(Nullable(Text(10_000))),
    validFrom: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    validTo: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false, title: 'PromotionInput' },
);
export type PromotionInput = Static<typeof PromotionInputSchema>;

/** A manual change of a dealer's points; the note says why (it is the ledger's only explanation). */
export const PointsAdjustmentSchema = Type.Object(
  {
    delta: Type.Union([Type.Integer({ minimum: -1_000_000, maximum: -1 }), Type.Integer({ minimum: 1, maximum: 1_000_000 })], {
      description: 'points to add (negative: to take away); never 0',
    }),
    note: Text(1000),
  },
  { additionalProperties: false, title: 'PointsAdjustment' },
);
export type PointsAdjustment = Static<typeof PointsAdjustmentSchema>;

export const PointsHistoryQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 100' })),
    beforeId: Type.Optional(Type.String({ pattern: '^\\d{1,19}$', description: 'the id of the oldest change of the previous page' })),
  },
  { additionalProperties: false, title: 'PointsHistoryQuery' },
);
export type PointsHistoryQuery = Static<typeof PointsHistoryQuerySchema>;
