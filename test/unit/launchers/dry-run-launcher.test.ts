import { describe, expect, it } from 'vitest';
import {
  loadDryRunPlanConfig,
  PLACEHOLDER_ECS_CONFIG,
} from '../../../lambda/launchers/dry-run/dry-run-config.js';
import { DryRunLauncher, redactPlan } from '../../../lambda/launchers/dry-run/dry-run-launcher.js';
import type { LaunchRequest } from '../../../lambda/launchers/launcher.js';
import { Logger } from '../../../lambda/log/logger.js';

const request = (dedupKey: string): LaunchRequest => ({
  dedupKey,
  taskId: dedupKey,
  manual: false,
  action: 'plan',
  deadline: Date.now() + 5_000,
});

describe('DryRunLauncher', () => {
  it('answers the same launch id for the same key, marking the repeat as a duplicate', async () => {
    const launcher = new DryRunLauncher({ plan: loadDryRunPlanConfig({}), logger: new Logger(() => {}) });

    const first = await launcher.launch(request('atask-1'));
    const again = await launcher.launch(request('atask-1'));
    const other = await launcher.launch(request('atask-2'));

    expect(first).toMatchObject({ platform: 'dry-run', duplicate: false, details: { dryRun: true } });
    expect(again).toMatchObject({ launchId: first.launchId, duplicate: true });
    expect(other.launchId).not.toBe(first.launchId);
  });

  it('forgets the oldest keys beyond its bound', async () => {
    const launcher = new DryRunLauncher({
      plan: loadDryRunPlanConfig({}),
      logger: new Logger(() => {}),
      maxKeys: 2,
    });

    for (const key of ['a', 'b', 'c']) await launcher.launch(request(key));

    expect((await launcher.launch(request('a'))).duplicate).toBe(false);
    expect((await launcher.launch(request('c'))).duplicate).toBe(true);
  });

  it('uses placeholders only when no ECS_* variable is set, and validates them otherwise', () => {
    expect(loadDryRunPlanConfig({})).toEqual({ ecs: PLACEHOLDER_ECS_CONFIG, placeholders: true });
    expect(() => loadDryRunPlanConfig({ ECS_CLUSTER: 'agents' })).toThrow('ECS_TASK_DEFINITION is not set');
  });

  it('redacts sensitive-looking environment values in a plan', () => {
    const plan = {
      environment: [
        { name: 'SCALR_AGENT_TOKEN', value: 't0ken' },
        { name: 'DISPATCH_TASK_ID', value: 'atask-1' },
      ],
    };

    expect(redactPlan(plan)).toEqual({
      environment: [
        { name: 'SCALR_AGENT_TOKEN', value: '[REDACTED]' },
        { name: 'DISPATCH_TASK_ID', value: 'atask-1' },
      ],
    });
  });
});
