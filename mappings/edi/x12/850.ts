import { Type, type Static } from '@sinclair/typebox';
import type { Address } from '../../../core/model/common.ts';
import type { Customer, OrderDraft, OrderLineDraft, OrderSource } from '../../../core/model/order.ts';
import { OrderStatusSchema } from '../../../core/model/order.ts';
import { Money, formatDecimal, parseDecimal, sumDecimals, type MoneyValue } from '../../common/money.ts';
import { positionOf, setRef, type X12GroupHeader, type X12InterchangeHeader, type X12Issue, type X12TransactionSet } from './interchange.ts';
import { formatPosition, value, type X12Position, type X12Segment } from './tokenizer.ts';

/**
 * X12 850 Purchase Order → core order draft.
 *
 * Two steps: `parse850` reads a transaction set into an `X12PurchaseOrder` (everything an 855 needs:
 * envelope ids and control numbers, PO1 line ids, quantities, units, prices and qualifier/id pairs) and
 * `map850ToDraft` turns that into an `OrderDraft`. Both are pure; `parse850` reports an unreadable set
 * as `{ ok: false }` and never throws.
 *
 * Decisions:
 * - externalId = ISA06 (interchange sender id) + ':' + BEG03 (PO number). A replace (BEG01 05) or a
 *   cancellation (01) is therefore the next version of the same order. sourceUpdatedAt = GS04/GS05
 *   (else ISA09/ISA10), read as UTC (X12 carries no zone), so an older retransmission never overwrites a
 *   newer one.
 * - Status from BEG01 (purpose): 00 original, 04 change, 05 replace, 06 confirmation, 07 duplicate →
 *   received; 01 cancellation → cancelled; anything else → on_hold. `statusMap` overrides by code
 *   (`"00"`) or name (`"original"`). sourceStatus = the purpose name.
 * - Money: decimal strings (decimal.js). quantity ≤ 4 decimals and PO104 ≤ 6 decimals or the set is
 *   rejected (never silently rounded). PO105 price basis HP (per hundred) / TP (per thousand) is divided
 *   out and rounded half-up to 6 decimals; other bases are per unit. Line subtotal = total = quantity ×
 *   unit price rounded half-up to 4 decimals; discount 0 (SAC is not mapped); line tax = its TXI02
 *   amounts, attributes.taxRate = TXI03 (the line's, else the header's), order tax = header TXI02 or the
 *   lines' tax, added to the order total. SCH schedules are kept in attributes.deliveries. A missing
 *   PO104 gives unit price 0 with `attributes.priceMissing`.
 * - SKU: `productMap` is looked up with every PO1 qualifier/id pair in the order SK, UP, UK, EN, EA,
 *   EO, VN, VP, VA, MG, BP, IN, PI, CB, then the rest, each as `QUAL:id` then `id`. Unmapped, the
 *   seller's own number (SK, VN, VP, VA) is the SKU; buyer numbers and GTINs are never taken for a SKU.
 * - Control totals: CTT01 ≠ number of PO1, and AMT TT/1 ≠ Σ line totals, are warnings kept in
 *   `transport.x12.warnings` (the set already proved itself whole through SE01); with
 *   `strictControlTotals` they reject the set instead.
 */

export const X12MappingOptionsSchema = Type.Object(
  {
    /** `QUAL:id` or `id` (UPC/EAN/vendor part/buyer part…) → SKU. */
    productMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }))),
    /** `QUAL:id` or `id` (ISA sender, N1 ids) → the hub's own party id (customer.externalId, source.partner). */
    partyMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }))),
    /** Currency when the 850 has no CUR segment; USD by default. */
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    /** BEG01 purpose code (`00`) or name (`original`) → core status. */
    statusMap: Type.Optional(Type.Record(Type.String({ minLength: 1 }), OrderStatusSchema)),
    /** Reject a set whose CTT01 or AMT total disagrees with its lines (default: record a warning). */
    strictControlTotals: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type X12MappingOptions = Static<typeof X12MappingOptionsSchema>;

type OrderStatus = OrderDraft['status'];

export const BEG_PURPOSES: Readonly<Record<string, string>> = Object.freeze({
  '00': 'original',
  '01': 'cancellation',
  '04': 'change',
  '05': 'replace',
  '06': 'confirmation',
  '07': 'duplicate',
});

export const DEFAULT_X12_STATUS_MAP: Readonly<Record<string, OrderStatus>> = Object.freeze({
  '00': 'received',
  '01': 'cancelled',
  '04': 'received',
  '05': 'received',
  '06': 'received',
  '07': 'received',
});
export const UNKNOWN_X12_STATUS: OrderStatus = 'on_hold';

const STATUSES: readonly string[] = OrderStatusSchema.anyOf.map((s) => s.const as string);

export function mapX12Status(purpose: string, overrides: Record<string, unknown> | undefined): OrderStatus {
  const name = BEG_PURPOSES[purpose];
  const override = overrides?.[purpose] ?? (name ? overrides?.[name] : undefined);
  if (typeof override === 'string' && STATUSES.includes(override)) return override as OrderStatus;
  return DEFAULT_X12_STATUS_MAP[purpose] ?? UNKNOWN_X12_STATUS;
}

export interface X12Contact {
  /** PER01, e.g. BD buyer, IC information contact. */
  function?: string;
  name?: string;
  phone?: string;
  email?: string;
  fax?: string;
}

export interface X12Party {
  /** N101 entity code: ST ship to, BT bill to, BY buyer, VN vendor, SF ship from, … */
  code: string;
  name?: string;
  /** N2 lines. */
  additionalNames: string[];
  /** N103 (1 DUNS, 9 DUNS+4, 92 assigned by buyer, 91 by seller, UL GLN, 15 SAN…) and N104. */
  idQualifier?: string;
  id?: string;
  /** N3 elements in order. */
  street: string[];
  city?: string;
  region?: string;
  postcode?: string;
  country?: string;
  contacts: X12Contact[];
  references: X12Reference[];
  position: X12Position;
}

export interface X12Reference {
  qualifier: string;
  value?: string;
  description?: string;
}

export interface X12ProductId {
  qualifier: string;
  id: string;
}

export interface X12PoLine {
  /** PO101 as sent (may be empty); the 855 echoes it. */
  lineNo: string;
  /** 1-based position among the PO1 segments. */
  ordinal: number;
  /** PO102 normalised. */
  quantity: string;
  /** PO103. */
  uom?: string;
  /** PO104 normalised, as sent (before the price basis). */
  unitPrice?: string;
  /** PO105. */
  priceBasis?: string;
  /** PO106/07, PO108/09, … */
  productIds: X12ProductId[];
  /** PID05 of each PID (F free-form). */
  descriptions: string[];
  /** PO4: pack (PO401), size (PO402), unit (PO403). */
  pack?: { pack?: string; size?: string; uom?: string };
  /** Line-level DTM*002, YYYY-MM-DD. */
  requestedDeliveryDate?: string;
  notes: string[];
  references: X12Reference[];
  /** Line-level AMT (5010 PO1 loop). */
  amounts: Array<{ qualifier: string; amount: string }>;
  /** SCH line item schedule: one entry per delivery (SCH01 quantity, SCH02 unit, SCH06 date). */
  deliveries: Array<{ quantity: string; unit?: string; date?: string; dateQualifier?: string }>;
  /** TXI in the PO1 loop: tax type, rate (TXI03, percent as sent) and amount (TXI02). */
  taxes: Array<{ type: string; rate?: string; amount?: string }>;
  /** The PO1 elements as sent (index 0 = 'PO1'). */
  po1: string[];
  position: X12Position;
}

export interface X12PurchaseOrder {
  interchange: X12InterchangeHeader;
  group?: X12GroupHeader;
  /** ST02 and ST03. */
  controlNumber: string;
  implementationRef?: string;
  /** BEG01..BEG06. */
  purpose: string;
  orderType: string;
  poNumber: string;
  release?: string;
  /** BEG05 as YYYY-MM-DD. */
  poDate: string;
  /** BEG05 as sent (CCYYMMDD). */
  poDateRaw: string;
  contract?: string;
  /** CUR02. */
  currency?: string;
  references: X12Reference[];
  dates: Array<{ qualifier: string; date: string; time?: string }>;
  contacts: X12Contact[];
  parties: X12Party[];
  lines: X12PoLine[];
  notes: string[];
  /** CTT01/CTT02 as sent. */
  lineCount?: string;
  hashTotal?: string;
  /** Header TXI: applies to every line without its own TXI. */
  taxes: Array<{ type: string; rate?: string; amount?: string }>;
  /** Document-level AMT (header or summary): qualifier TT total transaction amount, 1 line item total. */
  amounts: Array<{ qualifier: string; amount: string; position: X12Position }>;
  position: X12Position;
  /** Envelope warnings of the set and the control-total findings of this order. */
  warnings: X12Issue[];
}

/**
 * What a 997 says of a set rejected for its syntax: the segment in error (AK3) and, when one element is
 * at fault, that element (AK4). Only faults X12 itself defines are noted (a missing mandatory segment,
 * an unrecognized segment id, a missing element, an element that is not a number or a date); a set the
 * hub refuses for its own rules (more decimals than it keeps, control totals) has no note.
 */
export interface X12SyntaxNote {
  /** AK301 segment id and AK302 its position in the set (ST = 1; a missing segment: where it was due). */
  segmentId: string;
  position: number;
  /** AK303 loop identifier (the loop's first segment id), when the segment is in a loop. */
  loopId?: string;
  /** AK304 segment syntax error code (X12 element 720): 1 unrecognized segment id, 3 mandatory segment missing, 8 segment has data element errors. */
  code: string;
  element?: {
    /** AK401 position of the element in the segment. */
    position: number;
    /** AK402 data element reference number. */
    reference?: string;
    /** AK403 data element syntax error code (X12 element 723): 1 mandatory element missing, 2 conditional required element missing, 6 invalid character, 8 invalid date. */
    code: string;
    /** AK404 copy of the bad data. */
    data?: string;
  };
}

/** A problem that makes one transaction set unreadable; becomes a MappingError with the set's ref. */
export class X12SetError extends Error {
  constructor(
    message: string,
    readonly position?: X12Position,
    /** Set when the problem is an X12 syntax fault a 997 can name (AK3/AK4). */
    readonly note?: X12SyntaxNote,
  ) {
    super(message);
  }
}

/** The element of a segment a number is read from, for the 997 note when it is not one. */
interface ElementRef {
  /** The set's ST (positions are counted from it). */
  st: X12Segment;
  position: number;
  reference: string;
  loopId?: string;
  /** 723 code when the element is empty: 1 when X12 makes it mandatory, 2 when the hub needs it. */
  missingCode: '1' | '2';
}

function positionInSet(st: X12Segment, s: X12Segment): number {
  return s.index - st.index + 1;
}

function elementNote(at: X12Segment, ref: ElementRef, code: string, data: string | undefined): X12SyntaxNote {
  const note: X12SyntaxNote = { segmentId: at.id, position: positionInSet(ref.st, at), code: '8', element: { position: ref.position, reference: ref.reference, code } };
  if (ref.loopId) note.loopId = ref.loopId;
  if (data) note.element!.data = data;
  return note;
}

function decimal(raw: string | undefined, what: string, at: X12Segment, maxDecimals: number, ref?: ElementRef): MoneyValue {
  const parsed = raw === undefined ? undefined : parseDecimal(raw);
  if (parsed === undefined) {
    const note = ref ? elementNote(at, ref, raw === undefined ? ref.missingCode : '6', raw) : undefined;
    throw new X12SetError(`${what} is not a number: ${JSON.stringify(raw ?? '') } (${at.id} at ${formatPosition(at)})`, at, note);
  }
  if (parsed.decimalPlaces() > maxDecimals) {
    throw new X12SetError(`${what} ${raw} has more than ${maxDecimals} decimals (${at.id} at ${formatPosition(at)})`, at);
  }
  return parsed;
}

/** CCYYMMDD (or YYMMDD, windowed at 50) → YYYY-MM-DD; undefined when not a real date. */
export function x12Date(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let full: string;
  if (/^\d{8}$/.test(raw)) full = raw;
  else if (/^\d{6}$/.test(raw)) full = `${Number(raw.slice(0, 2)) < 50 ? '20' : '19'}${raw}`;
  else return undefined;
  const iso = `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** Date + HHMM[SS[d…]] → ISO instant (UTC: X12 has no zone); undefined when unreadable. */
export function x12Instant(date: string | undefined, time: string | undefined): string | undefined {
  const day = x12Date(date);
  if (!day) return undefined;
  const t = time && /^\d{4,8}$/.test(time) ? time : '0000';
  const hh = Number(t.slice(0, 2));
  const mm = Number(t.slice(2, 4));
  const ss = t.length >= 6 ? Number(t.slice(4, 6)) : 0;
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  return `${day}T${t.slice(0, 2)}:${t.slice(2, 4)}:${String(ss).padStart(2, '0')}.000Z`;
}

function contactOf(per: X12Segment): X12Contact {
  const contact: X12Contact = {};
  const fn = value(per, 1);
  if (fn) contact.function = fn;
  const name = value(per, 2);
  if (name) contact.name = name;
  for (let i = 3; i + 1 < per.elements.length; i += 2) {
    const qualifier = value(per, i);
    const number = value(per, i + 1);
    if (!qualifier || !number) continue;
    if (qualifier === 'TE' && !contact.phone) contact.phone = number;
    else if (qualifier === 'EM' && !contact.email) contact.email = number;
    else if (qualifier === 'FX' && !contact.fax) contact.fax = number;
  }
  return contact;
}

function referenceOf(ref: X12Segment): X12Reference {
  const out: X12Reference = { qualifier: value(ref, 1) ?? '' };
  const v = value(ref, 2);
  if (v) out.value = v;
  const description = value(ref, 3);
  if (description) out.description = description;
  return out;
}

/** A segment id X12 can have: 2–3 upper-case letters or digits, a letter first. */
const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

/** Reads one 850 transaction set. Never throws: an unreadable set comes back as `{ ok: false }`. */
export function parse850(set: X12TransactionSet): { ok: true; order: X12PurchaseOrder } | { ok: false; error: X12SetError } {
  try {
    return { ok: true, order: read850(set) };
  } catch (error) {
    return { ok: false, error: error instanceof X12SetError ? error : new X12SetError(String((error as Error)?.message ?? error), set.segments[0]) };
  }
}

function read850(set: X12TransactionSet): X12PurchaseOrder {
  const st = set.segments[0] as X12Segment;
  if (set.type !== '850') throw new X12SetError(`transaction set ${set.type || '(no ST01)'} is not an 850 purchase order`, st);
  // A segment id X12 cannot have (2–3 upper-case letters or digits, a letter first): what it carried is unknown (a garbled PO1 would lose a line).
  const garbled = set.segments.find((s) => !SEGMENT_ID.test(s.id));
  if (garbled) {
    throw new X12SetError(`segment id ${JSON.stringify(garbled.id)} at ${formatPosition(garbled)} is not a valid X12 segment id`, garbled, { segmentId: garbled.id.trim().slice(0, 3) || '?', position: positionInSet(st, garbled), code: '1' });
  }
  const beg = set.segments.find((s) => s.id === 'BEG');
  // BEG is mandatory and due right after ST (position 2).
  if (!beg) throw new X12SetError(`850 ${set.controlNumber} has no BEG segment (ST at ${formatPosition(st)})`, st, { segmentId: 'BEG', position: 2, code: '3' });
  const begRef = (position: number, reference: string): ElementRef => ({ st, position, reference, missingCode: '1' });
  const poNumber = value(beg, 3);
  if (!poNumber) throw new X12SetError(`BEG03 (purchase order number) is empty (BEG at ${formatPosition(beg)})`, beg, elementNote(beg, begRef(3, '324'), '1', undefined));
  const poDateRaw = value(beg, 5) ?? '';
  const poDate = x12Date(poDateRaw);
  if (!poDate) {
    const note = elementNote(beg, begRef(5, '373'), poDateRaw === '' ? '1' : '8', poDateRaw);
    throw new X12SetError(`BEG05 (purchase order date) is not a CCYYMMDD date: ${JSON.stringify(poDateRaw)} (BEG at ${formatPosition(beg)})`, beg, note);
  }
  const inLine = (position: number, reference: string, missingCode: '1' | '2' = '1'): ElementRef => ({ st, position, reference, loopId: 'PO1', missingCode });

  const order: X12PurchaseOrder = {
    interchange: set.interchange,
    controlNumber: set.controlNumber,
    purpose: value(beg, 1) ?? '',
    orderType: value(beg, 2) ?? '',
    poNumber,
    poDate,
    poDateRaw,
    references: [],
    dates: [],
    contacts: [],
    parties: [],
    lines: [],
    notes: [],
    taxes: [],
    amounts: [],
    position: positionOf(st),
    warnings: [...set.warnings],
  };
  if (set.group) order.group = set.group;
  if (set.implementationRef) order.implementationRef = set.implementationRef;
  const release = value(beg, 4);
  if (release) order.release = release;
  const contract = value(beg, 6);
  if (contract) order.contract = contract;

  let party: X12Party | undefined;
  let line: X12PoLine | undefined;
  let summary = false;
  for (const s of set.segments) {
    switch (s.id) {
      case 'PO1': {
        party = undefined;
        summary = false;
        // PO102 is conditional in X12 (required with PO103); the hub needs it.
        const quantity = decimal(value(s, 2), `PO102 (quantity) of line ${value(s, 1) ?? order.lines.length + 1}`, s, 4, inLine(2, '330', '2'));
        const rawPrice = value(s, 4);
        const unitPrice = rawPrice === undefined ? undefined : decimal(rawPrice, `PO104 (unit price) of line ${value(s, 1) ?? order.lines.length + 1}`, s, 6, inLine(4, '212'));
        line = {
          lineNo: value(s, 1) ?? '',
          ordinal: order.lines.length + 1,
          quantity: formatDecimal(quantity),
          productIds: [],
          descriptions: [],
          notes: [],
          references: [],
          amounts: [],
          deliveries: [],
          taxes: [],
          po1: [...s.elements],
          position: positionOf(s),
        };
        const uom = value(s, 3);
        if (uom) line.uom = uom;
        if (unitPrice) line.unitPrice = formatDecimal(unitPrice);
        const basis = value(s, 5);
        if (basis) line.priceBasis = basis;
        for (let i = 6; i + 1 < s.elements.length; i += 2) {
          const qualifier = value(s, i);
          const id = value(s, i + 1);
          if (qualifier && id) line.productIds.push({ qualifier, id });
        }
        order.lines.push(line);
        break;
      }
      case 'PID': {
        const description = value(s, 5);
        if (line && description) line.descriptions.push(description);
        break;
      }
      case 'PO4': {
        if (!line) break;
        const pack: NonNullable<X12PoLine['pack']> = {};
        const p = value(s, 1);
        if (p) pack.pack = p;
        const size = value(s, 2);
        if (size) pack.size = size;
        const uom = value(s, 3);
        if (uom) pack.uom = uom;
        line.pack = pack;
        break;
      }
      case 'CUR': {
        const currency = value(s, 2);
        if (currency && !order.currency) order.currency = currency.toUpperCase();
        break;
      }
      case 'REF': {
        if (party) party.references.push(referenceOf(s));
        else if (line && !summary) line.references.push(referenceOf(s));
        else order.references.push(referenceOf(s));
        break;
      }
      case 'PER': {
        if (party) party.contacts.push(contactOf(s));
        else if (!line) order.contacts.push(contactOf(s));
        break;
      }
      case 'DTM': {
        const qualifier = value(s, 1) ?? '';
        const date = x12Date(value(s, 2));
        if (!date) break;
        if (line && !summary) {
          if (qualifier === '002' && !line.requestedDeliveryDate) line.requestedDeliveryDate = date;
        } else {
          const entry: X12PurchaseOrder['dates'][number] = { qualifier, date };
          const time = value(s, 3);
          if (time) entry.time = time;
          order.dates.push(entry);
        }
        break;
      }
      case 'NTE':
      case 'MSG': {
        const text = s.id === 'NTE' ? value(s, 2) : value(s, 1);
        if (!text) break;
        if (line && !summary) line.notes.push(text);
        else order.notes.push(text);
        break;
      }
      case 'N1': {
        if (line) {
          // Line-level N1 loops (per-line ship-to) are not mapped; keep their segments out of the header parties.
          party = undefined;
          break;
        }
        party = { code: value(s, 1) ?? '', additionalNames: [], street: [], contacts: [], references: [], position: positionOf(s) };
        const name = value(s, 2);
        if (name) party.name = name;
        const qualifier = value(s, 3);
        if (qualifier) party.idQualifier = qualifier;
        const id = value(s, 4);
        if (id) party.id = id;
        order.parties.push(party);
        break;
      }
      case 'N2': {
        if (!party) break;
        for (const n of [value(s, 1), value(s, 2)]) if (n) party.additionalNames.push(n);
        break;
      }
      case 'N3': {
        if (!party) break;
        for (const n of [value(s, 1), value(s, 2)]) if (n) party.street.push(n);
        break;
      }
      case 'N4': {
        if (!party) break;
        const city = value(s, 1);
        if (city) party.city = city;
        const region = value(s, 2);
        if (region) party.region = region;
        const postcode = value(s, 3);
        if (postcode) party.postcode = postcode;
        const country = value(s, 4);
        if (country) party.country = country;
        break;
      }
      case 'CTT': {
        party = undefined;
        summary = true;
        const lineCount = value(s, 1);
        if (lineCount) order.lineCount = lineCount;
        const hash = value(s, 2);
        if (hash) order.hashTotal = hash;
        break;
      }
      case 'SCH': {
        if (!line || summary) break;
        const quantity = decimal(value(s, 1), `SCH01 (scheduled quantity) of line ${line.lineNo || line.ordinal}`, s, 4, inLine(1, '380'));
        const delivery: X12PoLine['deliveries'][number] = { quantity: formatDecimal(quantity) };
        const unit = value(s, 2);
        if (unit) delivery.unit = unit;
        const date = x12Date(value(s, 6));
        if (date) {
          delivery.date = date;
          delivery.dateQualifier = value(s, 5) ?? '';
        }
        line.deliveries.push(delivery);
        break;
      }
      case 'TXI': {
        if (summary) break;
        const tax: X12PurchaseOrder['taxes'][number] = { type: value(s, 1) ?? '' };
        const amount = value(s, 2);
        const txiRef = (position: number, reference: string): ElementRef => (line ? inLine(position, reference) : { st, position, reference, missingCode: '1' });
        if (amount !== undefined) tax.amount = formatDecimal(decimal(amount, 'TXI02 (tax amount)', s, 4, txiRef(2, '782')));
        const rate = value(s, 3);
        if (rate !== undefined) tax.rate = formatDecimal(decimal(rate, 'TXI03 (tax percent)', s, 4, txiRef(3, '954')));
        (line ? line.taxes : order.taxes).push(tax);
        break;
      }
      case 'AMT': {
        const qualifier = value(s, 1) ?? '';
        const amount = value(s, 2);
        if (!amount) break;
        if (line && !summary) line.amounts.push({ qualifier, amount });
        else order.amounts.push({ qualifier, amount, position: positionOf(s) });
        break;
      }
      default:
        // Segments that open other loops end the current N1 loop (ITD, TD5, N9, SAC, …).
        if (s.id !== 'ST' && s.id !== 'BEG' && s.id !== 'SE') party = undefined;
    }
  }
  return order;
}

/** Per-unit price in the order's unit of measure: HP (per hundred) and TP (per thousand) divided out. */
function unitPriceOf(line: X12PoLine): MoneyValue {
  const price = new Money(line.unitPrice ?? '0');
  if (line.priceBasis === 'HP') return price.dividedBy(100);
  if (line.priceBasis === 'TP') return price.dividedBy(1000);
  return price;
}

const SKU_PRIORITY = ['SK', 'UP', 'UK', 'EN', 'EA', 'EO', 'VN', 'VP', 'VA', 'MG', 'BP', 'IN', 'PI', 'CB'];
const SELLER_QUALIFIERS = ['SK', 'VN', 'VP', 'VA'];

function lookup(map: Record<string, unknown> | undefined, qualifier: string | undefined, id: string | undefined): string | undefined {
  if (!map || !id) return undefined;
  const hit = (qualifier ? map[`${qualifier}:${id}`] : undefined) ?? map[id];
  return typeof hit === 'string' && hit !== '' ? hit : undefined;
}

export function skuOf(ids: X12ProductId[], productMap: Record<string, unknown> | undefined): string | undefined {
  const rank = (q: string): number => {
    const i = SKU_PRIORITY.indexOf(q);
    return i < 0 ? SKU_PRIORITY.length : i;
  };
  const ordered = [...ids].sort((a, b) => rank(a.qualifier) - rank(b.qualifier));
  for (const { qualifier, id } of ordered) {
    const mapped = lookup(productMap, qualifier, id);
    if (mapped) return mapped;
  }
  return ordered.find((p) => SELLER_QUALIFIERS.includes(p.qualifier))?.id;
}

function address(party: X12Party | undefined): Address | undefined {
  if (!party) return undefined;
  const out: Address = {};
  if (party.name) out.name = party.name;
  if (party.additionalNames.length > 0) out.company = party.additionalNames.join(' ');
  if (party.street[0]) out.line1 = party.street[0];
  if (party.street.length > 1) out.line2 = party.street.slice(1).join(', ');
  if (party.city) out.city = party.city;
  if (party.postcode) out.postcode = party.postcode;
  if (party.region) out.region = party.region;
  if (party.country) out.country = /^[a-z]{2}$/i.test(party.country) ? party.country.toUpperCase() : party.country;
  const contact = party.contacts.find((c) => c.phone || c.email);
  if (contact?.phone) out.phone = contact.phone;
  if (contact?.email) out.email = contact.email;
  return Object.keys(out).length > 0 ? out : undefined;
}

function partyKey(party: X12Party): string | undefined {
  if (!party.id) return undefined;
  return party.idQualifier ? `${party.idQualifier}:${party.id}` : party.id;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a mapped order keeps of its 850 in `transport.x12` (enough to build an 855 or a 997). */
export interface X12SourceInfo {
  sender: { qualifier: string; id: string };
  receiver: { qualifier: string; id: string };
  interchangeControlNumber: string;
  groupControlNumber?: string;
  groupSender?: string;
  groupReceiver?: string;
  version: string;
  transactionSetControlNumber: string;
  purpose: string;
  orderType: string;
  poDate: string;
  release?: string;
  contract?: string;
  vendor?: { name?: string; idQualifier?: string; id?: string };
  parties: Array<{ code: string; name?: string; idQualifier?: string; id?: string }>;
  references: X12Reference[];
  warnings: string[];
}

/** Turns a parsed 850 into a core draft; throws X12SetError when the set must be rejected. */
export function map850ToDraft(po: X12PurchaseOrder, options: X12MappingOptions | undefined): OrderDraft {
  const opts = isRecord(options) ? options : {};
  const productMap = isRecord(opts.productMap) ? opts.productMap : undefined;
  const partyMap = isRecord(opts.partyMap) ? opts.partyMap : undefined;
  const statusMap = isRecord(opts.statusMap) ? opts.statusMap : undefined;
  const strict = opts.strictControlTotals === true;
  const warnings = po.warnings.map((w) => w.message);
  const finding = (message: string, at: X12Position): void => {
    if (strict) throw new X12SetError(`${message} (strictControlTotals)`, at);
    warnings.push(message);
  };

  const lines: OrderLineDraft[] = po.lines.map((l) => {
    const quantity = new Money(l.quantity);
    const unitPrice = unitPriceOf(l);
    const total = quantity.times(unitPrice).toDecimalPlaces(4, Money.ROUND_HALF_UP);
    const attributes: Record<string, unknown> = {
      lineNo: l.lineNo,
      ordinal: l.ordinal,
      productIds: l.productIds,
      po1: l.po1,
    };
    if (l.uom) attributes.uom = l.uom;
    if (l.unitPrice !== undefined) attributes.unitPriceAsSent = l.unitPrice;
    else attributes.priceMissing = true;
    if (l.priceBasis) attributes.priceBasis = l.priceBasis;
    if (l.descriptions.length > 0) attributes.description = l.descriptions.join(' ');
    if (l.pack) attributes.pack = l.pack;
    if (l.requestedDeliveryDate) attributes.requestedDeliveryDate = l.requestedDeliveryDate;
    if (l.notes.length > 0) attributes.notes = l.notes;
    if (l.references.length > 0) attributes.references = l.references;
    if (l.amounts.length > 0) attributes.amounts = l.amounts;
    // A split delivery keeps its schedule; PO102 stays the line's quantity (the schedule breaks it down).
    if (l.deliveries.length > 0) attributes.deliveries = l.deliveries;
    const taxes = l.taxes.length > 0 ? l.taxes : po.taxes;
    const rate = taxes.find((t) => t.rate !== undefined)?.rate;
    if (rate !== undefined) attributes.taxRate = rate;
    if (taxes.length > 0) attributes.taxes = taxes;
    // Only the line's own TXI02 is its tax amount; a header TXI amount is the order's.
    const lineTax = l.taxes.reduce((sum, t) => (t.amount !== undefined ? sum.plus(t.amount) : sum), new Money(0));
    const sku = skuOf(l.productIds, productMap);
    const draftLine: OrderLineDraft = {
      kind: 'product',
      externalId: l.lineNo || `#${l.ordinal}`,
      name: l.descriptions.join(' ') || sku || l.productIds.map((p) => `${p.qualifier} ${p.id}`).join(', ') || `line ${l.lineNo || l.ordinal}`,
      quantity: l.quantity,
      unitPrice: formatDecimal(unitPrice.toDecimalPlaces(6, Money.ROUND_HALF_UP)),
      subtotal: formatDecimal(total),
      discount: '0',
      tax: formatDecimal(lineTax),
      total: formatDecimal(total),
      attributes,
    };
    if (sku) draftLine.sku = sku;
    return draftLine;
  });

  // Control totals.
  if (po.lineCount !== undefined && po.lineCount !== String(po.lines.length)) {
    finding(`CTT01 says ${po.lineCount} line items but the 850 has ${po.lines.length} PO1 segments`, po.position);
  }
  const linesTotal = sumDecimals(lines.map((l) => new Money(l.total)));
  for (const amt of po.amounts) {
    if (amt.qualifier !== 'TT' && amt.qualifier !== '1') continue;
    const declared = parseDecimal(amt.amount);
    if (!declared) {
      finding(`AMT*${amt.qualifier} ${JSON.stringify(amt.amount)} is not a number (AMT at ${formatPosition(amt.position)})`, amt.position);
    } else if (!declared.equals(linesTotal)) {
      finding(`AMT*${amt.qualifier} says ${formatDecimal(declared)} but the lines add up to ${linesTotal} (AMT at ${formatPosition(amt.position)})`, amt.position);
    }
  }

  const byCode = (code: string): X12Party | undefined => po.parties.find((p) => p.code === code);
  const buyer = byCode('BY') ?? byCode('BT') ?? byCode('ST');
  const isa = po.interchange;
  const senderPartner = lookup(partyMap, isa.senderQualifier, isa.senderId);
  const buyerPartner = buyer ? lookup(partyMap, buyer.idQualifier, buyer.id) : undefined;

  const customer: Customer = {};
  if (buyer) {
    const id = buyerPartner ?? partyKey(buyer);
    if (id) customer.externalId = id;
    if (buyer.name) customer.company = buyer.name;
  }
  const contact = [...(buyer?.contacts ?? []), ...po.contacts].find((c) => c.name) ?? po.contacts[0];
  if (contact?.name) customer.name = contact.name;
  const reach = [...(buyer?.contacts ?? []), ...po.contacts];
  const email = reach.find((c) => c.email)?.email;
  if (email) customer.email = email;
  const phone = reach.find((c) => c.phone)?.phone;
  if (phone) customer.phone = phone;

  const vendor = byCode('VN');
  const x12: X12SourceInfo = {
    sender: { qualifier: isa.senderQualifier, id: isa.senderId },
    receiver: { qualifier: isa.receiverQualifier, id: isa.receiverId },
    interchangeControlNumber: isa.controlNumber,
    version: po.group?.version || isa.version,
    transactionSetControlNumber: po.controlNumber,
    purpose: po.purpose,
    orderType: po.orderType,
    poDate: po.poDateRaw,
    parties: po.parties.map((p) => {
      const entry: X12SourceInfo['parties'][number] = { code: p.code };
      if (p.name) entry.name = p.name;
      if (p.idQualifier) entry.idQualifier = p.idQualifier;
      if (p.id) entry.id = p.id;
      return entry;
    }),
    references: po.references,
    warnings,
  };
  if (po.group) {
    x12.groupControlNumber = po.group.controlNumber;
    x12.groupSender = po.group.senderCode;
    x12.groupReceiver = po.group.receiverCode;
  }
  if (po.release) x12.release = po.release;
  if (po.contract) x12.contract = po.contract;
  if (vendor) {
    const v: NonNullable<X12SourceInfo['vendor']> = {};
    if (vendor.name) v.name = vendor.name;
    if (vendor.idQualifier) v.idQualifier = vendor.idQualifier;
    if (vendor.id) v.id = vendor.id;
    x12.vendor = v;
  }
  const source: OrderSource = {
    partner: senderPartner ?? buyerPartner ?? isa.senderId,
    createdVia: 'x12-850',
  };

  const total = linesTotal;
  const headerTax = po.taxes.reduce((sum, t) => (t.amount !== undefined ? sum.plus(t.amount) : sum), new Money(0));
  const orderTax = headerTax.isZero() ? new Money(sumDecimals(lines.map((l) => new Money(l.tax)))) : headerTax;
  const draft: OrderDraft = {
    externalId: `${isa.senderId}:${po.poNumber}`,
    number: po.poNumber,
    status: mapX12Status(po.purpose, statusMap),
    sourceStatus: BEG_PURPOSES[po.purpose] ?? po.purpose,
    source,
    customer,
    currency: po.currency ?? (typeof opts.currency === 'string' && /^[A-Z]{3}$/.test(opts.currency) ? opts.currency : 'USD'),
    totals: { subtotal: total, discount: '0', shipping: '0', fee: '0', tax: formatDecimal(orderTax), total: formatDecimal(new Money(total).plus(orderTax)) },
    lines,
    placedAt: `${po.poDate}T00:00:00.000Z`,
    // Envelope details travel beside the content: a resend in a new interchange is not a new version.
    transport: { x12 },
  };
  const shipping = address(byCode('ST'));
  if (shipping) draft.shippingAddress = shipping;
  const billing = address(byCode('BT'));
  if (billing) draft.billingAddress = billing;
  for (const a of [shipping, billing]) {
    if (a?.region) {
      draft.region = a.country ? `${a.country}-${a.region}` : a.region;
      break;
    }
  }
  if (!draft.region) {
    const country = shipping?.country ?? billing?.country;
    if (country) draft.region = country;
  }
  if (po.notes.length > 0) draft.notes = po.notes.join('\n');
  const requested = po.dates.find((d) => d.qualifier === '002')?.date ?? po.lines.map((l) => l.requestedDeliveryDate).filter((d): d is string => !!d).sort()[0];
  if (requested) draft.desiredDeliveryDate = requested;
  const updated = x12Instant(po.group?.date, po.group?.time) ?? x12Instant(isa.date, isa.time);
  if (updated) draft.sourceUpdatedAt = updated;
  return draft;
}

/** Maps one accepted 850 set; a failure becomes `{ ok: false }` with the set's ref and position. */
export function map850Set(
  set: X12TransactionSet,
  options: X12MappingOptions | undefined,
): { ok: true; order: OrderDraft; po: X12PurchaseOrder } | X12SetFailure {
  const parsed = parse850(set);
  const ref = setRef(set.controlNumber);
  if (!parsed.ok) return withPosition(ref, parsed.error);
  try {
    return { ok: true, order: map850ToDraft(parsed.order, options), po: parsed.order };
  } catch (error) {
    if (error instanceof X12SetError) return withPosition(ref, error);
    return { ok: false, ref, message: `mapping failed: ${(error as Error)?.message ?? String(error)}` };
  }
}

/** A set that could not be mapped: its ref, why, where, and the 997 note when the fault is X12 syntax. */
export interface X12SetFailure {
  ok: false;
  ref: string;
  message: string;
  position?: X12Position;
  note?: X12SyntaxNote;
}

function withPosition(ref: string, error: X12SetError): X12SetFailure {
  const out: X12SetFailure = { ok: false, ref, message: error.message };
  if (error.position) out.position = positionOf(error.position);
  if (error.note) out.note = error.note;
  return out;
}
