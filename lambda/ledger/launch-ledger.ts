/** What a launch started, as re-deliveries are answered with it. */
export interface RecordedLaunch {
  readonly platform: string;
  readonly launchId: string;
  readonly duplicate: boolean;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * One launch attempt as the ledger keeps it. `pending` is written before the call is sent and stays
 * until the attempt is proved refused; an attempt that may have started an agent (a lost answer)
 * stays `pending`, so whoever holds the key next resolves it before launching anything.
 */
export interface LedgerAttempt {
  /** Unique within the key: `1`, `2`, ... in the order attempts were made. */
  readonly id: string;
  /** The leg it was sent on (`ecs/FARGATE_SPOT`, `aca`, ...). */
  readonly leg: string;
  readonly state: 'pending' | 'refused';
  /** When it was written (ms since epoch). */
  readonly at: number;
  /**
   * The attempt's deadline: no call of it is sent later, so a listing is trusted only `settleMs`
   * after this (retries inside the attempt may go out long after it was written).
   */
  readonly until?: number;
}

/** The ledger's record of one key. */
export interface LedgerRecord {
  readonly key: string;
  /** The Scalr task the key was first claimed for: a key reused for another task is refused. */
  readonly taskId: string;
  readonly state: 'claimed' | 'launched';
  readonly owner: string;
  /** A claim is held until then; after it, any delivery may take the key over. */
  readonly leaseUntil: number;
  readonly attempts: readonly LedgerAttempt[];
  /** Set once launched: what started, for re-deliveries. */
  readonly launch?: RecordedLaunch;
}

/** Who claims a key, for which task, until when (epoch ms). */
export interface ClaimRequest {
  readonly owner: string;
  readonly taskId: string;
  readonly leaseUntil: number;
}

/** What claiming a key found. */
export type ClaimOutcome =
  /** The key is ours now; `record.attempts` holds what earlier holders tried (resolve them first). */
  | { readonly kind: 'claimed'; readonly record: LedgerRecord }
  /** The key was launched already. */
  | { readonly kind: 'launched'; readonly record: LedgerRecord }
  /** Another delivery holds the key until `record.leaseUntil`. */
  | { readonly kind: 'busy'; readonly record: LedgerRecord };

/**
 * A strongly consistent record per de-duplication key: who holds it, what was tried, what started.
 * Every write is conditional on the owner, so a holder whose lease ran out cannot overwrite the
 * next one. Every call takes an AbortSignal and throws `TemporarilyUnavailableError` (or
 * `ConfigError`) when the store cannot answer; a write whose answer was lost may have been applied.
 */
export interface LaunchLedger {
  /** Claims `key` for `owner` until `leaseUntil`, unless it is launched or another lease holds it. */
  claim(key: string, claim: ClaimRequest, signal: AbortSignal): Promise<ClaimOutcome>;
  /** Adds an attempt (written before the call goes out). False when the owner lost the key. */
  addAttempt(key: string, owner: string, attempt: LedgerAttempt, signal: AbortSignal): Promise<boolean>;
  /** Marks an attempt refused: it started nothing. */
  markRefused(key: string, owner: string, attemptId: string, signal: AbortSignal): Promise<boolean>;
  /**
   * Records the launch; the key is answered from it from now on. True when the key is now launched
   * by `owner` — this call, or an earlier call of the same owner whose answer was lost; false when
   * another owner holds the key or recorded its launch (even the same launch: whether it was ours
   * to record is decided by the owner, never by comparing launches).
   */
  complete(key: string, owner: string, launch: RecordedLaunch, signal: AbortSignal): Promise<boolean>;
  /** Ends the lease but keeps the claim and its attempts: the next delivery resolves them. */
  suspend(key: string, owner: string, signal: AbortSignal): Promise<void>;
  /** Forgets the key: every attempt was refused, so nothing started and any delivery may launch. */
  release(key: string, owner: string, signal: AbortSignal): Promise<void>;
}
