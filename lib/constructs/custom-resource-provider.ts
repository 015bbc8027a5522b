import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { readablePath } from './readable-path.js';

/**
 * The log group `Logs` under `scope` that a custom resource's handler and provider framework share, and
 * the statement that lets their own roles write to it (instead of AWSLambdaBasicExecutionRole).
 */
export function customResourceLogs(
  scope: Construct,
  retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
): { logGroup: logs.LogGroup; writeLogs: iam.PolicyStatement } {
  const logGroup = new logs.LogGroup(scope, 'Logs', { retention, removalPolicy: RemovalPolicy.DESTROY });
  const writeLogs = new iam.PolicyStatement({
    sid: 'WriteOwnLogs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  });
  return { logGroup, writeLogs };
}

/** Props of {@link customResourceProvider}. */
export interface CustomResourceProviderProps {
  /** The custom resource's onEvent handler. */
  readonly handler: lambda.Function;
  /** Log group of the handler, which the framework function writes to as well. */
  readonly logGroup: logs.ILogGroup;
  /** The statement that lets a function write to `logGroup` (and nothing else). */
  readonly writeLogs: iam.PolicyStatement;
  /** What the handler does, for the framework role's description ("invokes the <handlerName>"). */
  readonly handlerName: string;
}

/**
 * The CDK provider framework for one handler, as `ProviderRole` and `Provider` under `scope`: its own
 * role that only writes to the handler's log group (instead of AWSLambdaBasicExecutionRole), the
 * framework function described with the readable path, and cdk-nag's finding on the invoke grant
 * acknowledged.
 */
export function customResourceProvider(scope: Construct, props: CustomResourceProviderProps): cr.Provider {
  const frameworkRole = new iam.Role(scope, 'ProviderRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `CDK custom resource provider framework: invokes the ${props.handlerName}`,
  });
  frameworkRole.addToPolicy(props.writeLogs);
  const provider = new cr.Provider(scope, 'Provider', {
    onEventHandler: props.handler,
    frameworkOnEventRole: frameworkRole,
    logGroup: props.logGroup,
  });
  // The framework describes its function with its path; keep it as it reads in logical IDs.
  const framework = provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction;
  framework.description = `AWS CDK resource provider framework - onEvent (${readablePath(provider)})`.slice(
    0,
    256,
  );
  Validations.of(frameworkRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(props.handler.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
    reason:
      "Added by the CDK provider framework's grantInvoke: versions and aliases of the one handler function, nothing else.",
  });
  return provider;
}
