import type { ExecutionReader, ExecutionStatus } from '../launchers/aca/execution-status.js';
import { executionName } from './aca-execution-name.js';
import type { StatusSource } from './status-sweep.js';
import type { TrailUpdate } from './task-trail.js';

/**
 * ACA executions for the status sweep: ARM's status of the trail's execution (GET
 * .../executions/{name}) as a trail report with platform `aca` and `region` (the job's location).
 * An execution ARM does not show yet (404, read lag) gives no report. Only types are imported from
 * the launcher: the caller passes its functions in, so an ECS bundle never loads the Azure SDK.
 */
export function acaStatusSource(
  read: ExecutionReader,
  toUpdate: (taskId: string, execution: ExecutionStatus) => TrailUpdate,
  region: string,
): StatusSource {
  return {
    platform: 'aca',
    async read(trail, signal) {
      const name = executionName(trail);
      if (name === undefined) return undefined;
      const execution = await read(name, signal);
      if (execution === undefined) return undefined;
      const update = toUpdate(trail.taskId, execution);
      return { ...update, facts: { platform: 'aca', region } };
    },
  };
}
