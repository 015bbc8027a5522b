import { describe, expect, it, vi } from 'vitest';
import { ConfigError, TemporarilyUnavailableError } from '../../lambda/errors.js';
import { SecretCache } from '../../lambda/secrets/secret-cache.js';

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
    expect(onStale).toHaveBeenCalledTimes(1);
    time.advance(1);
    await expect(cache.get()).rejects.toBe(outage);
  });

  it('never bridges a configuration error with a stale value', async () => {
    const time = clock();
    const fetcher = vi.fn().mockResolvedValueOnce('v1').mockRejectedValue(new ConfigError('secret deleted'));
    const cache = new SecretCache(fetcher, { ttlMs: 1000, staleMs: 60_000, now: time.now });
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
});
