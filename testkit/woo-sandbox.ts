import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Decimal } from 'decimal.js';
import type { WooLineItem, WooMeta, WooOrder } from '../connectors/woocommerce/types.ts';

/**
 * A WooCommerce-compatible sandbox for the demo and the benchmark: `GET /wp-json/wc/v3/orders`
 * with Basic or query-string auth, `per_page`/`page`/`offset`, `orderby`/`order`, `modified_after`/
 * `modified_before`/`dates_are_gmt`, `after`/`before`, `status`, `include`, `_fields`, the `X-WP-Total`/`X-WP-TotalPages`
 * and `Link` headers, and bodies encoded like PHP's json_encode (`\/` and `\uXXXX` escapes), as the
 * real REST API answers (https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders).
 *
 * `PUT /wp-json/wc/v3/orders/<id>` with a JSON body `{"status": "<slug>"}` changes the stored order's
 * status and modification date and answers the whole order, as the real API does
 * (https://woocommerce.github.io/woocommerce-rest-api-docs/#update-an-order); status write-back tests
 * read the change from `orders`.
 *
 * Orders are generated deterministically from their index: varied statuses, variations with meta,
 * shipping/fee/coupon lines, Hungarian and EU addresses, HUF and EUR, money as strings.
 */

const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
type Dec = InstanceType<typeof D>;

export interface GenerateOptions {
  /** `date_created_gmt` of order 0; order i is created i minutes later. Default 2024-01-01T08:00:00Z. */
  baseTime?: Date;
  /** First order id. Default 1000. */
  firstId?: number;
  /** Store timezone offset for the local `date_*` fields, in hours. Default 1 (Budapest, winter). */
  utcOffsetHours?: number;
}

interface LineSpec {
  productIndex: number;
  variationIndex: number | undefined;
  quantity: number;
}

/** What an order is made of; money is recomputed from it whenever the order changes. */
interface OrderSpec {
  currency: 'HUF' | 'EUR';
  lines: LineSpec[];
  couponPercent: number;
  couponCode: string | undefined;
  shipping: { methodId: string; instanceId: string; title: string; oldForm: boolean; free: boolean };
  codFee: boolean;
  taxRate: Dec;
}

interface Product {
  id: number;
  name: string;
  sku: string;
  huf: string;
  eur: string;
  variations?: Array<{ id: number; sku: string; attribute: string; label: string; slug: string; value: string }>;
}

const PRODUCTS: Product[] = [
  { id: 101, name: 'Kerti pad &ndash; tölgy', sku: 'KP-TOLGY', huf: '45990.00', eur: '119.90' },
  {
    id: 102,
    name: 'Díszpárna 40&times;40',
    sku: 'DP-4040',
    huf: '4990.00',
    eur: '12.99',
    variations: [
      { id: 1021, sku: 'DP-4040-ZOLD', attribute: 'pa_szin', label: 'Szín', slug: 'zold', value: 'Zöld' },
      { id: 1022, sku: 'DP-4040-KEK', attribute: 'pa_szin', label: 'Szín', slug: 'kek', value: 'Kék' },
      { id: 1023, sku: 'DP-4040-SZURKE', attribute: 'pa_szin', label: 'Szín', slug: 'szurke', value: 'Szürke' },
    ],
  },
  { id: 103, name: 'Fonott kosár "Mini"', sku: 'FK-MINI', huf: '2490.00', eur: '6.49' },
  {
    id: 104,
    name: 'Vászon kötény',
    sku: 'VK',
    huf: '7990.00',
    eur: '19.90',
    variations: [
      { id: 1041, sku: 'VK-S', attribute: 'meret', label: 'Méret', slug: 'S', value: 'S' },
      { id: 1042, sku: 'VK-M', attribute: 'meret', label: 'Méret', slug: 'M', value: 'M' },
      { id: 1043, sku: 'VK-L', attribute: 'meret', label: 'Méret', slug: 'L', value: 'L' },
    ],
  },
  { id: 105, name: 'Gyertya &amp; illóolaj szett', sku: '', huf: '3590.00', eur: '9.50' },
  { id: 106, name: 'Kerámia bögre (350 ml)', sku: 'KB-350', huf: '2990.00', eur: '7.99' },
];

const PEOPLE = [
  { first: 'Anna', last: 'Kovács', city: 'Budapest', state: 'BU', postcode: '1052', street: 'Váci utca 12.', country: 'HU', company: '' },
  { first: 'Péter', last: 'Nagy', city: 'Debrecen', state: 'HB', postcode: '4025', street: 'Piac utca 5.', country: 'HU', company: 'Nagy és Társa Kft.' },
  { first: 'Zsófia', last: 'Tóth', city: 'Szeged', state: 'CS', postcode: '6720', street: 'Kárász u. 8.', country: 'HU', company: '' },
  { first: 'Gábor', last: 'Szabó', city: 'Pécs', state: 'BA', postcode: '7621', street: 'Király u. 20.', country: 'HU', company: '' },
  { first: 'Eszter', last: 'Horváth', city: 'Győr', state: 'GS', postcode: '9021', street: 'Baross Gábor út 3.', country: 'HU', company: 'Rába Design Bt.' },
  { first: 'Lukas', last: 'Gruber', city: 'Wien', state: '', postcode: '1010', street: 'Kärntner Straße 21', country: 'AT', company: '' },
  { first: 'Marie', last: 'Schneider', city: 'Berlin', state: 'BE', postcode: '10115', street: 'Invalidenstraße 44', country: 'DE', company: '' },
  { first: 'Jana', last: 'Nováková', city: 'Bratislava', state: '', postcode: '811 01', street: 'Obchodná 15', country: 'SK', company: '' },
];

const STATUSES = ['processing', 'processing', 'processing', 'completed', 'completed', 'on-hold', 'pending', 'cancelled', 'refunded', 'failed', 'processing', 'checkout-draft'];

/** mulberry32: a small deterministic PRNG, so order i always looks the same. */
function rng(seed: number): () => number {
  let a = (seed * 2654435761) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

const money = (d: Dec): string => d.toFixed(2);
/** WooCommerce local/GMT dates: no zone designator, no milliseconds. */
const wooDate = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** Recomputes every money field of `order` from its spec (as WooCommerce does on save). */
function applySpec(order: WooOrder, spec: OrderSpec, lineIdBase: number): void {
  const dp = 2;
  const round = (d: Dec) => d.toDecimalPlaces(dp, Decimal.ROUND_HALF_UP);
  const price = (p: Product) => new D(spec.currency === 'HUF' ? p.huf : p.eur);
  let cartTax = new D(0);
  let discountTotal = new D(0);
  let itemsTotal = new D(0);
  order.line_items = spec.lines.map((line, index): WooLineItem => {
    const product = PRODUCTS[line.productIndex] as Product;
    const variation = line.variationIndex === undefined ? undefined : product.variations?.[line.variationIndex];
    const unit = price(product);
    const subtotal = round(unit.times(line.quantity));
    const total = round(subtotal.times(new D(100).minus(spec.couponPercent)).dividedBy(100));
    const tax = round(total.times(spec.taxRate));
    const subtotalTax = round(subtotal.times(spec.taxRate));
    cartTax = cartTax.plus(tax);
    discountTotal = discountTotal.plus(subtotal.minus(total));
    itemsTotal = itemsTotal.plus(total);
    const meta: WooMeta[] = variation
      ? [
          { id: lineIdBase * 10 + index, key: variation.attribute, value: variation.slug, display_key: variation.label, display_value: variation.value },
          { id: lineIdBase * 10 + index + 5, key: '_reduced_stock', value: String(line.quantity), display_key: '_reduced_stock', display_value: String(line.quantity) },
        ]
      : [];
    return {
      id: lineIdBase + index,
      name: variation ? `${product.name} - ${variation.value}` : product.name,
      product_id: product.id,
      variation_id: variation?.id ?? 0,
      quantity: line.quantity,
      tax_class: '',
      subtotal: money(subtotal),
      subtotal_tax: money(subtotalTax),
      total: money(total),
      total_tax: money(tax),
      taxes: [{ id: 1, total: money(tax), subtotal: money(subtotalTax) }],
      meta_data: meta,
      sku: variation?.sku ?? product.sku,
      // A JSON number, as in the real API (and possibly imprecise there).
      price: Number(unit.toString()),
      image: { id: product.id * 10, src: `https://shop.example.hu/wp-content/uploads/2024/01/${product.sku || 'termek'}.jpg` },
      parent_name: variation ? product.name : null,
    };
  });

  const ship = spec.shipping;
  const shippingNet = ship.free ? new D(0) : new D(spec.currency === 'HUF' ? '1990.00' : '6.90');
  const shippingTax = round(shippingNet.times(spec.taxRate));
  order.shipping_lines = [
    {
      id: lineIdBase + 50,
      method_title: ship.title,
      method_id: ship.oldForm ? `${ship.methodId}:${ship.instanceId}` : ship.methodId,
      ...(ship.oldForm ? {} : { instance_id: ship.instanceId }),
      total: money(shippingNet),
      total_tax: money(shippingTax),
      taxes: ship.free ? [] : [{ id: 1, total: money(shippingTax), subtotal: '' }],
      meta_data: [
        {
          id: lineIdBase * 10 + 9,
          key: 'Items',
          value: order.line_items.map((l) => `${l.name} &times; ${l.quantity}`).join(', '),
          display_key: 'Items',
          display_value: order.line_items.map((l) => `${l.name} &times; ${l.quantity}`).join(', '),
        },
      ],
    },
  ];

  let feeTotal = new D(0);
  let feeTax = new D(0);
  order.fee_lines = [];
  if (spec.codFee) {
    feeTotal = new D(spec.currency === 'HUF' ? '490.00' : '1.50');
    feeTax = round(feeTotal.times(spec.taxRate));
    order.fee_lines.push({
      id: lineIdBase + 60,
      name: 'Utánvét díja',
      tax_class: '',
      tax_status: 'taxable',
      amount: money(feeTotal),
      total: money(feeTotal),
      total_tax: money(feeTax),
      taxes: [{ id: 1, total: money(feeTax), subtotal: '' }],
      meta_data: [],
    });
  }

  order.coupon_lines = spec.couponCode
    ? [
        {
          id: lineIdBase + 70,
          code: spec.couponCode,
          discount: money(discountTotal),
          discount_tax: money(round(discountTotal.times(spec.taxRate))),
          meta_data: [],
        },
      ]
    : [];

  const totalTax = cartTax.plus(shippingTax).plus(feeTax);
  order.discount_total = money(discountTotal);
  order.discount_tax = money(round(discountTotal.times(spec.taxRate)));
  order.shipping_total = money(shippingNet);
  order.shipping_tax = money(shippingTax);
  order.cart_tax = money(cartTax);
  order.total_tax = money(totalTax);
  // The documented identity: total = Σ line totals + shipping + fees + total_tax.
  order.total = money(itemsTotal.plus(shippingNet).plus(feeTotal).plus(totalTax));
  order.tax_lines = [
    {
      id: lineIdBase + 80,
      rate_code: `${order.billing.country || 'HU'}-AFA-1`,
      rate_id: 1,
      label: spec.currency === 'HUF' ? 'ÁFA' : 'VAT',
      compound: false,
      tax_total: money(cartTax.plus(feeTax)),
      shipping_tax_total: money(shippingTax),
      rate_percent: Number(spec.taxRate.times(100).toString()),
      meta_data: [],
    },
  ];
  order.refunds = order.status === 'refunded' ? [{ id: order.id + 500_000, reason: 'Visszaküldve', total: `-${order.total}` }] : [];
}

const specs = new WeakMap<WooOrder, OrderSpec>();

/** A realistic order, deterministic in `i`. Dates are GMT/local strings without a zone, as the API sends them. */
export function generateWooOrder(i: number, opts: GenerateOptions = {}): WooOrder {
  const random = rng(i + 1);
  const baseTime = (opts.baseTime ?? new Date('2024-01-01T08:00:00Z')).getTime();
  const offsetMs = (opts.utcOffsetHours ?? 1) * 3_600_000;
  const id = (opts.firstId ?? 1000) + i;
  const person = pick(random, PEOPLE);
  const currency: 'HUF' | 'EUR' = person.country === 'HU' ? (random() < 0.9 ? 'HUF' : 'EUR') : 'EUR';
  const lineCount = 1 + Math.floor(random() * 3);
  const lines: LineSpec[] = [];
  for (let n = 0; n < lineCount; n++) {
    const productIndex = Math.floor(random() * PRODUCTS.length);
    const product = PRODUCTS[productIndex] as Product;
    const variationIndex = product.variations ? Math.floor(random() * product.variations.length) : undefined;
    lines.push({ productIndex, variationIndex, quantity: 1 + Math.floor(random() * 4) });
  }
  const coupon = random() < 0.2;
  const shippingKind = random();
  const spec: OrderSpec = {
    currency,
    lines,
    couponPercent: coupon ? 10 : 0,
    couponCode: coupon ? 'tavasz10' : undefined,
    shipping:
      shippingKind < 0.15
        ? { methodId: 'local_pickup', instanceId: '4', title: 'Személyes átvétel', oldForm: false, free: true }
        : { methodId: 'flat_rate', instanceId: '3', title: 'GLS házhozszállítás', oldForm: shippingKind > 0.9, free: false },
    codFee: random() < 0.15,
    taxRate: new D(person.country === 'HU' ? '0.27' : person.country === 'AT' ? '0.20' : person.country === 'DE' ? '0.19' : '0.23'),
  };
  const status = pick(random, STATUSES);
  const created = baseTime + i * 60_000;
  const modified = created + 5 * 60_000 + Math.floor(random() * 120) * 1000;
  const paid = status === 'processing' || status === 'completed' || status === 'refunded';
  const email = `${person.first}.${person.last}${i}@example.hu`
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
  const phone = person.country === 'HU' ? `+36 30 ${String(1000000 + ((i * 7919) % 9000000)).slice(0, 3)} ${String(1000 + (i % 9000))}` : '';
  const utm = random() < 0.4;
  const meta: WooMeta[] = [
    { id: id * 10 + 1, key: '_wc_order_attribution_source_type', value: utm ? 'utm' : 'typein' },
    ...(utm
      ? [
          { id: id * 10 + 2, key: '_wc_order_attribution_utm_source', value: 'facebook' },
          { id: id * 10 + 3, key: '_wc_order_attribution_utm_medium', value: 'cpc' },
          { id: id * 10 + 4, key: '_wc_order_attribution_utm_campaign', value: 'tavaszi_akcio' },
        ]
      : []),
    ...(person.company ? [{ id: id * 10 + 5, key: '_billing_tax_number', value: `1234567${i % 10}-2-42` }] : []),
    { id: id * 10 + 6, key: '_wcpdf_invoice_settings', value: { display_shipping_address: 'when_different', display_email: '1' } },
  ];
  const order: WooOrder = {
    id,
    parent_id: 0,
    number: String(id),
    order_key: `wc_order_${(id * 2654435761).toString(16).slice(0, 13)}`,
    created_via: i % 17 === 0 ? 'admin' : 'checkout',
    version: '8.9.1',
    status,
    currency,
    date_created: wooDate(created + offsetMs),
    date_created_gmt: wooDate(created),
    date_modified: wooDate(modified + offsetMs),
    date_modified_gmt: wooDate(modified),
    discount_total: '0.00',
    discount_tax: '0.00',
    shipping_total: '0.00',
    shipping_tax: '0.00',
    cart_tax: '0.00',
    total: '0.00',
    total_tax: '0.00',
    prices_include_tax: false,
    customer_id: i % 3 === 0 ? 0 : 50 + (i % 400),
    customer_ip_address: `192.0.2.${i % 250}`,
    customer_user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    customer_note: i % 11 === 0 ? 'Kérem, délután hozzák. / Please deliver after 2pm' : '',
    billing: {
      first_name: person.first,
      last_name: person.last,
      company: person.company,
      address_1: person.street,
      address_2: '',
      city: person.city,
      state: person.state,
      postcode: person.postcode,
      country: person.country,
      email,
      phone,
    },
    shipping: {
      first_name: person.first,
      last_name: person.last,
      company: person.company,
      address_1: person.street,
      address_2: i % 5 === 0 ? '2. emelet 4.' : '',
      city: person.city,
      state: person.state,
      postcode: person.postcode,
      country: person.country,
      phone,
    },
    payment_method: spec.codFee ? 'cod' : 'stripe',
    payment_method_title: spec.codFee ? 'Utánvét' : 'Bankkártya',
    transaction_id: paid && !spec.codFee ? `pi_${id}` : '',
    date_paid: paid ? wooDate(created + 60_000 + offsetMs) : null,
    date_paid_gmt: paid ? wooDate(created + 60_000) : null,
    date_completed: status === 'completed' ? wooDate(modified + offsetMs) : null,
    date_completed_gmt: status === 'completed' ? wooDate(modified) : null,
    cart_hash: '',
    meta_data: meta,
    line_items: [],
    tax_lines: [],
    shipping_lines: [],
    fee_lines: [],
    coupon_lines: [],
    refunds: [],
    payment_url: `https://shop.example.hu/checkout/order-pay/${id}/?pay_for_order=true`,
    currency_symbol: currency === 'HUF' ? 'Ft' : '€',
    _links: {
      self: [{ href: `https://shop.example.hu/wp-json/wc/v3/orders/${id}` }],
      collection: [{ href: 'https://shop.example.hu/wp-json/wc/v3/orders' }],
    },
  };
  applySpec(order, spec, id * 100);
  specs.set(order, spec);
  return order;
}

/** PHP json_encode without flags, as WordPress answers: `/` → `\/`, non-ASCII → `\uXXXX`. */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface WooSandboxOptions {
  consumerKey: string;
  consumerSecret: string;
  initialOrders?: number;
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  generate?: GenerateOptions;
  /**
   * false emulates an old store: `modified_after`/`modified_before`/`dates_are_gmt` are ignored and
   * `orderby=modified` is rejected with 400 rest_invalid_param. Default true.
   */
  supportsModifiedFilters?: boolean;
  /**
   * true emulates a store whose filters are dropped (a plugin, a caching layer) while `orderby=modified`
   * works: `modified_after`/`modified_before` are ignored, everything else as a modern store. Default false.
   */
  ignoresModifiedFilters?: boolean;
  /**
   * Called before each order list (`GET /orders`) is answered, with its query (secrets masked) and how
   * many list requests came before it: a test changes the shop here, between the pages of a sync.
   * A returned promise holds the answer until it settles (a slow page, a worker killed while it waits);
   * the list is read from the orders as they are then.
   */
  beforeList?: (query: Record<string, string>, served: number) => void | Promise<void>;
}

export interface SandboxRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorized: boolean;
  /** The body of a PUT, as received. */
  body?: string | undefined;
}

export interface SandboxFault {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface WooSandbox {
  /** Store base URL, e.g. http://127.0.0.1:54321 — configure the connector with it. */
  url: string;
  /** The live order list (mutated by addOrders/touchOrders). */
  orders: WooOrder[];
  /** Every request received, for assertions. */
  requests: SandboxRequest[];
  addOrders(n: number): WooOrder[];
  /**
   * Changes n orders (status forward, or one more of the first line) and bumps their date_modified(_gmt):
   * one second after the newest change, or all to `at` (a store clock, e.g. a bulk edit in one second).
   */
  touchOrders(n: number, at?: Date): WooOrder[];
  /** Like touchOrders for the orders with these ids. */
  touchOrderIds(ids: readonly number[], at?: Date): WooOrder[];
  /** The next requests to the orders endpoint get these answers instead (429, 503, HTML…). */
  injectFaults(...faults: SandboxFault[]): void;
  close(): Promise<void>;
}

const NEXT_STATUS: Record<string, string> = {
  pending: 'processing',
  'on-hold': 'processing',
  processing: 'completed',
  'checkout-draft': 'pending',
  failed: 'pending',
};

function wpError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  const body = phpJsonEncode({ code, message, data: { status, ...extra } });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
  res.end(body);
}

/** WP's rest_parse_date: with a zone it is absolute; without one it is in the store's zone (GMT when dates_are_gmt). */
function parseParamDate(value: string | undefined, gmt: boolean, offsetHours: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?$/.test(value)) return Number.NaN;
  const hasZone = /(Z|[+-]\d{2}(:\d{2})?)$/.test(value);
  const ms = Date.parse(hasZone ? value : `${value.replace(' ', 'T')}Z`);
  return hasZone || gmt ? ms : ms - offsetHours * 3_600_000;
}

const gmtMs = (value: string): number => Date.parse(`${value}Z`);

export async function startWooSandbox(options: WooSandboxOptions): Promise<WooSandbox> {
  const orders: WooOrder[] = [];
  const requests: SandboxRequest[] = [];
  const faults: SandboxFault[] = [];
  const generate = options.generate ?? {};
  const offsetHours = generate.utcOffsetHours ?? 1;
  const modern = options.supportsModifiedFilters ?? true;
  let nextIndex = 0;
  let clock = 0;
  let touchCursor = 0;

  const addOrders = (n: number): WooOrder[] => {
    const added: WooOrder[] = [];
    for (let k = 0; k < n; k++) {
      const order = generateWooOrder(nextIndex++, generate);
      clock = Math.max(clock, gmtMs(order.date_modified_gmt));
      orders.push(order);
      added.push(order);
    }
    return added;
  };

  const touch = (order: WooOrder, at: Date | undefined): WooOrder => {
    const spec = specs.get(order);
    const next = NEXT_STATUS[order.status];
    if (next) order.status = next;
    else if (spec && spec.lines[0]) spec.lines[0].quantity += 1;
    if (spec) applySpec(order, spec, order.id * 100);
    const modifiedAt = at ? Math.floor(at.getTime() / 1000) * 1000 : (clock += 1000);
    clock = Math.max(clock, modifiedAt);
    order.date_modified_gmt = wooDate(modifiedAt);
    order.date_modified = wooDate(modifiedAt + offsetHours * 3_600_000);
    if (order.status === 'completed' && !order.date_completed_gmt) {
      order.date_completed_gmt = order.date_modified_gmt;
      order.date_completed = order.date_modified;
    }
    return order;
  };

  const touchOrders = (n: number, at?: Date): WooOrder[] => {
    const touched: WooOrder[] = [];
    for (let k = 0; k < n && orders.length > 0; k++) touched.push(touch(orders[touchCursor++ % orders.length] as WooOrder, at));
    return touched;
  };

  const touchOrderIds = (ids: readonly number[], at?: Date): WooOrder[] =>
    ids.flatMap((id) => {
      const order = orders.find((o) => o.id === id);
      return order ? [touch(order, at)] : [];
    });

  const authorized = (req: IncomingMessage, query: URLSearchParams): boolean => {
    const header = req.headers.authorization;
    // Like WC_REST_Authentication: a Basic user wins; without one the query-string keys are read.
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      if (user !== '') return user === options.consumerKey && decoded.slice(colon + 1) === options.consumerSecret;
    }
    return query.get('consumer_key') === options.consumerKey && query.get('consumer_secret') === options.consumerSecret;
  };

  let listed = 0;
  const listOrders = (res: ServerResponse, query: URLSearchParams, baseUrl: string, include: string | null): void => {
    const perPage = Number(query.get('per_page') ?? '10');
    const page = Number(query.get('page') ?? '1');
    // WP_Query: an explicit offset overrides page; X-WP-Total/TotalPages still count the whole result.
    const offset = query.has('offset') ? Number(query.get('offset')) : undefined;
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): per_page', {
        params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' },
      });
    }
    if (!Number.isInteger(page) || page < 1) {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): page', { params: { page: 'page must be greater than or equal to 1' } });
    }
    if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): offset', { params: { offset: 'offset is not of type integer.' } });
    }
    const orderby = query.get('orderby') ?? 'date';
    const allowed = modern ? ['date', 'id', 'include', 'title', 'slug', 'modified'] : ['date', 'id', 'include', 'title', 'slug'];
    if (!allowed.includes(orderby)) {
      return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): orderby', {
        params: { orderby: `orderby is not one of ${allowed.join(', ')}.` },
      });
    }
    const direction = (query.get('order') ?? 'desc') === 'asc' ? 1 : -1;
    const gmt = query.get('dates_are_gmt') === 'true' || query.get('dates_are_gmt') === '1';
    const after = parseParamDate(query.get('after') ?? undefined, gmt, offsetHours);
    const before = parseParamDate(query.get('before') ?? undefined, gmt, offsetHours);
    const filters = modern && !options.ignoresModifiedFilters;
    const modifiedAfter = filters ? parseParamDate(query.get('modified_after') ?? undefined, gmt, offsetHours) : undefined;
    const modifiedBefore = filters ? parseParamDate(query.get('modified_before') ?? undefined, gmt, offsetHours) : undefined;
    for (const [name, value] of Object.entries({ after, before, modified_after: modifiedAfter, modified_before: modifiedBefore })) {
      if (Number.isNaN(value)) {
        return wpError(res, 400, 'rest_invalid_param', `Invalid parameter(s): ${name}`, { params: { [name]: 'Invalid date.' } });
      }
    }
    const statuses = (query.get('status') ?? 'any').split(',').filter(Boolean);
    // WP date_query 'after'/'before' are exclusive.
    const included = include ? new Set(include.split(',').map(Number)) : undefined;
    const selected = orders.filter((o) => {
      if (included && !included.has(o.id)) return false;
      if (!statuses.includes('any') && !statuses.includes(o.status)) return false;
      if (statuses.includes('any') && o.status === 'trash') return false;
      const createdAt = gmtMs(o.date_created_gmt);
      const modifiedAt = gmtMs(o.date_modified_gmt);
      if (after !== undefined && !(createdAt > after)) return false;
      if (before !== undefined && !(createdAt < before)) return false;
      if (modifiedAfter !== undefined && !(modifiedAt > modifiedAfter)) return false;
      if (modifiedBefore !== undefined && !(modifiedAt < modifiedBefore)) return false;
      return true;
    });
    const key = (o: WooOrder): number => (orderby === 'modified' ? gmtMs(o.date_modified_gmt) : orderby === 'id' ? o.id : gmtMs(o.date_created_gmt));
    selected.sort((a, b) => (key(a) - key(b) || a.id - b.id) * direction);
    const total = selected.length;
    const totalPages = Math.ceil(total / perPage);
    const start = offset ?? (page - 1) * perPage;
    const slice = selected.slice(start, start + perPage);
    const link = (p: number) => {
      const q = new URLSearchParams(query);
      q.delete('consumer_key');
      q.delete('consumer_secret');
      q.set('page', String(p));
      return `${baseUrl}/wp-json/wc/v3/orders?${q.toString()}`;
    };
    const links: string[] = [];
    if (page > 1 && page - 1 <= totalPages) links.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < totalPages) links.push(`<${link(page + 1)}>; rel="next"`);
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=UTF-8',
      'X-WP-Total': String(total),
      'X-WP-TotalPages': String(totalPages),
      ...(links.length > 0 ? { Link: links.join(', ') } : {}),
    });
    // WP REST's global `_fields`: only the named top-level fields of each item.
    const fields = query.get('_fields')?.split(',').map((f) => f.trim()).filter(Boolean);
    const shown = fields ? slice.map((o) => Object.fromEntries(fields.filter((f) => f in o).map((f) => [f, (o as unknown as Record<string, unknown>)[f]]))) : slice;
    res.end(phpJsonEncode(shown));
  };

  /** `wc_get_order_statuses()` without the `wc-` prefix: what `status` may be set to. */
  const SETTABLE = ['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed', 'checkout-draft'];

  const updateOrder = (res: ServerResponse, order: WooOrder, body: string): void => {
    let changes: unknown;
    try {
      changes = JSON.parse(body);
    } catch {
      return wpError(res, 400, 'rest_invalid_json', 'Invalid JSON body passed.');
    }
    const status = changes && typeof changes === 'object' ? (changes as { status?: unknown }).status : undefined;
    if (status !== undefined) {
      const slug = typeof status === 'string' ? status.replace(/^wc-/, '') : '';
      if (!SETTABLE.includes(slug)) {
        return wpError(res, 400, 'rest_invalid_param', 'Invalid parameter(s): status', { params: { status: `status is not one of ${SETTABLE.join(', ')}.` } });
      }
      order.status = slug;
      const modifiedAt = (clock += 1000);
      order.date_modified_gmt = wooDate(modifiedAt);
      order.date_modified = wooDate(modifiedAt + offsetHours * 3_600_000);
      if (slug === 'completed' && !order.date_completed_gmt) {
        order.date_completed_gmt = order.date_modified_gmt;
        order.date_completed = order.date_modified;
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end(phpJsonEncode(order));
  };

  let baseUrl = '';
  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://sandbox');
    const query = parsed.searchParams;
    const ok = authorized(req, query);
    const shownQuery = Object.fromEntries([...query.entries()].map(([k, v]) => [k, /secret|key/i.test(k) ? '***' : v]));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', path: parsed.pathname, query: shownQuery, authorized: ok, ...(req.method === 'PUT' ? { body } : {}) });
      answer(req, res, parsed, query, ok, body);
    });
  });

  const answer = (req: IncomingMessage, res: ServerResponse, parsed: URL, query: URLSearchParams, ok: boolean, body: string): void => {
    const path = parsed.pathname.replace(/\/+$/, '');
    const orderMatch = /^\/wp-json\/wc\/v3\/orders(?:\/(\d+))?$/.exec(path);
    const method = req.method ?? 'GET';
    if (!orderMatch || !(method === 'GET' || (method === 'PUT' && orderMatch[1]))) {
      return wpError(res, 404, 'rest_no_route', 'No route was found matching the URL and request method.');
    }
    const fault = faults.shift();
    if (fault) {
      res.writeHead(fault.status, { 'Content-Type': 'application/json; charset=UTF-8', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (!ok) {
      if (method === 'PUT') return wpError(res, 401, 'woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.');
      return wpError(res, 401, 'woocommerce_rest_cannot_view', orderMatch[1] ? 'Sorry, you cannot view this resource.' : 'Sorry, you cannot list resources.');
    }
    if (orderMatch[1]) {
      const order = orders.find((o) => o.id === Number(orderMatch[1]));
      if (!order) return wpError(res, 404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
      if (method === 'PUT') return updateOrder(res, order, body);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' });
      res.end(phpJsonEncode(order));
      return;
    }
    const include = query.get('include');
    const held = options.beforeList?.(Object.fromEntries([...query.entries()].map(([k, v]) => [k, /secret|key/i.test(k) ? '***' : v])), listed++);
    if (!held) return listOrders(res, query, baseUrl, include);
    // The caller may have gone away meanwhile: the answer then goes nowhere, as from a real server.
    held.then(
      () => listOrders(res, query, baseUrl, include),
      (error: unknown) => wpError(res, 500, 'internal_server_error', String((error as Error)?.message ?? error)),
    );
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  addOrders(options.initialOrders ?? 0);

  return {
    url: baseUrl,
    orders,
    requests,
    addOrders,
    touchOrders,
    touchOrderIds,
    injectFaults: (...items) => faults.push(...items),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// `tsx demo/woo-sandbox.ts [orders] [port]`: run a sandbox for manual tries (ck_demo / cs_demo).
if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 250);
  const port = Number(process.argv[3] ?? 8089);
  const sandbox = await startWooSandbox({ consumerKey: 'ck_demo', consumerSecret: 'cs_demo', initialOrders: count, port });
  console.log(`WooCommerce sandbox with ${count} orders at ${sandbox.url} (consumer key ck_demo, secret cs_demo)`);
}
