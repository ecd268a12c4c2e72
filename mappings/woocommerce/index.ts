import { Type, type Static } from '@sinclair/typebox';
import type { Address } from '../../core/model/common.ts';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { Customer, MappingError, MappingResult, OrderDraft, OrderLineDraft, OrderRefundDraft, OrderSource } from '../../core/model/order.ts';
import { OrderStatusSchema } from '../../core/model/order.ts';
import type { WooMeta } from '../../connectors/woocommerce/types.ts';
import { MONEY_SCALE, Money, UNIT_PRICE_SCALE, divideDecimal, formatDecimal, parseDecimal, sumDecimals, type MoneyValue } from '../common/money.ts';
import { stripNul, stripNulDeep } from '../common/text.ts';
import { decodeHtmlEntities } from './entities.ts';
import { OrderMappingError, array, gmtDate, idOf, isObject, metaList, metaValue, money, moneyOr0, scaled, text, type Json } from './json.ts';
import { mapWooRefundList, refundListOrderId } from './refund-list.ts';
import { DEFAULT_WOO_STATUS_FOR_CORE, mapWooStatus, normaliseWooStatus } from './status.ts';
import { chooseChannelStatus, statusWriteBackOptionsSchema, writeBackEnabled } from '../common/status-write-back.ts';

export { DEFAULT_WOO_STATUS_FOR_CORE, DEFAULT_WOO_STATUS_MAP, mapWooStatus } from './status.ts';

/**
 * WooCommerce REST v3 order JSON → core order drafts. Pure and total: bad data becomes an entry in
 * `errors` (ref = order id, or `#index` when the id is unreadable), never an exception.
 *
 * Representation choices:
 * - Every money value and quantity is a normalised decimal string computed with decimal.js from the
 *   string fields; the float `line_items[].price` is used only when the quantity is zero.
 * - Product lines: subtotal = pre-discount, total = after coupons, discount = subtotal − total,
 *   tax = total_tax (all ex-tax amounts, as WooCommerce reports them); unitPrice = subtotal / quantity
 *   rounded half-up to 6 decimals (DECIMAL(18,6)).
 * - Every other amount and quantity fits DECIMAL(18,4): a source value with more than 4 decimals is
 *   rounded half-up to 4 and its original kept in the line's `attributes.unrounded` (order-level
 *   amounts in the first line's `attributes.orderUnrounded`). A value too large for its column is an
 *   error for that order.
 * - U+0000 is stripped from every string emitted (PostgreSQL text/jsonb cannot hold it).
 * - A body that is only `{ "id": n }` (the `order.deleted` webhook) maps to nothing, without an error:
 *   deletions are not propagated (WooCommerce trashes orders first, which arrives as status trash).
 * - Coupon lines become kind 'discount' lines with quantity 1 and all amounts 0; the coupon amount
 *   is in `attributes.discount`. WooCommerce already deducted it from the product lines' totals, so
 *   Σ lines.total + totals.tax = totals.total holds without double counting.
 * - Refunds (`refunds[].total`, negative) are not lines: they do not change `total`. Each becomes a
 *   refund record (`refunds`: id, positive amount, reason); the order summary carries no refunded lines
 *   or date. Those are at `/orders/<id>/refunds`, which the connector fetches when the channel's
 *   `refundDetails` option is on and archives as a payload of its own; `refund-list.ts` reads it into
 *   refund details (lines, refundedAt) that core writes onto the same records, and a later summary
 *   keeps them. A refund that cannot be read is an error for the order: a refund list with a hole
 *   would drop a stored refund.
 */

export const WooMappingOptionsSchema = Type.Object(
  {
    /** WooCommerce status slug (without `wc-`) → core status, e.g. `{ "shipped": "shipped" }`. */
    statusMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    statusWriteBack: Type.Optional(statusWriteBackOptionsSchema('WooCommerce status slug without wc-, e.g. completed, on-hold, shipped')),
  },
  { additionalProperties: false },
);
export type WooMappingOptions = Static<typeof WooMappingOptionsSchema>;

function address(raw: unknown, withEmail: boolean): Address | undefined {
  if (!isObject(raw)) return undefined;
  const name = [text(raw.first_name), text(raw.last_name)].filter(Boolean).join(' ') || undefined;
  const country = text(raw.country);
  const out: Address = {
    name,
    company: text(raw.company),
    line1: text(raw.address_1),
    line2: text(raw.address_2),
    city: text(raw.city),
    postcode: text(raw.postcode),
    region: text(raw.state),
    // ISO alpha-2 normally; orders created through the API may hold free text ("India"): kept as is.
    country: country && /^[a-z]{2}$/i.test(country) ? country.toUpperCase() : country,
    phone: text(raw.phone),
    email: withEmail ? text(raw.email) : undefined,
  };
  const compact = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Address;
  return Object.keys(compact).length > 0 ? compact : undefined;
}

function region(shipping: Address | undefined, billing: Address | undefined): string | undefined {
  for (const a of [shipping, billing]) {
    if (a?.region) return a.country ? `${a.country}-${a.region}` : a.region;
  }
  return shipping?.country ?? billing?.country;
}

const UTM_FIELDS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

function orderSource(order: Json, meta: WooMeta[]): OrderSource {
  const source: OrderSource = {};
  const createdVia = text(order.created_via);
  if (createdVia) source.createdVia = createdVia;
  const utm: NonNullable<OrderSource['utm']> = {};
  for (const field of UTM_FIELDS) {
    // WooCommerce order attribution (8.5+) first, then plain utm_* meta written by other plugins.
    const value = metaValue(meta, `_wc_order_attribution_utm_${field}`) ?? metaValue(meta, `utm_${field}`) ?? metaValue(meta, `_utm_${field}`);
    if (value) utm[field] = value;
  }
  // Attribution's source type (utm, organic, referral, typein, admin, mobile_app) when no medium is given.
  const sourceType = metaValue(meta, '_wc_order_attribution_source_type');
  if (!utm.medium && sourceType) utm.medium = sourceType;
  if (Object.keys(utm).length > 0) source.utm = utm;
  if (utm.campaign) source.campaign = utm.campaign;
  return source;
}

const TAX_NUMBER_KEYS = ['_billing_vat_number', '_vat_number', 'vat_number', '_billing_eu_vat_number', '_billing_tax_number', 'billing_tax_number', '_billing_adoszam', 'adoszam'];

function customer(order: Json, billing: Address | undefined, meta: WooMeta[]): Customer {
  const out: Customer = {};
  const id = order.customer_id;
  if ((typeof id === 'number' && id > 0) || (typeof id === 'string' && /^[1-9]\d*$/.test(id))) out.externalId = String(id);
  if (billing?.name) out.name = billing.name;
  if (billing?.email) out.email = billing.email;
  if (billing?.phone) out.phone = billing.phone;
  if (billing?.company) out.company = billing.company;
  const rawBilling = isObject(order.billing) ? order.billing : {};
  const taxNumber = text(rawBilling.vat_number) ?? text(rawBilling.tax_number) ?? TAX_NUMBER_KEYS.map((k) => metaValue(meta, k)).find(Boolean);
  if (taxNumber) out.taxNumber = taxNumber;
  return out;
}

/** Non-private meta (keys not starting with `_`) with display forms decoded. */
function publicMeta(meta: WooMeta[]): Array<{ key: string; value: unknown; displayKey?: string; displayValue?: unknown }> {
  return meta
    .filter((m) => !m.key.startsWith('_'))
    .map((m) => {
      const entry: { key: string; value: unknown; displayKey?: string; displayValue?: unknown } = { key: m.key, value: m.value };
      if (typeof m.display_key === 'string') entry.displayKey = decodeHtmlEntities(m.display_key);
      if (m.display_value !== undefined) entry.displayValue = typeof m.display_value === 'string' ? decodeHtmlEntities(m.display_value) : m.display_value;
      return entry;
    });
}

function productLine(raw: unknown, index: number): OrderLineDraft {
  if (!isObject(raw)) throw new OrderMappingError(`line_items[${index}] is not an object`);
  const where = `line_items[${index}]`;
  const unrounded: Record<string, string> = {};
  const rawQuantity = money(raw.quantity, `${where}.quantity`);
  const rawSubtotal = money(raw.subtotal, `${where}.subtotal`);
  const quantity = scaled(rawQuantity, MONEY_SCALE, `${where}.quantity`, unrounded, 'quantity');
  const subtotal = scaled(rawSubtotal, MONEY_SCALE, `${where}.subtotal`, unrounded, 'subtotal');
  const total = scaled(money(raw.total, `${where}.total`), MONEY_SCALE, `${where}.total`, unrounded, 'total');
  const tax = scaled(moneyOr0(raw.total_tax, `${where}.total_tax`), MONEY_SCALE, `${where}.total_tax`, unrounded, 'tax');
  // From the source's own subtotal and quantity; the division is rounded to the column (documented, not recorded).
  // `price` is a JSON float and may be imprecise (subtotal / quantity with PHP floats): only a fallback.
  const divided = divideDecimal(rawSubtotal, rawQuantity, UNIT_PRICE_SCALE);
  const price = parseDecimal(raw.price);
  const unitPrice =
    divided !== undefined
      ? scaled(divided, UNIT_PRICE_SCALE, `${where}.unit price`, unrounded, 'unitPrice')
      : price !== undefined
        ? scaled(price, UNIT_PRICE_SCALE, `${where}.price`, unrounded, 'unitPrice')
        : new Money(0);
  const name = typeof raw.name === 'string' ? raw.name : '';
  const meta = metaList(raw.meta_data);
  const variationId = typeof raw.variation_id === 'number' ? raw.variation_id : Number(raw.variation_id ?? 0) || 0;
  const attributes: Record<string, unknown> = {
    displayName: decodeHtmlEntities(name),
    productId: raw.product_id ?? null,
    variationId,
  };
  if (typeof raw.parent_name === 'string' && raw.parent_name) attributes.parentName = decodeHtmlEntities(raw.parent_name);
  if (typeof raw.tax_class === 'string' && raw.tax_class) attributes.taxClass = raw.tax_class;
  const visible = publicMeta(meta);
  // Variation attributes: taxonomy attributes (pa_*) always, custom ones when the line is a variation.
  const variation: Record<string, { value: unknown; displayKey?: string; displayValue?: unknown }> = {};
  for (const m of visible) {
    if (m.key.startsWith('pa_') || (variationId !== 0 && typeof m.value === 'string')) {
      const { key, ...rest } = m;
      variation[key] = rest;
    }
  }
  if (Object.keys(variation).length > 0) attributes.variation = variation;
  if (visible.length > 0) attributes.meta = visible;
  if (Object.keys(unrounded).length > 0) attributes.unrounded = unrounded;
  const line: OrderLineDraft = {
    kind: 'product',
    name,
    quantity: formatDecimal(quantity),
    unitPrice: formatDecimal(unitPrice),
    subtotal: formatDecimal(subtotal),
    discount: formatDecimal(subtotal.minus(total)),
    tax: formatDecimal(tax),
    total: formatDecimal(total),
    attributes,
  };
  const externalId = idOf(raw.id);
  if (externalId) line.externalId = externalId;
  const sku = text(raw.sku);
  if (sku) line.sku = sku;
  return line;
}

function flatLine(kind: 'shipping' | 'fee', raw: Json, where: string, name: string, attributes: Record<string, unknown>): OrderLineDraft {
  const unrounded: Record<string, string> = {};
  const total = scaled(money(raw.total, `${where}.total`), MONEY_SCALE, `${where}.total`, unrounded, 'total');
  const tax = scaled(moneyOr0(raw.total_tax, `${where}.total_tax`), MONEY_SCALE, `${where}.total_tax`, unrounded, 'tax');
  // The unit price column is narrower before the point (12 digits).
  scaled(total, UNIT_PRICE_SCALE, `${where}.total`, unrounded, 'unitPrice');
  if (Object.keys(unrounded).length > 0) attributes.unrounded = unrounded;
  const line: OrderLineDraft = {
    kind,
    name,
    quantity: '1',
    unitPrice: formatDecimal(total),
    subtotal: formatDecimal(total),
    discount: '0',
    tax: formatDecimal(tax),
    total: formatDecimal(total),
    attributes,
  };
  const externalId = idOf(raw.id);
  if (externalId) line.externalId = externalId;
  return line;
}

function shippingLine(raw: unknown, index: number): OrderLineDraft {
  if (!isObject(raw)) throw new OrderMappingError(`shipping_lines[${index}] is not an object`);
  const where = `shipping_lines[${index}]`;
  const rawMethod = text(raw.method_id) ?? '';
  // Old data carries the zone instance in the method id ("flat_rate:25"); newer versions split it.
  const [methodId, suffix] = rawMethod.includes(':') ? [rawMethod.slice(0, rawMethod.indexOf(':')), rawMethod.slice(rawMethod.indexOf(':') + 1)] : [rawMethod, undefined];
  const instanceId = text(raw.instance_id) ?? suffix;
  const title = typeof raw.method_title === 'string' ? raw.method_title : methodId;
  const attributes: Record<string, unknown> = { methodId, displayName: decodeHtmlEntities(title) };
  if (instanceId) attributes.instanceId = instanceId;
  if (rawMethod !== methodId) attributes.rawMethodId = rawMethod;
  const visible = publicMeta(metaList(raw.meta_data));
  if (visible.length > 0) attributes.meta = visible;
  return flatLine('shipping', raw, where, title, attributes);
}

function feeLine(raw: unknown, index: number): OrderLineDraft {
  if (!isObject(raw)) throw new OrderMappingError(`fee_lines[${index}] is not an object`);
  const where = `fee_lines[${index}]`;
  const name = typeof raw.name === 'string' ? raw.name : 'Fee';
  const attributes: Record<string, unknown> = { displayName: decodeHtmlEntities(name) };
  if (typeof raw.tax_class === 'string' && raw.tax_class) attributes.taxClass = raw.tax_class;
  if (typeof raw.tax_status === 'string') attributes.taxStatus = raw.tax_status;
  const visible = publicMeta(metaList(raw.meta_data));
  if (visible.length > 0) attributes.meta = visible;
  return flatLine('fee', raw, where, name, attributes);
}

function couponLine(raw: unknown, index: number): OrderLineDraft {
  if (!isObject(raw)) throw new OrderMappingError(`coupon_lines[${index}] is not an object`);
  const where = `coupon_lines[${index}]`;
  const code = text(raw.code) ?? '';
  const attributes: Record<string, unknown> = {
    code,
    discount: formatDecimal(moneyOr0(raw.discount, `${where}.discount`)),
    discountTax: formatDecimal(moneyOr0(raw.discount_tax, `${where}.discount_tax`)),
    // The amount is already deducted from the product lines' totals; this line carries no money.
    includedInLineTotals: true,
  };
  const line: OrderLineDraft = { kind: 'discount', name: code, quantity: '1', unitPrice: '0', subtotal: '0', discount: '0', tax: '0', total: '0', attributes };
  const externalId = idOf(raw.id);
  if (externalId) line.externalId = externalId;
  return line;
}

/**
 * The `refunds` summary of an order: `[{ id, reason, total }]`, total negative. The documented list
 * example names the reason `refund` (WooCommerce's own code says `reason`): either is read.
 */
function refundRecords(value: unknown): OrderRefundDraft[] {
  return array(value).map((raw, index) => {
    const where = `refunds[${index}]`;
    if (!isObject(raw)) throw new OrderMappingError(`${where} is not an object`);
    const externalId = idOf(raw.id);
    if (!externalId) throw new OrderMappingError(`${where} has no id`);
    const amount = scaled(money(raw.total, `${where}.total`).abs(), MONEY_SCALE, `${where}.total`, {}, 'total');
    const refund: OrderRefundDraft = { externalId, amount: formatDecimal(amount) };
    const reason = text(raw.reason) ?? text(raw.refund);
    if (reason) refund.reason = decodeHtmlEntities(reason);
    return refund;
  });
}

function mapOrder(order: Json, statusMap: Record<string, unknown> | undefined): OrderDraft {
  const externalId = idOf(order.id);
  if (!externalId) throw new OrderMappingError('order has no id');
  const rawStatus = text(order.status);
  if (!rawStatus) throw new OrderMappingError('order has no status');
  const currency = text(order.currency);
  if (!currency) throw new OrderMappingError('order has no currency');
  const placedAt = gmtDate(order.date_created_gmt);
  if (!placedAt) throw new OrderMappingError(`date_created_gmt is not a date: ${JSON.stringify(order.date_created_gmt) ?? 'missing'}`);

  const meta = metaList(order.meta_data);
  const billingAddress = address(order.billing, true);
  const shippingAddress = address(order.shipping, false);

  const productLines = array(order.line_items).map(productLine);
  const shippingLines = array(order.shipping_lines).map(shippingLine);
  const feeLines = array(order.fee_lines).map(feeLine);
  const couponLines = array(order.coupon_lines).map(couponLine);
  const lines = [...productLines, ...shippingLines, ...feeLines, ...couponLines];

  const orderUnrounded: Record<string, string> = {};
  const orderMoney = (value: MoneyValue, field: string) => formatDecimal(scaled(value, MONEY_SCALE, field, orderUnrounded, field));
  const totals = {
    subtotal: orderMoney(new Money(sumDecimals(productLines.map((l) => new Money(l.subtotal)))), 'subtotal'),
    discount: orderMoney(moneyOr0(order.discount_total, 'discount_total'), 'discount_total'),
    shipping: orderMoney(moneyOr0(order.shipping_total, 'shipping_total'), 'shipping_total'),
    fee: orderMoney(new Money(sumDecimals(feeLines.map((l) => new Money(l.total)))), 'fee'),
    tax: orderMoney(moneyOr0(order.total_tax, 'total_tax'), 'total_tax'),
    total: orderMoney(money(order.total, 'total'), 'total'),
  };
  // The draft has no order-level attributes: the originals of rounded order amounts go on the first line.
  if (Object.keys(orderUnrounded).length > 0 && lines[0]) lines[0].attributes.orderUnrounded = orderUnrounded;

  const draft: OrderDraft = {
    externalId,
    status: mapWooStatus(rawStatus, statusMap),
    sourceStatus: normaliseWooStatus(rawStatus),
    source: orderSource(order, meta),
    customer: customer(order, billingAddress, meta),
    currency: currency.toUpperCase(),
    totals,
    lines,
    placedAt,
  };
  const number = text(order.number);
  if (number) draft.number = number;
  if (billingAddress) draft.billingAddress = billingAddress;
  if (shippingAddress) draft.shippingAddress = shippingAddress;
  const orderRegion = region(shippingAddress, billingAddress);
  if (orderRegion) draft.region = orderRegion;
  const notes = text(order.customer_note);
  if (notes) draft.notes = notes;
  const updated = gmtDate(order.date_modified_gmt);
  if (updated) draft.sourceUpdatedAt = updated;
  // Absent (an old store, a trimmed webhook): the stored refunds stay as they are.
  if (Array.isArray(order.refunds)) draft.refunds = refundRecords(order.refunds);
  return stripNulDeep(draft);
}

/**
 * Maps one payload: a pull page (JSON array) or a webhook body (one order object); a refund list the
 * connector fetched (`…/orders/<id>/refunds`, told by its source) becomes refund details of that order.
 */
export function mapWooPayload(payload: RawPayloadInput, options: WooMappingOptions | undefined): MappingResult {
  const refundsOf = refundListOrderId(payload.source);
  if (refundsOf !== undefined) return mapWooRefundList(payload, refundsOf);
  const result: MappingResult = { orders: [], errors: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.body);
  } catch (error) {
    const mappingError: MappingError = { message: `body is not JSON: ${(error as Error).message}` };
    // WooCommerce writes the order's id first: a body cut short (or spoilt further on) still names its
    // order, so the hub can fetch it from the store instead (jobs/processors/webhook-fallback.ts).
    const id = /^\s*\{\s*"id"\s*:\s*(\d+)\s*,/.exec(payload.body)?.[1];
    if (id) mappingError.ref = id;
    result.errors.push(mappingError);
    return result;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const statusMap = isObject(options) && isObject(options.statusMap) ? options.statusMap : undefined;
  items.forEach((item, index) => {
    // `order.deleted` webhooks carry only the id: nothing to map, nothing wrong.
    if (isObject(item) && Object.keys(item).length === 1 && idOf(item.id) !== undefined) return;
    const ref = stripNul(isObject(item) ? (idOf(item.id) ?? `#${index}`) : `#${index}`);
    if (!isObject(item)) {
      result.errors.push({ ref, message: `expected an order object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}` });
      return;
    }
    try {
      result.orders.push(mapOrder(item, statusMap));
    } catch (error) {
      const mappingError: MappingError = { ref, message: stripNul(error instanceof Error ? error.message : String(error)) };
      result.errors.push(mappingError);
    }
  });
  return result;
}

export const woocommerceMapping: ChannelMapping<WooMappingOptions> = {
  optionsSchema: WooMappingOptionsSchema,
  map: mapWooPayload,
  statusWriteBack: {
    enabled: writeBackEnabled,
    statusOf: (coreStatus, options) => chooseChannelStatus(coreStatus, options, DEFAULT_WOO_STATUS_FOR_CORE, 'WooCommerce status'),
  },
};
