import type { Env } from '../../config/env-reader.js';
import type { TrailUpdate } from '../../trail/task-trail.js';
import { loadDockerConfig } from './docker-config.js';
import { DockerEngine, type EngineApi } from './docker-engine.js';

/** The part of `GET /containers/{id}/json` the trail reads. */
interface ContainerInspect {
  readonly State?: {
    readonly Status?: string;
    readonly StartedAt?: string;
    readonly FinishedAt?: string;
    readonly ExitCode?: number;
    readonly Error?: string;
  };
}

/** Docker's "never" (`0001-01-01T00:00:00Z`) and unparsable times count as unknown. */
const known = (at: string | undefined) => {
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  return Number.isNaN(ms) || ms <= 0 ? undefined : new Date(ms).toISOString();
};

/** Reads a container's state now; undefined when the engine has no such container. */
export type ContainerStateReader = (
  taskId: string,
  containerId: string,
  signal: AbortSignal,
  seenRunning?: boolean,
) => Promise<TrailUpdate | undefined>;

/** The trail report of a container's state: `running` / `exited` with its times and exit code. */
export function containerStateReader(engine: EngineApi): ContainerStateReader {
  return async (taskId, containerId, signal, seenRunning = false) => {
    const answer = await engine.call('GET', `/containers/${encodeURIComponent(containerId)}/json`, {
      signal,
    });
    if (answer.status === 404) {
      // The launcher starts agents with AutoRemove: a container seen running and now gone has exited.
      if (!seenRunning) return undefined;
      return {
        taskId,
        steps: { stopped: new Date().toISOString() },
        stop: {
          stopCode: 'ContainerRemoved',
          stopReason: 'the agent exited and Docker removed its container (AutoRemove), with its exit code',
        },
      };
    }
    if (answer.status !== 200)
      throw new Error(`Docker Engine answered ${answer.status} to a container inspect`);
    const state = (JSON.parse(answer.body) as ContainerInspect).State ?? {};
    const status = state.Status ?? '';
    const stopped = status === 'exited' || status === 'dead';
    return {
      taskId,
      steps: {
        pending: status === 'created' ? new Date().toISOString() : undefined,
        running: known(state.StartedAt) ?? (status === 'running' ? new Date().toISOString() : undefined),
        stopped: stopped ? (known(state.FinishedAt) ?? new Date().toISOString()) : undefined,
      },
      stop: stopped
        ? { stopCode: status, stopReason: state.Error || undefined, exitCode: state.ExitCode }
        : undefined,
    };
  };
}

/** A reader on the engine `DOCKER_HOST` names. */
export function createContainerStateReader(env: Env): ContainerStateReader {
  return containerStateReader(new DockerEngine(loadDockerConfig(env).endpoint));
}
