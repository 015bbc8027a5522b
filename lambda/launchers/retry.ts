/** How a launcher retries one platform call inside a deadline. */
export interface RetryPolicy {
  /** First backoff ceiling; doubles per attempt ("full jitter": the wait is random below it). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No attempt starts with less time than this left; a call needs time to answer. */
  readonly minAttemptMs: number;
  /** Longest time one attempt may take before it is aborted (the next attempt is safe to send). */
  readonly attemptTimeoutMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  minAttemptMs: 750,
  attemptTimeoutMs: 8_000,
};

/** Every attempt failed with a retryable error, or the deadline came first. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s)`, { cause: lastError });
    this.name = 'RetriesExhaustedError';
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or the deadline leaves no room for
 * another try. Each attempt gets an AbortSignal that fires at its own timeout or the deadline.
 */
export async function retryWithin<T>(
  deadline: number,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
): Promise<T> {
  const now = policy.now ?? Date.now;
  const random = policy.random ?? Math.random;
  const sleep = policy.sleep ?? realSleep;
  let lastError: unknown;
  for (let n = 1; ; n++) {
    const left = deadline - now();
    if (left < policy.minAttemptMs) throw new RetriesExhaustedError(n - 1, lastError);
    try {
      return await attempt(AbortSignal.timeout(Math.floor(Math.min(left, policy.attemptTimeoutMs))), n);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      lastError = error;
    }
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
    const delay = Math.floor(random() * ceiling);
    if (now() + delay + policy.minAttemptMs > deadline) throw new RetriesExhaustedError(n, lastError);
    await sleep(delay);
  }
}
