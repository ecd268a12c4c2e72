import type { Database } from '../db/database.ts';
import type { DealerScope } from '../dealers/dealer-scope.ts';
import { HubError } from '../errors.ts';
import type { DecisionTrace } from './distribution-plan.ts';
import { FINAL_STATUSES, IN_FULFILMENT, isOverdue, type DistributionStatus } from './fulfilment-rules.ts';
import { notOfferedToDealer, notOfferedToYou } from './not-offered.ts';

/**
 * What dealers and the manufacturer see of distribution (seeds 001, "Мои заказы / Доступные заказы /
 * Завершенные заказы / Все заказы"). Every query takes a DealerScope and filters by it in SQL: a
 * dealer sees the orders offered to it now and its own, never another dealer's. Until a dealer has
 * taken an order it sees no client contact details (the client is the manufacturer's until then).
 */

export type OrderView = 'offered' | 'mine' | 'completed' | 'all';

export interface DealerOrderFilter {
  view: OrderView;
  /** Distribution status (admin's "all" view; the dealer views fix their statuses). */
  status?: string | undefined;
  /** Admin only: orders of this dealer. */
  dealerCode?: string | undefined;
  /** Only orders past their fulfilment term. */
  overdue?: boolean | undefined;
  /** Order number, client name or product name contains this (case-insensitive). */
  q?: string | undefined;
  /** Only orders this user (a manager's login) answers for. */
  responsible?: string | undefined;
  /** Only this order (the dealer cabinet's order card reads its row through the list's rules). */
  orderId?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface DealerOrderRow {
  orderId: string;
  number: string | null;
  distributionStatus: string;
  orderStatus: string;
  channel: string;
  region: string | null;
  placedAt: string;
  /** Client name; contacts only once the dealer has the order. */
  client: { name: string | null; phone?: string | null; email?: string | null; city: string | null };
  /** First product line's name, and how many product lines there are. */
  product: string | null;
  productLines: number;
  total: string;
  currency: string;
  dealer: string | null;
  assignedVia: string | null;
  assignedAt: string | null;
  /** The login of the dealer's user who answers for the order (who took it, or the head); null before a dealer has it. */
  responsible: string | null;
  dueAt: string | null;
  overdue: boolean;
  /** For the offered view: the dealer's offer. */
  offer?: { tier: string; visibleFrom: string; expiresAt: string | null } | undefined;
}

export interface DistributionDetails {
  orderId: string;
  number: string | null;
  status: string;
  configVersion: number;
  round: number;
  startedAt: string;
  deadlineAt: string | null;
  dealer: string | null;
  assignedVia: string | null;
  assignedAt: string | null;
  /** The login of the dealer's user who answers for the order (the manufacturer and the dealer itself see it). */
  responsible: string | null;
  dueAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  cancelledBy: string | null;
  cancelReason: string | null;
  overdue: boolean;
  /** The decision (admins only). */
  trace: DecisionTrace | null;
  offers: { dealer: string; round: number; tier: number; tierKind: string; rank: number; visibleFrom: string; expiresAt: string | null; status: string; declineReason: string | null; respondedAt: string | null }[];
  events: { id: string; kind: string; dealer: string | null; actor: string | null; detail: unknown; at: string }[];
}

export interface RefusalReport {
  from: string;
  to: string;
  declines: { reason: string; count: number; dealers: number }[];
  cancellations: { cancelledBy: string; reason: string; count: number }[];
  /**
   * Per dealer, its takes in the period and how fast: seconds from the moment the offer became
   * visible to the dealer to the take (the dealer record's definition), and the same in minutes for display.
   */
  takes: { dealer: string; taken: number; avgSecondsToTake: number | null; avgMinutesToTake: number | null }[];
}

export interface NotificationRow {
  id: string;
  dealer: string | null;
  orderId: string | null;
  /** The order's number as its channel gave it (null without an order), for a screen to word the notice itself. */
  orderNumber: string | null;
  kind: string;
  message: string;
  createdAt: string;
  readAt: string | null;
}

const ACTIVE: readonly string[] = IN_FULFILMENT;

export class DistributionQueries {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async listOrders(scope: DealerScope, filter: DealerOrderFilter): Promise<{ orders: DealerOrderRow[]; total: number }> {
    const now = this.clock().toISOString();
    const params: unknown[] = [];
    const where: string[] = [];
    const p = (value: unknown): string => `$${params.push(value)}`;
    // Bound only when a condition uses it: PostgreSQL refuses a parameter no statement part gives a type.
    let nowParam: string | undefined;
    const atNow = (): string => (nowParam ??= `${p(now)}::timestamptz`);
    let join = '';
    let offerColumns = 'NULL::text AS tier_kind, NULL::timestamptz AS visible_from, NULL::timestamptz AS offer_expires_at';
    const dealerId = scope.kind === 'dealer' ? await this.dealerId(scope.dealerCode) : filter.dealerCode ? await this.dealerId(filter.dealerCode) : undefined;

    switch (filter.view) {
      case 'offered': {
        if (!dealerId) throw new HubError('invalid_data', 'dealer: the offered view is a dealer\'s; name the dealer.', { field: 'dealer' });
        join = `JOIN dealer_offer f ON f.order_id = d.order_id AND f.round = d.round AND f.dealer_id = ${p(dealerId)}`;
        where.push(`d.status = 'offering'`, `f.status = 'open'`, `f.visible_from <= ${atNow()}`, `(f.expires_at IS NULL OR f.expires_at > ${atNow()})`);
        offerColumns = 'f.tier_kind, f.visible_from, f.expires_at AS offer_expires_at';
        break;
      }
      case 'mine':
        if (!dealerId) throw new HubError('invalid_data', 'dealer: the mine view is a dealer\'s; name the dealer.', { field: 'dealer' });
        where.push(`d.dealer_id = ${p(dealerId)}`, `d.status = ANY(${p(ACTIVE)}::text[])`);
        break;
      case 'completed':
        if (!dealerId) throw new HubError('invalid_data', 'dealer: the completed view is a dealer\'s; name the dealer.', { field: 'dealer' });
        where.push(`d.dealer_id = ${p(dealerId)}`, `d.status = ANY(${p(FINAL_STATUSES)}::text[])`);
        break;
      case 'all':
        if (scope.kind === 'dealer') {
          // A dealer's "all": offered to it now, and its own in work, completed or cancelled.
          const own = p(dealerId);
          join = `LEFT JOIN dealer_offer f ON f.order_id = d.order_id AND f.round = d.round AND f.dealer_id = ${own} AND f.status = 'open'
                    AND f.visible_from <= ${atNow()} AND (f.expires_at IS NULL OR f.expires_at > ${atNow()})`;
          where.push(`((d.status = 'offering' AND f.id IS NOT NULL) OR (d.dealer_id = ${own} AND d.status = ANY(${p([...ACTIVE, ...FINAL_STATUSES])}::text[])))`);
          offerColumns = `CASE WHEN d.status = 'offering' THEN f.tier_kind END AS tier_kind, CASE WHEN d.status = 'offering' THEN f.visible_from END AS visible_from,
                          CASE WHEN d.status = 'offering' THEN f.expires_at END AS offer_expires_at`;
          break;
        }
        if (dealerId) where.push(`d.dealer_id = ${p(dealerId)}`);
        break;
    }
    if (filter.orderId) where.push(`d.order_id = ${p(filter.orderId)}`);
    if (filter.status) where.push(`d.status = ${p(filter.status)}`);
    if (filter.overdue) where.push(`d.status = ANY(${p(ACTIVE)}::text[])`, `d.due_at < ${atNow()}`);
    if (filter.responsible) where.push(`rm.login = ${p(filter.responsible)}`);
    if (filter.q) {
      const like = p(`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(o.number ILIKE ${like} OR o.customer->>'name' ILIKE ${like} OR EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id AND l.name ILIKE ${like}))`);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const offset = Math.max(filter.offset ?? 0, 0);
    const rows = await this.db.query<{
      order_id: string; number: string | null; status: string; order_status: string; channel: string; region: string | null; placed_at: Date;
      customer: Record<string, unknown> | null; shipping: Record<string, unknown> | null; billing: Record<string, unknown> | null;
      product: string | null; product_lines: number; total: string; currency: string; dealer: string | null; assigned_via: string | null;
      dealer_id: string | null; responsible: string | null; assigned_at: Date | null; due_at: Date | null; tier_kind: string | null; visible_from: Date | null; offer_expires_at: Date | null; total_count: string;
    }>(
      `SELECT d.order_id, o.number, d.status, o.status AS order_status, c.name AS channel, o.region, o.placed_at, o.customer,
              o.shipping_address AS shipping, o.billing_address AS billing,
              (SELECT l.name FROM order_line l WHERE l.order_id = o.id AND l.kind = 'product' ORDER BY l.position LIMIT 1) AS product,
              (SELECT count(*) FROM order_line l WHERE l.order_id = o.id AND l.kind = 'product')::int AS product_lines,
              o.total::text AS total, o.currency, dl.code AS dealer, d.dealer_id, d.assigned_via, rm.login AS responsible, d.assigned_at, d.due_at, ${offerColumns},
              count(*) OVER () AS total_count
         FROM order_distribution d JOIN "order" o ON o.id = d.order_id JOIN channel c ON c.id = o.channel_id
         LEFT JOIN dealer dl ON dl.id = d.dealer_id LEFT JOIN dealer_manager rm ON rm.id = d.responsible_manager_id ${join}
         ${whereSql}
        ORDER BY o.placed_at DESC, d.order_id LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    const nowDate = new Date(now);
    // Contacts only once the dealer has the order: never in the offered view, in a dealer's "all" only on its own.
    const showContacts = (r: { dealer_id: string | null; status: string }): boolean =>
      filter.view !== 'offered' && (filter.view !== 'all' || scope.kind === 'admin' || (r.dealer_id === dealerId && r.status !== 'offering'));
    return {
      total: rows[0] ? Number(rows[0].total_count) : 0,
      orders: rows.map((r) => {
        const address = (r.shipping ?? r.billing ?? {}) as Record<string, string | undefined>;
        const customer = (r.customer ?? {}) as Record<string, string | undefined>;
        const client: DealerOrderRow['client'] = { name: customer.name ?? address.name ?? null, city: address.city ?? null };
        if (showContacts(r)) {
          client.phone = customer.phone ?? address.phone ?? null;
          client.email = customer.email ?? address.email ?? null;
        }
        return {
          orderId: r.order_id, number: r.number, distributionStatus: r.status, orderStatus: r.order_status, channel: r.channel, region: r.region,
          placedAt: iso(r.placed_at)!, client, product: r.product, productLines: r.product_lines, total: r.total, currency: r.currency,
          dealer: r.dealer, assignedVia: r.assigned_via, assignedAt: iso(r.assigned_at),
          // A dealer offered the order (not yet its) does not learn who answers for it elsewhere.
          responsible: scope.kind === 'admin' || r.dealer_id === dealerId ? r.responsible : null, dueAt: iso(r.due_at),
          overdue: isOverdue(r.status as DistributionStatus, r.due_at && new Date(r.due_at), nowDate),
          offer: r.visible_from ? { tier: r.tier_kind!, visibleFrom: iso(r.visible_from)!, expiresAt: iso(r.offer_expires_at) } : undefined,
        };
      }),
    };
  }

  /** The distribution of one order: the decision trace (admins), its offers and events (a dealer: its own only). */
  async details(scope: DealerScope, orderId: string): Promise<DistributionDetails> {
    const [d] = await this.db.query<{
      order_id: string; number: string | null; status: string; config_version: number; round: number; started_at: Date; deadline_at: Date | null;
      dealer: string | null; dealer_id: string | null; assigned_via: string | null; assigned_at: Date | null; due_at: Date | null; completed_at: Date | null;
      responsible: string | null; cancelled_at: Date | null; cancelled_by: string | null; cancel_reason: string | null; trace: DecisionTrace;
    }>(
      `SELECT d.order_id, o.number, d.status, d.config_version, d.round, d.started_at, d.deadline_at, dl.code AS dealer, d.dealer_id, d.assigned_via,
              d.assigned_at, d.due_at, d.completed_at, d.cancelled_at, d.cancelled_by, d.cancel_reason, d.trace, rm.login AS responsible
         FROM order_distribution d JOIN "order" o ON o.id = d.order_id LEFT JOIN dealer dl ON dl.id = d.dealer_id
         LEFT JOIN dealer_manager rm ON rm.id = d.responsible_manager_id WHERE d.order_id = $1`,
      [orderId],
    );
    if (!d && scope.kind === 'dealer') throw notOfferedToYou(orderId, 'not_offered');
    if (!d) throw new HubError('not_found', `Order ${orderId} is not being distributed.`);
    let ownId: string | undefined;
    if (scope.kind === 'dealer') {
      ownId = await this.dealerId(scope.dealerCode);
      const [offered] = await this.db.query(
        `SELECT 1 FROM dealer_offer WHERE order_id = $1 AND dealer_id = $2 AND round = $3 AND status = 'open' AND visible_from <= $4::timestamptz
            AND (expires_at IS NULL OR expires_at > $4::timestamptz) LIMIT 1`,
        [orderId, ownId, d.round, this.clock().toISOString()],
      );
      // Only the dealer that has the order, or one it is offered to now, may look; anyone else (a
      // dealer that lost the race or whose offer was withdrawn) hears what a take would answer.
      if (d.dealer_id !== ownId && !(d.status === 'offering' && offered)) throw await notOfferedToDealer(this.db, { orderId, number: d.number, holderId: d.dealer_id }, ownId);
    }
    const offers = await this.db.query<{
      dealer: string; round: number; tier: number; tier_kind: string; rank: number; visible_from: Date; expires_at: Date | null; status: string;
      decline_reason: string | null; responded_at: Date | null;
    }>(
      `SELECT dl.code AS dealer, f.round, f.tier, f.tier_kind, f.rank, f.visible_from, f.expires_at, f.status, f.decline_reason, f.responded_at
         FROM dealer_offer f JOIN dealer dl ON dl.id = f.dealer_id
        WHERE f.order_id = $1 AND ($2::text IS NULL OR f.dealer_id = $2) ORDER BY f.round, f.tier, f.rank, dl.code`,
      [orderId, ownId ?? null],
    );
    const events = await this.db.query<{ id: string; kind: string; dealer: string | null; actor: string | null; detail: unknown; created_at: Date }>(
      `SELECT e.id::text AS id, e.kind, dl.code AS dealer, e.actor, e.detail, e.created_at
         FROM distribution_event e LEFT JOIN dealer dl ON dl.id = e.dealer_id
        WHERE e.order_id = $1 AND ($2::text IS NULL OR e.dealer_id = $2) ORDER BY e.id`,
      [orderId, ownId ?? null],
    );
    const nowDate = this.clock();
    const own = scope.kind === 'admin' || d.dealer_id === ownId;
    return {
      orderId: d.order_id, number: d.number, status: d.status, configVersion: d.config_version, round: d.round, startedAt: iso(d.started_at)!,
      deadlineAt: iso(d.deadline_at), dealer: own ? d.dealer : null, assignedVia: own ? d.assigned_via : null,
      assignedAt: own ? iso(d.assigned_at) : null, responsible: own ? d.responsible : null, dueAt: own ? iso(d.due_at) : null, completedAt: own ? iso(d.completed_at) : null,
      cancelledAt: own ? iso(d.cancelled_at) : null, cancelledBy: own ? d.cancelled_by : null, cancelReason: own ? d.cancel_reason : null,
      overdue: isOverdue(d.status as DistributionStatus, d.due_at && new Date(d.due_at), nowDate),
      trace: scope.kind === 'admin' ? d.trace : null,
      offers: offers.map((f) => ({
        dealer: f.dealer, round: f.round, tier: f.tier, tierKind: f.tier_kind, rank: f.rank, visibleFrom: iso(f.visible_from)!, expiresAt: iso(f.expires_at),
        status: f.status, declineReason: f.decline_reason, respondedAt: iso(f.responded_at),
      })),
      events: events.map((e) => ({ id: e.id, kind: e.kind, dealer: e.dealer, actor: e.actor, detail: scope.kind === 'admin' ? e.detail : withoutOtherDealers(e.detail), at: iso(e.created_at)! })),
    };
  }

  /** Why orders were refused (dealers' declines, cancellations by whom) and how fast dealers take, in a period. */
  async refusals(range: { from: string; to: string }): Promise<RefusalReport> {
    const declines = await this.db.query<{ reason: string; count: number; dealers: number }>(
      `SELECT decline_reason AS reason, count(*)::int AS count, count(DISTINCT dealer_id)::int AS dealers FROM dealer_offer
        WHERE status = 'declined' AND responded_at >= $1::timestamptz AND responded_at < $2::timestamptz
        GROUP BY decline_reason ORDER BY count(*) DESC, decline_reason`,
      [range.from, range.to],
    );
    const cancellations = await this.db.query<{ cancelled_by: string; reason: string | null; count: number }>(
      `SELECT cancelled_by, cancel_reason AS reason, count(*)::int AS count FROM order_distribution
        WHERE status = 'cancelled' AND cancelled_at >= $1::timestamptz AND cancelled_at < $2::timestamptz
        GROUP BY cancelled_by, cancel_reason ORDER BY count(*) DESC, cancelled_by, cancel_reason`,
      [range.from, range.to],
    );
    // The seconds each take recorded when it happened (as the dealer's totals got them): every take
    // counts, also one whose order later went back to the offers.
    const takes = await this.db.query<{ dealer: string; taken: number; avg_seconds: number | null }>(
      `SELECT dl.code AS dealer, count(*)::int AS taken, round(avg((e.detail->>'secondsToTake')::numeric))::int AS avg_seconds
         FROM distribution_event e JOIN dealer dl ON dl.id = e.dealer_id
        WHERE e.kind = 'taken' AND e.created_at >= $1::timestamptz AND e.created_at < $2::timestamptz
        GROUP BY dl.code ORDER BY count(*) DESC, dl.code`,
      [range.from, range.to],
    );
    return {
      from: range.from,
      to: range.to,
      declines,
      cancellations: cancellations.map((c) => ({ cancelledBy: c.cancelled_by, reason: c.reason ?? '', count: c.count })),
      takes: takes.map((t) => ({
        dealer: t.dealer, taken: t.taken, avgSecondsToTake: t.avg_seconds,
        avgMinutesToTake: t.avg_seconds === null ? null : Math.round(t.avg_seconds / 6) / 10,
      })),
    };
  }

  /** A dealer's notifications, or (admin scope) the manufacturer's. */
  async notifications(scope: DealerScope, options: { unreadOnly?: boolean | undefined; limit?: number | undefined } = {}): Promise<NotificationRow[]> {
    const dealerId = scope.kind === 'dealer' ? await this.dealerId(scope.dealerCode) : null;
    const rows = await this.db.query<{ id: string; dealer: string | null; order_id: string | null; number: string | null; kind: string; message: string; created_at: Date; read_at: Date | null }>(
      `SELECT n.id::text AS id, dl.code AS dealer, n.order_id, o.number, n.kind, n.message, n.created_at, n.read_at
         FROM notification n LEFT JOIN dealer dl ON dl.id = n.dealer_id LEFT JOIN "order" o ON o.id = n.order_id
        WHERE ${dealerId ? 'n.dealer_id = $1' : 'n.dealer_id IS NULL AND $1::text IS NULL'} AND ($2::boolean IS NOT TRUE OR n.read_at IS NULL)
        ORDER BY n.id DESC LIMIT ${Math.min(Math.max(options.limit ?? 100, 1), 1000)}`,
      [dealerId, options.unreadOnly ?? false],
    );
    return rows.map((r) => ({ id: r.id, dealer: r.dealer, orderId: r.order_id, orderNumber: r.order_id ? (r.number ?? r.order_id) : null, kind: r.kind, message: r.message, createdAt: iso(r.created_at)!, readAt: iso(r.read_at) }));
  }

  /** Marks notifications read (only the scope's own). Returns how many changed. */
  async markRead(scope: DealerScope, ids: string[]): Promise<number> {
    const dealerId = scope.kind === 'dealer' ? await this.dealerId(scope.dealerCode) : null;
    const rows = await this.db.query<{ id: string }>(
      `UPDATE notification SET read_at = $3::timestamptz
        WHERE id = ANY($1::bigint[]) AND read_at IS NULL AND ${dealerId ? 'dealer_id = $2' : 'dealer_id IS NULL AND $2::text IS NULL'} RETURNING id`,
      [ids, dealerId, this.clock().toISOString()],
    );
    return rows.length;
  }

  private async dealerId(code: string): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(`SELECT id FROM dealer WHERE code = $1`, [code]);
    if (!row) throw new HubError('not_found', `Dealer ${code} does not exist.`);
    return row.id;
  }
}

function iso(value: Date | string | null | undefined): string | null {
  return value ? new Date(value).toISOString() : null;
}

/** A dealer's own events may name the dealer that had the order before; that is not its business. */
function withoutOtherDealers(detail: unknown): unknown {
  if (!detail || typeof detail !== 'object') return detail;
  const { previous: _previous, previousDealer: _previousDealer, ...rest } = detail as Record<string, unknown>;
  return rest;
}
