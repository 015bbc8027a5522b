import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { envForPrefix } from '../../lambda/launchers/failover/failover-targets.js';
import { failoverEnvironment } from '../../lib/constructs/failover-target.js';
import { buildStack, FAILOVER_CONTEXT, functionEnvironment, ledgerTableIds } from './stack-fixture.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** The statement with this Sid, from any IAM policy of the stack. */
function statement(template: Template, sid: string): Record<string, unknown> | undefined {
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
    .flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    )
    .find((candidate) => candidate.Sid === sid);
}

/** `arn:${Partition}:ecs:us-west-2:${Account}:<resource>` as CloudFormation renders it. */
function westEcsArn(resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-west-2:', { Ref: 'AWS::AccountId' }, `:${resource}`],
    ],
  };
}

const CLUSTER = FAILOVER_CONTEXT.failoverClusterName;
const WEST_CLUSTER = { ArnEquals: { 'ecs:cluster': westEcsArn(`cluster/${CLUSTER}`) } };

describe('DispatcherStack with a failover Region', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack(FAILOVER_CONTEXT));
  });

  it('gives the function the ecs:SECONDARY target and the pacing settings', () => {
    expect(functionEnvironment(template)).toMatchObject({
      LAUNCH_TARGET: 'ecs',
      ECS_TASK_DEFINITION: 'ScalrPoolFailover-agent',
      LAUNCH_RATE_PER_SECOND: '5',
      LAUNCH_BURST: '25',
      FAILOVER_TARGETS: 'ecs:SECONDARY',
      SECONDARY_AWS_REGION: 'us-west-2',
      SECONDARY_ECS_CLUSTER: CLUSTER,
      SECONDARY_ECS_SUBNETS: 'subnet-0b1b2c3d4e5f60711,subnet-0b1b2c3d4e5f60722',
      SECONDARY_ECS_SECURITY_GROUPS: 'sg-0b1b2c3d4e5f60733',
      SECONDARY_ECS_ASSIGN_PUBLIC_IP: 'DISABLED',
    });
    // Not overridden: the secondary inherits the primary's family, container name and capacity.
    expect(functionEnvironment(template).SECONDARY_ECS_TASK_DEFINITION).toBeUndefined();
  });

  it('lets the function run the same family only on the failover cluster', () => {
    expect(statement(template, 'RunFailoverAgentTask')).toEqual({
      Sid: 'RunFailoverAgentTask',
      Effect: 'Allow',
      Action: 'ecs:RunTask',
      Resource: westEcsArn('task-definition/ScalrPoolFailover-agent:*'),
      Condition: WEST_CLUSTER,
    });
  });

  it('lets it tag failover tasks only at launch', () => {
    expect(statement(template, 'TagFailoverAgentTaskAtLaunch')).toEqual({
      Sid: 'TagFailoverAgentTaskAtLaunch',
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      Resource: westEcsArn(`task/${CLUSTER}/*`),
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
  });

  it('grants no ListTasks: a failover is never decided from a listing', () => {
    expect(statement(template, 'FindEarlierFailoverLaunch')).toBeUndefined();
    expect(statement(template, 'FindEarlierLaunch')).toBeUndefined();
  });

  it("lets it pass only the failover stack's agent roles, only to ECS tasks", () => {
    expect(statement(template, 'PassFailoverAgentRoles')).toEqual({
      Sid: 'PassFailoverAgentRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: [FAILOVER_CONTEXT.failoverTaskRoleArn, FAILOVER_CONTEXT.failoverExecutionRoleArn],
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  });

  it("keeps the primary's statements", () => {
    for (const sid of ['RunAgentTask', 'TagAgentTaskAtLaunch', 'PassAgentRoles']) {
      expect(statement(template, sid), sid).toBeDefined();
    }
  });

  it('prints what a stack in another Region needs to fail over to this one', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['AgentTaskRoleArn', 'AgentExecutionRoleArn', 'FailoverContextArgs']),
    );
    const args = JSON.stringify(outputs.FailoverContextArgs?.Value);
    for (const key of [
      'failoverRegion',
      'failoverClusterName',
      'failoverSubnetIds=subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60722',
      'failoverSecurityGroupIds=sg-0a1b2c3d4e5f60733',
      'failoverAssignPublicIp=DISABLED',
      'failoverTaskRoleArn',
      'failoverExecutionRoleArn',
    ]) {
      expect(args).toContain(`-c ${key}`);
    }
  });
});

describe('DispatcherStack with a failover Region and on-demand capacity only', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack({ ...FAILOVER_CONTEXT, capacity: 'FARGATE' }));
  });

  it('keeps a launch ledger: two Regions share no RunTask clientToken', () => {
    expect(ledgerTableIds(template)).toHaveLength(1);
    const [tableId] = ledgerTableIds(template);

    expect(statement(template, 'KeepLaunchLedger')).toEqual({
      Sid: 'KeepLaunchLedger',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
    });
    expect(functionEnvironment(template)).toMatchObject({
      ECS_CAPACITY: 'FARGATE',
      FAILOVER_TARGETS: 'ecs:SECONDARY',
      LEDGER_TABLE_NAME: { Ref: tableId },
      LEDGER_TTL_SECONDS: '604800',
    });
  });
});

describe('failoverEnvironment', () => {
  it("sets an empty security group list so the secondary never inherits the primary's groups", () => {
    const env = failoverEnvironment({
      region: 'us-west-2',
      clusterName: 'agents-dr',
      subnetIds: ['subnet-0b1b2c3d4e5f60711'],
      securityGroupIds: [],
      assignPublicIp: 'ENABLED',
      taskRoleArn: 'arn:aws:iam::123456789012:role/dr-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/dr-exec',
    });
    const primary = {
      ECS_CLUSTER: 'agents',
      ECS_TASK_DEFINITION: 'ScalrAgentDispatcher-agent',
      ECS_CONTAINER_NAME: 'scalr-agent',
      ECS_SUBNETS: 'subnet-0a1b2c3d4e5f60711',
      ECS_SECURITY_GROUPS: 'sg-0a1b2c3d4e5f60733',
    };

    // What the dispatcher's ecs:SECONDARY launcher reads.
    expect(loadEcsConfig(envForPrefix({ ...primary, ...env }, 'SECONDARY'))).toEqual({
      cluster: 'agents-dr',
      taskDefinition: 'ScalrAgentDispatcher-agent',
      containerName: 'scalr-agent',
      subnets: ['subnet-0b1b2c3d4e5f60711'],
      securityGroups: [],
      assignPublicIp: 'ENABLED',
      capacity: 'FARGATE',
      capacityByAction: new Map(),
      sizeByAction: new Map(),
      source: 'scalr',
    });
    expect(envForPrefix({ ...primary, ...env }, 'SECONDARY').AWS_REGION).toBe('us-west-2');
  });
});

describe('failover agents feed the primary trail and alarm', () => {
  const westCluster = westEcsArn(`cluster/${CLUSTER}`);

  it("matches the failover Region's cluster in the primary's trail and agent-failure rules", () => {
    const { template } = buildStack(FAILOVER_CONTEXT);
    const rules = Object.entries(template.findResources('AWS::Events::Rule') as Resources);
    const clusters = (prefix: string) => {
      const pattern = rules.find(([id]) => id.startsWith(prefix))?.[1].Properties.EventPattern as
        | { detail: { clusterArn: unknown[] } }
        | undefined;
      return pattern?.detail.clusterArn;
    };

    expect(clusters('TrailAgentTaskStates')).toContainEqual(westCluster);
    expect(clusters('AlarmsAgentTaskFailedRule')).toContainEqual(westCluster);
    expect(clusters('TrailAgentTaskStates')).toHaveLength(2);
  });

  it('forwards its own agent task events to the primary Region with forwardAgentEventsTo', () => {
    const { template } = buildStack({ forwardAgentEventsTo: 'eu-west-1' });
    const bus = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':events:eu-west-1:',
          { Ref: 'AWS::AccountId' },
          ':event-bus/default',
        ],
      ],
    };

    const forwarder = Object.entries(template.findResources('AWS::Events::Rule') as Resources).find(([id]) =>
      id.startsWith('AgentEventsForwarderRule'),
    )?.[1].Properties;
    expect(forwarder).toMatchObject({
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [{ 'Fn::GetAtt': [expect.stringMatching(/^AgentCluster/), 'Arn'] }],
          startedBy: [{ prefix: 'scalr-' }],
        },
      },
      Targets: [
        {
          Arn: bus,
          RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^AgentEventsForwarderRole/), 'Arn'] },
        },
      ],
    });
    expect(statement(template, 'PutToPrimaryBus')).toMatchObject({
      Action: 'events:PutEvents',
      Effect: 'Allow',
      Resource: bus,
    });
  });

  it('has no forwarding rule by default, and refuses forwardAgentEventsTo on target=aca or a bad Region', () => {
    const { template } = buildStack();
    expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain('event-bus/default');
    expect(() => buildStack({ forwardAgentEventsTo: 'europe' })).toThrow('forwardAgentEventsTo');
  });
});
