import type { LaunchRequest } from './launcher.js';

/**
 * Non-secret Scalr context for the agent container, as `DISPATCH_*` variables. Shared by every
 * launcher that passes environment to the agent; the agent token never goes here.
 */
export function dispatchContextEnvironment(request: LaunchRequest): { name: string; value: string }[] {
  const context: [string, string | undefined][] = [
    ['DISPATCH_TASK_ID', request.taskId],
    ['DISPATCH_RUN_ID', request.runId],
    ['DISPATCH_WORKSPACE_ID', request.workspaceId],
    ['DISPATCH_ENVIRONMENT_ID', request.environmentId],
    ['DISPATCH_ACTION', request.action],
    ['DISPATCH_MANUAL', String(request.manual)],
  ];
  return context.flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));
}
