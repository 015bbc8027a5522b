import { ECSClient } from '@aws-sdk/client-ecs';
import type { LauncherContext } from '../registry.js';
import { loadEcsConfig } from './ecs-config.js';
import { EcsLauncher } from './ecs-launcher.js';

/** Builds the ECS launcher from `ECS_*` variables. The SDK's own retries are off: ours know the deadline. */
export function createEcsLauncher({ env, config }: LauncherContext): EcsLauncher {
  const ecsConfig = loadEcsConfig(env);
  return new EcsLauncher(new ECSClient({ maxAttempts: 1 }), ecsConfig, {
    retryAfterSeconds: config.retryAfterSeconds,
  });
}
