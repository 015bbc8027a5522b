/**
 * The trail of one agent task: what the dispatcher and the platform reported about it, step by step.
 * Every fact is written once (first report wins) and the status is derived from the steps present,
 * so reports arriving late, twice or out of order can never move a trail backwards.
 */

/** Steps in lifecycle order; the status of a trail is its latest step present. */
export const TRAIL_STEPS = ['received', 'accepted', 'provisioning', 'pending', 'running', 'stopped'] as const;
export type TrailStep = (typeof TRAIL_STEPS)[number];

/** Non-secret facts about the task; the same names are used in logs, the store and the answer. */
export interface TrailFacts {
  readonly dedupKey?: string;
  readonly runId?: string;
  readonly workspaceId?: string;
  readonly environmentId?: string;
  readonly action?: string;
  readonly manual?: boolean;
  /** Target that took the launch (`ecs`, `ecs:SECONDARY`, `aca`, `docker`, `dry-run`). */
  readonly target?: string;
  readonly platform?: string;
  /** Platform id: ECS task ARN, ACA execution id, container id. */
  readonly launchId?: string;
  readonly capacityProvider?: string;
  /** Where the agent ran: the AWS Region of its ECS task, or the Azure location of its job. */
  readonly region?: string;
  /** Where the agent's own log lines are (a console link for ECS). */
  readonly logsUrl?: string;
  /**
   * Milliseconds the platform spent pulling the agent's images (ECS: `pullStoppedAt -
   * pullStartedAt`); compare with `runningAfterMs` to see whether the pull dominates. ACA reports none.
   */
  readonly imagePullMs?: number;
}

export interface TrailStop {
  readonly stopCode?: string;
  readonly stopReason?: string;
  readonly exitCode?: number;
}

/** One report about a task: facts and step times (ISO 8601) it knows. */
export interface TrailUpdate {
  readonly taskId: string;
  readonly facts?: TrailFacts;
  readonly steps?: Partial<Record<TrailStep, string>>;
  readonly stop?: TrailStop;
}

export type TrailStatus = Uppercase<TrailStep>;

/** A task's trail as stored and answered by `GET /tasks/{taskId}`. */
export interface TaskTrail extends TrailFacts, TrailStop {
  readonly taskId: string;
  readonly status: TrailStatus;
  readonly steps: Partial<Record<TrailStep, string>>;
}

/** The latest step present, in lifecycle order (not in order of arrival). */
export function statusOf(steps: Partial<Record<TrailStep, string>>): TrailStatus {
  let status: TrailStatus = 'RECEIVED';
  for (const step of TRAIL_STEPS) if (steps[step] !== undefined) status = step.toUpperCase() as TrailStatus;
  return status;
}

function firstWins<T extends object>(older: T | undefined, newer: T | undefined): T {
  const merged: Record<string, unknown> = { ...(older ?? {}) };
  for (const [name, value] of Object.entries(newer ?? {})) {
    if (value !== undefined && merged[name] === undefined) merged[name] = value;
  }
  return merged as T;
}

/** Applies one report to a trail (or starts one): what is already known is kept. */
export function applyUpdate(trail: TaskTrail | undefined, update: TrailUpdate): TaskTrail {
  const facts = firstWins<TrailFacts & TrailStop>(trail && withoutShape(trail), {
    ...update.facts,
    ...update.stop,
  });
  const steps = firstWins(trail?.steps, update.steps);
  return { ...facts, taskId: update.taskId, status: statusOf(steps), steps };
}

function withoutShape(trail: TaskTrail): TrailFacts & TrailStop {
  const { taskId: _taskId, status: _status, steps: _steps, ...facts } = trail;
  return facts;
}
