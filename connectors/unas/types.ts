/**
 * The UNAS getOrder answer as xml2js gives it with connectors/_kit/xml.ts options (`explicitArray:
 * false`: an element occurring once is a value, several times an array — hence `One<T>`).
 * Data structure: https://unas.hu/tudastar/api/megrendelesek-adatszerkezet
 * Descriptive only: payloads are untrusted, readers must check every field. All leaves are strings
 * (CDATA merged); numbers are decimal text ("3141.7323", "27%"); dates are `YYYY.MM.DD HH:MM:SS`
 * Budapest local time.
 */
export type One<T> = T | T[];
/** An element's text; `{ _: text, $: attributes }` when it has attributes. */
export type XmlString = string | { _?: string; $?: Record<string, string> };

export interface UnasAddress {
  Name?: XmlString;
  ZIP?: XmlString;
  City?: XmlString;
  Street?: XmlString;
  StreetName?: XmlString;
  StreetType?: XmlString;
  StreetNumber?: XmlString;
  County?: XmlString;
  Country?: XmlString;
  /** ISO alpha-2 in lower case: `hu`. */
  CountryCode?: XmlString;
  TaxNumber?: XmlString;
  EUTaxNumber?: XmlString;
  /** private | company | other_customer_without_tax_number */
  CustomerType?: XmlString;
  DeliveryPointID?: XmlString;
  DeliveryPointType?: XmlString;
}

export interface UnasCustomer {
  Id?: XmlString;
  Email?: XmlString;
  Username?: XmlString;
  Contact?: { Name?: XmlString; Phone?: XmlString; Mobile?: XmlString; Lang?: XmlString };
  Addresses?: { Invoice?: UnasAddress; Shipping?: UnasAddress; Other?: UnasAddress };
  Group?: { Id?: XmlString; Name?: XmlString };
}

export interface UnasVariant {
  Name?: XmlString;
  Value?: XmlString;
}

export interface UnasItem {
  /** The PRODUCT id, or a synthetic `shipping-cost`, `discount-percent`, `discount-amount`, `handel-cost`. */
  Id?: XmlString;
  Sku?: XmlString;
  Name?: XmlString;
  Unit?: XmlString;
  Quantity?: XmlString;
  /** Unit prices. */
  PriceNet?: XmlString;
  PriceGross?: XmlString;
  /** "27%" (or a code such as "AAM"). */
  Vat?: XmlString;
  /** discount-percent only. */
  Percent?: XmlString;
  Status?: XmlString;
  Variants?: { Variant?: One<UnasVariant> } | '';
  ProductParams?: { ProductParam?: One<{ Id?: XmlString; Name?: XmlString; Value?: XmlString }> } | '';
}

export interface UnasPayment {
  Id?: XmlString;
  Name?: XmlString;
  /** cod, cash, coupon, credit, check, bankcard, bankcard_offline, other, popup, transfer, voucher, bnpl, qvik, bankcard_qvik */
  Type?: XmlString;
  /** unpaid, paid, "partly paid" (with a space), overpaid */
  Status?: XmlString;
  Paid?: XmlString;
  Pending?: XmlString;
  Unpaid?: XmlString;
}

export interface UnasShipping {
  Id?: XmlString;
  Name?: XmlString;
  PackageNumber?: XmlString;
  TrackingUrl?: XmlString;
  ForeignID?: XmlString;
}

export interface UnasOrder {
  /** Order number shown to the customer ("1000-1000000"); may be reassigned after a deletion [doc]. */
  Key?: XmlString;
  /** Marketplace orders: Key holds the marketplace id, InternalKey the UNAS one. */
  InternalKey?: XmlString;
  Id?: XmlString;
  Date?: XmlString;
  DateMod?: XmlString;
  Lang?: XmlString;
  Customer?: UnasCustomer;
  Currency?: XmlString;
  ExchangeValue?: XmlString;
  Type?: XmlString;
  /** Status name (shop-defined). */
  Status?: XmlString;
  StatusType?: XmlString;
  StatusDetails?: unknown;
  StatusDateMod?: XmlString;
  StatusID?: XmlString;
  Authenticated?: XmlString;
  Payment?: UnasPayment;
  Shipping?: UnasShipping;
  Invoice?: { Status?: XmlString; StatusText?: XmlString; Number?: XmlString; Url?: XmlString };
  Coupon?: unknown;
  Weight?: XmlString;
  Info?: Record<string, unknown>;
  Comments?: { Comment?: One<{ Type?: XmlString; Text?: XmlString }> } | '';
  SumPriceGross?: XmlString;
  Items?: { Item?: One<UnasItem> } | '';
}

export interface UnasOrdersDocument {
  Orders: { Order?: One<UnasOrder> } | '';
}
