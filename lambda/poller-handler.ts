import { Logger, logLevelFrom } from './log/logger.js';
import { createPoller } from './poller/create-poller.js';
import { pollMetricsFrom } from './poller/poll-metrics.js';
import { runPolls } from './poller/run-polls.js';

const logger = new Logger(undefined, logLevelFrom(process.env.LOG_LEVEL), { source: 'env0' });
// Built once per container; a configuration error is logged at every invocation instead of failing init.
const metrics = pollMetricsFrom(process.env);
const runtime = await createPoller(process.env, { logger }).catch((error: unknown) => error as Error);

/** EventBridge Scheduler entry point: a few polls of env0's queue, then return. */
export async function handler(_event: unknown, context: { getRemainingTimeInMillis(): number }) {
  if (runtime instanceof Error) {
    logger.error('configuration invalid: nothing polled', { error: runtime.message });
    // Counted as a refused poll: the configuration alarm names it, not only "polls stopped".
    metrics?.poll({ outcome: 'skipped', reason: 'configuration_invalid', started: 0, resumed: 0 });
    return { polls: 0 };
  }
  const reports = await runPolls(runtime.poller, {
    intervalMs: runtime.config.pollingIntervalSeconds * 1000,
    windowMs: runtime.config.runSeconds * 1000,
    pollBudgetMs: runtime.config.pollBudgetMs,
    remainingMs: () => context.getRemainingTimeInMillis(),
    onPoll: (report) => metrics?.poll(report),
  });
  return { polls: reports.length, started: reports.reduce((sum, r) => sum + r.started, 0) };
}
