import cron, { type ScheduledTask } from 'node-cron';
import { isHubError } from '../../core/errors.ts';
import type { SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import { reprocessPayload, stalePendingPayloadIds } from '../processors/process-payload.ts';
import { advanceDistributions } from '../processors/distribution.ts';
import type { AdvanceReport } from '../../core/distribution/distribution-service.ts';
import { DistributionTimer } from './distribution-timer.ts';
import { sendDueStatusUpdates } from '../processors/status-writeback.ts';
import { RECONCILE_JOB, RECONCILE_TICK_SCHEDULE, reconcileDueChannels } from '../processors/reconcile-channel.ts';
import { syncChannel, type SyncOutcome } from '../processors/sync-channel.ts';
import { runRetention, type RetentionSettings } from '../processors/retention.ts';
import { HubError } from '../../core/errors.ts';
import { reapAndResume, type ReapReport } from '../processors/reap-sync-runs.ts';
import { scheduledAccountingSync, SYNC_ACCOUNTING_JOB, type AccountingSchedule } from '../accounting.ts';
import {
  DEFAULT_FOLLOW_UP_DELAY_MS,
  DEFAULT_RETRY,
  DEFAULT_SYNC_SCHEDULE,
  payloadJobId,
  silentLogger,
  SWEEP_SCHEDULE,
  ADVANCE_DISTRIBUTION_JOB,
  SEND_STATUS_UPDATES_JOB,
  REAP_SYNC_RUNS_JOB,
  followUpDelay,
  syncJobId,
  RETENTION_JOB,
  DEFAULT_RETENTION_SCHEDULE,
  type FailedJobList,
  type JobCleanup,
  type DistributionAdvancedEvent,
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

export interface InProcessRunnerOptions {
  ctx: ProcessorContext;
  /** Run the channels' cron schedules and the sweep of stale payloads (false: only requested jobs run). */
  schedules?: boolean | undefined;
  retry?: RetryPolicy | undefined;
  /** Wait before a sync skipped because another process held the channel runs again. */
  followUpDelayMs?: number | undefined;
  /** Run distribution's advance() when it is due (a timer armed from the rows); default: with the schedules. */
  distributionTimer?: boolean | undefined;
  /** Retention settings and when it runs daily (with the schedules); none: no retention job. */
  retention?: (RetentionSettings & { schedule?: string | undefined }) | undefined;
  /** The accounting sync's schedule (HUB_1C_SCHEDULE) and what it calls (with the schedules); none: no such task. */
  accounting?: AccountingSchedule | undefined;
}

interface ChannelSlot {
  /** The sync (with its retries and its follow-up) running or waiting. */
  running: Promise<void>;
  trigger: SyncTrigger;
  /** When it was asked for (Date.now()), for the metrics' oldest wait. */
  since: number;
}

interface ScheduledChannel {
  task: ScheduledTask;
  expression: string;
}

/**
 * Sync and payload jobs without Redis (embedded setups, the demo): the same processor functions,
 * scheduled with node-cron. An in-memory guard keeps one sync per channel in this process (on top
 * of the DB lease, which also holds against other processes); permanent failures are not retried,
 * the others back off exponentially. A sync skipped because another process holds the channel
 * keeps one pending follow-up, run once the delay is over (and again while the channel stays held).
 * Stopping interrupts running syncs between pages (their runs are recorded as interrupted),
 * cancels pending retries and follow-ups, and waits for them to end.
 */
export class InProcessRunner implements JobRunner {
  readonly kind = 'inprocess' as const;
  readonly #ctx: ProcessorContext;
  readonly #logger: JobLogger;
  readonly #retry: RetryPolicy;
  readonly #followUpDelayMs: number;
  readonly #slots = new Map<string, ChannelSlot>();
  readonly #payloads = new Map<string, Promise<void>>();
  /** When each queued payload was queued (Date.now()), for the metrics' oldest wait. */
  readonly #payloadsSince = new Map<string, number>();
  readonly #tasks = new Map<string, ScheduledChannel>();
  #sweepTask: ScheduledTask | undefined;
  #advanceTask: ScheduledTask | undefined;
  #writeBackTask: ScheduledTask | undefined;
  #retentionTask: ScheduledTask | undefined;
  /** The reconciliations' tick (runs the channels whose reconcileSchedule is due). */
  #reconcileTask: ScheduledTask | undefined;
  #reapTask: ScheduledTask | undefined;
  #accountingTask: ScheduledTask | undefined;
  /** The running send of status updates, and whether a nudge arrived while it ran. */
  #writeBack: Promise<void> | undefined;
  #writeBackAgain = false;
  readonly #listeners = new Set<SyncFinishedListener>();
  readonly #payloadListeners = new Set<PayloadProcessedListener>();
  readonly #advanceListeners = new Set<DistributionAdvancedListener>();
  readonly #abort = new AbortController();
  /** The one armed wake-up of the distribution timer (see distribution-timer.ts). */
  #dueTimeout: NodeJS.Timeout | undefined;
  readonly #timer: DistributionTimer;
  /** advance() runs one at a time in this process (the timer and the tick may meet). */
  #advancing: Promise<unknown> = Promise.resolve();
  #started = false;
  #stopped = false;

  constructor(private readonly options: InProcessRunnerOptions) {
    this.#ctx = options.ctx;
    this.#logger = options.ctx.logger ?? silentLogger;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#followUpDelayMs = options.followUpDelayMs ?? DEFAULT_FOLLOW_UP_DELAY_MS;
    this.#timer = new DistributionTimer({
      db: this.#ctx.db,
      logger: this.#logger,
      wakeUp: {
        arm: async (_at, delayMs) => {
          clearTimeout(this.#dueTimeout);
          this.#dueTimeout = setTimeout(() => void this.#advance('due'), delayMs);
        },
        disarm: async () => {
          clearTimeout(this.#dueTimeout);
          this.#dueTimeout = undefined;
        },
      },
    });
  }

  async start(): Promise<void> {
    this.#started = true;
    if (this.options.schedules !== false) {
      await this.scheduleChannels();
      this.#sweepTask ??= cron.schedule(
        SWEEP_SCHEDULE,
        async () => {
          await this.sweepPendingPayloads().catch((error: unknown) => this.#logger.error({ err: error }, 'sweep of pending payloads failed'));
        },
        { name: 'sweep-pending-payloads', noOverlap: true },
      );
      this.#advanceTask ??= cron.schedule(
        SWEEP_SCHEDULE,
        async () => {
          await this.#advance('tick');
        },
        { name: ADVANCE_DISTRIBUTION_JOB, noOverlap: true },
      );
      this.#writeBackTask ??= cron.schedule(SWEEP_SCHEDULE, () => this.nudgeStatusWriteBack(), { name: SEND_STATUS_UPDATES_JOB, noOverlap: true });
      const retention = this.options.retention;
      if (retention) {
        this.#retentionTask ??= cron.schedule(
          retention.schedule ?? DEFAULT_RETENTION_SCHEDULE,
          async () => {
            await runRetention(this.#ctx, retention, { cleanJobs: (ms) => this.cleanFinishedJobs(ms) }).catch((error: unknown) => this.#logger.error({ err: error }, `retention failed: ${(error as Error).message}`));
          },
          { name: RETENTION_JOB, noOverlap: true },
        );
      }
      this.#reconcileTask ??= cron.schedule(RECONCILE_TICK_SCHEDULE, () => this.reconcileDue().then(() => undefined), { name: RECONCILE_JOB, noOverlap: true });
      this.#reapTask ??= cron.schedule(SWEEP_SCHEDULE, async () => void (await this.reapSyncRuns()), { name: REAP_SYNC_RUNS_JOB, noOverlap: true });
      if (this.options.accounting) this.#accountingTask ??= cron.schedule(this.options.accounting.schedule, async () => void (await this.syncAccountingNow()), { name: SYNC_ACCOUNTING_JOB, noOverlap: true });
      // Runs a crash left behind are closed, and interrupted syncs resumed now rather than at the next cron tick.
      await this.reapSyncRuns({ atStart: true });
    }
    if (this.options.distributionTimer ?? this.options.schedules !== false) await this.#timer.start();
  }

  /** The reconciliation tick, now: every channel whose reconciliation is due. Never rejects; returns how many ran. */
  async reconcileDue(now: Date = new Date()): Promise<number> {
    if (this.#stopped) return 0;
    try {
      return (await reconcileDueChannels(this.#ctx, now, this.#abort.signal)).size;
    } catch (error) {
      this.#logger.error({ err: error }, 'the reconciliation tick failed');
      return 0;
    }
  }

  /**
   * The scheduled accounting sync, now (what its cron calls): dealers, then this month's settlements,
   * each recorded as a run. Never rejects (a run that could not even be recorded is logged); returns
   * how many runs were recorded.
   */
  async syncAccountingNow(): Promise<number> {
    if (this.#stopped || !this.options.accounting) return 0;
    try {
      return (await scheduledAccountingSync(this.options.accounting.actions)).length;
    } catch (error) {
      this.#logger.error({ err: error }, `the scheduled accounting sync failed: ${(error as Error).message}`);
      return 0;
    }
  }

  /** The cron the accounting sync runs on in this process (undefined: not scheduled). */
  get accountingSyncSchedule(): string | undefined {
    return this.#accountingTask ? this.options.accounting?.schedule : undefined;
  }

  /**
   * Closes the runs whose worker is gone and syncs their channels again; `atStart` also resumes the
   * channels whose latest run was interrupted. Never rejects (logged).
   */
  async reapSyncRuns(options: { atStart?: boolean } = {}): Promise<ReapReport> {
    if (this.#stopped) return { reaped: [], resumed: [] };
    try {
      return await reapAndResume(this.#ctx, (channelId, trigger) => this.requestSync(channelId, trigger), options);
    } catch (error) {
      this.#logger.error({ err: error }, `closing the runs of stopped workers failed: ${(error as Error).message}`);
      return { reaped: [], resumed: [] };
    }
  }

  /** One send at a time; a nudge during a send makes it run once more right after. Never rejects. */
  nudgeStatusWriteBack(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#writeBack) {
      this.#writeBackAgain = true;
      return this.#writeBack;
    }
    const run = async (): Promise<void> => {
      do {
        this.#writeBackAgain = false;
        await sendDueStatusUpdates(this.#ctx, { signal: this.#abort.signal }).catch((error: unknown) => this.#logger.error({ err: error }, 'sending channel status updates failed'));
      } while (this.#writeBackAgain && !this.#stopped);
    };
    this.#writeBack = run().finally(() => (this.#writeBack = undefined));
    return this.#writeBack;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#clearSchedules();
    // Running syncs stop between pages; backoff and follow-up waits end at once.
    this.#abort.abort(new Error('the job runner is stopping'));
    // A wake-up after this point finds the runner stopped; a running advance is let finish.
    await this.#timer.stop();
    await this.#advancing.catch(() => undefined);
    await Promise.allSettled([...this.#slots.values()].map((slot) => slot.running));
    await Promise.allSettled([...this.#payloads.values()]);
    await this.#writeBack;
  }

  async requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt> {
    const jobId = syncJobId(channelId);
    if (this.#stopped || this.#slots.has(channelId)) return { jobId, queued: false };
    const slot: ChannelSlot = { trigger, running: Promise.resolve(), since: Date.now() };
    this.#slots.set(channelId, slot);
    slot.running = this.#runSlot(channelId, trigger, jobId).finally(() => this.#slots.delete(channelId));
    return { jobId, queued: true };
  }

  /** Resolves when the channel's current sync (with its retries) is over; at once when none runs. */
  async whenIdle(channelId?: string): Promise<void> {
    const slots = channelId ? [this.#slots.get(channelId)] : [...this.#slots.values()];
    await Promise.allSettled(slots.map((s) => s?.running));
  }

  async scheduleChannels(): Promise<void> {
    if (this.#stopped) return;
    await this.#clearSchedules();
    const channels = await this.#ctx.db.prisma.channel.findMany({ where: { enabled: true }, select: { id: true } });
    for (const channel of channels) await this.#scheduleOne(channel.id);
    this.#logger.info({ channels: this.#tasks.size }, 'sync schedules set');
  }

  /** Sets, replaces or stops the cron task of one channel; a no-op until the runner runs schedules. */
  async channelChanged(channelId: string): Promise<void> {
    if (this.#stopped || !this.#started || this.options.schedules === false) return;
    await this.#scheduleOne(channelId);
  }

  /** The cron expression each scheduled channel runs on (for status and tests). */
  scheduledChannels(): Map<string, string> {
    return new Map([...this.#tasks].map(([id, scheduled]) => [id, scheduled.expression]));
  }

  get retentionScheduled(): boolean {
    return this.#retentionTask !== undefined;
  }

  /**
   * The in-process runner keeps no failed jobs: a sync that failed for good is a failed run (hub
   * channels list, sync status) and runs again at its next schedule; a payload it gave up on stays
   * pending and the minute's sweep queues it again. So there are no dead letters to list or retry.
   */
  async failedJobs(): Promise<FailedJobList> {
    return { items: [], note: IN_PROCESS_NOTE };
  }

  async retryFailedJob(id: string): Promise<void> {
    throw new HubError('not_found', `No failed job ${id}: ${IN_PROCESS_NOTE}`);
  }

  async retryAllFailedJobs(): Promise<number> {
    return 0;
  }

  async cleanFinishedJobs(_olderThanMs: number): Promise<JobCleanup> {
    return { removed: 0, note: 'the in-process runner keeps no finished jobs' };
  }

  get sweepScheduled(): boolean {
    return this.#sweepTask !== undefined;
  }

  get distributionTickScheduled(): boolean {
    return this.#advanceTask !== undefined;
  }

  async enqueuePayload(payloadId: string): Promise<PayloadJobReceipt> {
    const jobId = payloadJobId(payloadId);
    if (this.#stopped || this.#payloads.has(payloadId)) return { jobId, queued: false };
    // Deferred to the next turn of the event loop: the caller (a webhook) answers first.
    const running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#processWithRetries(payloadId, jobId))
      .finally(() => {
        this.#payloads.delete(payloadId);
        this.#payloadsSince.delete(payloadId);
      });
    this.#payloads.set(payloadId, running);
    this.#payloadsSince.set(payloadId, Date.now());
    return { jobId, queued: true };
  }

  async sweepPendingPayloads(): Promise<number> {
    if (this.#stopped) return 0;
    const ids = await stalePendingPayloadIds(this.#ctx);
    let queued = 0;
    for (const id of ids) if ((await this.enqueuePayload(id)).queued) queued += 1;
    if (queued > 0) this.#logger.warn({ payloads: queued }, 'queued payloads left pending for too long');
    return queued;
  }

  /**
   * The in-process equivalent of queue depth (the metrics): syncs asked for and not over (with their
   * retries and follow-ups), payloads queued and not read yet, and since when the oldest waits.
   */
  queueStats(): Record<'sync-channel' | 'process-payload', { waiting: number; active: number; oldestSince: number | undefined }> {
    const oldest = (times: Iterable<number>) => [...times].reduce<number | undefined>((min, t) => (min === undefined || t < min ? t : min), undefined);
    return {
      'sync-channel': { waiting: 0, active: this.#slots.size, oldestSince: oldest([...this.#slots.values()].map((s) => s.since)) },
      'process-payload': { waiting: this.#payloads.size, active: 0, oldestSince: oldest(this.#payloadsSince.values()) },
    };
  }

  /** Resolves when every queued payload is read (or given up). */
  async whenPayloadsIdle(): Promise<void> {
    await Promise.allSettled([...this.#payloads.values()]);
  }

  onSyncFinished(listener: SyncFinishedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onPayloadProcessed(listener: PayloadProcessedListener): () => void {
    this.#payloadListeners.add(listener);
    return () => this.#payloadListeners.delete(listener);
  }

  onDistributionAdvanced(listener: DistributionAdvancedListener): () => void {
    this.#advanceListeners.add(listener);
    return () => this.#advanceListeners.delete(listener);
  }

  /** The moment the distribution timer is armed for (null: nothing due, or the timer is off). */
  get distributionDueAt(): Date | null {
    return this.#timer.armedFor;
  }

  /** Runs advance() now (as the timer would) and arms the timer for what is due next. */
  advanceDistributionsNow(): Promise<AdvanceReport | undefined> {
    return this.#advance('due');
  }

  /** One advance at a time; then the timer is armed for what is due next. */
  #advance(trigger: DistributionAdvancedEvent['trigger']): Promise<AdvanceReport | undefined> {
    const run = this.#advancing.then(async () => {
      if (this.#stopped) return undefined;
      let report: AdvanceReport | undefined;
      try {
        report = await advanceDistributions(this.#ctx);
      } catch (error) {
        this.#logger.error({ err: error }, trigger === 'tick' ? 'distribution tick failed' : 'distribution timer failed');
      }
      await this.#timer.rearm(true);
      if (report) this.#emitAdvanced({ trigger, report });
      return report;
    });
    this.#advancing = run;
    return run;
  }

  #emitAdvanced(event: DistributionAdvancedEvent): void {
    for (const listener of this.#advanceListeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'distribution listener failed');
      }
    }
  }

  get started(): boolean {
    return this.#started;
  }

  async #scheduleOne(channelId: string): Promise<void> {
    await this.#unscheduleOne(channelId);
    const channel = await this.#ctx.db.prisma.channel.findUnique({ where: { id: channelId }, select: { id: true, name: true, enabled: true, syncSchedule: true, connectorType: true } });
    if (!channel || !channel.enabled || !this.#ctx.registry.connector(channel.connectorType)?.pull) return;
    const expression = channel.syncSchedule || DEFAULT_SYNC_SCHEDULE;
    try {
      const task = cron.schedule(
        expression,
        async () => {
          await this.requestSync(channel.id, 'schedule');
        },
        { name: `sync-${channel.id}`, noOverlap: true },
      );
      this.#tasks.set(channel.id, { task, expression });
    } catch (error) {
      // One bad stored cron must not keep the other channels (or the hub) from running.
      this.#logger.error({ channelId, err: error }, `could not schedule the syncs of "${channel.name}" ("${expression}"): ${(error as Error).message}`);
    }
  }

  async #unscheduleOne(channelId: string): Promise<void> {
    const scheduled = this.#tasks.get(channelId);
    if (!scheduled) return;
    this.#tasks.delete(channelId);
    await scheduled.task.stop();
    await scheduled.task.destroy();
  }

  async #clearSchedules(): Promise<void> {
    const tasks = [...this.#tasks.values()].map((s) => s.task);
    if (this.#stopped && this.#sweepTask) tasks.push(this.#sweepTask);
    if (this.#stopped && this.#advanceTask) tasks.push(this.#advanceTask);
    if (this.#stopped && this.#writeBackTask) tasks.push(this.#writeBackTask);
    if (this.#stopped && this.#retentionTask) tasks.push(this.#retentionTask);
    if (this.#stopped && this.#reconcileTask) tasks.push(this.#reconcileTask);
    if (this.#stopped && this.#reapTask) tasks.push(this.#reapTask);
    if (this.#stopped && this.#accountingTask) tasks.push(this.#accountingTask);
    this.#tasks.clear();
    await Promise.all(
      tasks.map(async (task) => {
        await task.stop();
        await task.destroy();
      }),
    );
  }

  /** A requested sync; while another process holds the channel it keeps one follow-up pending. */
  async #runSlot(channelId: string, trigger: SyncTrigger, jobId: string): Promise<void> {
    for (;;) {
      const outcome = await this.#runWithRetries(channelId, trigger, jobId);
      if (outcome?.status !== 'skipped' || outcome.reason !== 'already running' || this.#stopped) return;
      const delayMs = followUpDelay(this.#followUpDelayMs, outcome.retryInMs);
      this.#logger.info({ channelId, delayMs }, 'another sync holds the channel; a follow-up sync will run after it');
      if (!(await this.#wait(delayMs))) return;
    }
  }

  async #runWithRetries(channelId: string, trigger: SyncTrigger, jobId: string): Promise<SyncOutcome | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await syncChannel(this.#ctx, channelId, trigger, undefined, { signal: this.#abort.signal });
        this.#emit({ channelId, trigger, jobId, attempt, final: true, outcome });
        return outcome;
      } catch (error) {
        const permanent = isHubError(error) && error.permanent;
        const final = permanent || attempt >= this.#retry.attempts || this.#stopped;
        this.#emit({
          channelId,
          trigger,
          jobId,
          attempt,
          final,
          error: { code: isHubError(error) ? error.code : 'internal', message: (error as Error).message, permanent },
        });
        if (final) {
          // Logged here whatever the sync managed to log or record (a database outage can stop it recording the run).
          this.#logger.error(
            { channelId, jobId, attempt, final: true, code: isHubError(error) ? error.code : 'internal', permanent },
            `sync ${jobId} failed (attempt ${attempt}${permanent ? ', permanent' : ''}); no more retries until the next schedule or request`,
          );
          return undefined;
        }
        const delay = this.#retry.backoffMs * 2 ** (attempt - 1);
        // The code only: the sync logged its failure already, and a failed page's text quotes the payload.
        this.#logger.warn({ channelId, attempt, delayMs: delay, code: isHubError(error) ? error.code : 'internal' }, 'sync failed, retrying');
        if (!(await this.#wait(delay))) return undefined;
      }
    }
  }

  async #processWithRetries(payloadId: string, jobId: string): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        const outcome = await reprocessPayload(this.#ctx, payloadId);
        this.#emitPayload({ payloadId, jobId, attempt, final: true, outcome });
        return;
      } catch (error) {
        const permanent = isHubError(error) && error.permanent;
        const final = permanent || attempt >= this.#retry.attempts || this.#stopped;
        this.#emitPayload({ payloadId, jobId, attempt, final, error: { code: isHubError(error) ? error.code : 'internal', message: (error as Error).message } });
        if (final) {
          this.#logger.error({ payloadId, err: error }, 'giving up reading the payload for now; it stays pending and the sweep queues it again');
          return;
        }
        const delay = this.#retry.backoffMs * 2 ** (attempt - 1);
        this.#logger.warn({ payloadId, attempt, delayMs: delay, code: isHubError(error) ? error.code : 'internal' }, `reading payload ${payloadId} failed (attempt ${attempt} of ${this.#retry.attempts}), retrying: ${(error as Error).message}`);
        if (!(await this.#wait(delay))) return;
      }
    }
  }

  /** False when the runner stopped during the wait. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #emit(event: SyncFinishedEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'sync listener failed');
      }
    }
  }

  #emitPayload(event: PayloadProcessedEvent): void {
    for (const listener of this.#payloadListeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'payload listener failed');
      }
    }
  }
}

const IN_PROCESS_NOTE =
  'jobs run in-process (no REDIS_URL) and keep no failed jobs: a failed sync is a failed run (hub channels list) and runs again at its next schedule; a payload given up on stays pending and the sweep queues it again';

export type { SyncOutcome };
