import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, IsoDateTime, MoneyString } from './common.ts';

/**
 * Dealers and settlements (взаиморасчёты) as the accounting system (1C) reports them, once a mapping
 * has read its answers: the shapes core stores and the API and CLI show. Amounts are decimal strings;
 * a positive balance is the dealer's debt to the manufacturer, a negative one its advance.
 */

/** A dealer as the accounting system keeps it (1C's counterparty). */
export const AccountingDealerSchema = Type.Object(
  {
    /** The counterparty's reference there (1C's Ref_Key; the code when the source has no other). */
    ref: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^/\\s]+$' }),
    name: Type.String({ minLength: 1, maxLength: 300 }),
    taxId: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
    /** The price column (1C price type / price group) exactly as 1C names it. */
    priceColumn: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    /** The region as 1C names it; matched to a hub region by code. */
    region: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    manager: Type.Union([Type.String({ maxLength: 300 }), Type.Null()]),
  },
  { additionalProperties: false, title: 'AccountingDealer' },
);
export type AccountingDealer = Static<typeof AccountingDealerSchema>;

export const SETTLEMENT_DOCUMENT_KINDS = ['shipment', 'payment', 'return'] as const;
export type SettlementDocumentKind = (typeof SETTLEMENT_DOCUMENT_KINDS)[number];

export const SettlementDocumentSchema = Type.Object(
  {
    ref: Type.String({ minLength: 1, maxLength: 200, description: "the document's reference in the accounting system" }),
    kind: Type.Union(SETTLEMENT_DOCUMENT_KINDS.map((k) => Type.Literal(k))),
    number: Type.String({ maxLength: 100 }),
    /** When the document was dated in the accounting system (its local time, as an instant). */
    date: IsoDateTime,
    /** Positive: a shipment raises the debt, a payment or a return lowers it. */
    amount: MoneyString,
    /** The order as the accounting system names it (the hub's order number or external id), when known. */
    orderNumber: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  },
  { additionalProperties: false, title: 'SettlementDocument' },
);
export type SettlementDocument = Static<typeof SettlementDocumentSchema>;

/** A dealer's figures over one period, from the accounting system. */
export const SettlementFiguresSchema = Type.Object(
  {
    opening: MoneyString,
    shipped: MoneyString,
    paid: MoneyString,
    returns: MoneyString,
    closing: MoneyString,
    overdue: Type.Union([MoneyString, Type.Null()]),
    creditLimit: Type.Union([MoneyString, Type.Null()]),
  },
  { additionalProperties: false, title: 'SettlementFigures' },
);
export type SettlementFigures = Static<typeof SettlementFiguresSchema>;

/** What one sync brings for one dealer and period. */
export interface DealerSettlementInput {
  /** The counterparty's reference in the accounting system (matched to dealer.accounting_ref, else to the code). */
  dealerRef: string;
  dealerCode: string | null;
  figures: SettlementFigures;
  documents: SettlementDocument[];
}

export const SettlementsViewSchema = Type.Object(
  {
    dealer: Type.Object({ code: Type.String(), name: Type.String(), taxId: Type.Union([Type.String(), Type.Null()]) }),
    from: IsoDate,
    to: IsoDate,
    currency: Type.String(),
    ...SettlementFiguresSchema.properties,
    /** exact: the figures 1C gave for this very period; derived: from a stored wider period and its documents. */
    basis: Type.Union([Type.Literal('exact'), Type.Literal('derived')]),
    syncedAt: IsoDateTime,
    documents: Type.Array(
      Type.Object({
        kind: SettlementDocumentSchema.properties.kind,
        number: Type.String(),
        date: IsoDateTime,
        amount: MoneyString,
        orderNumber: Type.Union([Type.String(), Type.Null()]),
        orderId: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  },
  { title: 'Settlements' },
);
export type SettlementsView = Static<typeof SettlementsViewSchema>;

export const AccountingSyncViewSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String({ description: 'dealers | settlements' }),
    source: Type.String({ description: 'odata | soap' }),
    trigger: Type.String(),
    status: Type.String({ description: 'running | succeeded | partial | failed' }),
    from: Type.Union([IsoDate, Type.Null()]),
    to: Type.Union([IsoDate, Type.Null()]),
    startedAt: IsoDateTime,
    finishedAt: Type.Union([IsoDateTime, Type.Null()]),
    received: Type.Integer(),
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    failed: Type.Integer(),
    documents: Type.Integer(),
    errorCode: Type.Union([Type.String(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    errors: Type.Array(Type.Object({ dealer: Type.Optional(Type.String()), code: Type.String(), message: Type.String() })),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'AccountingSync' },
);
export type AccountingSyncView = Static<typeof AccountingSyncViewSchema>;
