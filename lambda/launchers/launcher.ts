/** What the dispatcher asks a platform to start: one agent for one Scalr task. */
export interface LaunchRequest {
  /** De-duplication key: the Idempotency-Key header, else the Scalr task id, else a generated id. */
  readonly dedupKey: string;
  /** Scalr task id, or a generated `manual-...` id for a manual trigger. */
  readonly taskId: string;
  readonly manual: boolean;
  readonly action?: string;
  readonly runId?: string;
  readonly workspaceId?: string;
  readonly environmentId?: string;
  readonly createdAt?: string;
  /** Absolute time (ms since epoch) by which the launch must be accepted or given up. */
  readonly deadline: number;
}

/** The platform accepted the launch. */
export interface LaunchResult {
  /** Platform that took the launch, e.g. `ecs`, `aca`, `docker`, `dry-run`. */
  readonly platform: string;
  /** Platform id of what was started: ECS task ARN, ACA execution id, container id, ... */
  readonly launchId: string;
  /** True when the platform reported an earlier launch for this key instead of starting a new one. */
  readonly duplicate: boolean;
  /** Extra facts for the answer and the logs (capacity provider, execution name, dryRun, ...). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Starts single-run agents on one platform. Implementations must be idempotent per `dedupKey`:
 * calling `launch` again with the same key never starts a second agent. They throw
 * `TemporarilyUnavailableError` when the platform did not accept the launch before the deadline and
 * `ConfigError` when the deployment is wrong; any other error is treated as temporary.
 */
export interface Launcher {
  readonly platform: string;
  launch(request: LaunchRequest): Promise<LaunchResult>;
}

/**
 * What a key is bound to: the Scalr task id, or `manual` for a manual trigger (whose generated id
 * differs per delivery). A key presented again for another task is refused, not answered.
 */
export function taskFingerprint(request: LaunchRequest): string {
  return request.manual ? 'manual' : request.taskId;
}
