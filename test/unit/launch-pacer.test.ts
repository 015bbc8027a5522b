import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LaunchPacer, LaunchRateLimitedError } from '../../lambda/launchers/pacing/launch-pacer.js';

describe('LaunchPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const pacer = (ratePerSecond: number, burst: number, maxWaitMs = 10_000) =>
    new LaunchPacer({ ratePerSecond, burst, maxWaitMs, now: () => Date.now() });

  it('grants a full burst without waiting', async () => {
    const p = pacer(20, 3);

    const granted = await Promise.all([p.take(), p.take(), p.take()]);

    expect(granted).toHaveLength(3);
  });

  it('releases callers beyond the burst in arrival order at the refill rate', async () => {
    const p = pacer(10, 1);
    const start = Date.now();
    const doneAt: number[] = [];

    const all = Promise.all([0, 1, 2, 3].map((i) => p.take().then(() => (doneAt[i] = Date.now() - start))));
    await vi.advanceTimersByTimeAsync(400);
    await all;

    expect(doneAt).toEqual([0, 100, 200, 300]);
  });

  it('refuses at once, without reserving a slot, when the wait would exceed maxWaitMs', async () => {
    const p = pacer(1, 1, 500);
    await p.take();

    await expect(p.take()).rejects.toBeInstanceOf(LaunchRateLimitedError);
    await vi.advanceTimersByTimeAsync(1_000);

    await expect(p.take()).resolves.toBeUndefined();
  });

  it('gives the slot back when the caller gives up before its turn', async () => {
    const p = pacer(10, 1);
    await p.take();
    const controller = new AbortController();
    const abandoned = p.take(controller.signal);

    controller.abort();
    await expect(abandoned).rejects.toBeInstanceOf(LaunchRateLimitedError);
    const next = p.take().then(() => Date.now());
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(200);

    expect((await next) - start).toBe(100);
  });

  describe("Retry-After of a refusal (the pacer's estimate of a free slot)", () => {
    /** Fills a 10/s bucket (burst 1, 500 ms window): 1 granted, 5 queued, the queue ends 500 ms out. */
    const fullPacer = async () => {
      const p = pacer(10, 1, 500);
      await p.take();
      const queued = [1, 2, 3, 4, 5].map(() => p.take());
      return { p, queued };
    };
    const refusal = (p: LaunchPacer) =>
      p.take().catch((error: unknown) => error) as Promise<LaunchRateLimitedError>;

    it('tells a refused caller to come back half a window before the first slot nobody holds', async () => {
      const { p } = await fullPacer();

      const refused = await refusal(p);

      // The first unreserved slot is 600 ms out; back 250 ms before it, in time to queue for it.
      expect(refused.retryAfterMs()).toBe(350);
    });

    it('spreads refused callers one refill interval apart instead of sending them all back at once', async () => {
      const { p } = await fullPacer();
      const refusals = [await refusal(p), await refusal(p), await refusal(p)];

      const retryAfter = refusals.map((r) => r.retryAfterMs());

      expect(retryAfter).toEqual([350, 450, 550]);
    });

    it('asks for no wait when a slot is free at once (a caller whose signal had already fired)', async () => {
      const p = pacer(10, 5, 500);
      const controller = new AbortController();
      controller.abort();

      const refused = (await p
        .take(controller.signal)
        .catch((error: unknown) => error)) as LaunchRateLimitedError;

      expect(refused).toBeInstanceOf(LaunchRateLimitedError);
      expect(refused.retryAfterMs()).toBe(0);
    });

    it('counts a caller whose deadline came before its slot as refused, with an estimate', async () => {
      const { p } = await fullPacer();
      const controller = new AbortController();
      const gaveUp = p
        .take(controller.signal)
        .catch((error: unknown) => error) as Promise<LaunchRateLimitedError>;
      await vi.advanceTimersByTimeAsync(50);

      controller.abort();
      const refused = await gaveUp;

      expect(refused).toBeInstanceOf(LaunchRateLimitedError);
      expect(refused.retryAfterMs()).toBeGreaterThan(0);
    });
  });
});
