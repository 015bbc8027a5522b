import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiGatewayAccountRole } from './api-gateway-account-role.js';

/** Props of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** Function behind `POST /trigger` (Lambda proxy integration). */
  readonly handler: lambda.IFunction;
  /**
   * Stage name; part of the URL.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Steady requests per second on the stage and the usage plan. Scalr sends one request per agent task;
   * 20 matches Fargate's RunTask rate, so more would only be throttled one step later.
   * @default 20
   */
  readonly rateLimit?: number;
  /**
   * Burst on the stage and the usage plan (many workspaces planning at once).
   * @default 40
   */
  readonly burstLimit?: number;
  /**
   * Requests per day for the API key.
   * @default 20000
   */
  readonly dailyQuota?: number;
  /**
   * Source IPs/CIDRs allowed to call the API (Scalr's egress IPs); others get 403 from the gateway.
   * @default - any source (the API key and the webhook secret are still required)
   */
  readonly allowedSourceIps?: readonly string[];
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Set the account-wide API Gateway CloudWatch Logs role when the account has none
   * ({@link ApiGatewayAccountRole}); logging on the stage needs it. With `false` the role must already be
   * set in the account and Region.
   * @default true
   */
  readonly manageAccountRole?: boolean;
  /**
   * Name of the REST API; API Gateway metrics (and the 5xx alarm) are keyed by it, so it must be unique
   * in the account and Region.
   * @default - the stack name
   */
  readonly apiName?: string;
}

/** JSON Schema of Scalr's webhook body: all fields are strings; none is required (manual triggers). */
const WEBHOOK_BODY_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  title: 'ScalrWebhook',
  type: apigateway.JsonSchemaType.OBJECT,
  properties: Object.fromEntries(
    ['task_id', 'action', 'run_id', 'workspace_id', 'environment_id', 'created_at'].map((name) => [
      name,
      { type: apigateway.JsonSchemaType.STRING, maxLength: 256 },
    ]),
  ),
};

/** Regional REST API: `POST /trigger`, API key + usage plan, body validation, access logs, throttling. */
export class WebhookApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly apiKey: apigateway.IApiKey;
  readonly usagePlan: apigateway.UsagePlan;
  readonly triggerMethod: apigateway.Method;
  /** `GET /tasks/{taskId}`: the task trail, behind the same API key (the function checks the webhook secret). */
  readonly taskMethod: apigateway.Method;
  readonly requestValidator: apigateway.RequestValidator;
  readonly accessLogGroup: logs.LogGroup;
  /** Execution log group (`API-Gateway-Execution-Logs_<api id>/<stage>`), created here to get a retention. */
  readonly executionLogGroup: logs.LogGroup;
  /** Present unless `manageAccountRole` is `false`. */
  readonly accountRole?: ApiGatewayAccountRole;
  /** Full URL Scalr calls. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 20;
    const burstLimit = props.burstLimit ?? 40;
    const allowedSourceIps = props.allowedSourceIps ?? [];
    const stageName = props.stageName ?? 'prod';
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      // Named after the stack: API Gateway metrics are keyed by ApiName, so two pools named "Api"
      // would share one 5xx alarm.
      restApiName: props.apiName ?? Stack.of(this).stackName,
      description: 'Scalr serverless agent pool webhook',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Not CDK's AWS::ApiGateway::Account: it overwrites the account-wide role and can remove it on delete.
      // ApiGatewayAccountRole below sets it only when missing.
      cloudWatchRole: false,
      deployOptions: {
        stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        metricsEnabled: true,
        // Execution logs of failures only (AwsSolutions-APIG6). INFO logs every request; data tracing logs
        // headers and bodies, including the Authorization header with the webhook secret: both stay off.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
      },
      policy: allowedSourceIps.length > 0 ? sourceIpPolicy(allowedSourceIps) : undefined,
      disableExecuteApiEndpoint: false,
    });

    // API Gateway would otherwise create this group itself on the first error, kept forever.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${stageName}`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);
    if (props.manageAccountRole ?? true) {
      this.accountRole = new ApiGatewayAccountRole(this, 'AccountRole', { logRetention: retention });
      // Creating a stage with logging fails while the account has no CloudWatch role.
      this.api.deploymentStage.node.addDependency(this.accountRole.resource);
    }

    this.requestValidator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'scalr-webhook-body',
      validateRequestBody: true,
      // No parameters are declared, so this only satisfies AwsSolutions-APIG2; a missing header stays the function's 401.
      validateRequestParameters: true,
    });
    const model = this.api.addModel('WebhookModel', {
      contentType: 'application/json',
      modelName: 'ScalrWebhook',
      schema: WEBHOOK_BODY_SCHEMA,
    });

    const trigger = this.api.root.addResource('trigger');
    this.triggerMethod = trigger.addMethod('POST', new apigateway.LambdaIntegration(props.handler), {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestModels: { 'application/json': model },
    });
    this.taskMethod = this.api.root
      .addResource('tasks')
      .addResource('{taskId}')
      .addMethod('GET', new apigateway.LambdaIntegration(props.handler), { apiKeyRequired: true });

    this.apiKey = this.api.addApiKey('ApiKey', {
      description: 'Scalr agent pool: sent as the x-api-key header',
    });
    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'Scalr agent pool webhook',
      throttle: { rateLimit, burstLimit },
      quota: { limit: props.dailyQuota ?? 20_000, period: apigateway.Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    this.webhookUrl = this.api.urlForPath(trigger.path);

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Callers are limited by API key + usage plan, the optional source-IP resource policy and the webhook secret checked in the function; attach a WAF web ACL to the stage if the account baseline requires one.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Scalr can only send static headers: the x-api-key identifies the pool and the function verifies "Authorization: Bearer <webhook secret>" itself (IAM/Cognito authorizers cannot be used by Scalr).',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Scalr cannot obtain Cognito tokens; the API key and the webhook secret authenticate the caller.',
      },
    );
  }
}

/** Allow only the listed sources; an explicit Deny for the rest (AWS's documented pattern). */
function sourceIpPolicy(allowedSourceIps: readonly string[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...allowedSourceIps] } },
      }),
    ],
  });
}
