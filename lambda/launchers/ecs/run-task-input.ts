import type { CapacityProviderStrategyItem, RunTaskCommandInput, Tag } from '@aws-sdk/client-ecs';
import type { AgentSource } from '../agent-source.js';
import { dispatchContextEnvironment } from '../dispatch-context.js';
import type { LaunchRequest } from '../launcher.js';
import { startedByFor } from './client-token.js';
import type { EcsConfig } from './ecs-config.js';

/** A Fargate capacity provider one RunTask call asks for. */
export type FargateProvider = 'FARGATE' | 'FARGATE_SPOT';

/**
 * Tags by source. A Scalr launch's tags are exactly those of every earlier version: RunTask with the
 * same clientToken and other parameters is a conflict, so changing them would break exactly-once
 * across an upgrade. An env0 launch is tagged `env0:slot` (the poller's slot key) and `dispatcher:source`.
 */
function tagsFor(request: LaunchRequest, source: AgentSource): Tag[] {
  if (source === 'env0') {
    return [
      { key: 'env0:slot', value: request.taskId },
      { key: 'dispatcher:source', value: 'env0' },
    ];
  }
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
  const source = config.source ?? 'scalr';
  const context = dispatchContextEnvironment(request);
  return {
    cluster: config.cluster,
    taskDefinition: config.taskDefinition,
    count: 1,
    clientToken,
    startedBy: startedByFor(request.dedupKey, source),
    capacityProviderStrategy: strategy,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...config.subnets],
        securityGroups: config.securityGroups.length > 0 ? [...config.securityGroups] : undefined,
        assignPublicIp: config.assignPublicIp,
      },
    },
    overrides: {
      containerOverrides: [
        {
          name: config.containerName,
          environment: source === 'env0' ? [...context, { name: 'DISPATCH_SOURCE', value: 'env0' }] : context,
        },
      ],
      ...(size === undefined ? {} : { cpu: String(size.cpu), memory: String(size.memoryMiB) }),
    },
    tags: tagsFor(request, source),
    propagateTags: 'TASK_DEFINITION',
    enableECSManagedTags: true,
  };
}
