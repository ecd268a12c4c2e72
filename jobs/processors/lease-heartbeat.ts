import { renewSyncLease, type SyncLease } from '../../core/channels/sync-lease.ts';
import { HubError } from '../../core/errors.ts';
import type { ProcessorContext } from '../runtime/types.ts';

/**
 * Keeps a channel's sync lease alive (a sync's or a reconciliation's) while a slow page is fetched
 * (connector retries can take a while), and aborts the pull when the lease turns out to be lost.
 */
export class LeaseHeartbeat {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  lost = false;

  constructor(ctx: ProcessorContext, lease: SyncLease, ttlMs: number, external: AbortSignal | undefined) {
    if (external) {
      if (external.aborted) this.#controller.abort(external.reason);
      else external.addEventListener('abort', () => this.#controller.abort(external.reason), { once: true });
    }
    this.#timer = setInterval(() => {
      renewSyncLease(ctx.db, lease, ttlMs).then(
        (held) => {
          if (!held) this.markLost();
        },
        () => undefined, // a failed heartbeat is retried on the next beat; the lease has slack
      );
    }, Math.max(50, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  markLost(): void {
    this.lost = true;
    this.#controller.abort(new HubError('conflict', 'sync lease lost'));
  }

  throwIfLost(): void {
    if (this.lost) throw new HubError('conflict', 'sync lease lost');
    if (this.#controller.signal.aborted) {
      const error = new Error('sync aborted');
      error.name = 'AbortError';
      throw error;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
