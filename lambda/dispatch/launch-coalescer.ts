import type { LaunchResult } from '../launchers/launcher.js';

export interface LaunchCoalescerOptions {
  /** How long a successful launch is remembered for re-deliveries to this container. */
  readonly rememberMs: number;
  /** Most keys remembered; the oldest are forgotten first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

/**
 * Within one process: concurrent deliveries of a key share one launch, and re-deliveries of a key
 * that launched recently are answered from memory. This saves platform calls; it is not what makes
 * launches exactly-once across processes — the platform's idempotency (or a store) does that.
 */
export class LaunchCoalescer {
  private readonly inFlight = new Map<string, Promise<LaunchResult>>();
  private readonly recent = new Map<string, { result: LaunchResult; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: LaunchCoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(key: string, launch: () => Promise<LaunchResult>): Promise<LaunchResult> {
    const remembered = this.recent.get(key);
    if (remembered !== undefined && this.now() - remembered.at < this.options.rememberMs) {
      return { ...remembered.result, duplicate: true };
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending.then((result) => ({ ...result, duplicate: true }));

    const started = launch().then((result) => {
      this.remember(key, result);
      return result;
    });
    this.inFlight.set(key, started);
    try {
      return await started;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private remember(key: string, result: LaunchResult): void {
    this.recent.delete(key);
    this.recent.set(key, { result, at: this.now() });
    while (this.recent.size > this.options.maxEntries) {
      const oldest = this.recent.keys().next().value;
      if (oldest === undefined) break;
      this.recent.delete(oldest);
    }
  }
}
