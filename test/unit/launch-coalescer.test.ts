import { describe, expect, it, vi } from 'vitest';
import { LaunchCoalescer } from '../../lambda/dispatch/launch-coalescer.js';

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
