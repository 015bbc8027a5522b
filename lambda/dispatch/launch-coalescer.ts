import { abortable } from '../aws/abortable.js';
import { IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../errors.js';
import type { LaunchResult } from '../launchers/launcher.js';

export interface LaunchCoalescerOptions {
  /** How long a successful launch is remembered for re-deliveries to this container. */
  readonly rememberMs: number;
  /** Most keys remembered; the oldest are forgotten first. */
  readonly maxEntries: number;
  /** `Retry-After` for a joiner whose own deadline passed while it waited. */
  readonly retryAfterSeconds?: number;
  readonly now?: () => number;
}

/** Who is asking: its own deadline, and the task the key is for. */
export interface Caller {
  /** Absolute time (ms) by which this caller must be answered. */
  readonly deadline?: number;
  /** A key reused for another task is refused (422) instead of answered with that task's agent. */
  readonly taskId?: string;
}

interface Flight {
  readonly taskId: string | undefined;
  readonly promise: Promise<LaunchResult>;
}

/**
 * Within one process: concurrent deliveries of a key share one launch, and re-deliveries of a key
 * that launched recently are answered from memory. This saves platform calls; it is not what makes
 * launches exactly-once across processes — the platform's idempotency or the launch ledger does that.
 * A delivery that joins another's launch keeps its own deadline, and when that launch fails it tries
 * once more itself if time is left, instead of inheriting an answer shaped by someone else's budget.
 */
export class LaunchCoalescer {
  private readonly inFlight = new Map<string, Flight>();
  private readonly recent = new Map<string, { result: LaunchResult; taskId?: string; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: LaunchCoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(key: string, launch: () => Promise<LaunchResult>, caller: Caller = {}): Promise<LaunchResult> {
    const remembered = this.recent.get(key);
    if (remembered !== undefined && this.now() - remembered.at < this.options.rememberMs) {
      requireSameTask(remembered.taskId, caller.taskId);
      return { ...remembered.result, duplicate: true };
    }
    const pending = this.inFlight.get(key);
    if (pending === undefined) return this.lead(key, launch, caller);
    requireSameTask(pending.taskId, caller.taskId);
    try {
      const result = await this.within(pending.promise, caller.deadline);
      return { ...result, duplicate: true };
    } catch (error) {
      if (error instanceof JoinTimeout) {
        throw new TemporarilyUnavailableError(
          'Another delivery with this Idempotency-Key is being launched right now; retry with the same key.',
          this.options.retryAfterSeconds ?? 5,
        );
      }
      // The leader's launch failed within its budget; this caller may still have time of its own.
      if (caller.deadline !== undefined && this.now() >= caller.deadline) throw error;
      return this.run(key, launch, caller);
    }
  }

  private async lead(
    key: string,
    launch: () => Promise<LaunchResult>,
    caller: Caller,
  ): Promise<LaunchResult> {
    const promise = launch().then((result) => {
      this.remember(key, result, caller.taskId);
      return result;
    });
    this.inFlight.set(key, { taskId: caller.taskId, promise });
    try {
      return await promise;
    } finally {
      if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
    }
  }

  /** Waits for a shared launch, but only until this caller's own deadline. */
  private within(promise: Promise<LaunchResult>, deadline: number | undefined): Promise<LaunchResult> {
    if (deadline === undefined) return promise;
    const signal = AbortSignal.timeout(Math.max(0, Math.floor(deadline - this.now())));
    return abortable(promise, signal, () => new JoinTimeout());
  }

  private remember(key: string, result: LaunchResult, taskId: string | undefined): void {
    this.recent.delete(key);
    this.recent.set(key, { result, taskId, at: this.now() });
    while (this.recent.size > this.options.maxEntries) {
      const oldest = this.recent.keys().next().value;
      if (oldest === undefined) break;
      this.recent.delete(oldest);
    }
  }
}

class JoinTimeout extends Error {}

function requireSameTask(first: string | undefined, now: string | undefined): void {
  if (first !== undefined && now !== undefined && first !== now) throw new IdempotencyKeyReusedError();
}
