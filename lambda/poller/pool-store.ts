/**
 * One agent this pool decided to start. `launchId` is set once the platform accepted the launch;
 * until then the slot is planned: whoever holds the lease next launches it again with the same key,
 * which the launchers make idempotent (ECS clientToken, the launch ledger for ACA).
 */
export interface TrackedAgent {
  /** Idempotency key of the launch, unique per pool and decision. */
  readonly key: string;
  /** When the slot was decided (ms since epoch). */
  readonly plannedAt: number;
  readonly launchId?: string;
  readonly platform?: string;
  /**
   * A launch of this key may have started an agent but was not confirmed (a lost answer, a retry
   * refused afterwards): the slot is kept, and launched again with its key, until the platform
   * answers for the key. Never set once `launchId` is.
   */
  readonly unconfirmed?: boolean;
}

/** What taking the lease found. */
export type LeaseOutcome =
  | { readonly kind: 'acquired'; readonly agents: readonly TrackedAgent[] }
  | { readonly kind: 'busy'; readonly leaseUntil: number };

/**
 * The poller's record of its pool: a lease (only its holder decides and launches) and the agents it
 * started. One strongly consistent item; every write is conditional on the owner, so a poller whose
 * lease was taken over cannot overwrite the next one's record. Calls throw when the store cannot
 * answer; a write whose answer was lost may have been applied.
 */
export interface PoolStore {
  /** Takes or renews the lease until `leaseUntil` unless another owner holds it now. */
  acquire(owner: string, leaseUntil: number, signal: AbortSignal): Promise<LeaseOutcome>;
  /** Replaces the tracked agents; false when `owner` no longer holds the lease. */
  save(owner: string, agents: readonly TrackedAgent[], signal: AbortSignal): Promise<boolean>;
  /** Ends the lease early so the next invocation need not wait for it to run out. */
  release(owner: string, signal: AbortSignal): Promise<void>;
}
