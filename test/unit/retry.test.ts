import { describe, expect, it, vi } from 'vitest';
import { RetriesExhaustedError, retryWithin } from '../../lambda/launchers/retry.js';

function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

const policy = {
  baseDelayMs: 100,
  maxDelayMs: 1000,
  minAttemptMs: 200,
  attemptTimeoutMs: 5000,
  random: () => 0.5,
};

describe('retryWithin', () => {
  it('returns the first success', async () => {
    const time = fakeTime();
    const attempt = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValueOnce('ok');

    const result = await retryWithin(10_000, { ...policy, ...time }, attempt, () => true);

    expect(result).toBe('ok');
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it('backs off exponentially with jitter below a cap', async () => {
    const time = fakeTime();
    const attempt = vi.fn().mockRejectedValue(new Error('throttled'));

    await expect(retryWithin(20_000, { ...policy, ...time }, attempt, () => true)).rejects.toThrow(
      RetriesExhaustedError,
    );

    expect(time.sleeps.slice(0, 6)).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('stops before the deadline and reports the attempts and last error', async () => {
    const time = fakeTime();
    const last = new Error('still throttled');
    const attempt = vi.fn().mockRejectedValue(last);

    const error = await retryWithin(1000, { ...policy, ...time }, attempt, () => true).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).lastError).toBe(last);
    expect((error as RetriesExhaustedError).attempts).toBe(attempt.mock.calls.length);
    expect(time.now()).toBeLessThanOrEqual(1000);
  });

  it('does not retry an error the classifier refuses', async () => {
    const fatal = new Error('access denied');
    const attempt = vi.fn().mockRejectedValue(fatal);

    await expect(retryWithin(10_000, { ...policy, ...fakeTime() }, attempt, () => false)).rejects.toBe(fatal);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('gives each attempt a signal bounded by the time left', async () => {
    const time = fakeTime();
    let signal: AbortSignal | undefined;

    await retryWithin(
      10_000,
      { ...policy, ...time },
      async (s) => {
        signal = s;
      },
      () => true,
    );

    expect(signal).toBeInstanceOf(AbortSignal);
  });
});
