/** The KEDA ScaledJob parameters the poller honours (env0's ACA guide sets the same names). */
export interface ScalingParameters {
  /** Agents kept running even with an empty queue (`minReplicaCount` / ACA `minExecutions`). */
  readonly minExecutions: number;
  /** Most agents of this pool at once, starting or busy (`maxReplicaCount` / `maxExecutions`). */
  readonly maxExecutions: number;
  /** Pending tasks per agent (metrics-api `targetValue`); env0: 1, one agent per task. */
  readonly targetValue: number;
  /** The queue must exceed this before any agent is started for it (`activationTargetValue`). */
  readonly activationTargetValue: number;
}

/** What one poll saw: the queue and this pool's own agents. */
export interface PoolObservation {
  /** `pendingCount` from env0's queue-state: tasks no agent has taken yet. */
  readonly pending: number;
  /** Agents of this pool that have not finished: starting + running. */
  readonly active: number;
  /** Of those, agents launched but not running yet: they will each take a pending task. */
  readonly starting: number;
}

/**
 * How many agents to start now: KEDA's ScaledJob `accurate` strategy, the one that fits a queue whose
 * length leaves out the tasks agents already took (env0's `pendingCount` does).
 *
 *   wanted = ceil(pending / targetValue), only when pending > activationTargetValue
 *   start  = min(maxExecutions - active, wanted - starting), never below minExecutions - active
 *
 * KEDA's `default` strategy (wanted - active) would count busy agents against waiting tasks and
 * under-launch; `accurate` subtracts only agents that will still take a task. Like KEDA since v2.8
 * (`MaxReplicaCount()` returns max − min), warm agents count against `maxExecutions`. Per poll this
 * rule differs from KEDA's `accurate` (pkg/scaling/executor/scale_jobs.go) in three places, each on
 * purpose (docs/env0.md, "How many agents a poll starts"; test/unit/poller/keda-differences.test.ts):
 * below `minExecutions` with a queue KEDA tops up to min only (here: the queue is covered in the same
 * poll); KEDA caps demand at max − min before subtracting starting agents (here: after, so a queue
 * larger than max − min still gets max agents); near the cap KEDA fills the room without subtracting
 * starting agents (here: agents that would find no task are not started).
 */
export function agentsToStart(params: ScalingParameters, seen: PoolObservation): number {
  const room = Math.max(0, params.maxExecutions - seen.active);
  const warm = Math.max(0, params.minExecutions - seen.active);
  const activated = seen.pending > params.activationTargetValue;
  const wanted = activated ? Math.ceil(seen.pending / params.targetValue) : 0;
  const forQueue = Math.max(0, wanted - seen.starting);
  return Math.min(room, Math.max(warm, forQueue));
}
