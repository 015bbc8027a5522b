import { afterEach, describe, expect, it } from 'vitest';
import { loadDispatcherConfig } from '../../lambda/config/config.js';
import { createLauncher } from '../../lambda/launchers/registry.js';
import { Logger } from '../../lambda/log/logger.js';
import { AwsStandIn } from '../support/aws-stand-in.js';
import { ECS_ENV } from '../support/harness.js';

describe('env0 agents renamed by source across an upgrade', () => {
  let standIn: AwsStandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
  });

  it('a slot launched under the old scalr- naming and launched again under env0- naming starts one task', async () => {
    standIn = new AwsStandIn();
    const endpoint = await standIn.start();
    const saved = { ...process.env };
    Object.assign(process.env, AwsStandIn.clientEnv(endpoint));
    try {
      // Literal secrets: only the launcher is under test.
      const { AGENT_TOKEN_SECRET_ARN: _token, WEBHOOK_SECRET_ARN: _secret, ...ecs } = ECS_ENV;
      const env = { ...ecs, AGENT_TOKEN: 'unused', WEBHOOK_SECRET: 'unused' };
      const config = loadDispatcherConfig(env);
      const logger = new Logger(() => {}, 'error');
      const slot = { dedupKey: 'env0-mabc-0', taskId: 'env0-mabc-0', manual: false };
      // Before the upgrade the poller's launches carried Scalr's names.
      const before = await createLauncher({ env, config, logger });
      const first = await before.launch({ ...slot, deadline: Date.now() + 5_000 });
      // After it, the same slot (a crash left it unconfirmed) is launched again with env0 names.
      const after = await createLauncher({ env: { ...env, AGENT_SOURCE: 'env0' }, config, logger });
      const again = await after.launch({ ...slot, deadline: Date.now() + 5_000 });

      expect(standIn.tasks).toHaveLength(1);
      expect(standIn.tasks[0]?.startedBy).toMatch(/^scalr-/);
      expect(again).toMatchObject({ launchId: first.launchId, duplicate: true });
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
