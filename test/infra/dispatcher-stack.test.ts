import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import {
  buildStack,
  functionEnvironment,
  IMPORTED_VPC_CONTEXT,
  ledgerTableIds,
  only,
} from './stack-fixture.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** All statements of all IAM policies, flattened. */
/** Statements about the task trail (the dispatcher's read, the consumer's writes and sweep query). */
const TRAIL_SIDS = new Set(['ReadTaskTrail', 'KeepTaskTrail', 'FindOverdueTasks']);

function statements(template: Template): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources).flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
  );
}

describe('DispatcherStack with the default new VPC', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack());
  });

  describe('webhook API', () => {
    it('is a regional REST API', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });

    it('is named after the stack, so its 5xx alarm counts only this pool', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'ScalrAgentDispatcher' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: '5XXError',
        Dimensions: [{ Name: 'ApiName', Value: 'ScalrAgentDispatcher' }],
      });
    });

    it('requires an API key on POST /trigger and validates the body against a JSON model', () => {
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'trigger' });
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        ApiKeyRequired: true,
        AuthorizationType: 'NONE',
        RequestValidatorId: Match.anyValue(),
        RequestModels: { 'application/json': Match.anyValue() },
        Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
      });
      template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
      template.hasResourceProperties('AWS::ApiGateway::Model', {
        ContentType: 'application/json',
        Schema: Match.objectLike({
          type: 'object',
          properties: Match.objectLike({ task_id: { type: 'string', maxLength: 256 } }),
        }),
      });
    });

    it('attaches a generated API key to a usage plan with throttling and a daily quota', () => {
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
      const key = only(template, 'AWS::ApiGateway::ApiKey');
      expect(key.Value).toBeUndefined();
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: 20, BurstLimit: 40 },
        Quota: { Limit: 20000, Period: 'DAY' },
        ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
      });
      template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY' });
    });

    it('throttles the prod stage and writes JSON access logs', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('^\\{".*\\}$') },
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
      });
    });

    it('has no resource policy unless source IPs are listed', () => {
      expect(only(template, 'AWS::ApiGateway::RestApi').Policy).toBeUndefined();
    });

    it('never declares AWS::ApiGateway::Account, which overwrites the account-wide CloudWatch role', () => {
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
    });
  });

  describe('dispatcher function', () => {
    it('runs on Node.js 24, arm64, JSON logs, below the 29 s API timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 25,
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      });
    });

    it('gets the ECS launch settings of the configuration contract', () => {
      const env = functionEnvironment(template);

      expect(env).toMatchObject({
        LAUNCH_TARGET: 'ecs',
        ECS_TASK_DEFINITION: 'ScalrAgentDispatcher-agent',
        ECS_CONTAINER_NAME: 'scalr-agent',
        ECS_ASSIGN_PUBLIC_IP: 'ENABLED',
        ECS_CAPACITY: 'FARGATE',
        LAUNCH_DEADLINE_MS: '20000',
        LAUNCH_RATE_PER_SECOND: '20',
        LAUNCH_BURST: '100',
      });
      expect(Object.keys(env).filter((name) => /^(FAILOVER|SECONDARY)_/.test(name))).toEqual([]);
      for (const name of [
        'WEBHOOK_SECRET_ARN',
        'AGENT_TOKEN_SECRET_ARN',
        'ECS_CLUSTER',
        'ECS_SUBNETS',
        'ECS_SECURITY_GROUPS',
      ]) {
        expect(env[name], name).toBeDefined();
      }
      expect(Number(env.LAUNCH_DEADLINE_MS)).toBeLessThan(25_000);
    });

    it('logs to an explicit log group with retention', () => {
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.resourceCountIs('Custom::LogRetention', 0);
    });

    it('uses its own role, without AWS managed policies', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
        ManagedPolicyArns: Match.absent(),
      });
    });
  });

  describe('least privilege', () => {
    it('keeps the launch ledger with one on-demand target too, with the four item calls on its ARN only', () => {
      const [tableId] = ledgerTableIds(template);
      const beyondTrail = statements(template).filter((s) => !TRAIL_SIDS.has(s.Sid as string));

      expect(ledgerTableIds(template)).toHaveLength(1);
      expect(beyondTrail.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))).toEqual([
        {
          Sid: 'KeepLaunchLedger',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
      ]);
      expect(functionEnvironment(template).LEDGER_TABLE_NAME).toEqual({ Ref: tableId });
      expect(template.toJSON().Outputs.LedgerTableName?.Value).toEqual({ Ref: tableId });
    });

    it('runs only the agent task definition family, only on the agent cluster', () => {
      const runTask = statements(template).find((s) => s.Action === 'ecs:RunTask');

      expect(runTask).toMatchObject({
        Effect: 'Allow',
        Condition: {
          ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^AgentCluster/), 'Arn'] } },
        },
      });
      expect(JSON.stringify(runTask?.Resource)).toContain(':task-definition/ScalrAgentDispatcher-agent:*');
    });

    it('tags tasks only when it launches them', () => {
      expect(statements(template).find((s) => s.Action === 'ecs:TagResource')).toMatchObject({
        Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      });
    });

    it("reads tags only of this cluster's tasks (DescribeTasks, after a token conflict)", () => {
      expect(statements(template).find((s) => s.Action === 'ecs:DescribeTasks')).toMatchObject({
        Condition: {
          ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^AgentCluster/), 'Arn'] } },
        },
      });
    });

    it('grants no ListTasks: whether a key launched is never read from a listing', () => {
      expect(statements(template).find((s) => s.Action === 'ecs:ListTasks')).toBeUndefined();
    });

    it('passes only the task and execution roles, only to ECS tasks', () => {
      const passRole = statements(template).find((s) => s.Action === 'iam:PassRole');

      expect(passRole?.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      });
      expect(passRole?.Resource).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^AgentTaskRole/), 'Arn'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^AgentExecutionRole/), 'Arn'] },
      ]);
    });

    it("reads only the webhook secret's value, and only describes the agent token (never reads it)", () => {
      const read = statements(template).filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
      const dispatcherRead = read.find((s) => s.Action === 'secretsmanager:GetSecretValue');
      const describe = read.find((s) => s.Sid === 'DescribeAgentToken');

      expect(dispatcherRead?.Resource).toEqual({ Ref: expect.stringMatching(/^SecretsWebhookSecret/) });
      expect(describe).toMatchObject({
        Action: 'secretsmanager:DescribeSecret',
        Resource: { Ref: expect.stringMatching(/^SecretsAgentTokenSecret/) },
      });
      expect(functionEnvironment(template).AGENT_TOKEN_CHECK).toBe('stored');
      // The only other secret access is the execution role reading the token secret for the agent.
      const others = read.filter((s) => s !== dispatcherRead && s !== describe);
      expect(others).toHaveLength(1);
      expect(others[0]?.Resource).toEqual({ Ref: expect.stringMatching(/^SecretsAgentTokenSecret/) });
    });

    it('gives the agent task role no permissions', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources);
      const attachedToTaskRole = policies.filter((p) =>
        JSON.stringify(p.Properties.Roles).includes('AgentTaskRole'),
      );

      expect(attachedToTaskRole).toEqual([]);
      template.hasResourceProperties('AWS::IAM::Role', {
        Description: Match.stringLikeRegexp('no permissions by default'),
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
    });
  });

  describe('Fargate agent', () => {
    it('has a cluster with FARGATE and FARGATE_SPOT capacity providers', () => {
      template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
        CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
      });
    });

    it('runs the pinned agent image in single-task mode with the local driver', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Family: 'ScalrAgentDispatcher-agent',
        Cpu: '2048',
        Memory: '4096',
        RequiresCompatibilities: ['FARGATE'],
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'scalr-agent',
            Image: 'scalr/agent:1.6.0',
            StopTimeout: 120,
            Environment: Match.arrayWith([
              { Name: 'SCALR_AGENT_SINGLE', Value: 'true' },
              { Name: 'SCALR_AGENT_DRIVER', Value: 'local' },
            ]),
            LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          }),
        ],
      });
    });

    it('injects the agent token from Secrets Manager, never as plain environment', () => {
      const taskDef = only(template, 'AWS::ECS::TaskDefinition') as {
        ContainerDefinitions: { Environment: { Name: string }[]; Secrets: unknown[] }[];
      };
      const container = taskDef.ContainerDefinitions[0];

      expect(container?.Secrets).toEqual([
        { Name: 'SCALR_AGENT_TOKEN', ValueFrom: { Ref: expect.stringMatching(/^SecretsAgentTokenSecret/) } },
      ]);
      expect(container?.Environment.map((e) => e.Name)).not.toContain('SCALR_AGENT_TOKEN');
      expect(JSON.stringify(functionEnvironment(template))).not.toContain(AGENT_TOKEN_PLACEHOLDER);
    });

    it('creates the token secret holding exactly the placeholder, as a plain string', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        SecretString: AGENT_TOKEN_PLACEHOLDER,
      });
    });

    it('generates the webhook secret in Secrets Manager', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: Match.objectLike({ PasswordLength: 48, ExcludePunctuation: true }),
        SecretString: Match.absent(),
      });
    });

    it('gives the tasks a security group with egress only', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0' })],
        SecurityGroupIngress: Match.absent(),
      });
    });
  });

  describe('network', () => {
    it('creates public subnets in two AZs and no NAT gateway', () => {
      template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.80.0.0/22' });
      template.resourceCountIs('AWS::EC2::Subnet', 2);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    });
  });

  describe('alarms', () => {
    it('alarms on function errors and throttles, API 5xx and failed launches', () => {
      for (const metric of ['Errors', 'Throttles', '5XXError', 'FailedLaunches', 'TriggeredRules']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Threshold: 1 });
      }
    });

    it('counts failed launches from the function logs', () => {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ $.outcome = "launch_failed" }',
        MetricTransformations: [Match.objectLike({ MetricName: 'FailedLaunches', MetricValue: '1' })],
      });
    });

    it('catches agent tasks that exit non-zero or fail to start', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ecs'],
          'detail-type': ['ECS Task State Change'],
          detail: {
            clusterArn: [Match.anyValue()],
            lastStatus: ['STOPPED'],
            startedBy: [{ prefix: 'scalr-' }],
            $or: [{ stopCode: ['TaskFailedToStart'] }, { containers: { exitCode: [{ 'anything-but': 0 }] } }],
          },
        },
        Targets: [
          Match.objectLike({
            Arn: {
              'Fn::Join': [
                '',
                Match.arrayWith([':log-group:', { Ref: Match.stringLikeRegexp('^AlarmsAgentTaskEvents') }]),
              ],
            },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: '/aws/events/ScalrAgentDispatcher/agent-task-failures',
      });
      template.resourceCountIs('AWS::Logs::ResourcePolicy', 1);
    });

    it('creates no SNS topic unless asked', () => {
      template.resourceCountIs('AWS::SNS::Topic', 0);
    });
  });

  describe('outputs', () => {
    it('prints the URL, the key and secret commands and the pool headers', () => {
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      const text = (name: string) => JSON.stringify(outputs[name]?.Value);

      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          'WebhookUrl',
          'ApiKeyId',
          'GetApiKeyCommand',
          'WebhookSecretArn',
          'GetWebhookSecretCommand',
          'AgentTokenSecretArn',
          'SetAgentTokenCommand',
          'ScalrPoolHeaders',
        ]),
      );
      expect(text('WebhookUrl')).toMatch(/"https:\/\/".*\.execute-api\..*"\/trigger"/);
      expect(text('GetApiKeyCommand')).toContain('aws apigateway get-api-key --api-key ');
      expect(text('GetApiKeyCommand')).toContain('--include-value');
      expect(text('GetWebhookSecretCommand')).toContain('aws secretsmanager get-secret-value --secret-id ');
      expect(text('SetAgentTokenCommand')).toContain('aws secretsmanager put-secret-value --secret-id ');
      expect(text('ScalrPoolHeaders')).toContain('x-api-key: ');
      expect(text('ScalrPoolHeaders')).toContain('Authorization: Bearer ');
    });
  });
});

describe('DispatcherStack with the agent image mirrored to ECR', () => {
  it('pulls from the ECR repository with pull rights for the execution role only', () => {
    const { template } = buildStack({
      agentImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/scalr-agent',
    });

    const taskDef = only(template, 'AWS::ECS::TaskDefinition') as {
      ContainerDefinitions: { Image: unknown }[];
    };
    expect(JSON.stringify(taskDef.ContainerDefinitions[0]?.Image)).toContain(
      '123456789012.dkr.ecr.eu-west-1.',
    );
    expect(JSON.stringify(taskDef.ContainerDefinitions[0]?.Image)).toContain('/mirror/scalr-agent:1.6.0');
    const pull = statements(template).find((s) => JSON.stringify(s.Action).includes('ecr:BatchGetImage'));
    expect(JSON.stringify(pull?.Resource)).toContain(':repository/mirror/scalr-agent');
  });
});

describe('DispatcherStack with an existing VPC, token secret and alarm email', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack(IMPORTED_VPC_CONTEXT));
  });

  it('creates no VPC and imports subnets and security groups without lookups', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(functionEnvironment(template)).toMatchObject({
      ECS_SUBNETS: 'subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60722',
      ECS_SECURITY_GROUPS: 'sg-0a1b2c3d4e5f60733',
      ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE',
    });
  });

  it('keeps a launch ledger for Spot then on-demand, with the four item calls on its ARN only', () => {
    expect(ledgerTableIds(template)).toHaveLength(1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const [tableId] = ledgerTableIds(template);
    expect(tableId).toMatch(/^LedgerTable/);

    const dynamodb = statements(template).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamodb.filter((s) => !TRAIL_SIDS.has(s.Sid as string))).toEqual([
      {
        Sid: 'KeepLaunchLedger',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
      },
    ]);
    expect(functionEnvironment(template)).toMatchObject({
      LEDGER_TABLE_NAME: { Ref: tableId },
      LEDGER_TTL_SECONDS: '604800',
    });
    expect(template.toJSON().Outputs.LedgerTableName?.Value).toEqual({ Ref: tableId });
  });

  it('turns public IPs off in private subnets', () => {
    expect(functionEnvironment(template).ECS_ASSIGN_PUBLIC_IP).toBe('DISABLED');
  });

  it('uses the existing token secret and creates only the webhook secret', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(functionEnvironment(template).AGENT_TOKEN_SECRET_ARN).toBe(
      IMPORTED_VPC_CONTEXT.agentTokenSecretArn,
    );
  });

  it('describes a given token secret under both forms of its ARN (a partial ARN can look complete), never reads it', () => {
    const read = statements(template).find((s) => s.Action === 'secretsmanager:GetSecretValue');
    const describe = statements(template).find((s) => s.Sid === 'DescribeAgentToken');

    expect(read?.Resource).toEqual({ Ref: expect.stringMatching(/^SecretsWebhookSecret/) });
    expect(describe?.Resource).toEqual([
      IMPORTED_VPC_CONTEXT.agentTokenSecretArn,
      `${IMPORTED_VPC_CONTEXT.agentTokenSecretArn}-??????`,
    ]);
    expect(functionEnvironment(template).AGENT_TOKEN_CHECK).toBe('exists');
  });

  it('injects the imported token secret into the agent and sets SCALR_URL', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'ScalrPoolImported-agent',
      Cpu: '4096',
      Memory: '8192',
      ContainerDefinitions: [
        Match.objectLike({
          Image: 'scalr/agent:1.5.2',
          Environment: Match.arrayWith([{ Name: 'SCALR_URL', Value: 'https://example.scalr.io' }]),
          Secrets: [
            {
              Name: 'SCALR_AGENT_TOKEN',
              ValueFrom: Match.stringLikeRegexp(`^${IMPORTED_VPC_CONTEXT.agentTokenSecretArn}`),
            },
          ],
        }),
      ],
    });
  });

  it('allows only the listed source IPs with a resource policy', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'execute-api:Invoke',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.10', '198.51.100.0/24'] } },
          }),
        ]),
      },
    });
  });

  it('sends every alarm to an SNS topic with an email subscription', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    // Function errors, throttles, API 5xx, failed launches, failed agent tasks, accepted but not RUNNING.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });
});
