import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../lambda/dispatch/create-dispatcher.js';
import { Logger } from '../../lambda/log/logger.js';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import { type GatewayServer, startGatewayServer } from '../../local/gateway-server.js';
import { dockerHubRef } from '../../scripts/doctor/checks/agent-image.js';
import { runDoctor } from '../../scripts/doctor/doctor.js';
import { DockerHubStandIn, type DoctorAccount, DoctorStandIn } from '../support/doctor-stand-in.js';

const STACK = 'ScalrPool';
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
const AGENT_TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-token-AbCdEf';
const API_KEY = 'doctor-test-api-key-0123456789';
const WEBHOOK_SECRET = 'doctor-test-webhook-secret-0123456789';

function healthyAccount(webhookUrl: string): DoctorAccount {
  return {
    stackName: STACK,
    outputs: {
      WebhookUrl: webhookUrl,
      ApiKeyId: 'key123',
      WebhookSecretArn: WEBHOOK_SECRET_ARN,
      AgentTokenSecretArn: AGENT_TOKEN_ARN,
    },
    functionName: 'ScalrPool-Dispatcher',
    functionEnv: {
      LAUNCH_TARGET: 'ecs',
      WEBHOOK_SECRET_ARN,
      ECS_TASK_DEFINITION: `${STACK}-agent`,
      ECS_CONTAINER_NAME: 'scalr-agent',
      ECS_SUBNETS: 'subnet-0a1,subnet-0b2',
      ECS_ASSIGN_PUBLIC_IP: 'DISABLED',
    },
    secrets: new Map([
      [WEBHOOK_SECRET_ARN, WEBHOOK_SECRET],
      [AGENT_TOKEN_ARN, 'a-real-looking-pool-token'],
    ]),
    apiKeys: new Map([['key123', API_KEY]]),
    cloudwatchRoleArn: 'arn:aws:iam::123456789012:role/APIGatewayCloudWatchLogs',
    jwtVendingEnabled: true,
    taskDefinitions: new Map([[`${STACK}-agent`, { name: 'scalr-agent', image: 'scalr/agent:1.6.0' }]]),
    subnets: [
      { subnetId: 'subnet-0a1', vpcId: 'vpc-1' },
      { subnetId: 'subnet-0b2', vpcId: 'vpc-1' },
    ],
    routeTables: [
      { routeTableId: 'rtb-private', vpcId: 'vpc-1', subnetIds: ['subnet-0a1'], defaultRoute: 'nat-0123' },
      { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'nat-0456' },
    ],
  };
}

describe('npm run doctor against the AWS stand-ins and the real dispatcher', () => {
  let aws: DoctorStandIn;
  let hub: DockerHubStandIn;
  let gateway: GatewayServer;
  let awsUrl: string;
  let hubUrl: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    hub = new DockerHubStandIn();
    hubUrl = await hub.start();
    // The real dispatcher (dry run) behind the local API Gateway stand-in, with the test's key and secret.
    const dispatch = createDispatcher(
      { LAUNCH_TARGET: 'dry-run', WEBHOOK_SECRET, AGENT_TOKEN: 'dry-run-token' },
      { logger: new Logger(() => {}, 'error') },
    );
    gateway = await startGatewayServer({ dispatch, apiKey: API_KEY });
    aws = new DoctorStandIn(healthyAccount(gateway.url));
    awsUrl = await aws.start();
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
    await aws.stop();
    await hub.stop();
    await gateway.close();
  });
  beforeEach(() => {
    Object.assign(aws.account, healthyAccount(gateway.url));
    hub.manifests.clear();
    hub.manifests.add('scalr/agent:1.6.0');
  });

  const doctor = async () => {
    const { results } = await runDoctor({
      stack: STACK,
      region: 'us-east-1',
      timeoutMs: 5_000,
      dockerHub: { auth: hubUrl, registry: hubUrl },
    });
    return Object.fromEntries(results.map((r) => [r.name, r]));
  };

  it('passes a healthy pool, proving the webhook path with a request the dispatcher refuses after authentication', async () => {
    const results = await doctor();

    expect(results['agent token']).toMatchObject({ status: 'ok' });
    expect(results['agent subnets route out']).toMatchObject({ status: 'ok' });
    expect(results['API Gateway logging role']).toMatchObject({ status: 'ok' });
    expect(results['outbound identity federation']).toMatchObject({ status: 'skipped' });
    expect(results['webhook path (API key + secret)']).toMatchObject({ status: 'ok' });
    // Anonymous Docker Hub pulls work but are limited: a warning with the way out.
    expect(results['agent image pullable']).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('ecr-pull-through'),
    });
  });

  it('fails the token check while the secret holds the placeholder, with the command to set it, never the value', async () => {
    aws.account.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN_PLACEHOLDER);

    const result = (await doctor())['agent token'];

    expect(result).toMatchObject({ status: 'fail', detail: 'the secret still holds the placeholder' });
    expect(result?.fix).toContain(`put-secret-value --secret-id ${AGENT_TOKEN_ARN}`);
    expect(JSON.stringify(result)).not.toContain(AGENT_TOKEN_PLACEHOLDER);
  });

  it('fails the image check when the tag does not exist on Docker Hub', async () => {
    hub.manifests.clear();

    expect((await doctor())['agent image pullable']).toMatchObject({
      status: 'fail',
      detail: 'scalr/agent:1.6.0 does not exist on Docker Hub',
    });
  });

  it('is satisfied with repository credentials', async () => {
    aws.account.taskDefinitions.set(`${STACK}-agent`, {
      name: 'scalr-agent',
      image: 'scalr/agent:1.6.0',
      credentials: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hub-AbCdEf',
    });

    expect((await doctor())['agent image pullable']?.status).toBe('ok');
  });

  it('fails a subnet whose route table (the main one) has no way out, naming it', async () => {
    aws.account.routeTables = [
      { routeTableId: 'rtb-private', vpcId: 'vpc-1', subnetIds: ['subnet-0a1'], defaultRoute: 'nat-0123' },
      { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true },
    ];

    const result = (await doctor())['agent subnets route out'];

    expect(result).toMatchObject({ status: 'fail' });
    expect(result?.detail).toContain('subnet-0b2 has no default route');
    expect(result?.detail).not.toContain('subnet-0a1');
  });

  it('fails public subnets used without a public IP', async () => {
    aws.account.routeTables = [
      { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'igw-1' },
    ];

    const result = (await doctor())['agent subnets route out'];

    expect(result?.detail).toContain('routes to an internet gateway but tasks get no public IP');
    expect(result?.fix).toContain('subnetType=public');
  });

  it('fails when outbound identity federation is off for the aca target', async () => {
    aws.account.functionEnv = { LAUNCH_TARGET: 'aca', WEBHOOK_SECRET_ARN, AZURE_AUTH: 'aws-federation' };
    aws.account.jwtVendingEnabled = false;

    expect((await doctor())['outbound identity federation']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('enable-outbound-web-identity-federation'),
    });
  });

  it('fails when the account has no API Gateway CloudWatch role', async () => {
    aws.account.cloudwatchRoleArn = undefined;

    expect((await doctor())['API Gateway logging role']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('cloudwatchRoleArn'),
    });
  });

  it('fails the webhook path with 403 for a wrong API key and 401 for a wrong webhook secret', async () => {
    aws.account.apiKeys.set('key123', 'not-the-key');
    const wrongKey = (await doctor())['webhook path (API key + secret)'];
    aws.account.apiKeys.set('key123', API_KEY);
    aws.account.secrets.set(WEBHOOK_SECRET_ARN, 'not-the-secret');
    const wrongSecret = (await doctor())['webhook path (API key + secret)'];

    expect(wrongKey).toMatchObject({ status: 'fail', detail: expect.stringContaining('403') });
    expect(wrongSecret).toMatchObject({ status: 'fail', detail: expect.stringContaining('401') });
  });

  it('exits 1 with one line per check when something fails, 2 for an unknown stack', async () => {
    aws.account.cloudwatchRoleArn = undefined;
    const env = { ...process.env, DOCTOR_DOCKER_AUTH_URL: hubUrl, DOCTOR_DOCKER_REGISTRY_URL: hubUrl };

    const failing = await cli(['--stack', STACK, '--region', 'us-east-1'], env);
    const unknown = await cli(['--stack', 'NoSuchStack', '--region', 'us-east-1'], env);
    const usage = await cli(['--region', 'us-east-1'], env);

    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL {2}API Gateway logging role/m);
    expect(failing.stdout).toMatch(/^ok {4}agent token/m);
    expect(failing.stdout).toContain('1 failure(s)');
    expect(failing.stdout).not.toContain(WEBHOOK_SECRET);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('NoSuchStack not found') });
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--stack <name> is required') });
  });
});

describe('dockerHubRef', () => {
  it.each([
    ['scalr/agent:1.6.0', { repository: 'scalr/agent', tag: '1.6.0' }],
    ['nginx:1', { repository: 'library/nginx', tag: '1' }],
    ['docker.io/scalr/agent', { repository: 'scalr/agent', tag: 'latest' }],
    ['ghcr.io/env0/deployment-agent:2.0.0', undefined],
  ])('reads %s', (image, expected) => {
    expect(dockerHubRef(image)).toEqual(expected);
  });
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/doctor/doctor-main.ts', ...args], {
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
