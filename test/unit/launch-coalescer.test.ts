import { describe, expect, it, vi } from 'vitest';
import { LaunchCoalescer } from '../../lambda/dispatch/launch-coalescer.js';
import { IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../../lambda/errors.js';

const result = { platform: 'ecs', launchId: 'arn:task/1', duplicate: false };

describe('LaunchCoalescer', () => {
  it('runs one launch for concurrent calls with the same key and marks the others duplicates', async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10 });
    const launch = vi.fn(async () => result);

    const results = await Promise.all([1, 2, 3].map(() => coalescer.run('k', launch)));

    expect(launch).toHaveBeenCalledTimes(1);
    expect(results.map((r) => r.duplicate)).toEqual([false, true, true]);
  });

  it('answers a re-delivery from memory until it is forgotten', async () => {
    let now = 0;
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10, now: () => now });
    const launch = vi.fn(async () => result);
    await coalescer.run('k', launch);

    expect((await coalescer.run('k', launch)).duplicate).toBe(true);
    now = 1000;
    await coalescer.run('k', launch);
    expect(launch).toHaveBeenCalledTimes(2);
  });

  it('does not remember failures: the next delivery tries again', async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10 });
    const launch = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValueOnce(result);

    await expect(coalescer.run('k', launch)).rejects.toThrow('throttled');
    expect(await coalescer.run('k', launch)).toEqual(result);
  });

  it('forgets the oldest keys beyond its bound', async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 60_000, maxEntries: 2 });
    const launch = vi.fn(async () => result);
    for (const key of ['a', 'b', 'c']) await coalescer.run(key, launch);

    await coalescer.run('a', launch);

    expect(launch).toHaveBeenCalledTimes(4);
  });
});

describe('LaunchCoalescer joiners (exactly-once issue, case 8)', () => {
  const later = (ms: number, value: () => Promise<typeof result>) =>
    new Promise<typeof result>((resolve, reject) => setTimeout(() => value().then(resolve, reject), ms));

  it('answers a joiner 503 at its own deadline while the leader still waits on the platform', async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10, retryAfterSeconds: 7 });
    const leader = coalescer.run('k', () => later(300, async () => result), { deadline: Date.now() + 1_000 });

    const joined = await coalescer
      .run('k', async () => result, { deadline: Date.now() + 50 })
      .catch((error: unknown) => error);

    expect(joined).toBeInstanceOf(TemporarilyUnavailableError);
    expect((joined as TemporarilyUnavailableError).retryAfterSeconds).toBe(7);
    expect((await leader).launchId).toBe(result.launchId);
  });

  it("tries once more itself, with its own budget, when the leader's launch fails", async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10 });
    const leaderLaunch = vi.fn(() =>
      later(20, async () => Promise.reject(new Error('leader ran out of time'))),
    );
    const joinerLaunch = vi.fn(async () => result);
    const leader = coalescer.run('k', leaderLaunch, { deadline: Date.now() + 30 }).catch((e: unknown) => e);

    const joined = await coalescer.run('k', joinerLaunch, { deadline: Date.now() + 1_000 });

    expect(await leader).toBeInstanceOf(Error);
    expect(joined.launchId).toBe(result.launchId);
    expect(joinerLaunch).toHaveBeenCalledTimes(1);
  });

  it('refuses a key reused for another task (422) instead of answering with that task', async () => {
    const coalescer = new LaunchCoalescer({ rememberMs: 1000, maxEntries: 10 });
    await coalescer.run('k', async () => result, { taskId: 'atask-1' });

    await expect(coalescer.run('k', async () => result, { taskId: 'atask-2' })).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });
});
