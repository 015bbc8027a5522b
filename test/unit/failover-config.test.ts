import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/errors.js';
import {
  envForPrefix,
  parseFailoverTargets,
  targetEntries,
} from '../../lambda/launchers/failover/failover-targets.js';

describe('failover configuration', () => {
  it('reads targets with optional prefixes in order', () => {
    const targets = parseFailoverTargets(' ecs:SECONDARY , aca ');

    expect(targets).toEqual([
      { target: 'ecs', prefix: 'SECONDARY', name: 'ecs:SECONDARY' },
      { target: 'aca', prefix: undefined, name: 'aca' },
    ]);
  });

  it('names FAILOVER_TARGETS and the bad entry when a target is unknown', () => {
    expect(() => parseFailoverTargets('ecs:DR,lambda')).toThrowError(/FAILOVER_TARGETS contains "lambda"/);
  });

  it('rejects a lower-case prefix, which would not match the upper-case variables', () => {
    expect(() => parseFailoverTargets('ecs:secondary')).toThrowError(ConfigError);
  });

  it('gives a prefixed target its own variables over the primary ones', () => {
    const env = envForPrefix(
      {
        ECS_CLUSTER: 'agents',
        ECS_TASK_DEFINITION: 'agent',
        DR_ECS_CLUSTER: 'agents-dr',
        DR_AWS_REGION: 'eu-west-1',
      },
      'DR',
    );

    expect(env).toMatchObject({
      ECS_CLUSTER: 'agents-dr',
      AWS_REGION: 'eu-west-1',
      ECS_TASK_DEFINITION: 'agent',
    });
  });

  it('refuses two ECS targets on the same cluster in the same Region', () => {
    const env = {
      AWS_REGION: 'us-east-1',
      ECS_CLUSTER: 'agents',
      FAILOVER_TARGETS: 'ecs:OD',
      OD_ECS_CAPACITY: 'FARGATE',
    };

    expect(() => targetEntries(env, 'ecs')).toThrowError(
      /same ECS cluster \(agents\).*FARGATE_SPOT_THEN_FARGATE/,
    );
  });

  it('refuses the same target twice', () => {
    expect(() =>
      targetEntries({ ECS_CLUSTER: 'a', DR_ECS_CLUSTER: 'b', FAILOVER_TARGETS: 'ecs:DR,ecs:DR' }, 'ecs'),
    ).toThrowError(/repeats "ecs:DR"/);
  });

  it('accepts ACA as a failover target: the launch ledger covers every target', () => {
    const entries = targetEntries({ ECS_CLUSTER: 'a', FAILOVER_TARGETS: 'aca' }, 'ecs');

    expect(entries.map((entry) => entry.name)).toEqual(['ecs', 'aca']);
  });
});
