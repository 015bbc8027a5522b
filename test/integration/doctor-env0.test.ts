import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV0_TOKEN_PLACEHOLDER } from '../../lambda/poller/token-placeholder.js';
import type { CheckResult } from '../../scripts/doctor/check.js';
import { runDoctor } from '../../scripts/doctor/doctor.js';
import { DockerHubStandIn, type DoctorAccount, DoctorStandIn } from '../support/doctor-stand-in.js';
import { QueueStateStandIn } from '../support/queue-state-stand-in.js';

const STACK = 'Env0Pool';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Env0PoolAgentToken-AbCdEf';
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Env0PoolStateKey-GhIjKl';
const TOKEN = 'env0-agent-access-token-0123456789';
const STATE_KEY = 'A'.repeat(44);
const IMAGE = 'ghcr.io/env0/deployment-agent:3.0.706';

function env0Account(queueUrl: string): DoctorAccount {
  return {
    stackName: STACK,
    outputs: {
      PollerLogGroup: '/aws/lambda/Env0Pool-Poller',
      SetAgentTokenCommand: `aws secretsmanager put-secret-value --secret-id ${TOKEN_ARN} --secret-string "$ENV0_AGENT_ACCESS_TOKEN"`,
      StateEncryptionKeySecretArn: KEY_ARN,
      AgentCluster: `${STACK}-cluster`,
    },
    functionName: 'Env0Pool-Poller',
    functionEnv: {
      LAUNCH_TARGET: 'ecs',
      QUEUE_STATE_URL: queueUrl,
      AGENT_TOKEN_SECRET_ARN: TOKEN_ARN,
      ECS_TASK_DEFINITION: `${STACK}-env0-agent`,
      ECS_CONTAINER_NAME: 'env0-agent',
      ECS_SUBNETS: 'subnet-0a1',
      ECS_ASSIGN_PUBLIC_IP: 'DISABLED',
    },
    functionSubnets: [],
    secrets: new Map([
      [TOKEN_ARN, TOKEN],
      [KEY_ARN, STATE_KEY],
    ]),
    apiKeys: new Map(),
    cloudwatchRoleArn: undefined,
    jwtVendingEnabled: false,
    taskDefinitions: new Map([[`${STACK}-env0-agent`, { name: 'env0-agent', image: IMAGE }]]),
    subnets: [{ subnetId: 'subnet-0a1', vpcId: 'vpc-1' }],
    routeTables: [
      { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'nat-0456' },
    ],
    ecrImages: new Set(),
    pullThroughRules: new Map(),
    stackSecrets: [{ logicalId: 'AgentStateEncryptionKey1234', arn: KEY_ARN, retained: true }],
    deletedSecrets: new Set(),
    denied: new Set(),
    hanging: new Set(),
  };
}

describe('npm run doctor on an env0 pull-mode stack', () => {
  let aws: DoctorStandIn;
  let ghcr: DockerHubStandIn;
  let queue: QueueStateStandIn;
  let queueUrl: string;
  let ghcrUrl: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    queue = new QueueStateStandIn(TOKEN);
    queueUrl = await queue.start();
    ghcr = new DockerHubStandIn();
    ghcrUrl = await ghcr.start();
    aws = new DoctorStandIn(env0Account(queueUrl));
    const awsUrl = await aws.start();
    const env = {
      AWS_ENDPOINT_URL: awsUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDDOCTOR',
      AWS_SECRET_ACCESS_KEY: 'doctor',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await Promise.all([aws.stop(), ghcr.stop(), queue.stop()]);
  });
  beforeEach(() => {
    Object.assign(aws.account, env0Account(queueUrl));
    aws.calls.length = 0;
    queue.next.length = 0;
    queue.pendingCount = 2;
    ghcr.manifests.clear();
    ghcr.manifests.add('env0/deployment-agent:3.0.706');
  });

  const doctor = async (timeoutMs = 5_000): Promise<Record<string, CheckResult>> => {
    const { facts, results } = await runDoctor({
      stack: STACK,
      region: 'us-east-1',
      timeoutMs,
      dockerHub: { auth: 'http://127.0.0.1:9', registry: 'http://127.0.0.1:9' },
      ghcr: { auth: ghcrUrl, registry: ghcrUrl, service: 'ghcr.io' },
    });
    expect(facts.source).toBe('env0');
    return Object.fromEntries(results.map((r) => [r.name, r]));
  };

  it('passes every env0 check: queue-state with the token, ghcr image, subnets, retained state key', async () => {
    const results = await doctor();

    expect(Object.keys(results)).toEqual([
      'env0 poller function',
      'env0 queue-state',
      'agent image pullable',
      'subnets route out',
      'state encryption key',
    ]);
    expect(results['env0 poller function']).toMatchObject({
      status: 'ok',
      detail: 'Env0Pool-Poller (target ecs)',
    });
    expect(results['env0 queue-state']).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('pendingCount 2'),
    });
    expect(results['agent image pullable']).toMatchObject({
      status: 'ok',
      detail: `${IMAGE} exists on ghcr.io`,
    });
    expect(ghcr.requests).toContain('HEAD /v2/env0/deployment-agent/manifests/3.0.706');
    expect(results['subnets route out']).toMatchObject({ status: 'ok' });
    expect(results['state encryption key']).toMatchObject({ status: 'ok' });
    // Scalr-only checks do not run: no webhook, no API Gateway role.
    expect(aws.calls).not.toContain('GetAccount');
    // The state key's value is never read, only described.
    expect(aws.calls.filter((c) => c === 'GetSecretValue')).toHaveLength(1);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
    expect(JSON.stringify(results)).not.toContain(STATE_KEY);
  });

  it('fails while the token secret holds the placeholder, with the SetAgentTokenCommand, without asking env0', async () => {
    aws.account.secrets.set(TOKEN_ARN, ENV0_TOKEN_PLACEHOLDER);
    const calls = queue.calls;

    const result = (await doctor())['env0 queue-state'];

    expect(result).toMatchObject({ status: 'fail', detail: expect.stringContaining('not set yet') });
    expect(result?.fix).toContain(`put-secret-value --secret-id ${TOKEN_ARN}`);
    expect(queue.calls).toBe(calls);
  });

  it('fails when env0 refuses the token (401), naming what to do', async () => {
    aws.account.secrets.set(TOKEN_ARN, 'a-revoked-token');

    const result = (await doctor())['env0 queue-state'];

    expect(result).toMatchObject({ status: 'fail', detail: expect.stringContaining('answered 401') });
    expect(result?.fix).toContain('new agent access token');
    expect(JSON.stringify(result)).not.toContain('a-revoked-token');
  });

  it('warns, within its deadline, when queue-state hangs', async () => {
    queue.next.push({ kind: 'hang' });

    const result = (await doctor(600))['env0 queue-state'];

    expect(result).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('did not answer within 600 ms'),
    });
  });

  it('fails when queue-state answers without a pendingCount', async () => {
    queue.next.push({ kind: 'body', body: '{}' });

    expect((await doctor())['env0 queue-state']).toMatchObject({
      status: 'fail',
      detail: 'queue-state answered 200 without pendingCount',
    });
  });

  it('fails when the pinned agent version is not on ghcr.io', async () => {
    ghcr.manifests.clear();

    expect((await doctor())['agent image pullable']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('env0AgentImageTag'),
    });
  });

  it('fails when an agent subnet has no way out', async () => {
    aws.account.routeTables = [{ routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true }];

    expect((await doctor())['subnets route out']?.status).toBe('fail');
  });

  it('fails when the state key is scheduled for deletion, with the restore command', async () => {
    aws.account.deletedSecrets = new Set([KEY_ARN]);

    expect((await doctor())['state encryption key']).toMatchObject({
      status: 'fail',
      fix: `aws secretsmanager restore-secret --secret-id ${KEY_ARN} --region us-east-1`,
    });
  });

  it('fails when the state key is gone', async () => {
    aws.account.secrets.delete(KEY_ARN);

    expect((await doctor())['state encryption key']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('does not exist'),
    });
  });

  it('fails when the deployed stack would delete the state key with it', async () => {
    aws.account.stackSecrets = [{ logicalId: 'AgentStateEncryptionKey1234', arn: KEY_ARN, retained: false }];

    expect((await doctor())['state encryption key']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('does not retain the key'),
    });
  });

  it('names the permission when DescribeSecret is denied', async () => {
    aws.account.denied.add('DescribeSecret');

    expect((await doctor())['state encryption key']).toMatchObject({
      status: 'fail',
      fix: `allow secretsmanager:DescribeSecret on ${KEY_ARN}`,
    });
  });
});
