/**
 * The accounting-source contract: what the hub asks an accounting system (1C) about dealers and their
 * settlements, whatever protocol carries it. Two adapters implement it: the OData standard interface
 * (odata-source.ts) and the hub's own SOAP web service (soap-source.ts, wsdl/OrderhubSettlements.wsdl).
 *
 * Answers are raw: values as the source gave them (numbers or numeric strings, 1C's local date-times
 * without a zone). mappings/onec/accounting.ts turns them into core's shapes; nothing here touches the
 * database.
 */

/** A closed interval of calendar days, YYYY-MM-DD, both ends included. */
export interface AccountingPeriod {
  from: string;
  to: string;
}

export interface SourceCounterparty {
  /** 1C's Ref_Key (or the code, when the source has nothing else). */
  ref: string;
  code: string;
  name: string;
  taxId: string | null;
  priceColumn: string | null;
  region: string | null;
  manager: string | null;
  creditLimit: number | string | null;
}

/** One counterparty's figures over the period, in the register's sign: positive is the dealer's debt. */
export interface SourceSettlement {
  counterpartyRef: string;
  opening: number | string;
  /** What raised the debt in the period (shipments): the register's receipt. */
  receipt: number | string;
  /** What lowered it (payments and returns): the register's expense. */
  expense: number | string;
  closing: number | string;
  overdue: number | string | null;
  creditLimit: number | string | null;
}

export type SourceDocumentKind = 'shipment' | 'payment' | 'return';

export interface SourceDocument {
  ref: string;
  counterpartyRef: string;
  kind: SourceDocumentKind;
  number: string;
  /** 1C's local date-time, e.g. 2026-01-15T10:30:00. */
  date: string;
  amount: number | string;
  orderNumber: string | null;
}

export interface SourceCheck {
  ok: boolean;
  message: string;
}

export interface AccountingSource {
  /** odata | soap: recorded on each sync. */
  readonly kind: 'odata' | 'soap';
  /** Reaches the source and says what is wrong in words; never throws. */
  check(): Promise<SourceCheck>;
  counterparties(signal?: AbortSignal): Promise<SourceCounterparty[]>;
  /** Figures of the counterparties given (all of them when the source answers for all at once). */
  settlements(period: AccountingPeriod, counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceSettlement[]>;
  documents(period: AccountingPeriod, counterparties: readonly SourceCounterparty[], signal?: AbortSignal): Promise<SourceDocument[]>;
}
