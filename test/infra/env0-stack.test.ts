import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseStackConfig, StackConfigError } from '../../lib/config/stack-config.js';
import { Env0PollerStack } from '../../lib/env0-poller-stack.js';
import { ACA_CONTEXT, type BuildOptions, testApp } from './stack-fixture.js';

function build(context: Record<string, unknown>, options: BuildOptions = {}) {
  const app = testApp({}, options);
  const config = parseStackConfig((key) => ({ source: 'env0', stackName: 'Env0Pool', ...context })[key]);
  const stack = new Env0PollerStack(app, config.stackName, { stackName: config.stackName, config });
  return { stack, template: Template.fromStack(stack) };
}

const clusterId = (stack: Env0PollerStack) =>
  stack.getLogicalId(stack.agent?.cluster.node.defaultChild as CfnElement);
const consumerId = (stack: Env0PollerStack) =>
  stack.getLogicalId(stack.trail.consumer.node.defaultChild as CfnElement);

const ACA_ENV0 = {
  ...ACA_CONTEXT,
  stackName: 'Env0PoolAzure',
  env0AgentTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:env0/token-AbCdEf',
};

describe('source=env0 stack', () => {
  // Bundled for real: the only place the suite builds the poller's bundle (the other builds skip it).
  const { stack, template } = build({}, { bundle: true });

  it('runs the pinned env0 agent with the seed command, 2 vCPU / 4 GiB and both secrets', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'env0-agent',
          Image: 'ghcr.io/env0/deployment-agent:3.0.706',
          EntryPoint: ['/bin/sh', '-c'],
          Command: ['update-ca-certificates; node --enable-source-maps start-agent.js;'],
          Environment: [{ Name: 'ENV0_STAGE', Value: 'prod' }],
          Secrets: [
            Match.objectLike({ Name: 'AGENT_ACCESS_TOKEN' }),
            Match.objectLike({ Name: 'ENV0_STATE_ENCRYPTION_KEY' }),
          ],
        }),
      ],
    });
  });

  it('generates the state encryption key once, retains it and never rotates it', () => {
    const keys = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { PasswordLength: 44, ExcludePunctuation: true } },
    });
    const [key] = Object.values(keys);
    expect(Object.keys(keys)).toHaveLength(1);
    expect(key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('gives the poller the queue URL and the KEDA parameters, and deploys no webhook API', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          QUEUE_STATE_URL: 'https://agent.api.env0.com/deployment-tasks/queue-state',
          POLLING_INTERVAL_SECONDS: '30',
          MAX_EXECUTIONS: '10',
          TARGET_VALUE: '1',
          AGENT_STARTUP_SECONDS: '60',
          LAUNCH_TARGET: 'ecs',
          ECS_CONTAINER_NAME: 'env0-agent',
        }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)' });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
  });

  it('lets the poller read and stop only its own cluster tasks, never list them', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('ecs:DescribeTasks');
    expect(policies).toContain('ecs:StopTask');
    expect(policies).not.toContain('ecs:ListTasks');
    expect(policies).not.toMatch(/"Action":"\*"|"ecs:\*"/);
  });

  it('alarms when polls stop (no data breaches), keep failing, or env0 refuses the token', () => {
    const alarm = (metric: string, decision: string | undefined) =>
      Object.values(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: {
            MetricName: metric,
            Namespace: 'AgentDispatcher/Env0Pool',
            ...(decision ? { Dimensions: [{ Name: 'Decision', Value: decision }] } : {}),
          },
        }),
      ).filter((a) => decision !== undefined || a.Properties.Dimensions === undefined);
    const [stopped] = alarm('Polls', undefined);
    expect(stopped?.Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      Period: 300,
      TreatMissingData: 'breaching',
    });
    const [failing] = alarm('Polls', 'unknown');
    expect(failing?.Properties).toMatchObject({
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    const [refused] = alarm('Polls', 'refused');
    expect(refused?.Properties).toMatchObject({ EvaluationPeriods: 1, Threshold: 1 });
    expect(refused?.Properties.AlarmDescription).toMatch(
      /Configuration: env0 refused the agent access token/,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'AgentDispatcher/Env0Pool' }) },
    });
  });

  it('puts the polls by decision, the queue and the pool on a dashboard', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const part of ['env0 polls by decision', 'Pending', 'Active', 'Starting', 'Started', 'refused']) {
      expect(body).toContain(part);
    }
    template.hasOutput('PollerDashboard', Match.anyValue());
  });

  it('waits three scheduled invocations before "polls stopped" when polls are minutes apart', () => {
    const slow = build({ pollingInterval: 300 }).template;
    const stopped = Object.values(
      slow.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'Polls', TreatMissingData: 'breaching' },
      }),
    );
    expect(stopped.map((a) => a.Properties.Period)).toEqual([900]);
  });

  it('notifies the alarm topic given by alarmTopicArn', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const alarms = Object.values(
      build({ alarmTopicArn: topicArn }).template.findResources('AWS::CloudWatch::Alarm'),
    );
    // The poller's three, and the agents' not RUNNING and failed.
    expect(alarms).toHaveLength(5);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([topicArn]);
  });

  it("feeds the agents' trail from the poller's accepted lines and the env0 cluster's task events", () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.message = "launch accepted" }',
      LogGroupName: { Ref: stack.getLogicalId(stack.poller.logGroup.node.defaultChild as CfnElement) },
    });
    const clusterArn = { 'Fn::GetAtt': [clusterId(stack), 'Arn'] };
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [clusterArn], startedBy: [{ prefix: 'env0-' }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [consumerId(stack), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [consumerId(stack), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AGENT_CONTAINER_NAME: 'env0-agent',
          AGENT_LOG_STREAM_PREFIX: 'env0',
          METRICS_NAMESPACE: 'AgentDispatcher/Env0Pool',
          NOT_RUNNING_AFTER_MINUTES: '10',
        }),
      },
    });
    template.hasOutput('TaskTrailTableName', Match.anyValue());
  });

  it('lets the trail consumer keep its own table only, by name', () => {
    const role = stack.trail.consumerRole;
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as CfnElement) }] },
      }),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Action: unknown;
      Resource: unknown;
    }[];
    const tableId = stack.getLogicalId(stack.trail.table.node.defaultChild as CfnElement);
    expect(statements.map((s) => s.Action).sort()).toEqual(
      ['dynamodb:Query', 'dynamodb:UpdateItem', ['logs:CreateLogStream', 'logs:PutLogEvents']].sort(),
    );
    for (const statement of statements) {
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
    expect(JSON.stringify(statements)).toContain(tableId);
  });

  it.each([
    ['ECS', 'ecs'],
    ['ACA', 'aca'],
  ])(
    'alarms on %s agents not RUNNING in time and on failed agents, and shows poll to RUNNING',
    (name, platform) => {
      const built = name === 'ACA' ? build(ACA_ENV0).template : template;
      const alarms = Object.values(built.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(alarms.find((a) => a.MetricName === 'OverdueTasks')).toMatchObject({
        Statistic: 'Maximum',
        Period: 900,
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
      expect(alarms.find((a) => a.MetricName === 'AgentFailures')).toMatchObject({
        Namespace: name === 'ACA' ? 'AgentDispatcher/Env0PoolAzure' : 'AgentDispatcher/Env0Pool',
        Dimensions: [{ Name: 'Platform', Value: platform }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarms.some((a) => a.MetricName === 'StatusReadFailures')).toBe(name === 'ACA');
      const [dashboard] = Object.values(built.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard?.Properties.DashboardBody);
      for (const part of ['env0 poll to RUNNING', 'TimeToRunning', 'p95', 'OverdueTasks', 'AgentFailures']) {
        expect(body).toContain(part);
      }
    },
  );

  it('reads the ACA agents with the status sweep, signing in as the poller does', () => {
    const aca = build(ACA_ENV0);
    aca.template.resourceCountIs('AWS::Events::Rule', 1);
    aca.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATUS_SWEEP: 'aca' }) },
    });
    aca.template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.message = "launch accepted" }',
    });
    // Federation: the consumer signs in with its own role, which Entra ID must know too.
    const consumerRole = aca.stack.getLogicalId(aca.stack.trail.consumerRole.node.defaultChild as CfnElement);
    aca.template.hasOutput('AzureTrailFederatedCredentialSubject', {
      Value: { 'Fn::GetAtt': [consumerRole, 'Arn'] },
    });
    // And the poller, which starts the executions, signs in with its own role.
    const pollerRole = aca.stack.getLogicalId(aca.stack.poller.role.node.defaultChild as CfnElement);
    aca.template.hasOutput('AzureFederatedCredentialSubject', {
      Value: { 'Fn::GetAtt': [pollerRole, 'Arn'] },
    });
    aca.template.hasOutput('AzureFederatedCredentialAudience', { Value: 'api://AzureADTokenExchange' });
    aca.template.hasOutput('GetAzureFederatedCredentialIssuerCommand', {
      Value: Match.stringLikeRegexp('get-outbound-web-identity-federation-info'),
    });
  });

  it.each([
    ['ECS', {}],
    ['ACA', ACA_ENV0],
  ])('passes cdk-nag on the %s target', (_name, context) => {
    const built = context === ACA_ENV0 ? build(ACA_ENV0).stack : stack;
    const report = new AwsSolutionsChecks().validateScope(built);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it.each([
    [{ pollingInterval: 45 }, /pollingInterval is 45: expected a divisor of 60/],
    [{ minExecutions: 5, maxExecutions: 2 }, /minExecutions is 5: expected at most maxExecutions/],
    [{ replicaRetryLimit: 2 }, /replicaRetryLimit is 2: expected 0/],
    [{ parallelism: 3 }, /parallelism is 3: expected 1/],
    [{ env0AgentImageTag: 'latest' }, /env0AgentImageTag is "latest": expected a pinned agent version/],
    [{ env0QueueStateUrl: 'http://agent.api.env0.com/q' }, /env0QueueStateUrl .*expected an https:\/\/ URL/],
    [{ ...ACA_CONTEXT }, /env0AgentTokenSecretArn is empty: source=env0 with target=aca/],
  ])('refuses %j with a message naming the key', (context, message) => {
    expect(() => build(context)).toThrowError(StackConfigError);
    expect(() => build(context)).toThrowError(message);
  });
});
