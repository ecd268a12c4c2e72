import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdiConfig } from '../../connectors/edi/index.ts';
import type { OrderDraft } from '../../core/model/order.ts';
import { findOutboundDocument, nextControlNumber, recordOutboundDocument } from '../../core/outbound/outbound-documents.ts';
import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import type { StockCheckView } from '../../core/stock/stock-service.ts';
import { buildOrdrsp, ordrspOrderFromDraft } from '../../mappings/edi/edifact/index.ts';
import { ediSyntaxOf } from '../../mappings/edi/index.ts';
import { build855, parse850, parseX12, type X12PurchaseOrder } from '../../mappings/edi/x12/index.ts';
import { silentLogger, type ProcessorContext } from '../runtime/types.ts';

/**
 * Answers every order an EDI interchange brought with an acknowledgement: EDIFACT ORDRSP or X12
 * 855, stored in the channel's outbox (and written to its outbox directory when one is set).
 * Lines are answered from the order's stock check. An answer is recorded once per (payload,
 * order, version): reading the same interchange again records nothing new, while the same order
 * resent in a new interchange gets its own answer. Control numbers come from a sequence.
 */
export async function acknowledgeEdiPayload(ctx: ProcessorContext, outcome: PayloadOutcome, checks: Map<string, StockCheckView> = new Map()): Promise<string[]> {
  const { db } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const payload = await db.prisma.rawPayload.findUnique({ where: { id: outcome.payloadId }, include: { channel: true } });
  if (!payload || payload.channel.connectorType !== 'edi') return [];
  const config = payload.channel.config as EdiConfig;
  const syntax = ediSyntaxOf(payload.body);
  // A stale copy (an older interchange arriving late) is not what the order is now: no answer.
  const answered = outcome.results.filter((r) => r.orderId && r.outcome !== 'rejected' && r.outcome !== 'stale');
  const purchaseOrders = syntax === 'x12' ? readPurchaseOrders(payload.body) : [];
  const documents: string[] = [];
  for (const result of answered) {
    const draft = outcome.drafts.find((d) => d.externalId === result.externalId);
    if (!draft) continue;
    const kind = syntax === 'edifact' ? 'edifact-ordrsp' : 'x12-855';
    const dedupKey = `${payload.id}|${result.orderId}|${result.version}`;
    try {
      const existing = await findOutboundDocument(db, { channelId: payload.channelId, kind, dedupKey });
      if (existing) {
        documents.push(existing.id);
        continue;
      }
      const lines = await lineResultsFor(ctx, result.orderId!, result.version!, draft, checks);
      const reference = await nextControlNumber(db);
      const document = syntax === 'edifact' ? ordrspFor(draft, reference, lines) : syntax === 'x12' ? ackFor855(draft, purchaseOrders, reference, lines) : undefined;
      if (!document) continue;
      const recorded = await recordOutboundDocument(db, { channelId: payload.channelId, orderId: result.orderId, rawPayloadId: payload.id, dedupKey, ...document });
      documents.push(recorded.id);
      if (recorded.created && config.outboxDir) {
        await mkdir(config.outboxDir, { recursive: true });
        await writeFile(join(config.outboxDir, document.fileName), document.body, 'utf8');
      }
    } catch (error) {
      // An answer we cannot build must not undo the order: it is logged for ops and the order stands.
      logger.error({ channelId: payload.channelId, payloadId: payload.id, order: result.externalId, err: error }, 'could not build the EDI acknowledgement');
    }
  }
  return documents;
}

/**
 * The line answers of one order version: from its stock check (made now, or stored when the same
 * order was resent), every line rejected when the order is cancelled, and accepted as received
 * when the hub does not stock its products (no check).
 */
async function lineResultsFor(ctx: ProcessorContext, orderId: string, version: number, draft: OrderDraft, checks: Map<string, StockCheckView>): Promise<LineResult[] | undefined> {
  const order = await ctx.db.prisma.order.findUnique({ where: { id: orderId }, select: { status: true } });
  if (order && ['cancelled', 'refunded', 'failed'].includes(order.status)) {
    return draft.lines.flatMap((l) => (l.kind === 'product' && l.externalId ? [{ lineNo: l.externalId, status: 'rejected' as const }] : []));
  }
  const check = checks.get(orderId) ?? (await ctx.db.prisma.stockCheck.findUnique({ where: { orderId_orderVersion: { orderId, orderVersion: version } } }));
  return lineResults(draft, check ? { lines: check.lines as unknown as StockCheckView['lines'] } : undefined);
}

interface Document {
  kind: string;
  reference: string;
  fileName: string;
  contentType: string;
  body: string;
}

type LineResult = { lineNo: string; status: 'accepted' | 'changed' | 'rejected'; quantity?: string };

/**
 * Per line from the stock check: confirmed → accepted, partly available → changed to what is
 * reserved, not available → rejected. Without a check (products the hub does not stock) every line
 * is accepted as received. EDI lines keep the partner's line number as their external id.
 */
function lineResults(draft: OrderDraft, check: Pick<StockCheckView, 'lines'> | undefined): LineResult[] | undefined {
  if (!check) return undefined;
  const results: LineResult[] = [];
  for (const verdict of check.lines) {
    const lineNo = draft.lines[verdict.position - 1]?.externalId;
    if (!lineNo) continue;
    if (verdict.status === 'confirmed') results.push({ lineNo, status: 'accepted' });
    else if (verdict.status === 'partial') results.push({ lineNo, status: 'changed', quantity: verdict.allocated });
    else results.push({ lineNo, status: 'rejected' });
  }
  return results;
}

function ordrspFor(draft: OrderDraft, reference: string, lines: LineResult[] | undefined): Document | undefined {
  const order = ordrspOrderFromDraft(draft);
  if (!order) return undefined;
  return {
    kind: 'edifact-ordrsp',
    reference,
    fileName: `ORDRSP-${safe(draft.number ?? draft.externalId)}-${reference}.edi`,
    contentType: 'application/edifact; charset=utf-8',
    body: buildOrdrsp(order, { controlRef: reference, ...(lines && { lines }) }),
  };
}

function ackFor855(draft: OrderDraft, orders: X12PurchaseOrder[], reference: string, lines: LineResult[] | undefined): Document | undefined {
  const po = orders.find((o) => `${o.interchange.senderId}:${o.poNumber}` === draft.externalId);
  if (!po) return undefined;
  return {
    kind: 'x12-855',
    reference,
    fileName: `855-${safe(po.poNumber)}-${reference}.x12`,
    contentType: 'application/edi-x12; charset=utf-8',
    body: build855(po, { controlNumbers: { interchange: reference, group: reference, transactionSet: '0001' }, segmentSuffix: '\n', ...(lines && { lines }) }),
  };
}

function readPurchaseOrders(body: string): X12PurchaseOrder[] {
  const orders: X12PurchaseOrder[] = [];
  for (const set of parseX12(body).transactionSets) {
    const parsed = parse850(set);
    if (parsed.ok) orders.push(parsed.order);
  }
  return orders;
}


function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
}
