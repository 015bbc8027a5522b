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
});
