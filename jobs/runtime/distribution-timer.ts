import type { Database } from '../../core/db/database.ts';
import { nextDueAt, onDueTimesChanged } from '../../core/distribution/due-times.ts';
import type { JobLogger } from './types.ts';

/**
 * Runs distribution's advance() at the moment it is due, not only at the minute's tick.
 *
 * The due moments are rows (offers' visible_from, deadline_at, due_at); this keeps no state of its
 * own beyond "when am I armed for". It reads the earliest moment (`nextDueAt`) on start, after
 * every advance, and whenever the service says the moments may have moved (a decision, an
 * escalation), and arms exactly one wake-up for it: a newer reading replaces the older one, so
 * there is never more than one. What a wake-up is depends on the runtime: a setTimeout in the
 * in-process runner, a delayed BullMQ job keyed by the moment (so several processes arming the
 * same moment queue one job) in the BullMQ runner. A restart re-reads the rows and arms again;
 * a change made in another process is caught by the minute tick, which stays as the safety net.
 *
 * A moment already past when advance() has just run means advance() could not finish it (an
 * order whose fallback keeps failing): it is retried after `retryFloorMs`, not in a busy loop.
 */
export interface DueWakeUp {
  /** Arms the single wake-up for `at` after `delayMs`, replacing any armed before. */
  arm(at: Date, delayMs: number): Promise<void>;
  /** Drops the armed wake-up (nothing is due). */
  disarm(): Promise<void>;
}

export interface DistributionTimerOptions {
  db: Database;
  wakeUp: DueWakeUp;
  logger: JobLogger;
  /** The real time (the timer waits for real). */
  now?: (() => number) | undefined;
  /** The longest single wait: setTimeout cannot wait more than ~24.8 days, and a shorter one costs nothing. */
  maxDelayMs?: number | undefined;
  retryFloorMs?: number | undefined;
}

export class DistributionTimer {
  readonly #db: Database;
  readonly #wakeUp: DueWakeUp;
  readonly #logger: JobLogger;
  readonly #now: () => number;
  readonly #maxDelayMs: number;
  readonly #retryFloorMs: number;
  #armedFor: Date | null = null;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  /** Readings run one at a time; a nudge during one asks for one more after it. */
  #reading: Promise<void> | undefined;
  #again = false;
  #againAfterAdvance = false;

  constructor(options: DistributionTimerOptions) {
    this.#db = options.db;
    this.#wakeUp = options.wakeUp;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#maxDelayMs = options.maxDelayMs ?? 3_600_000;
    this.#retryFloorMs = options.retryFloorMs ?? 1_000;
  }

  /** Listens for moved moments and arms for the earliest one in the rows. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#unsubscribe ??= onDueTimesChanged(this.#db, () => void this.rearm());
    await this.rearm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#reading?.catch(() => undefined);
    this.#armedFor = null;
    await this.#wakeUp.disarm();
  }

  /** The moment the wake-up is armed for (null: nothing is due). */
  get armedFor(): Date | null {
    return this.#armedFor;
  }

  /** Reads the earliest due moment and arms for it. `afterAdvance`: a past moment waits retryFloorMs. */
  rearm(afterAdvance = false): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#reading) {
      // The reading under way may predate the change: one more follows it (and is awaited with it).
      this.#again = true;
      this.#againAfterAdvance ||= afterAdvance;
      return this.#reading;
    }
    this.#reading = this.#read(afterAdvance).then(() => {
      this.#reading = undefined;
      if (!this.#again || this.#stopped) return;
      const after = this.#againAfterAdvance;
      this.#again = false;
      this.#againAfterAdvance = false;
      return this.rearm(after);
    });
    return this.#reading;
  }

  async #read(afterAdvance: boolean): Promise<void> {
    try {
      const now = this.#now();
      const due = await nextDueAt(this.#db, new Date(now));
      if (this.#stopped) return;
      if (!due) {
        this.#armedFor = null;
        await this.#wakeUp.disarm();
        return;
      }
      const wait = due.getTime() - now;
      const delay = Math.min(this.#maxDelayMs, Math.max(wait, afterAdvance && wait <= 0 ? this.#retryFloorMs : 0));
      this.#armedFor = due;
      await this.#wakeUp.arm(due, delay);
    } catch (error) {
      // The minute tick still runs; the next decision or tick arms again.
      this.#logger.error({ err: error }, 'could not arm the distribution timer');
    }
  }
}
