/**
 * ORDRSP answering one ORDERS, in the ORDERS' own directory (D.96A, D.01B, …: UNH version, release and
 * agency copied; the EANCOM association code is the ORDRSP one of the same EANCOM edition, EAN005 for
 * D.96A, EAN009 for D.01B, none for a non-EANCOM order): BGM+231, RFF+ON to the order, one LIN per ordered line
 * with action code 5 accepted / 3 changed (QTY = the new quantity) / 7 not accepted, UNS/CNT, and a
 * UNB/UNZ envelope with sender and recipient swapped. All data is release-escaped; UNT and UNZ
 * counts are computed from what is written.
 *
 * The order side comes as an `OrdrspOrder`, which `ordrspOrderFromDraft` recovers from a stored
 * OrderDraft made by this mapping (transport.edifact + line attributes), so a response can be built
 * long after intake.
 */
import type { OrderDraft } from '../../../core/model/order.ts';
import { Money, formatDecimal } from '../../common/money.ts';
import { DEFAULT_DELIMITERS, segmentWriter, type Delimiters } from './tokenizer.ts';
import type { PartyId } from './interchange.ts';

export interface OrdrspOrderLine {
  lineNo: string;
  /** Ordered quantity, decimal string with `.`. */
  quantity: string;
  unit?: string;
  /** Main item id as the order gave it in LIN (GTIN) and its type code. */
  itemId?: string;
  itemType?: string;
}

export interface OrdrspOrder {
  /** BGM document number of the order (→ RFF+ON). */
  documentNumber: string;
  /** YYYY-MM-DD (→ DTM+171 after RFF+ON). */
  documentDate?: string;
  /** The order's interchange sender and recipient; the response swaps them. */
  sender: PartyId;
  recipient: PartyId;
  syntaxId?: string;
  syntaxVersion?: string;
  buyer?: string;
  supplier?: string;
  delivery?: string;
  currency?: string;
  /** The ORDERS' UNH directory; the response is written in it. Default D.96A UN (EANCOM 1997). */
  directory?: { version: string; release: string; agency: string; associationCode?: string | undefined };
  lines: OrdrspOrderLine[];
}

export interface OrdrspLineResult {
  lineNo: string;
  status: 'accepted' | 'changed' | 'rejected';
  /** Required for `changed`: the quantity the supplier confirms. */
  quantity?: string;
}

/** ISO 9735 syntax identifiers (character repertoires); anything else the partner wrote is not echoed back. */
const KNOWN_SYNTAX_IDS = new Set(['UNOA', 'UNOB', 'UNOC', 'UNOD', 'UNOE', 'UNOF', 'UNOG', 'UNOH', 'UNOI', 'UNOJ', 'UNOK', 'UNOW', 'UNOX', 'UNOY']);

export interface OrdrspOptions {
  /** Interchange control reference of the response (UNB/UNZ). */
  controlRef: string;
  /** UNH message reference; default '1'. */
  messageRef?: string;
  /** BGM document number of the response; default = the order number. */
  responseNumber?: string;
  /** Preparation time; default now. */
  preparedAt?: Date;
  /** Per-line verdicts; lines not listed are accepted as received. */
  lines?: OrdrspLineResult[];
  /** Who answers (the channel's ourId / ourQualifier); default the order's recipient, as the partner wrote it. */
  sender?: { id: string; qualifier?: string | undefined } | undefined;
  delimiters?: Delimiters;
  /** Write the UNA service string advice; default true. */
  una?: boolean;
  /** Written after each terminator (e.g. '\n' for readability); default ''. */
  lineBreak?: string;
  /** UNH association assigned code; default the EANCOM ORDRSP code of the order's directory (see `ordrspDirectory`). */
  associationCode?: string;
}

export class OrdrspBuildError extends Error {}

/**
 * The EANCOM ORDRSP subset of each directory an EANCOM ORDERS comes in (EANCOM 1997 = D.96A, ORDRSP
 * EAN005; EANCOM 2002 = D.01B, ORDRSP EAN009). An ORDERS without an EAN association code is plain
 * UN/EDIFACT: its ORDRSP carries none either.
 */
const EANCOM_ORDRSP: Readonly<Record<string, string>> = { '96A': 'EAN005', '01B': 'EAN009' };

/** The UNH S009 of the response: the order's directory, or D.96A EANCOM when it is not known. */
export function ordrspDirectory(order: Pick<OrdrspOrder, 'directory'>): string[] {
  const dir = order.directory;
  if (!dir?.release) return ['ORDRSP', 'D', '96A', 'UN', 'EAN005'];
  const eancom = dir.associationCode?.startsWith('EAN') ? EANCOM_ORDRSP[dir.release] : undefined;
  return ['ORDRSP', dir.version || 'D', dir.release, dir.agency || 'UN', ...(eancom ? [eancom] : [])];
}

/**
 * Directories before D.99B define the measure unit qualifier (6411) as an..3; later ones an..8
 * (D.01B carries `GBND`, `PIECE` …). A longer unit in an older directory is made valid: a known
 * synonym becomes its UN/ECE Recommendation 20 code, anything else is left out (the quantity is then in
 * the trade item's own unit, which is what the order line's GTIN names).
 */
const SHORT_UNIT_RELEASES = new Set(['93A', '96A', '97A']);
const UNIT_SYNONYMS: Readonly<Record<string, string>> = { PIECE: 'PCE', PIECES: 'PCE', STUECK: 'PCE', STCK: 'PCE', EACH: 'EA', KILO: 'KGM', LITER: 'LTR', LITRE: 'LTR', METER: 'MTR', METRE: 'MTR' };

export function unitForDirectory(unit: string | undefined, release: string): string | undefined {
  if (!unit || !SHORT_UNIT_RELEASES.has(release) || unit.length <= 3) return unit;
  return UNIT_SYNONYMS[unit.toUpperCase()];
}

const ACTION: Record<OrdrspLineResult['status'], string> = { accepted: '5', changed: '3', rejected: '7' };

function compactDate(iso: string): string {
  return iso.replace(/-/g, '');
}

/** Builds the ORDRSP interchange text. Throws OrdrspBuildError for inconsistent input (unknown line, `changed` without quantity). */
export function buildOrdrsp(order: OrdrspOrder, options: OrdrspOptions): string {
  const d = options.delimiters ?? DEFAULT_DELIMITERS;
  const lineBreak = options.lineBreak ?? '';
  if (!options.controlRef) throw new OrdrspBuildError('controlRef is required');
  if (!order.sender.id || !order.recipient.id) throw new OrdrspBuildError('the order has no interchange sender/recipient to answer');
  const known = new Map(order.lines.map((l) => [l.lineNo, l]));
  const verdicts = new Map<string, OrdrspLineResult>();
  for (const result of options.lines ?? []) {
    if (!known.has(result.lineNo)) throw new OrdrspBuildError(`line ${result.lineNo} is not a line of order ${order.documentNumber}`);
    if (result.status === 'changed' && (result.quantity === undefined || !/^-?\d+(\.\d+)?$/.test(result.quantity))) {
      throw new OrdrspBuildError(`line ${result.lineNo} is changed but has no decimal quantity`);
    }
    verdicts.set(result.lineNo, result);
  }

  const num = (value: string): string => {
    const text = formatDecimal(new Money(value));
    return d.decimal === ',' ? text.replace('.', ',') : text;
  };
  const segment = segmentWriter(d, lineBreak);

  const at = options.preparedAt ?? new Date();
  const iso = at.toISOString();
  const version = order.syntaxVersion || '3';
  const date = version === '4' ? compactDate(iso.slice(0, 10)) : compactDate(iso.slice(2, 10));
  const time = iso.slice(11, 16).replace(':', '');
  const messageRef = options.messageRef ?? '1';

  const message: string[] = [];
  const directory = ordrspDirectory(order);
  if (options.associationCode) directory[4] = options.associationCode;
  const unitOf = (line: OrdrspOrderLine): string | undefined => unitForDirectory(line.unit, directory[2] as string);
  message.push(segment('UNH', messageRef, directory));
  const statuses = order.lines.map((l) => verdicts.get(l.lineNo)?.status ?? 'accepted');
  const bgmFunction = statuses.every((s) => s === 'accepted') ? '29' : statuses.every((s) => s === 'rejected') ? '27' : '4';
  message.push(segment('BGM', '231', options.responseNumber ?? order.documentNumber, bgmFunction));
  message.push(segment('DTM', ['137', compactDate(iso.slice(0, 10)) + time, '203']));
  message.push(segment('RFF', ['ON', order.documentNumber]));
  if (order.documentDate) message.push(segment('DTM', ['171', compactDate(order.documentDate), '102']));
  if (order.buyer) message.push(segment('NAD', 'BY', [order.buyer, '', '9']));
  if (order.supplier) message.push(segment('NAD', 'SU', [order.supplier, '', '9']));
  if (order.delivery) message.push(segment('NAD', 'DP', [order.delivery, '', '9']));
  if (order.currency) message.push(segment('CUX', ['2', order.currency, '9']));
  for (const line of order.lines) {
    const verdict = verdicts.get(line.lineNo);
    const status = verdict?.status ?? 'accepted';
    message.push(segment('LIN', line.lineNo, ACTION[status], line.itemId ? [line.itemId, line.itemType] : undefined));
    if (status === 'accepted') message.push(segment('QTY', ['21', num(line.quantity), unitOf(line)]));
    if (status === 'changed') message.push(segment('QTY', ['21', num(verdict?.quantity ?? line.quantity), unitOf(line)]));
  }
  message.push(segment('UNS', 'S'));
  message.push(segment('CNT', ['2', String(order.lines.length)]));
  message.push(segment('UNT', String(message.length + 1), messageRef));

  const out: string[] = [];
  if (options.una ?? true) out.push(`UNA${d.component}${d.element}${d.decimal}${d.release || ' '}${d.repetition || ' '}${d.segment}${lineBreak}`);
  out.push(
    segment(
      'UNB',
      [KNOWN_SYNTAX_IDS.has(order.syntaxId ?? '') ? order.syntaxId : 'UNOC', version],
      options.sender ? [options.sender.id, options.sender.qualifier] : [order.recipient.id, order.recipient.qualifier],
      [order.sender.id, order.sender.qualifier],
      [date, time],
      options.controlRef,
    ),
  );
  out.push(...message);
  out.push(segment('UNZ', '1', options.controlRef));
  return out.join('');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Recovers what an ORDRSP needs from a draft made by the EDIFACT mapping; undefined if it is not one. */
export function ordrspOrderFromDraft(draft: OrderDraft): OrdrspOrder | undefined {
  const edifact = record(draft.transport?.edifact);
  const interchange = record(edifact.interchange);
  const unh = record(edifact.message);
  const document = record(edifact.document);
  const parties = record(edifact.parties);
  const sender = record(interchange.sender);
  const recipient = record(interchange.recipient);
  const documentNumber = text(document.number);
  const senderId = text(sender.id);
  const recipientId = text(recipient.id);
  if (!documentNumber || !senderId || !recipientId) return undefined;
  const partyId = (q: string): string | undefined => text(record(parties[q]).id);
  const dates = Array.isArray(edifact.dates) ? (edifact.dates as Array<Record<string, unknown>>) : [];
  const documentDate = text(dates.find((x) => x.qualifier === '137')?.date);
  const order: OrdrspOrder = {
    documentNumber,
    sender: { id: senderId, ...(text(sender.qualifier) ? { qualifier: text(sender.qualifier) } : {}) },
    recipient: { id: recipientId, ...(text(recipient.qualifier) ? { qualifier: text(recipient.qualifier) } : {}) },
    currency: draft.currency,
    lines: draft.lines
      .filter((l) => l.kind === 'product')
      .map((l) => {
        const a = l.attributes;
        const ids = Array.isArray(a.itemIds) ? (a.itemIds as Array<Record<string, unknown>>) : [];
        const main = ids.find((i) => i.source === 'LIN');
        const line: OrdrspOrderLine = { lineNo: text(a.lineNo) ?? l.externalId ?? '', quantity: l.quantity };
        if (text(a.unit)) line.unit = text(a.unit);
        if (main && text(main.id)) {
          line.itemId = text(main.id);
          line.itemType = text(main.type);
        }
        return line;
      }),
  };
  if (documentDate) order.documentDate = documentDate;
  const release = text(unh.release);
  if (release) order.directory = { version: text(unh.version) ?? 'D', release, agency: text(unh.agency) ?? 'UN', associationCode: text(unh.associationCode) };
  if (text(interchange.syntaxId)) order.syntaxId = text(interchange.syntaxId);
  if (text(interchange.syntaxVersion)) order.syntaxVersion = text(interchange.syntaxVersion);
  const buyer = partyId('BY');
  if (buyer) order.buyer = buyer;
  const supplier = partyId('SU') ?? partyId('SE');
  if (supplier) order.supplier = supplier;
  const delivery = partyId('DP');
  if (delivery) order.delivery = delivery;
  return order;
}
