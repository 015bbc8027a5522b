import { Annotations, Aws, CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackConfig } from './config/stack-config.js';
import { DispatcherAlarms } from './constructs/alarms.js';
import { DispatcherFunction } from './constructs/dispatcher-function.js';
import { FargateAgent } from './constructs/fargate-agent.js';
import { Network } from './constructs/network.js';
import { DispatcherSecrets } from './constructs/secrets.js';
import { WebhookApi } from './constructs/webhook-api.js';

/** Props of {@link DispatcherStack}. */
export interface DispatcherStackProps extends StackProps {
  /** Validated configuration from `parseStackConfig`. */
  readonly config: StackConfig;
  /**
   * Handler source file, for tests.
   * @default - `lambda/handler.ts`
   */
  readonly handlerEntry?: string;
}

/** Webhook API -> dispatcher function -> one single-run Scalr agent per webhook. */
export class DispatcherStack extends Stack {
  readonly network?: Network;
  readonly agent?: FargateAgent;
  readonly secrets: DispatcherSecrets;
  readonly dispatcher: DispatcherFunction;
  readonly webhookApi: WebhookApi;
  readonly alarms: DispatcherAlarms;

  constructor(scope: Construct, id: string, props: DispatcherStackProps) {
    super(scope, id, {
      description: 'Scalr serverless agent pool: API Gateway + Lambda dispatcher + single-run Fargate agents',
      ...props,
    });
    const { config } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;

    this.secrets = new DispatcherSecrets(this, 'Secrets', {
      agentTokenSecretArn: config.agentTokenSecretArn || undefined,
    });

    // The agent platform is optional in shape: a future target (Azure Container Apps) brings its own.
    let launchEnvironment: Record<string, string> = {};
    if (config.ecs) {
      this.network = new Network(this, 'Network', { network: config.ecs.network });
      this.agent = new FargateAgent(this, 'Agent', {
        network: this.network,
        agentTokenSecret: this.secrets.agentTokenSecret,
        family: `${config.stackName}-agent`,
        image: config.ecs.image,
        imageTag: config.ecs.imageTag,
        cpu: config.ecs.cpu,
        memoryMiB: config.ecs.memoryMiB,
        scalrUrl: config.ecs.scalrUrl || undefined,
        capacity: config.ecs.capacity,
        stopTimeoutSeconds: config.ecs.stopTimeoutSeconds,
        containerInsights: config.ecs.containerInsights,
        logRetention: retention,
      });
      launchEnvironment = this.agent.dispatcherEnvironment();
      if (!config.ecs.scalrUrl) {
        Annotations.of(this.agent).addInfo(
          'scalrUrl is not set: the agent reads the account URL from its token. Set -c scalrUrl=https://<account>.scalr.io to pin it.',
        );
      }
    }

    this.dispatcher = new DispatcherFunction(this, 'Dispatcher', {
      webhookSecretArn: this.secrets.webhookSecret.secretArn,
      agentTokenSecretArn: this.secrets.agentTokenSecret.secretArn,
      secretPolicyArns: this.secrets.policyArns(),
      launchEnvironment,
      timeout: Duration.seconds(config.fn.timeoutSeconds),
      launchDeadlineMs: config.fn.launchDeadlineMs,
      memorySize: config.fn.memoryMb,
      logRetention: retention,
      entry: props.handlerEntry,
    });
    this.agent?.grantLaunch(this.dispatcher.role);

    this.webhookApi = new WebhookApi(this, 'Webhook', {
      handler: this.dispatcher.function,
      stageName: config.api.stageName,
      rateLimit: config.api.rateLimit,
      burstLimit: config.api.burstLimit,
      dailyQuota: config.api.dailyQuota,
      allowedSourceIps: config.api.allowedSourceIps,
      logRetention: retention,
    });

    this.alarms = new DispatcherAlarms(this, 'Alarms', {
      function: this.dispatcher.function,
      functionLogGroup: this.dispatcher.logGroup,
      api: this.webhookApi.api,
      agentTasks: this.agent ? { cluster: this.agent.cluster } : undefined,
      topicArn: config.alarmTopicArn || undefined,
      email: config.alarmEmail || undefined,
      metricNamespace: `AgentDispatcher/${config.stackName}`,
      logRetention: retention,
    });

    this.addOutputs();
  }

  /** Outputs that make the next step copy-paste. */
  private addOutputs(): void {
    const region = `--region ${Aws.REGION}`;
    const apiKeyCommand = Fn.join('', [
      'aws apigateway get-api-key --api-key ',
      this.webhookApi.apiKey.keyId,
      ` --include-value --query value --output text ${region}`,
    ]);
    const webhookSecretCommand = Fn.join('', [
      'aws secretsmanager get-secret-value --secret-id ',
      this.secrets.webhookSecret.secretArn,
      ` --query SecretString --output text ${region}`,
    ]);
    new CfnOutput(this, 'WebhookUrl', {
      description: 'Webhook URL to set on the Scalr agent pool',
      value: this.webhookApi.webhookUrl,
    });
    new CfnOutput(this, 'ApiKeyId', {
      description: 'Id of the API key',
      value: this.webhookApi.apiKey.keyId,
    });
    new CfnOutput(this, 'GetApiKeyCommand', {
      description: 'Prints the value for the x-api-key header',
      value: apiKeyCommand,
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      description: 'Secret sent as "Authorization: Bearer <value>"',
      value: this.secrets.webhookSecret.secretArn,
    });
    new CfnOutput(this, 'GetWebhookSecretCommand', {
      description: 'Prints the webhook secret for the Authorization header',
      value: webhookSecretCommand,
    });
    new CfnOutput(this, 'AgentTokenSecretArn', {
      description: 'Secret holding the Scalr agent pool token',
      value: this.secrets.agentTokenSecret.secretArn,
    });
    new CfnOutput(this, 'SetAgentTokenCommand', {
      description: 'Stores the Scalr agent pool token (export SCALR_AGENT_POOL_TOKEN first)',
      value: Fn.join('', [
        'aws secretsmanager put-secret-value --secret-id ',
        this.secrets.agentTokenSecret.secretArn,
        ` --secret-string "$SCALR_AGENT_POOL_TOKEN" ${region}`,
      ]),
    });
    new CfnOutput(this, 'ScalrPoolHeaders', {
      description: 'Headers to configure on the Scalr agent pool (mark both sensitive)',
      value: Fn.join('', [
        'x-api-key: $(',
        apiKeyCommand,
        ') ; Authorization: Bearer $(',
        webhookSecretCommand,
        ')',
      ]),
    });
    if (this.agent) {
      new CfnOutput(this, 'AgentCluster', {
        description: 'ECS cluster of the agent tasks (aws ecs list-tasks --cluster ...)',
        value: this.agent.cluster.clusterName,
      });
      new CfnOutput(this, 'AgentLogGroup', {
        description: 'Logs of the agent tasks',
        value: this.agent.logGroup.logGroupName,
      });
    }
  }
}
