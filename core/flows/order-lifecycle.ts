import { mappingOptionsOf } from '../channels/reference-data.ts';
import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { DealerScope } from '../dealers/dealer-scope.ts';
import { DistributionService, type FulfilmentChange } from '../distribution/distribution-service.ts';
import type { DistributionStrategy } from '../distribution/distribution-strategy.ts';
import { HubError } from '../errors.ts';
import type { ChannelMapping, RawPayloadInput } from '../model/mapping.ts';
import type { OrderDraft } from '../model/order.ts';
import type { IntakeResult } from '../orders/intake.ts';
import { checkTransition, type OrderStatus } from '../orders/order-status.ts';
import { KEPT_RESULTS, PAYLOAD_CHUNK_ORDERS, processPayload, type IntakeChunk, type MappingLookup, type PayloadOutcome } from '../orders/payload-processing.ts';
import { mappingInput } from '../orders/raw-archive-text.ts';
import { queueStatusWriteBack } from '../outbound/status-writeback.ts';
import { StockService, type StockCheckView } from '../stock/stock-service.ts';
import { acknowledgeOrder, reportPayloadSyntax, type AcknowledgementLookup } from './acknowledgement.ts';
import { OrderSteps, type StepName, type StepOutcome, type StepResult } from './order-steps.ts';
import { applyStock, type StockAction } from './stock-step.ts';

/**
 * What happens to an order, as named steps (in the spirit of Medusa's workflows), one composition
 * for every path:
 *
 *   intake:  payload read into orders → stock → acknowledgement (channels that take one) → distribution
 *   back:    a dealer's or an admin's status change → core status (transition table) and the channel's
 *            write-back queued, in the change's own transaction → stock (ship on completion, release on
 *            cancellation) → distribution (a dealer's cancellation is offered again to the other dealers
 *            after a fresh stock check; the admin's cancellation ends it)
 *
 * A channel's own changes come back through intake: a cancelled order is released and withdrawn, a
 * shipped or completed one ships its hold; nothing is written back to the channel it came from.
 * Every step is idempotent and leaves a row in the order's history (order_step); a failed step is
 * retried by the minute's tick (`retryDue`) with backoff. jobs/ only drives these functions.
 */

type Tx = Prisma.TransactionClient;

export interface OrderLifecycleOptions {
  /** Reads payloads into drafts (intake); injected so core never imports mappings. */
  mappingFor?: MappingLookup | undefined;
  /** Writes channels' acknowledgements; injected so core never imports connectors or mappings. */
  acknowledgementFor?: AcknowledgementLookup | undefined;
  clock?: (() => Date) | undefined;
  stock?: StockService | undefined;
  strategy?: DistributionStrategy | undefined;
}

/** A step that failed in this run (it is recorded and retried; the caller may log it). */
export interface FailedStep {
  orderId: string;
  step: StepName;
}

export interface IntakeSteps {
  /** The stock checks this intake made, by order id. */
  checks: Map<string, StockCheckView>;
  failed: FailedStep[];
}

export interface RetryReport {
  ran: number;
  done: number;
  failed: number;
}

export type StatusChangeResult = Awaited<ReturnType<DistributionService['changeStatus']>>;

/** What a dealer's or an admin's change makes of the core order; null when the core status stays. */
export function coreStatusFor(change: Pick<FulfilmentChange, 'to' | 'actor'>): OrderStatus | null {
  if (change.to === 'in_progress') return 'in_progress';
  if (change.to === 'completed') return 'completed';
  // A dealer that gives an order back leaves it received, to be offered to the others; the manufacturer's cancellation ends it.
  if (change.to === 'cancelled') return change.actor === 'dealer' ? 'received' : 'cancelled';
  return null;
}

export class OrderLifecycle {
  readonly steps: OrderSteps;
  readonly distribution: DistributionService;
  readonly stock: StockService;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Database,
    private readonly options: OrderLifecycleOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.steps = new OrderSteps(db, this.clock);
    this.stock = options.stock ?? new StockService(db);
    this.distribution = new DistributionService(db, { clock: this.clock, strategy: options.strategy });
  }

  // ---- intake --------------------------------------------------------------------------------------------------------

  /**
   * Reads one archived payload into orders (idempotent like every intake) and runs the after-intake
   * steps chunk by chunk, as each chunk of a large file is committed (see processPayload): memory and
   * transactions stay bounded by the chunk, and orders of the first chunks move on while the rest is read.
   * The checks and failed steps returned are those of the first KEPT_RESULTS orders (every failed step
   * is recorded in the order's history and retried by the tick anyway).
   */
  async intakePayload(payloadId: string): Promise<PayloadOutcome & { steps: IntakeSteps }> {
    if (!this.options.mappingFor) throw new HubError('internal', 'The order lifecycle was composed without mappings; it cannot read payloads.');
    const steps: IntakeSteps = { checks: new Map(), failed: [] };
    const outcome = await processPayload(this.db, payloadId, this.options.mappingFor, {
      afterChunk: async (chunk) => {
        const done = await this.afterIntake(chunk);
        for (const [orderId, check] of done.checks) if (steps.checks.size < KEPT_RESULTS) steps.checks.set(orderId, check);
        steps.failed.push(...done.failed.slice(0, Math.max(0, KEPT_RESULTS - steps.failed.length)));
      },
    });
    // The partner hears about the payload's syntax (CONTRL, 997) even when it made no order.
    await this.reportSyntax(payloadId, outcome.refusedDuplicates ?? []);
    return { ...outcome, steps };
  }

  /** The channel's syntax-level report on a payload, when its channel asks for one (recorded once per payload). */
  private async reportSyntax(payloadId: string, refusedDuplicates: { level: string; controlRef: string }[]): Promise<void> {
    const lookup = this.options.acknowledgementFor;
    if (!lookup) return;
    const payload = await this.db.prisma.rawPayload.findUnique({ where: { id: payloadId }, select: { channel: { select: { connectorType: true } } } });
    const format = payload && lookup(payload.channel.connectorType);
    const duplicateInterchanges = refusedDuplicates.filter((d) => d.level === 'interchange').map((d) => d.controlRef);
    if (format) await reportPayloadSyntax(this.db, format, payloadId, { duplicateInterchanges });
  }

  /**
   * Every order a payload (or one chunk of it) created or changed: stock (its version reserved, or
   * released/shipped as its status says), the channel's acknowledgement (line by line from the check),
   * then distribution (a new order offered, a changed one re-offered while nobody has it, a cancelled
   * one withdrawn). An order the payload left unchanged whose version this same payload made gets its
   * steps too (each runs once per version, so done ones are no-ops): a try that stopped between a
   * chunk's commit and its steps is completed when the payload is read again.
   */
  async afterIntake(outcome: IntakeChunk): Promise<IntakeSteps> {
    const steps: IntakeSteps = { checks: new Map(), failed: [] };
    const made = outcome.results.filter((r) => r.orderId && (r.outcome === 'created' || r.outcome === 'updated'));
    const changed = latestPerOrder([...made, ...(await this.madeEarlierBy(outcome))]);
    const note = (orderId: string, step: StepName, result: StepOutcome) => {
      if (result === 'failed') steps.failed.push({ orderId, step });
    };
    for (const r of changed) {
      const orderId = r.orderId!;
      const statusChange = r.changes?.find((c) => c.field === 'status' && !c.refused);
      if (statusChange) {
        // The channel told us; telling it back would be an echo.
        await this.steps.recordIn(this.db.prisma, orderId, 'status_writeback', `v${r.version}`, {
          outcome: 'skipped', detail: { status: statusChange.to, reason: 'the change came from the channel' },
        });
      }
      note(orderId, 'stock', await this.steps.run(orderId, 'stock', `v${r.version}`, {}, async () => {
        const { check, ...result } = await applyStock(this.db, this.stock, orderId);
        if (check) steps.checks.set(orderId, check);
        return result;
      }));
    }
    for (const failed of await this.acknowledge(outcome, steps.checks)) note(failed.orderId, failed.step, 'failed');
    for (const r of changed) note(r.orderId!, 'distribution', await this.steps.run(r.orderId!, 'distribution', `v${r.version}`, {}, () => this.distributeStep(r.orderId!)));
    return steps;
  }

  /** Unchanged results whose current version was read from this same payload (an earlier, interrupted try). */
  private async madeEarlierBy(outcome: IntakeChunk): Promise<IntakeResult[]> {
    const unchanged = outcome.results.filter((r) => r.orderId && r.outcome === 'unchanged');
    if (unchanged.length === 0) return [];
    const rows = await this.db.query<{ order_id: string; version: number }>(
      `SELECT order_id, version FROM order_version WHERE raw_payload_id = $1 AND order_id = ANY($2::text[])`,
      [outcome.payloadId, unchanged.map((r) => r.orderId!)],
    );
    const own = new Set(rows.map((r) => `${r.order_id}|${r.version}`));
    return unchanged.filter((r) => own.has(`${r.orderId}|${r.version}`));
  }

  /** Channels that take an acknowledgement get one per order version of the payload (a stale copy gets none). */
  private async acknowledge(outcome: IntakeChunk, checks: Map<string, StockCheckView>): Promise<FailedStep[]> {
    const lookup = this.options.acknowledgementFor;
    if (!lookup) return [];
    const payload = await this.db.prisma.rawPayload.findUnique({ where: { id: outcome.payloadId }, select: { channelId: true, channel: { select: { connectorType: true, config: true } } } });
    const format = payload && lookup(payload.channel.connectorType);
    if (!format) return [];
    // The text the chunk was read from: one payload in hand for all its orders (a large file is not loaded per order),
    // unless it is only the head of a streamed file and the format needs the whole (then each answer loads it).
    const usable = outcome.payload && (!outcome.payloadIsHead || format.answersFromHead?.(outcome.payload.body));
    const inHand = usable ? { body: outcome.payload!.body, channelId: payload.channelId, channel: { config: payload.channel.config } } : undefined;
    const failed: FailedStep[] = [];
    const draftOf = new Map<string, OrderDraft>();
    for (const d of outcome.drafts) if (!draftOf.has(d.externalId)) draftOf.set(d.externalId, d);
    for (const r of outcome.results.filter((x) => x.orderId && x.outcome !== 'rejected' && x.outcome !== 'stale')) {
      const draft = draftOf.get(r.externalId);
      if (!draft) continue;
      const input = { payloadId: outcome.payloadId, version: r.version!, externalId: r.externalId };
      const result = await this.steps.run(r.orderId!, 'acknowledgement', `${outcome.payloadId}|v${r.version}`, input, () =>
        acknowledgeOrder(this.db, format, { payloadId: outcome.payloadId, orderId: r.orderId!, version: r.version!, draft, check: checks.get(r.orderId!), payload: inHand }),
      );
      if (result === 'failed') failed.push({ orderId: r.orderId!, step: 'acknowledgement' });
    }
    return failed;
  }

  private async distributeStep(orderId: string): Promise<StepResult> {
    const outcome = await this.distribution.distribute(orderId);
    return { outcome: outcome.action === 'skipped' ? 'skipped' : 'done', detail: { ...outcome } };
  }

  // ---- back: a dealer's or an admin's change --------------------------------------------------------------------

  /**
   * The assigned dealer (or an admin) moves the order on. In the change's transaction: the core
   * status follows (in progress, completed; received again when the dealer gives it back; cancelled
   * when the manufacturer cancels) and the channel's write-back is queued; stock and distribution
   * follow right after, each a step of its own (retried if it fails; the change stands).
   */
  async changeFulfilment(scope: DealerScope, orderId: string, change: { status: string; reason?: string | undefined }): Promise<StatusChangeResult> {
    if (scope.kind === 'admin' && change.status === 'cancelled' && !(await this.isDistributed(orderId))) {
      return this.cancelUndistributed(orderId, change.reason, scope.actor ?? 'admin');
    }
    const result = await this.distribution.changeStatus(scope, orderId, change, (tx, done) => this.followUp(tx, done));
    await this.runPending(orderId);
    return result;
  }

  /**
   * The manufacturer's accounting (1C) says the order is now `to`: the core status through the
   * transition table (a refused change is recorded with its reason, not forced), the channel's
   * write-back queued with it, and stock follows (cancelled: release; shipped or completed: ship).
   * `key` names the change (one per 1C document version), so the same news twice is one change.
   */
  async changeFromAccounting(orderId: string, to: OrderStatus, key: string, cause: string): Promise<{ changed: boolean; reason?: string }> {
    let outcome: { changed: boolean; reason?: string } = { changed: false };
    await this.db.prisma.$transaction(async (tx) => {
      const [order] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM "order" WHERE id = $1 FOR NO KEY UPDATE`, orderId);
      if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
      const from = order.status as OrderStatus;
      const verdict = from === to ? ({ allowed: false, reason: `the order is already ${to}` } as const) : checkTransition(from, to);
      await this.setCoreStatus(tx, orderId, to, key, cause);
      if (!verdict.allowed) {
        outcome = { changed: false, reason: verdict.reason };
        return;
      }
      outcome = { changed: true };
      if (to === 'cancelled') await this.steps.scheduleIn(tx, orderId, 'stock', key, { action: 'release', reason: cause });
      if (to === 'shipped' || to === 'completed') await this.steps.scheduleIn(tx, orderId, 'stock', key, { action: 'ship', reason: cause });
    });
    await this.runPending(orderId);
    return outcome;
  }

  private async followUp(tx: Tx, change: FulfilmentChange): Promise<void> {
    const key = `r${change.round}:${change.to}`;
    const label = change.number ?? change.orderId;
    const cause =
      change.actor === 'dealer'
        ? `dealer ${change.dealerCode ?? '?'} made order ${label} ${change.to}${change.reason ? `: ${change.reason}` : ''}`
        : `the manufacturer (${change.by}) made order ${label} ${change.to}${change.reason ? `: ${change.reason}` : ''}`;
    await this.setCoreStatus(tx, change.orderId, coreStatusFor(change), key, cause);
    if (change.to === 'completed') await this.steps.scheduleIn(tx, change.orderId, 'stock', key, { action: 'ship', reason: cause });
    if (change.to === 'cancelled') await this.steps.scheduleIn(tx, change.orderId, 'stock', key, { action: 'release', reason: cause });
    if (change.to === 'cancelled' && change.actor === 'dealer') {
      await this.steps.scheduleIn(tx, change.orderId, 'stock', `r${change.round}:recheck`, { action: 'recheck', reason: `offered again after ${cause}` });
      await this.steps.scheduleIn(tx, change.orderId, 'offer_again', `r${change.round}`, { canceller: change.dealerCode });
    }
  }

  /**
   * The core status, through the transition table, inside the caller's transaction; when it
   * changes, the channel is to hear it (queued in the same transaction, sent by a job).
   */
  private async setCoreStatus(tx: Tx, orderId: string, to: OrderStatus | null, key: string, cause: string): Promise<void> {
    if (!to) {
      await this.steps.recordIn(tx, orderId, 'core_status', key, { outcome: 'skipped', detail: { reason: 'this change does not move the core order' } });
      return;
    }
    // NO KEY UPDATE, the lock an UPDATE of the row takes: status changes still queue behind each other, while
    // another transaction's foreign-key check on a row of this order (KEY SHARE: the write-back sender updating
    // its queued update, a step, a notification) is not held up. With FOR UPDATE the sender, waiting on this
    // order, held the queued update this change's supersede waits on: a deadlock that failed the change with a 500.
    const [order] = await tx.$queryRawUnsafe<{ status: string }[]>(`SELECT status FROM "order" WHERE id = $1 FOR NO KEY UPDATE`, orderId);
    if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
    const from = order.status as OrderStatus;
    const verdict = from === to ? ({ allowed: false, reason: `the order is already ${to}` } as const) : checkTransition(from, to);
    if (!verdict.allowed) {
      await this.steps.recordIn(tx, orderId, 'core_status', key, { outcome: 'skipped', detail: { from, to, reason: verdict.reason } });
      await this.steps.recordIn(tx, orderId, 'status_writeback', key, { outcome: 'skipped', detail: { reason: 'the core status did not change' } });
      return;
    }
    await tx.$executeRawUnsafe(`UPDATE "order" SET status = $2, status_by = 'hub', updated_at = $3::timestamptz WHERE id = $1`, orderId, to, this.clock().toISOString());
    await this.steps.recordIn(tx, orderId, 'core_status', key, { outcome: 'done', detail: { from, to, cause } });
    await queueStatusWriteBack(tx, { orderId, status: to, cause });
    await this.steps.recordIn(tx, orderId, 'status_writeback', key, { outcome: 'done', detail: { status: to, cause } });
  }

  /** The manufacturer cancels an order that was never distributed: the core order is cancelled and its hold released. */
  private async cancelUndistributed(orderId: string, reason: string | undefined, by: string): Promise<StatusChangeResult> {
    const why = reason?.trim();
    if (!why) throw new HubError('invalid_data', 'reason: a cancellation needs a reason (it is reported with the refusal reasons).', { field: 'reason' });
    await this.db.prisma.$transaction(async (tx) => {
      const [order] = await tx.$queryRawUnsafe<{ status: string; label: string }[]>(`SELECT status, coalesce(number, external_id) AS label FROM "order" WHERE id = $1 FOR NO KEY UPDATE`, orderId);
      if (!order) throw new HubError('not_found', `Order ${orderId} does not exist.`);
      const verdict = checkTransition(order.status as OrderStatus, 'cancelled');
      if (!verdict.allowed || order.status === 'cancelled') {
        throw new HubError('conflict', `Order ${order.label}: ${verdict.allowed ? 'it is already cancelled' : verdict.reason}.`, { details: { from: order.status, to: 'cancelled' } });
      }
      const cause = `the manufacturer (${by}) cancelled order ${order.label}: ${why}`;
      await this.setCoreStatus(tx, orderId, 'cancelled', 'admin:cancelled', cause);
      await this.steps.scheduleIn(tx, orderId, 'stock', 'admin:cancelled', { action: 'release', reason: cause });
    });
    await this.runPending(orderId);
    return { orderId, status: 'cancelled', points: null };
  }

  private async isDistributed(orderId: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM order_distribution WHERE order_id = $1`, [orderId])).length > 0;
  }

  // ---- running and retrying steps ------------------------------------------------------------------------------------

  /** Runs the steps a flow scheduled for the order (oldest first); one that fails waits for its retry. */
  async runPending(orderId: string): Promise<FailedStep[]> {
    const failed: FailedStep[] = [];
    for (const row of await this.steps.pendingOf(orderId)) {
      if ((await this.execute(row)) === 'failed') failed.push({ orderId, step: row.step });
    }
    return failed;
  }

  /** The minute's tick: every pending or failed step whose time has come runs again. */
  async retryDue(): Promise<RetryReport & { failedSteps: FailedStep[] }> {
    const report = { ran: 0, done: 0, failed: 0, failedSteps: [] as FailedStep[] };
    for (const row of await this.steps.claimDue()) {
      report.ran++;
      const outcome = await this.execute(row);
      if (outcome === 'failed') {
        report.failed++;
        report.failedSteps.push({ orderId: row.order_id, step: row.step });
      } else report.done++;
    }
    return report;
  }

  private async execute(row: StepRowLike): Promise<StepOutcome> {
    const input = (row.detail?.input ?? {}) as Record<string, unknown>;
    const orderId = row.order_id;
    const run = (work: () => Promise<StepResult>) => this.steps.attempt(orderId, row.step, row.key, input, work);
    switch (row.step) {
      case 'stock':
        return run(async () => {
          const { check: _check, ...result } = await applyStock(this.db, this.stock, orderId, input.action as StockAction | undefined, input.reason as string | undefined);
          return result;
        });
      case 'distribution':
        return run(() => this.distributeStep(orderId));
      case 'offer_again':
        return run(async () => {
          const outcome = await this.distribution.offerAgain(orderId);
          return { outcome: outcome.action === 'redistributed' ? 'done' : 'skipped', detail: { ...outcome } };
        });
      case 'acknowledgement':
        return run(() => this.acknowledgeAgain(orderId, input));
      default:
        // core_status and status_writeback are written inside the change's transaction; nothing to run again.
        return run(async () => ({ outcome: 'skipped', detail: { reason: `${row.step} is not run again` } }));
    }
  }

  private async acknowledgeAgain(orderId: string, input: Record<string, unknown>): Promise<StepResult> {
    const payloadId = String(input.payloadId);
    const payload = await this.db.prisma.rawPayload.findUnique({ where: { id: payloadId }, include: { channel: { select: { connectorType: true, mapping: true, syncState: true } } } });
    if (!payload) return { outcome: 'skipped', detail: { reason: `payload ${payloadId} is gone` } };
    const format = this.options.acknowledgementFor?.(payload.channel.connectorType);
    const mapping = this.options.mappingFor?.(payload.channel.connectorType);
    if (!format || !mapping) throw new HubError('internal', `No acknowledgement format or mapping for ${payload.channel.connectorType} channels in this process.`);
    const readable = mappingInput(payload);
    if (!readable.ok) return { outcome: 'skipped', detail: { reason: readable.error } };
    const draft = findDraft(mapping, readable.input, mappingOptionsOf(payload.channel), String(input.externalId));
    if (!draft) return { outcome: 'skipped', detail: { reason: `payload ${payloadId} no longer reads as order ${String(input.externalId)}` } };
    return acknowledgeOrder(this.db, format, { payloadId, orderId, version: Number(input.version), draft });
  }
}

/**
 * The first draft of a payload with this external id: a mapping that reads in chunks is read chunk by
 * chunk and no further once the order shows (a large file is not mapped whole to answer one order).
 */
function findDraft(mapping: ChannelMapping, input: RawPayloadInput, options: unknown, externalId: string): OrderDraft | undefined {
  const chunks = mapping.mapChunks ? mapping.mapChunks(input, options, PAYLOAD_CHUNK_ORDERS) : [mapping.map(input, options)];
  for (const chunk of chunks) {
    const draft = chunk.orders.find((d) => d.externalId === externalId);
    if (draft) return draft;
  }
  return undefined;
}

interface StepRowLike {
  order_id: string;
  step: StepName;
  key: string;
  attempts: number;
  detail: Record<string, unknown>;
}

/** A payload may carry one order twice: the steps follow its last version. */
function latestPerOrder(results: IntakeResult[]): IntakeResult[] {
  const byOrder = new Map<string, IntakeResult>();
  for (const r of results) {
    const seen = byOrder.get(r.orderId!);
    if (!seen || (r.version ?? 0) >= (seen.version ?? 0)) byOrder.set(r.orderId!, r);
  }
  return [...byOrder.values()];
}
