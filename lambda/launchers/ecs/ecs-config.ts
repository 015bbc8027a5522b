import { type Env, EnvReader } from '../../config/env-reader.js';
import { ConfigError } from '../../errors.js';
import { AGENT_SOURCES, type AgentSource } from '../agent-source.js';
import { parseByAction } from './by-action.js';
import { parseSizeByAction, type TaskSize } from './fargate-sizes.js';

export const ECS_CAPACITIES = ['FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT_THEN_FARGATE'] as const;
export type EcsCapacity = (typeof ECS_CAPACITIES)[number];

/** Settings of the ECS Fargate target (`LAUNCH_TARGET=ecs`). */
export interface EcsConfig {
  /**
   * Who the agents are for (`AGENT_SOURCE`): names their tags, `startedBy` and context variables.
   * @default 'scalr'
   */
  readonly source?: AgentSource;
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly capacity: EcsCapacity;
  /** Capacity per Scalr action (`ECS_CAPACITY_BY_ACTION`); other actions use `capacity`. */
  readonly capacityByAction: ReadonlyMap<string, EcsCapacity>;
  /** Task size per Scalr action (`ECS_SIZE_BY_ACTION`), as task-level RunTask overrides. */
  readonly sizeByAction: ReadonlyMap<string, TaskSize>;
}

const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;

export function loadEcsConfig(envVars: Env): EcsConfig {
  const env = new EnvReader(envVars);
  return {
    source: env.oneOf('AGENT_SOURCE', AGENT_SOURCES, 'scalr'),
    cluster: env.required('ECS_CLUSTER', 'the ECS cluster name or ARN'),
    taskDefinition: env.required('ECS_TASK_DEFINITION', 'the task definition family, family:revision or ARN'),
    containerName: env.required(
      'ECS_CONTAINER_NAME',
      'the name of the agent container in the task definition',
    ),
    subnets: env.list('ECS_SUBNETS', SUBNET, 'subnet ids (subnet-0123abcd...)', true),
    securityGroups: env.list(
      'ECS_SECURITY_GROUPS',
      SECURITY_GROUP,
      'security group ids (sg-0123abcd...)',
      false,
    ),
    assignPublicIp: env.oneOf('ECS_ASSIGN_PUBLIC_IP', ['ENABLED', 'DISABLED'], 'DISABLED'),
    capacity: env.oneOf('ECS_CAPACITY', ECS_CAPACITIES, 'FARGATE'),
    capacityByAction: byActionFrom(
      'ECS_CAPACITY_BY_ACTION',
      env.optional('ECS_CAPACITY_BY_ACTION') ?? '',
      parseCapacityByAction,
    ),
    sizeByAction: byActionFrom(
      'ECS_SIZE_BY_ACTION',
      env.optional('ECS_SIZE_BY_ACTION') ?? '',
      parseSizeByAction,
    ),
  };
}

/** `plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE`: Spot for plans, on-demand for applies. */
export function parseCapacityByAction(text: string): ReadonlyMap<string, EcsCapacity> {
  return parseByAction(text, `<${ECS_CAPACITIES.join('|')}>`, (value) =>
    ECS_CAPACITIES.find((capacity) => capacity === value),
  );
}

/** A per-action setting read from the environment; a bad entry is a ConfigError naming the variable. */
function byActionFrom<T>(name: string, text: string, parse: (text: string) => ReadonlyMap<string, T>) {
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message}`);
  }
}
