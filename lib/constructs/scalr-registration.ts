import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ScalrRegistrationConfig } from '../config/scalr-registration-config.js';
import { externalModulesFor } from '../lambda-bundling.js';
import { bundledFunction } from './bundled-function.js';
import { customResourceLogs, customResourceProvider } from './custom-resource-provider.js';
import { functionCode } from './dispatcher-code.js';

/** Props of {@link ScalrRegistration}. */
export interface ScalrRegistrationProps {
  readonly registration: ScalrRegistrationConfig;
  /** The URL Scalr calls (the stack's `WebhookUrl`). */
  readonly webhookUrl: string;
  /** The API key Scalr sends as `x-api-key`; its value is read by id at run time. */
  readonly apiKey: apigateway.IApiKey;
  /** The webhook secret Scalr sends as `Authorization: Bearer <value>`; read at run time. */
  readonly webhookSecret: secretsmanager.ISecret;
  /** Where the new pool token is written (`PutSecretValue`). */
  readonly agentTokenSecret: secretsmanager.ISecret;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Registers the stack with Scalr on deploy (docs/deploy.md#one-command-deploy): a custom resource
 * makes the agent pool a serverless pool calling `webhookUrl` with the `x-api-key` and
 * `Authorization` headers (both sensitive), and writes a new pool token straight into the agent token
 * secret. Its properties hold ARNs, ids and names only: the function reads the Scalr API token, the
 * webhook secret and the API key value at run time, so no secret is in the template, and it neither
 * logs nor returns one. On delete it removes its token, and the pool if it created it.
 */
export class ScalrRegistration extends Construct {
  readonly resource: CustomResource;
  readonly handler: lambda.Function;
  readonly handlerRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The pool id after the deployment (`apool-...`). */
  readonly poolId: string;
  /** What it registers: the account URL, the API token secret, the pool id or name. */
  readonly registration: ScalrRegistrationConfig;

  constructor(scope: Construct, id: string, props: ScalrRegistrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const reg = props.registration;
    this.registration = reg;
    const apiTokenSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'ApiTokenSecret',
      reg.apiTokenSecretArn,
    );

    const { logGroup, writeLogs } = customResourceLogs(this, props.logRetention);
    this.logGroup = logGroup;
    this.handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Registers the Scalr agent pool: reads the Scalr API token, webhook secret and API key; writes the pool token',
    });
    this.handlerRole.addToPolicy(writeLogs);
    this.handlerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadHeaderAndScalrSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...policyArns(apiTokenSecret), ...policyArns(props.webhookSecret)],
      }),
    );
    this.handlerRole.addToPolicy(
      new iam.PolicyStatement({
        // DescribeSecret tells which token the secret holds (its version id) without reading the value.
        sid: 'StorePoolToken',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'],
        resources: policyArns(props.agentTokenSecret),
      }),
    );
    this.handlerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadApiKeyValue',
        actions: ['apigateway:GET'],
        resources: [
          stack.formatArn({ service: 'apigateway', account: '', resource: `/apikeys/${props.apiKey.keyId}` }),
        ],
      }),
    );

    const common = {
      description: 'Registers the Scalr agent pool (serverless webhook, pool token) for this stack',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Each Scalr call has a 10 s deadline and a few retries (lambda/scalr-registration/scalr-api.ts).
      timeout: Duration.minutes(3),
      role: this.handlerRole,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
    };
    // Same rule as the dispatcher: sources in this repository, the prebuilt bundle in the npm package.
    const code = functionCode({
      what: 'the Scalr registration function',
      source: 'scalr-registration/handler.ts',
      bundle: 'scalr-registration',
    });
    this.handler = bundledFunction(this, 'Handler', code, common, {
      externalModules: externalModulesFor('ecs'),
    });

    const provider = customResourceProvider(this, {
      handler: this.handler,
      logGroup: this.logGroup,
      writeLogs,
      handlerName: 'Scalr registration handler',
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ScalrAgentPool',
      // Names, ARNs and ids only. A new API key or webhook secret changes ApiKeyId/WebhookSecretArn,
      // and HeadersRevision is bumped after rotating a value in place: each sends an Update, which
      // writes the headers with the values read at that moment.
      properties: {
        ScalrUrl: reg.scalrUrl,
        ScalrApiTokenSecretArn: reg.apiTokenSecretArn,
        ...(reg.poolId
          ? { PoolId: reg.poolId }
          : { PoolName: reg.poolName, PoolShared: String(reg.poolShared) }),
        WebhookUrl: props.webhookUrl,
        ApiKeyId: props.apiKey.keyId,
        WebhookSecretArn: props.webhookSecret.secretArn,
        AgentTokenSecretArn: props.agentTokenSecret.secretArn,
        HeadersRevision: String(reg.headersRevision),
      },
    });
    this.poolId = this.resource.getAttString('PoolId');
  }
}

/** A secret's ARN, and for an imported one the `-??????` form a partial ARN would need. */
function policyArns(secret: secretsmanager.ISecret): string[] {
  return secret instanceof secretsmanager.Secret
    ? [secret.secretArn]
    : [secret.secretArn, `${secret.secretArn}-??????`];
}
