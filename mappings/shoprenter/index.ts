import { Type, type Static } from '@sinclair/typebox';
import { chooseChannelStatus, statusWriteBackOptionsSchema, writeBackEnabled } from '../common/status-write-back.ts';
import { Decimal } from 'decimal.js';
import type { Address } from '../../core/model/common.ts';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { Customer, MappingResult, OrderDraft, OrderLineDraft, OrderSource } from '../../core/model/order.ts';
import { OrderStatusSchema } from '../../core/model/order.ts';
import type { SrPulledOrder, SrWebhookOrder } from '../../connectors/shoprenter/types.ts';
import { Money, formatDecimal, parseDecimal, sumDecimals, type MoneyValue } from '../common/money.ts';
import { parseLocalIso as parseShopLocal } from '../../lib/time-zones.ts';
import { mapShoprenterStatus, type ShoprenterStatusRef } from './status.ts';

export { DEFAULT_SHOPRENTER_STATUS_IDS, DEFAULT_SHOPRENTER_STATUS_NAMES, mapShoprenterStatus } from './status.ts';

/**
 * Shoprenter JSON → core order drafts. Reads both payload kinds:
 * - a pulled page assembled by the connector: `{source: "shoprenter-pull", page, orders: [{...order,
 *   orderProducts: {items}, orderTotals: {items}}]}`;
 * - a webhook body: `{"orders": {"order": [ … ]}}` (or a single `order` object).
 * Pure and total: bad data becomes an entry in `errors` (ref = innerId, or `#index`), never an exception.
 *
 * Representation (see README.md): every amount is a decimal string rounded half-up to 4 places (unit
 * prices to 6), net of VAT, in the order's currency; Σ lines.total + totals.tax = totals.total.
 */

export const ShoprenterMappingOptionsSchema = Type.Object(
  {
    /** Status id ("5") or status name (any case) → core status. */
    statusMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    /** Abandoned carts (orderStatusId 0 / no status): dropped (default) or kept as `draft` orders. */
    abandonedCarts: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('draft')], { default: 'skip' })),
    /** IANA zone of the shop's wall-clock dates. Default Europe/Budapest. */
    timeZone: Type.Optional(Type.String({ minLength: 1 })),
    /** Currency when the payload names none (a pulled order whose currency link could not be read). */
    defaultCurrency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$' })),
    /** Shoprenter statuses are per shop: nothing is sent for a core status without its status id here. */
    statusWriteBack: Type.Optional(statusWriteBackOptionsSchema('the shop\'s order status id ("5") or orderStatus resource id')),
  },
  { additionalProperties: false },
);
export type ShoprenterMappingOptions = Static<typeof ShoprenterMappingOptionsSchema>;

type Json = Record<string, unknown>;
class OrderMappingError extends Error {}

const DEFAULT_ZONE = 'Europe/Budapest';
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const stripNul = (value: string): string => value.split('\u0000').join('');

/** A text field: strings (NUL stripped, trimmed) and numbers; `{}`/null/'' → undefined. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const cleaned = stripNul(value).trim();
    return cleaned === '' ? undefined : cleaned;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A decimal field (string or number, mixed in webhooks); `{}`/null/'' → undefined; present but unreadable → error. */
function decimal(value: unknown, field: string): MoneyValue | undefined {
  if (value === undefined || value === null || value === '' || (isObject(value) && Object.keys(value).length === 0)) return undefined;
  const parsed = parseDecimal(value);
  if (parsed === undefined) throw new OrderMappingError(`${field} is not a decimal number: ${JSON.stringify(value) ?? 'missing'}`);
  return parsed;
}

function required(value: unknown, field: string): MoneyValue {
  const parsed = decimal(value, field);
  if (parsed === undefined) throw new OrderMappingError(`${field} is missing`);
  return parsed;
}

/** A tax rate; "-1.0000" means "not set". */
function taxRate(value: unknown, field: string): MoneyValue | undefined {
  const parsed = decimal(value, field);
  return parsed === undefined || parsed.equals(-1) ? undefined : parsed;
}

const m4 = (value: MoneyValue): string => formatDecimal(value.toDecimalPlaces(4, Decimal.ROUND_HALF_UP));
const u6 = (value: MoneyValue): string => formatDecimal(value.toDecimalPlaces(6, Decimal.ROUND_HALF_UP));
const r4 = (value: MoneyValue): MoneyValue => value.toDecimalPlaces(4, Decimal.ROUND_HALF_UP);
const ZERO = new Money(0);

/** Inner id from a resource id or href: base64 of `<resource>-<column>=<innerId>`. */
function innerIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const path = value.split(/[?#]/)[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(last)) return undefined;
  const decoded = Buffer.from(last.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return /^[A-Za-z]+-[a-z_]+=(\d+)$/.exec(decoded)?.[1];
}

const COUNTRIES: Record<string, string> = {
  magyarország: 'HU', hungary: 'HU', ausztria: 'AT', austria: 'AT', szlovákia: 'SK', slovakia: 'SK', románia: 'RO', romania: 'RO',
  németország: 'DE', germany: 'DE', horvátország: 'HR', croatia: 'HR', szlovénia: 'SI', slovenia: 'SI', szerbia: 'RS', serbia: 'RS',
  ukrajna: 'UA', ukraine: 'UA', csehország: 'CZ', 'czech republic': 'CZ', czechia: 'CZ', lengyelország: 'PL', poland: 'PL',
};

function country(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (/^[A-Za-z]{2}$/.test(name)) return name.toUpperCase();
  return COUNTRIES[name.toLowerCase()] ?? name;
}

function address(order: Json, prefix: 'payment' | 'shipping', extra: Partial<Address>): Address | undefined {
  const field = (name: string) => text(order[`${prefix}${name}`]);
  const out: Address = {
    name: [field('Firstname'), field('Lastname')].filter(Boolean).join(' ') || undefined,
    company: field('Company'),
    line1: field('Address1'),
    line2: field('Address2'),
    city: field('City'),
    postcode: field('Postcode'),
    region: field('ZoneName'),
    country: country(field('CountryName')),
    ...extra,
  };
  const compact = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Address;
  const meaningful = Object.keys(compact).filter((k) => k !== 'email' && k !== 'phone');
  return meaningful.length > 0 ? compact : undefined;
}

function region(shipping: Address | undefined, billing: Address | undefined): string | undefined {
  for (const a of [shipping, billing]) {
    if (a?.region) return a.country ? `${a.country}-${a.region}` : a.region;
  }
  return shipping?.country ?? billing?.country;
}

function customer(order: Json, billing: Address | undefined, customerLink: unknown): Customer {
  const out: Customer = {};
  const id = isObject(customerLink) ? innerIdOf(customerLink.href) : undefined;
  if (id) out.externalId = id;
  const name = [text(order.firstname), text(order.lastname)].filter(Boolean).join(' ') || billing?.name;
  if (name) out.name = name;
  const email = text(order.email);
  if (email) out.email = email;
  const phone = text(order.phone);
  if (phone) out.phone = phone;
  const company = text(order.paymentCompany) ?? text(order.shippingCompany);
  if (company) out.company = company;
  const taxNumber = text(order.taxNumber) ?? text(order.paymentTaxnumber);
  if (taxNumber) out.taxNumber = taxNumber;
  return out;
}

function flatLine(kind: OrderLineDraft['kind'], name: string, total: MoneyValue, tax: MoneyValue, attributes: Record<string, unknown>, externalId?: string): OrderLineDraft {
  const line: OrderLineDraft = {
    kind,
    name,
    quantity: '1',
    unitPrice: u6(total),
    subtotal: m4(total),
    discount: '0',
    tax: m4(tax),
    total: m4(total),
    attributes,
  };
  if (externalId) line.externalId = externalId;
  return line;
}

function productLine(input: {
  where: string;
  name: string;
  sku: string | undefined;
  externalId: string | undefined;
  quantity: MoneyValue;
  unitPrice: MoneyValue;
  subtotal: MoneyValue;
  rate: MoneyValue | undefined;
  attributes: Record<string, unknown>;
}): OrderLineDraft {
  const subtotal = r4(input.subtotal);
  const tax = input.rate ? r4(subtotal.times(input.rate).dividedBy(100)) : ZERO;
  const line: OrderLineDraft = {
    kind: 'product',
    name: input.name,
    quantity: m4(input.quantity),
    unitPrice: u6(input.unitPrice),
    subtotal: m4(subtotal),
    discount: '0',
    tax: m4(tax),
    total: m4(subtotal),
    attributes: input.attributes,
  };
  if (input.externalId) line.externalId = input.externalId;
  if (input.sku) line.sku = input.sku;
  return line;
}

function itemsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isObject(value) && Array.isArray(value.items)) return value.items;
  return undefined;
}

function statusOfPulled(order: Json): ShoprenterStatusRef {
  const link = order.orderStatus;
  if (!isObject(link) || (link.href === undefined && link.innerId === undefined)) return { id: '0' };
  const id = text(link.innerId) ?? innerIdOf(link.href);
  return { id, name: text(link.name) };
}

const shopOfHref = (href: unknown): string | undefined => (typeof href === 'string' ? /^https?:\/\/([^./]+)\.api2?\./i.exec(href)?.[1] : undefined);

function finishDraft(
  order: Json,
  base: { externalId: string; status: ShoprenterStatusRef; currency: string; placedAt: Date; updatedAt: Date | undefined; shop: string | undefined },
  lines: OrderLineDraft[],
  totals: OrderDraft['totals'],
  options: ResolvedOptions,
): OrderDraft {
  const billingAddress = address(order, 'payment', { email: text(order.email), phone: text(order.phone) });
  const shippingAddress = address(order, 'shipping', {});
  const abandoned = base.status.id === '0';
  const source: OrderSource = {};
  if (base.shop) source.shop = base.shop;
  const external = isObject(order.externalInfo) ? order.externalInfo : {};
  const partner = text(external.partner_prefix);
  if (partner) source.partner = partner;
  const draft: OrderDraft = {
    externalId: base.externalId,
    number: base.externalId,
    status: abandoned ? 'draft' : mapShoprenterStatus(base.status, options.statusMap),
    // The status as the shop names it ("Függőben lévő"); its id when the payload carries no name.
    sourceStatus: abandoned ? '0' : (base.status.name ?? base.status.id ?? 'unknown'),
    source,
    customer: customer(order, billingAddress, order.customer),
    currency: base.currency,
    totals,
    lines,
    placedAt: base.placedAt.toISOString(),
  };
  // The id is what a status write-back sends ("5"): kept so it is not sent again while the shop shows it.
  if (!abandoned && base.status.id) draft.sourceStatusId = base.status.id;
  if (billingAddress) draft.billingAddress = billingAddress;
  if (shippingAddress) draft.shippingAddress = shippingAddress;
  const orderRegion = region(shippingAddress, billingAddress);
  if (orderRegion) draft.region = orderRegion;
  const notes = text(order.comment);
  if (notes) draft.notes = notes;
  if (base.updatedAt) draft.sourceUpdatedAt = base.updatedAt.toISOString();
  return draft;
}

interface ResolvedOptions {
  statusMap: Record<string, unknown> | undefined;
  abandonedCarts: 'skip' | 'draft';
  zone: string;
  defaultCurrency: string | undefined;
}

/** Known orderTotals types that restate other amounts (no line of their own). */
const INFORMATIONAL_TOTALS = new Set(['SUB_TOTAL', 'SUB_TOTAL_WITH_TAX', 'TAX', 'TOTAL', 'LOYALTYPOINTS_TO_GET']);

function mapPulledOrder(order: SrPulledOrder & Json, options: ResolvedOptions): OrderDraft | undefined {
  const externalId = text(order.innerId) ?? innerIdOf(order.id) ?? innerIdOf(order.href);
  if (!externalId) throw new OrderMappingError('order has no innerId');
  const issues = Array.isArray(order.orderhubIssues) ? order.orderhubIssues.filter((i) => typeof i === 'string') : [];
  if (issues.length > 0) throw new OrderMappingError(`the connector could not read all of the order: ${issues.join('; ')}`);
  const status = statusOfPulled(order);
  if (status.id === '0' && options.abandonedCarts === 'skip') return undefined;
  const currencyLink: Json = isObject(order.currency) ? order.currency : {};
  const currency = (text(currencyLink.code) ?? options.defaultCurrency)?.toUpperCase();
  if (!currency) throw new OrderMappingError('the order currency is unknown (currency link not expanded and no defaultCurrency option)');
  const placedAt = parseShopLocal(order.dateCreated, options.zone);
  if (!placedAt) throw new OrderMappingError(`dateCreated is not a date: ${JSON.stringify(order.dateCreated) ?? 'missing'}`);
  // Amounts are stored in the shop's default currency; `value` converts them to the order currency.
  const multiplier = (() => {
    const value = decimal(order.value, 'value');
    return value && value.greaterThan(0) ? value : new Money(1);
  })();
  const conv = (value: MoneyValue): MoneyValue => value.times(multiplier);

  const productItems = itemsOf(order.orderProducts);
  if (!productItems) throw new OrderMappingError('orderProducts were not read (no items): the document is not a pulled page assembled by the connector');
  const products = productItems.map((raw, index) => {
    const where = `orderProducts[${index}]`;
    if (!isObject(raw)) throw new OrderMappingError(`${where} is not an object`);
    const price = required(raw.price, `${where}.price`);
    const lineTotal = decimal(raw.total, `${where}.total`);
    let quantity = decimal(raw.quantity, `${where}.quantity`);
    if (quantity === undefined) {
      // No quantity field: the ordered quantity is what the four warehouses give (0 for abandoned carts).
      quantity = ['stock1', 'stock2', 'stock3', 'stock4'].reduce((sum, f) => sum.plus(decimal(raw[f], `${where}.${f}`) ?? ZERO), new Money(0));
      if (quantity.isZero() && lineTotal && !price.isZero()) quantity = r4(lineTotal.dividedBy(price));
    }
    const attributes: Record<string, unknown> = {};
    const productId = text(raw.productInnerId) ?? innerIdOf(isObject(raw.product) ? raw.product.href : undefined);
    if (productId) attributes.productId = productId;
    const modelNumber = text(raw.modelNumber);
    if (modelNumber) attributes.modelNumber = modelNumber;
    const gtin = text(raw.gtin);
    if (gtin) attributes.gtin = gtin;
    const rate = taxRate(raw.taxRate, `${where}.taxRate`);
    if (rate) attributes.taxRate = formatDecimal(rate);
    const original = decimal(raw.originalPrice, `${where}.originalPrice`);
    if (original && !original.equals(price)) attributes.originalUnitPrice = u6(conv(original));
    return productLine({
      where,
      name: text(raw.name) ?? '',
      sku: text(raw.sku) ?? modelNumber,
      externalId: text(raw.innerId) ?? innerIdOf(raw.id),
      quantity,
      unitPrice: conv(price),
      subtotal: conv(lineTotal ?? price.times(quantity)),
      rate,
      attributes,
    });
  });

  const totalItems = itemsOf(order.orderTotals) ?? [];
  const lines: OrderLineDraft[] = [];
  const sums = { subtotal: undefined as MoneyValue | undefined, tax: undefined as MoneyValue | undefined, total: undefined as MoneyValue | undefined };
  const add = (a: MoneyValue | undefined, b: MoneyValue) => (a ?? ZERO).plus(b);
  const shippingRate = taxRate(order.shippingMethodTaxRate, 'shippingMethodTaxRate');
  const paymentRate = taxRate(order.paymentMethodTaxRate, 'paymentMethodTaxRate');
  const couponRate = taxRate(order.couponTaxRate, 'couponTaxRate');
  const loyaltyRate = taxRate(order.loyaltyPointsTaxRate, 'loyaltyPointsTaxRate');
  totalItems.forEach((raw, index) => {
    const where = `orderTotals[${index}]`;
    if (!isObject(raw)) throw new OrderMappingError(`${where} is not an object`);
    const type = (text(raw.type) ?? '').toUpperCase();
    const key = text(raw.key);
    const value = conv(required(raw.value, `${where}.value`));
    const name = (text(raw.name) ?? type).replace(/:\s*$/, '');
    const attributes: Record<string, unknown> = { type, ...(key ? { key } : {}), ...(text(raw.valueText) ? { valueText: text(raw.valueText) } : {}) };
    const externalId = innerIdOf(raw.id);
    const taxed = (rate: MoneyValue | undefined) => (rate ? value.times(rate).dividedBy(100) : ZERO);
    if (type === 'SUB_TOTAL') sums.subtotal = add(sums.subtotal, value);
    else if (type === 'TAX') sums.tax = add(sums.tax, value);
    else if (type === 'TOTAL') sums.total = add(sums.total, value);
    else if (INFORMATIONAL_TOTALS.has(type)) return;
    else if (type === 'SHIPPING') lines.push(flatLine('shipping', text(order.shippingMethodName) ?? name, value, taxed(shippingRate), { ...attributes, method: text(order.shippingMethodExtension) }, externalId));
    else if (type === 'PAYMENT') lines.push(flatLine('fee', name, value, taxed(paymentRate), { ...attributes, paymentMethod: text(order.paymentMethodCode) }, externalId));
    else if (type === 'COUPON') lines.push(flatLine('discount', name, value, taxed(couponRate), { ...attributes, code: text(raw.description) }, externalId));
    else if (type === 'LOYALTYPOINTS_TO_USE') lines.push(flatLine('discount', name, value, taxed(loyaltyRate), attributes, externalId));
    else if (key === 'CART_AMOUNT_DISCOUNT' || value.isNegative()) lines.push(flatLine('discount', name, value, ZERO, attributes, externalId));
    else if (!value.isZero()) lines.push(flatLine('fee', name, value, ZERO, attributes, externalId));
  });

  const all = [...products, ...lines];
  const sumOf = (kind: OrderLineDraft['kind']) => all.filter((l) => l.kind === kind).map((l) => new Money(l.total));
  const totals: OrderDraft['totals'] = {
    subtotal: m4(sums.subtotal ?? new Money(sumDecimals(products.map((l) => new Money(l.subtotal))))),
    discount: m4(new Money(sumDecimals(sumOf('discount'))).negated()),
    shipping: m4(new Money(sumDecimals(sumOf('shipping')))),
    fee: m4(new Money(sumDecimals(sumOf('fee')))),
    tax: m4(sums.tax ?? new Money(sumDecimals(all.map((l) => new Money(l.tax))))),
    total: m4(sums.total ?? conv(required(order.total, 'total'))),
  };
  return finishDraft(
    order,
    { externalId, status, currency, placedAt, updatedAt: parseShopLocal(order.dateUpdated, options.zone), shop: shopOfHref(order.href) },
    all,
    totals,
    options,
  );
}

function mapWebhookOrder(order: SrWebhookOrder & Json, options: ResolvedOptions, receivedAt: Date | undefined): OrderDraft | undefined {
  const externalId = text(order.innerId) ?? innerIdOf(order.innerResourceId);
  if (!externalId) throw new OrderMappingError('order has no innerId');
  const history = isObject(order.orderHistory) ? order.orderHistory : {};
  const status: ShoprenterStatusRef = { id: text(history.status), name: text(history.statusText) };
  if (status.id === '0' && options.abandonedCarts === 'skip') return undefined;
  const rawProducts = isObject(order.orderProducts) ? order.orderProducts.orderProduct : undefined;
  const productList = Array.isArray(rawProducts) ? rawProducts : isObject(rawProducts) ? [rawProducts] : [];
  const firstProduct = productList.find(isObject);
  const currency = (text(order.currency) ?? (firstProduct ? text(firstProduct.currency) : undefined) ?? options.defaultCurrency)?.toUpperCase();
  if (!currency) throw new OrderMappingError('the order currency is unknown');
  // The webhook has no creation date: the status entry's date stands for both (documented). The
  // vendor's order_confirm example has none either: then the time the hub received the payload
  // stands for placedAt, and the draft says so (a later pull brings the shop's dateCreated).
  const dateAdded = text(history.dateAdded);
  const when = parseShopLocal(dateAdded, options.zone);
  if (dateAdded !== undefined && !when) throw new OrderMappingError(`orderHistory.dateAdded is not a date: ${JSON.stringify(history.dateAdded)}`);
  const placedAt = when ?? receivedAt;
  if (!placedAt) throw new OrderMappingError('the webhook carries no date (orderHistory.dateAdded) and the payload has no received time');

  const products = productList.map((raw, index) => {
    const where = `orderProducts.orderProduct[${index}]`;
    if (!isObject(raw)) throw new OrderMappingError(`${where} is not an object`);
    const price = required(raw.price, `${where}.price`);
    const quantity = required(raw.quantity, `${where}.quantity`);
    const rate = taxRate(raw.taxRate, `${where}.taxRate`);
    const attributes: Record<string, unknown> = {};
    if (rate) attributes.taxRate = formatDecimal(rate);
    const category = text(raw.category);
    if (category) attributes.category = category;
    return productLine({
      where,
      name: text(raw.name) ?? '',
      sku: text(raw.sku),
      externalId: text(raw.innerId) ?? innerIdOf(raw.innerResourceId),
      quantity,
      unitPrice: price,
      subtotal: price.times(quantity),
      rate,
      attributes,
    });
  });

  const lines: OrderLineDraft[] = [];
  const shippingNet = decimal(order.shippingNetPrice, 'shippingNetPrice');
  const shippingGross = decimal(order.shippingGrossPrice, 'shippingGrossPrice');
  if (shippingNet !== undefined || shippingGross !== undefined) {
    const net = shippingNet ?? shippingGross ?? ZERO;
    lines.push(flatLine('shipping', text(order.shippingMethodName) ?? 'Shipping', net, (shippingGross ?? net).minus(net), { grossPrice: m4(shippingGross ?? net) }));
  }
  const paymentNet = decimal(order.paymentNetPrice, 'paymentNetPrice');
  const paymentGross = decimal(order.paymentGrossPrice, 'paymentGrossPrice');
  if ((paymentNet && !paymentNet.isZero()) || (paymentGross && !paymentGross.isZero())) {
    const net = paymentNet ?? paymentGross ?? ZERO;
    lines.push(flatLine('fee', text(order.paymentMethodName) ?? 'Payment fee', net, (paymentGross ?? net).minus(net), { grossPrice: m4(paymentGross ?? net) }));
  }
  const coupon = decimal(order.couponGrossPrice, 'couponGrossPrice');
  if (coupon && !coupon.isZero()) {
    // Only the gross coupon value is sent: the line carries it as a (negative) amount without tax split.
    lines.push(flatLine('discount', text(order.couponCode) ?? 'Coupon', coupon.abs().negated(), ZERO, { code: text(order.couponCode), amountIsGross: true }));
  }
  const all = [...products, ...lines];
  const sumOf = (kind: OrderLineDraft['kind']) => new Money(sumDecimals(all.filter((l) => l.kind === kind).map((l) => new Money(l.total))));
  const subtotal = decimal(order.total, 'total') ?? sumOf('product');
  const shipping = sumOf('shipping');
  const fee = sumOf('fee');
  const discount = sumOf('discount').negated();
  const total = decimal(order.totalGross, 'totalGross') ?? required(order.total, 'total');
  const totals: OrderDraft['totals'] = {
    subtotal: m4(subtotal),
    discount: m4(discount),
    shipping: m4(shipping),
    fee: m4(fee),
    // totalGross is authoritative; taxPrice covers products only, so the tax is what the net amounts leave.
    tax: m4(total.minus(sumOf('product')).minus(shipping).minus(fee).plus(discount)),
    total: m4(total),
  };
  const draft = finishDraft(order, { externalId, status, currency, placedAt, updatedAt: when, shop: text(order.storeName) }, all, totals, options);
  if (!when) draft.transport = { placedAtFrom: 'received', note: 'the webhook carries no order date: placedAt is the time the hub received it' };
  return draft;
}

function resolveOptions(options: ShoprenterMappingOptions | undefined): ResolvedOptions {
  const o: Json = isObject(options) ? options : {};
  let zone = typeof o.timeZone === 'string' ? o.timeZone : DEFAULT_ZONE;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    zone = DEFAULT_ZONE;
  }
  return {
    statusMap: isObject(o.statusMap) ? o.statusMap : undefined,
    abandonedCarts: o.abandonedCarts === 'draft' ? 'draft' : 'skip',
    zone,
    defaultCurrency: typeof o.defaultCurrency === 'string' && /^[A-Za-z]{3}$/.test(o.defaultCurrency) ? o.defaultCurrency : undefined,
  };
}

function dateOf(value: unknown): Date | undefined {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** Maps one payload: a pulled page document or a webhook body. */
export function mapShoprenterPayload(payload: RawPayloadInput, options: ShoprenterMappingOptions | undefined): MappingResult {
  const result: MappingResult = { orders: [], errors: [] };
  const body = typeof payload?.body === 'string' ? payload.body : '';
  if (/^\s*</.test(body)) {
    result.errors.push({ message: 'body is XML: set the Shoprenter webhook format to json (the API is read with Accept: application/json)' });
    return result;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    result.errors.push({ message: `body is not JSON: ${(error as Error).message}` });
    return result;
  }
  const resolved = resolveOptions(options);
  const receivedAt = dateOf(payload?.receivedAt);
  let items: unknown[];
  let kind: 'pulled' | 'webhook';
  if (isObject(parsed) && Array.isArray(parsed.orders)) {
    items = parsed.orders;
    kind = 'pulled';
  } else if (isObject(parsed) && isObject(parsed.orders) && 'order' in parsed.orders) {
    const inner = parsed.orders.order;
    items = Array.isArray(inner) ? inner : [inner];
    kind = 'webhook';
  } else {
    result.errors.push({ message: 'expected a pulled Shoprenter page ({"orders": [...]}) or a webhook body ({"orders": {"order": [...]}})' });
    return result;
  }
  items.forEach((item, index) => {
    const ref = isObject(item) ? (text(item.innerId) ?? `#${index}`) : `#${index}`;
    if (!isObject(item)) {
      result.errors.push({ ref, message: `expected an order object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}` });
      return;
    }
    try {
      const draft = kind === 'pulled' ? mapPulledOrder(item as SrPulledOrder & Json, resolved) : mapWebhookOrder(item as SrWebhookOrder & Json, resolved, receivedAt);
      if (draft) result.orders.push(draft);
    } catch (error) {
      result.errors.push({ ref, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return result;
}

export const shoprenterMapping: ChannelMapping<ShoprenterMappingOptions> = {
  optionsSchema: ShoprenterMappingOptionsSchema,
  map: mapShoprenterPayload,
  statusWriteBack: {
    enabled: writeBackEnabled,
    // Status ids are per shop (only id 1 is known for sure, and it is the shop's "pending"): no defaults.
    statusOf: (coreStatus, options) => chooseChannelStatus(coreStatus, options, {}, 'Shoprenter order status id'),
  },
};
