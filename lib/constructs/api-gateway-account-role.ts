import { fileURLToPath } from 'node:url';
import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { customResourceLogs, customResourceProvider } from './custom-resource-provider.js';

/** Directory holding only `handler.mjs` (and its type declarations, left out of the asset). */
const HANDLER_DIR = fileURLToPath(new URL('./api-gateway-account-role/', import.meta.url));

/** AWS managed policy documented for the API Gateway CloudWatch role. */
const PUSH_TO_CLOUDWATCH_LOGS = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/** Props of {@link ApiGatewayAccountRole}. */
export interface ApiGatewayAccountRoleProps {
  /**
   * Retention of the log groups of the custom resource's functions.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Makes sure the account-wide API Gateway CloudWatch Logs role (`GetAccount` / `UpdateAccount`
 * `cloudwatchRoleArn`) is set in this Region before a stage with logging is created.
 *
 * Unlike `AWS::ApiGateway::Account` (which overwrites the setting), the custom resource sets its own role
 * only when the account has none, leaves an existing role alone, and never clears the setting on delete.
 * Its role is retained with the stack, because the account setting may still point at it.
 */
export class ApiGatewayAccountRole extends Construct {
  /** Role offered to API Gateway (`apigateway.amazonaws.com`); retained on stack deletion. */
  readonly role: iam.Role;
  /** The custom resource; make the stage depend on it. */
  readonly resource: CustomResource;
  /** `onEvent` function of the custom resource. */
  readonly handler: lambda.Function;
  readonly logGroup: logs.LogGroup;
  /** Role the account setting points at after the deployment (this stack's or one set before). */
  readonly roleArnInUse: string;
  /** `'true'` when the account setting points at this stack's role. */
  readonly setByThisStack: string;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountRoleProps = {}) {
    super(scope, id);
    const accountArn = Stack.of(this).formatArn({
      service: 'apigateway',
      account: '',
      resource: '/account',
    });

    this.role = new iam.Role(this, 'CloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description:
        'API Gateway CloudWatch Logs role of this account and Region (set only if none was); kept after the stack is deleted',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(PUSH_TO_CLOUDWATCH_LOGS)],
    });
    // The account setting may point at this role after the stack is gone; deleting it would break
    // logging of every REST API and WebSocket API in the Region.
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${PUSH_TO_CLOUDWATCH_LOGS}]`,
      reason:
        "AWS's documented policy for the account-wide API Gateway logging role: it serves every API in the Region, whose log groups API Gateway names and creates, so it cannot be scoped to this stack.",
    });

    const { logGroup, writeLogs } = customResourceLogs(this, props.logRetention);
    this.logGroup = logGroup;
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Reads the API Gateway account settings and sets the CloudWatch role when none is set',
    });
    handlerRole.addToPolicy(writeLogs);
    handlerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndSetAccountSettings',
        actions: ['apigateway:GET', 'apigateway:PATCH'],
        resources: [accountArn],
      }),
    );
    handlerRole.addToPolicy(
      new iam.PolicyStatement({
        // UpdateAccount with a role ARN needs iam:PassRole on that role, and only API Gateway may receive it.
        sid: 'PassCloudWatchRole',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'apigateway.amazonaws.com' } },
      }),
    );

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'Sets the API Gateway CloudWatch Logs role of the account when none is set',
      code: lambda.Code.fromAsset(HANDLER_DIR, { exclude: ['*.d.mts'] }),
      handler: 'handler.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      // UpdateAccount retries for about 80 s while IAM propagates a new role (handler.mjs, RETRY).
      timeout: Duration.minutes(2),
      role: handlerRole,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    });

    const provider = customResourceProvider(this, {
      handler: this.handler,
      logGroup: this.logGroup,
      writeLogs,
      handlerName: 'API Gateway account role handler',
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ApiGatewayAccountRole',
      properties: { RoleArn: this.role.roleArn },
    });
    this.roleArnInUse = this.resource.getAttString('RoleArnInUse');
    this.setByThisStack = this.resource.getAttString('SetByThisStack');
  }
}
