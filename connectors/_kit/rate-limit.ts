import { defaultSleep, type Sleep } from './http.ts';

/**
 * Client-side token bucket: keeps a connector under a vendor's request quota (Shoprenter: 180
 * requests/minute, excess → 429) instead of discovering it through 429s. Upstream 429s are still
 * handled by the HTTP kit (Retry-After / backoff); this only spaces our own calls.
 *
 * Guarantee: in any window of `intervalMs` at most `limit + burst` requests start (the bucket
 * starts full with `burst` tokens and refills at `limit` per interval). Pick `burst` so that
 * `limit + burst` stays under the vendor's hard cap.
 *
 * Clock and sleep are injectable so tests assert the waits without waiting.
 */
export interface RateLimiterOptions {
  /** Requests allowed per interval (the sustained rate). */
  limit: number;
  /** Interval in ms. Default 60 000 (per minute). */
  intervalMs?: number;
  /** Bucket size: requests that may start back to back. Default 1. */
  burst?: number;
  now?: () => number;
  sleep?: Sleep;
}

export interface RateLimiter {
  /** Resolves when a request may start (takes one token). Rejects only when `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Tokens available right now (fractional), for tests and diagnostics. */
  available(): number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const limit = Math.max(1e-9, options.limit);
  const intervalMs = Math.max(1, options.intervalMs ?? 60_000);
  const burst = Math.max(1, Math.floor(options.burst ?? 1));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const msPerToken = intervalMs / limit;

  let tokens = burst;
  let updatedAt = now();
  // Callers are served in arrival order: each waits for the previous one's turn.
  let queue: Promise<void> = Promise.resolve();

  function refill(): void {
    const at = now();
    const elapsed = Math.max(0, at - updatedAt);
    updatedAt = at;
    tokens = Math.min(burst, tokens + elapsed / msPerToken);
  }

  async function take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil((1 - tokens) * msPerToken), signal);
    }
  }

  return {
    acquire(signal) {
      const turn = queue.then(() => take(signal));
      // A rejected turn (abort) must not block the callers behind it.
      queue = turn.catch(() => undefined);
      return turn;
    },
    available() {
      refill();
      return tokens;
    },
  };
}
