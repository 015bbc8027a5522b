import type * as Retry from '../../lambda/launchers/retry.js';

/**
 * The retry module with the production policy, but each `retryWithin` call's backoff waits pass on a
 * clock of its own instead of in real time: the call sees its deadline come as soon as the waits it
 * chose add up to it, so it makes the attempts production would (every one a real call to the
 * stand-in) and gives up as production would, without the seconds of sleeping. For a test file's
 * `vi.mock('…/lambda/launchers/retry.js', …)` factory.
 */
export function withVirtualBackoff(original: typeof Retry): typeof Retry {
  return {
    ...original,
    retryWithin: (deadline, policy, attempt, isRetryable) => {
      const now = policy.now ?? Date.now;
      let waited = 0;
      const virtual: Retry.RetryPolicy = {
        ...policy,
        now: () => now() + waited,
        sleep: async (ms) => {
          waited += ms;
        },
      };
      return original.retryWithin(deadline, virtual, attempt, isRetryable);
    },
  };
}
