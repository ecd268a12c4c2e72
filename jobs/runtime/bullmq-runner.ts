import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import { HubError, isHubError } from '../../core/errors.ts';
import type { PayloadOutcome } from '../../core/orders/payload-processing.ts';
import type { SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import { allPendingPayloadIds, reprocessPayload, stalePendingPayloadIds } from '../processors/process-payload.ts';
import { advanceDistributions } from '../processors/distribution.ts';
import { sendDueStatusUpdates, type StatusWriteBackReport } from '../processors/status-writeback.ts';
import type { AdvanceReport } from '../../core/distribution/distribution-service.ts';
import { syncChannel, type SyncOutcome } from '../processors/sync-channel.ts';
import { runRetention, type RetentionSettings } from '../processors/retention.ts';
import { RECONCILE_JOB, RECONCILE_TICK_SCHEDULE, reconcileDueChannels } from '../processors/reconcile-channel.ts';
import { reapAndResume, type ReapReport } from '../processors/reap-sync-runs.ts';
import { scheduledAccountingSync, SYNC_ACCOUNTING_JOB, type AccountingSchedule } from '../accounting.ts';
import { DistributionTimer } from './distribution-timer.ts';
import {
  DEFAULT_FOLLOW_UP_DELAY_MS,
  DEFAULT_RETRY,
  DEFAULT_SYNC_SCHEDULE,
  PAYLOAD_JOB,
  PAYLOAD_QUEUE,
  payloadJobId,
  silentLogger,
  SWEEP_JOB,
  ADVANCE_DISTRIBUTION_JOB,
  SEND_STATUS_UPDATES_JOB,
  RETENTION_JOB,
  DEFAULT_RETENTION_SCHEDULE,
  REAP_SYNC_RUNS_JOB,
  followUpDelay,
  SWEEP_SCHEDULE,
  type FailedJob,
  type FailedJobList,
  type JobCleanup,
  SYNC_QUEUE,
  syncJobId,
  type DistributionAdvancedListener,
  type JobLogger,
  type JobRunner,
  type PayloadJobReceipt,
  type PayloadProcessedEvent,
  type PayloadProcessedListener,
  type ProcessorContext,
  type RetryPolicy,
  type SyncFinishedEvent,
  type SyncFinishedListener,
} from './types.ts';

export interface SyncJobData {
  channelId: string;
  trigger: SyncTrigger;
}

/** A payload job reads one payload; the sweep job (no payload id) queues the stale pending ones. */
export interface PayloadJobData {
  payloadId?: string | undefined;
}

export interface BullmqRunnerOptions {
  ctx: ProcessorContext;
  redisUrl: string;
  /** Redis key prefix of the queues; a fresh one per test keeps tests apart. */
  prefix?: string | undefined;
  /** Run workers in this process (`hub start`, `hub worker`); false for an API-only process. */
  workers?: boolean | undefined;
  /** Register the channels' job schedulers and the payload sweep on start (idempotent, any process may do it). */
  schedules?: boolean | undefined;
  concurrency?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** Failed jobs kept for inspection. */
  keepFailed?: number | undefined;
  /** Retention settings and when the daily retention job runs; none: the job runs but does nothing (it says so). */
  retention?: (RetentionSettings & { schedule?: string | undefined }) | undefined;
  /** The accounting sync's schedule (HUB_1C_SCHEDULE) and what it calls; none: no such scheduler (one left in Redis is removed). */
  accounting?: AccountingSchedule | undefined;
  /** Delay of the follow-up queued when a sync is skipped because another one holds the channel. */
  followUpDelayMs?: number | undefined;
  /** Queue distribution's advance() for the moment it is due (a delayed job); default: with the workers or the schedules. */
  distributionTimer?: boolean | undefined;
  /** How long a caller waits for Redis to take a job (a webhook's payload, a sync request) before it is answered without it. */
  redisCallTimeoutMs?: number | undefined;
  /** How often the schedules are looked for in Redis and set again when missing (0: never; they are also set on every reconnect). */
  scheduleCheckMs?: number | undefined;
  /** How long stop() waits for running jobs and Redis goodbyes before it drops the connections. */
  closeTimeoutMs?: number | undefined;
}

/** A Redis that does not answer must not hold a webhook's answer: the payload is archived, the sweep queues it later. */
export const DEFAULT_REDIS_CALL_TIMEOUT_MS = 3_000;
/** Within a service manager's usual grace (30 s) after SIGTERM. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 25_000;
/** The schedules live in Redis: a Redis restarted without persistence (or flushed) loses them; looked for this often. */
export const DEFAULT_SCHEDULE_CHECK_MS = 60_000;

/** The system schedulers every hub keeps (beside one per pulled channel). */
const SYSTEM_SCHEDULERS = [SWEEP_JOB, ADVANCE_DISTRIBUTION_JOB, SEND_STATUS_UPDATES_JOB, RETENTION_JOB, RECONCILE_JOB, REAP_SYNC_RUNS_JOB] as const;

/** The delayed advance job of one due moment: every process arming that moment queues the same job. */
export function dueAdvanceJobId(at: Date): string {
  return `advance-due-${at.getTime()}`;
}

export const SCHEDULER_PREFIX = 'schedule-';

/** The job scheduler id of a channel's syncs. */
export function schedulerId(channelId: string): string {
  return `${SCHEDULER_PREFIX}${channelId}`;
}

/**
 * How fast a job of a dead worker (kill -9, a lost machine) is given to another: its lock ends
 * after lockDuration without renewal (a live worker renews every half of it) and the stalled check
 * runs every stalledInterval, so another worker resumes it within ~20 s rather than BullMQ's
 * default minute. A false stall (an event loop blocked past the lock) only starts a second try,
 * which the channel's sync lease and the payloads' idempotent intake make harmless; a few are
 * allowed before the job fails.
 */
const STALL_DETECTION: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> = { lockDuration: 15_000, stalledInterval: 5_000, maxStalledCount: 5 };

/**
 * Sync and payload jobs on BullMQ. A job carries ids only (config and secrets are reloaded).
 *
 * - Every requested sync is a job with its own id, deduplicated by `sync-<channelId>`: while one
 *   waits or runs, asking again queues nothing more. Finished and failed jobs keep their ids, so
 *   failed jobs stay for inspection (never removed by a later request).
 * - A sync skipped because another one holds the channel queues one delayed follow-up with the
 *   same deduplication id (kept as the next job while the current one is active).
 * - Each enabled channel has a job scheduler with its cron; `channelChanged` keeps it current.
 * - Webhook payloads are `process-payload` jobs (id `payload-<payloadId>`); a scheduled sweep
 *   re-queues payloads left pending.
 * - Permanent failures become UnrecoverableError (no retry); the rest back off exponentially.
 * - `stop()` interrupts running syncs between pages (recorded as interrupted, retried later).
 * - Distribution's advance() runs on the minute's scheduler and, at the moment it is due, as a
 *   delayed job keyed by that moment (distribution-timer.ts); the worker that ran it arms the next.
 */
export class BullmqRunner implements JobRunner {
  readonly kind = 'bullmq' as const;
  readonly queue: Queue<SyncJobData, SyncOutcome>;
  readonly payloadQueue: Queue<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number>;
  #worker: Worker<SyncJobData, SyncOutcome> | undefined;
  #payloadWorker: Worker<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number> | undefined;
  readonly #listeners = new Set<SyncFinishedListener>();
  readonly #payloadListeners = new Set<PayloadProcessedListener>();
  readonly #advanceListeners = new Set<DistributionAdvancedListener>();
  readonly #timer: DistributionTimer;
  /** The delayed advance job armed by this process (replaced when an earlier moment comes up). */
  #armedJobId: string | undefined;
  readonly #ctx: ProcessorContext;
  readonly #logger: JobLogger;
  readonly #connection: { url: string; maxRetriesPerRequest: null };
  readonly #prefix: string;
  readonly #retry: RetryPolicy;
  readonly #keepFailed: number;
  readonly #followUpDelayMs: number;
  readonly #abort = new AbortController();
  readonly #callTimeoutMs: number;
  #scheduleCheck: NodeJS.Timeout | undefined;
  /** The schedules are being set again (a reconnect and the periodic check may meet). */
  #healing: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly options: BullmqRunnerOptions) {
    this.#ctx = options.ctx;
    this.#logger = options.ctx.logger ?? silentLogger;
    this.#connection = { url: options.redisUrl, maxRetriesPerRequest: null };
    this.#prefix = options.prefix ?? 'orderhub';
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#keepFailed = options.keepFailed ?? 1000;
    this.#followUpDelayMs = options.followUpDelayMs ?? DEFAULT_FOLLOW_UP_DELAY_MS;
    this.#callTimeoutMs = options.redisCallTimeoutMs ?? DEFAULT_REDIS_CALL_TIMEOUT_MS;
    this.queue = new Queue<SyncJobData, SyncOutcome>(SYNC_QUEUE, { connection: this.#connection, prefix: this.#prefix });
    this.queue.on('error', (error) => this.#logger.error({ err: error }, 'sync queue error'));
    this.payloadQueue = new Queue<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number>(PAYLOAD_QUEUE, { connection: this.#connection, prefix: this.#prefix });
    this.payloadQueue.on('error', (error) => this.#logger.error({ err: error }, 'payload queue error'));
    this.#timer = new DistributionTimer({
      db: this.#ctx.db,
      logger: this.#logger,
      // Redis keeps a delay of any length, and the job's id is its moment: it waits for the moment itself.
      maxDelayMs: Number.MAX_SAFE_INTEGER,
      wakeUp: { arm: (at, delayMs) => this.#armDueJob(at, delayMs), disarm: async () => {} },
    });
  }

  /**
   * One delayed job per due moment (its id is the moment: several processes queue it once). A
   * moment earlier than the one this process armed drops that job if it still waits: the new one
   * runs first, and its advance arms the next moment anyway.
   */
  async #armDueJob(at: Date, delayMs: number): Promise<void> {
    const jobId = dueAdvanceJobId(at);
    if (jobId === this.#armedJobId) return;
    const previous = this.#armedJobId;
    await this.payloadQueue.add(ADVANCE_DISTRIBUTION_JOB, {}, { jobId, delay: delayMs, removeOnComplete: true, removeOnFail: { count: 100 } });
    this.#armedJobId = jobId;
    if (previous) {
      const job = await this.payloadQueue.getJob(previous);
      if (job && (await job.getState()) === 'delayed') await job.remove().catch(() => undefined);
    }
  }

  /** The moment the distribution timer is armed for (null: nothing due, or the timer is off). */
  get distributionDueAt(): Date | null {
    return this.#timer.armedFor;
  }

  onDistributionAdvanced(listener: DistributionAdvancedListener): () => void {
    this.#advanceListeners.add(listener);
    return () => this.#advanceListeners.delete(listener);
  }

  get jobOptions(): JobsOptions {
    return {
      attempts: this.#retry.attempts,
      backoff: { type: 'exponential', delay: this.#retry.backoffMs },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: this.#keepFailed },
    };
  }

  async start(): Promise<void> {
    if (this.options.workers !== false && !this.#worker) {
      const worker = new Worker<SyncJobData, SyncOutcome>(SYNC_QUEUE, (job, token, signal) => this.#process(job, token, signal), {
        ...STALL_DETECTION,
        connection: this.#connection,
        prefix: this.#prefix,
        concurrency: this.options.concurrency ?? 4,
      });
      worker.on('error', (error) => this.#logger.error({ err: error }, 'sync worker error'));
      worker.on('completed', (job, outcome) => this.#emit(job, { final: true, outcome }));
      worker.on('failed', (job, error) => {
        this.#logFailed('sync', job, error);
        if (!job) return;
        this.#emit(job, { final: isFinal(job, error), error });
      });
      this.#worker = worker;

      const payloadWorker = new Worker<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number>(PAYLOAD_QUEUE, (job) => this.#processPayloadJob(job), {
        ...STALL_DETECTION,
        connection: this.#connection,
        prefix: this.#prefix,
        concurrency: this.options.concurrency ?? 4,
      });
      payloadWorker.on('error', (error) => this.#logger.error({ err: error }, 'payload worker error'));
      payloadWorker.on('completed', (job, result) => {
        if (job.name === PAYLOAD_JOB && typeof result === 'object') this.#emitPayload(job, { final: true, outcome: result as PayloadOutcome });
        if (job.name === ADVANCE_DISTRIBUTION_JOB && typeof result === 'object') {
          const event = { trigger: job.id?.startsWith('advance-due-') ? ('due' as const) : ('tick' as const), report: result as AdvanceReport };
          for (const listener of this.#advanceListeners) {
            try {
              listener(event);
            } catch (error) {
              this.#logger.error({ err: error }, 'distribution listener failed');
            }
          }
        }
      });
      payloadWorker.on('failed', (job, error) => {
        this.#logFailed('payload', job, error);
        if (job?.name === PAYLOAD_JOB) this.#emitPayload(job, { final: isFinal(job, error), error });
      });
      this.#payloadWorker = payloadWorker;
      await Promise.all([worker.waitUntilReady(), payloadWorker.waitUntilReady()]);
    }
    if (this.options.schedules !== false) {
      await this.#setSchedules();
      this.#watchRedis();
      // Runs a crash left behind are closed now (then every minute by the reap-sync-runs scheduler).
      await this.reapSyncRuns().catch((error: unknown) => this.#logger.error({ err: error }, `closing the runs of stopped workers failed: ${(error as Error).message}`));
    }
    if (this.options.distributionTimer ?? (this.options.workers !== false || this.options.schedules !== false)) await this.#timer.start();
  }

  /** The channels' schedulers and the system ones, upserted (idempotent: any process may do it any time). */
  async #setSchedules(): Promise<void> {
    await this.scheduleChannels();
    for (const name of this.#systemSchedulers()) {
      await this.payloadQueue.upsertJobScheduler(name, { pattern: this.#systemPattern(name) }, { name, data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
    }
    // HUB_1C_SCHEDULE unset since a process set it: its scheduler stops.
    if (!this.options.accounting) await this.payloadQueue.removeJobScheduler(SYNC_ACCOUNTING_JOB);
  }

  /** The system schedulers of this hub: every hub's, and the accounting sync when HUB_1C_SCHEDULE is set. */
  #systemSchedulers(): string[] {
    return [...SYSTEM_SCHEDULERS, ...(this.options.accounting ? [SYNC_ACCOUNTING_JOB] : [])];
  }

  /** Every system scheduler runs each minute but the daily retention, the reconciliations' tick and the accounting sync (its own cron). */
  #systemPattern(name: string): string {
    if (name === RETENTION_JOB) return this.options.retention?.schedule ?? DEFAULT_RETENTION_SCHEDULE;
    if (name === RECONCILE_JOB) return RECONCILE_TICK_SCHEDULE;
    if (name === SYNC_ACCOUNTING_JOB && this.options.accounting) return this.options.accounting.schedule;
    return SWEEP_SCHEDULE;
  }

  /**
   * Redis holds the schedules and the waiting jobs; a restart without persistence loses both and
   * says nothing. So the schedules are set again on every reconnect and whenever the periodic look
   * finds one missing, and the payloads still pending are queued again at once (their jobs may be
   * gone; a payload already queued is not queued twice) rather than after the stale sweep's delay.
   */
  #watchRedis(): void {
    // Just used to set the schedules: connected.
    const connection = this.payloadQueue.getBackend();
    let connected = true;
    connection.on('close', () => {
      connected = false;
    });
    connection.on('ready', () => {
      if (connected || this.#stopped) return;
      connected = true;
      void this.#heal('Redis connection is back');
    });
    const every = this.options.scheduleCheckMs ?? DEFAULT_SCHEDULE_CHECK_MS;
    if (every > 0) {
      this.#scheduleCheck = setInterval(() => void this.checkSchedules(), every);
      this.#scheduleCheck.unref();
    }
  }

  /** Looks for the schedulers this hub should have in Redis; sets them all again when one is missing. Returns what was missing. */
  async checkSchedules(): Promise<string[]> {
    if (this.#stopped) return [];
    try {
      const [present, channels] = await Promise.all([
        Promise.all([this.queue.getJobSchedulers(0, -1), this.payloadQueue.getJobSchedulers(0, -1)]).then((lists) => new Set(lists.flat().map((s) => s.key))),
        this.#ctx.db.prisma.channel.findMany({ where: { enabled: true }, select: { id: true, connectorType: true } }),
      ]);
      const wanted = [...this.#systemSchedulers(), ...channels.filter((c) => this.#ctx.registry.connector(c.connectorType)?.pull).map((c) => schedulerId(c.id))];
      const missing = wanted.filter((key) => !present.has(key));
      if (missing.length > 0) await this.#heal(`${missing.length} schedule(s) missing in Redis (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
      return missing;
    } catch (error) {
      this.#logger.warn({ err: error }, `could not look for the schedules in Redis: ${(error as Error).message}`);
      return [];
    }
  }

  /** Sets the schedules again and re-queues the pending payloads; one at a time. */
  #heal(why: string): Promise<void> {
    this.#healing ??= (async () => {
      try {
        await this.#setSchedules();
        const queued = await this.#requeuePending();
        this.#logger.warn({ payloads: queued }, `${why}: schedules set again${queued > 0 ? `, ${queued} pending payload(s) queued again` : ''}`);
      } catch (error) {
        this.#logger.error({ err: error }, `${why}, but the schedules could not be set again: ${(error as Error).message}`);
      } finally {
        this.#healing = undefined;
      }
    })();
    return this.#healing;
  }

  /** Every pending payload, whatever its age, queued unless its job still waits or runs. */
  async #requeuePending(): Promise<number> {
    return this.#queueAgain(await allPendingPayloadIds(this.#ctx));
  }

  /** Queues the reading of these payloads (one already waiting or running is not queued twice); how many were queued. */
  async #queueAgain(payloadIds: readonly string[]): Promise<number> {
    let queued = 0;
    for (const id of payloadIds) if ((await this.enqueuePayload(id)).queued) queued += 1;
    return queued;
  }

  /**
   * A Redis call the caller waits on, given at most redisCallTimeoutMs: ioredis holds commands while
   * it reconnects (for as long as Redis is away), which would leave the caller without an answer.
   */
  async #withinDeadline<T>(what: string, call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new HubError('upstream_unavailable', `The job queue (Redis) did not answer within ${this.#callTimeoutMs} ms while ${what}.`)), this.#callTimeoutMs);
    });
    // The call may still end after the deadline (Redis back): its outcome is not wanted any more.
    call.catch(() => undefined);
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Running syncs stop between pages (their runs are recorded as interrupted and retried);
    // Worker.close() then waits for the running jobs to end.
    this.#abort.abort(new Error('the job runner is stopping'));
    clearInterval(this.#scheduleCheck);
    const closed = (async () => {
      await this.#healing;
      // The armed job stays in Redis: the moment is still due, whoever runs it.
      await this.#timer.stop();
      await Promise.all([this.#worker?.close(), this.#payloadWorker?.close()]);
      await Promise.all([this.queue.close(), this.payloadQueue.close()]);
    })();
    // A Redis that is away would hold the goodbyes for ever (ioredis keeps commands until it is
    // back): past the deadline the connections are dropped. Jobs left running are retried, their
    // runs reaped (the lease ends with this process).
    const deadline = this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (await finishesWithin(closed, deadline)) return;
    this.#logger.warn({}, 'the job runner could not close its Redis connections in time (is Redis reachable?); dropping them');
    // Dropping waits for nothing it can help, but BullMQ's disconnect may still wait on a connection being made.
    const dropped = Promise.allSettled([this.#worker?.disconnect(), this.#payloadWorker?.disconnect(), this.queue.disconnect(), this.payloadQueue.disconnect()]);
    await finishesWithin(dropped, 1_000);
  }

  async requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt> {
    const jobId = `${syncJobId(channelId)}-${randomUUID()}`;
    const job = await this.#withinDeadline(
      'queueing the sync',
      this.queue.add('sync', { channelId, trigger }, { ...this.jobOptions, jobId, deduplication: { id: syncJobId(channelId) } }),
    );
    // Deduplicated: BullMQ answers with the job that already waits or runs.
    return { jobId: job.id ?? jobId, queued: job.id === jobId };
  }

  async scheduleChannels(): Promise<void> {
    const channels = await this.#ctx.db.prisma.channel.findMany({ where: { enabled: true }, select: { id: true, name: true, syncSchedule: true, connectorType: true } });
    const wanted = new Set<string>();
    for (const channel of channels) {
      if (!this.#ctx.registry.connector(channel.connectorType)?.pull) continue;
      try {
        await this.#upsertScheduler(channel.id, channel.syncSchedule);
        wanted.add(schedulerId(channel.id));
      } catch (error) {
        // One bad stored cron must not keep the other channels (or the hub) from running.
        this.#logger.error({ channelId: channel.id, err: error }, `could not schedule the syncs of "${channel.name}" ("${channel.syncSchedule}"): ${(error as Error).message}`);
      }
    }
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      if (scheduler.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(scheduler.key)) await this.queue.removeJobScheduler(scheduler.key);
    }
  }

  /**
   * Re-reads one channel and upserts or removes its job scheduler. The schedulers live in Redis,
   * so any process may do this (the API, the CLI), whether or not it runs the schedules itself.
   */
  async channelChanged(channelId: string): Promise<void> {
    const channel = await this.#ctx.db.prisma.channel.findUnique({ where: { id: channelId }, select: { id: true, enabled: true, syncSchedule: true, connectorType: true } });
    if (!channel || !channel.enabled || !this.#ctx.registry.connector(channel.connectorType)?.pull) {
      await this.queue.removeJobScheduler(schedulerId(channelId));
      return;
    }
    try {
      await this.#upsertScheduler(channel.id, channel.syncSchedule);
    } catch (error) {
      // A schedule that cannot be set must not keep running on its old cron.
      await this.queue.removeJobScheduler(schedulerId(channelId));
      throw error;
    }
  }

  enqueuePayload(payloadId: string): Promise<PayloadJobReceipt> {
    return this.#withinDeadline('queueing a payload', this.#enqueuePayload(payloadId));
  }

  async #enqueuePayload(payloadId: string): Promise<PayloadJobReceipt> {
    const jobId = payloadJobId(payloadId);
    const existing = await this.payloadQueue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') {
        // Its earlier attempts stay on the job: run it again rather than replace it.
        await existing.retry('failed');
        return { jobId, queued: true };
      }
      if (state !== 'completed' && state !== 'unknown') return { jobId, queued: false };
      await existing.remove().catch(() => undefined);
    }
    await this.payloadQueue.add(PAYLOAD_JOB, { payloadId }, { ...this.jobOptions, removeOnComplete: true, jobId });
    return { jobId, queued: true };
  }

  /**
   * Queues one send of the due status updates; while one waits, another nudge adds nothing (the
   * waiting one will see every row committed before it runs). A nudge that cannot reach Redis is
   * logged: the minute's scheduler sends those rows anyway.
   */
  async nudgeStatusWriteBack(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.payloadQueue.add(SEND_STATUS_UPDATES_JOB, {}, {
        removeOnComplete: true,
        removeOnFail: { count: 100 },
        deduplication: { id: SEND_STATUS_UPDATES_JOB },
      });
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not queue the sending of channel status updates; the minute\'s run sends them');
    }
  }

  async sweepPendingPayloads(): Promise<number> {
    const queued = await this.#queueAgain(await stalePendingPayloadIds(this.#ctx));
    if (queued > 0) this.#logger.warn({ payloads: queued }, 'queued payloads left pending for too long');
    return queued;
  }

  /** The sync and payload queues' failed sets (only jobs that failed for good land there), newest first. */
  async failedJobs(limit = 100): Promise<FailedJobList> {
    const items: FailedJob[] = [];
    for (const queue of [this.queue, this.payloadQueue] as Queue[]) {
      for (const job of await queue.getFailed(0, limit - 1)) {
        if (!job) continue;
        const data = (job.data ?? {}) as { channelId?: string; payloadId?: string };
        items.push({
          id: `${queue.name}:${job.id}`,
          queue: queue.name,
          name: job.name,
          channelId: data.channelId ?? null,
          payloadId: data.payloadId ?? null,
          attemptsMade: job.attemptsMade,
          attempts: job.opts.attempts ?? 1,
          error: firstLine(job.failedReason ?? ''),
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        });
      }
    }
    items.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
    return { items, note: null };
  }

  /** `<queue>:<job id>` from failedJobs(); the job runs again with its attempts started over. */
  async retryFailedJob(id: string): Promise<void> {
    const at = id.indexOf(':');
    const queueName = at > 0 ? id.slice(0, at) : '';
    const jobId = id.slice(at + 1);
    const queue = ([this.queue, this.payloadQueue] as Queue[]).find((q) => q.name === queueName);
    const job = queue ? await queue.getJob(jobId) : undefined;
    if (!job || !(await job.isFailed())) throw new HubError('not_found', `No failed job ${id} (hub jobs failed lists them as <queue>:<id>).`);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    this.#logger.info({ queue: queueName, jobId }, `failed job ${id} queued again`);
  }

  async retryAllFailedJobs(): Promise<number> {
    let retried = 0;
    for (const queue of [this.queue, this.payloadQueue] as Queue[]) {
      const count = await queue.getFailedCount();
      if (count === 0) continue;
      await queue.retryJobs({ state: 'failed', count: 1000 });
      retried += count;
    }
    if (retried > 0) this.#logger.info({ jobs: retried }, `${retried} failed job(s) queued again`);
    return retried;
  }

  /** Completed and failed jobs older than `olderThanMs` leave Redis (the counts in jobOptions cap them too). */
  async cleanFinishedJobs(olderThanMs: number): Promise<JobCleanup> {
    let removed = 0;
    for (const queue of [this.queue, this.payloadQueue] as Queue[]) {
      for (const state of ['completed', 'failed'] as const) removed += (await queue.clean(olderThanMs, 10_000, state)).length;
    }
    return { removed };
  }

  onSyncFinished(listener: SyncFinishedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onPayloadProcessed(listener: PayloadProcessedListener): () => void {
    this.#payloadListeners.add(listener);
    return () => this.#payloadListeners.delete(listener);
  }

  async #upsertScheduler(channelId: string, syncSchedule: string): Promise<void> {
    await this.queue.upsertJobScheduler(
      schedulerId(channelId),
      { pattern: syncSchedule || DEFAULT_SYNC_SCHEDULE },
      { name: 'sync', data: { channelId, trigger: 'schedule' }, opts: this.jobOptions },
    );
  }

  async #process(job: Job<SyncJobData, SyncOutcome>, token: string | undefined, jobSignal: AbortSignal | undefined): Promise<SyncOutcome> {
    const signal = jobSignal ? AbortSignal.any([this.#abort.signal, jobSignal]) : this.#abort.signal;
    let outcome: SyncOutcome;
    try {
      outcome = await syncChannel(this.#ctx, job.data.channelId, job.data.trigger, undefined, { signal });
    } catch (error) {
      if (this.#abort.signal.aborted && token && isHubError(error) && error.code === 'upstream_unavailable') {
        // A shutdown (a deploy) is nobody's failure: the job goes back to wait, due now, without
        // using up one of its attempts, so rolling deploys during a long first import never fail it.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (isHubError(error) && error.permanent) {
        const unrecoverable = new UnrecoverableError(error.message);
        (unrecoverable as { code?: string }).code = error.code;
        throw unrecoverable;
      }
      throw error;
    }
    if (outcome.status === 'skipped' && outcome.reason === 'already running' && !this.#stopped) await this.#queueFollowUp(job.data, followUpDelay(this.#followUpDelayMs, outcome.retryInMs));
    return outcome;
  }

  /**
   * Another sync holds the channel: queue one follow-up after a delay. keepLastIfActive makes
   * BullMQ keep it as the next job while the deduplicated one (maybe this very job) is active,
   * instead of dropping it; a waiting sync of the channel makes it unnecessary.
   */
  async #queueFollowUp(data: SyncJobData, delayMs: number): Promise<void> {
    const jobId = `${syncJobId(data.channelId)}-${randomUUID()}`;
    await this.queue.add('sync', data, {
      ...this.jobOptions,
      jobId,
      delay: delayMs,
      deduplication: { id: syncJobId(data.channelId), keepLastIfActive: true },
    });
    this.#logger.info({ channelId: data.channelId, delayMs }, 'another sync holds the channel; a follow-up sync is queued');
  }

  /** Closes the runs whose worker is gone and queues a sync of their channels (the reap-sync-runs job). */
  reapSyncRuns(): Promise<ReapReport> {
    return reapAndResume(this.#ctx, (channelId, trigger) => this.requestSync(channelId, trigger));
  }

  async #processPayloadJob(job: Job<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number>): Promise<PayloadOutcome | AdvanceReport | StatusWriteBackReport | number> {
    if (job.name === SWEEP_JOB) return this.sweepPendingPayloads();
    if (job.name === REAP_SYNC_RUNS_JOB) return (await this.reapSyncRuns()).reaped.length;
    if (job.name === ADVANCE_DISTRIBUTION_JOB) {
      const report = await advanceDistributions(this.#ctx);
      // The worker that ran it arms the next moment (the job that armed it is done: arm afresh).
      if (this.#armedJobId === job.id) this.#armedJobId = undefined;
      await this.#timer.rearm(true);
      return report;
    }
    if (job.name === SEND_STATUS_UPDATES_JOB) return sendDueStatusUpdates(this.#ctx, { signal: this.#abort.signal });
    if (job.name === RETENTION_JOB) {
      if (!this.options.retention) {
        this.#logger.warn({}, 'retention job: this worker has no retention settings; nothing done');
        return 0;
      }
      const report = await runRetention(this.#ctx, this.options.retention, { cleanJobs: (ms) => this.cleanFinishedJobs(ms) });
      return report.payloads.purged;
    }
    if (job.name === SYNC_ACCOUNTING_JOB) {
      if (!this.options.accounting) {
        this.#logger.warn({}, 'accounting sync job: this worker has no HUB_1C_SCHEDULE; nothing done');
        return 0;
      }
      // Each sync records its run (a 1C failure is a failed run, not a failed job); how many runs were recorded.
      return (await scheduledAccountingSync(this.options.accounting.actions)).length;
    }
    // The reconciliations due now (each under its channel's sync lease); how many ran.
    if (job.name === RECONCILE_JOB) return (await reconcileDueChannels(this.#ctx, new Date(), this.#abort.signal)).size;
    if (!job.data.payloadId) throw new UnrecoverableError(`Job ${job.id} names no payload.`);
    try {
      return await reprocessPayload(this.#ctx, job.data.payloadId);
    } catch (error) {
      if (isHubError(error) && error.permanent) {
        const unrecoverable = new UnrecoverableError(error.message);
        (unrecoverable as { code?: string }).code = error.code;
        throw unrecoverable;
      }
      throw error;
    }
  }

  /**
   * Every failed attempt is logged here, whatever the processor managed to log or record itself (a
   * database outage can stop it recording the run): ids, name, attempt, code and the error's first
   * line; never job data beyond ids, never payload bodies.
   */
  #logFailed(queue: 'sync' | 'payload', job: Job | undefined, error: Error): void {
    const code = String((error as { code?: string }).code ?? 'internal');
    const attempts = job?.opts.attempts ?? 1;
    const final = job ? isFinal(job, error) : true;
    const data = (job?.data ?? {}) as { channelId?: string; payloadId?: string };
    // A sync's own failure text can quote failed pages (customers' data): the sync logged what may be
    // logged and its run keeps the rest. Anything else (the database, Redis, a bug) is said here.
    const line = queue === 'sync' && code !== 'internal' ? `${code} (the sync logged it; the run keeps the details: hub channels list)` : firstLine(error.message);
    this.#logger[final ? 'error' : 'warn'](
      { queue, jobId: job?.id, job: job?.name, channelId: data.channelId, payloadId: data.payloadId, attempt: job?.attemptsMade, attempts, final, code },
      `${queue} job ${job?.name ?? '?'} ${job?.id ?? ''} failed (attempt ${job?.attemptsMade ?? '?'} of ${attempts}${final ? ', no more retries: hub jobs failed lists it' : ', will retry'}): ${line}`,
    );
  }

  #emit(job: Job<SyncJobData, SyncOutcome>, result: { final: boolean; outcome?: SyncOutcome; error?: Error }): void {
    const event: SyncFinishedEvent = {
      channelId: job.data.channelId,
      trigger: job.data.trigger,
      jobId: job.id ?? '',
      attempt: job.attemptsMade,
      final: result.final,
      outcome: result.outcome,
      error: result.error && {
        code: String((result.error as { code?: string }).code ?? 'internal'),
        message: result.error.message,
        permanent: result.error.name === 'UnrecoverableError',
      },
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'sync listener failed');
      }
    }
  }

  #emitPayload(job: Job<PayloadJobData, PayloadOutcome | AdvanceReport | StatusWriteBackReport | number>, result: { final: boolean; outcome?: PayloadOutcome; error?: Error }): void {
    const event: PayloadProcessedEvent = {
      payloadId: job.data.payloadId ?? '',
      jobId: job.id ?? '',
      attempt: job.attemptsMade,
      final: result.final,
      outcome: result.outcome,
      error: result.error && { code: String((result.error as { code?: string }).code ?? 'internal'), message: result.error.message },
    };
    for (const listener of this.#payloadListeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'payload listener failed');
      }
    }
  }
}

/** The first line of an error message, clipped: the log line names the failure, the run and the payload hold the rest. */
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function isFinal(job: Job, error: Error): boolean {
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** Whether the work ends within `ms` (its later end or failure is not waited for). */
async function finishesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return ended;
}
