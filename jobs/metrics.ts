import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { onCommitted } from '../core/db/committed-events.ts';
import type { Database } from '../core/db/database.ts';
import type { MetricsText, WebhookReceipt } from '../core/ports.ts';
import { liveWorkers } from './heartbeat.ts';
import { BullmqRunner } from './runtime/bullmq-runner.ts';
import { InProcessRunner } from './runtime/inprocess-runner.ts';
import { silentLogger, type JobLogger, type JobRunner, type SyncFinishedEvent } from './runtime/types.ts';

/**
 * The hub's Prometheus metrics (docs/ops/observability.md explains each one). Two kinds:
 * - counters and histograms this process updates as its workers finish syncs and payloads, as
 *   webhooks arrive and as distribution advances (listeners on the runner), and as core commits a
 *   distribution decision or a reservation conflict (core/db/committed-events.ts: core knows no prom-client);
 * - gauges read at scrape time from the database (two indexed queries) and the queue (BullMQ
 *   getJobCounts, or the in-process runner's own slots).
 * A dependency that fails at scrape marks `orderhub_up{dependency}` 0 and leaves its gauges out;
 * the rest of the scrape is answered. Labels are bounded: channel ids, outcomes, queue names.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly #db: Database;
  readonly #runner: JobRunner;
  readonly #logger: JobLogger;
  /** Observations waiting on a database read (a sync's duration comes from its run row). */
  readonly #pending = new Set<Promise<void>>();
  readonly #unsubscribe: (() => void)[] = [];

  readonly syncDuration: Histogram<'channel' | 'outcome'>;
  readonly syncRuns: Counter<'channel' | 'outcome'>;
  readonly syncPages: Counter<'channel'>;
  readonly syncFailedPages: Counter<'channel'>;
  readonly syncOrders: Counter<'channel' | 'result'>;
  readonly payloadsProcessed: Counter<'outcome'>;
  readonly webhooks: Counter<'channel' | 'result'>;
  readonly distributionAdvances: Counter<'trigger'>;
  readonly distributionDecisions: Counter<'decision'>;
  readonly reservationConflicts: Counter<'channel' | 'result'>;
  // Scrape-time gauges.
  readonly #up: Gauge<'dependency'>;
  readonly #channelInfo: Gauge<'channel' | 'name' | 'connector' | 'enabled'>;
  readonly #lastSuccess: Gauge<'channel'>;
  readonly #lastSuccessAge: Gauge<'channel'>;
  readonly #lastRunFailed: Gauge<'channel'>;
  readonly #leaseHeld: Gauge<'channel'>;
  readonly #pendingPayloads: Gauge<'channel'>;
  readonly #pendingOldest: Gauge<'channel'>;
  readonly #queueJobs: Gauge<'queue' | 'state'>;
  readonly #queueOldest: Gauge<'queue'>;
  readonly #stockReviews: Gauge;
  readonly #stockReviewOldest: Gauge;
  readonly #distributions: Gauge<'status'>;
  readonly #takeLatency: Gauge<'stat'>;
  readonly #taken: Gauge;
  readonly #workers: Gauge;

  constructor(options: { db: Database; runner: JobRunner; logger?: JobLogger | undefined; defaultMetrics?: boolean | undefined }) {
    this.#db = options.db;
    this.#runner = options.runner;
    this.#logger = options.logger ?? silentLogger;
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'orderhub_' });

    this.syncDuration = new Histogram({
      name: 'orderhub_sync_duration_seconds',
      help: 'How long a sync run took, from its start to its end, per channel and outcome (runs finished by this process)',
      labelNames: ['channel', 'outcome'],
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.syncRuns = new Counter({ name: 'orderhub_sync_runs_total', help: 'Sync attempts finished by this process, per channel and outcome (succeeded, partial, skipped, retry, failed)', labelNames: ['channel', 'outcome'], registers });
    this.syncPages = new Counter({ name: 'orderhub_sync_pages_total', help: 'Pages read by syncs, per channel', labelNames: ['channel'], registers });
    this.syncFailedPages = new Counter({ name: 'orderhub_sync_failed_pages_total', help: 'Pages that failed or were read only in part, per channel', labelNames: ['channel'], registers });
    this.syncOrders = new Counter({ name: 'orderhub_sync_orders_total', help: 'Records read by syncs, per channel and result (created, updated, unchanged, failed)', labelNames: ['channel', 'result'], registers });
    this.payloadsProcessed = new Counter({ name: 'orderhub_payloads_processed_total', help: 'Queued payloads (webhook bodies, uploads) read by this process, per outcome (parsed, partial, failed, skipped, retry)', labelNames: ['outcome'], registers });
    this.webhooks = new Counter({ name: 'orderhub_webhooks_total', help: 'Pushes (webhooks, uploads) received, per channel and result (accepted, duplicate, rejected, too_large, ping, error)', labelNames: ['channel', 'result'], registers });
    this.distributionAdvances = new Counter({ name: 'orderhub_distribution_advances_total', help: "Runs of distribution's advance (due: its timer; tick: the minute's tick)", labelNames: ['trigger'], registers });
    this.distributionDecisions = new Counter({ name: 'orderhub_distribution_decisions_total', help: 'Distribution decisions: an order first offered, assigned at once or left unassigned, distributed again; and what advances did: offers notified, orders fallen back, orders overdue, orders swept', labelNames: ['decision'], registers });
    this.reservationConflicts = new Counter({ name: 'orderhub_reservation_conflicts_total', help: 'Stock checks that could not reserve an order in full (partial, unavailable), per channel: each puts the order on manual review', labelNames: ['channel', 'result'], registers });

    this.#up = new Gauge({ name: 'orderhub_up', help: 'Whether a dependency answered at this scrape (1) or not (0)', labelNames: ['dependency'], registers });
    this.#channelInfo = new Gauge({ name: 'orderhub_channel_info', help: "A channel's name and connector, to join on the channel label (always 1)", labelNames: ['channel', 'name', 'connector', 'enabled'], registers });
    this.#lastSuccess = new Gauge({ name: 'orderhub_sync_last_success_timestamp_seconds', help: 'When the last succeeded or partial sync run of a pulled channel ended (Unix seconds)', labelNames: ['channel'], registers });
    this.#lastSuccessAge = new Gauge({ name: 'orderhub_sync_last_success_age_seconds', help: 'Sync lag: seconds since the last succeeded or partial sync run of a pulled channel ended (since the channel was created when it never synced)', labelNames: ['channel'], registers });
    this.#lastRunFailed = new Gauge({ name: 'orderhub_sync_last_run_failed', help: "1 when a channel's latest finished sync run failed", labelNames: ['channel'], registers });
    this.#leaseHeld = new Gauge({ name: 'orderhub_sync_lease_held', help: 'Channels whose sync lease is held by a live holder now (1)', labelNames: ['channel'], registers });
    this.#pendingPayloads = new Gauge({ name: 'orderhub_payloads_pending', help: 'Archived payloads not read yet, per channel', labelNames: ['channel'], registers });
    this.#pendingOldest = new Gauge({ name: 'orderhub_payloads_pending_oldest_age_seconds', help: 'Age of the oldest payload not read yet, per channel', labelNames: ['channel'], registers });
    this.#queueJobs = new Gauge({ name: 'orderhub_queue_jobs', help: 'Jobs in the queues by state (waiting, active, delayed, failed...)', labelNames: ['queue', 'state'], registers });
    this.#queueOldest = new Gauge({ name: 'orderhub_queue_oldest_waiting_age_seconds', help: 'Age of the oldest job waiting in a queue (0 when none waits)', labelNames: ['queue'], registers });
    this.#stockReviews = new Gauge({ name: 'orderhub_stock_reviews_open', help: 'Reservation conflicts: orders whose stock could not be reserved in full, waiting in the manual-review queue', registers });
    this.#stockReviewOldest = new Gauge({ name: 'orderhub_stock_review_oldest_age_seconds', help: 'Age of the oldest open manual stock review (0 when none)', registers });
    this.#distributions = new Gauge({ name: 'orderhub_distributions', help: 'Distributed orders by distribution status', labelNames: ['status'], registers });
    this.#takeLatency = new Gauge({ name: 'orderhub_distribution_take_latency_seconds', help: 'From distribution start to a dealer taking the order, over orders taken in the last 24 h (avg, max)', labelNames: ['stat'], registers });
    this.#taken = new Gauge({ name: 'orderhub_distribution_taken_24h', help: 'Orders taken by a dealer in the last 24 h', registers });
    this.#workers = new Gauge({ name: 'orderhub_workers_live', help: 'Hub processes running workers seen (heartbeat) in the last minute', registers });

    this.#unsubscribe.push(
      this.#runner.onSyncFinished((event) => this.#track(this.#syncFinished(event))),
      this.#runner.onPayloadProcessed((event) => {
        this.payloadsProcessed.inc({ outcome: event.outcome?.status ?? (event.final ? 'failed' : 'retry') });
      }),
      this.#runner.onDistributionAdvanced((event) => {
        this.distributionAdvances.inc({ trigger: event.trigger });
        const { notified, fellBack, overdue, swept } = event.report;
        for (const [decision, n] of [['notified', notified], ['fell_back', fellBack], ['overdue', overdue], ['swept', swept]] as const) {
          if (n > 0) this.distributionDecisions.inc({ decision }, n);
        }
      }),
      // Decisions and stock checks made anywhere in this process (intake, the API, the tick), told by core once committed.
      onCommitted(this.#db, 'distributionDecided', ({ first, outcome }) => {
        this.distributionDecisions.inc({ decision: first ? FIRST_DECISION[outcome] : 'redistributed' });
      }),
      onCommitted(this.#db, 'reservationConflict', ({ channelId, result }) => this.reservationConflicts.inc({ channel: channelId, result })),
    );
  }

  /** Counts a push's receipt (or its error) for its channel. */
  webhookReceived(channelId: string, receipt: WebhookReceipt | undefined): void {
    const result = !receipt ? 'error' : receipt.kind === 'accepted' ? (receipt.duplicate ? 'duplicate' : 'accepted') : receipt.kind;
    this.webhooks.inc({ channel: channelId, result });
  }

  async #syncFinished(event: SyncFinishedEvent): Promise<void> {
    const channel = event.channelId;
    const outcome = event.outcome;
    if (outcome?.status === 'skipped') {
      this.syncRuns.inc({ channel, outcome: 'skipped' });
      return;
    }
    const status = outcome?.status ?? (event.final ? 'failed' : 'retry');
    this.syncRuns.inc({ channel, outcome: status });
    if (outcome) {
      this.syncPages.inc({ channel }, outcome.counts.pages);
      const { created, updated, unchanged, failed } = outcome.counts;
      for (const [result, n] of [['created', created], ['updated', updated], ['unchanged', unchanged], ['failed', failed]] as const) {
        this.syncOrders.inc({ channel, result }, n);
      }
      if (outcome.status === 'partial') this.syncFailedPages.inc({ channel }, outcome.errors.filter((e) => e.page !== null).length);
    }
    // The duration is the run's own (its row), whichever attempt or process started it.
    const [run] = await this.#db.query<{ started_at: Date; finished_at: Date | null; pages: number; failed_pages: number }>(
      outcome
        ? `SELECT started_at, finished_at, pages, 0 AS failed_pages FROM sync_run WHERE id = $1`
        : `SELECT started_at, finished_at, pages,
                  (SELECT count(*)::int FROM jsonb_array_elements(errors) e WHERE e->>'page' IS NOT NULL) AS failed_pages
             FROM sync_run WHERE channel_id = $1 ORDER BY started_at DESC LIMIT 1`,
      [outcome ? outcome.runId : channel],
    );
    if (!run?.finished_at) return;
    if (!outcome) {
      // A failed attempt: its pages read before the failure, and those that failed.
      this.syncPages.inc({ channel }, run.pages);
      this.syncFailedPages.inc({ channel }, run.failed_pages);
    }
    this.syncDuration.observe({ channel, outcome: status }, Math.max(0, (new Date(run.finished_at).getTime() - new Date(run.started_at).getTime()) / 1000));
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#logger.warn({ err: error }, `could not record a sync's metrics: ${(error as Error).message}`));
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Resolves when every observation started so far is recorded. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** The scrape: reads the gauges, then renders every metric; a failing dependency is `orderhub_up` 0, never an error. */
  async render(): Promise<MetricsText> {
    await this.settled();
    const [database, queue] = await Promise.all([this.#readDatabase(), this.#readQueues()]);
    this.#up.set({ dependency: 'database' }, database ? 1 : 0);
    if (queue !== 'no-redis') this.#up.set({ dependency: 'redis' }, queue ? 1 : 0);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  async #readDatabase(): Promise<boolean> {
    const scrapeGauges = [this.#channelInfo, this.#lastSuccess, this.#lastSuccessAge, this.#lastRunFailed, this.#leaseHeld, this.#pendingPayloads, this.#pendingOldest, this.#distributions, this.#takeLatency];
    try {
      const [channels, [totals]] = await Promise.all([
        // One row per channel: its last successful run and last finished run (the (channel_id, started_at) index, newest first), its lease, its pending payloads.
        this.#db.query<ChannelRow>(
          `SELECT c.id, c.name, c.connector_type, c.enabled,
                  extract(epoch FROM c.created_at)::float8 AS created,
                  (c.sync_lease_owner IS NOT NULL AND c.sync_lease_until > now()) AS leased,
                  (SELECT extract(epoch FROM r.finished_at)::float8 FROM sync_run r
                    WHERE r.channel_id = c.id AND r.status IN ('succeeded', 'partial') ORDER BY r.started_at DESC LIMIT 1) AS last_success,
                  (SELECT r.status FROM sync_run r WHERE r.channel_id = c.id AND r.status <> 'running' ORDER BY r.started_at DESC LIMIT 1) AS last_status,
                  EXISTS (SELECT 1 FROM sync_run r WHERE r.channel_id = c.id) AS has_runs,
                  p.pending, extract(epoch FROM now() - p.oldest)::float8 AS pending_age,
                  extract(epoch FROM now())::float8 AS now
             FROM channel c
             LEFT JOIN LATERAL (SELECT count(*)::int AS pending, min(received_at) AS oldest FROM raw_payload
                                 WHERE status = 'pending' AND channel_id = c.id) p ON true`,
        ),
        // One row of hub-wide figures: stock reviews (the (review_status, created_at) index), distributions, takes of the last day, live workers.
        this.#db.query<TotalsRow>(
          `SELECT (SELECT count(*)::int FROM stock_check WHERE review_status = 'open') AS reviews,
                  (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM stock_check WHERE review_status = 'open') AS review_age,
                  (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM order_distribution GROUP BY status) s) AS distributions,
                  t.taken, t.take_avg, t.take_max
             FROM (SELECT count(*)::int AS taken, avg(extract(epoch FROM assigned_at - started_at))::float8 AS take_avg,
                          max(extract(epoch FROM assigned_at - started_at))::float8 AS take_max
                     FROM order_distribution WHERE started_at > now() - interval '1 day' AND assigned_via = 'take'
                      AND assigned_at > now() - interval '1 day') t`,
        ),
      ]);
      const workers = await liveWorkers(this.#db);
      for (const gauge of scrapeGauges) gauge.reset();
      for (const c of channels) {
        const channel = c.id;
        this.#channelInfo.set({ channel, name: c.name, connector: c.connector_type, enabled: String(c.enabled) }, 1);
        this.#leaseHeld.set({ channel }, c.leased ? 1 : 0);
        this.#pendingPayloads.set({ channel }, c.pending ?? 0);
        this.#pendingOldest.set({ channel }, c.pending_age ?? 0);
        // Lag only for channels that sync (a push-only channel has no runs and no lag).
        if (c.last_success !== null) {
          this.#lastSuccess.set({ channel }, c.last_success);
          this.#lastSuccessAge.set({ channel }, Math.max(0, c.now - c.last_success));
        } else if (c.has_runs) {
          this.#lastSuccessAge.set({ channel }, Math.max(0, c.now - c.created));
        }
        if (c.last_status !== null) this.#lastRunFailed.set({ channel }, c.last_status === 'failed' ? 1 : 0);
      }
      this.#stockReviews.set(totals?.reviews ?? 0);
      this.#stockReviewOldest.set(totals?.review_age ?? 0);
      const distributions = typeof totals?.distributions === 'string' ? (JSON.parse(totals.distributions) as Record<string, number>) : (totals?.distributions ?? {});
      for (const [status, n] of Object.entries(distributions)) this.#distributions.set({ status }, n);
      this.#taken.set(totals?.taken ?? 0);
      if (totals?.take_avg !== null && totals?.take_avg !== undefined) this.#takeLatency.set({ stat: 'avg' }, totals.take_avg);
      if (totals?.take_max !== null && totals?.take_max !== undefined) this.#takeLatency.set({ stat: 'max' }, totals.take_max);
      this.#workers.set(workers);
      return true;
    } catch (error) {
      // Stale figures would read as true ones: the database's gauges are left out until it answers.
      for (const gauge of [...scrapeGauges, this.#stockReviews, this.#stockReviewOldest, this.#taken, this.#workers]) gauge.reset();
      this.#logger.warn({ err: error }, `metrics: the database did not answer: ${(error as Error).message}`);
      return false;
    }
  }

  /** Queue depth and oldest wait; 'no-redis' for the in-process runner. */
  async #readQueues(): Promise<boolean | 'no-redis'> {
    this.#queueJobs.reset();
    this.#queueOldest.reset();
    const runner = this.#runner;
    if (runner instanceof InProcessRunner) {
      const now = Date.now();
      for (const [queue, stats] of Object.entries(runner.queueStats())) {
        this.#queueJobs.set({ queue, state: 'waiting' }, stats.waiting);
        this.#queueJobs.set({ queue, state: 'active' }, stats.active);
        this.#queueOldest.set({ queue }, stats.oldestSince === undefined ? 0 : Math.max(0, (now - stats.oldestSince) / 1000));
      }
      return 'no-redis';
    }
    if (!(runner instanceof BullmqRunner)) return 'no-redis';
    try {
      const now = Date.now();
      await withTimeout(
        Promise.all(
          [runner.queue, runner.payloadQueue].map(async (queue) => {
            const [counts, oldest] = await Promise.all([
              queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'),
              queue.getJobs(['waiting'], 0, 0, true),
            ]);
            for (const [state, n] of Object.entries(counts)) this.#queueJobs.set({ queue: queue.name, state }, n);
            const first = oldest[0];
            this.#queueOldest.set({ queue: queue.name }, first ? Math.max(0, (now - first.timestamp) / 1000) : 0);
          }),
        ),
        2_000,
        'Redis did not answer within 2 s',
      );
      return true;
    } catch (error) {
      this.#queueJobs.reset();
      this.#queueOldest.reset();
      this.#logger.warn({ err: error }, `metrics: Redis did not answer: ${(error as Error).message}`);
      return false;
    }
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }
}

/** An order's first decision, in the words ops read on the dashboard. */
const FIRST_DECISION = { offer: 'first_offer', assign: 'assigned', unassigned: 'unassigned' } as const;

interface ChannelRow {
  id: string;
  name: string;
  connector_type: string;
  enabled: boolean;
  created: number;
  leased: boolean;
  last_success: number | null;
  last_status: string | null;
  has_runs: boolean;
  pending: number | null;
  pending_age: number | null;
  now: number;
}

interface TotalsRow {
  reviews: number;
  review_age: number | null;
  distributions: Record<string, number> | string | null;
  taken: number;
  take_avg: number | null;
  take_max: number | null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
