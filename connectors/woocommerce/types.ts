/**
 * The WooCommerce REST v3 order as it arrives (https://woocommerce.github.io/woocommerce-rest-api-docs/#order-properties).
 * Descriptive only: payloads are untrusted, readers must check every field. Money is a string with
 * `dp` decimals except `line_items[].price`, a JSON number. Dates have no zone: `*_gmt` are UTC.
 */
export interface WooMeta {
  id?: number;
  key: string;
  value: unknown;
  display_key?: string;
  display_value?: unknown;
}

export interface WooAddress {
  first_name?: string;
  last_name?: string;
  company?: string;
  address_1?: string;
  address_2?: string;
  city?: string;
  state?: string;
  postcode?: string;
  country?: string;
  email?: string;
  phone?: string;
}

export interface WooTax {
  id: number;
  total: string;
  subtotal?: string;
}

export interface WooLineItem {
  id: number;
  name: string;
  parent_name?: string | null;
  product_id: number;
  variation_id: number;
  quantity: number;
  tax_class: string;
  subtotal: string;
  subtotal_tax: string;
  total: string;
  total_tax: string;
  taxes: WooTax[];
  meta_data: WooMeta[];
  sku: string | null;
  price: number;
  image?: { id: number | string; src: string };
}

export interface WooShippingLine {
  id: number;
  method_title: string;
  method_id: string;
  instance_id?: string;
  total: string;
  total_tax: string;
  taxes: WooTax[];
  meta_data: WooMeta[];
}

export interface WooFeeLine {
  id: number;
  name: string;
  tax_class: string;
  tax_status: string;
  amount?: string;
  total: string;
  total_tax: string;
  taxes: WooTax[];
  meta_data: WooMeta[];
}

export interface WooCouponLine {
  id: number;
  code: string;
  discount: string;
  discount_tax: string;
  meta_data: WooMeta[];
}

export interface WooOrder {
  id: number;
  parent_id: number;
  number: string;
  order_key: string;
  created_via: string;
  version: string;
  status: string;
  currency: string;
  date_created: string;
  date_created_gmt: string;
  date_modified: string;
  date_modified_gmt: string;
  discount_total: string;
  discount_tax: string;
  shipping_total: string;
  shipping_tax: string;
  cart_tax: string;
  total: string;
  total_tax: string;
  prices_include_tax: boolean;
  customer_id: number;
  customer_ip_address: string;
  customer_user_agent: string;
  customer_note: string;
  billing: WooAddress;
  shipping: WooAddress;
  payment_method: string;
  payment_method_title: string;
  transaction_id: string;
  date_paid: string | null;
  date_paid_gmt: string | null;
  date_completed: string | null;
  date_completed_gmt: string | null;
  cart_hash: string;
  meta_data: WooMeta[];
  line_items: WooLineItem[];
  tax_lines: Array<{ id: number; rate_code: string; rate_id: number; label: string; compound: boolean; tax_total: string; shipping_tax_total: string; rate_percent?: number; meta_data: WooMeta[] }>;
  shipping_lines: WooShippingLine[];
  fee_lines: WooFeeLine[];
  coupon_lines: WooCouponLine[];
  refunds: Array<{ id: number; reason?: string; refund?: string; total: string }>;
  payment_url?: string;
  currency_symbol?: string;
  _links?: Record<string, Array<{ href: string }>>;
}
