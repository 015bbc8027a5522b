import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsStandIn } from '../support/aws-stand-in.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = `${ROOT}bench/drive-bundle.mjs`;

/** The bundle as deployed: built with the CDK function's settings where no node_modules is. */
describe('ECS bundle as deployed (environment-only credentials, clients with only the commands used)', () => {
  const standIn = new AwsStandIn();
  let dir: string;
  let bundle: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // Its own output directory: other test files build dist/ecs at the same time.
    dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    await run(`${ROOT}node_modules/.bin/tsx`, ['scripts/build-lambda.ts', 'ecs', dir], {
      cwd: ROOT,
      timeout: 60_000,
    });
    bundle = join(dir, 'handler.mjs');
    env = {
      PATH: process.env.PATH ?? '',
      ...AwsStandIn.clientEnv(await standIn.start()),
      AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST',
      AWS_SESSION_TOKEN: 'bundle-session-token',
      LAUNCH_TARGET: 'ecs',
      WEBHOOK_SECRET: 'bundle-webhook-secret',
      AGENT_TOKEN: 'bundle-agent-token',
      ECS_CLUSTER: 'agents',
      ECS_TASK_DEFINITION: 'scalr-agent',
      ECS_CONTAINER_NAME: 'agent',
      ECS_SUBNETS: 'subnet-0123456789abcdef0',
      LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }, 90_000);

  afterAll(async () => {
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not carry the SDK provider chain nor the commands it never sends', () => {
    const source = readFileSync(bundle, 'utf8');

    expect(source).not.toContain('sso_start_url');
    expect(source).not.toContain('credential_process');
    // Nor the clients' other commands: only what the dispatcher sends.
    expect(source).not.toContain('DeleteCluster');
    expect(source).not.toContain('RotateSecret');
    expect(source).not.toContain('BatchWriteItem');
  });

  it('launches a task signed with the credentials Lambda puts in the environment', async () => {
    await run(process.execPath, [DRIVER, bundle, 'cold'], { env, cwd: dir, timeout: 20_000 });

    expect(standIn.tasks).toHaveLength(1);
    expect([...standIn.accessKeyIds]).toEqual(['ASIABUNDLETEST']);
  });

  it('answers 503 naming the credentials error, and launches nothing, when the environment has none', async () => {
    const { AWS_ACCESS_KEY_ID: _dropped, ...withoutKey } = env;
    const launchedBefore = standIn.tasks.length;

    const failure = await run(process.execPath, [DRIVER, bundle, 'cold'], {
      env: { ...withoutKey, LOG_LEVEL: 'info', LAUNCH_DEADLINE_MS: '1500' },
      cwd: dir,
      timeout: 20_000,
    }).catch((error: { stdout: string; stderr: string }) => error);

    const output = `${(failure as { stdout: string }).stdout}${(failure as { stderr: string }).stderr}`;
    expect(output).toContain('handler answered 503');
    expect(output).toContain('CredentialsProviderError');
    expect(output).not.toContain('bundle-session-token');
    expect(standIn.tasks.length).toBe(launchedBefore);
  });

  it('parses ECS errors and sends DescribeTasks: a reused key with another task is refused (422)', async () => {
    // Two containers (processes): the second gets the first's Idempotency-Key with another task_id.
    // RunTask answers ConflictException naming the first task; the leg reads its tags with
    // DescribeTasks and refuses the key.
    const script = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const taskId = process.env.TASK_ID;
      const answer = await handler({
        httpMethod: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bundle-webhook-secret', 'idempotency-key': 'atask-shared-key' },
        body: JSON.stringify({ task_id: taskId, action: 'plan' }),
        isBase64Encoded: false,
        requestContext: { requestId: taskId },
      }, { getRemainingTimeInMillis: () => 25000, awsRequestId: taskId });
      console.log(answer.statusCode);
      process.exit(0);`;
    const container = async (taskId: string) => {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...env, TASK_ID: taskId },
        cwd: dir,
        timeout: 20_000,
      });
      return Number(stdout.trim().split('\n').pop());
    };

    const first = await container('atask-shared-key');
    const second = await container('atask-other-task');

    expect([first, second]).toEqual([202, 422]);
    expect(standIn.calls.DescribeTasks).toBe(1);
  });
});
