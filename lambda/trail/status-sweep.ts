import type { Logger } from '../log/logger.js';
import type { TaskTrail, TrailUpdate } from './task-trail.js';

/**
 * A platform that sends no task events (ACA): the sweep asks it about each unfinished trail.
 * `read` answers the platform's report now, or undefined when it has nothing yet (an execution not
 * visible yet is lag, not a failure).
 */
export interface StatusSource {
  /** The `platform` of the trails it knows about (`aca`). */
  readonly platform: string;
  read(trail: TaskTrail, signal: AbortSignal): Promise<TrailUpdate | undefined>;
}

/** The trail store calls the status sweep makes. */
export interface StatusSweepStore {
  unfinished(from: number, to: number, signal: AbortSignal, limit?: number): Promise<string[]>;
  read(taskId: string, signal: AbortSignal): Promise<TaskTrail | undefined>;
}

export interface StatusSweepOptions {
  readonly source: StatusSource;
  readonly store: StatusSweepStore;
  readonly logger: Logger;
  /** The whole status pass ends by then, so the overdue count after it always runs. */
  readonly budgetMs: number;
  /** One platform read may take this long (a hung ARM call is normal). */
  readonly readTimeoutMs: number;
  /** Reads per sweep at most, oldest trails first (the ones closest to overdue). */
  readonly maxReads: number;
  /** Reads in flight at once. */
  readonly concurrency: number;
  readonly now?: () => number;
}

/** What one status pass did; the sweep emits it. */
export interface StatusPass {
  /** Trails the platform reported on (a step or not). */
  readonly read: number;
  /** Reads that failed, timed out, or were not made because the platform throttled. */
  readonly failed: number;
  /** True when the platform answered 429: the rest waits for its Retry-After. */
  readonly throttled: boolean;
}

/** Retry-After when a throttled platform names none. */
const DEFAULT_BACKOFF_MS = 60_000;

/**
 * Asks the platform about every unfinished trail (accepted and not STOPPED) and hands each report to
 * `record`, within its own deadline. On a 429 it stops asking until the platform's Retry-After has
 * passed (remembered across sweeps of a warm container); a hang costs one read's timeout, an error
 * one read; neither stops the others. Reports it cannot get leave the trail as it was, so the overdue
 * count afterwards still sees a task that never ran.
 */
export class StatusSweep {
  private notBefore = 0;
  private readonly now: () => number;

  constructor(private readonly options: StatusSweepOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(
    from: number,
    signal: AbortSignal,
    record: (update: TrailUpdate, signal: AbortSignal) => Promise<void>,
  ): Promise<StatusPass> {
    const { options } = this;
    if (this.now() < this.notBefore) return { read: 0, failed: 0, throttled: true };
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.budgetMs)]);
    const ids = await options.store.unfinished(from, this.now(), deadline, options.maxReads);
    let next = 0;
    let read = 0;
    let failed = 0;
    let throttled = false;
    const worker = async () => {
      while (next < ids.length && !throttled && !deadline.aborted) {
        const taskId = ids[next++] as string;
        try {
          const trail = await options.store.read(taskId, deadline);
          if (trail === undefined || trail.platform !== options.source.platform) continue;
          const readSignal = AbortSignal.any([deadline, AbortSignal.timeout(options.readTimeoutMs)]);
          const update = await options.source.read(trail, readSignal);
          read++;
          if (update !== undefined) await record(update, deadline);
        } catch (error) {
          failed++;
          const backoff = throttleBackoffMs(error);
          if (backoff !== undefined) {
            throttled = true;
            this.notBefore = this.now() + backoff;
          }
          options.logger.warn('status read failed', {
            taskId,
            platform: options.source.platform,
            error: (error as Error).name,
            statusCode: (error as { statusCode?: number }).statusCode,
            retryAfterMs: backoff,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    // Trails not reached (deadline, throttling) count as failed reads: nothing is known of them.
    failed += Math.max(0, ids.length - next);
    return { read, failed, throttled };
  }
}

/**
 * The wait a 429 asks for (Retry-After in seconds or as an HTTP date), or undefined for any other
 * error. Reads the header as the Azure SDK's RestError carries it.
 */
export function throttleBackoffMs(error: unknown, now = Date.now()): number | undefined {
  const failure = error as {
    statusCode?: number;
    response?: { headers?: { get?: (name: string) => string | undefined } };
  };
  if (failure?.statusCode !== 429) return undefined;
  const header = failure.response?.headers?.get?.('retry-after');
  if (header === undefined || header === '') return DEFAULT_BACKOFF_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? DEFAULT_BACKOFF_MS : Math.max(0, at - now);
}
