import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig, StackConfigError } from '../../lib/config/stack-config.js';
import { ACA_CONTEXT, buildStack, functionEnvironment } from './stack-fixture.js';

function consumerStatements(template: Template): Record<string, unknown>[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^TrailConsumerRole') }] },
  });
  return Object.values(policies).flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
  );
}

describe('task trail, dashboard and the not-RUNNING alarm (target=ecs)', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack({ taskTrailDays: '14', notRunningAlarmMinutes: '15' }));
  });

  it('keeps trails in a table with TTL and the sparse index of tasks awaiting RUNNING', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'awaiting',
          KeySchema: [
            { AttributeName: 'awaiting', KeyType: 'HASH' },
            { AttributeName: 'acceptedMs', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    expect(functionEnvironment(template)).toMatchObject({
      TRAIL_TABLE_NAME: { Ref: expect.stringMatching(/^TrailTable/) },
      TRAIL_TTL_SECONDS: String(14 * 86_400),
    });
  });

  it('serves GET /tasks/{taskId} behind the API key', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{taskId}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ApiKeyRequired: true,
      ResourceId: { Ref: Match.stringLikeRegexp('taskstaskId') },
    });
  });

  it('feeds the consumer from the accepted log lines, the agent task events and a 5-minute sweep', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.message = "launch accepted" }',
      DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailConsumer'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: Match.anyValue(), startedBy: [{ prefix: 'scalr-' }] },
      }),
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailConsumer'), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ NOT_RUNNING_AFTER_MINUTES: '15', AGENT_CONTAINER_NAME: 'scalr-agent' }),
      },
    });
  });

  it('lets the consumer update trail items and query the awaiting index only', () => {
    const trail = consumerStatements(template).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(trail).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrailTable/), 'Arn'] },
      }),
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [expect.stringMatching(/^TrailTable/), 'Arn'] }, '/index/awaiting'],
          ],
        },
      }),
    ]);
  });

  it('alarms when a task accepted is not RUNNING in time, and when the sweep stops reporting', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: { MetricName: 'OverdueTasks', Namespace: 'AgentDispatcher/ScalrAgentDispatcher' },
            Period: 900,
            Stat: 'Maximum',
          },
        }),
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmDescription: Match.stringLikeRegexp('within 15 minutes'),
    });
  });

  it('has a dashboard with webhooks by outcome, 503s by cause, time to RUNNING and stopped agents', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    for (const text of [
      'Webhooks by outcome',
      '503 answers by cause',
      'TimeToRunning',
      'LaunchLatency',
      'AgentsStopped',
      'OverdueTasks',
    ]) {
      expect(body).toContain(text);
    }
  });
  it('shows webhook to RUNNING and the image pull, p50 and p95 by platform and Region', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    for (const stat of ['p50', 'p95']) {
      expect(body).toMatch(
        new RegExp(
          `SEARCH\\('\\{AgentDispatcher/ScalrAgentDispatcher,Platform,Region\\} MetricName=[^']*TimeToRunning[^']*', '${stat}', 300\\)`,
        ),
      );
      expect(body).toContain(`Webhook to RUNNING ${stat} by platform and Region, ms`);
      expect(body).toMatch(
        new RegExp(
          `SEARCH\\('\\{AgentDispatcher/ScalrAgentDispatcher,Platform,Region\\} MetricName=[^']*ImagePullTime[^']*', '${stat}', 300\\)`,
        ),
      );
      expect(body).toContain(`Image pull ${stat} by platform and Region, ms`);
    }
    expect(body).toContain('Failed agents by platform');
    expect(body).toMatch(
      /SEARCH\('\{AgentDispatcher\/ScalrAgentDispatcher,Platform\} MetricName=[^']*AgentFailures/,
    );
  });
});

describe('task trail on target=aca', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack(ACA_CONTEXT));
  });

  it('sweeps the executions from ARM every 5 minutes with the same not-RUNNING alarm as ECS, and no ECS rule', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.message = "launch accepted" }',
    });
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const notRunning = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      JSON.stringify(alarm).includes('OverdueTasks'),
    );
    expect(notRunning).toHaveLength(1);
    expect(notRunning[0]?.Properties.TreatMissingData).toBe('breaching');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          STATUS_SWEEP: 'aca',
          ACA_JOB_NAME: Match.anyValue(),
          AZURE_CLIENT_ID: Match.anyValue(),
          TRAIL_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it('alarms on failed ACA agents and on status reads failing three sweeps running', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AgentFailures',
      Dimensions: [{ Name: 'Platform', Value: 'aca' }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StatusReadFailures',
      EvaluationPeriods: 3,
    });
  });

  it('lets the consumer read trail items and get an STS token for Entra only', () => {
    const statements = consumerStatements(template);
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'ReadUnfinishedTrails', Action: 'dynamodb:GetItem' }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'GetAzureFederationToken',
        Action: 'sts:GetWebIdentityToken',
        Condition: expect.objectContaining({
          'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': 'api://AzureADTokenExchange' },
        }),
      }),
    );
    template.hasOutput('AzureTrailFederatedCredentialSubject', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailConsumerRole'), 'Arn'] },
    });
  });
});

describe('context keys', () => {
  it.each([
    [{ taskTrailDays: '3' }, 'taskTrailDays'],
    [{ notRunningAlarmMinutes: '0' }, 'notRunningAlarmMinutes'],
  ])('refuses %j naming the key', (context, key) => {
    const read = () => parseStackConfig((name) => (context as Record<string, unknown>)[name]);
    expect(read).toThrow(StackConfigError);
    expect(read).toThrow(key);
  });
});
