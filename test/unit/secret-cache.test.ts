import { describe, expect, it, vi } from 'vitest';
import { ConfigError, TemporarilyUnavailableError } from '../../lambda/errors.js';
import { SecretCache } from '../../lambda/secrets/secret-cache.js';

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A fetcher that never answers unless its signal aborts; records the signals it was given. */
function hungFetcher() {
  const signals: AbortSignal[] = [];
  const fetcher = vi.fn(
    (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        signals.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  );
  return { fetcher, signals };
}

function clock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('SecretCache', () => {
  it('fetches once while the value is fresh, again after the TTL', async () => {
    const time = clock();
    const fetcher = vi.fn().mockResolvedValueOnce('v1').mockResolvedValueOnce('v2');
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0, now: time.now });

    expect(await cache.get()).toBe('v1');
    time.advance(999);
    expect(await cache.get()).toBe('v1');
    time.advance(1);
    expect(await cache.get()).toBe('v2');
    expect(fetcher).toHaveBeenCalledTimes(2);
  });

  it('shares one fetch between concurrent readers', async () => {
    const fetcher = vi.fn().mockResolvedValue('v1');
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0 });

    await Promise.all(Array.from({ length: 20 }, () => cache.get()));

    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it('refreshes on demand, but not more often than the minimum interval', async () => {
    const time = clock();
    const fetcher = vi.fn().mockResolvedValueOnce('old').mockResolvedValueOnce('rotated');
    const cache = new SecretCache(fetcher, {
      ttlMs: 60_000,
      staleMs: 0,
      minRefreshIntervalMs: 2000,
      now: time.now,
    });
    await cache.get();

    expect(await cache.refresh()).toBeUndefined(); // fetched just now
    time.advance(2000);
    expect(await cache.refresh()).toBe('rotated');
    expect(await cache.get()).toBe('rotated');
    expect(fetcher).toHaveBeenCalledTimes(2);
  });

  it('serves the last value for the stale window while fetching fails, then gives up with a 503 error', async () => {
    const time = clock();
    const onStale = vi.fn();
    const outage = new TemporarilyUnavailableError('down', 5);
    const fetcher = vi.fn().mockResolvedValueOnce('v1').mockRejectedValue(outage);
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 5000, now: time.now, onStale });
    await cache.get();

    time.advance(5999);
    expect(await cache.get()).toBe('v1');
    await settle();
    expect(onStale).toHaveBeenCalledTimes(1);
    time.advance(1);
    await expect(cache.get()).rejects.toBe(outage);
  });

  it('stops serving the cached value once a refresh reports a configuration error', async () => {
    const time = clock();
    const fetcher = vi.fn().mockResolvedValueOnce('v1').mockRejectedValue(new ConfigError('secret deleted'));
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 60_000, now: time.now });
    await cache.get();
    time.advance(1000);

    expect(await cache.get()).toBe('v1'); // the refresh runs in the background
    await settle();

    await expect(cache.get()).rejects.toThrow(ConfigError);
  });

  it('never bridges a configuration error with a stale value when there is no stale window', async () => {
    const time = clock();
    const fetcher = vi.fn().mockResolvedValueOnce('v1').mockRejectedValue(new ConfigError('secret deleted'));
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0, now: time.now });
    await cache.get();
    time.advance(1000);

    await expect(cache.get()).rejects.toThrow(ConfigError);
  });

  it('turns an unexpected fetch error into a retryable one', async () => {
    const cache = new SecretCache(vi.fn().mockRejectedValue(new Error('socket hang up')), {
      ttlMs: 0,
      staleMs: 0,
    });

    await expect(cache.get()).rejects.toThrow(TemporarilyUnavailableError);
  });

  describe('past the TTL', () => {
    it('answers from the cache at once and refreshes in the background', async () => {
      const time = clock();
      let answer: (value: string) => void = () => undefined;
      const fetcher = vi
        .fn()
        .mockResolvedValueOnce('v1')
        .mockImplementationOnce(() => new Promise<string>((resolve) => (answer = resolve)));
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 5000, now: time.now });
      await cache.get();
      time.advance(1000);

      expect(await cache.get()).toBe('v1');
      expect(fetcher).toHaveBeenCalledTimes(2);
      answer('v2');
      await settle();

      expect(await cache.get()).toBe('v2');
    });

    it('serves the stale value without waiting while the refresh hangs, and logs it when the refresh gives up', async () => {
      const time = clock();
      const onStale = vi.fn();
      const { fetcher, signals } = hungFetcher();
      fetcher.mockResolvedValueOnce('v1');
      const cache = new SecretCache(fetcher, {
        ttlMs: 1000,
        staleMs: 60_000,
        fetchTimeoutMs: 300,
        now: time.now,
        onStale,
      });
      await cache.get();
      time.advance(1000);

      const answers = await Promise.all([cache.get(), cache.get(), cache.get()]);
      const refreshStillHanging = signals[0]?.aborted === false;
      await new Promise((resolve) => setTimeout(resolve, 400));

      expect(answers).toEqual(['v1', 'v1', 'v1']);
      expect(refreshStillHanging).toBe(true);
      expect(onStale).toHaveBeenCalledTimes(1);
      expect(onStale.mock.calls[0]?.[0]).toBeInstanceOf(TemporarilyUnavailableError);
    });

    it('runs at most one background refresh at a time', async () => {
      const time = clock();
      const { fetcher } = hungFetcher();
      fetcher.mockResolvedValueOnce('v1');
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 60_000, now: time.now });
      await cache.get();
      time.advance(1000);

      for (let i = 0; i < 10; i++) expect(await cache.get()).toBe('v1');

      expect(fetcher).toHaveBeenCalledTimes(2);
    });

    it('gives a hung background refresh its own timeout, so a later one can start', async () => {
      const time = clock();
      const { fetcher, signals } = hungFetcher();
      fetcher.mockResolvedValueOnce('v1');
      const cache = new SecretCache(fetcher, {
        ttlMs: 1000,
        staleMs: 60_000,
        fetchTimeoutMs: 30,
        now: time.now,
      });
      await cache.get();
      time.advance(1000);

      await cache.get();
      await new Promise((resolve) => setTimeout(resolve, 80));
      await cache.get();

      expect(signals[0]?.aborted).toBe(true);
      expect(fetcher).toHaveBeenCalledTimes(3);
    });
  });

  describe('without a usable cached value', () => {
    it('waits for the fetch only until the caller gives up, then answers 503 with Retry-After', async () => {
      const { fetcher } = hungFetcher();
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0, retryAfterSeconds: 9 });

      const error = await cache.get(AbortSignal.timeout(30)).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TemporarilyUnavailableError);
      expect((error as TemporarilyUnavailableError).retryAfterSeconds).toBe(9);
    });

    it('lets a reader joining a fetch keep its own deadline', async () => {
      let answer: (value: string) => void = () => undefined;
      const fetcher = vi.fn(() => new Promise<string>((resolve) => (answer = resolve)));
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0 });

      const hasty = cache.get(AbortSignal.timeout(20));
      const patient = cache.get(AbortSignal.timeout(5_000));
      await expect(hasty).rejects.toThrow(TemporarilyUnavailableError);
      answer('v1');

      expect(await patient).toBe('v1');
      expect(fetcher).toHaveBeenCalledTimes(1);
    });

    it('answers 503 at once to a reader whose deadline has already passed', async () => {
      const { fetcher } = hungFetcher();
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0 });
      const done = new AbortController();
      done.abort();

      await expect(cache.get(done.signal)).rejects.toThrow(TemporarilyUnavailableError);
    });

    it('gives the fetch a signal of its own that ends it after the fetch timeout', async () => {
      const { fetcher, signals } = hungFetcher();
      const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 0, fetchTimeoutMs: 20 });

      await expect(cache.get()).rejects.toThrow(TemporarilyUnavailableError);

      expect(signals[0]?.aborted).toBe(true);
    });

    it("bounds a forced refresh by the caller's deadline too", async () => {
      const time = clock();
      const { fetcher } = hungFetcher();
      fetcher.mockResolvedValueOnce('v1');
      const cache = new SecretCache(fetcher, { ttlMs: 60_000, staleMs: 0, now: time.now });
      await cache.get();
      time.advance(2_000);

      await expect(cache.refresh(AbortSignal.timeout(20))).rejects.toThrow(TemporarilyUnavailableError);
      expect(await cache.get()).toBe('v1'); // the cached value still serves within its TTL
    });
  });
});
