import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/errors.js';
import { loadEcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { parseSizeByAction } from '../../lambda/launchers/ecs/fargate-sizes.js';

const ECS = {
  ECS_CLUSTER: 'agents',
  ECS_TASK_DEFINITION: 'agent',
  ECS_CONTAINER_NAME: 'agent',
  ECS_SUBNETS: 'subnet-0123456789abcdef0',
};

describe('parseSizeByAction', () => {
  it('reads action=cpu/memory pairs', () => {
    expect([...parseSizeByAction(' plan=1024/2048, policy.check=512/1024 ')]).toEqual([
      ['plan', { cpu: 1024, memoryMiB: 2048 }],
      ['policy.check', { cpu: 512, memoryMiB: 1024 }],
    ]);
  });

  it.each([
    ['plan=1000/2048', /cpu 1000 is not a Fargate size/],
    ['plan=1024/1024', /memory 1024 MiB is not allowed with cpu 1024 \(one of 2048/],
    ['plan:1024/2048', /is not <action>=<cpu>\/<memoryMiB>/],
    ['plan=1024/2048,plan=2048/4096', /plan is given twice/],
  ])('refuses %s, saying why', (text, message) => {
    expect(() => parseSizeByAction(text)).toThrowError(message);
  });

  it('is a configuration error naming ECS_SIZE_BY_ACTION at start-up', () => {
    expect(() => loadEcsConfig({ ...ECS, ECS_SIZE_BY_ACTION: 'apply=4096/4096' })).toThrowError(ConfigError);
    expect(() => loadEcsConfig({ ...ECS, ECS_SIZE_BY_ACTION: 'apply=4096/4096' })).toThrowError(
      /ECS_SIZE_BY_ACTION: apply: memory 4096/,
    );
  });
});
