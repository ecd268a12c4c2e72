import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { isHubError } from '../../core/errors.ts';
import type { SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import { syncChannel, type SyncOutcome } from '../processors/sync-channel.ts';
import {
  DEFAULT_RETRY,
  DEFAULT_SYNC_SCHEDULE,
  SYNC_QUEUE,
  silentLogger,
  syncJobId,
  type JobLogger,
  type JobRunner,
  type ProcessorContext,
  type RetryPolicy,
  type SyncFinishedEvent,
  type SyncFinishedListener,
} from './types.ts';

export interface SyncJobData {
  channelId: string;
  trigger: SyncTrigger;
}

export interface BullmqRunnerOptions {
  ctx: ProcessorContext;
  redisUrl: string;
  /** Redis key prefix of the queues; a fresh one per test keeps tests apart. */
  prefix?: string | undefined;
  /** Run workers in this process (`hub start`, `hub worker`); false for an API-only process. */
  workers?: boolean | undefined;
  /** Register the channels' job schedulers on start (idempotent, any process may do it). */
  schedules?: boolean | undefined;
  concurrency?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** Failed jobs kept for inspection. */
  keepFailed?: number | undefined;
}

const SCHEDULER_PREFIX = 'schedule-';

/**
 * Sync jobs on BullMQ. A job carries the channel id only (config and secrets are reloaded);
 * requests use the deterministic id `sync-<channelId>`, so a sync that already waits or runs is not
 * queued twice. Each enabled channel has a job scheduler with its cron. Permanent failures become
 * UnrecoverableError (no retry); the rest back off exponentially. Failed jobs are kept.
 */
export class BullmqRunner implements JobRunner {
  readonly kind = 'bullmq' as const;
  readonly queue: Queue<SyncJobData, SyncOutcome>;
  #worker: Worker<SyncJobData, SyncOutcome> | undefined;
  readonly #listeners = new Set<SyncFinishedListener>();
  readonly #ctx: ProcessorContext;
  readonly #logger: JobLogger;
  readonly #connection: { url: string; maxRetriesPerRequest: null };
  readonly #prefix: string;
  readonly #retry: RetryPolicy;
  readonly #keepFailed: number;
  #stopped = false;

  constructor(private readonly options: BullmqRunnerOptions) {
    this.#ctx = options.ctx;
    this.#logger = options.ctx.logger ?? silentLogger;
    this.#connection = { url: options.redisUrl, maxRetriesPerRequest: null };
    this.#prefix = options.prefix ?? 'orderhub';
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#keepFailed = options.keepFailed ?? 1000;
    this.queue = new Queue<SyncJobData, SyncOutcome>(SYNC_QUEUE, { connection: this.#connection, prefix: this.#prefix });
    this.queue.on('error', (error) => this.#logger.error({ err: error }, 'sync queue error'));
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
      const worker = new Worker<SyncJobData, SyncOutcome>(SYNC_QUEUE, (job) => this.#process(job), {
        connection: this.#connection,
        prefix: this.#prefix,
        concurrency: this.options.concurrency ?? 4,
      });
      worker.on('error', (error) => this.#logger.error({ err: error }, 'sync worker error'));
      worker.on('completed', (job, outcome) => this.#emit(job, { final: true, outcome }));
      worker.on('failed', (job, error) => {
        if (!job) return;
        const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.#emit(job, { final, error });
      });
      this.#worker = worker;
      await worker.waitUntilReady();
    }
    if (this.options.schedules !== false) await this.scheduleChannels();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Worker.close() waits for the running jobs to finish before it resolves.
    await this.#worker?.close();
    await this.queue.close();
  }

  async requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt> {
    const jobId = syncJobId(channelId);
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
        return { jobId, queued: false };
      }
      // A finished job keeps the id taken; the sync_run rows hold its story, so make room.
      await existing.remove().catch(() => undefined);
    }
    await this.queue.add('sync', { channelId, trigger }, { ...this.jobOptions, jobId });
    return { jobId, queued: true };
  }

  async scheduleChannels(): Promise<void> {
    const channels = await this.#ctx.db.prisma.channel.findMany({ where: { enabled: true }, select: { id: true, syncSchedule: true, connectorType: true } });
    const wanted = new Set<string>();
    for (const channel of channels) {
      if (!this.#ctx.registry.connector(channel.connectorType)?.pull) continue;
      const schedulerId = `${SCHEDULER_PREFIX}${channel.id}`;
      wanted.add(schedulerId);
      await this.queue.upsertJobScheduler(
        schedulerId,
        { pattern: channel.syncSchedule || DEFAULT_SYNC_SCHEDULE },
        { name: 'sync', data: { channelId: channel.id, trigger: 'schedule' }, opts: this.jobOptions },
      );
    }
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      if (scheduler.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(scheduler.key)) await this.queue.removeJobScheduler(scheduler.key);
    }
  }

  onSyncFinished(listener: SyncFinishedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #process(job: Job<SyncJobData, SyncOutcome>): Promise<SyncOutcome> {
    try {
      return await syncChannel(this.#ctx, job.data.channelId, job.data.trigger);
    } catch (error) {
      if (isHubError(error) && error.permanent) {
        const unrecoverable = new UnrecoverableError(error.message);
        (unrecoverable as { code?: string }).code = error.code;
        throw unrecoverable;
      }
      throw error;
    }
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
}
