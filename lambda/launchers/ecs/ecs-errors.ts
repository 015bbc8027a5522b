import { ConfigError } from '../../errors.js';

/** A RunTask call that answered but started no task; `reason` comes from the `failures` array. */
export class LaunchFailureError extends Error {
  constructor(
    readonly reason: string,
    readonly capacity: boolean,
  ) {
    super(`ECS started no task: ${reason}`);
    this.name = 'LaunchFailureError';
  }
}

/** ECS errors that mean the deployment is wrong; retrying cannot fix them. */
const CONFIG_HINTS: Record<string, string> = {
  AccessDeniedException:
    "the function's role may not run this task (it needs ecs:RunTask on the task definition, ecs:TagResource and iam:PassRole on the task roles)",
  ClusterNotFoundException: 'the cluster in ECS_CLUSTER does not exist in this account and region',
  InvalidParameterException:
    'check ECS_TASK_DEFINITION, ECS_CONTAINER_NAME, ECS_SUBNETS and ECS_SECURITY_GROUPS',
  ClientException: 'check ECS_TASK_DEFINITION, ECS_CONTAINER_NAME, ECS_SUBNETS and ECS_SECURITY_GROUPS',
  PlatformUnknownException: 'the Fargate platform version is unknown',
  UnsupportedFeatureException: 'the feature is not available in this region',
};

/** Capacity failures are worth retrying (or falling back to on-demand) — ECS says "try again later". */
export function isCapacityFailure(reason: string): boolean {
  return /capacity|RESOURCE:/i.test(reason);
}

/** Maps a non-retryable ECS exception to the configuration error the operator must fix, or undefined. */
export function configErrorFor(error: unknown): ConfigError | undefined {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const hint = CONFIG_HINTS[name];
  if (hint === undefined) return undefined;
  const detail = error instanceof Error && error.message ? ` ECS said: ${error.message.slice(0, 300)}` : '';
  return new ConfigError(`ECS refused the launch (${name}): ${hint}.${detail}`, { cause: error });
}

/** Everything but configuration errors and conflicts is transient: throttling, 5xx, timeouts, capacity. */
export function isRetryableEcsError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return name !== 'ConflictException' && CONFIG_HINTS[name] === undefined;
}

/** Network errors raised before a request reached the service: nothing can have been launched. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a failed RunTask attempt may still have started a task: true for timeouts, lost
 * responses and 5xx answers; false when ECS refused (4xx), answered with `failures`, or the call
 * was never sent (connection refused, pacer gave up).
 */
export function mayHaveLaunched(error: unknown): boolean {
  if (error instanceof LaunchFailureError) return false;
  const e = error as {
    name?: string;
    code?: string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.name === 'LaunchRateLimited') return false;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) return false;
  const code = e?.code ?? e?.cause?.code;
  return !(code !== undefined && NOT_SENT.has(code));
}
