/**
 * ORDERS (EANCOM subset of D.96A and D.01B; D.93A and D.97A read the same way) → core order drafts.
 *
 * Two steps: `readOrdersMessage` turns one accepted UNH…UNT message into an `EdifactOrder` (what the
 * message says, codes kept), `orderDraftFrom` turns that into an `OrderDraft` with the channel's
 * options. Both throw `OrdersError` naming the segment and position; the mapping catches it per message.
 *
 * Numbers are decimal strings read with the UNA decimal mark (`,` allowed); never floats.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Address } from '../../../core/model/common.ts';
import type { Customer, OrderDraft, OrderLineDraft } from '../../../core/model/order.ts';
import { OrderStatusSchema } from '../../../core/model/order.ts';
import { Money, formatDecimal, type MoneyValue } from '../../common/money.ts';
import type { EdifactMessage, Interchange } from './interchange.ts';
import { component, describePosition, type Segment, type SegmentPosition } from './tokenizer.ts';

type OrderStatus = OrderDraft['status'];

export const SUPPORTED_ORDERS_RELEASES = ['93A', '96A', '97A', '01B'] as const;

export const PartyMapEntrySchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ id: Type.Optional(Type.String({ minLength: 1 })), name: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
]);

export const EdifactMappingOptionsSchema = Type.Object(
  {
    /** GTIN, supplier article (SA), buyer article (IN) … → SKU. Keys plain (`4000862141404`) or typed (`IN:6001001`, `GTIN:…`). */
    productMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }))),
    /** Buyer GLN → customer name, or `{ id, name }`. */
    partyMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), PartyMapEntrySchema)),
    /** Used when the message has no CUX; without one, a message carrying no prices gets XXX (ISO 4217: no currency involved). */
    defaultCurrency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    /** BGM message function code (`9`, `5`, `1` …) or its name (`original`, `cancellation` …) → core status. */
    statusMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
  },
  { additionalProperties: false },
);
export type EdifactMappingOptions = Static<typeof EdifactMappingOptionsSchema>;

/** A problem with one ORDERS message; `position` names the segment. */
export class OrdersError extends Error {
  constructor(
    message: string,
    readonly position?: SegmentPosition,
  ) {
    super(position ? `${message} (${describePosition(position)})` : message);
  }
}

/** BGM 1225 message function codes (UNCL 1225) the hub understands. */
export const MESSAGE_FUNCTIONS: Readonly<Record<string, string>> = Object.freeze({
  '1': 'cancellation',
  '3': 'deletion',
  '4': 'change',
  '5': 'replace',
  '7': 'duplicate',
  '9': 'original',
  '16': 'proposal',
  '31': 'copy',
  '43': 'additional transmission',
});

/** Default status per message function; a replace or change is the next version of the same order. */
export const DEFAULT_EDIFACT_STATUS_MAP: Readonly<Record<string, OrderStatus>> = Object.freeze({
  '9': 'received',
  '5': 'received',
  '4': 'received',
  '7': 'received',
  '31': 'received',
  '43': 'received',
  '1': 'cancelled',
  '3': 'cancelled',
  '16': 'on_hold',
});
export const UNKNOWN_FUNCTION_STATUS: OrderStatus = 'on_hold';

export interface EdifactDate {
  qualifier: string;
  value: string;
  format: string;
  /** Calendar date YYYY-MM-DD (first day of a range). */
  date?: string;
  /** ISO instant when the format carries a time (taken as UTC). */
  instant?: string;
  /** Last day of a 718/719 range. */
  endDate?: string;
}

export interface ItemId {
  id: string;
  type: string;
  agency?: string;
  /** 'LIN' for the main id, else the PIA product id function (1 additional, 5 main …). */
  source: string;
}

export interface EdifactParty {
  qualifier: string;
  id?: string;
  idAgency?: string;
  nameLines: string[];
  partyName: string[];
  street: string[];
  city?: string;
  region?: string;
  postcode?: string;
  country?: string;
  contacts: Array<{ function: string; name: string }>;
  communications: Array<{ number: string; channel: string }>;
  references: Record<string, string>;
  position: SegmentPosition;
}

export interface EdifactOrderLine {
  lineNo: string;
  actionCode?: string;
  itemIds: ItemId[];
  descriptions: string[];
  quantity?: string;
  unit?: string;
  quantities: Record<string, { value: string; unit?: string }>;
  netPrice?: Price;
  grossPrice?: Price;
  amounts: Record<string, string>;
  taxRate?: string;
  taxCategory?: string;
  /** Split delivery: one entry per QTY+11, or per QTY after an SCC (schedule), with the DTM that follows it. */
  deliveries: Array<{ quantity: string; unit?: string; date?: string; dateQualifier?: string; endDate?: string }>;
  /** An SCC was read: later QTY segments of the line are its schedule, not its ordered quantity. */
  scheduled?: boolean;
  references: Record<string, string>;
  dates: EdifactDate[];
  notes: string[];
  position: SegmentPosition;
}

export interface Price {
  value: string;
  basis?: string;
  unit?: string;
  type?: string;
}

export interface EdifactOrder {
  message: { ref: string; identifier: string; type: string; version: string; release: string; agency: string; associationCode?: string };
  interchange: { controlRef?: string; syntaxId?: string; syntaxVersion?: string; sender?: { id: string; qualifier?: string }; recipient?: { id: string; qualifier?: string }; preparedAt?: string; testIndicator?: string };
  documentNameCode: string;
  documentNumber: string;
  messageFunction: string;
  dates: EdifactDate[];
  references: Record<string, string>;
  parties: EdifactParty[];
  currency?: string;
  lines: EdifactOrderLine[];
  amounts: Record<string, string>;
  notes: string[];
  controlTotals: Record<string, string>;
  /** Header TAX (before the first LIN): the rate of every line without its own TAX. */
  taxRate?: string;
  taxCategory?: string;
  decimalMark: string;
}

const NUMBER_TEXT = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** An EDIFACT numeric value with the interchange's decimal mark → decimal; undefined if not a number. */
export function readEdiNumber(raw: string, decimalMark: string): MoneyValue | undefined {
  const text = raw.trim();
  const normalised = decimalMark === ',' ? text.replace(',', '.') : text;
  if (!NUMBER_TEXT.test(normalised)) return undefined;
  return new Money(normalised);
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function isoDate(ccyymmdd: string): string | undefined {
  if (!/^\d{8}$/.test(ccyymmdd)) return undefined;
  const y = Number(ccyymmdd.slice(0, 4));
  const m = Number(ccyymmdd.slice(4, 6));
  const d = Number(ccyymmdd.slice(6, 8));
  return isCalendarDate(y, m, d) ? `${ccyymmdd.slice(0, 4)}-${ccyymmdd.slice(4, 6)}-${ccyymmdd.slice(6, 8)}` : undefined;
}

function isoInstant(date: string, hhmm: string, ss = '00'): string | undefined {
  const day = isoDate(date);
  if (!day || !/^\d{4}$/.test(hhmm) || !/^\d{2}$/.test(ss)) return undefined;
  const h = Number(hhmm.slice(0, 2));
  const mi = Number(hhmm.slice(2, 4));
  const s = Number(ss);
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return `${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2, 4)}:${ss}.000Z`;
}

function century(yymmdd: string): string {
  const yy = Number(yymmdd.slice(0, 2));
  return `${yy <= 69 ? '20' : '19'}${yymmdd}`;
}

/** DTM C507 → date/instant for formats 101, 102, 201, 203, 204, 718, 719; other formats keep the raw value. */
export function readDtm(segment: Segment): EdifactDate {
  const qualifier = component(segment, 0, 0);
  const value = component(segment, 0, 1).trim();
  const format = component(segment, 0, 2) || '102';
  const out: EdifactDate = { qualifier, value, format };
  const bad = (): never => {
    throw new OrdersError(`DTM+${qualifier} value ${JSON.stringify(value)} does not fit date format ${format}`, segment);
  };
  switch (format) {
    case '101':
      out.date = (/^\d{6}$/.test(value) && isoDate(century(value))) || bad();
      break;
    case '102':
      out.date = isoDate(value) ?? bad();
      break;
    case '201':
      if (!/^\d{10}$/.test(value)) bad();
      out.instant = isoInstant(century(value.slice(0, 6)), value.slice(6, 10)) ?? bad();
      out.date = out.instant.slice(0, 10);
      break;
    case '203':
      if (!/^\d{12}$/.test(value)) bad();
      out.instant = isoInstant(value.slice(0, 8), value.slice(8, 12)) ?? bad();
      out.date = out.instant.slice(0, 10);
      break;
    case '204':
      if (!/^\d{14}$/.test(value)) bad();
      out.instant = isoInstant(value.slice(0, 8), value.slice(8, 12), value.slice(12, 14)) ?? bad();
      out.date = out.instant.slice(0, 10);
      break;
    case '718': {
      // CCYYMMDD-CCYYMMDD; the dash is sometimes left out (sample `2002080120020831`).
      const m = /^(\d{8})-?(\d{8})$/.exec(value) ?? bad();
      out.date = isoDate(m[1] as string) ?? bad();
      out.endDate = isoDate(m[2] as string) ?? bad();
      break;
    }
    case '719': {
      const m = /^(\d{12})-?(\d{12})$/.exec(value) ?? bad();
      out.instant = isoInstant((m[1] as string).slice(0, 8), (m[1] as string).slice(8)) ?? bad();
      out.date = out.instant.slice(0, 10);
      out.endDate = isoDate((m[2] as string).slice(0, 8)) ?? bad();
      break;
    }
    default:
      break;
  }
  return out;
}

function texts(values: Array<string | undefined>): string[] {
  return values.map((v) => (v ?? '').trim()).filter((v) => v !== '');
}

function newParty(segment: Segment): EdifactParty {
  const party: EdifactParty = {
    qualifier: component(segment, 0, 0),
    nameLines: texts(segment.elements[2] ?? []),
    partyName: texts((segment.elements[3] ?? []).slice(0, 5)),
    street: texts(segment.elements[4] ?? []),
    contacts: [],
    communications: [],
    references: {},
    position: segment,
  };
  const id = component(segment, 1, 0).trim();
  if (id) party.id = id;
  const agency = component(segment, 1, 2);
  if (agency) party.idAgency = agency;
  const city = component(segment, 5, 0).trim();
  if (city) party.city = city;
  const region = component(segment, 6, 0).trim();
  if (region) party.region = region;
  const postcode = component(segment, 7, 0).trim();
  if (postcode) party.postcode = postcode;
  const country = component(segment, 8, 0).trim();
  if (country) party.country = country;
  return party;
}

function position(segment: Segment): SegmentPosition {
  return { number: segment.number, tag: segment.tag, offset: segment.offset, line: segment.line, column: segment.column };
}

function price(segment: Segment, decimalMark: string): Price {
  const value = readEdiNumber(component(segment, 0, 1), decimalMark);
  if (!value) throw new OrdersError(`PRI price ${JSON.stringify(component(segment, 0, 1))} is not a number`, segment);
  const out: Price = { value: formatDecimal(value) };
  const type = component(segment, 0, 2);
  if (type) out.type = type;
  const basisRaw = component(segment, 0, 4);
  if (basisRaw) {
    const basis = readEdiNumber(basisRaw, decimalMark);
    if (!basis || basis.isZero()) throw new OrdersError(`PRI unit price basis ${JSON.stringify(basisRaw)} is not a positive number`, segment);
    out.basis = formatDecimal(basis);
  }
  const unit = component(segment, 0, 5);
  if (unit) out.unit = unit;
  return out;
}

function number(raw: string, what: string, segment: Segment, decimalMark: string): string {
  const value = readEdiNumber(raw, decimalMark);
  if (!value) throw new OrdersError(`${what} ${JSON.stringify(raw)} is not a number${decimalMark === ',' ? ' (decimal mark is ",")' : ''}`, segment);
  return formatDecimal(value);
}

/** Reads one accepted ORDERS message. Throws OrdersError for what it cannot read. */
export function readOrdersMessage(message: EdifactMessage, interchange: Interchange): EdifactOrder {
  const unh = message.segments[0] as Segment;
  if (message.type !== 'ORDERS') throw new OrdersError(`message type ${JSON.stringify(message.type)} is not ORDERS`, unh);
  if (message.version !== 'D' || !(SUPPORTED_ORDERS_RELEASES as readonly string[]).includes(message.release)) {
    throw new OrdersError(`ORDERS directory ${message.version}:${message.release} is not supported (D:${SUPPORTED_ORDERS_RELEASES.join(', D:')})`, unh);
  }
  const decimalMark = message.delimiters.decimal;
  const header = interchange.header;
  const order: EdifactOrder = {
    message: { ref: message.ref, identifier: message.identifier, type: message.type, version: message.version, release: message.release, agency: message.agency },
    interchange: {},
    documentNameCode: '',
    documentNumber: '',
    messageFunction: '9',
    dates: [],
    references: {},
    parties: [],
    lines: [],
    amounts: {},
    notes: [],
    controlTotals: {},
    decimalMark,
  };
  if (message.associationCode) order.message.associationCode = message.associationCode;
  if (header) {
    order.interchange = { controlRef: header.controlRef, syntaxId: header.syntaxId, syntaxVersion: header.syntaxVersion, sender: { ...header.sender }, recipient: { ...header.recipient } };
    if (header.preparedAt) order.interchange.preparedAt = header.preparedAt;
    if (header.testIndicator) order.interchange.testIndicator = header.testIndicator;
  }

  let party: EdifactParty | undefined;
  let line: EdifactOrderLine | undefined;
  let summary = false;
  let bgm: Segment | undefined;
  const body = message.segments.slice(1, -1);
  for (const segment of body) {
    const tag = segment.tag;
    if (tag !== 'CTA' && tag !== 'COM' && tag !== 'RFF' && tag !== 'LOC' && tag !== 'DTM') party = undefined;
    switch (tag) {
      case 'BGM': {
        bgm = segment;
        order.documentNameCode = component(segment, 0, 0);
        order.documentNumber = component(segment, 1, 0).trim();
        order.messageFunction = component(segment, 2, 0) || '9';
        break;
      }
      case 'DTM': {
        const date = readDtm(segment);
        const delivery = line?.deliveries[line.deliveries.length - 1];
        if (delivery && !delivery.date && date.date) {
          delivery.date = date.date;
          delivery.dateQualifier = date.qualifier;
          if (date.endDate) delivery.endDate = date.endDate;
        }
        if (line) line.dates.push(date);
        else if (!party) order.dates.push(date);
        break;
      }
      case 'RFF': {
        const qualifier = component(segment, 0, 0);
        const value = component(segment, 0, 1);
        const target = line ? line.references : party ? party.references : order.references;
        target[qualifier] = value;
        break;
      }
      case 'NAD': {
        if (line) break; // line-level parties (SG?) are not mapped
        party = newParty(segment);
        order.parties.push(party);
        break;
      }
      case 'CTA': {
        if (party) party.contacts.push({ function: component(segment, 0, 0), name: texts([component(segment, 1, 1), component(segment, 1, 0)]).join(' ') });
        break;
      }
      case 'COM': {
        if (party) party.communications.push({ number: component(segment, 0, 0), channel: component(segment, 0, 1) });
        break;
      }
      case 'CUX': {
        const currency = component(segment, 0, 1).trim();
        const qualifier = component(segment, 0, 0);
        if (currency && (!order.currency || qualifier === '2')) order.currency = currency.toUpperCase();
        break;
      }
      case 'FTX': {
        const text = texts(segment.elements[3] ?? []).join(' ');
        if (text) (line ? line.notes : order.notes).push(text);
        break;
      }
      case 'LIN': {
        const lineNo = component(segment, 0, 0).trim();
        if (!lineNo) throw new OrdersError('LIN has no line item number', segment);
        line = { lineNo, itemIds: [], descriptions: [], quantities: {}, amounts: {}, deliveries: [], references: {}, dates: [], notes: [], position: position(segment) };
        const action = component(segment, 1, 0);
        if (action) line.actionCode = action;
        const id = component(segment, 2, 0).trim();
        if (id) line.itemIds.push({ id, type: component(segment, 2, 1), ...(component(segment, 2, 3) ? { agency: component(segment, 2, 3) } : {}), source: 'LIN' });
        order.lines.push(line);
        break;
      }
      case 'PIA': {
        if (!line) break;
        const fn = component(segment, 0, 0);
        for (let e = 1; e < segment.elements.length; e++) {
          const id = component(segment, e, 0).trim();
          if (!id) continue;
          const agency = component(segment, e, 3);
          line.itemIds.push({ id, type: component(segment, e, 1), ...(agency ? { agency } : {}), source: fn });
        }
        break;
      }
      case 'IMD': {
        if (!line) break;
        line.descriptions.push(...texts([component(segment, 2, 3), component(segment, 2, 4)]));
        break;
      }
      case 'QTY': {
        if (!line) break;
        const qualifier = component(segment, 0, 0);
        const value = number(component(segment, 0, 1), `QTY+${qualifier} quantity`, segment, decimalMark);
        const unit = component(segment, 0, 2);
        if (qualifier === '11' || line.scheduled) {
          line.deliveries.push(unit ? { quantity: value, unit } : { quantity: value });
          break;
        }
        line.quantities[qualifier] = unit ? { value, unit } : { value };
        if (qualifier === '21' || (line.quantity === undefined && !line.quantities['21'])) {
          line.quantity = value;
          if (unit) line.unit = unit;
          else delete line.unit;
        }
        break;
      }
      case 'PRI': {
        if (!line) break;
        const qualifier = component(segment, 0, 0);
        if (qualifier === 'AAA') line.netPrice = price(segment, decimalMark);
        else if (qualifier === 'AAB') line.grossPrice = price(segment, decimalMark);
        break;
      }
      case 'MOA': {
        const qualifier = component(segment, 0, 0);
        const value = number(component(segment, 0, 1), `MOA+${qualifier} amount`, segment, decimalMark);
        if (line && !summary) line.amounts[qualifier] = value;
        else order.amounts[qualifier] = value;
        break;
      }
      case 'SCC': {
        if (line) line.scheduled = true;
        break;
      }
      case 'TAX': {
        if (summary) break;
        const target = line ?? order;
        const rateRaw = component(segment, 4, 3);
        if (rateRaw) target.taxRate = number(rateRaw, 'TAX rate', segment, decimalMark);
        const category = component(segment, 5, 0);
        if (category) target.taxCategory = category;
        break;
      }
      case 'UNS': {
        summary = true;
        line = undefined;
        break;
      }
      case 'CNT': {
        order.controlTotals[component(segment, 0, 0)] = component(segment, 0, 1).trim();
        break;
      }
      default:
        break;
    }
  }
  for (const l of order.lines) {
    // Split deliveries without a line total: the line orders what the schedule adds up to.
    if (l.deliveries.length > 0 && !l.quantities['21']) {
      l.quantity = formatDecimal(l.deliveries.reduce((sum, d) => sum.plus(d.quantity), new Money(0)));
      const units = new Set(l.deliveries.map((d) => d.unit));
      const [unit] = units;
      if (units.size === 1 && unit) l.unit = unit;
    }
    delete l.scheduled;
  }
  if (!bgm) throw new OrdersError(`message ${message.ref} has no BGM segment`, unh);
  if (!order.documentNumber) throw new OrdersError('BGM has no document number', bgm);
  checkControlTotals(order, message);
  return order;
}

function checkControlTotals(order: EdifactOrder, message: EdifactMessage): void {
  const cnt = message.segments.find((s) => s.tag === 'CNT' && component(s, 0, 0) === '2');
  const lines = order.controlTotals['2'];
  if (cnt && lines !== undefined && lines !== String(order.lines.length) && Number(lines) !== order.lines.length) {
    throw new OrdersError(`CNT+2 says ${JSON.stringify(lines)} line items, the message has ${order.lines.length} LIN`, cnt);
  }
  const quantityTotal = order.controlTotals['1'];
  const cnt1 = message.segments.find((s) => s.tag === 'CNT' && component(s, 0, 0) === '1');
  if (cnt1 && quantityTotal !== undefined) {
    const declared = readEdiNumber(quantityTotal, order.decimalMark);
    const sum = order.lines.reduce((acc, l) => acc.plus(l.quantity ?? 0), new Money(0));
    if (!declared || !declared.equals(sum)) throw new OrdersError(`CNT+1 says the quantities add up to ${JSON.stringify(quantityTotal)}, they add up to ${formatDecimal(sum)}`, cnt1);
  }
}

// ---- draft ------------------------------------------------------------------------------------------

const GTIN_TYPES = new Set(['EN', 'SRV', 'SRS', 'UP', 'EU', 'UA']);
const ID_PRIORITY = ['GTIN', 'SA', 'IN', 'BP', 'MF', 'VP', 'VN'];

function idKind(type: string): string {
  return GTIN_TYPES.has(type) ? 'GTIN' : type;
}

function findId(line: EdifactOrderLine, kind: string): ItemId | undefined {
  return line.itemIds.find((i) => idKind(i.type) === kind);
}

function lookupSku(line: EdifactOrderLine, productMap: Record<string, unknown> | undefined): { sku: string; via: string } | undefined {
  if (productMap) {
    const ordered = [...line.itemIds].sort((a, b) => rank(idKind(a.type)) - rank(idKind(b.type)));
    for (const item of ordered) {
      const kind = idKind(item.type);
      for (const key of [`${kind}:${item.id}`, `${item.type}:${item.id}`, item.id]) {
        const sku = productMap[key];
        if (typeof sku === 'string' && sku !== '') return { sku, via: `productMap ${key}` };
      }
    }
  }
  // The supplier's article number is the supplier's own SKU (the hub answers as the supplier).
  const supplierArticle = findId(line, 'SA');
  return supplierArticle ? { sku: supplierArticle.id, via: 'SA' } : undefined;
}

function rank(kind: string): number {
  const i = ID_PRIORITY.indexOf(kind);
  return i === -1 ? ID_PRIORITY.length : i;
}

const money4 = (v: MoneyValue): string => formatDecimal(v.toDecimalPlaces(4, Money.ROUND_HALF_UP));
const price6 = (v: MoneyValue): string => formatDecimal(v.toDecimalPlaces(6, Money.ROUND_HALF_UP));

function unitPriceOf(p: Price | undefined): MoneyValue | undefined {
  if (!p) return undefined;
  const value = new Money(p.value);
  return p.basis ? value.dividedBy(p.basis) : value;
}

function lineDraft(line: EdifactOrderLine, productMap: Record<string, unknown> | undefined, headerTax: { rate?: string | undefined; category?: string | undefined } = {}): OrderLineDraft {
  if (line.quantity === undefined) throw new OrdersError(`line ${line.lineNo} has no QTY`, line.position);
  const quantity = new Money(line.quantity);
  const net = unitPriceOf(line.netPrice);
  const gross = unitPriceOf(line.grossPrice);
  const lineAmount = line.amounts['203'] !== undefined ? new Money(line.amounts['203']) : undefined;
  const unit = net ?? gross;
  const total = lineAmount ?? (unit ? quantity.times(unit) : new Money(0));
  let subtotal = total;
  if (net && gross) {
    const grossTotal = quantity.times(gross);
    if (grossTotal.greaterThanOrEqualTo(total)) subtotal = grossTotal;
  }
  const unitPrice = unit ?? (quantity.isZero() ? new Money(0) : total.dividedBy(quantity));
  const tax = line.amounts['124'] !== undefined ? new Money(line.amounts['124']) : new Money(0);
  const gtin = findId(line, 'GTIN');
  const supplierArticle = findId(line, 'SA');
  const buyerArticle = findId(line, 'IN');
  const attributes: Record<string, unknown> = { lineNo: line.lineNo, itemIds: line.itemIds };
  if (line.actionCode) attributes.actionCode = line.actionCode;
  if (gtin) attributes.gtin = gtin.id;
  if (supplierArticle) attributes.supplierArticle = supplierArticle.id;
  if (buyerArticle) attributes.buyerArticle = buyerArticle.id;
  if (line.unit) attributes.unit = line.unit;
  if (Object.keys(line.quantities).length > 1) attributes.quantities = line.quantities;
  if (line.netPrice) attributes.netPrice = line.netPrice;
  if (line.grossPrice) attributes.grossPrice = line.grossPrice;
  if (!line.netPrice && !line.grossPrice && lineAmount === undefined) attributes.priceMissing = true;
  const taxRate = line.taxRate ?? headerTax.rate;
  if (taxRate) attributes.taxRate = taxRate;
  const taxCategory = line.taxCategory ?? headerTax.category;
  if (taxCategory) attributes.taxCategory = taxCategory;
  if (line.amounts['124'] !== undefined) attributes.taxAmount = line.amounts['124'];
  if (line.deliveries.length > 0) attributes.deliveries = line.deliveries;
  if (line.descriptions.length > 0) attributes.descriptions = line.descriptions;
  if (Object.keys(line.references).length > 0) attributes.references = line.references;
  if (line.dates.length > 0) attributes.dates = line.dates;
  if (line.notes.length > 0) attributes.notes = line.notes;
  if (Object.keys(line.amounts).length > 0) attributes.amounts = line.amounts;
  const draft: OrderLineDraft = {
    kind: 'product',
    externalId: line.lineNo,
    name: line.descriptions.join(' ') || (line.itemIds[0] ? `${line.itemIds[0].type || 'item'} ${line.itemIds[0].id}` : `line ${line.lineNo}`),
    quantity: money4(quantity),
    unitPrice: price6(unitPrice),
    subtotal: money4(subtotal),
    discount: money4(subtotal.minus(total)),
    tax: money4(tax),
    total: money4(total),
    attributes,
  };
  const sku = lookupSku(line, productMap);
  if (sku) {
    draft.sku = sku.sku;
    attributes.skuVia = sku.via;
  }
  return draft;
}

function compact<T extends object>(value: T): T | undefined {
  const out: Record<string, unknown> = {};
  let empty = true;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v: unknown = value[key];
    if (v === undefined || v === '') continue;
    out[key] = v;
    empty = false;
  }
  return empty ? undefined : (out as T);
}

function communication(party: EdifactParty | undefined, channels: string[]): string | undefined {
  return party?.communications.find((c) => channels.includes(c.channel))?.number;
}

function partyAddress(party: EdifactParty | undefined): Address | undefined {
  if (!party) return undefined;
  const names = party.partyName.length > 0 ? party.partyName : party.nameLines;
  const contact = party.contacts[0]?.name;
  return compact<Address>({
    name: contact,
    company: names.join(' ') || undefined,
    line1: party.street[0],
    line2: party.street.slice(1).join(' ') || undefined,
    city: party.city,
    postcode: party.postcode,
    region: party.region,
    country: party.country && /^[a-z]{2}$/i.test(party.country) ? party.country.toUpperCase() : party.country,
    phone: communication(party, ['TE']),
    email: communication(party, ['EM']),
  });
}

function partyMapEntry(partyMap: Record<string, unknown> | undefined, gln: string | undefined): { id?: string; name?: string } | undefined {
  if (!partyMap || !gln) return undefined;
  const entry = partyMap[gln];
  if (typeof entry === 'string') return { name: entry };
  if (entry && typeof entry === 'object') {
    const e = entry as Record<string, unknown>;
    return { ...(typeof e.id === 'string' ? { id: e.id } : {}), ...(typeof e.name === 'string' ? { name: e.name } : {}) };
  }
  return undefined;
}

function statusFor(fn: string, statusMap: Record<string, unknown> | undefined): OrderStatus {
  const name = MESSAGE_FUNCTIONS[fn];
  const override = statusMap?.[fn] ?? (name ? statusMap?.[name] : undefined);
  if (typeof override === 'string' && Value.Check(OrderStatusSchema, override)) return override as OrderStatus;
  return DEFAULT_EDIFACT_STATUS_MAP[fn] ?? UNKNOWN_FUNCTION_STATUS;
}

const DELIVERY_QUALIFIERS = ['2', '64', '63', '76', '69'];

/**
 * EdifactOrder → OrderDraft. externalId = interchange sender id + ':' + BGM document number, stable
 * across resends; a replace (5) or change (4) is the next version of that order, a cancellation (1)
 * the same order cancelled. Without UNB the buyer GLN stands in for the sender.
 */
/**
 * ISO 4217's code for "no currency involved": a call-off with quantities only (no PRI, no MOA) is a
 * valid order whose prices come from the supplier's price list; refusing it for a missing CUX would
 * lose it. A message that does carry prices still needs a currency (CUX or the channel's default).
 */
const NO_CURRENCY = 'XXX';

function carriesPrices(order: EdifactOrder): boolean {
  return Object.keys(order.amounts).length > 0 || order.lines.some((l) => l.netPrice || l.grossPrice || Object.keys(l.amounts).length > 0);
}

export function orderDraftFrom(order: EdifactOrder, options: EdifactMappingOptions | Record<string, unknown> | undefined, warnings: string[] = []): OrderDraft {
  const opts = (options ?? {}) as Record<string, unknown>;
  const asRecord = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const productMap = asRecord(opts.productMap);
  const partyMap = asRecord(opts.partyMap);
  const statusMap = asRecord(opts.statusMap);
  const find = (...qualifiers: string[]): EdifactParty | undefined => {
    for (const q of qualifiers) {
      const p = order.parties.find((x) => x.qualifier === q);
      if (p) return p;
    }
    return undefined;
  };
  const buyer = find('BY');
  const delivery = find('DP', 'ST', 'CN');
  const invoicee = find('IV');
  const sender = order.interchange.sender?.id || buyer?.id;
  if (!sender) throw new OrdersError('neither a UNB sender nor a NAD+BY buyer id: the order cannot be identified');

  const currency = order.currency ?? (typeof opts.defaultCurrency === 'string' ? opts.defaultCurrency : undefined) ?? (carriesPrices(order) ? undefined : NO_CURRENCY);
  if (!currency) throw new OrdersError('no currency: the message has no CUX, the channel sets no defaultCurrency, and the message carries prices');

  const documentDate = order.dates.find((d) => d.qualifier === '137');
  const placedAt = documentDate?.instant ?? (documentDate?.date ? `${documentDate.date}T00:00:00.000Z` : order.interchange.preparedAt);
  if (!placedAt) throw new OrdersError('no document date: neither DTM+137 nor a readable UNB date');

  const lines = order.lines.map((l) => lineDraft(l, productMap, { rate: order.taxRate, category: order.taxCategory }));
  if (lines.length === 0 && !['1', '3'].includes(order.messageFunction)) throw new OrdersError(`order ${order.documentNumber} has no LIN line items`);

  const linesTotal = lines.reduce((sum, l) => sum.plus(l.total), new Money(0));
  const linesTax = lines.reduce((sum, l) => sum.plus(l.tax), new Money(0));
  const tax = order.amounts['124'] ?? order.amounts['176'];
  const taxValue = tax !== undefined ? new Money(tax) : linesTax;
  const declaredTotal = order.amounts['86'] ?? order.amounts['128'] ?? order.amounts['77'] ?? order.amounts['39'];

  const mapped = partyMapEntry(partyMap, buyer?.id);
  const buyerAddress = partyAddress(buyer);
  const customer: Customer = {};
  const customerId = mapped?.id ?? buyer?.id;
  if (customerId) customer.externalId = customerId;
  const customerName = mapped?.name ?? buyerAddress?.company ?? buyerAddress?.name;
  if (customerName) customer.name = customerName;
  if (buyerAddress?.company) customer.company = buyerAddress.company;
  if (buyerAddress?.phone) customer.phone = buyerAddress.phone;
  if (buyerAddress?.email) customer.email = buyerAddress.email;
  const vat = buyer?.references.VA ?? invoicee?.references.VA ?? order.references.VA;
  if (vat) customer.taxNumber = vat;

  const functionName = MESSAGE_FUNCTIONS[order.messageFunction] ?? order.messageFunction;
  const parties: Record<string, { id?: string; agency?: string }> = {};
  for (const p of order.parties) {
    if (!parties[p.qualifier]) parties[p.qualifier] = compact({ id: p.id, agency: p.idAgency }) ?? {};
  }
  const edifact: Record<string, unknown> = {
    interchange: order.interchange,
    message: order.message,
    document: { nameCode: order.documentNameCode, number: order.documentNumber, function: order.messageFunction },
    parties,
    decimalMark: order.decimalMark,
  };
  if (Object.keys(order.references).length > 0) edifact.references = order.references;
  if (order.dates.length > 0) edifact.dates = order.dates;
  if (Object.keys(order.amounts).length > 0) edifact.amounts = order.amounts;
  if (Object.keys(order.controlTotals).length > 0) edifact.controlTotals = order.controlTotals;
  if (warnings.length > 0) edifact.warnings = warnings;
  if (currency === NO_CURRENCY && !order.currency) edifact.currency = 'the message has no CUX and carries no prices: XXX (ISO 4217, no currency involved)';
  const source: OrderDraft['source'] = { createdVia: 'edifact' };
  if (buyer?.id) source.partner = buyer.id;
  if (delivery?.id) source.store = delivery.id;

  const draft: OrderDraft = {
    externalId: `${sender}:${order.documentNumber}`,
    number: order.documentNumber,
    status: statusFor(order.messageFunction, statusMap),
    sourceStatus: functionName,
    source,
    customer,
    currency,
    totals: {
      subtotal: money4(lines.reduce((sum, l) => sum.plus(l.subtotal), new Money(0))),
      discount: money4(lines.reduce((sum, l) => sum.plus(l.discount), new Money(0))),
      shipping: '0',
      fee: '0',
      tax: money4(taxValue),
      total: money4(declaredTotal !== undefined ? new Money(declaredTotal) : linesTotal.plus(taxValue)),
    },
    lines,
    placedAt,
    // Envelope and message details travel beside the content: a resend is not a new version.
    transport: { edifact },
  };
  const shipping = partyAddress(delivery);
  if (shipping) draft.shippingAddress = shipping;
  const billing = partyAddress(invoicee);
  if (billing) draft.billingAddress = billing;
  const region = shipping?.country ?? billing?.country ?? buyerAddress?.country;
  if (region) draft.region = region;
  if (order.notes.length > 0) draft.notes = order.notes.join('\n');
  for (const q of DELIVERY_QUALIFIERS) {
    const d = order.dates.find((x) => x.qualifier === q && x.date);
    if (d?.date) {
      draft.desiredDeliveryDate = d.date;
      break;
    }
  }
  if (order.interchange.preparedAt) draft.sourceUpdatedAt = order.interchange.preparedAt;
  return draft;
}

/**
 * Records interchange warnings on a draft made before its interchange ended (streaming): the same
 * `transport.edifact.warnings` that `orderDraftFrom(order, options, warnings)` would have written.
 */
export function recordInterchangeWarnings(draft: OrderDraft, warnings: string[]): void {
  if (warnings.length === 0) return;
  const edifact = draft.transport?.edifact;
  if (edifact && typeof edifact === 'object') (edifact as Record<string, unknown>).warnings = warnings;
}
