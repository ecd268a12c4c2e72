import { describe, it, expect } from 'vitest';
import { createRateLimiter } from '../../connectors/_kit/rate-limit.ts';

function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

describe('rate limiter (token bucket)', () => {
  it('lets a burst through, then spaces requests at the sustained rate', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 60, intervalMs: 60_000, burst: 3, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 6; i++) await limiter.acquire();
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(clock.now()).toBe(3000);
  });

  it('never starts more than limit + burst requests in any interval', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 180, intervalMs: 60_000, burst: 1, now: clock.now, sleep: clock.sleep });
    const starts: number[] = [];
    for (let i = 0; i < 400; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= (starts[i] as number) && s < (starts[i] as number) + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(181);
    }
    // 400 requests at 3 per second after the first: about 133 s.
    expect(clock.now()).toBeGreaterThanOrEqual(132_900);
  });

  it('refills while idle, but never above the burst', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 60, burst: 2, now: clock.now, sleep: clock.sleep });
    await limiter.acquire();
    await limiter.acquire();
    expect(limiter.available()).toBeCloseTo(0);
    clock.advance(10 * 60_000);
    expect(limiter.available()).toBe(2);
    await limiter.acquire();
    await limiter.acquire();
    expect(clock.sleeps).toEqual([]);
  });

  it('serves concurrent callers in order', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 120, burst: 1, now: clock.now, sleep: clock.sleep });
    const order: number[] = [];
    await Promise.all([0, 1, 2].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2]);
    expect(clock.sleeps).toEqual([500, 500]);
  });

  it('stops waiting when the signal aborts, without blocking later callers', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ limit: 1, burst: 1, now: clock.now, sleep: clock.sleep });
    await limiter.acquire();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('stop');
    await limiter.acquire();
    expect(clock.sleeps).toEqual([60_000]);
  });
});
