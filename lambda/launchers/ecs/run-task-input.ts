import type { CapacityProviderStrategyItem, RunTaskCommandInput, Tag } from '@aws-sdk/client-ecs';
import { dispatchContextEnvironment } from '../dispatch-context.js';
import type { LaunchRequest } from '../launcher.js';
import { startedByFor } from './client-token.js';
import type { EcsConfig } from './ecs-config.js';

/** A Fargate capacity provider one RunTask call asks for. */
export type FargateProvider = 'FARGATE' | 'FARGATE_SPOT';

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
  // Task-level overrides: a plan can run smaller than an apply (ECS_SIZE_BY_ACTION).
  const size = request.action === undefined ? undefined : config.sizeByAction.get(request.action);
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
      ...(size === undefined ? {} : { cpu: String(size.cpu), memory: String(size.memoryMiB) }),
    },
    tags: tagsFor(request),
    propagateTags: 'TASK_DEFINITION',
    enableECSManagedTags: true,
  };
}
