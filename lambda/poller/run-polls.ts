import type { Poller, PollReport } from './poller.js';

export interface RunOptions {
  /** Time between poll starts. */
  readonly intervalMs: number;
  /** Polls start only within this window from the first (the schedule's period). */
  readonly windowMs: number;
  /** A poll needs this much time left in the invocation to start. */
  readonly pollBudgetMs: number;
  /** Time left in the invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  /** Told of each poll as it ends (metrics); it must not throw. */
  readonly onPoll?: (report: PollReport) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * One scheduled invocation: polls every `intervalMs` within `windowMs` (EventBridge Scheduler fires
 * at most once a minute, so a 30 s interval is two polls per invocation), then releases the lease
 * so the next invocation's first poll is not kept waiting.
 */
export async function runPolls(poller: Poller, options: RunOptions): Promise<PollReport[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = now();
  const reports: PollReport[] = [];
  try {
    for (let at = 0; at < options.windowMs; at += options.intervalMs) {
      const wait = start + at - now();
      if (wait > 0) await sleep(wait);
      if (options.remainingMs() < options.pollBudgetMs + 1_000) break;
      const report = await poller.pollOnce();
      reports.push(report);
      options.onPoll?.(report);
    }
  } finally {
    await poller.release();
  }
  return reports;
}
