import { ConfigError, TemporarilyUnavailableError } from '../errors.js';

/** Reads the current value of one secret; throws ConfigError or TemporarilyUnavailableError. */
export type SecretFetcher = () => Promise<string>;

export interface SecretCacheOptions {
  /** Trust a fetched value this long before fetching again. */
  readonly ttlMs: number;
  /** Past the TTL, keep serving the last value this long while fetching fails temporarily. */
  readonly staleMs: number;
  /** Forced refreshes (on a credential mismatch) happen at most this often. */
  readonly minRefreshIntervalMs?: number;
  readonly now?: () => number;
  /** `Retry-After` of the 503 when no value can be had. */
  readonly retryAfterSeconds?: number;
  /** Told when a stale value is served, so the outage shows in the logs. */
  readonly onStale?: (error: unknown) => void;
}

/**
 * Caches one secret across invocations. Concurrent readers share one fetch; a temporary Secrets
 * Manager failure is bridged with the last good value for a bounded stale window.
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

  /** The cached value while fresh, else a newly fetched one. */
  async get(): Promise<string> {
    if (this.value !== undefined && this.now() - this.fetchedAt < this.options.ttlMs) return this.value;
    return this.fetch();
  }

  /**
   * Fetches again because a presented credential did not match the cached one (the secret may have
   * been rotated). Returns undefined when a refresh ran too recently to be worth repeating.
   */
  async refresh(): Promise<string | undefined> {
    const minInterval = this.options.minRefreshIntervalMs ?? 2_000;
    if (this.inFlight === undefined && this.now() - this.lastRefreshAt < minInterval) return undefined;
    return this.fetch();
  }

  private fetch(): Promise<string> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchOnce(): Promise<string> {
    this.lastRefreshAt = this.now();
    try {
      const value = await this.fetcher();
      this.value = value;
      this.fetchedAt = this.now();
      return value;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const age = this.now() - this.fetchedAt;
      if (this.value !== undefined && age < this.options.ttlMs + this.options.staleMs) {
        this.options.onStale?.(error);
        return this.value;
      }
      if (error instanceof TemporarilyUnavailableError) throw error;
      throw new TemporarilyUnavailableError(
        'Could not read a secret; try again shortly.',
        this.options.retryAfterSeconds ?? 5,
        {
          cause: error,
        },
      );
    }
  }
}
