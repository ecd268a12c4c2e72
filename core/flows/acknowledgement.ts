import type { Database } from '../db/database.ts';
import { HubError } from '../errors.ts';
import type { OrderDraft } from '../model/order.ts';
import { isClosedStatus } from '../orders/order-status.ts';
import { isTextEncoding } from '../../lib/text-bytes.ts';
import { notTextError, storedBodySize, storedText, storedTextHead } from '../orders/raw-archive-text.ts';
import { findOutboundDocument, nextControlNumber, recordOutboundDocument } from '../outbound/outbound-documents.ts';
import type { StockCheckView } from '../stock/stock-service.ts';
import { StepWaits, type StepResult } from './order-steps.ts';

/**
 * The channel's acknowledgement of an order it sent (EDIFACT ORDRSP, X12 855): what to answer is
 * the hub's rule and lives here (line by line from the stock check, every line rejected when the
 * order is closed, unknown SKUs rejected alone or mixed, everything accepted only when the hub keeps
 * no catalogue at all); how the answer
 * is written in the channel's format is a port (AcknowledgementFormat) the composition root passes,
 * as it passes the mappings, so core never imports a mapping or a connector.
 */

export interface LineAnswer {
  /** The partner's line number (EDI lines keep it as their external id). */
  lineNo: string;
  status: 'accepted' | 'changed' | 'rejected';
  /** For a changed line: what is promised. */
  quantity?: string;
}

export interface AcknowledgementDocument {
  kind: string;
  reference: string;
  fileName: string;
  contentType: string;
  body: string;
}

export interface AcknowledgementFormat {
  /** The kind of document a payload of this channel is answered with; undefined when it gets none. */
  kindOf(payloadBody: string): string | undefined;
  /** The answer to one order; `lines` undefined means every line is accepted as received. Undefined when it cannot be written. */
  render(input: { payloadBody: string; draft: OrderDraft; reference: string; lines: LineAnswer[] | undefined; channelConfig: unknown }): AcknowledgementDocument | undefined;
  /**
   * Whether answers to this payload need only its head (the envelope: syntax, parties), the draft
   * carrying the rest; then a large payload is not read whole again for each order's answer.
   */
  answersFromHead?(head: string): boolean;
  /** Hands a newly recorded answer over beside the outbox (e.g. a file in the channel's outbox directory). */
  deliver?(channelConfig: unknown, document: AcknowledgementDocument): Promise<void>;
  /**
   * The kind of syntax-level report (EDIFACT CONTRL, X12 997) a payload of this channel may get; undefined
   * when the channel asks for none. `syntaxReport` writes it, undefined when nothing is to be reported.
   */
  syntaxReportKind?(payloadBody: string, channelConfig: unknown): string | undefined;
  syntaxReport?(input: { payloadBody: string; reference: string; channelConfig: unknown; duplicateInterchanges: string[] }): AcknowledgementDocument | undefined;
}

/** Finds how a connector's channels are answered; undefined for channels that get no acknowledgement. */
export type AcknowledgementLookup = (connectorType: string) => AcknowledgementFormat | undefined;

/**
 * Per line from the stock check: confirmed → accepted, partly available → changed to what is
 * reserved, not available → rejected. Without a check (products the hub does not stock) every line
 * is accepted as received (undefined). An order whose check waits in the manual review is answered
 * after the review (see answersFor): confirm_partially and wait_for_supply answer what stays
 * reserved, reject answers every line rejected.
 */
export function lineAnswers(draft: OrderDraft, check: Pick<StockCheckView, 'lines'> | undefined): LineAnswer[] | undefined {
  if (!check) return undefined;
  const answers: LineAnswer[] = [];
  for (const verdict of check.lines) {
    const lineNo = draft.lines[verdict.position - 1]?.externalId;
    if (!lineNo) continue;
    if (verdict.status === 'confirmed') answers.push({ lineNo, status: 'accepted' });
    else if (verdict.status === 'partial') answers.push({ lineNo, status: 'changed', quantity: verdict.allocated });
    else answers.push({ lineNo, status: 'rejected' });
  }
  return answers;
}

export interface AcknowledgementInput {
  payloadId: string;
  orderId: string;
  version: number;
  draft: OrderDraft;
  /** The check made by this intake, when there was one (otherwise the stored check of the version is used). */
  check?: StockCheckView | undefined;
  /** The payload already in hand (its text and channel), so a file of thousands of orders is not loaded again per order. */
  payload?: AcknowledgedPayload | undefined;
}

export interface AcknowledgedPayload {
  body: string;
  channelId: string;
  channel: { config: unknown };
}

/**
 * The payload an answer is built from, its body as text (a body that is not text is answered with
 * nothing): its head when the format answers from the envelope alone (a 100 MB interchange is not
 * read again per order), else the whole body.
 */
async function loadAnsweredPayload(db: Database, format: AcknowledgementFormat, payloadId: string): Promise<{ ok: true; payload: AcknowledgedPayload } | { ok: false; error: string }> {
  const row = await db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { encoding: true, source: true, channelId: true, channel: { select: { config: true } } } });
  if (!isTextEncoding(row.encoding)) return { ok: false, error: notTextError(row, await storedBodySize(db, payloadId)) };
  const head = await storedTextHead(db, payloadId, row.encoding);
  if (format.answersFromHead?.(head)) return { ok: true, payload: { body: head, channelId: row.channelId, channel: row.channel } };
  return { ok: true, payload: { body: await storedText(db, payloadId, row.encoding), channelId: row.channelId, channel: row.channel } };
}

/**
 * Answers one order version of one payload, once per (payload, order, version): reading the same
 * interchange again records nothing new, while the same order resent in a new interchange gets its
 * own answer. Control numbers come from a sequence.
 */
export async function acknowledgeOrder(db: Database, format: AcknowledgementFormat, input: AcknowledgementInput): Promise<StepResult> {
  const loaded = input.payload ? { ok: true as const, payload: input.payload } : await loadAnsweredPayload(db, format, input.payloadId);
  if (!loaded.ok) return { outcome: 'skipped', detail: { reason: loaded.error } };
  const payload = loaded.payload;
  const kind = format.kindOf(payload.body);
  if (!kind) return { outcome: 'skipped', detail: { reason: 'this payload is answered with no document' } };
  const dedupKey = `${input.payloadId}|${input.orderId}|${input.version}`;
  const existing = await findOutboundDocument(db, { channelId: payload.channelId, kind, dedupKey });
  if (existing) return { outcome: 'done', detail: { documentId: existing.id, kind, alreadyAnswered: true } };
  const superseded = await supersededInReview(db, input);
  if (superseded) return { outcome: 'skipped', detail: { kind, reason: superseded } };
  const lines = await answersFor(db, input);
  const reference = await nextControlNumber(db);
  const document = format.render({ payloadBody: payload.body, draft: input.draft, reference, lines, channelConfig: payload.channel.config });
  if (!document) return { outcome: 'skipped', detail: { kind, reason: 'the order cannot be answered in this format' } };
  const recorded = await recordOutboundDocument(db, { channelId: payload.channelId, orderId: input.orderId, rawPayloadId: input.payloadId, dedupKey, ...document });
  if (recorded.created) await format.deliver?.(payload.channel.config, document);
  return { outcome: 'done', detail: { documentId: recorded.id, kind, reference, lines: lines ?? 'all accepted' } };
}

/**
 * A version whose answer waited for the stock review and was replaced by a newer version meanwhile
 * (the hub closed its review as superseded) is not answered: its answer would arrive after, or
 * instead of, the newer version's.
 */
async function supersededInReview(db: Database, input: AcknowledgementInput): Promise<string | undefined> {
  const check = await db.prisma.stockCheck.findUnique({ where: { orderId_orderVersion: { orderId: input.orderId, orderVersion: input.version } }, select: { resolvedBy: true, note: true } });
  if (check?.resolvedBy !== 'hub' || !check.note?.startsWith('superseded')) return undefined;
  return `version ${input.version} waited in the stock review and was ${check.note}: the newer version is answered`;
}

async function answersFor(db: Database, input: AcknowledgementInput): Promise<LineAnswer[] | undefined> {
  const order = await db.prisma.order.findUnique({ where: { id: input.orderId }, select: { status: true } });
  if (order && isClosedStatus(order.status)) {
    return input.draft.lines.flatMap((l) => (l.kind === 'product' && l.externalId ? [{ lineNo: l.externalId, status: 'rejected' as const }] : []));
  }
  // The stored check, not the one this intake made: a review may have decided since.
  const check = (await db.prisma.stockCheck.findUnique({ where: { orderId_orderVersion: { orderId: input.orderId, orderVersion: input.version } } })) ?? input.check;
  if (!check) return answersWithoutCheck(db, input.draft);
  const lines = check.lines as unknown as StockCheckView['lines'];
  if (check.reviewStatus === 'open' && lines.some(mayChangeOnReview)) {
    throw new StepWaits('the order waits in the manual stock review: it is answered once the review decides (no answer promises more than the check)');
  }
  if (check.resolution === 'reject') return lineAnswers(input.draft, { lines: lines.map((l) => ({ ...l, status: 'unavailable' as const, allocated: '0' })) });
  return lineAnswers(input.draft, { lines });
}

/**
 * A line the manual review may still change: partly reserved, or missing for a product the hub
 * knows (supply may come). A line whose SKU the catalogue does not know is rejected whatever the
 * review says, as it would be alone; a confirmed line stands unless the review rejects the order.
 */
function mayChangeOnReview(line: StockCheckView['lines'][number]): boolean {
  return line.status === 'partial' || (line.status === 'unavailable' && line.productId !== null);
}

/**
 * No stock check for the version. When the hub keeps no catalogue at all it manages no stock and
 * every line is accepted as received. Otherwise the answer never promises more than a check would:
 * a line whose SKU the catalogue does not know is rejected — as it is in an order that mixes known
 * and unknown SKUs (the check rejects it there) — and an order with known SKUs but no check yet
 * (its stock step failed or has not run) is not answered now: the step fails and is retried.
 */
async function answersWithoutCheck(db: Database, draft: OrderDraft): Promise<LineAnswer[] | undefined> {
  if ((await db.prisma.product.count({ take: 1 })) === 0) return undefined;
  const products = draft.lines.filter((l) => l.kind === 'product' && l.externalId);
  const skus = [...new Set(products.flatMap((l) => (l.sku ? [l.sku] : [])))];
  const known = new Set(skus.length > 0 ? (await db.prisma.product.findMany({ where: { sku: { in: skus } }, select: { sku: true } })).map((p) => p.sku) : []);
  if (known.size > 0) throw new HubError('conflict', 'the order has no stock check yet: it is answered once its stock is checked (no answer promises more than the check)');
  return products.map((l) => ({ lineNo: l.externalId!, status: 'rejected' as const }));
}

/**
 * The syntax-level report on a whole payload (EDIFACT CONTRL, X12 997), once per payload: it is owed
 * whether or not the payload made orders — a rejected interchange has none, and that is when the
 * partner most needs to hear. Reading the payload again records nothing new.
 */
export async function reportPayloadSyntax(
  db: Database,
  format: AcknowledgementFormat,
  payloadId: string,
  /** Interchange control numbers (as compared: no leading zeros) for which the payload was refused as a duplicate. */
  refused: { duplicateInterchanges: string[] } = { duplicateInterchanges: [] },
): Promise<{ documentId: string; kind: string; created: boolean } | undefined> {
  if (!format.syntaxReportKind || !format.syntaxReport) return undefined;
  const payload = await db.prisma.rawPayload.findUniqueOrThrow({ where: { id: payloadId }, select: { encoding: true, channelId: true, channel: { select: { config: true } } } });
  // A body that is not text (gzip, binary) has no syntax to report on.
  if (!isTextEncoding(payload.encoding)) return undefined;
  // Whether one is owed shows from the head: the whole body is read only when a report is written.
  const kind = format.syntaxReportKind(await storedTextHead(db, payloadId, payload.encoding), payload.channel.config);
  if (!kind) return undefined;
  const dedupKey = `${payloadId}|syntax`;
  const existing = await findOutboundDocument(db, { channelId: payload.channelId, kind, dedupKey });
  if (existing) return { documentId: existing.id, kind, created: false };
  const reference = await nextControlNumber(db);
  const document = format.syntaxReport({ payloadBody: await storedText(db, payloadId, payload.encoding), reference, channelConfig: payload.channel.config, duplicateInterchanges: refused.duplicateInterchanges });
  if (!document) return undefined;
  const recorded = await recordOutboundDocument(db, { channelId: payload.channelId, rawPayloadId: payloadId, dedupKey, ...document });
  if (recorded.created) await format.deliver?.(payload.channel.config, document);
  return { documentId: recorded.id, kind, created: recorded.created };
}
