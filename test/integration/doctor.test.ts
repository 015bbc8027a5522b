import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../lambda/dispatch/create-dispatcher.js';
import { Logger } from '../../lambda/log/logger.js';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import { type GatewayServer, startGatewayServer } from '../../local/gateway-server.js';
import type { CheckResult } from '../../scripts/doctor/check.js';
import { runDoctor } from '../../scripts/doctor/doctor.js';
import { doctorCommand } from '../../scripts/doctor/doctor-command.js';
import { parseImage } from '../../scripts/doctor/image/image-ref.js';
import {
  DockerHubStandIn,
  type DoctorAccount,
  DoctorStandIn,
  WebhookStub,
} from '../support/doctor-stand-in.js';
import { CHILD_TIMEOUT_MS } from '../support/local-stand.js';

const STACK = 'ScalrPool';
/**
 * Bound on a doctor run whose call hangs (forever) past its sub-second deadline: far above the deadline,
 * for a machine busy with other work, and still far below "waited for the hung call".
 */
const HUNG_CALL_BOUND_MS = 10_000;
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
const AGENT_TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-token-AbCdEf';
const API_KEY = 'doctor-test-api-key-0123456789';
const WEBHOOK_SECRET = 'doctor-test-webhook-secret-0123456789';
const AGENT_TOKEN = 'a-real-looking-pool-token';
const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/scalrpool-dockerhub/scalr/agent:1.6.0';

function healthyAccount(webhookUrl: string): DoctorAccount {
  return {
    stackName: STACK,
    outputs: {
      WebhookUrl: webhookUrl,
      ApiKeyId: 'key123',
      WebhookSecretArn: WEBHOOK_SECRET_ARN,
      AgentTokenSecretArn: AGENT_TOKEN_ARN,
      AgentCluster: `${STACK}-agents`,
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
    functionSubnets: [],
    secrets: new Map([
      [WEBHOOK_SECRET_ARN, WEBHOOK_SECRET],
      [AGENT_TOKEN_ARN, AGENT_TOKEN],
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
    ecrImages: new Set(),
    pullThroughRules: new Map(),
    denied: new Set(),
    hanging: new Set(),
  };
}

/** The aca target with AWS federation: no agent token secret, no ECS settings, the federation outputs. */
function acaAccount(account: DoctorAccount): void {
  const { AgentTokenSecretArn: _token, AgentCluster: _cluster, ...outputs } = account.outputs;
  account.outputs = {
    ...outputs,
    AzureFederatedCredentialSubject: 'arn:aws:iam::123456789012:role/ScalrPool-DispatcherRole',
    AzureFederatedCredentialAudience: 'api://AzureADTokenExchange',
  };
  account.functionEnv = { LAUNCH_TARGET: 'aca', WEBHOOK_SECRET_ARN };
}

describe('npm run doctor against the AWS stand-ins and the real dispatcher', () => {
  let aws: DoctorStandIn;
  let hub: DockerHubStandIn;
  let stub: WebhookStub;
  let gateway: GatewayServer;
  let awsUrl: string;
  let hubUrl: string;
  let stubUrl: string;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    hub = new DockerHubStandIn();
    hubUrl = await hub.start();
    stub = new WebhookStub();
    stubUrl = await stub.start();
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
    await stub.stop();
    await gateway.close();
  });
  beforeEach(() => {
    Object.assign(aws.account, healthyAccount(gateway.url));
    aws.account.federationFeatureDisabled = undefined;
    aws.calls.length = 0;
    hub.manifests.clear();
    hub.manifests.add('scalr/agent:1.6.0');
    stub.answer = { status: 'hang' };
  });

  const doctor = async (timeoutMs = 5_000): Promise<Record<string, CheckResult>> => {
    const { results } = await runDoctor({
      stack: STACK,
      region: 'us-east-1',
      timeoutMs,
      dockerHub: { auth: hubUrl, registry: hubUrl },
    });
    return Object.fromEntries(results.map((r) => [r.name, r]));
  };

  describe('a healthy pool', () => {
    it('passes every check and proves the webhook path with a request the dispatcher refuses after authentication', async () => {
      const results = await doctor();

      expect(results['dispatcher function']).toMatchObject({
        status: 'ok',
        detail: 'ScalrPool-Dispatcher (target ecs)',
      });
      expect(results['agent token']).toMatchObject({ status: 'ok' });
      expect(results['subnets route out']).toMatchObject({ status: 'ok' });
      expect(results['API Gateway logging role']).toMatchObject({ status: 'ok' });
      expect(results['outbound identity federation']).toMatchObject({ status: 'skipped' });
      expect(results['webhook path (API key + secret)']).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('400 invalid_request (task_id)'),
      });
    });

    it('warns that an anonymous Docker Hub image is rate-limited per IP, with what is left and the way out', async () => {
      const result = (await doctor())['agent image pullable'];

      expect(result).toMatchObject({ status: 'warn', fix: expect.stringContaining('ecr-pull-through') });
      expect(result?.detail).toContain('97 of 100 pulls left');
      expect(hub.requests).toContain('HEAD /v2/scalr/agent/manifests/1.6.0');
    });

    it('accepts a Docker Hub image pulled with repository credentials', async () => {
      aws.account.taskDefinitions.set(`${STACK}-agent`, {
        name: 'scalr-agent',
        image: 'scalr/agent:1.6.0',
        credentials: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hub-AbCdEf',
      });

      expect((await doctor())['agent image pullable']?.status).toBe('ok');
    });

    it('never prints the secrets it reads', async () => {
      const printed = JSON.stringify(await doctor());

      for (const secret of [API_KEY, WEBHOOK_SECRET, AGENT_TOKEN]) expect(printed).not.toContain(secret);
    });
  });

  describe('the agent token', () => {
    it('fails while the secret holds the placeholder, with the command to set it, never the value', async () => {
      aws.account.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN_PLACEHOLDER);

      const result = (await doctor())['agent token'];

      expect(result).toMatchObject({ status: 'fail', detail: 'the secret still holds the placeholder' });
      expect(result?.fix).toContain(`aws secretsmanager put-secret-value --secret-id ${AGENT_TOKEN_ARN}`);
      expect(JSON.stringify(result)).not.toContain(AGENT_TOKEN_PLACEHOLDER);
    });

    it('fails when the secret is empty', async () => {
      aws.account.secrets.set(AGENT_TOKEN_ARN, '  ');

      expect((await doctor())['agent token']).toMatchObject({
        status: 'fail',
        detail: 'the secret is empty',
      });
    });

    it('says which permission is missing when reading the secret is denied', async () => {
      aws.account.denied.add('GetSecretValue');

      const result = (await doctor())['agent token'];

      expect(result).toMatchObject({ status: 'fail', detail: expect.stringContaining('access denied') });
      expect(result?.fix).toBe(`allow secretsmanager:GetSecretValue on ${AGENT_TOKEN_ARN}`);
    });
  });

  describe('the agent image', () => {
    it('fails when the tag does not exist on Docker Hub', async () => {
      hub.manifests.clear();

      expect((await doctor())['agent image pullable']).toMatchObject({
        status: 'fail',
        detail: 'scalr/agent:1.6.0 does not exist on Docker Hub (or is private)',
      });
    });

    it('accepts an image that is in ECR', async () => {
      aws.account.taskDefinitions.set(`${STACK}-agent`, { name: 'scalr-agent', image: ECR_IMAGE });
      aws.account.ecrImages.add('scalrpool-dockerhub/scalr/agent:1.6.0');

      expect((await doctor())['agent image pullable']).toMatchObject({
        status: 'ok',
        detail: `${ECR_IMAGE} is in ECR`,
      });
    });

    it('fails an ECR image that is missing when no pull-through cache rule covers it', async () => {
      aws.account.taskDefinitions.set(`${STACK}-agent`, { name: 'scalr-agent', image: ECR_IMAGE });
      aws.account.ecrImages.add('scalrpool-dockerhub/scalr/agent:1.5.0');

      const result = (await doctor())['agent image pullable'];

      expect(result).toMatchObject({ status: 'fail' });
      expect(result?.detail).toContain(
        'the image does not exist in ECR and no pull-through cache rule covers it',
      );
      expect(aws.calls).toContain('DescribePullThroughCacheRules');
    });

    it('checks Docker Hub for an image a pull-through cache rule has not cached yet', async () => {
      aws.account.taskDefinitions.set(`${STACK}-agent`, { name: 'scalr-agent', image: ECR_IMAGE });
      aws.account.pullThroughRules.set('scalrpool-dockerhub', 'registry-1.docker.io');

      const cached = (await doctor())['agent image pullable'];
      hub.manifests.clear();
      const missingUpstream = (await doctor())['agent image pullable'];

      expect(cached).toMatchObject({ status: 'ok', detail: expect.stringContaining('is not cached yet') });
      expect(missingUpstream).toMatchObject({
        status: 'fail',
        detail: 'scalr/agent:1.6.0 does not exist on Docker Hub (or is private)',
      });
    });
  });

  describe('the subnets', () => {
    it('fails a subnet whose route table (the main one) has no way out, naming it', async () => {
      aws.account.routeTables = [
        { routeTableId: 'rtb-private', vpcId: 'vpc-1', subnetIds: ['subnet-0a1'], defaultRoute: 'nat-0123' },
        { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true },
      ];

      const result = (await doctor())['subnets route out'];

      expect(result).toMatchObject({ status: 'fail' });
      expect(result?.detail).toContain(
        'subnet-0b2 (agent tasks, route table rtb-main) has no 0.0.0.0/0 route to a NAT gateway or an internet gateway',
      );
      expect(result?.detail).not.toContain('subnet-0a1');
      expect(result?.fix).toContain('aws ec2 create-route --route-table-id rtb-main');
      expect(result?.fix).toContain('--nat-gateway-id');
    });

    it('fails public subnets used without a public IP', async () => {
      aws.account.routeTables = [
        { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'igw-1' },
      ];

      const result = (await doctor())['subnets route out'];

      expect(result?.detail).toContain('routes to internet gateway igw-1 but gets no public IP');
      expect(result?.fix).toContain('subnetType=public');
    });

    it('accepts public subnets when the tasks get a public IP', async () => {
      aws.account.functionEnv = { ...aws.account.functionEnv, ECS_ASSIGN_PUBLIC_IP: 'ENABLED' };
      aws.account.routeTables = [
        { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'igw-1' },
      ];

      expect((await doctor())['subnets route out']).toMatchObject({ status: 'ok' });
    });

    it("checks the dispatcher function's own subnets too: a Lambda never gets a public IP", async () => {
      aws.account.functionSubnets = ['subnet-0c3'];
      aws.account.subnets.push({ subnetId: 'subnet-0c3', vpcId: 'vpc-1' });
      aws.account.routeTables.push({
        routeTableId: 'rtb-public',
        vpcId: 'vpc-1',
        subnetIds: ['subnet-0c3'],
        defaultRoute: 'igw-1',
      });

      const result = (await doctor())['subnets route out'];

      expect(result).toMatchObject({ status: 'fail' });
      expect(result?.detail).toContain('subnet-0c3 (dispatcher function, route table rtb-public)');
    });

    it('warns instead of failing when the default route goes to a transit gateway', async () => {
      aws.account.routeTables = [
        { routeTableId: 'rtb-main', vpcId: 'vpc-1', subnetIds: [], main: true, defaultRoute: 'tgw-0abc' },
      ];

      expect((await doctor())['subnets route out']).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('sends 0.0.0.0/0 to tgw-0abc'),
      });
    });

    it('names EC2 permissions when they are denied', async () => {
      aws.account.denied.add('DescribeRouteTables');

      expect((await doctor())['subnets route out']).toMatchObject({
        status: 'fail',
        detail: 'cannot read the subnets: access denied (UnauthorizedOperation)',
        fix: 'allow ec2:DescribeSubnets and ec2:DescribeRouteTables',
      });
    });
  });

  describe('outbound identity federation (aca target)', () => {
    it('fails when IAM says JWT vending is off', async () => {
      acaAccount(aws.account);
      aws.account.jwtVendingEnabled = false;

      const results = await doctor();

      expect(results['outbound identity federation']).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('aws iam enable-outbound-web-identity-federation'),
      });
      expect(results['agent token']?.status).toBe('skipped');
      expect(results['agent image pullable']?.status).toBe('skipped');
      expect(results['subnets route out']?.status).toBe('skipped');
    });

    it('fails when IAM answers FeatureDisabled', async () => {
      acaAccount(aws.account);
      aws.account.federationFeatureDisabled = true;

      expect((await doctor())['outbound identity federation']).toMatchObject({
        status: 'fail',
        detail: 'disabled in this account',
      });
    });

    it('passes when enabled, showing the issuer', async () => {
      acaAccount(aws.account);

      expect((await doctor())['outbound identity federation']).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('https://example.tokens.sts.global.api.aws'),
      });
    });
  });

  it('fails when the account has no API Gateway CloudWatch role, with the update-account command', async () => {
    aws.account.cloudwatchRoleArn = undefined;

    expect((await doctor())['API Gateway logging role']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(
        'aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role arn>',
      ),
    });
  });

  describe('the webhook path', () => {
    it('fails with 403 for a wrong API key and 401 for a wrong webhook secret', async () => {
      aws.account.apiKeys.set('key123', 'not-the-key');
      const wrongKey = (await doctor())['webhook path (API key + secret)'];
      aws.account.apiKeys.set('key123', API_KEY);
      aws.account.secrets.set(WEBHOOK_SECRET_ARN, 'not-the-secret');
      const wrongSecret = (await doctor())['webhook path (API key + secret)'];

      expect(wrongKey).toMatchObject({ status: 'fail', detail: expect.stringContaining('403') });
      expect(wrongKey?.fix).toContain('usage plan');
      expect(wrongSecret).toMatchObject({ status: 'fail', detail: expect.stringContaining('401') });
    });

    it('says so when the webhook does not answer in time', async () => {
      aws.account.outputs = { ...aws.account.outputs, WebhookUrl: stubUrl };
      const started = Date.now();

      const result = (await doctor(600))['webhook path (API key + secret)'];

      expect(result).toMatchObject({
        status: 'fail',
        detail: `${stubUrl} gave no answer within 600 ms (timeout)`,
      });
      expect(Date.now() - started).toBeLessThan(HUNG_CALL_BOUND_MS);
    });

    it("shows a 5xx answer's error code", async () => {
      aws.account.outputs = { ...aws.account.outputs, WebhookUrl: stubUrl };
      stub.answer = {
        status: 503,
        body: JSON.stringify({ error: { code: 'temporarily_unavailable', message: 'try again' } }),
      };

      expect((await doctor())['webhook path (API key + secret)']).toMatchObject({
        status: 'fail',
        detail: '503 temporarily_unavailable',
      });
    });

    it("fails when API Gateway's request model refuses the probe: the secret is then unproven", async () => {
      aws.account.outputs = { ...aws.account.outputs, WebhookUrl: stubUrl };
      stub.answer = {
        status: 400,
        body: '{"message": "Invalid request body"}',
        headers: { 'x-amzn-errortype': 'BadRequestException' },
      };

      expect((await doctor())['webhook path (API key + secret)']).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('the dispatcher was not reached'),
      });
    });
  });

  describe('missing permissions and deadlines', () => {
    it("falls back to the stack's outputs when the function's settings cannot be read", async () => {
      aws.account.denied.add('GetFunctionConfiguration');

      const results = await doctor();

      expect(results['dispatcher function']).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('access denied'),
      });
      // The family the stack gives the agent task definition, from the AgentCluster output.
      expect(results['agent image pullable']?.status).toBe('warn');
      expect(results['subnets route out']).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('the agent subnets are unknown'),
      });
    });

    it('ends a call that never answers at the deadline and says so', async () => {
      aws.account.hanging.add('GetAccount');
      const started = Date.now();

      const result = (await doctor(500))['API Gateway logging role'];

      expect(result).toMatchObject({
        status: 'fail',
        detail: 'cannot read the account settings: no answer within 500 ms',
      });
      expect(Date.now() - started).toBeLessThan(HUNG_CALL_BOUND_MS);
    });
  });

  // The command's exit codes and output, run in this process (doctorCommand is all of doctor-main.ts
  // but the process wiring); the credentials test runs the real entry as a child, allowed
  // CHILD_TIMEOUT_MS, with an environment of its own.
  describe('the command', { timeout: CHILD_TIMEOUT_MS + 10_000 }, () => {
    const env = () => ({
      ...process.env,
      DOCTOR_DOCKER_AUTH_URL: hubUrl,
      DOCTOR_DOCKER_REGISTRY_URL: hubUrl,
    });
    const command = async (args: string[]) => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await doctorCommand(args, env(), {
        out: (line) => stdout.push(`${line}\n`),
        err: (line) => stderr.push(`${line}\n`),
      });
      return { code, stdout: stdout.join(''), stderr: stderr.join('') };
    };

    it('exits 0 with one line per check when nothing fails (warnings allowed)', async () => {
      const run = await command(['--stack', STACK, '--region', 'us-east-1']);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ok {4}agent token/m);
      expect(run.stdout).toMatch(/^warn {2}agent image pullable/m);
      expect(run.stdout).toMatch(/^skip {2}outbound identity federation/m);
      expect(run.stdout).toContain('no failures (1 warning(s))');
    });

    it('exits 1 when a check fails, with the fix under its line and no secret printed', async () => {
      aws.account.cloudwatchRoleArn = undefined;
      aws.account.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN_PLACEHOLDER);

      const run = await command(['--stack', STACK, '--region', 'us-east-1']);

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAIL {2}API Gateway logging role/m);
      expect(run.stdout).toMatch(/^FAIL {2}agent token/m);
      expect(run.stdout).toMatch(/^ +fix: aws secretsmanager put-secret-value/m);
      expect(run.stdout).toContain('2 failure(s)');
      for (const secret of [API_KEY, WEBHOOK_SECRET, AGENT_TOKEN_PLACEHOLDER])
        expect(run.stdout).not.toContain(secret);
    });

    it('exits 2 for an unknown stack and for a usage error', async () => {
      const unknown = await command(['--stack', 'NoSuchStack', '--region', 'us-east-1']);
      const usage = await command(['--region', 'us-east-1']);

      expect(unknown).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('stack NoSuchStack not found'),
      });
      expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--stack <name> is required') });
    });

    it('says that credentials are missing instead of failing every check', async () => {
      const bare: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: '/nonexistent',
        AWS_ENDPOINT_URL: awsUrl,
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
      };

      const run = await cli(['--stack', STACK, '--region', 'us-east-1'], bare);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot read stack ${STACK}: no AWS credentials found`);
      expect(run.stderr).toContain('aws sso login');
    });
  });
});

describe('parseImage', () => {
  it.each([
    ['scalr/agent:1.6.0', { kind: 'docker-hub', repository: 'scalr/agent', reference: '1.6.0' }],
    ['nginx:1', { kind: 'docker-hub', repository: 'library/nginx', reference: '1' }],
    ['docker.io/scalr/agent', { kind: 'docker-hub', repository: 'scalr/agent', reference: 'latest' }],
    [
      'scalr/agent:1.6.0@sha256:abc123',
      { kind: 'docker-hub', repository: 'scalr/agent', reference: 'sha256:abc123' },
    ],
    [
      ECR_IMAGE,
      {
        kind: 'ecr',
        registryId: '123456789012',
        region: 'us-east-1',
        repository: 'scalrpool-dockerhub/scalr/agent',
        reference: '1.6.0',
      },
    ],
    [
      'ghcr.io/env0/deployment-agent:2.0.0',
      { kind: 'ghcr', repository: 'env0/deployment-agent', reference: '2.0.0' },
    ],
    ['localhost:5000/agent:1', { kind: 'other', registry: 'localhost:5000' }],
  ])('reads %s', (image, expected) => {
    expect(parseImage(image)).toEqual(expected);
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
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
