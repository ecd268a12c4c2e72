import type { Database } from '../db/database.ts';
import type { DealerScope } from '../dealers/dealer-scope.ts';
import { HubError } from '../errors.ts';
import type { DealerPermission } from '../identity/access-rules.ts';
import { DistributionQueries, type DealerOrderFilter, type DealerOrderRow } from './distribution-queries.ts';
import { event } from './distribution-records.ts';
import { checkFulfilmentChange, DISTRIBUTION_STATUSES, FINAL_STATUSES, IN_FULFILMENT, type DistributionStatus } from './fulfilment-rules.ts';
import { notOfferedToDealer, notOfferedToYou } from './not-offered.ts';
import { trimZeros } from '../model/common.ts';

/**
 * The dealer cabinet's reads and comments (seeds 001, the dealer's personal account): the counts of
 * its tabs, one order's card, and comments on an order the dealer has. Every read is of the dealer's
 * own scope; an order the dealer neither has nor is offered now answers as a take would (404 "not
 * offered to you", details.reason taken_by_another / not_offered / offer_ended).
 */

export type CommentVisibility = 'client' | 'internal';

export interface OrderComment {
  id: string;
  at: string;
  author: string;
  authorName: string | null;
  visibility: CommentVisibility;
  text: string;
}

/** What a history line says, as values (so a screen can say it in its own language); never other dealers' names. */
export interface HistoryFacts {
  tier?: string;
  reason?: string;
  via?: string;
  from?: string;
  to?: string;
  points?: number;
  visibility?: string;
}

export interface DealerOrderCounts {
  offered: number;
  mine: number;
  completed: number;
  all: number;
}

export interface DealerOrderCard extends DealerOrderRow {
  lines: { sku: string | null; name: string; quantity: string; unitPrice: string | null; total: string | null }[];
  delivery: { region: string | null; city: string | null; address: string | null };
  history: { at: string; kind: string; actor: string | null; text: string; facts: HistoryFacts }[];
  comments: OrderComment[];
  allowed: { take: boolean; decline: boolean; statuses: string[]; reassign: boolean; comment: boolean };
}

/** Who is looking, beyond the scope: which dealer permissions the user holds (its role's). */
export type Can = (permission: DealerPermission) => boolean;

export const COMMENT_MAX_LENGTH = 4000;

const HELD: readonly string[] = [...IN_FULFILMENT, ...FINAL_STATUSES];

interface Standing {
  orderId: string;
  number: string | null;
  status: string;
  dealerId: string | null;
  responsibleManagerId: string | null;
  ownId: string;
  ownCode: string;
  /** The dealer has the order (in work, completed or cancelled with it). */
  own: boolean;
  /** Offered to the dealer now. */
  offered: boolean;
}

export class DealerCabinet {
  private readonly queries: DistributionQueries;

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.queries = new DistributionQueries(db, clock);
  }

  /** The counts of the cabinet's tabs, with the same filters as the lists. */
  async counts(scope: DealerScope, filter: Omit<DealerOrderFilter, 'view' | 'limit' | 'offset'>): Promise<DealerOrderCounts> {
    const count = async (view: 'offered' | 'mine' | 'completed'): Promise<number> => (await this.queries.listOrders(scope, { ...filter, view, limit: 1 })).total;
    const offered = await count('offered');
    const mine = await count('mine');
    const completed = await count('completed');
    return { offered, mine, completed, all: offered + mine + completed };
  }

  /** One order's card as the dealer sees it now. */
  async card(scope: DealerScope, orderId: string, can: Can): Promise<DealerOrderCard> {
    const standing = await this.standing(scope, orderId);
    const { orders } = await this.queries.listOrders(scope, { view: 'all', orderId, limit: 1 });
    const row = orders[0];
    if (!row) throw await this.notTheDealers(standing);
    const lines = await this.db.query<{ sku: string | null; name: string; quantity: string; unit_price: string | null; total: string | null }>(
      `SELECT sku, name, quantity::text AS quantity, unit_price::text AS unit_price, total::text AS total
         FROM order_line WHERE order_id = $1 ORDER BY position`,
      [orderId],
    );
    const [order] = await this.db.query<{ region: string | null; shipping: Record<string, string | undefined> | null; billing: Record<string, string | undefined> | null }>(
      `SELECT region, shipping_address AS shipping, billing_address AS billing FROM "order" WHERE id = $1`,
      [orderId],
    );
    const address = order?.shipping ?? order?.billing ?? {};
    const events = await this.db.query<{ kind: string; actor: string | null; detail: Record<string, unknown> | null; created_at: Date; dealer_id: string | null }>(
      `SELECT kind, actor, detail, created_at, dealer_id FROM distribution_event
        WHERE order_id = $1 AND (dealer_id = $2 OR (kind = 'offer_visible' AND detail->'dealers' ? $3))
        ORDER BY id`,
      [orderId, standing.ownId, standing.ownCode],
    );
    const comments = standing.own ? await this.commentsOf(orderId, standing.ownId) : [];
    const mayWork = standing.own && can('dealer.orders.work') && (scope.kind !== 'dealer' || scope.head !== false || standing.responsibleManagerId === scope.managerId);
    return {
      ...row,
      lines: lines.map((l) => ({ sku: l.sku, name: l.name, quantity: trimZeros(l.quantity), unitPrice: l.unit_price === null ? null : trimZeros(l.unit_price), total: l.total === null ? null : trimZeros(l.total) })),
      delivery: { region: order?.region ?? null, city: address.city ?? null, address: standing.own ? addressLine(address) : null },
      history: events.map((e) => ({ at: new Date(e.created_at).toISOString(), kind: e.kind, actor: e.kind === 'offer_visible' ? null : e.actor, text: describe(e.kind, e.detail ?? {}), facts: factsOf(e.detail ?? {}) })),
      comments,
      allowed: {
        take: standing.offered && can('dealer.orders.take'),
        decline: standing.offered && can('dealer.orders.take'),
        statuses: mayWork ? nextStatuses(standing.status) : [],
        reassign: standing.own && (IN_FULFILMENT as readonly string[]).includes(standing.status) && can('dealer.orders.reassign'),
        comment: standing.own && can('dealer.orders.work'),
      },
    };
  }

  /** The comments of an order the dealer has (an order only offered to it has none for it). */
  async comments(scope: DealerScope, orderId: string): Promise<OrderComment[]> {
    const standing = await this.standing(scope, orderId);
    if (standing.own) return this.commentsOf(orderId, standing.ownId);
    if (standing.offered) return [];
    throw await this.notTheDealers(standing);
  }

  /**
   * A dealer's user comments on an order the dealer has (any employee, on any of the dealer's
   * orders); an offer is refused (409 not_taken). The comment is recorded in the order's history.
   */
  async addComment(scope: DealerScope, orderId: string, input: { text: string; visibility: CommentVisibility }, author: { login: string; name: string | null }): Promise<OrderComment> {
    const text = input.text.trim();
    if (!text) throw new HubError('invalid_data', 'text: a comment needs some text.', { field: 'text' });
    if (text.length > COMMENT_MAX_LENGTH) throw new HubError('invalid_data', `text: at most ${COMMENT_MAX_LENGTH} characters.`, { field: 'text' });
    if (input.visibility !== 'client' && input.visibility !== 'internal') throw new HubError('invalid_data', 'visibility: client or internal.', { field: 'visibility' });
    const standing = await this.standing(scope, orderId);
    if (!standing.own) {
      if (standing.offered) {
        throw new HubError('conflict', `Order ${standing.number ?? orderId} is offered to you; take it before commenting on it.`, { details: { reason: 'not_taken' } });
      }
      throw await this.notTheDealers(standing);
    }
    const now = this.clock();
    return this.db.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRawUnsafe<{ id: string; created_at: Date }[]>(
        `INSERT INTO order_comment (id, order_id, dealer_id, author_login, author_name, visibility, text, created_at)
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7::timestamptz) RETURNING id, created_at`,
        orderId, standing.ownId, author.login, author.name, input.visibility, text, now.toISOString(),
      );
      await event(tx, orderId, 'comment', standing.ownId, author.login, { commentId: row!.id, visibility: input.visibility }, now);
      return { id: row!.id, at: new Date(row!.created_at).toISOString(), author: author.login, authorName: author.name, visibility: input.visibility, text };
    });
  }

  /** The manufacturer's view: every comment on the order, of every dealer that had it. */
  async staffComments(orderId: string): Promise<OrderComment[]> {
    const [order] = await this.db.query(`SELECT 1 FROM "order" WHERE id = $1`, [orderId]);
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    return this.commentsOf(orderId, null);
  }

  private async commentsOf(orderId: string, dealerId: string | null): Promise<OrderComment[]> {
    const rows = await this.db.query<{ id: string; created_at: Date; author_login: string; author_name: string | null; visibility: CommentVisibility; text: string }>(
      `SELECT id, created_at, author_login, author_name, visibility, text FROM order_comment
        WHERE order_id = $1 AND ($2::text IS NULL OR dealer_id = $2) ORDER BY created_at, id`,
      [orderId, dealerId],
    );
    return rows.map((r) => ({ id: r.id, at: new Date(r.created_at).toISOString(), author: r.author_login, authorName: r.author_name, visibility: r.visibility, text: r.text }));
  }

  /** Where the order stands for the asking dealer. */
  private async standing(scope: DealerScope, orderId: string): Promise<Standing> {
    if (scope.kind !== 'dealer') throw new HubError('not_allowed', "The dealer cabinet is a dealer's; the manufacturer reads orders through /v1/orders.");
    const now = this.clock().toISOString();
    const [row] = await this.db.query<{
      order_id: string; number: string | null; status: string; dealer_id: string | null; responsible_manager_id: string | null; own_id: string; own_code: string; offered: boolean;
    }>(
      `SELECT d.order_id, o.number, d.status, d.dealer_id, d.responsible_manager_id, dl.id AS own_id, dl.code AS own_code,
              EXISTS (SELECT 1 FROM dealer_offer f WHERE f.order_id = d.order_id AND f.round = d.round AND f.dealer_id = dl.id AND f.status = 'open'
                         AND f.visible_from <= $3::timestamptz AND (f.expires_at IS NULL OR f.expires_at > $3::timestamptz)) AS offered
         FROM dealer dl CROSS JOIN order_distribution d JOIN "order" o ON o.id = d.order_id
        WHERE dl.code = $1 AND d.order_id = $2`,
      [scope.dealerCode, orderId, now],
    );
    if (!row) throw notOfferedToYou(orderId, 'not_offered');
    return {
      orderId: row.order_id, number: row.number, status: row.status, dealerId: row.dealer_id, responsibleManagerId: row.responsible_manager_id,
      ownId: row.own_id, ownCode: row.own_code,
      own: row.dealer_id === row.own_id && HELD.includes(row.status),
      offered: row.status === 'offering' && row.offered,
    };
  }

  /** The take's answer for an order that is not the dealer's: never offered, taken by another, offer ended. */
  private notTheDealers(standing: Standing): Promise<HubError> {
    return notOfferedToDealer(this.db, { orderId: standing.orderId, number: standing.number, holderId: standing.dealerId }, standing.ownId);
  }
}

/** The statuses a dealer may move an order on to from `from`. */
export function nextStatuses(from: string): string[] {
  return DISTRIBUTION_STATUSES.filter((to) => checkFulfilmentChange(from as DistributionStatus, to, 'dealer').allowed);
}


function addressLine(a: Record<string, string | undefined>): string | null {
  const parts = [a.line1, a.line2, a.postcode, a.city].map((p) => p?.trim()).filter((p): p is string => !!p);
  return parts.length ? parts.join(', ') : null;
}

/** A line of the order's history in plain words (the UI may say it its own way by `kind`). */
function factsOf(d: Record<string, unknown>): HistoryFacts {
  const facts: HistoryFacts = {};
  for (const key of ['tier', 'reason', 'via', 'from', 'to', 'visibility'] as const) if (typeof d[key] === 'string') facts[key] = d[key];
  const points = (d.points as { delta?: unknown } | null | undefined)?.delta;
  if (typeof points === 'number' && points !== 0) facts.points = points;
  return facts;
}

function describe(kind: string, d: Record<string, unknown>): string {
  const s = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v));
  switch (kind) {
    case 'offer_visible':
      return `Offered to you (${s(d.tier)})`;
    case 'taken':
      return 'Taken';
    case 'declined':
      return `Declined: ${s(d.reason)}`;
    case 'assigned':
      return d.via === 'admin' ? 'Assigned to you by the manufacturer' : d.via === 'fallback' ? 'Assigned to you (fallback)' : d.via === 'default' ? 'Assigned to you (default dealer)' : 'Assigned to you';
    case 'fallback':
      return 'Assigned to you (fallback)';
    case 'status': {
      const points = d.points as { delta?: number } | null | undefined;
      const reason = d.reason ? `: ${s(d.reason)}` : '';
      const pts = points?.delta ? ` (${points.delta > 0 ? '+' : ''}${points.delta} points)` : '';
      return `${s(d.from)} → ${s(d.to)}${reason}${pts}`;
    }
    case 'responsible':
      return `Responsible: ${s(d.from) || '—'} → ${s(d.to)}`;
    case 'overdue':
      return 'Past its fulfilment term';
    case 'order_changed':
      return 'The order was changed in the sales channel';
    case 'comment':
      return d.visibility === 'client' ? 'Comment for the client' : 'Internal comment';
    default:
      return kind;
  }
}
