import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentDispatcher, type AgentDispatcherProps } from '../../lib/agent-dispatcher.js';
import { StackConfigError } from '../../lib/config/stack-config.js';
import { dispatcherCode } from '../../lib/constructs/dispatcher-code.js';
import { ACA_CONTEXT, testApp } from './stack-fixture.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

function problemsOf(props: Record<string, unknown>): readonly string[] {
  try {
    new AgentDispatcher(new Stack(testApp(), 'Consumer'), 'Pool', props as AgentDispatcherProps);
  } catch (error) {
    if (error instanceof StackConfigError) {
      expect(error.message).toMatch(/^Invalid AgentDispatcher props:/);
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected AgentDispatcher to throw');
}

describe('two AgentDispatchers in one stack', () => {
  let template: Template;
  let pools: AgentDispatcher[];
  beforeAll(() => {
    const stack = new Stack(testApp(), 'Consumer');
    pools = [
      new AgentDispatcher(stack, 'Plans'),
      new AgentDispatcher(stack, 'Applies', { name: 'applies-pool' }),
    ];
    template = Template.fromStack(stack);
  });

  it('name everything after their own path or name, not after the stack', () => {
    expect(pools.map((pool) => pool.name)).toEqual([
      expect.stringMatching(/^Consumer-Plans-[0-9A-F]{8}$/),
      'applies-pool',
    ]);
    const apis = Object.values(template.findResources('AWS::ApiGateway::RestApi') as Resources);
    expect(apis.map((api) => api.Properties.Name)).toEqual(pools.map((pool) => pool.name));
    const families = Object.values(template.findResources('AWS::ECS::TaskDefinition') as Resources);
    expect(families.map((family) => family.Properties.Family)).toEqual(
      pools.map((pool) => `${pool.name}-agent`),
    );
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup') as Resources)
      .map((group) => group.Properties.LogGroupName)
      .filter((name) => typeof name === 'string' && name.startsWith('/aws/events/'));
    expect(groups).toEqual(pools.map((pool) => `/aws/events/${pool.name}/agent-task-failures`));
  });

  it('expose what they create for grants and alarms', () => {
    const [pool] = pools;
    expect(pool?.api).toBe(pool?.webhookApi.api);
    expect(pool?.function).toBe(pool?.dispatcher.function);
    expect(pool?.taskDefinition).toBe(pool?.agent?.taskDefinition);
    expect(pool?.cluster).toBeDefined();
    expect(pool?.agentTokenSecret).toBeDefined();
  });
});

describe('AgentDispatcher with resources of the consumer app', () => {
  it('uses the given VPC subnets, security group, token secret and topic, and creates none of them', () => {
    const stack = new Stack(testApp(), 'Consumer');
    const vpc = new ec2.Vpc(stack, 'TeamVpc', { maxAzs: 2, natGateways: 1 });
    const securityGroup = new ec2.SecurityGroup(stack, 'TeamSg', { vpc });
    const agentTokenSecret = new secretsmanager.Secret(stack, 'TeamToken');
    const alarmTopic = new sns.Topic(stack, 'TeamTopic');

    const pool = new AgentDispatcher(stack, 'Pool', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [securityGroup],
      agentTokenSecret,
      alarmTopic,
    });

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    // The webhook secret and the team's token: no placeholder token secret.
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    expect(pool.agentTokenSecret).toBe(agentTokenSecret);
    expect(pool.alarmTopic).toBe(alarmTopic);
    expect(pool.network?.assignPublicIp).toBe(true);
    expect(pool.network?.subnetIds).toEqual(vpc.publicSubnets.map((subnet) => subnet.subnetId));
  });
});

describe('AgentDispatcher props validation', () => {
  it('reports a wrong setting with the context parser message, and every problem at once', () => {
    const problems = problemsOf({ capacity: 'SPOT', agentCpu: 1000, stackName: 'X', agentCpuu: 1 });

    expect(problems).toEqual(
      expect.arrayContaining([
        'capacity is "SPOT": expected one of FARGATE, FARGATE_SPOT, FARGATE_SPOT_THEN_FARGATE',
        expect.stringContaining('agentCpu is 1000'),
        'stackName is not a prop of AgentDispatcher: set name (the stack is yours)',
        expect.stringContaining('agentCpuu is not a prop of AgentDispatcher'),
      ]),
    );
  });

  it('points env0 pull-mode keys to the poller stack instead of taking them silently', () => {
    const problems = problemsOf({ source: 'env0', maxExecutions: 5 });

    expect(problems).toEqual(
      expect.arrayContaining([
        'source is an env0 pull-mode setting (Env0PollerStack, docs/env0.md), not a prop of AgentDispatcher',
        'maxExecutions is an env0 pull-mode setting (Env0PollerStack, docs/env0.md), not a prop of AgentDispatcher',
      ]),
    );
  });

  it('refuses a VPC object together with VPC ids, and selections without a VPC', () => {
    const stack = new Stack(testApp(), 'Net');
    const vpc = new ec2.Vpc(stack, 'Vpc');

    expect(problemsOf({ vpc, vpcId: 'vpc-0a1b2c3d4e5f60718' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^vpc and vpcId are both set/)]),
    );
    expect(problemsOf({ assignPublicIp: false })).toEqual([
      'assignPublicIp needs vpc: it selects within a VPC object given as vpc',
    ]);
  });

  it('refuses resources the Azure target does not use, and a bad name', () => {
    const stack = new Stack(testApp(), 'Net');
    const secret = new secretsmanager.Secret(stack, 'Token');

    const problems = problemsOf({
      ...ACA_CONTEXT,
      stackName: undefined,
      agentTokenSecret: secret,
      name: '1pool',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        'agentTokenSecret applies to target=ecs only (the agents run in Azure with target=aca)',
        expect.stringMatching(/^name is "1pool": expected letters, digits and hyphens/),
      ]),
    );
  });
});

describe('dispatcherCode: where the function code comes from', () => {
  const roots: string[] = [];
  const root = (files: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'dispatcher-code-'));
    roots.push(dir);
    for (const file of files) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    return dir;
  };
  afterAll(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('bundles from source whenever the sources sit next to the library, even with a stale bundle', () => {
    const dir = root(['lambda/handler.ts', 'ecs/handler.mjs']);

    expect(dispatcherCode('ecs', dir)).toMatchObject({
      kind: 'source',
      entry: join(dir, 'lambda/handler.ts'),
    });
  });

  it('uses the prebuilt bundle of the target in the package', () => {
    const dir = root(['ecs/handler.mjs', 'aca/handler.mjs']);

    expect(dispatcherCode('aca', dir)).toEqual({ kind: 'prebuilt', directory: join(dir, 'aca') });
  });

  it('fails naming both places and npm run build when neither exists', () => {
    const dir = root(['ecs/handler.mjs']);

    expect(() => dispatcherCode('aca', dir)).toThrow(/aca\/handler\.mjs\); run npm run build/);
  });
});
