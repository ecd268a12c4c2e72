import { Type, type Static } from '@sinclair/typebox';
import { chooseChannelStatus, statusWriteBackOptionsSchema, writeBackEnabled } from '../common/status-write-back.ts';
import { Decimal } from 'decimal.js';
import type { Address } from '../../core/model/common.ts';
import type { ChannelMapping, RawPayloadInput } from '../../core/model/mapping.ts';
import type { Customer, MappingResult, OrderDraft, OrderLineDraft, OrderSource } from '../../core/model/order.ts';
import { OrderStatusSchema } from '../../core/model/order.ts';
import { Money, formatDecimal, parseDecimal, type MoneyValue } from '../common/money.ts';
import { isXmlObject, parseXml, xmlChild, xmlList, xmlText, type XmlObject } from '../../lib/xml.ts';
import { parseUnasDateTime } from './dates.ts';
import { guessCarrier, listedStatusesOf, mapUnasPaymentMethod, mapUnasPaymentStatus, mapUnasStatus, type UnasListedStatus } from './status.ts';

export { DEFAULT_UNAS_STATUS_BY_NAME, DEFAULT_UNAS_STATUS_BY_TYPE, UNAS_PAYMENT_METHODS, mapUnasStatus, statusOfType } from './status.ts';

/**
 * UNAS getOrder XML (`<Orders><Order>…`) → core order drafts. Pure and total: bad data becomes an
 * entry in `errors` (ref = `Key|Id`, `Key`, or `#index`), never an exception; a document that is not
 * XML (or is refused: DOCTYPE, too large) gives one error and no orders. See README.md for every
 * decision; the short version:
 *
 * - externalId = `Key|Id`: Key (the order number) may be reassigned after a deletion [doc], Id alone is
 *   not what people search for; `number` = Key, `placedAt` = Date, so (Key, Id, Date) are all stored.
 *   An order without Id (the vendor's getOrder example has none) is keyed by Key alone.
 * - Items: PriceNet/PriceGross are UNIT prices. A line's total = round4(PriceNet × Quantity) (net),
 *   tax = round4(PriceGross × Quantity) − total, unitPrice = PriceNet (≤ 6 decimals). Synthetic items
 *   `shipping-cost` → shipping, `handel-cost` → fee, `discount-percent`/`discount-amount` → discount
 *   lines with their (negative) money: UNAS does not spread discounts over the product lines.
 * - Lines are keyed by position (`externalId` "1", "2", …): `Item/Id` is the product id and two lines
 *   may share it.
 * - Totals: subtotal = Σ product totals, discount = −Σ discount-line totals, shipping, fee, tax = Σ line
 *   taxes (all net), total = SumPriceGross. SumPriceGross should be Σ PriceGross × Quantity over all
 *   items; a difference above 0.01 is kept in `source.unas.sumCheck` (default `sumMismatch: 'accept'`)
 *   or makes the order an error (`'reject'`).
 */

export const UnasMappingOptionsSchema = Type.Object(
  {
    /** StatusID → core status, e.g. `{ "4681666": "received" }`. */
    statusById: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    /** Status name (case-insensitive) → core status, e.g. `{ "Csomagolás alatt": "in_progress" }`. */
    statusByName: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    /** Status type → core status, replacing the defaults (open_normal → received, …). */
    statusByType: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    /** What to do when SumPriceGross ≠ Σ PriceGross × Quantity: keep the order and record it (default), or report an error. */
    sumMismatch: Type.Optional(Type.Union([Type.Literal('accept'), Type.Literal('reject')], { default: 'accept' })),
    /** UNAS statuses are the shop's own names: nothing is sent for a core status without one here. */
    statusWriteBack: Type.Optional(statusWriteBackOptionsSchema("the shop's UNAS status name, e.g. Teljesítve")),
  },
  { additionalProperties: false },
);
export type UnasMappingOptions = Static<typeof UnasMappingOptionsSchema>;

/** SumPriceGross may differ from the item sum by this much (currency rounding) without a record. */
export const SUM_TOLERANCE = '0.01';

const SYNTHETIC: Readonly<Record<string, OrderLineDraft['kind']>> = Object.freeze({
  'shipping-cost': 'shipping',
  'handel-cost': 'fee',
  'discount-percent': 'discount',
  'discount-amount': 'discount',
});

class OrderMappingError extends Error {}

/** Text without NUL (PostgreSQL text cannot hold it), trimmed; empty → undefined. */
function text(node: unknown): string | undefined {
  const raw = xmlText(node);
  if (raw === undefined) return undefined;
  const cleaned = raw.split('\u0000').join('').trim();
  return cleaned === '' ? undefined : cleaned;
}

const at = (node: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, name) => xmlChild(n, name), node);

/**
 * A decimal as UNAS sends it: "3141.7323", "-500", and tolerated "3141,7323" (decimal comma, no
 * thousands separator). Anything else (thousands separators, "1.234,5", exponents) is refused.
 */
export function parseUnasDecimal(value: unknown): MoneyValue | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const compact = raw.replace(/\s+/g, '');
  if (!/^[+-]?\d+([.,]\d+)?$/.test(compact)) return undefined;
  return parseDecimal(compact.replace(',', '.'));
}

function decimal(node: unknown, field: string): MoneyValue {
  const parsed = parseUnasDecimal(node);
  if (parsed === undefined) throw new OrderMappingError(`${field} is not a decimal number: ${JSON.stringify(xmlText(node) ?? null)}`);
  return parsed;
}

const round4 = (value: MoneyValue): MoneyValue => value.toDecimalPlaces(4, Decimal.ROUND_HALF_UP);
const round6 = (value: MoneyValue): MoneyValue => value.toDecimalPlaces(6, Decimal.ROUND_HALF_UP);

/** "27%", "27", "5,5 %" → the rate; codes such as "AAM", "TAM", "EU" → undefined (kept raw). */
function vatRate(raw: string | undefined): MoneyValue | undefined {
  if (!raw) return undefined;
  const match = /^([+-]?\d+(?:[.,]\d+)?)\s*%?$/.exec(raw.trim());
  return match ? parseDecimal((match[1] as string).replace(',', '.')) : undefined;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function address(raw: unknown, email: string | undefined): Address | undefined {
  if (!isXmlObject(raw)) return undefined;
  const street = text(raw.Street) ?? ([text(raw.StreetName), text(raw.StreetType), text(raw.StreetNumber)].filter(Boolean).join(' ') || undefined);
  const code = text(raw.CountryCode);
  const out = compact<Address>({
    name: text(raw.Name),
    line1: street,
    city: text(raw.City),
    postcode: text(raw.ZIP),
    region: text(raw.County),
    // CountryCode is ISO alpha-2 in lower case ('hu'); without it the country name is kept as text.
    country: code && /^[a-z]{2}$/i.test(code) ? code.toUpperCase() : (text(raw.Country) ?? code),
    email,
  });
  const keys = Object.keys(out).filter((k) => k !== 'email');
  return keys.length > 0 ? out : undefined;
}

function region(shipping: Address | undefined, billing: Address | undefined): string | undefined {
  for (const a of [shipping, billing]) {
    if (a?.region) return a.country ? `${a.country}-${a.region}` : a.region;
  }
  return shipping?.country ?? billing?.country;
}

function pairs(list: unknown): Array<Record<string, string>> {
  return xmlList(list)
    .filter(isXmlObject)
    .map((entry) => compact(Object.fromEntries(Object.keys(entry).map((k) => [k.charAt(0).toLowerCase() + k.slice(1), text(entry[k])]))) as Record<string, string>)
    .filter((entry) => Object.keys(entry).length > 0);
}

interface MappedLine {
  line: OrderLineDraft;
  gross: MoneyValue;
}

function itemLine(raw: unknown, index: number): MappedLine {
  const position = index + 1;
  const where = `Items/Item[${position}]`;
  if (!isXmlObject(raw)) throw new OrderMappingError(`${where} is not an element`);
  const id = text(raw.Id);
  const syntheticKind = id ? SYNTHETIC[id.toLowerCase()] : undefined;
  const kind: OrderLineDraft['kind'] = syntheticKind ?? 'product';
  const name = text(raw.Name) ?? id ?? '';
  const quantity = raw.Quantity === undefined && syntheticKind ? new Money(1) : decimal(raw.Quantity, `${where}/Quantity`);
  const vatText = text(raw.Vat);
  const rate = vatRate(vatText);
  const attributes: Record<string, unknown> = { position };

  let grossUnit = parseUnasDecimal(raw.PriceGross);
  let netUnit = parseUnasDecimal(raw.PriceNet);
  if (raw.PriceGross !== undefined && text(raw.PriceGross) !== undefined && grossUnit === undefined) decimal(raw.PriceGross, `${where}/PriceGross`);
  if (raw.PriceNet !== undefined && text(raw.PriceNet) !== undefined && netUnit === undefined) decimal(raw.PriceNet, `${where}/PriceNet`);
  if (grossUnit === undefined && netUnit === undefined) throw new OrderMappingError(`${where} has neither PriceGross nor PriceNet`);
  if (netUnit === undefined) {
    const gross = grossUnit as MoneyValue;
    if (rate !== undefined) netUnit = gross.dividedBy(rate.dividedBy(100).plus(1));
    else {
      netUnit = gross;
      attributes.taxUnknown = true;
    }
    attributes.priceNetDerived = true;
  }
  if (grossUnit === undefined) {
    const net = netUnit;
    if (rate !== undefined) grossUnit = net.times(rate.dividedBy(100).plus(1));
    else {
      grossUnit = net;
      attributes.taxUnknown = true;
    }
    attributes.priceGrossDerived = true;
  }

  const lineNet = round4(netUnit.times(quantity));
  const lineGross = round4(grossUnit.times(quantity));
  if (id && !syntheticKind) attributes.productId = id;
  if (syntheticKind) attributes.unasItemId = id;
  if (vatText) attributes.vat = vatText;
  if (rate !== undefined) attributes.vatRate = formatDecimal(rate);
  attributes.unitPriceGross = formatDecimal(round6(grossUnit));
  attributes.totalGross = formatDecimal(lineGross);
  const unit = text(raw.Unit);
  if (unit) attributes.unit = unit;
  const status = text(raw.Status);
  if (status) attributes.itemStatus = status;
  const percent = parseUnasDecimal(raw.Percent);
  if (percent !== undefined) attributes.percent = formatDecimal(percent);
  const variants = pairs(at(raw, 'Variants', 'Variant'));
  if (variants.length > 0) attributes.variants = variants;
  const params = pairs(at(raw, 'ProductParams', 'ProductParam'));
  if (params.length > 0) attributes.productParams = params;

  const line: OrderLineDraft = {
    kind,
    externalId: String(position),
    name,
    quantity: formatDecimal(round4(quantity)),
    unitPrice: formatDecimal(round6(netUnit)),
    subtotal: formatDecimal(lineNet),
    discount: '0',
    tax: formatDecimal(lineGross.minus(lineNet)),
    total: formatDecimal(lineNet),
    attributes,
  };
  const sku = text(raw.Sku);
  if (sku && !syntheticKind) line.sku = sku;
  return { line, gross: lineGross };
}

function customer(order: XmlObject, billing: Address | undefined): Customer {
  const raw = order.Customer;
  const invoice = at(raw, 'Addresses', 'Invoice');
  const out = compact<Customer>({
    externalId: text(at(raw, 'Id')),
    name: text(at(raw, 'Contact', 'Name')) ?? billing?.name,
    email: text(at(raw, 'Email')),
    phone: text(at(raw, 'Contact', 'Phone')) ?? text(at(raw, 'Contact', 'Mobile')),
    company: text(at(invoice, 'CustomerType'))?.toLowerCase() === 'company' ? text(at(invoice, 'Name')) : undefined,
    taxNumber: text(at(invoice, 'TaxNumber')) ?? text(at(invoice, 'EUTaxNumber')),
  });
  return out;
}

function notes(order: XmlObject): string | undefined {
  const texts = xmlList(at(order, 'Comments', 'Comment'))
    .filter((c) => /^customer/i.test(text(at(c, 'Type')) ?? ''))
    .map((c) => text(at(c, 'Text')))
    .filter((t): t is string => t !== undefined);
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function source(order: XmlObject, key: string, id: string | undefined, extra: Record<string, unknown>): OrderSource {
  const payment = order.Payment;
  const shipping = order.Shipping;
  const paymentType = text(at(payment, 'Type'));
  const paymentStatus = text(at(payment, 'Status'));
  const shippingName = text(at(shipping, 'Name'));
  const deliveryPoint = text(at(order, 'Customer', 'Addresses', 'Shipping', 'DeliveryPointID'));
  const out: Record<string, unknown> = {
    createdVia: 'unas',
    payment: compact({
      id: text(at(payment, 'Id')),
      name: text(at(payment, 'Name')),
      type: paymentType,
      method: mapUnasPaymentMethod(paymentType),
      rawStatus: paymentStatus,
      status: mapUnasPaymentStatus(paymentStatus),
      paid: parseUnasDecimal(at(payment, 'Paid')) ? formatDecimal(parseUnasDecimal(at(payment, 'Paid')) as MoneyValue) : undefined,
      pending: parseUnasDecimal(at(payment, 'Pending')) ? formatDecimal(parseUnasDecimal(at(payment, 'Pending')) as MoneyValue) : undefined,
      unpaid: parseUnasDecimal(at(payment, 'Unpaid')) ? formatDecimal(parseUnasDecimal(at(payment, 'Unpaid')) as MoneyValue) : undefined,
    }),
    shipping: compact({
      id: text(at(shipping, 'Id')),
      name: shippingName,
      carrier: guessCarrier(shippingName),
      deliveryPointId: deliveryPoint,
      packageNumber: text(at(shipping, 'PackageNumber')),
      trackingUrl: text(at(shipping, 'TrackingUrl')),
      foreignId: text(at(shipping, 'ForeignID')),
    }),
    unas: compact({
      key,
      id,
      internalKey: text(order.InternalKey),
      date: text(order.Date),
      dateMod: text(order.DateMod),
      lang: text(order.Lang),
      type: text(order.Type),
      statusId: text(order.StatusID),
      statusType: text(order.StatusType) ?? text(at(order, 'StatusDetails', 'Type')),
      statusDateMod: text(order.StatusDateMod),
      authenticated: text(order.Authenticated),
      exchangeValue: text(order.ExchangeValue),
      weight: text(order.Weight),
      coupon: text(order.Coupon),
      invoice: isXmlObject(order.Invoice)
        ? compact({ status: text(at(order.Invoice, 'Status')), statusText: text(at(order.Invoice, 'StatusText')), number: text(at(order.Invoice, 'Number')), url: text(at(order.Invoice, 'Url')) })
        : undefined,
      ...extra,
    }),
  };
  for (const k of ['payment', 'shipping'] as const) if (Object.keys(out[k] as object).length === 0) delete out[k];
  return out as OrderSource;
}

function mapOrder(order: XmlObject, options: UnasMappingOptions, listed: readonly UnasListedStatus[]): OrderDraft {
  const key = text(order.Key);
  if (!key) throw new OrderMappingError('order has no Key');
  // The vendor's own getOrder example has no Order/Id: such an order is keyed by Key alone. Orders
  // with an Id keep `Key|Id` (their stored identity; a deleted order's Key may be reassigned [doc]).
  const id = text(order.Id);
  const placed = parseUnasDateTime(text(order.Date));
  if (!placed) throw new OrderMappingError(`Date is not a YYYY.MM.DD HH:MM:SS date: ${JSON.stringify(xmlText(order.Date) ?? null)}`);
  const modText = text(order.DateMod);
  const modified = modText === undefined ? undefined : parseUnasDateTime(modText);
  if (modText !== undefined && !modified) throw new OrderMappingError(`DateMod is not a YYYY.MM.DD HH:MM:SS date: ${JSON.stringify(modText)}`);
  const currency = text(order.Currency);
  if (!currency) throw new OrderMappingError('order has no Currency');

  const mapped = xmlList(at(order, 'Items', 'Item')).map(itemLine);
  const lines = mapped.map((m) => m.line);
  const sum = (kind: OrderLineDraft['kind']) => lines.filter((l) => l.kind === kind).reduce((s, l) => s.plus(l.total), new Money(0));
  const computedGross = mapped.reduce((s, m) => s.plus(m.gross), new Money(0));
  const tax = lines.reduce((s, l) => s.plus(l.tax), new Money(0));

  const extra: Record<string, unknown> = {};
  let total = computedGross;
  const sumText = text(order.SumPriceGross);
  if (sumText !== undefined) {
    const declared = round4(decimal(order.SumPriceGross, 'SumPriceGross'));
    const difference = declared.minus(computedGross);
    if (difference.abs().greaterThan(SUM_TOLERANCE)) {
      const what = `SumPriceGross ${formatDecimal(declared)} ≠ Σ PriceGross × Quantity ${formatDecimal(computedGross)} (difference ${formatDecimal(difference)})`;
      if (options.sumMismatch === 'reject') throw new OrderMappingError(what);
      extra.sumCheck = { sumPriceGross: formatDecimal(declared), itemsGross: formatDecimal(computedGross), difference: formatDecimal(difference), message: what };
    }
    total = declared;
  } else {
    extra.sumCheck = { sumPriceGross: null, itemsGross: formatDecimal(computedGross), message: 'no SumPriceGross: total = Σ PriceGross × Quantity' };
  }

  const email = text(at(order, 'Customer', 'Email'));
  const billingAddress = address(at(order, 'Customer', 'Addresses', 'Invoice'), email);
  const shippingAddress = address(at(order, 'Customer', 'Addresses', 'Shipping'), undefined);
  const statusName = text(order.Status);
  const statusType = text(order.StatusType) ?? text(at(order, 'StatusDetails', 'Type'));
  const { status, matchedBy, listedType } = mapUnasStatus({ name: statusName, id: text(order.StatusID), type: statusType }, options, listed);
  extra.statusMatchedBy = matchedBy;
  if (listedType) extra.statusListType = listedType;

  const draft: OrderDraft = {
    externalId: id ? `${key}|${id}` : key,
    number: key,
    status,
    source: source(order, key, id, extra),
    customer: customer(order, billingAddress),
    currency: currency.toUpperCase(),
    totals: {
      subtotal: formatDecimal(sum('product')),
      discount: formatDecimal(sum('discount').negated()),
      shipping: formatDecimal(sum('shipping')),
      fee: formatDecimal(sum('fee')),
      tax: formatDecimal(tax),
      total: formatDecimal(total),
    },
    lines,
    placedAt: placed.toISOString(),
  };
  if (statusName) draft.sourceStatus = statusName;
  const statusId = text(order.StatusID);
  if (statusId) draft.sourceStatusId = statusId;
  if (billingAddress) draft.billingAddress = billingAddress;
  if (shippingAddress) draft.shippingAddress = shippingAddress;
  const orderRegion = region(shippingAddress, billingAddress);
  if (orderRegion) draft.region = orderRegion;
  const note = notes(order);
  if (note) draft.notes = note;
  if (modified) draft.sourceUpdatedAt = modified.toISOString();
  return draft;
}

function refOf(order: unknown, index: number): string {
  const key = text(xmlChild(order, 'Key'));
  const id = text(xmlChild(order, 'Id'));
  return key && id ? `${key}|${id}` : (key ?? (id ? `Id ${id}` : `#${index}`));
}

/** Where the connector archives the shop's status list (getOrderStatus): reference data, no orders. */
const STATUS_LIST_SOURCE = /\/getOrderStatus(\?|$)/;

/**
 * Maps one payload: a getOrder answer (`<Orders>`), or a single `<Order>` document. A getOrderStatus
 * answer (the shop's status list, archived like every answer) holds no orders: it is skipped; the
 * connector keeps the list in the sync state and the hub hands it over as `options.referenceData`.
 */
export function mapUnasPayload(payload: RawPayloadInput, options: UnasMappingOptions | undefined): MappingResult {
  const result: MappingResult = { orders: [], errors: [] };
  if (typeof payload?.source === 'string' && STATUS_LIST_SOURCE.test(payload.source)) {
    return { orders: [], errors: [], skipped: [{ reason: "the shop's order status list (getOrderStatus): reference data for the status mapping, no orders" }] };
  }
  const parsed = parseXml(typeof payload?.body === 'string' ? payload.body : '');
  if (!parsed.ok) {
    result.errors.push({ message: `body is not usable XML: ${parsed.message}` });
    return result;
  }
  if (parsed.root === 'Error') {
    result.errors.push({ message: `UNAS answered with an error instead of orders: ${text(parsed.value) ?? 'no message'}` });
    return result;
  }
  if (parsed.root !== 'Orders' && parsed.root !== 'Order') {
    result.errors.push({ message: `expected <Orders> or <Order>, got <${parsed.root}>` });
    return result;
  }
  const items = parsed.root === 'Orders' ? xmlList(xmlChild(parsed.value, 'Order')) : [parsed.value];
  const opts: UnasMappingOptions = isXmlObject(options) ? (options as UnasMappingOptions) : {};
  const listed = listedStatusesOf(opts);
  items.forEach((item, index) => {
    const ref = refOf(item, index);
    if (!isXmlObject(item)) {
      result.errors.push({ ref, message: 'expected an <Order> element with children' });
      return;
    }
    try {
      result.orders.push(mapOrder(item, opts, listed));
    } catch (error) {
      result.errors.push({ ref, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return result;
}

export const unasMapping: ChannelMapping<UnasMappingOptions> = {
  optionsSchema: UnasMappingOptionsSchema,
  map: mapUnasPayload,
  statusWriteBack: {
    enabled: writeBackEnabled,
    // Status names are per shop: no defaults, a core status without a configured name is skipped.
    statusOf: (coreStatus, options) => chooseChannelStatus(coreStatus, options, {}, 'UNAS status name'),
    orderRef: unasOrderKey,
  },
};

/** setOrder finds an order by its Key: the part of externalId (`Key|Id`) before the last `|`. */
export function unasOrderKey(externalId: string): string {
  const bar = externalId.lastIndexOf('|');
  return bar > 0 ? externalId.slice(0, bar) : externalId;
}
