import type { CapacityProviderStrategyItem, RunTaskCommandInput, Tag } from '@aws-sdk/client-ecs';
import type { LaunchRequest } from '../launcher.js';
import { startedByFor } from './client-token.js';
import type { EcsConfig } from './ecs-config.js';

/** A Fargate capacity provider one RunTask call asks for. */
export type FargateProvider = 'FARGATE' | 'FARGATE_SPOT';

/**
 * Non-secret context for the agent container, as `DISPATCH_*` variables. Shared by every launcher
 * that passes environment to the agent; the token never goes here (ECS injects it from `secrets`).
 */
export function dispatchContextEnvironment(request: LaunchRequest): { name: string; value: string }[] {
  const context: [string, string | undefined][] = [
    ['DISPATCH_TASK_ID', request.taskId],
    ['DISPATCH_RUN_ID', request.runId],
    ['DISPATCH_WORKSPACE_ID', request.workspaceId],
    ['DISPATCH_ENVIRONMENT_ID', request.environmentId],
    ['DISPATCH_ACTION', request.action],
    ['DISPATCH_MANUAL', String(request.manual)],
  ];
  return context.flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));
}

function tagsFor(request: LaunchRequest): Tag[] {
  const tags: [string, string | undefined][] = [
    ['scalr:task-id', request.taskId],
    ['scalr:run-id', request.runId],
    ['scalr:workspace-id', request.workspaceId],
    ['scalr:environment-id', request.environmentId],
    ['scalr:action', request.action],
    ['dispatcher:manual', String(request.manual)],
  ];
  return tags.flatMap(([key, value]) => (value === undefined ? [] : [{ key, value }]));
}

/**
 * The RunTask input for one launch. The ECS launcher sends it; the dry-run launcher logs it, so
 * what a dry run shows is exactly what ECS would receive.
 */
export function runTaskInput(
  config: EcsConfig,
  request: LaunchRequest,
  provider: FargateProvider,
  clientToken: string,
): RunTaskCommandInput {
  const strategy: CapacityProviderStrategyItem[] = [{ capacityProvider: provider, weight: 1 }];
  return {
    cluster: config.cluster,
    taskDefinition: config.taskDefinition,
    count: 1,
    clientToken,
    startedBy: startedByFor(request.dedupKey),
    capacityProviderStrategy: strategy,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...config.subnets],
        securityGroups: config.securityGroups.length > 0 ? [...config.securityGroups] : undefined,
        assignPublicIp: config.assignPublicIp,
      },
    },
    overrides: {
      containerOverrides: [{ name: config.containerName, environment: dispatchContextEnvironment(request) }],
    },
    tags: tagsFor(request),
    propagateTags: 'TASK_DEFINITION',
    enableECSManagedTags: true,
  };
}
