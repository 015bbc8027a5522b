import type { Env } from '../../config/env-reader.js';
import { type EcsConfig, loadEcsConfig } from '../ecs/ecs-config.js';

/** The ECS settings a dry run plans with, and whether they are stand-ins. */
export interface DryRunPlanConfig {
  readonly ecs: EcsConfig;
  /** True when no `ECS_*` variable was set and the plan uses the placeholders below. */
  readonly placeholders: boolean;
}

/** Obviously fake values: a plan built from them shows its shape, not a deployment's. */
export const PLACEHOLDER_ECS_CONFIG: EcsConfig = {
  cluster: 'PLACEHOLDER-set-ECS_CLUSTER',
  taskDefinition: 'PLACEHOLDER-set-ECS_TASK_DEFINITION',
  containerName: 'PLACEHOLDER-set-ECS_CONTAINER_NAME',
  subnets: ['subnet-PLACEHOLDER-set-ECS_SUBNETS'],
  securityGroups: [],
  assignPublicIp: 'DISABLED',
  capacity: 'FARGATE',
  capacityByAction: new Map(),
  sizeByAction: new Map(),
};

/**
 * With any `ECS_*` variable set, the dry run validates the whole ECS configuration exactly as the ECS
 * target would (so it doubles as a config check); with none, it plans with placeholders.
 */
export function loadDryRunPlanConfig(env: Env): DryRunPlanConfig {
  const anyEcs = Object.entries(env).some(([name, value]) => name.startsWith('ECS_') && value?.trim());
  return anyEcs
    ? { ecs: loadEcsConfig(env), placeholders: false }
    : {
        ecs:
          env.AGENT_SOURCE?.trim() === 'env0'
            ? { ...PLACEHOLDER_ECS_CONFIG, source: 'env0' }
            : PLACEHOLDER_ECS_CONFIG,
        placeholders: true,
      };
}
