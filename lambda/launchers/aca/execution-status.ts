import type { Env } from '../../config/env-reader.js';
import type { TrailUpdate } from '../../trail/task-trail.js';
import { loadAcaConfig } from './aca-config.js';
import { createArmClient } from './arm-client.js';
import { FINISHED_EXECUTION_STATUSES } from './execution-statuses.js';

/** What ARM says of one job execution now. */
export interface ExecutionStatus {
  readonly status?: string;
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly reason?: string;
}

/** Reads one execution (GET .../jobs/{job}/executions/{name}); undefined when ARM has none by that name. */
export type ExecutionReader = (name: string, signal: AbortSignal) => Promise<ExecutionStatus | undefined>;

/**
 * An execution reader over its own ARM client, built from the same `ACA_*` / `AZURE_*` settings as
 * the launcher; loaded only when a task trail is asked for on the `aca` target.
 */
export function createExecutionReader(env: Env): ExecutionReader {
  const aca = loadAcaConfig(env);
  const client = createArmClient(aca);
  return async (name, signal) => {
    try {
      return await client.jobExecution(aca.resourceGroup, aca.jobName, name, { abortSignal: signal });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  };
}

/**
 * The trail report of an execution's ARM status. ARM gives no exit code: `Succeeded` means the agent
 * exited 0; `Failed`, `Stopped` and `Degraded` are kept as the stop code.
 */
export function updateFromExecution(taskId: string, execution: ExecutionStatus): TrailUpdate {
  const status = execution.status ?? 'Unknown';
  const iso = (date: Date | undefined) => (date === undefined ? undefined : new Date(date).toISOString());
  const stopped = FINISHED_EXECUTION_STATUSES.has(status);
  return {
    taskId,
    steps: {
      pending: status === 'Processing' ? iso(execution.startTime) : undefined,
      running: status === 'Running' || stopped ? iso(execution.startTime) : undefined,
      stopped: stopped ? iso(execution.endTime ?? new Date()) : undefined,
    },
    stop: stopped
      ? {
          stopCode: status,
          stopReason: execution.reason,
          exitCode: status === 'Succeeded' ? 0 : undefined,
        }
      : undefined,
  };
}
