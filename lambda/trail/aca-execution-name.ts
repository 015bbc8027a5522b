import type { TaskTrail } from './task-trail.js';

/**
 * The execution name at the end of an ACA execution id (`.../jobs/{job}/executions/{name}`). Its own
 * module, free of Azure imports, because the webhook path's trail lookup needs it too.
 */
export function executionName(trail: Pick<TaskTrail, 'launchId'>): string | undefined {
  return /\/executions\/([^/?]+)$/.exec(trail.launchId ?? '')?.[1];
}
