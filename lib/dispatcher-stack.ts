import { Annotations, Aws, CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackConfig } from './config/stack-config.js';
import { ACA_LEDGER_LOGICAL_ID, AcaTarget, AZURE_TOKEN_AUDIENCE } from './constructs/aca-target.js';
import { DispatcherAlarms } from './constructs/alarms.js';
import { DispatcherDashboard } from './constructs/dashboard.js';
import { DispatcherFunction } from './constructs/dispatcher-function.js';
import { failoverEnvironment, grantFailoverLaunch } from './constructs/failover-target.js';
import { AGENT_CONTAINER_NAME, AGENT_LOG_STREAM_PREFIX, FargateAgent } from './constructs/fargate-agent.js';
import { LaunchLedger } from './constructs/launch-ledger.js';
import { Network } from './constructs/network.js';
import { DispatcherSecrets } from './constructs/secrets.js';
import { TaskTrail } from './constructs/task-trail.js';
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

/**
 * Whether the dispatcher's launch path needs the launch ledger: every path the platform does not make
 * idempotent by itself (lambda/launchers/registry.ts). Plain single-target ECS relies on RunTask's
 * clientToken alone.
 */
export function needsLaunchLedger(config: StackConfig): boolean {
  if (config.aca) return true;
  return (
    config.ecs?.capacity === 'FARGATE_SPOT_THEN_FARGATE' ||
    config.ecs?.failover !== undefined ||
    (config.ecs?.capacityByAction ?? '') !== ''
  );
}

const DESCRIPTIONS = {
  ecs: 'Scalr serverless agent pool: API Gateway + Lambda dispatcher + single-run Fargate agents',
  aca: 'Scalr serverless agent pool: API Gateway + Lambda dispatcher + Azure Container Apps job executions',
} as const;

/** Webhook API -> dispatcher function -> one single-run Scalr agent per webhook. */
export class DispatcherStack extends Stack {
  readonly network?: Network;
  /** Present for `target=ecs`. */
  readonly agent?: FargateAgent;
  /** Present for `target=aca`. */
  readonly aca?: AcaTarget;
  /** Present for `target=aca`, Spot then on-demand, and failover ({@link needsLaunchLedger}). */
  readonly ledger?: LaunchLedger;
  readonly secrets: DispatcherSecrets;
  readonly dispatcher: DispatcherFunction;
  readonly webhookApi: WebhookApi;
  readonly alarms: DispatcherAlarms;
  readonly trail: TaskTrail;
  readonly dashboard: DispatcherDashboard;

  constructor(scope: Construct, id: string, props: DispatcherStackProps) {
    super(scope, id, {
      description: DESCRIPTIONS[props.config.target],
      ...props,
    });
    const { config } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;

    this.secrets = new DispatcherSecrets(this, 'Secrets', {
      // Azure keeps the agent token as a secret of the Container Apps job.
      agentToken: config.target === 'ecs',
      agentTokenSecretArn: config.agentTokenSecretArn || undefined,
      azureCredentialsSecretArn:
        config.aca?.auth.mode === 'client-secret' ? config.aca.auth.credentialsSecretArn : undefined,
    });

    let launchEnvironment: Record<string, string> = {};
    const agentTokenSecret = this.secrets.agentTokenSecret;
    if (config.ecs && agentTokenSecret) {
      this.network = new Network(this, 'Network', { network: config.ecs.network });
      this.agent = new FargateAgent(this, 'Agent', {
        network: this.network,
        agentTokenSecret,
        family: `${config.stackName}-agent`,
        image: config.ecs.image,
        imageTag: config.ecs.imageTag,
        cpu: config.ecs.cpu,
        memoryMiB: config.ecs.memoryMiB,
        scalrUrl: config.ecs.scalrUrl || undefined,
        capacity: config.ecs.capacity,
        stopTimeoutSeconds: config.ecs.stopTimeoutSeconds,
        ephemeralStorageGiB: config.ecs.ephemeralStorageGiB,
        cpuArchitecture: config.ecs.cpuArchitecture,
        sizeByAction: config.ecs.sizeByAction,
        capacityByAction: config.ecs.capacityByAction,
        imageSource: config.ecs.imageSource,
        containerInsights: config.ecs.containerInsights,
        logRetention: retention,
      });
      launchEnvironment = {
        ...this.agent.dispatcherEnvironment(),
        LAUNCH_RATE_PER_SECOND: String(config.ecs.pacing.ratePerSecond),
        LAUNCH_BURST: String(config.ecs.pacing.burst),
        ...(config.ecs.failover ? failoverEnvironment(config.ecs.failover) : {}),
      };
      if (!config.ecs.scalrUrl) {
        Annotations.of(this.agent).addInfo(
          'scalrUrl is not set: the agent reads the account URL from its token. Set -c scalrUrl=https://<account>.scalr.io to pin it.',
        );
      }
    }
    if (config.aca) {
      this.aca = new AcaTarget(this, 'Aca', { aca: config.aca });
      launchEnvironment = this.aca.dispatcherEnvironment();
    }
    if (needsLaunchLedger(config)) {
      this.ledger = new LaunchLedger(this, 'Ledger', {
        ttlSeconds: config.ledgerTtlSeconds,
        // The ACA target's table from before the ledger: same table, records kept.
        logicalId: config.aca ? ACA_LEDGER_LOGICAL_ID : undefined,
      });
      launchEnvironment = { ...launchEnvironment, ...this.ledger.dispatcherEnvironment() };
    }

    const metricNamespace = `AgentDispatcher/${config.stackName}`;
    launchEnvironment = { ...launchEnvironment, METRICS_NAMESPACE: metricNamespace };
    this.dispatcher = new DispatcherFunction(this, 'Dispatcher', {
      bundleTarget: config.target,
      webhookSecretArn: this.secrets.webhookSecret.secretArn,
      agentTokenSecretArn: agentTokenSecret?.secretArn,
      secretPolicyArns: this.secrets.policyArns(),
      launchEnvironment,
      timeout: Duration.seconds(config.fn.timeoutSeconds),
      launchDeadlineMs: config.fn.launchDeadlineMs,
      memorySize: config.fn.memoryMb,
      logRetention: retention,
      entry: props.handlerEntry,
    });
    this.agent?.grantLaunch(this.dispatcher.role);
    if (this.agent && config.ecs?.failover) {
      grantFailoverLaunch(this, this.dispatcher.role, this.agent.family, config.ecs.failover);
    }
    this.ledger?.grantLedgerWrites(this.dispatcher.role);
    this.aca?.grantLaunch(this.dispatcher.role);
    this.trail = this.addTaskTrail(config, metricNamespace, retention);

    this.webhookApi = new WebhookApi(this, 'Webhook', {
      handler: this.dispatcher.function,
      stageName: config.api.stageName,
      rateLimit: config.api.rateLimit,
      burstLimit: config.api.burstLimit,
      dailyQuota: config.api.dailyQuota,
      allowedSourceIps: config.api.allowedSourceIps,
      logRetention: retention,
      manageAccountRole: config.api.manageAccountRole,
    });

    this.alarms = new DispatcherAlarms(this, 'Alarms', {
      function: this.dispatcher.function,
      functionLogGroup: this.dispatcher.logGroup,
      api: this.webhookApi.api,
      agentTasks: this.agent ? { cluster: this.agent.cluster } : undefined,
      topicArn: config.alarmTopicArn || undefined,
      email: config.alarmEmail || undefined,
      metricNamespace,
      logRetention: retention,
    });
    this.dashboard = new DispatcherDashboard(this, 'Dashboard', {
      metricNamespace,
      dispatcherFunction: this.dispatcher.function,
      api: this.webhookApi.api,
      notRunningAlarm: this.trail.sweepRule !== undefined,
      notRunningAfterMinutes: config.notRunningAlarmMinutes,
      topic: this.alarms.topic,
    });

    this.addOutputs();
  }

  /** The task trail (GET /tasks/{taskId}); its table name reaches the function through an override. */
  private addTaskTrail(
    config: StackConfig,
    metricNamespace: string,
    retention: logs.RetentionDays,
  ): TaskTrail {
    const trail = new TaskTrail(this, 'Trail', {
      dispatcherLogGroup: this.dispatcher.logGroup,
      agentTasks: this.agent && {
        cluster: this.agent.cluster,
        containerName: AGENT_CONTAINER_NAME,
        logGroup: this.agent.logGroup,
        logStreamPrefix: AGENT_LOG_STREAM_PREFIX,
      },
      ttlDays: config.taskTrailDays,
      notRunningAfterMinutes: config.notRunningAlarmMinutes,
      metricNamespace,
      logRetention: retention,
    });
    for (const [name, value] of Object.entries(trail.dispatcherEnvironment())) {
      this.dispatcher.function.addEnvironment(name, value);
    }
    trail.grantRead(this.dispatcher.role);
    return trail;
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
    const agentTokenSecret = this.secrets.agentTokenSecret;
    if (agentTokenSecret) {
      new CfnOutput(this, 'AgentTokenSecretArn', {
        description: 'Secret holding the Scalr agent pool token',
        value: agentTokenSecret.secretArn,
      });
      new CfnOutput(this, 'SetAgentTokenCommand', {
        description: 'Stores the Scalr agent pool token (export SCALR_AGENT_POOL_TOKEN first)',
        value: Fn.join('', [
          'aws secretsmanager put-secret-value --secret-id ',
          agentTokenSecret.secretArn,
          ` --secret-string "$SCALR_AGENT_POOL_TOKEN" ${region}`,
        ]),
      });
    }
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
    if (this.agent && this.network) {
      new CfnOutput(this, 'AgentCluster', {
        description: 'ECS cluster of the agent tasks (aws ecs list-tasks --cluster ...)',
        value: this.agent.cluster.clusterName,
      });
      new CfnOutput(this, 'AgentLogGroup', {
        description: 'Logs of the agent tasks',
        value: this.agent.logGroup.logGroupName,
      });
      // What a stack in another Region needs to use this one as its failover target.
      new CfnOutput(this, 'AgentTaskRoleArn', {
        description: 'Agent task role (failoverTaskRoleArn of a stack that fails over to this Region)',
        value: this.agent.taskRole.roleArn,
      });
      new CfnOutput(this, 'AgentExecutionRoleArn', {
        description:
          'Agent execution role (failoverExecutionRoleArn of a stack that fails over to this Region)',
        value: this.agent.executionRole.roleArn,
      });
      new CfnOutput(this, 'FailoverContextArgs', {
        description: 'Context arguments for a stack in another Region that fails over to this one',
        value: Fn.join('', [
          `-c failoverRegion=${Aws.REGION} -c failoverClusterName=`,
          this.agent.cluster.clusterName,
          ' -c failoverSubnetIds=',
          Fn.join(',', [...this.network.subnetIds]),
          ' -c failoverSecurityGroupIds=',
          Fn.join(
            ',',
            this.network.securityGroups.map((sg) => sg.securityGroupId),
          ),
          ` -c failoverAssignPublicIp=${this.network.assignPublicIp ? 'ENABLED' : 'DISABLED'}`,
          ' -c failoverTaskRoleArn=',
          this.agent.taskRole.roleArn,
          ' -c failoverExecutionRoleArn=',
          this.agent.executionRole.roleArn,
        ]),
      });
    }
    if (this.ledger) {
      new CfnOutput(this, 'LedgerTableName', {
        description:
          'DynamoDB table of the launch ledger (one record per launch key, expiring after LEDGER_TTL_SECONDS)',
        value: this.ledger.table.tableName,
      });
    }
    new CfnOutput(this, 'TaskTrailTableName', {
      description: 'DynamoDB table of the task trails (GET /tasks/{taskId}; docs/operations.md)',
      value: this.trail.table.tableName,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard of the pool (webhooks, 503s, time to RUNNING, stopped agents)',
      value: this.dashboard.dashboard.dashboardName,
    });
    if (this.aca) this.addAzureOutputs(this.aca);
  }

  /** What the operator and, with federation, the Entra ID federated credential need (docs/azure.md). */
  private addAzureOutputs(aca: AcaTarget): void {
    if (!aca.federation) return;
    new CfnOutput(this, 'AzureFederatedCredentialSubject', {
      description:
        "Subject of the Entra ID federated credential: the dispatcher function's role ARN (docs/azure.md tells how to confirm the JWT's sub claim once)",
      value: this.dispatcher.role.roleArn,
    });
    new CfnOutput(this, 'AzureFederatedCredentialAudience', {
      description: 'Audience of the Entra ID federated credential',
      value: AZURE_TOKEN_AUDIENCE,
    });
    new CfnOutput(this, 'GetAzureFederatedCredentialIssuerCommand', {
      description:
        "Prints the issuer of the Entra ID federated credential: the account's outbound identity federation issuer (enable it once with aws iam enable-outbound-web-identity-federation)",
      value: 'aws iam get-outbound-web-identity-federation-info --query IssuerIdentifier --output text',
    });
  }
}
