import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { dispatcherStackFromContext } from '../../lib/app-from-context.js';
import { DispatcherStack } from '../../lib/dispatcher-stack.js';

/** Context of an existing VPC with private subnets, an existing token secret and alarm email. */
export const IMPORTED_VPC_CONTEXT = {
  stackName: 'ScalrPoolImported',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: 'subnet-0a1b2c3d4e5f60711,subnet-0a1b2c3d4e5f60722',
  securityGroupIds: 'sg-0a1b2c3d4e5f60733',
  subnetType: 'private',
  agentTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/agent-token-AbCdEf',
  allowedSourceIps: '203.0.113.10,198.51.100.0/24',
  alarmEmail: 'ops@example.com',
  capacity: 'FARGATE_SPOT_THEN_FARGATE',
  scalrUrl: 'https://example.scalr.io',
  agentImageTag: '1.5.2',
  agentCpu: '4096',
  agentMemoryMiB: '8192',
} as const;

/** The Scalr registration on: the stack creates the pool `aws-fargate` and stores its token. */
export const SCALR_REGISTRATION_CONTEXT = {
  stackName: 'ScalrPoolRegistered',
  scalrUrl: 'https://example.scalr.io',
  scalrApiTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/api-token-AbCdEf',
  scalrAgentPoolName: 'aws-fargate',
} as const;

/**
 * CDK's `aws:cdk:bundling-stacks` context with no stack: synth skips esbuild. Bundling costs seconds per
 * function per synth (most of an infra test's time) and changes nothing in a template but the asset
 * hashes, which no template assertion reads (the snapshots blank them out). The bundles themselves are
 * built and checked where they matter: `bundle: true` below (aca-stack, env0-stack), the real CLI
 * (cdk-synth), `scripts/build-lambda.ts` (lambda-bundle, aca-bundles) and the npm package (pack).
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** Whether a test needs the Lambda bundles staged for real (to read them), not only the template. */
export interface BuildOptions {
  /** Run esbuild as `cdk synth` does. Default false: see `SKIP_BUNDLING`. */
  readonly bundle?: boolean;
}

/** An app with the given context that bundles only when asked to. */
export function testApp(context: Record<string, unknown> = {}, options: BuildOptions = {}): App {
  return new App({ context: options.bundle === true ? context : { ...SKIP_BUNDLING, ...context } });
}

/** Builds the stack from context values with the code `bin/app.ts` runs (bundling only if asked to). */
export function buildStack(
  context: Record<string, unknown> = {},
  options: BuildOptions = {},
): {
  stack: DispatcherStack;
  template: Template;
} {
  const app = testApp(context, options);
  const stack = dispatcherStackFromContext(app);
  if (!(stack instanceof DispatcherStack)) throw new Error('expected the webhook pool, not source=env0');
  return { stack, template: Template.fromStack(stack) };
}

/** Context of the Azure Container Apps target with AWS outbound identity federation (the default). */
export const ACA_CONTEXT = {
  stackName: 'ScalrPoolAzure',
  target: 'aca',
  acaSubscriptionId: '00000000-0000-4000-8000-000000000001',
  acaResourceGroup: 'rg-scalr-agents',
  acaJobName: 'scalr-agent',
  azureTenantId: '00000000-0000-4000-8000-000000000002',
  azureClientId: '00000000-0000-4000-8000-000000000003',
} as const;

/** The Azure target with a client secret in Secrets Manager, a sovereign cloud and every optional key. */
export const ACA_CLIENT_SECRET_CONTEXT = {
  stackName: 'ScalrPoolAzureSecret',
  target: 'aca',
  acaSubscriptionId: '00000000-0000-4000-8000-000000000001',
  acaResourceGroup: 'rg-scalr-agents',
  acaJobName: 'scalr-agent',
  acaContainerName: 'agent',
  azureAuth: 'client-secret',
  azureCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/azure-AbCdEf',
  azureAuthorityHost: 'https://login.microsoftonline.us',
  acaArmEndpoint: 'https://management.usgovcloudapi.net',
  // The former name of ledgerTtlSeconds, still read.
  dedupTtlSeconds: '86400',
  acaListSettleSeconds: '120',
  alarmEmail: 'ops@example.com',
} as const;

/** An existing VPC in the primary Region, failing over to a copy of the stack in us-west-2. */
export const FAILOVER_CONTEXT = {
  ...IMPORTED_VPC_CONTEXT,
  stackName: 'ScalrPoolFailover',
  launchRatePerSecond: '5',
  launchBurst: '25',
  failoverRegion: 'us-west-2',
  failoverClusterName: 'ScalrPoolFailover-AgentCluster-AbC123',
  failoverSubnetIds: 'subnet-0b1b2c3d4e5f60711,subnet-0b1b2c3d4e5f60722',
  failoverSecurityGroupIds: 'sg-0b1b2c3d4e5f60733',
  failoverAssignPublicIp: 'DISABLED',
  failoverTaskRoleArn: 'arn:aws:iam::123456789012:role/ScalrPoolFailover-AgentTaskRole-WEST',
  failoverExecutionRoleArn: 'arn:aws:iam::123456789012:role/ScalrPoolFailover-AgentExecutionRole-WEST',
} as const;

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** The single resource of a type, for assertions that need to read values out of it. */
export function only(template: Template, type: string): Record<string, unknown> {
  const found = Object.values(template.findResources(type) as Resources);
  expect(found).toHaveLength(1);
  return found[0]?.Properties ?? {};
}

/** Environment variables of the dispatcher function (the one with `WEBHOOK_SECRET_ARN`). */
export function functionEnvironment(template: Template): Record<string, unknown> {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { WEBHOOK_SECRET_ARN: Match.anyValue() } } },
    }) as Resources,
  );
  expect(found).toHaveLength(1);
  const variables = (found[0]?.Properties as { Environment?: { Variables?: Record<string, unknown> } })
    ?.Environment?.Variables;
  return variables ?? {};
}

/** Launch-ledger tables: every DynamoDB table but the task trail's (`TrailTable...`). */
export function ledgerTableIds(template: Template): string[] {
  return Object.keys(template.findResources('AWS::DynamoDB::Table')).filter(
    (id) => !id.startsWith('TrailTable'),
  );
}

/** The dispatcher's one call on the task trail: GetItem on its table. */
export const TRAIL_READ_STATEMENT = {
  Sid: 'ReadTaskTrail',
  Effect: 'Allow',
  Action: 'dynamodb:GetItem',
  Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrailTable/), 'Arn'] },
};
