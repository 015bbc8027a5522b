import { ECSClient } from '@aws-sdk/client-ecs';
import { awsClientOptions } from '../../aws/client-options.js';
import { launchPacerFrom } from '../pacing/pacing-config.js';
import type { LauncherContext } from '../registry.js';
import { DEFAULT_RETRY_POLICY } from '../retry.js';
import { loadEcsConfig } from './ecs-config.js';
import { EcsLauncher } from './ecs-launcher.js';

/**
 * Builds the ECS launcher from `ECS_*` variables. The SDK's own retries are off: ours know the deadline.
 * `AWS_REGION` / `AWS_ENDPOINT_URL_ECS` in `env` (set per target by the failover wiring) pick the
 * Region; otherwise the SDK's usual resolution applies. RunTask calls are paced (`LAUNCH_RATE_PER_SECOND`).
 */
export function createEcsLauncher({ env, config }: LauncherContext): EcsLauncher {
  const ecsConfig = loadEcsConfig(env);
  // A slot further away than one attempt (or the whole deadline) can wait is refused at once: the
  // 503 then reaches Scalr early instead of after a wait that was bound to fail.
  const { attemptTimeoutMs, minAttemptMs } = DEFAULT_RETRY_POLICY;
  const pacer = launchPacerFrom(env, Math.min(attemptTimeoutMs, config.launchDeadlineMs) - minAttemptMs);
  const client = new ECSClient({
    maxAttempts: 1,
    // A backstop as long as one attempt: the retry loop's own per-attempt signal decides first.
    ...awsClientOptions({ requestTimeoutMs: attemptTimeoutMs }),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.AWS_ENDPOINT_URL_ECS ? { endpoint: env.AWS_ENDPOINT_URL_ECS } : {}),
  });
  return new EcsLauncher(client, ecsConfig, {
    retryAfterSeconds: config.retryAfterSeconds,
    beforeAttempt: pacer ? (signal) => pacer.take(signal) : undefined,
  });
}
