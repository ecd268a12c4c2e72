import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.ts';
import type { Actor } from '../audit/actor.ts';
import type { Database } from '../db/database.ts';
import { committed } from '../db/committed-events.ts';
import type { ExclusivityRuleRef } from '../exclusivity/exclusivity-rules.ts';
import type { Prisma } from '../db/generated/client.ts';
import { changePoints } from '../dealers/dealer-points.ts';
import { actorName, type DealerScope } from '../dealers/dealer-scope.ts';
import { HubError, isHubError } from '../errors.ts';
import { dealersNamedIn, type DistributionConfig } from './distribution-config.ts';
import { DistributionConfigs, type ConfigVersionView } from './distribution-configs.ts';
import type { DecisionTrace, Plan } from './distribution-plan.ts';
import { DefaultDistributionStrategy, type DistributionStrategy } from './distribution-strategy.ts';
import { exclusionOfDealer, loadCandidates, loadOrderFacts, loadQuotaStates, loadRegionPaths, quotaMayApply, reachesEveryone, type OrderRecord, type Queryable } from './decision-facts.ts';
import { event, notify, notifyVisible, queryable, withdrawOffers } from './distribution-records.ts';
import { dueTimesChanged, nextDueAt } from './due-times.ts';
import { notOfferedToDealer, notOfferedToYou } from './not-offered.ts';
import { CLOSED_STATUSES, isClosedStatus } from '../orders/order-status.ts';
import { cancellationNeedsReason, checkFulfilmentChange, FINAL_STATUSES, IN_FULFILMENT, pointsFor } from './fulfilment-rules.ts';

/**
 * Distribution of orders to dealers, as data. Deciding writes every offer at once with the moment
 * it becomes visible (visible_from) and, for the whole distribution, the moment the fallback takes
 * over (deadline_at): escalation to the next tier is the next tier's offers becoming visible, so a
 * restart loses no timer. `advance()` (run every minute by the job runner) does what time alone
 * cannot: tells dealers about offers that became visible, hands overdue orders to the fallback,
 * flags overdue fulfilment and distributes orders an interrupted intake left out.
 *
 * Taking is a compare-and-set on the distribution row (status offering → assigned): when many
 * dealers click at once, PostgreSQL serialises the updates on that row and exactly one finds it
 * still offering; the rest are told it is not offered to them (taken by another).
 *
 * Deadlines are exact: a take is accepted only before its window closes (the offer's expiry, the
 * distribution's deadline), whether or not a tick has run since; a take refused because the
 * deadline passed hands the order to the fallback there and then. Job runners arm one timer for
 * `nextDueAt()` (re-read when `dueTimesChanged` says so) so the next tier is told and the
 * fallback takes over at the moment itself; the minute tick stays as the safety net.
 *
 * Take time has one definition: seconds from the moment the offer became visible to that dealer
 * (its visible_from, moved earlier by an early escalation) to the take. The take writes it once,
 * in the `taken` event and the dealer's totals; reports read those.
 */

type Tx = Prisma.TransactionClient;

const TX_OPTIONS = { timeout: 60_000, maxWait: 60_000 } as const;
/** A changed order is decided again only while nobody has it. */
const REOPENABLE_STATUSES = ['offering', 'unassigned'];
/** An interrupted intake is caught up within this window; older orders are left to an admin (redistribute). */
const SWEEP_WINDOW_DAYS = 7;
const ADVANCE_BATCH = 500;
/** The fulfilment term of the configuration that decided distribution `d` (as fallback and assign use), not of the one in force. */
const FULFILMENT_DAYS_OF_D = `(SELECT (c.config->'settings'->>'fulfilmentDays')::int FROM distribution_config c WHERE c.version = d.config_version)`;

export interface AssignOptions {
  note?: string | undefined;
  /** Assign although the dealer fails a check (not a block); needs `reason`. */
  force?: boolean | undefined;
  /** Why the admin forces it: recorded in the order's history and the audit log. */
  reason?: string | undefined;
}

/** A check an admin's assign failed. */
export interface AssignCheck {
  check: 'blocked' | 'not_authorised' | 'exclusivity';
  message: string;
  rules?: ExclusivityRuleRef[];
}

export interface DistributionServiceOptions {
  /** The time the service acts at; tests move it instead of sleeping. */
  clock?: (() => Date) | undefined;
  /** The decision; a manufacturer with rules of its own plugs in another. */
  strategy?: DistributionStrategy | undefined;
}

export interface DistributeOutcome {
  orderId: string;
  action: 'distributed' | 'redistributed' | 'cancelled' | 'unchanged' | 'skipped';
  /** The distribution's status after the call (absent when skipped). */
  status?: string | undefined;
  reason: string;
}

export interface TakeResult {
  orderId: string;
  dealerCode: string;
  status: 'assigned';
  dueAt: string;
  /** From the moment the offer became visible to the dealer to the take. */
  secondsToTake: number;
  /** True when this dealer had already taken it (asking again is harmless). */
  alreadyYours: boolean;
}

export interface AdvanceReport {
  /** Offers that became visible and were notified. */
  notified: number;
  /** Orders nobody took by the deadline: handed to the fallback (or left unassigned, admins told). */
  fellBack: number;
  /** Orders whose fulfilment term ran out (flagged once). */
  overdue: number;
  /** Orders an interrupted intake never distributed, or whose change or cancellation was not applied: brought up to date now. */
  swept: number;
}

/** A dealer's or an admin's status change, as written; handed to whoever follows it up in the same transaction. */
export interface FulfilmentChange {
  orderId: string;
  from: string;
  to: string;
  round: number;
  actor: 'dealer' | 'admin';
  dealerCode: string | null;
  number: string | null;
  reason: string | null;
  /** Who, in words for the history. */
  by: string;
}

interface DistributionRow {
  order_id: string;
  status: string;
  config_version: number;
  order_version: number;
  round: number;
  dealer_id: string | null;
  dealer_code: string | null;
  assigned_via: string | null;
  deadline_at: Date | null;
  number: string | null;
  responsible_manager_id: string | null;
}

/** The dealer's head, who answers for an order the dealer was given rather than took (the head reassigns it). */
const HEAD_OF = (dealerParam: string) => `(SELECT id FROM dealer_manager WHERE dealer_id = ${dealerParam} AND is_head AND active LIMIT 1)`;

export class DistributionService {
  readonly configs: DistributionConfigs;
  private readonly clock: () => Date;
  private readonly strategy: DistributionStrategy;

  constructor(
    private readonly db: Database,
    options: DistributionServiceOptions = {},
  ) {
    this.configs = new DistributionConfigs(db);
    this.clock = options.clock ?? (() => new Date());
    this.strategy = options.strategy ?? new DefaultDistributionStrategy();
  }

  /** Distributes (or re-distributes, or withdraws) each order; one order's failure does not stop the others. */
  async distributeOrders(orderIds: string[]): Promise<(DistributeOutcome | { orderId: string; error: Error })[]> {
    const results: (DistributeOutcome | { orderId: string; error: Error })[] = [];
    // One look at the configuration for the whole batch: with distribution off, intake pays one query.
    const active = orderIds.length > 0 ? await this.configs.active() : undefined;
    if (!active) return orderIds.map((orderId) => ({ orderId, action: 'skipped', reason: 'distribution is off' }));
    for (const orderId of orderIds) {
      try {
        results.push(await this.distributeWith(active, orderId));
      } catch (error) {
        results.push({ orderId, error: error as Error });
        await this.recordFailure(orderId, error as Error);
      }
    }
    return results;
  }

  /**
   * Brings an order's distribution up to date with the order: a new order is decided; an order that
   * changed while still being offered is decided again (a new round: declines stand); an order its
   * channel cancelled is withdrawn from the dealers; `force` (an admin) decides again whatever the
   * state, unless the order is completed.
   */
  async distribute(orderId: string, options: { force?: boolean; by?: string } = {}): Promise<DistributeOutcome> {
    return this.distributeWith(await this.configs.active(), orderId, options);
  }

  /**
   * A dealer cancelled the order it had: it is offered again in a new round, to everyone but the
   * dealers that declined or cancelled it. Once only: a distribution that is no longer cancelled by
   * its dealer (already offered again, or the order closed) is left as it is.
   */
  async offerAgain(orderId: string, by = 'hub'): Promise<DistributeOutcome> {
    const active = await this.configs.active();
    if (!active) return { orderId, action: 'skipped', reason: 'distribution is off: no strategy configuration has been saved' };
    const order = await loadOrderFacts(this.db, orderId);
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    const [existing] = await this.db.query<{ status: string; cancelled_by: string | null }>(`SELECT status, cancelled_by FROM order_distribution WHERE order_id = $1`, [orderId]);
    if (!existing || existing.status !== 'cancelled' || existing.cancelled_by !== 'dealer') {
      return { orderId, action: 'unchanged', status: existing?.status, reason: existing ? `the distribution is ${existing.status}` : 'the order is not being distributed' };
    }
    if (isClosedStatus(order.status)) return { orderId, action: 'skipped', status: existing.status, reason: `the order is ${order.status}` };
    return this.decide(order, active.version, active.config, 'redistributed', by, true);
  }

  private async distributeWith(active: ConfigVersionView | undefined, orderId: string, options: { force?: boolean; by?: string } = {}): Promise<DistributeOutcome> {
    if (!active) return { orderId, action: 'skipped', reason: 'distribution is off: no strategy configuration has been saved' };
    const order = await loadOrderFacts(this.db, orderId);
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    const existing = await this.current(this.db, orderId);

    if (isClosedStatus(order.status)) {
      if (!existing || FINAL_STATUSES.includes(existing.status as never)) return { orderId, action: 'skipped', status: existing?.status, reason: `the order is ${order.status}` };
      return this.cancelForClient(orderId, `the order was ${order.status} at its channel`);
    }
    const applies = appliesTo(active.config, order);
    if (!existing) {
      if (!applies.ok) return { orderId, action: 'skipped', reason: applies.reason };
      return this.decide(order, active.version, active.config, 'distributed', options.by);
    }
    const changed = order.version > existing.order_version;
    const reopenable = REOPENABLE_STATUSES.includes(existing.status);
    if (options.force) {
      if (existing.status === 'completed') throw new HubError('conflict', `Order ${order.facts.number ?? orderId} is completed; it cannot be distributed again.`);
      return this.decide(order, active.version, active.config, 'redistributed', options.by, true);
    }
    if (changed && reopenable && applies.ok) return this.decide(order, active.version, active.config, 'redistributed', options.by, false);
    if (changed) await this.noteOrderChange(existing, order);
    return { orderId, action: 'unchanged', status: existing.status, reason: changed ? `order version ${order.version} noted; the order stays ${existing.status}` : 'nothing changed' };
  }

  /** A dealer takes an order offered to it now: exactly one of many concurrent takers wins. */
  async take(scope: DealerScope, orderId: string): Promise<TakeResult> {
    const dealer = await this.dealerOf(scope, 'take orders');
    const now = this.clock();
    const won = await this.transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ offer_id: string; visible_from: Date; due_at: Date; number: string | null }[]>(
        `WITH offer AS (
           SELECT o.id, o.round, o.visible_from FROM dealer_offer o JOIN order_distribution d ON d.order_id = o.order_id AND d.round = o.round
            WHERE o.order_id = $1 AND o.dealer_id = $2 AND o.status = 'open' AND o.visible_from <= $3::timestamptz
              AND (o.expires_at IS NULL OR o.expires_at > $3::timestamptz)
         )
         UPDATE order_distribution d
            SET status = 'assigned', dealer_id = $2, assigned_via = 'take', assigned_at = $3::timestamptz,
                due_at = $3::timestamptz + (${FULFILMENT_DAYS_OF_D} * interval '1 day'), revision = d.revision + 1, updated_at = $3::timestamptz,
                -- Who took it answers for it (the head, when the dealer acts as a whole, e.g. from the CLI).
                responsible_manager_id = coalesce($4::text, ${HEAD_OF('$2')})
           FROM offer
          -- The round again: a new round written since the offer was read must not be taken with the old round's offer.
          WHERE d.order_id = $1 AND d.status = 'offering' AND d.round = offer.round AND EXISTS (SELECT 1 FROM dealer WHERE id = $2 AND active)
            -- The deadline closes every window at once, whether or not the tick has handed the order on yet.
            AND (d.deadline_at IS NULL OR d.deadline_at > $3::timestamptz)
         RETURNING offer.id AS offer_id, offer.visible_from, d.due_at, (SELECT number FROM "order" WHERE id = $1) AS number`,
        orderId, dealer.id, now.toISOString(), scope.kind === 'dealer' ? (scope.managerId ?? null) : null,
      );
      const row = rows[0];
      if (!row) return undefined;
      const seconds = Math.max(0, Math.round((now.getTime() - new Date(row.visible_from).getTime()) / 1000));
      const marked = await tx.$executeRawUnsafe(`UPDATE dealer_offer SET status = 'taken', responded_at = $2::timestamptz WHERE id = $1 AND status = 'open'`, row.offer_id, now.toISOString());
      // The dealer declined it in the same instant: the decline stands and this take is rolled back.
      if (marked === 0) throw new HubError('conflict', `Dealer ${dealer.code} declined order ${row.number ?? orderId}.`, { details: { reason: 'declined' } });
      await tx.$executeRawUnsafe(
        `UPDATE dealer_offer SET status = 'lost', responded_at = $3::timestamptz WHERE order_id = $1 AND status = 'open' AND id <> $2`,
        orderId, row.offer_id, now.toISOString(),
      );
      await tx.$executeRawUnsafe(`UPDATE dealer SET takes_count = takes_count + 1, take_seconds_total = take_seconds_total + $2 WHERE id = $1`, dealer.id, seconds);
      await event(tx, orderId, 'taken', dealer.id, scope.kind === 'dealer' ? (scope.login ?? dealer.code) : actorName(scope), {
        dealer: dealer.code, secondsToTake: seconds, visibleFrom: new Date(row.visible_from).toISOString(),
      }, now);
      return { seconds, dueAt: new Date(row.due_at) };
    });
    if (won) return { orderId, dealerCode: dealer.code, status: 'assigned', dueAt: won.dueAt.toISOString(), secondsToTake: won.seconds, alreadyYours: false };
    return this.whyNotTaken(orderId, dealer, now);
  }

  /** A dealer declines an order offered to it, with a reason; when nobody who sees it is left, the next tier opens now. */
  async decline(scope: DealerScope, orderId: string, reason: string): Promise<{ orderId: string; escalated: boolean; status: string }> {
    const dealer = await this.dealerOf(scope, 'decline orders');
    const why = reason.trim();
    if (!why) throw new HubError('invalid_data', 'reason: a dealer declines with a reason.', { field: 'reason' });
    const now = this.clock();
    const outcome = await this.transaction(async (tx) => {
      await tx.$queryRawUnsafe(`SELECT 1 FROM order_distribution WHERE order_id = $1 FOR UPDATE`, orderId);
      const dist = await this.current(queryable(tx), orderId);
      if (dist?.status !== 'offering') return undefined;
      const declined = await tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE dealer_offer SET status = 'declined', decline_reason = $4, responded_at = $3::timestamptz
          WHERE order_id = $1 AND dealer_id = $2 AND round = $5 AND status = 'open' AND visible_from <= $3::timestamptz
            AND (expires_at IS NULL OR expires_at > $3::timestamptz)
          RETURNING id`,
        orderId, dealer.id, now.toISOString(), why.slice(0, 1000), dist.round,
      );
      if (declined.length === 0) return undefined;
      await event(tx, orderId, 'declined', dealer.id, actorLabel(scope, dealer.code), { dealer: dealer.code, reason: why }, now);
      const escalated = await this.escalateIfNobodyLeft(tx, dist, now);
      const [after] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM order_distribution WHERE order_id = $1`, orderId);
      return { orderId, escalated, status: after!.status };
    });
    if (!outcome) {
      // Nothing open to decline: the same answers as a take (not offered to you, window closed, declined already…).
      await this.whyNotTaken(orderId, dealer, now);
      throw new HubError('conflict', `Order ${orderId} is already yours; cancel it with a reason instead.`, { details: { reason: 'already_yours' } });
    }
    if (outcome.escalated) dueTimesChanged(this.db);
    return outcome;
  }

  /** The assigned dealer (or an admin) moves the order on: contacted, in progress, completed, or cancelled with a reason. */
  async changeStatus(
    scope: DealerScope,
    orderId: string,
    change: { status: string; reason?: string | undefined },
    /** Runs inside the same transaction once the change is written (the order lifecycle follows it up there). */
    within?: (tx: Tx, done: FulfilmentChange) => Promise<void>,
  ): Promise<{ orderId: string; status: string; points: { delta: number; balance: number } | null }> {
    const now = this.clock();
    const actor = scope.kind === 'admin' ? 'admin' : 'dealer';
    const reason = change.reason?.trim() || undefined;
    return this.transaction(async (tx) => {
      const dist = await this.lockedDistribution(tx, orderId, scope);
      if (scope.kind === 'dealer' && dist.dealer_code !== scope.dealerCode) throw await this.notTheDealers(tx, dist, scope.dealerCode, now);
      if (scope.kind === 'dealer' && scope.head === false && dist.responsible_manager_id !== scope.managerId) {
        // The dealer portal's rule: employees see all of the dealer's orders but change only their own.
        throw new HubError('not_allowed', `Order ${dist.number ?? orderId} is another employee's; only they or the dealer's head move it on.`, { details: { reason: 'not_responsible' } });
      }
      const verdict = checkFulfilmentChange(dist.status as never, change.status as never, actor);
      if (!verdict.allowed) throw new HubError('conflict', `Order ${dist.number ?? orderId}: ${verdict.reason}.`, { details: { from: dist.status, to: change.status } });
      if (change.status === 'cancelled' && cancellationNeedsReason(actor) && !reason) {
        throw new HubError('invalid_data', 'reason: a cancellation needs a reason (it is reported with the refusal reasons).', { field: 'reason' });
      }
      const cancelledBy = change.status === 'cancelled' ? actor : null;
      await tx.$executeRawUnsafe(
        `UPDATE order_distribution SET status = $2, revision = revision + 1, updated_at = $3::timestamptz,
                completed_at = CASE WHEN $2 = 'completed' THEN $3::timestamptz ELSE completed_at END,
                cancelled_at = CASE WHEN $2 = 'cancelled' THEN $3::timestamptz ELSE cancelled_at END,
                cancelled_by = CASE WHEN $2 = 'cancelled' THEN $4 ELSE cancelled_by END,
                cancel_reason = CASE WHEN $2 = 'cancelled' THEN $5 ELSE cancel_reason END
          WHERE order_id = $1`,
        orderId, change.status, now.toISOString(), cancelledBy, reason ?? null,
      );
      if (change.status === 'cancelled') await withdrawOffers(tx, orderId, now);
      let points: { delta: number; balance: number } | null = null;
      const settings = (await this.configAt(tx, dist.config_version)).settings;
      const award = pointsFor({ to: change.status as never, cancelledBy: cancelledBy as never }, settings);
      if (award && dist.dealer_id) {
        const applied = await changePoints(tx, { dealerId: dist.dealer_id, delta: award.delta, cause: award.cause, orderId, changedBy: actorLabel(scope, dist.dealer_code ?? '') });
        if (applied.applied) points = { delta: award.delta, balance: applied.balance };
      }
      await event(tx, orderId, 'status', dist.dealer_id, actorLabel(scope, dist.dealer_code ?? ''), { from: dist.status, to: change.status, reason: reason ?? null, points, ...(cancelledBy && { cancelledBy }) }, now);
      if (cancelledBy === 'dealer') await notify(tx, null, orderId, 'cancelled_by_dealer', `Dealer ${dist.dealer_code} cancelled order ${dist.number ?? orderId}: ${reason}.`, now);
      if (cancelledBy === 'admin' && dist.dealer_id) await notify(tx, dist.dealer_id, orderId, 'cancelled', `Order ${dist.number ?? orderId} was cancelled by the manufacturer: ${reason ?? 'no reason given'}.`, now);
      await within?.(tx, {
        orderId, from: dist.status, to: change.status, round: dist.round, actor, dealerCode: dist.dealer_code, number: dist.number, reason: reason ?? null, by: actorLabel(scope, dist.dealer_code ?? ''),
      });
      return { orderId, status: change.status, points };
    });
  }

  /**
   * An admin hands an order to a dealer directly (from offering, unassigned, or another dealer).
   * The dealer must be eligible: not blocked, authorised, and not excluded by regional exclusivity
   * in the order's region. Otherwise it is refused (conflict) with every failed check, unless
   * forced with a written reason, which the assignment event and the audit log record. A blocked
   * dealer cannot be forced: it could not act on the order.
   */
  async assign(orderId: string, dealerCode: string, actor: Actor, options: AssignOptions = {}): Promise<{ orderId: string; dealerCode: string; status: 'assigned'; dueAt: string; forced: boolean }> {
    const now = this.clock();
    const force = options.force === true;
    const reason = options.reason?.trim() ?? '';
    if (force && reason === '') throw new HubError('invalid_data', 'Forcing an assignment needs a written reason.', { field: 'reason' });
    const checks = await this.assignChecks(orderId, dealerCode);
    const { dealer, failed } = checks;
    const blocking = failed.filter((f) => !force || f.check === 'blocked');
    if (blocking.length > 0) {
      const forceable = failed.every((f) => f.check !== 'blocked');
      throw new HubError(
        'conflict',
        `Dealer ${dealerCode} cannot be assigned order ${checks.number ?? orderId}: ${failed.map((f) => f.message).join('; ')}.${forceable ? ' Force it with a written reason to assign it anyway.' : ''}`,
        { details: { reason: 'not_eligible', dealer: dealerCode, forceable, checks: failed } },
      );
    }
    const overridden = force ? failed : [];
    return this.transaction(async (tx) => {
      const dist = await this.lockedDistribution(tx, orderId);
      if (FINAL_STATUSES.includes(dist.status as never)) throw new HubError('conflict', `Order ${dist.number ?? orderId} is ${dist.status}; it cannot be assigned.`);
      const settings = (await this.configAt(tx, dist.config_version)).settings;
      const dueAt = await assignLocked(tx, dist, dealer.id, 'admin', settings.fulfilmentDays, now);
      if (dist.dealer_id && dist.dealer_id !== dealer.id) {
        await notify(tx, dist.dealer_id, orderId, 'reassigned', `Order ${dist.number ?? orderId} was reassigned to another dealer by the manufacturer.`, now);
      }
      const forced = force ? { forced: true, reason, overridden } : {};
      await event(tx, orderId, 'assigned', dealer.id, actor.login, { dealer: dealerCode, via: 'admin', previous: dist.dealer_code, note: options.note ?? null, ...forced }, now);
      await recordAudit(tx, actor, {
        kind: 'change',
        action: force ? 'order.assign.forced' : 'order.assign',
        target: { type: 'order', id: orderId },
        before: { status: dist.status, dealer: dist.dealer_code },
        after: { status: 'assigned', dealer: dealerCode },
        details: { note: options.note ?? null, ...forced },
      });
      await notify(tx, dealer.id, orderId, 'assigned', `Order ${dist.number ?? orderId} was assigned to you by the manufacturer.`, now);
      return { orderId, dealerCode, status: 'assigned' as const, dueAt: dueAt.toISOString(), forced: force };
    });
  }

  /** What an admin's assign checks of the dealer: blocked, authorised, regional exclusivity in the order's region. */
  private async assignChecks(orderId: string, dealerCode: string): Promise<{ dealer: { id: string }; number: string | null; failed: AssignCheck[] }> {
    const [dealer] = await this.db.query<{ id: string; active: boolean; authorised: boolean }>(`SELECT id, active, authorised FROM dealer WHERE code = $1`, [dealerCode]);
    if (!dealer) throw new HubError('not_found', `Dealer ${dealerCode} does not exist.`);
    const order = await loadOrderFacts(this.db, orderId);
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    const failed: AssignCheck[] = [];
    if (!dealer.active) failed.push({ check: 'blocked', message: `dealer ${dealerCode} is blocked; unblock it before assigning orders to it` });
    if (!dealer.authorised) failed.push({ check: 'not_authorised', message: `dealer ${dealerCode} is not an authorised dealer` });
    const excluded = await exclusionOfDealer(this.db, order, dealerCode);
    if (excluded) failed.push({ check: 'exclusivity', message: `dealer ${dealerCode} is excluded by regional exclusivity: ${excluded.reason}`, rules: excluded.rules });
    return { dealer, number: order.facts.number, failed };
  }

  /**
   * Makes another of the dealer's users responsible for an order the dealer has (the dealer's head,
   * or the manufacturer's staff for the dealer named).
   */
  async reassign(scope: DealerScope, dealerCode: string, orderId: string, login: string): Promise<{ orderId: string; dealerCode: string; responsible: string }> {
    const now = this.clock();
    return this.transaction(async (tx) => {
      const dist = await this.lockedDistribution(tx, orderId);
      const owner = scope.kind === 'dealer' ? scope.dealerCode : dealerCode;
      if (dist.dealer_code !== owner || !(IN_FULFILMENT as readonly string[]).includes(dist.status)) {
        throw new HubError('not_found', `Order ${orderId} is not in work at dealer ${owner}.`);
      }
      const [manager] = await tx.$queryRawUnsafe<{ id: string; login: string; active: boolean }[]>(
        `SELECT id, login, active FROM dealer_manager WHERE dealer_id = $1 AND login = $2`,
        dist.dealer_id,
        login,
      );
      if (!manager) throw new HubError('invalid_data', `login: dealer ${owner} has no manager ${login}.`, { field: 'login' });
      if (!manager.active) throw new HubError('invalid_data', `login: ${login} is blocked.`, { field: 'login' });
      const [previous] = await tx.$queryRawUnsafe<{ login: string }[]>(`SELECT login FROM dealer_manager WHERE id = $1`, dist.responsible_manager_id ?? '');
      await tx.$executeRawUnsafe(
        `UPDATE order_distribution SET responsible_manager_id = $2, revision = revision + 1, updated_at = $3::timestamptz WHERE order_id = $1`,
        orderId,
        manager.id,
        now.toISOString(),
      );
      await event(tx, orderId, 'responsible', dist.dealer_id, actorName(scope), { dealer: owner, from: previous?.login ?? null, to: manager.login }, now);
      return { orderId, dealerCode: owner, responsible: manager.login };
    });
  }

  /** Runs what time makes due; safe to run from several workers at once (row locks, conditional updates). */
  async advance(): Promise<AdvanceReport> {
    const now = this.clock();
    const report: AdvanceReport = { notified: 0, fellBack: 0, overdue: 0, swept: 0 };
    report.notified = await this.notifyVisibleOffers(now);
    const overdueOffers = await this.db.query<{ order_id: string }>(
      `SELECT order_id FROM order_distribution WHERE status = 'offering' AND deadline_at <= $1::timestamptz ORDER BY deadline_at LIMIT ${ADVANCE_BATCH}`,
      [now.toISOString()],
    );
    for (const { order_id } of overdueOffers) if (await this.fallBackIfDue(order_id, now)) report.fellBack++;
    report.overdue = await this.flagOverdue(now);
    report.swept = await this.sweepUndistributed(now);
    return report;
  }

  /** The earliest moment advance() has work (null: none waiting); job runners arm their timer for it. */
  nextDueAt(): Promise<Date | null> {
    return nextDueAt(this.db, this.clock());
  }

  /** Hands an offering order whose deadline has passed to the fallback; false when it is not (or no longer) due. */
  private async fallBackIfDue(orderId: string, now: Date): Promise<boolean> {
    return this.transaction(async (tx) => {
      const dist = await this.lockedDistribution(tx, orderId);
      if (dist.status !== 'offering' || !dist.deadline_at || dist.deadline_at.getTime() > now.getTime()) return false;
      await this.fallBack(tx, dist, 'nobody took the order before the last tier closed', now);
      return true;
    });
  }

  // ---- deciding ----------------------------------------------------------------------------------------------------

  private async decide(
    order: OrderRecord, version: number, config: DistributionConfig, action: 'distributed' | 'redistributed', by?: string, force = false,
  ): Promise<DistributeOutcome> {
    const orderId = order.facts.orderId;
    const dealers = await loadCandidates(this.db, order, { everyone: reachesEveryone(config), named: dealersNamedIn(config) });
    const regionPaths = await loadRegionPaths(this.db, config);
    const now = this.clock();
    let overtaken: DistributionRow | undefined;
    let decided: Plan['outcome'] | undefined;
    const outcome = await this.transaction(async (tx) => {
      const q = queryable(tx);
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('orderhub:distribution:' || $1))`, orderId);
      // The row lock keeps takes, declines and the deadline out until the new round is written.
      await tx.$executeRawUnsafe(`SELECT 1 FROM order_distribution WHERE order_id = $1 FOR UPDATE`, orderId);
      const existing = await this.current(q, orderId);
      if (existing && action === 'distributed') {
        // Another worker decided it meanwhile.
        return { orderId, action: 'unchanged', status: existing.status, reason: 'already distributed' } satisfies DistributeOutcome;
      }
      if (existing && !force && !REOPENABLE_STATUSES.includes(existing.status)) {
        // A dealer took it (or the fallback got it) since the caller looked: the change is noted, the dealer keeps the order.
        overtaken = existing;
        return { orderId, action: 'unchanged', status: existing.status, reason: `order version ${order.version} noted; the order became ${existing.status} meanwhile` } satisfies DistributeOutcome;
      }
      // Declines read under the lock: one committed since the candidates were loaded still stands. A dealer
      // that cancelled the order after having it counts as having declined it (it is offered to the others).
      const declined = new Set(
        (await q.query<{ dealer_id: string }>(
          `SELECT dealer_id FROM dealer_offer WHERE order_id = $1 AND status = 'declined'
           UNION SELECT dealer_id FROM distribution_event WHERE order_id = $1 AND kind = 'status' AND detail->>'cancelledBy' = 'dealer' AND dealer_id IS NOT NULL`,
          [orderId],
        )).map((r) => r.dealer_id),
      );
      const facts = dealers.map((d) => (declined.has(d.id) ? { ...d, declined: true } : d));
      // Base+ quotas count what was given in the period: deciding two orders at once must not both see
      // the same counts. Only decisions a quota dealer could take part in need the counts and the lock.
      let quota = {};
      if (quotaMayApply(config, facts, order.facts)) {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('orderhub:distribution-quota'))`);
        quota = await loadQuotaStates(q, config, now, orderId);
      }
      const plan = this.strategy.plan({ order: order.facts, dealers: facts, config, configVersion: version, now, regionPaths, quota });
      const round = await this.persist(tx, order, version, config, plan, existing, now);
      decided = plan.outcome;
      await event(tx, orderId, action, null, by ?? 'hub', { round, configVersion: version, outcome: plan.outcome, offers: plan.offers.length, reason: plan.trace.result.reason, previousDealer: existing?.dealer_code ?? null }, now);
      if (existing?.dealer_id && plan.assignTo?.dealerId !== existing.dealer_id && (IN_FULFILMENT as readonly string[]).includes(existing.status)) {
        // An admin distributed a dealer's order again: the dealer hears it is no longer theirs.
        await notify(tx, existing.dealer_id, orderId, 'reassigned', `Order ${existing.number ?? orderId} was taken back by the manufacturer and distributed again.`, now);
      }
      return { orderId, action, status: statusOf(plan), reason: plan.trace.result.reason } satisfies DistributeOutcome;
    });
    if (overtaken) await this.noteOrderChange(overtaken, order);
    else if (outcome.action !== 'unchanged') {
      dueTimesChanged(this.db);
      if (decided) committed(this.db, 'distributionDecided', { orderId, first: action === 'distributed', outcome: decided });
    }
    return outcome;
  }

  private async persist(tx: Tx, order: OrderRecord, version: number, config: DistributionConfig, plan: Plan, existing: DistributionRow | undefined, now: Date): Promise<number> {
    const orderId = order.facts.orderId;
    const status = statusOf(plan);
    const assigned = plan.assignTo;
    const dueAt = assigned ? addDays(now, config.settings.fulfilmentDays) : null;
    if (existing) await withdrawOffers(tx, orderId, now);
    const [row] = await tx.$queryRawUnsafe<{ round: number }[]>(
      `INSERT INTO order_distribution (order_id, status, config_version, order_version, round, revision, started_at, deadline_at, dealer_id,
                                       assigned_via, assigned_at, quota_dealer_id, due_at, trace, updated_at, responsible_manager_id)
       VALUES ($1, $2, $3, $4, 1, 1, $5::timestamptz, $6::timestamptz, $7, $8, $9::timestamptz, $10, $11::timestamptz, $12::jsonb, $5::timestamptz, ${HEAD_OF('$7')})
       ON CONFLICT (order_id) DO UPDATE SET
         status = EXCLUDED.status, config_version = EXCLUDED.config_version, order_version = EXCLUDED.order_version,
         round = order_distribution.round + 1, revision = order_distribution.revision + 1, deadline_at = EXCLUDED.deadline_at,
         dealer_id = EXCLUDED.dealer_id, assigned_via = EXCLUDED.assigned_via, assigned_at = EXCLUDED.assigned_at,
         quota_dealer_id = EXCLUDED.quota_dealer_id, due_at = EXCLUDED.due_at, trace = EXCLUDED.trace, updated_at = EXCLUDED.updated_at,
         responsible_manager_id = EXCLUDED.responsible_manager_id, completed_at = NULL, cancelled_at = NULL, cancelled_by = NULL, cancel_reason = NULL, overdue_notified_at = NULL
       RETURNING round`,
      orderId, status, version, order.version, now.toISOString(), plan.deadlineAt?.toISOString() ?? null, assigned?.dealerId ?? null,
      assigned?.via ?? null, assigned ? now.toISOString() : null, plan.quotaDealerId, dueAt?.toISOString() ?? null, JSON.stringify(plan.trace),
    );
    const round = row!.round;
    if (plan.offers.length > 0) {
      const offers = plan.offers.map((o) => ({
        id: randomUUID(), dealer_id: o.dealerId, tier: o.tier, tier_kind: o.tierKind, rank: o.rank,
        visible_from: o.visibleFrom.toISOString(), expires_at: o.expiresAt?.toISOString() ?? null,
      }));
      await tx.$executeRawUnsafe(
        `INSERT INTO dealer_offer (id, order_id, round, dealer_id, tier, tier_kind, rank, visible_from, expires_at, status, created_at)
         SELECT x.id, $2, $3, x.dealer_id, x.tier, x.tier_kind, x.rank, x.visible_from, x.expires_at, 'open', $4::timestamptz
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, dealer_id text, tier int, tier_kind text, rank int, visible_from timestamptz, expires_at timestamptz)`,
        JSON.stringify(offers), orderId, round, now.toISOString(),
      );
      // Dealers who see it at once are told at once; later tiers are told by advance() when their moment comes.
      await notifyVisible(tx, now, orderId);
    }
    const label = order.facts.number ?? orderId;
    if (assigned) {
      await event(tx, orderId, 'assigned', assigned.dealerId, 'hub', { dealer: assigned.dealerCode, via: assigned.via, reason: assigned.reason }, now);
      await notify(tx, assigned.dealerId, orderId, 'assigned', `Order ${label} was assigned to you (${assigned.via}): ${assigned.reason}.`, now);
    }
    if (plan.outcome === 'unassigned') {
      await notify(tx, null, orderId, 'unassigned', `Order ${label} could not be given to any dealer: ${plan.trace.result.reason}.`, now);
    }
    return round;
  }

  // ---- time --------------------------------------------------------------------------------------------------------

  /** When every dealer who sees the order has declined, the next tier opens now instead of at its time. */
  private async escalateIfNobodyLeft(tx: Tx, dist: DistributionRow, now: Date): Promise<boolean> {
    const [state] = await tx.$queryRawUnsafe<{ visible: number; next_at: Date | null }[]>(
      `SELECT count(*) FILTER (WHERE o.visible_from <= $3::timestamptz AND (o.expires_at IS NULL OR o.expires_at > $3::timestamptz) AND d.active)::int AS visible,
              min(o.visible_from) FILTER (WHERE o.visible_from > $3::timestamptz) AS next_at
         FROM dealer_offer o JOIN dealer d ON d.id = o.dealer_id WHERE o.order_id = $1 AND o.round = $2 AND o.status = 'open'`,
      dist.order_id, dist.round, now.toISOString(),
    );
    if (!state || state.visible > 0) return false;
    if (!state.next_at) {
      await this.fallBack(tx, dist, 'every dealer it was offered to declined it', now);
      return true;
    }
    const shiftMs = new Date(state.next_at).getTime() - now.getTime();
    await tx.$executeRawUnsafe(
      `UPDATE dealer_offer SET visible_from = visible_from - ($3::bigint * interval '1 millisecond'),
                               expires_at = expires_at - ($3::bigint * interval '1 millisecond')
        WHERE order_id = $1 AND round = $2 AND status = 'open' AND visible_from > $4::timestamptz`,
      dist.order_id, dist.round, shiftMs, now.toISOString(),
    );
    await tx.$executeRawUnsafe(
      `UPDATE order_distribution SET deadline_at = deadline_at - ($2::bigint * interval '1 millisecond'), revision = revision + 1, updated_at = $3::timestamptz WHERE order_id = $1`,
      dist.order_id, shiftMs, now.toISOString(),
    );
    await this.recordActualVisibility(tx, dist.order_id, shiftMs, now);
    // visibleFrom: when the next offers actually became visible; insteadOf: when they were due until now.
    await event(tx, dist.order_id, 'escalated', null, 'hub', {
      reason: 'every dealer who saw it declined', earlierBySeconds: Math.round(shiftMs / 1000), visibleFrom: now.toISOString(),
      insteadOf: new Date(state.next_at).toISOString(),
    }, now);
    await notifyVisible(tx, now, dist.order_id);
    return true;
  }

  /**
   * The trace keeps the plan (opensAt, closesAt, visibleFrom) and, once an escalation moved them,
   * the moments that actually apply (actualOpensAt, actualClosesAt, visibleAt): what the details
   * and the reports read, the same moments the offers' visible_from now hold.
   */
  private async recordActualVisibility(tx: Tx, orderId: string, shiftMs: number, now: Date): Promise<void> {
    const [row] = await tx.$queryRawUnsafe<{ trace: DecisionTrace | null }[]>(`SELECT trace FROM order_distribution WHERE order_id = $1`, orderId);
    const trace = row?.trace;
    if (!trace?.tiers) return;
    const moved = (planned: string | null, actual: string | null | undefined): string | null | undefined => {
      const current = actual ?? planned;
      if (!current || new Date(current).getTime() <= now.getTime()) return actual;
      return new Date(new Date(current).getTime() - shiftMs).toISOString();
    };
    for (const tier of trace.tiers) {
      if (!tier.opensAt) continue;
      const closes = moved(tier.closesAt, tier.actualClosesAt);
      const opens = moved(tier.opensAt, tier.actualOpensAt);
      // A tier open when the escalation came keeps its opening; its end still moves.
      if (opens !== undefined) tier.actualOpensAt = opens;
      if (closes !== undefined) tier.actualClosesAt = closes;
      for (const offer of tier.offeredTo) {
        const visible = moved(offer.visibleFrom, offer.visibleAt);
        if (visible !== undefined && visible !== null) offer.visibleAt = visible;
      }
    }
    await tx.$executeRawUnsafe(`UPDATE order_distribution SET trace = $2::jsonb WHERE order_id = $1`, orderId, JSON.stringify(trace));
  }

  /** The order goes to the configuration's fallback dealer; without a usable one it is left unassigned and the admins are told. */
  private async fallBack(tx: Tx, dist: DistributionRow, why: string, now: Date): Promise<void> {
    const config = await this.configAt(tx, dist.config_version);
    const code = config.settings.fallbackDealer;
    const [fallback] = code ? await tx.$queryRawUnsafe<{ id: string; active: boolean }[]>(`SELECT id, active FROM dealer WHERE code = $1`, code) : [];
    const label = dist.number ?? dist.order_id;
    // The fallback is held to the order's exclusivity like any dealer: a non-partner leaves the order to the admins.
    const order = fallback?.active && code ? await loadOrderFacts(queryable(tx), dist.order_id) : undefined;
    const excluded = order && code ? await exclusionOfDealer(queryable(tx), order, code) : null;
    // A fallback dealer that gave this order back (cancelled it) is not handed it again: the admins decide.
    const [gaveBack] = fallback?.active && !excluded
      ? await tx.$queryRawUnsafe<{ reason: string | null }[]>(
        `SELECT detail->>'reason' AS reason FROM distribution_event WHERE order_id = $1 AND dealer_id = $2 AND kind = 'status' AND detail->>'cancelledBy' = 'dealer' LIMIT 1`,
        dist.order_id, fallback.id,
      )
      : [];
    if (fallback?.active && !excluded && !gaveBack) {
      await assignLocked(tx, dist, fallback.id, 'fallback', config.settings.fulfilmentDays, now);
      await event(tx, dist.order_id, 'fallback', fallback.id, 'hub', { dealer: code, reason: why }, now);
      await notify(tx, fallback.id, dist.order_id, 'assigned', `Order ${label} was assigned to you as the fallback: ${why}.`, now);
      return;
    }
    const missing = !code
      ? 'no fallback dealer is configured'
      : !fallback
        ? `fallback dealer ${code} does not exist`
        : !fallback.active
          ? `fallback dealer ${code} is blocked`
          : excluded
            ? `fallback dealer ${code} is excluded by regional exclusivity: ${excluded.reason}`
            : `fallback dealer ${code} gave the order back (${gaveBack?.reason ?? 'cancelled it'})`;
    await withdrawOffers(tx, dist.order_id, now);
    await tx.$executeRawUnsafe(
      `UPDATE order_distribution SET status = 'unassigned', revision = revision + 1, updated_at = $2::timestamptz WHERE order_id = $1`,
      dist.order_id, now.toISOString(),
    );
    await event(tx, dist.order_id, 'unassigned', null, 'hub', { reason: `${why}; ${missing}` }, now);
    await notify(tx, null, dist.order_id, 'unassigned', `Order ${label} is unassigned: ${why}, and ${missing}.`, now);
  }

  private async notifyVisibleOffers(now: Date): Promise<number> {
    return this.transaction((tx) => notifyVisible(tx, now));
  }

  private async flagOverdue(now: Date): Promise<number> {
    return this.transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ order_id: string; dealer_id: string | null; number: string | null; code: string | null }[]>(
        `WITH due AS (
           UPDATE order_distribution SET overdue_notified_at = $1::timestamptz
            WHERE order_id IN (SELECT order_id FROM order_distribution WHERE status = ANY($2::text[]) AND due_at < $1::timestamptz
                                 AND overdue_notified_at IS NULL ORDER BY due_at LIMIT ${ADVANCE_BATCH} FOR UPDATE SKIP LOCKED)
           RETURNING order_id, dealer_id)
         SELECT due.order_id, due.dealer_id, o.number, d.code FROM due JOIN "order" o ON o.id = due.order_id LEFT JOIN dealer d ON d.id = due.dealer_id`,
        now.toISOString(), IN_FULFILMENT,
      );
      for (const r of rows) {
        const label = r.number ?? r.order_id;
        await event(tx, r.order_id, 'overdue', r.dealer_id, 'hub', { dealer: r.code }, now);
        if (r.dealer_id) await notify(tx, r.dealer_id, r.order_id, 'overdue', `Order ${label} is past its fulfilment term.`, now);
        await notify(tx, null, r.order_id, 'overdue', `Order ${label} of dealer ${r.code ?? '?'} is past its fulfilment term.`, now);
      }
      return rows.length;
    });
  }

  /** Orders an interrupted intake left undistributed (created since distribution was turned on, within the sweep window). */
  private async sweepUndistributed(now: Date): Promise<number> {
    const active = await this.configs.active();
    if (!active) return 0;
    const [first] = await this.db.query<{ created_at: Date }>(`SELECT created_at FROM distribution_config ORDER BY version LIMIT 1`);
    const since = new Date(Math.max(new Date(first!.created_at).getTime(), now.getTime() - SWEEP_WINDOW_DAYS * 86_400_000));
    const { channelKinds, channels, statuses } = active.config.settings.distribute;
    const rows = await this.db.query<{ id: string }>(
      `SELECT o.id FROM "order" o JOIN channel c ON c.id = o.channel_id
        WHERE o.created_at >= $1::timestamptz AND o.status = ANY($2::text[]) AND (c.kind = ANY($3::text[]) OR c.name = ANY($4::text[]))
          AND NOT EXISTS (SELECT 1 FROM order_distribution d WHERE d.order_id = o.id)
        ORDER BY o.created_at LIMIT ${ADVANCE_BATCH}`,
      [since.toISOString(), statuses, channelKinds, channels],
    );
    // Distributions that lag their order: a change or a cancellation whose handling failed after intake
    // (each run either brings the distribution up to the order's version or finishes it, so none loops).
    const lagging = await this.db.query<{ id: string }>(
      `SELECT d.order_id AS id FROM order_distribution d JOIN "order" o ON o.id = d.order_id
        WHERE d.status <> ALL($1::text[])
          AND (o.version > d.order_version OR o.status = ANY($2::text[]))
        ORDER BY d.updated_at LIMIT ${ADVANCE_BATCH}`,
      [FINAL_STATUSES, CLOSED_STATUSES],
    );
    let swept = 0;
    for (const { id } of [...rows, ...lagging]) {
      try {
        const outcome = await this.distributeWith(active, id);
        if (outcome.action !== 'unchanged' && outcome.action !== 'skipped') swept++;
      } catch (error) {
        // Left for the next tick; one bad order does not stop the others.
        await this.recordFailure(id, error as Error);
      }
    }
    return swept;
  }

  // ---- helpers -----------------------------------------------------------------------------------------------------

  /**
   * A distribution that failed is visible to ops: an event in the order's history and a notice to
   * the admins, once per distinct error (the tick retries every minute; it does not repeat itself).
   */
  private async recordFailure(orderId: string, error: Error): Promise<void> {
    const message = error.message.slice(0, 2000);
    try {
      await this.transaction(async (tx) => {
        const [last] = await tx.$queryRawUnsafe<{ kind: string; error: string | null }[]>(
          `SELECT kind, detail->>'error' AS error FROM distribution_event WHERE order_id = $1 ORDER BY id DESC LIMIT 1`, orderId,
        );
        if (last?.kind === 'failed' && last.error === message) return;
        const now = this.clock();
        await event(tx, orderId, 'failed', null, 'hub', { error: message, code: isHubError(error) ? error.code : 'internal' }, now);
        await notify(tx, null, orderId, 'distribution_failed', `Distribution of order ${orderId} failed: ${message}`, now);
      });
    } catch {
      // The order is gone or the database is down: there is nothing to record the failure on; the caller logs it.
    }
  }

  private async cancelForClient(orderId: string, reason: string): Promise<DistributeOutcome> {
    const now = this.clock();
    return this.transaction(async (tx) => {
      const dist = await this.lockedDistribution(tx, orderId);
      if (FINAL_STATUSES.includes(dist.status as never)) return { orderId, action: 'unchanged', status: dist.status, reason: `already ${dist.status}` } satisfies DistributeOutcome;
      await withdrawOffers(tx, orderId, now);
      await tx.$executeRawUnsafe(
        `UPDATE order_distribution SET status = 'cancelled', cancelled_at = $2::timestamptz, cancelled_by = 'client', cancel_reason = $3,
                revision = revision + 1, updated_at = $2::timestamptz WHERE order_id = $1`,
        orderId, now.toISOString(), reason,
      );
      await event(tx, orderId, 'status', dist.dealer_id, 'channel', { from: dist.status, to: 'cancelled', cancelledBy: 'client', reason }, now);
      if (dist.dealer_id) await notify(tx, dist.dealer_id, orderId, 'cancelled', `Order ${dist.number ?? orderId} was cancelled by the client: ${reason}.`, now);
      return { orderId, action: 'cancelled', status: 'cancelled', reason } satisfies DistributeOutcome;
    });
  }

  /** The order changed after a dealer got it: the dealer is told, the distribution stands. */
  private async noteOrderChange(dist: DistributionRow, order: OrderRecord): Promise<void> {
    const now = this.clock();
    await this.transaction(async (tx) => {
      const updated = await tx.$executeRawUnsafe(
        `UPDATE order_distribution SET order_version = $2, revision = revision + 1, updated_at = $3::timestamptz WHERE order_id = $1 AND order_version < $2`,
        dist.order_id, order.version, now.toISOString(),
      );
      if (updated === 0) return;
      await event(tx, dist.order_id, 'order_changed', dist.dealer_id, 'channel', { version: order.version, status: dist.status }, now);
      if (dist.dealer_id && (IN_FULFILMENT as readonly string[]).includes(dist.status)) {
        await notify(tx, dist.dealer_id, dist.order_id, 'order_changed', `Order ${dist.number ?? dist.order_id} was changed by the client (version ${order.version}).`, now);
      }
    });
  }

  /**
   * Why a take found nothing to take. A dealer the order was never offered to, and one that lost it
   * (another dealer took it, the manufacturer gave it elsewhere), hear the same 404 "not offered to
   * you": neither learns who has it. A take after the window closed is refused as window_closed,
   * and an order still offering past its deadline goes to the fallback now, as the tick would.
   */
  private async whyNotTaken(orderId: string, dealer: { id: string; code: string; active: boolean }, now: Date): Promise<TakeResult> {
    const dist = await this.current(this.db, orderId);
    if (!dist) throw notOfferedToYou(orderId, 'not_offered');
    const label = dist.number ?? orderId;
    if (dist.dealer_id === dealer.id && (IN_FULFILMENT as readonly string[]).includes(dist.status)) {
      const [row] = await this.db.query<{ due_at: Date; seconds: number }>(
        `SELECT d.due_at, coalesce(extract(epoch FROM (o.responded_at - o.visible_from))::int, 0) AS seconds
           FROM order_distribution d LEFT JOIN dealer_offer o ON o.order_id = d.order_id AND o.round = d.round AND o.dealer_id = d.dealer_id
          WHERE d.order_id = $1`,
        [orderId],
      );
      return { orderId, dealerCode: dealer.code, status: 'assigned', dueAt: new Date(row!.due_at).toISOString(), secondsToTake: row!.seconds, alreadyYours: true };
    }
    if (!dealer.active) throw new HubError('not_allowed', `Dealer ${dealer.code} is blocked and cannot take orders.`, { details: { reason: 'dealer_blocked' } });
    const [offer] = await this.db.query<{ status: string; visible_from: Date; expires_at: Date | null }>(
      `SELECT status, visible_from, expires_at FROM dealer_offer WHERE order_id = $1 AND dealer_id = $2 AND round = $3`,
      [orderId, dealer.id, dist.round],
    );
    // Asked first: a dealer the order was never offered to learns nothing of its state (not even its
    // number); one offered it in an earlier round only hears that it is not offered to it now.
    if (!offer) throw await notOfferedToDealer(this.db, { orderId, number: dist.number, holderId: dist.dealer_id }, dealer.id);
    if (dist.status === 'cancelled') throw new HubError('conflict', `Order ${label} was cancelled.`, { details: { reason: 'cancelled' } });
    if (offer.status === 'declined') throw new HubError('not_allowed', `Dealer ${dealer.code} declined order ${label}.`, { details: { reason: 'declined' } });
    // Another dealer's take, or the manufacturer's assignment: this dealer lost it, to whom is not its business.
    if (dist.status !== 'offering' && dist.status !== 'unassigned' && dist.assigned_via !== 'fallback') throw notOfferedToYou(label, 'taken_by_another');
    if (dist.status === 'offering' && new Date(offer.visible_from).getTime() > now.getTime()) {
      throw new HubError('not_allowed', `Order ${label} is offered to dealer ${dealer.code} only from ${new Date(offer.visible_from).toISOString()}.`, { details: { reason: 'not_yet_visible' } });
    }
    const expiry = offer.expires_at ? new Date(offer.expires_at) : null;
    const closedAt = expiry && expiry.getTime() <= now.getTime() ? expiry : dist.deadline_at;
    if (closedAt && closedAt.getTime() <= now.getTime()) {
      if (dist.status === 'offering' && dist.deadline_at && dist.deadline_at.getTime() <= now.getTime() && (await this.fallBackIfDue(orderId, now))) dueTimesChanged(this.db);
      throw new HubError('conflict', `The window to take order ${label} closed at ${closedAt.toISOString()}.`, { details: { reason: 'window_closed', closedAt: closedAt.toISOString() } });
    }
    if (dist.status === 'unassigned' || dist.assigned_via === 'fallback') {
      // Every dealer it was offered to declined (this one's offer had expired, or it was blocked meanwhile).
      throw new HubError('conflict', `Order ${label} is no longer offered to dealers.`, { details: { reason: 'no_longer_offered' } });
    }
    // Still offering, yet this dealer's offer is no longer open: the round changed under the take.
    throw notOfferedToYou(label, 'taken_by_another');
  }

  private async dealerOf(scope: DealerScope, what: string): Promise<{ id: string; code: string; active: boolean }> {
    if (scope.kind !== 'dealer') throw new HubError('not_allowed', `Only a dealer can ${what}; an admin assigns orders instead.`);
    const [dealer] = await this.db.query<{ id: string; code: string; active: boolean }>(`SELECT id, code, active FROM dealer WHERE code = $1`, [scope.dealerCode]);
    if (!dealer) throw new HubError('not_found', `Dealer ${scope.dealerCode} does not exist.`);
    return dealer;
  }

  private async current(q: Queryable, orderId: string): Promise<DistributionRow | undefined> {
    const [row] = await q.query<DistributionRow>(
      `SELECT d.order_id, d.status, d.config_version, d.order_version, d.round, d.dealer_id, dl.code AS dealer_code, d.assigned_via, d.deadline_at, o.number,
              d.responsible_manager_id
         FROM order_distribution d JOIN "order" o ON o.id = d.order_id LEFT JOIN dealer dl ON dl.id = d.dealer_id WHERE d.order_id = $1`,
      [orderId],
    );
    return row ? { ...row, deadline_at: row.deadline_at ? new Date(row.deadline_at) : null } : undefined;
  }

  /** The distribution row, locked; `asker` a dealer: an order not being distributed is one not offered to it. */
  private async lockedDistribution(tx: Tx, orderId: string, asker?: DealerScope): Promise<DistributionRow> {
    await tx.$queryRawUnsafe(`SELECT 1 FROM order_distribution WHERE order_id = $1 FOR UPDATE`, orderId);
    const dist = await this.current(queryable(tx), orderId);
    if (!dist && asker?.kind === 'dealer') throw notOfferedToYou(orderId, 'not_offered');
    if (!dist) throw new HubError('not_found', `Order ${orderId} is not being distributed.`);
    return dist;
  }

  /**
   * What a dealer hears when it tries to move on an order that is not its own: offered to it and not
   * yet taken, or (404) not offered to it, with its number only if it ever was, never who has it.
   */
  private async notTheDealers(tx: Tx, dist: DistributionRow, dealerCode: string, now: Date): Promise<HubError> {
    const [own] = await tx.$queryRawUnsafe<{ id: string; open: boolean }[]>(
      `SELECT dl.id, EXISTS (SELECT 1 FROM dealer_offer o WHERE o.order_id = $2 AND o.dealer_id = dl.id AND o.round = $3 AND o.status = 'open'
                                AND o.visible_from <= $4::timestamptz AND (o.expires_at IS NULL OR o.expires_at > $4::timestamptz)) AS open
         FROM dealer dl WHERE dl.code = $1`,
      dealerCode, dist.order_id, dist.round, now.toISOString(),
    );
    if (own?.open && dist.status === 'offering') {
      return new HubError('conflict', `Order ${dist.number ?? dist.order_id} is offered to you; take it before moving it on.`, { details: { reason: 'not_taken' } });
    }
    return notOfferedToDealer(queryable(tx), { orderId: dist.order_id, number: dist.number, holderId: dist.dealer_id }, own?.id);
  }

  private readonly configCache = new Map<number, DistributionConfig>();

  /** The configuration that decided a distribution: its points and fallback apply to it, even after a newer version is saved. */
  private async configAt(tx: Tx, version: number): Promise<DistributionConfig> {
    let config = this.configCache.get(version);
    if (!config) {
      // Read inside the caller's transaction: PGlite has one connection, a query beside the transaction would wait for it forever.
      const [row] = await tx.$queryRawUnsafe<{ config: DistributionConfig }[]>(`SELECT config FROM distribution_config WHERE version = $1`, version);
      if (!row) throw new HubError('internal', `Distribution configuration version ${version} is missing.`);
      config = row.config;
      this.configCache.set(version, config);
    }
    return config;
  }

  private transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.prisma.$transaction(work, TX_OPTIONS);
  }
}

// ---- helpers of the flows above ----------------------------------------------------------------------------------

function statusOf(plan: Plan): 'offering' | 'assigned' | 'unassigned' {
  return plan.outcome === 'offer' ? 'offering' : plan.outcome === 'assign' ? 'assigned' : 'unassigned';
}

function appliesTo(config: DistributionConfig, order: OrderRecord): { ok: true } | { ok: false; reason: string } {
  const { channelKinds, channels, statuses } = config.settings.distribute;
  const channel = order.facts.channel;
  // The manufacturer fulfils a dealer's own purchase: it is never offered to dealers as a client's order.
  if (order.dealerBuyer) return { ok: false, reason: `a purchase of dealer ${order.dealerBuyer} from the manufacturer is not distributed to dealers` };
  if (!channelKinds.includes(channel.kind) && !channels.includes(channel.name)) {
    return { ok: false, reason: `channel ${channel.name} (${channel.kind}) is not distributed to dealers` };
  }
  if (!statuses.includes(order.status)) return { ok: false, reason: `orders that are ${order.status} are not distributed (statuses: ${statuses.join(', ')})` };
  return { ok: true };
}

async function assignLocked(tx: Tx, dist: DistributionRow, dealerId: string, via: 'admin' | 'fallback', fulfilmentDays: number, now: Date): Promise<Date> {
  const dueAt = addDays(now, fulfilmentDays);
  await withdrawOffers(tx, dist.order_id, now);
  await tx.$executeRawUnsafe(
    `UPDATE order_distribution SET status = 'assigned', dealer_id = $2, assigned_via = $3, assigned_at = $4::timestamptz, due_at = $5::timestamptz,
            overdue_notified_at = NULL, revision = revision + 1, updated_at = $4::timestamptz, responsible_manager_id = ${HEAD_OF('$2')} WHERE order_id = $1`,
    dist.order_id, dealerId, via, now.toISOString(), dueAt.toISOString(),
  );
  return dueAt;
}





function actorLabel(scope: DealerScope, dealerCode: string): string {
  return scope.kind === 'dealer' && !scope.login ? `dealer ${dealerCode}` : actorName(scope);
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}
