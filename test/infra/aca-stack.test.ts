import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DispatcherStack } from '../../lib/dispatcher-stack.js';
import {
  ACA_CLIENT_SECRET_CONTEXT,
  ACA_CONTEXT,
  buildStack,
  functionEnvironment,
  ledgerTableIds,
  TRAIL_READ_STATEMENT,
} from './stack-fixture.js';

/** The statements of the dispatcher role's policy (the one that reads the webhook secret). */
function dispatcherStatements(template: Template): Record<string, unknown>[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadOwnSecrets' })]) },
      },
    }),
  ) as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }[];
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement ?? [];
}

function outputs(template: Template): Record<string, { Value: unknown; Description?: string }> {
  return template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
}

const ECS_RESOURCE_TYPES = [
  'AWS::ECS::Cluster',
  'AWS::ECS::TaskDefinition',
  'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::SecurityGroup',
];

/** The logical ID the ACA table had before it became the launch ledger; a new one would replace it. */
const ACA_TABLE_ID = 'AcaDedupTable3D54E422';

const LEDGER_STATEMENT = {
  Sid: 'KeepLaunchLedger',
  Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  Resource: { 'Fn::GetAtt': [ACA_TABLE_ID, 'Arn'] },
};

describe('DispatcherStack with target=aca and AWS outbound identity federation', () => {
  let stack: DispatcherStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = buildStack(ACA_CONTEXT, { bundle: true }));
  });

  it('creates no ECS resources, no VPC and no agent token secret', () => {
    for (const type of ECS_RESOURCE_TYPES) template.resourceCountIs(type, 0);
    // The only rule is the trail's sweep schedule (it reads the executions from ARM): no ECS event rule.
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('^Scalr webhook secret'),
      GenerateSecretString: Match.anyValue(),
    });
    expect(stack.pool.secrets.agentTokenSecret).toBeUndefined();
  });

  it('keeps the launch ledger in an on-demand table keyed by pk, expiring through expiresAt', () => {
    expect(ledgerTableIds(template)).toHaveLength(1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('keeps the logical ID of the former de-duplication table, so an upgrade does not replace it', () => {
    expect(ledgerTableIds(template)).toEqual([ACA_TABLE_ID]);
    expect(stack.pool.ledger).toBeDefined();
  });

  it('gives the function the aca settings of the configuration contract, without an agent token', () => {
    const env = functionEnvironment(template);

    expect(env).toEqual({
      LAUNCH_TARGET: 'aca',
      ACA_SUBSCRIPTION_ID: ACA_CONTEXT.acaSubscriptionId,
      ACA_RESOURCE_GROUP: 'rg-scalr-agents',
      ACA_JOB_NAME: 'scalr-agent',
      AZURE_AUTH: 'aws-federation',
      AZURE_TENANT_ID: ACA_CONTEXT.azureTenantId,
      AZURE_CLIENT_ID: ACA_CONTEXT.azureClientId,
      ACA_LIST_SETTLE_SECONDS: '30',
      LEDGER_TABLE_NAME: { Ref: ACA_TABLE_ID },
      LEDGER_TTL_SECONDS: '604800',
      METRICS_NAMESPACE: expect.stringMatching(/^AgentDispatcher\//),
      TRAIL_TABLE_NAME: { Ref: expect.stringMatching(/^TrailTable/) },
      TRAIL_TTL_SECONDS: '604800',
      WEBHOOK_SECRET_ARN: { Ref: expect.stringMatching(/^SecretsWebhookSecret/) },
      LAUNCH_DEADLINE_MS: '20000',
    });
  });

  it('allows exactly its logs, the webhook secret, four item calls and an Entra-only STS token', () => {
    expect(dispatcherStatements(template)).toEqual([
      expect.objectContaining({ Sid: 'WriteOwnLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: expect.stringMatching(/^SecretsWebhookSecret/) },
      },
      LEDGER_STATEMENT,
      {
        Sid: 'GetAzureFederationToken',
        Effect: 'Allow',
        Action: 'sts:GetWebIdentityToken',
        Resource: '*',
        Condition: {
          'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': 'api://AzureADTokenExchange' },
          NumericLessThanEquals: { 'sts:DurationSeconds': 3600 },
        },
      },
      TRAIL_READ_STATEMENT,
    ]);
  });

  it('keeps the function, API and failed-launch alarms, without an ECS task-state rule', () => {
    for (const metric of ['Errors', 'Throttles', '5XXError', 'FailedLaunches', 'AgentFailures']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metric, Threshold: 1 });
    }
    // Plus the trail's: not RUNNING in time (ACA sweep), failed agents, status reads failing.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.outcome = "launch_failed" }',
    });
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
  });

  it('bundles the Azure SDK and the ACA launcher into the function code', () => {
    const bundle = findBundle(stack);

    // Everything inlined: no import of @azure/* or of the launcher left for Lambda to resolve.
    expect(bundle).not.toMatch(/(from|import\()\s*["']@azure\//);
    expect(bundle).not.toMatch(/["'][^"']*launchers\/aca\/[^"']*["']/);
    expect(bundle).toContain('AzureADTokenExchange');
  });

  it('prints what the Entra ID federated credential needs, and no agent token outputs', () => {
    const out = outputs(template);

    expect(Object.keys(out)).toEqual(
      expect.arrayContaining([
        'WebhookUrl',
        'ApiKeyId',
        'GetApiKeyCommand',
        'WebhookSecretArn',
        'GetWebhookSecretCommand',
        'ScalrPoolHeaders',
        'LedgerTableName',
        'AzureFederatedCredentialSubject',
        'AzureFederatedCredentialAudience',
        'GetAzureFederatedCredentialIssuerCommand',
      ]),
    );
    for (const name of ['AgentTokenSecretArn', 'SetAgentTokenCommand', 'AgentCluster', 'AgentLogGroup']) {
      expect(out[name], name).toBeUndefined();
    }
    expect(out.AzureFederatedCredentialSubject?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^DispatcherRole/), 'Arn'],
    });
    expect(out.AzureFederatedCredentialSubject?.Description).toContain('docs/azure.md');
    expect(out.AzureFederatedCredentialAudience?.Value).toBe('api://AzureADTokenExchange');
    expect(out.GetAzureFederatedCredentialIssuerCommand?.Value).toBe(
      'aws iam get-outbound-web-identity-federation-info --query IssuerIdentifier --output text',
    );
    expect(out.LedgerTableName?.Value).toEqual({ Ref: ACA_TABLE_ID });
    expect(out.DedupTableName).toBeUndefined();
  });
});

describe('DispatcherStack with target=aca and a client secret', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = buildStack(ACA_CLIENT_SECRET_CONTEXT));
  });

  it('reads the Azure credentials secret (under both forms of its ARN) and gets no STS grant', () => {
    expect(dispatcherStatements(template)).toEqual([
      expect.objectContaining({ Sid: 'WriteOwnLogs' }),
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [
          { Ref: expect.stringMatching(/^SecretsWebhookSecret/) },
          ACA_CLIENT_SECRET_CONTEXT.azureCredentialsSecretArn,
          `${ACA_CLIENT_SECRET_CONTEXT.azureCredentialsSecretArn}-??????`,
        ],
      },
      LEDGER_STATEMENT,
      TRAIL_READ_STATEMENT,
    ]);
    expect(JSON.stringify(template.toJSON())).not.toContain('sts:GetWebIdentityToken');
  });

  it('passes the secret, the container, the sovereign-cloud endpoints, the settle time and the TTL to the function', () => {
    const env = functionEnvironment(template);

    expect(env).toMatchObject({
      LAUNCH_TARGET: 'aca',
      AZURE_AUTH: 'client-secret',
      AZURE_CREDENTIALS_SECRET_ARN: ACA_CLIENT_SECRET_CONTEXT.azureCredentialsSecretArn,
      ACA_CONTAINER_NAME: 'agent',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us',
      ACA_ARM_ENDPOINT: 'https://management.usgovcloudapi.net',
      ACA_LIST_SETTLE_SECONDS: '120',
      // From the former key dedupTtlSeconds.
      LEDGER_TTL_SECONDS: '86400',
    });
    for (const name of [
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_ID',
      'AGENT_TOKEN_SECRET_ARN',
      'DEDUP_TABLE_NAME',
      'DEDUP_TTL_SECONDS',
    ]) {
      expect(env[name], name).toBeUndefined();
    }
  });

  it('creates no secret besides the webhook secret, and no federation outputs', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const out = outputs(template);
    expect(out.LedgerTableName).toBeDefined();
    expect(out.AzureFederatedCredentialSubject).toBeUndefined();
    expect(out.AgentTokenSecretArn).toBeUndefined();
  });

  it('sends the alarms to an email topic', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
  });
});

/** The bundled handler of the stack's function, read from the staged asset. */
function findBundle(stack: DispatcherStack): string {
  const staging = stack.pool.dispatcher.function.node
    .findAll()
    .map((construct) => (construct as { absoluteStagedPath?: string }).absoluteStagedPath)
    .find((path): path is string => typeof path === 'string');
  expect(staging).toBeDefined();
  const file = join(staging ?? '', 'index.mjs');
  expect(existsSync(file)).toBe(true);
  return readFileSync(file, 'utf8');
}
