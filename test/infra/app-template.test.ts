import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACA_CONTEXT, buildStack, FAILOVER_CONTEXT } from './stack-fixture.js';

/**
 * The repository app's templates, compared with committed snapshots: a refactoring of the stack's code
 * (such as the `AgentDispatcher` construct) must not change a logical ID, a name or a property of a
 * deployed stack. A deliberate change (a new resource, a new property) updates them with
 * `npx vitest run test/infra/app-template.test.ts -u`; review the diff before committing it.
 */
const SNAPSHOT_DIR = fileURLToPath(new URL('./__snapshots__/', import.meta.url));

/**
 * Asset hashes change with every edit of the Lambda sources (other engineers' too), and say nothing
 * about the infrastructure: S3 keys, asset paths and any other 64-hex digest become `<hash>`.
 */
function normalize(template: unknown): string {
  return JSON.stringify(template, null, 2).replace(/[0-9a-f]{64}/g, '<hash>');
}

const CASES = {
  ecs: {},
  aca: ACA_CONTEXT,
  failover: FAILOVER_CONTEXT,
  'pull-through': {
    stackName: 'ScalrPoolPullThrough',
    imageSource: 'ecr-pull-through',
    dockerHubCredentialsSecretArn:
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
  },
} as const;

describe("the repository app's synthesized templates", () => {
  for (const [name, context] of Object.entries(CASES)) {
    it(`are unchanged for the ${name} configuration`, { timeout: 120_000 }, async () => {
      const { template } = buildStack(context);

      await expect(normalize(template.toJSON())).toMatchFileSnapshot(
        join(SNAPSHOT_DIR, `app-template.${name}.json.snap`),
      );
    });
  }
});
