import type { ExecutionReader, ExecutionStatus } from '../launchers/aca/execution-status.js';
import { executionName } from './aca-execution-name.js';
import type { StatusSource } from './status-sweep.js';
import type { TrailUpdate } from './task-trail.js';

/**
 * ACA executions for the status sweep: ARM's status of the trail's execution (GET
 * .../executions/{name}) as a trail report with platform `aca`. The `region` (the job's Azure
 * location) is not re-stated here: the dispatcher's accepted line brought it, from the job it read
 * to start the execution, and an execution answer carries none. An execution ARM does not show yet
 * (404, read lag) gives no report. Only types are imported from the launcher: the caller passes
 * its functions in, so an ECS bundle never loads the Azure SDK.
 */
export function acaStatusSource(
  read: ExecutionReader,
  toUpdate: (taskId: string, execution: ExecutionStatus) => TrailUpdate,
): StatusSource {
  return {
    platform: 'aca',
    async read(trail, signal) {
      const name = executionName(trail);
      if (name === undefined) return undefined;
      const execution = await read(name, signal);
      if (execution === undefined) return undefined;
      const update = toUpdate(trail.taskId, execution);
      return { ...update, facts: { platform: 'aca' } };
    },
  };
}
