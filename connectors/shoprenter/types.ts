/**
 * Shoprenter API JSON as it arrives (https://doc.shoprenter.hu/api/order.html and the fixtures in
 * github.com/Shoprenter/sr-api-docs/fixtures/api). Descriptive only: payloads are untrusted and
 * readers check every field. Every scalar is a string ("3990.0000"); "-1.0000" in *TaxRate fields
 * means "not set"; empty values may be `{}` (modelNumber, key, description) or `null` (shippingZone).
 * Dates are shop-local wall time without an offset ("2019-09-06T15:47:59").
 */

export interface SrLink {
  href: string;
}

/** A collection page (`GET /orders?page=0&limit=5`). `page`/`limit` are strings; items are links unless `full=1`. */
export interface SrPage<Item = SrLink> {
  href: string;
  page: string;
  limit: string;
  first: SrLink | null;
  previous: SrLink | null;
  next: SrLink | null;
  last: SrLink | null;
  items: Item[];
}

export type SrEmpty = Record<string, never>;

export interface SrOrder {
  href: string;
  /** base64 of `order-order_id=<innerId>`: opaque. */
  id: string;
  innerId: string;
  invoiceId?: string;
  invoicePrefix?: string;
  firstname?: string;
  lastname?: string;
  phone?: string;
  fax?: string;
  email?: string;
  shippingFirstname?: string;
  shippingLastname?: string;
  shippingCompany?: string;
  shippingAddress1?: string;
  shippingAddress2?: string;
  shippingCity?: string;
  shippingPostcode?: string;
  shippingZoneName?: string;
  shippingCountryName?: string;
  shippingMethodName?: string;
  shippingMethodLocalizedName?: string;
  shippingMethodTaxRate?: string;
  shippingMethodTaxName?: string;
  shippingMethodExtension?: string;
  shippingReceivingPointId?: string;
  paymentFirstname?: string;
  paymentLastname?: string;
  paymentCompany?: string;
  paymentAddress1?: string;
  paymentAddress2?: string;
  paymentCity?: string;
  paymentPostcode?: string;
  paymentZoneName?: string;
  paymentCountryName?: string;
  paymentMethodName?: string;
  paymentMethodCode?: string;
  paymentMethodTaxRate?: string;
  paymentMethodAfter?: string;
  taxNumber?: string;
  comment?: string;
  /** Order gross total, in the shop's default currency. */
  total: string;
  /** Currency multiplier: order-currency amount = amount × value. */
  value?: string;
  couponTaxRate?: string;
  loyaltyPointsTaxRate?: string;
  dateCreated: string;
  dateUpdated: string;
  ip?: string;
  customer?: SrLink | null;
  customerGroup?: SrLink | null;
  shippingCountry?: SrLink | null;
  shippingZone?: SrLink | null;
  paymentCountry?: SrLink | null;
  paymentZone?: SrLink | null;
  /** Missing/null/`{}` → no status: an abandoned cart (orderStatusId 0). */
  orderStatus?: (SrLink & Partial<SrOrderStatusExpansion>) | null | SrEmpty;
  language?: SrLink | null;
  currency?: (SrLink & Partial<SrCurrency>) | null;
  shippingMode?: SrLink | null;
  orderTotals?: SrLink;
  orderProducts?: SrLink;
  externalInfo?: { partner_order_id?: string; partner_prefix?: string } | SrEmpty;
}

export interface SrOrderProduct {
  href: string;
  id: string;
  innerId?: string;
  name: string;
  sku: string | SrEmpty;
  productInnerId?: string;
  modelNumber: string | SrEmpty;
  originalPrice: string;
  /** Net unit price (shop default currency). */
  price: string;
  grossPrice?: string;
  priceCurrency?: string;
  grossPriceCurrency?: string;
  /** Net price × quantity. */
  total: string;
  taxRate: string;
  /** Quantities taken from warehouses 1–4; their sum is the ordered quantity (0 for abandoned carts). */
  stock1?: string;
  stock2?: string;
  stock3?: string;
  stock4?: string;
  quantity?: string;
  gtin?: string;
  dateCreated?: string;
  dateUpdated?: string;
  product?: SrLink;
  order?: SrLink;
}

export type SrOrderTotalType =
  | 'SUB_TOTAL'
  | 'TAX'
  | 'SUB_TOTAL_WITH_TAX'
  | 'SHIPPING'
  | 'PAYMENT'
  | 'COUPON'
  | 'TOTAL'
  | 'LOYALTYPOINTS_TO_GET'
  | 'LOYALTYPOINTS_TO_USE';

export interface SrOrderTotal {
  href: string;
  id: string;
  name: string;
  /** Display text in the order currency ("2.400 Ft"); never parsed. */
  valueText: string;
  value: string;
  sortOrder: string;
  type: SrOrderTotalType | string;
  /** "CART_AMOUNT_DISCOUNT" or `{}`. */
  key: string | SrEmpty;
  description: string | SrEmpty;
  dateCreated?: string;
  dateUpdated?: string;
  order?: SrLink;
}

export interface SrCurrency {
  href: string;
  id: string;
  name: string;
  code: string;
  value: string;
  decimalPlace?: string;
}

/** What the connector adds to an `orderStatus` link: the decoded id and, when readable, its name. */
export interface SrOrderStatusExpansion {
  innerId: string;
  name: string;
}

/** The document archived per pulled page (see connectors/shoprenter/README.md). */
export interface SrPulledDocument {
  source: 'shoprenter-pull';
  /** The list page's links (a pulled page). */
  page?: Omit<SrPage, 'items'>;
  /** The order id asked for (one order fetched by id, the webhook fallback). */
  fetched?: string;
  orders: SrPulledOrder[];
}

export interface SrPulledOrder extends SrOrder {
  orderProducts?: SrLink & { items?: SrOrderProduct[] };
  orderTotals?: SrLink & { items?: SrOrderTotal[] };
  /** Sub-resources that could not be read; the mapping reports such an order instead of guessing. */
  orderhubIssues?: string[];
}

/** Webhook body (`order_confirm`, `order_status_change`): mixed string/number types. */
export interface SrWebhookBody {
  orders: { order: SrWebhookOrder[] | SrWebhookOrder };
}

export interface SrWebhookOrder {
  storeName?: string;
  innerId: string;
  innerResourceId?: string;
  outerResourceId?: string;
  firstname?: string;
  lastname?: string;
  phone?: string;
  email?: string;
  shippingMethodName?: string;
  shippingNetPrice?: number | string;
  shippingGrossPrice?: number | string;
  paymentMethodName?: string;
  paymentNetPrice?: number | string;
  paymentGrossPrice?: number | string;
  couponCode?: string;
  couponGrossPrice?: number | string | null;
  comment?: string;
  total?: number | string;
  totalGross?: number | string;
  taxPrice?: number | string;
  currency?: string;
  paymentTaxnumber?: string;
  orderHistory?: { status?: string; statusText?: string; comment?: string; dateAdded?: string };
  orderProducts?: { orderProduct: SrWebhookProduct[] | SrWebhookProduct } | null;
  [field: string]: unknown;
}

export interface SrWebhookProduct {
  innerId?: string;
  innerResourceId?: string;
  name?: string;
  sku?: string;
  price?: number | string;
  currency?: string;
  taxRate?: number | string;
  quantity?: number | string;
  [field: string]: unknown;
}
