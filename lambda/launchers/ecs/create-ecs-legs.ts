import { ECSClient } from '@aws-sdk/client-ecs';
import { awsClientOptions } from '../../aws/client-options.js';
import { withoutSdkLogging } from '../../aws/without-sdk-logging.js';
import type { LaunchLeg } from '../launch-outcome.js';
import type { LaunchRequest } from '../launcher.js';
import type { LauncherContext } from '../launcher-context.js';
import { launchPacerFrom } from '../pacing/pacing-config.js';
import { DEFAULT_RETRY_POLICY } from '../retry.js';
import { loadEcsConfig } from './ecs-config.js';
import { EcsLeg } from './ecs-leg.js';

/**
 * The ECS legs of one target, from `ECS_*` variables: one per capacity provider it tries
 * (`FARGATE_SPOT_THEN_FARGATE` gives two, with different client tokens). The SDK's own retries are
 * off: ours know the deadline. `AWS_REGION` / `AWS_ENDPOINT_URL_ECS` in `env` (set per target by the
 * failover wiring) pick the Region. RunTask calls are paced (`LAUNCH_RATE_PER_SECOND`), one pacer
 * per target: the RunTask rate limit is per account and Region.
 */
export function createEcsLegs({ env, config }: LauncherContext, target: string): LaunchLeg[] {
  const ecsConfig = loadEcsConfig(env);
  // A slot further away than one attempt (or the whole deadline) can wait is refused at once: the
  // 503 then reaches Scalr early instead of after a wait that was bound to fail.
  const { attemptTimeoutMs, minAttemptMs } = DEFAULT_RETRY_POLICY;
  const pacer = launchPacerFrom(env, Math.min(attemptTimeoutMs, config.launchDeadlineMs) - minAttemptMs);
  const client = withoutSdkLogging(
    new ECSClient({
      maxAttempts: 1,
      // A backstop as long as one attempt: the retry loop's own per-attempt signal decides first.
      ...awsClientOptions({ requestTimeoutMs: attemptTimeoutMs }),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(env.AWS_ENDPOINT_URL_ECS ? { endpoint: env.AWS_ENDPOINT_URL_ECS } : {}),
    }),
  );
  const shared = {
    retryAfterSeconds: config.retryAfterSeconds,
    beforeAttempt: pacer ? (signal: AbortSignal) => pacer.take(signal) : undefined,
  };
  const perAction = ecsConfig.capacityByAction.size > 0;
  if (!perAction && ecsConfig.capacity !== 'FARGATE_SPOT_THEN_FARGATE') {
    const provider = ecsConfig.capacity;
    return [
      new EcsLeg(client, ecsConfig, {
        ...shared,
        target,
        name: `${target}/${provider}`,
        provider,
        failFastOnCapacity: false,
      }),
    ];
  }
  // Spot and on-demand legs with their own tokens; with capacity per action each request uses the
  // legs its action's capacity names (Spot for plans, on-demand for applies).
  const capacityOf = (request: LaunchRequest) =>
    (request.action === undefined ? undefined : ecsConfig.capacityByAction.get(request.action)) ??
    ecsConfig.capacity;
  return [
    new EcsLeg(client, ecsConfig, {
      ...shared,
      target,
      name: `${target}/FARGATE_SPOT`,
      provider: 'FARGATE_SPOT',
      failFastOnCapacity: true,
      serves: perAction ? (request) => capacityOf(request) !== 'FARGATE' : undefined,
    }),
    new EcsLeg(client, ecsConfig, {
      ...shared,
      target,
      // Not `${target}/FARGATE`: that names the key's own token (plain ECS_CAPACITY=FARGATE). A ledger
      // attempt is resolved by repeating it on the leg of that name, so one name must mean one token
      // across redeploys, or a pending on-demand attempt would be "resolved" by a fresh launch.
      name: `${target}/FARGATE_AFTER_SPOT`,
      provider: 'FARGATE',
      tokenLeg: 'FARGATE',
      failFastOnCapacity: false,
      serves: perAction ? (request) => capacityOf(request) !== 'FARGATE_SPOT' : undefined,
    }),
  ];
}
