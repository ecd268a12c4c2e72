import cron, { type ScheduledTask } from 'node-cron';
import { isHubError } from '../../core/errors.ts';
import type { SyncRequestReceipt, SyncTrigger } from '../../core/ports.ts';
import { syncChannel, type SyncOutcome } from '../processors/sync-channel.ts';
import {
  DEFAULT_RETRY,
  DEFAULT_SYNC_SCHEDULE,
  silentLogger,
  syncJobId,
  type JobLogger,
  type JobRunner,
  type ProcessorContext,
  type RetryPolicy,
  type SyncFinishedEvent,
  type SyncFinishedListener,
} from './types.ts';

export interface InProcessRunnerOptions {
  ctx: ProcessorContext;
  /** Run the channels' cron schedules (false: only requested syncs run). */
  schedules?: boolean | undefined;
  retry?: RetryPolicy | undefined;
}

interface ChannelSlot {
  /** The sync (with its retries) running or waiting for its backoff. */
  running: Promise<void>;
  trigger: SyncTrigger;
}

/**
 * Sync jobs without Redis (embedded setups, the demo): the same processor functions, scheduled
 * with node-cron. An in-memory guard keeps one sync per channel in this process (on top of the DB
 * lease, which also holds against other processes); permanent failures are not retried, the
 * others back off exponentially. Stopping waits for running syncs and cancels pending retries.
 */
export class InProcessRunner implements JobRunner {
  readonly kind = 'inprocess' as const;
  readonly #ctx: ProcessorContext;
  readonly #logger: JobLogger;
  readonly #retry: RetryPolicy;
  readonly #slots = new Map<string, ChannelSlot>();
  readonly #tasks = new Map<string, ScheduledTask>();
  readonly #listeners = new Set<SyncFinishedListener>();
  readonly #abort = new AbortController();
  #started = false;
  #stopped = false;

  constructor(private readonly options: InProcessRunnerOptions) {
    this.#ctx = options.ctx;
    this.#logger = options.ctx.logger ?? silentLogger;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  async start(): Promise<void> {
    this.#started = true;
    if (this.options.schedules !== false) await this.scheduleChannels();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#clearSchedules();
    // Backoff waits end at once (no further attempt); a running sync is let finish.
    this.#abort.abort();
    await Promise.allSettled([...this.#slots.values()].map((slot) => slot.running));
  }

  async requestSync(channelId: string, trigger: SyncTrigger): Promise<SyncRequestReceipt> {
    const jobId = syncJobId(channelId);
    if (this.#stopped || this.#slots.has(channelId)) return { jobId, queued: false };
    const slot: ChannelSlot = { trigger, running: Promise.resolve() };
    this.#slots.set(channelId, slot);
    slot.running = this.#runWithRetries(channelId, trigger, jobId).finally(() => this.#slots.delete(channelId));
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
    const channels = await this.#ctx.db.prisma.channel.findMany({ where: { enabled: true }, select: { id: true, name: true, syncSchedule: true, connectorType: true } });
    for (const channel of channels) {
      if (!this.#ctx.registry.connector(channel.connectorType)?.pull) continue;
      const expression = channel.syncSchedule || DEFAULT_SYNC_SCHEDULE;
      const task = cron.schedule(
        expression,
        async () => {
          await this.requestSync(channel.id, 'schedule');
        },
        { name: `sync-${channel.id}`, noOverlap: true },
      );
      this.#tasks.set(channel.id, task);
    }
    this.#logger.info({ channels: this.#tasks.size }, 'sync schedules set');
  }

  onSyncFinished(listener: SyncFinishedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get started(): boolean {
    return this.#started;
  }

  async #clearSchedules(): Promise<void> {
    const tasks = [...this.#tasks.values()];
    this.#tasks.clear();
    await Promise.all(tasks.map(async (task) => {
      await task.stop();
      await task.destroy();
    }));
  }

  async #runWithRetries(channelId: string, trigger: SyncTrigger, jobId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await syncChannel(this.#ctx, channelId, trigger);
        this.#emit({ channelId, trigger, jobId, attempt, final: true, outcome });
        return;
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
        if (final) return;
        const delay = this.#retry.backoffMs * 2 ** (attempt - 1);
        this.#logger.warn({ channelId, attempt, delayMs: delay }, `sync failed, retrying: ${(error as Error).message}`);
        if (!(await this.#backoff(delay))) return;
      }
    }
  }

  /** False when the runner stopped during the wait. */
  #backoff(ms: number): Promise<boolean> {
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
}

export type { SyncOutcome };
