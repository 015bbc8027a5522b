/**
 * ARM statuses of a Container Apps job execution that has ended: `Succeeded` (the agent exited 0),
 * `Failed`, `Stopped` and `Degraded`. The task trail reports them as STOPPED and the env0 poller
 * counts them as finished agents; one list, so the two never disagree about when an agent is gone.
 */
export const FINISHED_EXECUTION_STATUSES: ReadonlySet<string> = new Set([
  'Succeeded',
  'Failed',
  'Stopped',
  'Degraded',
]);
