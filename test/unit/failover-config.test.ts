import { describe, expect, it } from 'vitest';
import type { DispatcherConfig } from '../../lambda/config/config.js';
import { ConfigError } from '../../lambda/errors.js';
import {
  createFailoverLauncher,
  envForPrefix,
  parseFailoverTargets,
} from '../../lambda/launchers/failover/create-failover-launcher.js';
import type { LaunchFinder } from '../../lambda/launchers/launch-evidence.js';
import type { Launcher } from '../../lambda/launchers/launcher.js';
import type { LauncherContext } from '../../lambda/launchers/registry.js';
import { Logger } from '../../lambda/log/logger.js';

const config = { target: 'ecs', retryAfterSeconds: 5 } as DispatcherConfig;
const context = (env: Record<string, string>): LauncherContext => ({
  env,
  config,
  logger: new Logger(() => undefined),
});
const fakeLauncher = async (): Promise<Launcher & LaunchFinder> => ({
  platform: 'ecs',
  launch: async () => ({ platform: 'ecs', launchId: 'x', duplicate: false }),
  findLaunch: async () => undefined,
});

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

  it('refuses two ECS targets on the same cluster in the same Region', async () => {
    const env = {
      AWS_REGION: 'us-east-1',
      ECS_CLUSTER: 'agents',
      FAILOVER_TARGETS: 'ecs:OD',
      OD_ECS_CAPACITY: 'FARGATE',
    };

    await expect(createFailoverLauncher(context(env), 'ecs:OD', fakeLauncher)).rejects.toThrowError(
      /same ECS cluster \(agents\).*FARGATE_SPOT_THEN_FARGATE/,
    );
  });

  it('refuses the same target twice', async () => {
    await expect(
      createFailoverLauncher(
        context({ ECS_CLUSTER: 'a', DR_ECS_CLUSTER: 'b' }),
        'ecs:DR,ecs:DR',
        fakeLauncher,
      ),
    ).rejects.toThrowError(/repeats "ecs:DR"/);
  });

  it('refuses a failover target that cannot report earlier launches', async () => {
    const blind = async (): Promise<Launcher> => ({
      platform: 'aca',
      launch: async () => ({ platform: 'aca', launchId: 'x', duplicate: false }),
    });

    await expect(
      createFailoverLauncher(context({ ECS_CLUSTER: 'a' }), 'aca', async (_, target) =>
        target === 'aca' ? blind() : fakeLauncher(),
      ),
    ).rejects.toThrowError(/aca cannot be a failover target yet/);
  });
});
