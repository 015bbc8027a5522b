import { abortable } from '../aws/abortable.js';
import { ConfigError, TemporarilyUnavailableError } from '../errors.js';

/**
 * Reads the current value of one secret; throws ConfigError or TemporarilyUnavailableError. Gives
 * up when `signal` aborts.
 */
export type SecretFetcher = (signal: AbortSignal) => Promise<string>;

export interface SecretCacheOptions {
  /** Trust a fetched value this long before fetching again. */
  readonly ttlMs: number;
  /** Past the TTL, keep serving the last value this long while it is refreshed in the background. */
  readonly staleMs: number;
  /** Forced refreshes (on a credential mismatch) happen at most this often. */
  readonly minRefreshIntervalMs?: number;
  /**
   * One fetch is abandoned after this long, whoever waits for it: a hung read must not stay in
   * flight and hold back every later refresh. @default 10_000
   */
  readonly fetchTimeoutMs?: number;
  readonly now?: () => number;
  /** `Retry-After` of the 503 when no value can be had. */
  readonly retryAfterSeconds?: number;
  /** Told when a background refresh failed and the cached value keeps serving, so the outage shows in the logs. */
  readonly onStale?: (error: unknown) => void;
}

/**
 * Caches one secret across invocations. Concurrent readers share one fetch. Past the TTL the cached
 * value keeps serving at once while a single background fetch refreshes it, so a slow or failing
 * Secrets Manager delays nobody for the stale window. Without a usable value a reader waits for the
 * fetch, but never past its own deadline (its AbortSignal).
 */
export class SecretCache {
  private value: string | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly fetcher: SecretFetcher,
    private readonly options: SecretCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The cached value while fresh or within the stale window (refreshing it in the background past
   * the TTL), else a newly fetched one. Throws TemporarilyUnavailableError when `signal` aborts first.
   */
  async get(signal?: AbortSignal): Promise<string> {
    const age = this.now() - this.fetchedAt;
    if (this.value !== undefined && age < this.options.ttlMs) return this.value;
    if (this.value !== undefined && age < this.options.ttlMs + this.options.staleMs) {
      this.refreshInBackground();
      return this.value;
    }
    return this.waitFor(this.fetch(), signal);
  }

  /**
   * Fetches again because a presented credential did not match the cached one (the secret may have
   * been rotated). Returns undefined when a refresh ran too recently to be worth repeating; throws
   * TemporarilyUnavailableError when no fresh value came before `signal` aborted.
   */
  async refresh(signal?: AbortSignal): Promise<string | undefined> {
    const minInterval = this.options.minRefreshIntervalMs ?? 2_000;
    if (this.inFlight === undefined && this.now() - this.lastRefreshAt < minInterval) return undefined;
    return this.waitFor(this.fetch(), signal);
  }

  private refreshInBackground(): void {
    if (this.inFlight !== undefined) return;
    this.fetch().catch((error: unknown) => {
      // A configuration error already dropped the value (see fetchOnce); anything else is an outage.
      if (!(error instanceof ConfigError)) this.options.onStale?.(error);
    });
  }

  private fetch(): Promise<string> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchOnce(): Promise<string> {
    this.lastRefreshAt = this.now();
    // Its own timeout, not a caller's: other readers may join this fetch with later deadlines.
    const signal = AbortSignal.timeout(this.options.fetchTimeoutMs ?? 10_000);
    try {
      // Raced with the signal too, so a fetcher that ignores it cannot stay in flight.
      const value = await this.waitFor(this.fetcher(signal), signal);
      this.value = value;
      this.fetchedAt = this.now();
      return value;
    } catch (error) {
      if (error instanceof ConfigError) {
        // Never bridge a configuration error (secret deleted, access revoked) with a stale value.
        this.value = undefined;
        this.fetchedAt = Number.NEGATIVE_INFINITY;
        throw error;
      }
      throw this.unavailable(error);
    }
  }

  /** `work`, unless `signal` aborts first: then a TemporarilyUnavailableError (work goes on). */
  private waitFor(work: Promise<string>, signal: AbortSignal | undefined): Promise<string> {
    return abortable(work, signal, () => this.unavailable(signal?.reason));
  }

  private unavailable(error: unknown): TemporarilyUnavailableError {
    if (error instanceof TemporarilyUnavailableError) return error;
    return new TemporarilyUnavailableError(
      'Could not read a secret; try again shortly.',
      this.options.retryAfterSeconds ?? 5,
      { cause: error },
    );
  }
}
