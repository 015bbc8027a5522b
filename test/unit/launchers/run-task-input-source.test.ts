import { describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../../lambda/launchers/ecs/client-token.js';
import { type EcsConfig, loadEcsConfig } from '../../../lambda/launchers/ecs/ecs-config.js';
import { parseSizeByAction } from '../../../lambda/launchers/ecs/fargate-sizes.js';
import { runTaskInput } from '../../../lambda/launchers/ecs/run-task-input.js';
import type { LaunchRequest } from '../../../lambda/launchers/launcher.js';

const CONFIG: EcsConfig = {
  cluster: 'agents',
  taskDefinition: 'scalr-agent',
  containerName: 'agent',
  subnets: ['subnet-0a1'],
  securityGroups: ['sg-0a1'],
  assignPublicIp: 'DISABLED',
  capacity: 'FARGATE',
  capacityByAction: new Map(),
  sizeByAction: parseSizeByAction('plan=1024/2048'),
};
const SCALR: LaunchRequest = {
  dedupKey: 'atask-1',
  taskId: 'atask-1',
  manual: false,
  action: 'plan',
  runId: 'run-1',
  workspaceId: 'ws-1',
  environmentId: 'env-1',
  deadline: 0,
};
const MANUAL: LaunchRequest = { dedupKey: 'manual-x', taskId: 'manual-x', manual: true, deadline: 0 };

/**
 * RunTask inputs of the version before agents were named by source (commit b4905e4), byte for byte:
 * a Scalr task launched before an upgrade and re-delivered after it must send the same parameters
 * under the same clientToken, or ECS answers ConflictException instead of the task it started.
 */
const BEFORE = [
  '{"cluster":"agents","taskDefinition":"scalr-agent","count":1,"clientToken":"tok-1","startedBy":"scalr-e71099ff1797fea24dd95c35d68730","capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}],"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0a1"],"securityGroups":["sg-0a1"],"assignPublicIp":"DISABLED"}},"overrides":{"containerOverrides":[{"name":"agent","environment":[{"name":"DISPATCH_TASK_ID","value":"atask-1"},{"name":"DISPATCH_RUN_ID","value":"run-1"},{"name":"DISPATCH_WORKSPACE_ID","value":"ws-1"},{"name":"DISPATCH_ENVIRONMENT_ID","value":"env-1"},{"name":"DISPATCH_ACTION","value":"plan"},{"name":"DISPATCH_MANUAL","value":"false"}]}],"cpu":"1024","memory":"2048"},"tags":[{"key":"scalr:task-id","value":"atask-1"},{"key":"scalr:run-id","value":"run-1"},{"key":"scalr:workspace-id","value":"ws-1"},{"key":"scalr:environment-id","value":"env-1"},{"key":"scalr:action","value":"plan"},{"key":"dispatcher:manual","value":"false"}],"propagateTags":"TASK_DEFINITION","enableECSManagedTags":true}',
  '{"cluster":"agents","taskDefinition":"scalr-agent","count":1,"clientToken":"tok-1","startedBy":"scalr-0d60b3ae70b11cd69c1f9185826c58","capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":1}],"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0a1"],"securityGroups":["sg-0a1"],"assignPublicIp":"DISABLED"}},"overrides":{"containerOverrides":[{"name":"agent","environment":[{"name":"DISPATCH_TASK_ID","value":"manual-x"},{"name":"DISPATCH_MANUAL","value":"true"}]}]},"tags":[{"key":"scalr:task-id","value":"manual-x"},{"key":"dispatcher:manual","value":"true"}],"propagateTags":"TASK_DEFINITION","enableECSManagedTags":true}',
];

describe('RunTask input by source', () => {
  it('is byte-identical for Scalr launches across the upgrade (clientToken, startedBy, tags, overrides)', () => {
    const after = [SCALR, MANUAL].map((request) =>
      JSON.stringify(runTaskInput(CONFIG, request, 'FARGATE_SPOT', 'tok-1')),
    );
    const explicit = [SCALR, MANUAL].map((request) =>
      JSON.stringify(runTaskInput({ ...CONFIG, source: 'scalr' }, request, 'FARGATE_SPOT', 'tok-1')),
    );

    expect(after).toEqual(BEFORE);
    expect(explicit).toEqual(BEFORE);
  });

  it('names env0 agents by source: startedBy env0-, env0:slot and dispatcher:source tags, no scalr: tag', () => {
    const slot: LaunchRequest = {
      dedupKey: 'env0-mabc-0',
      taskId: 'env0-mabc-0',
      manual: false,
      deadline: 0,
    };

    const input = runTaskInput({ ...CONFIG, source: 'env0' }, slot, 'FARGATE', clientTokenFor(slot.dedupKey));

    expect(input.startedBy).toMatch(/^env0-[0-9a-f]{30}$/);
    expect(input.clientToken).toBe('env0-mabc-0');
    expect(input.tags).toEqual([
      { key: 'env0:slot', value: 'env0-mabc-0' },
      { key: 'dispatcher:source', value: 'env0' },
    ]);
    expect(JSON.stringify([input.tags, input.startedBy])).not.toContain('scalr');
    expect(input.overrides?.containerOverrides?.[0]?.environment).toContainEqual({
      name: 'DISPATCH_SOURCE',
      value: 'env0',
    });
  });

  it('reads the source from AGENT_SOURCE, Scalr by default', () => {
    const env = {
      ECS_CLUSTER: 'c',
      ECS_TASK_DEFINITION: 'f',
      ECS_CONTAINER_NAME: 'a',
      ECS_SUBNETS: 'subnet-0123456789abcdef0',
    };

    expect(loadEcsConfig(env).source).toBe('scalr');
    expect(loadEcsConfig({ ...env, AGENT_SOURCE: 'env0' }).source).toBe('env0');
    expect(() => loadEcsConfig({ ...env, AGENT_SOURCE: 'gitlab' })).toThrow(/AGENT_SOURCE/);
  });
});
