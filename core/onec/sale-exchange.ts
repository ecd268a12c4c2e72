import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Database } from '../db/database.ts';
import type { OrderLifecycle } from '../flows/order-lifecycle.ts';
import type { CommerceMlChunk, CommerceMlOrderDocument, OrderForOneC } from '../model/commerceml.ts';
import type { OnecExchangeSettings } from '../model/onec-exchange.ts';
import { isOrderStatus, type OrderStatus } from '../orders/order-status.ts';
import type { ExchangeSession, ExchangeStore } from './exchange-store.ts';
import type { CatalogueImportContext, ImportCounts, OnecExchangePorts } from './ports.ts';

/**
 * The sale side of the exchange: which orders go to 1C (sale&mode=query), which 1C confirmed
 * (mode=success: only those of that session's answer, at the version sent), and what 1C says back
 * about them (mode=file + mode=import): its number and date, posted and deletion flags, its status
 * (through the configured status map and the order lifecycle), payments and shipments.
 */

/** Most orders one query answer holds; the rest go in the next exchange. */
const QUERY_LIMIT = 500;

/** ХозОперация of documents 1C sends against orders. */
export function documentKind(operation: string | undefined): 'order' | 'payment' | 'shipment' | 'other' {
  const op = (operation ?? '').trim().toLowerCase();
  if (op === '' || op === 'заказ товара') return 'order';
  if (op.startsWith('выплата') || op.includes('оплата') || op.startsWith('поступление')) return 'payment';
  if (op.startsWith('отпуск товара') || op.startsWith('реализация')) return 'shipment';
  return 'other';
}

/** A stored decimal as 1C reads it best: "15000", "2.5", not the column's "15000.000000". */
const plain = (value: string): string => new Decimal(value).toFixed();

function requisite(document: CommerceMlOrderDocument, ...names: string[]): string | undefined {
  const wanted = names.map((n) => n.toLowerCase());
  return document.requisites.find((r) => wanted.includes(r.name.trim().toLowerCase()))?.value.trim();
}

function yes(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(true|да|1|yes)$/i.test(value.trim());
}

export class SaleExchange {
  constructor(
    private readonly db: Database,
    private readonly ports: OnecExchangePorts,
    private readonly lifecycle: OrderLifecycle,
    private readonly store: ExchangeStore,
    private readonly settingsOf: () => Promise<{ settings: OnecExchangeSettings }>,
  ) {}

  /** The orders that should go to 1C and that 1C has not confirmed at their current version. */
  async query(session: ExchangeSession, settings: OnecExchangeSettings): Promise<Buffer> {
    const selection =
      settings.ordersTo1c === 'dealer_purchases' ? `AND o.source->>'dealerCode' IS NOT NULL` : settings.ordersTo1c === 'channel_orders' ? `AND o.source->>'dealerCode' IS NULL` : '';
    const orders = await this.db.query<{
      id: string; version: number; number: string | null; external_id: string; placed_at: Date; currency: string; total: string; status: string; customer: Record<string, unknown>; notes: string | null; source: Record<string, unknown>;
    }>(
      `SELECT o.id, o.version, o.number, o.external_id, o.placed_at, o.currency, o.total::text, o.status, o.customer, o.notes, o.source
         FROM "order" o JOIN channel c ON c.id = o.channel_id LEFT JOIN onec_order_link l ON l.order_id = o.id
        WHERE c.connector_type <> 'onec-exchange' AND o.status <> 'draft'
          AND (l.exported_version IS NULL OR l.exported_version < o.version) ${selection}
        ORDER BY o.placed_at, o.id LIMIT ${QUERY_LIMIT}`,
    );
    const ids = orders.map((o) => o.id);
    // Each line as 1C knows the item: its 1C Ид (the offer's for a variant), article and unit, from the catalogue.
    const lines = orders.length
      ? await this.db.query<{ order_id: string; position: number; kind: string; external_id: string | null; sku: string | null; name: string; quantity: string; unit_price: string; total: string; item_id: string | null; article: string | null; unit: string | null; unit_code: string | null }>(
          `SELECT l.order_id, l.position, l.kind, l.external_id, l.sku, l.name, l.quantity::text, l.unit_price::text, l.total::text,
                  p.external_id AS item_id, p.article, p.unit, p.unit_code
             FROM order_line l LEFT JOIN product p ON p.sku = l.sku
            WHERE l.order_id = ANY($1::text[]) ORDER BY l.order_id, l.position`,
          [ids],
        )
      : [];
    // A dealer's purchase names the dealer as 1C has it: code, name and tax id (ИНН), which 1C matches its counterparty by.
    const dealerCodes = [...new Set(orders.flatMap((o) => (typeof o.source?.dealerCode === 'string' ? [o.source.dealerCode] : [])))];
    const dealers = new Map(
      (dealerCodes.length
        ? await this.db.query<{ code: string; name: string; tax_id: string | null }>(`SELECT code, name, tax_id FROM dealer WHERE code = ANY($1::text[])`, [dealerCodes])
        : []
      ).map((d) => [d.code, d]),
    );
    const documents: OrderForOneC[] = orders.map((o) => {
      const placed = new Date(o.placed_at).toISOString();
      const dealerCode = typeof o.source?.dealerCode === 'string' ? o.source.dealerCode : undefined;
      const dealer = dealerCode ? dealers.get(dealerCode) : undefined;
      const text = (key: string) => (typeof o.customer?.[key] === 'string' && (o.customer[key] as string).trim()) || undefined;
      const buyer: OrderForOneC['buyer'] = dealerCode
        ? { code: dealerCode, name: dealer?.name ?? dealerCode, ...(dealer?.tax_id && { taxId: dealer.tax_id }) }
        : { name: text('company') ?? text('name') ?? text('email') ?? o.external_id, ...(text('taxNumber') && { taxId: text('taxNumber')! }) };
      return {
        id: o.id,
        number: o.number ?? o.external_id,
        date: placed.slice(0, 10),
        time: placed.slice(11, 19),
        currency: o.currency,
        amount: plain(o.total),
        buyer,
        lines: lines
          .filter((l) => l.order_id === o.id)
          .map((l) => ({
            // Bitrix names a delivery line ORDER_DELIVERY, which 1C's exchange module takes as the delivery service.
            id: l.item_id ?? l.sku ?? l.external_id ?? (l.kind === 'shipping' ? 'ORDER_DELIVERY' : `${o.id}-${l.position}`),
            name: l.name,
            ...(l.article && { article: l.article }),
            ...(l.item_id && (l.unit || l.unit_code) && { unit: { ...(l.unit_code && { code: l.unit_code }), ...(l.unit && { name: l.unit }) } }),
            unitPrice: plain(l.unit_price),
            quantity: plain(l.quantity),
            amount: plain(l.total),
          })),
        ...(o.notes && { comment: o.notes }),
        requisites: [{ name: 'Статус заказа', value: o.status }],
      };
    });
    // The answer's set is recorded before it is sent: mode=success confirms exactly these versions.
    for (const o of orders) {
      await this.db.query(
        `INSERT INTO onec_exchange_export (session_id, order_id, version) VALUES ($1, $2, $3) ON CONFLICT (session_id, order_id) DO UPDATE SET version = EXCLUDED.version`,
        [session.id, o.id, o.version],
      );
    }
    await this.store.addCounts(session.id, { ordersSent: orders.length });
    return this.ports.writer.write(documents, { profile: settings.profile, encoding: settings.encoding });
  }

  /** mode=success: the session's orders are exported at the version each was sent with. */
  async confirm(session: ExchangeSession): Promise<number> {
    const rows = await this.db.query(
      `INSERT INTO onec_order_link (order_id, exported_version, exported_at, updated_at)
       SELECT e.order_id, e.version, now(), now() FROM onec_exchange_export e JOIN "order" o ON o.id = e.order_id WHERE e.session_id = $1
       ON CONFLICT (order_id) DO UPDATE SET exported_version = greatest(coalesce(onec_order_link.exported_version, 0), EXCLUDED.exported_version),
         exported_at = EXCLUDED.exported_at, updated_at = EXCLUDED.updated_at
       RETURNING order_id`,
      [session.id],
    );
    await this.store.addCounts(session.id, { ordersConfirmed: rows.length });
    return rows.length;
  }

  /** One chunk of a document 1C sent back. */
  async apply(chunk: CommerceMlChunk, context: CatalogueImportContext): Promise<ImportCounts> {
    if (chunk.kind !== 'documents') return {};
    const counts: ImportCounts = {};
    const bump = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
    const { settings } = await this.settingsOf();
    for (const problem of chunk.problems) {
      bump('problems');
      await this.problem(context, `${problem.ref}: ${problem.message}`);
    }
    for (const document of chunk.documents) {
      const kind = documentKind(document.operation);
      if (kind === 'order') {
        const orderId = await this.findOrder(document.id, document.number);
        if (!orderId) {
          bump('unknownOrders');
          await this.problem(context, `document ${document.id} (${document.number ?? 'no number'}): no hub order has this Ид or number; orders made in 1C are not taken in yet`);
          continue;
        }
        await this.applyOrderChange(orderId, document, settings.statusMap, context, bump);
        bump('ordersUpdated');
      } else if (kind === 'payment' || kind === 'shipment') {
        const orderId = await this.findOrder(document.basis, document.basis);
        if (!orderId) {
          bump('unknownOrders');
          await this.problem(context, `${document.operation} ${document.number ?? document.id}: its Основание "${document.basis ?? ''}" names no hub order`);
          continue;
        }
        const deleted = yes(requisite(document, 'ПометкаУдаления')) ?? false;
        await this.db.query(
          `INSERT INTO order_settlement_document (id, order_id, kind, external_id, number, date, operation, amount, currency, posted, deleted, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, now(), now())
           ON CONFLICT (order_id, kind, external_id) DO UPDATE SET number = EXCLUDED.number, date = EXCLUDED.date, operation = EXCLUDED.operation,
             amount = EXCLUDED.amount, currency = EXCLUDED.currency, posted = EXCLUDED.posted, deleted = EXCLUDED.deleted, updated_at = now()`,
          [randomUUID(), orderId, kind, document.id, document.number ?? null, document.date ?? null, document.operation ?? null, document.amount ?? '0', document.currency ?? null, yes(requisite(document, 'Проведен')) ?? null, deleted],
        );
        bump(kind === 'payment' ? 'payments' : 'shipments');
      } else {
        bump('skipped');
      }
    }
    return counts;
  }

  private async applyOrderChange(orderId: string, document: CommerceMlOrderDocument, statusMap: Record<string, OrderStatus>, context: CatalogueImportContext, bump: (k: string) => void): Promise<void> {
    const number1c = requisite(document, 'Номер по 1С', 'Номер по 1C');
    const date1c = requisite(document, 'Дата по 1С', 'Дата по 1C');
    const posted = yes(requisite(document, 'Проведен'));
    const deletionMark = yes(requisite(document, 'ПометкаУдаления'));
    const cancelled = yes(requisite(document, 'Отменен'));
    const status1c = requisite(document, 'Статус заказа');
    const statusId = requisite(document, 'Статуса заказа ИД', 'Статус заказа ИД');
    await this.db.query(
      `INSERT INTO onec_order_link (order_id, number_1c, date_1c, posted, deletion_mark, status_1c, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (order_id) DO UPDATE SET number_1c = coalesce(EXCLUDED.number_1c, onec_order_link.number_1c), date_1c = coalesce(EXCLUDED.date_1c, onec_order_link.date_1c),
         posted = coalesce(EXCLUDED.posted, onec_order_link.posted), deletion_mark = coalesce(EXCLUDED.deletion_mark, onec_order_link.deletion_mark),
         status_1c = coalesce(EXCLUDED.status_1c, onec_order_link.status_1c), updated_at = now()`,
      [orderId, number1c ?? null, date1c ?? null, posted ?? null, deletionMark ?? null, status1c ?? statusId ?? null],
    );
    let to: OrderStatus | undefined;
    if (deletionMark || cancelled) to = 'cancelled';
    else {
      const mapped = (status1c !== undefined ? statusMap[status1c] : undefined) ?? (statusId !== undefined ? statusMap[statusId] : undefined);
      if (mapped && isOrderStatus(mapped)) to = mapped;
      else if (status1c !== undefined || statusId !== undefined) {
        bump('unmappedStatuses');
        await this.problem(context, `order ${document.number ?? document.id}: 1C status "${status1c ?? statusId}" is not in the 1C channel's statusMap; the order's status stays`);
      }
    }
    if (!to) return;
    const cause = `1C (exchange ${context.sessionId}) says order ${document.number ?? orderId} is ${deletionMark ? 'marked for deletion' : cancelled ? 'cancelled' : `"${status1c ?? statusId}"`}`;
    const outcome = await this.lifecycle.changeFromAccounting(orderId, to, `1c:${context.fileId}:${to}`, cause);
    bump(outcome.changed ? 'statusChanges' : 'statusRefused');
    if (!outcome.changed && outcome.reason && !outcome.reason.startsWith('the order is already')) await this.problem(context, `order ${document.number ?? orderId}: ${outcome.reason}`);
  }

  /** A hub order by the Ид the hub sent (its id), else by the hub's number, else by 1C's number. */
  private async findOrder(id: string | undefined, number: string | undefined): Promise<string | undefined> {
    if (id) {
      const [byId] = await this.db.query<{ id: string }>(`SELECT id FROM "order" WHERE id = $1`, [id.trim()]);
      if (byId) return byId.id;
    }
    if (number) {
      const [byNumber] = await this.db.query<{ id: string }>(
        `SELECT o.id FROM "order" o LEFT JOIN onec_order_link l ON l.order_id = o.id WHERE o.number = $1 OR l.number_1c = $1 ORDER BY o.placed_at DESC LIMIT 1`,
        [number.trim()],
      );
      if (byNumber) return byNumber.id;
    }
    return undefined;
  }

  private async problem(context: CatalogueImportContext, message: string): Promise<void> {
    await this.store.addProblems(context.fileId, [message]);
  }
}
