/** The pacer could not grant a launch slot before the attempt had to give up. */
export class LaunchRateLimitedError extends Error {
  constructor(
    readonly waitMs: number,
    private readonly book: () => number = () => waitMs,
  ) {
    super(`no launch slot within the attempt (next slot in ${Math.ceil(waitMs)} ms)`);
    this.name = 'LaunchRateLimited';
  }

  /**
   * Milliseconds after which a re-delivery should come back (its `Retry-After`), from the pacer's own
   * estimate of a free slot. Books that slot, so the next refused caller is told a later one: call
   * it once, for the answer that gives up.
   */
  retryAfterMs(): number {
    return this.book();
  }
}

export interface LaunchPacerOptions {
  /** Launches per second granted in steady state (Fargate refills 20 per second). */
  readonly ratePerSecond: number;
  /** Launches granted at once from a full bucket (Fargate allows a burst of 100). */
  readonly burst: number;
  /** A caller is never queued for longer than this; it gets LaunchRateLimitedError at once instead. */
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

/**
 * Client-side token bucket in front of RunTask. Under a burst it queues callers in arrival order and
 * releases them at the platform's refill rate, so ECS sees few ThrottlingExceptions and each launch
 * needs about one call. Slots are reserved up front (the bucket may go negative); a caller that gives
 * up before its slot returns it.
 */
export class LaunchPacer {
  private tokens: number;
  private updatedAt: number;
  /** Slot last promised to a refused caller (epoch ms); promises are spaced at the refill rate. */
  private promisedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: LaunchPacerOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('LaunchPacer needs ratePerSecond > 0 and burst >= 1');
    }
    this.now = options.now ?? Date.now;
    this.tokens = options.burst;
    this.updatedAt = this.now();
  }

  /** Resolves when a launch may be sent; rejects with LaunchRateLimitedError when the signal fires first. */
  async take(signal?: AbortSignal): Promise<void> {
    this.refill();
    const waitMs = this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.options.ratePerSecond) * 1000;
    if (waitMs > this.options.maxWaitMs || signal?.aborted) throw this.refusal(waitMs);
    this.tokens -= 1;
    if (waitMs === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, waitMs);
      const onAbort = () => {
        clearTimeout(timer);
        this.tokens += 1;
        reject(this.refusal(waitMs));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A refusal whose `retryAfterMs()` promises the caller a slot: the first one not yet reserved, and
   * not before the previous promise plus one refill interval, so refused callers come back spread
   * out at the rate they can be served instead of all at once. It is told to come back half a wait
   * window before that slot: early enough to queue for it, late enough not to be refused again.
   */
  private refusal(waitMs: number): LaunchRateLimitedError {
    return new LaunchRateLimitedError(waitMs, () => {
      this.refill();
      const now = this.now();
      const free = this.tokens >= 1 ? now : now + ((1 - this.tokens) / this.options.ratePerSecond) * 1000;
      this.promisedAt = Math.max(free, this.promisedAt + 1000 / this.options.ratePerSecond);
      return Math.max(0, this.promisedAt - now - this.options.maxWaitMs / 2);
    });
  }

  private refill(): void {
    const now = this.now();
    const earned = ((now - this.updatedAt) / 1000) * this.options.ratePerSecond;
    this.tokens = Math.min(this.options.burst, this.tokens + earned);
    this.updatedAt = now;
  }
}
