// About 380 lines: the one construct that wires every optional part of a pool (ledger, trail, failover
// forwarding, Scalr registration, ACA) from one validated config; each part is its own construct.
import { createHash } from 'node:crypto';
import { Annotations, Duration, Names, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { parseDispatcherProps } from './config/dispatcher-props.js';
import type { DispatcherSettings } from './config/dispatcher-settings.js';
import type { StackConfig } from './config/stack-config.js';
import { ACA_LEDGER_LOGICAL_ID, AcaTarget } from './constructs/aca-target.js';
import { AgentEventsForwarder } from './constructs/agent-events-forwarder.js';
import { DispatcherAlarms } from './constructs/alarms.js';
import { DispatcherDashboard } from './constructs/dashboard.js';
import { DispatcherFunction } from './constructs/dispatcher-function.js';
import {
  failoverClusterArn,
  failoverEnvironment,
  grantFailoverLaunch,
} from './constructs/failover-target.js';
import { AGENT_CONTAINER_NAME, AGENT_LOG_STREAM_PREFIX, FargateAgent } from './constructs/fargate-agent.js';
import { LaunchLedger } from './constructs/launch-ledger.js';
import { Network } from './constructs/network.js';
import { ScalrRegistration } from './constructs/scalr-registration.js';
import { DispatcherSecrets } from './constructs/secrets.js';
import { TaskTrail } from './constructs/task-trail.js';
import { WebhookApi } from './constructs/webhook-api.js';
import { addDispatcherOutputs } from './dispatcher-outputs.js';

/**
 * Props of {@link AgentDispatcher}: every context key of the README's configuration table (but
 * `stackName`, see `name`) with the same default and validation, plus resources of your own app.
 */
export interface AgentDispatcherProps extends DispatcherSettings {
  /**
   * Names the API, the task definition family, the metric namespace and the task-event log group
   * derive from; unique in the account and Region. Letters, digits and hyphens, starting with a letter.
   * @default - the stack name for `new AgentDispatcher(stack, 'Default')` (what the repository's app
   * does), otherwise a name made unique from the construct path, e.g. `MyStack-Pool-1A2B3C4D`
   */
  readonly name?: string;
  /**
   * An existing VPC for the agent tasks (`target` `ecs`), instead of `vpcId`/`subnetIds`/`vpcCidr`.
   * @default - a new VPC (`vpcCidr`), or the one named by `vpcId`
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the agent tasks.
   * @default - the VPC's default selection: private subnets with egress if any, else public ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the agent tasks in `vpc`.
   * @default - a new group with all outbound traffic allowed and no inbound
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /**
   * Whether the agent tasks in `vpc` get a public IP (public subnets need one to reach Scalr).
   * @default - true when the selected subnets include a public one
   */
  readonly assignPublicIp?: boolean;
  /**
   * An existing SNS topic the alarms notify, instead of `alarmTopicArn`.
   * @default - `alarmTopicArn`, or a new topic when `alarmEmail` is set
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An existing secret holding the Scalr agent pool token (`target` `ecs`), instead of `agentTokenSecretArn`.
   * @default - `agentTokenSecretArn`, or a new secret holding a placeholder
   */
  readonly agentTokenSecret?: secretsmanager.ISecret;
}

/**
 * Whether the launch path needs the launch ledger to launch exactly once within this configuration:
 * every path the platform does not make idempotent by itself. Plain single-target ECS would do with
 * RunTask's clientToken alone — but the stack creates the ledger in every configuration anyway, and
 * the dispatcher consults it whenever it is named (lambda/launchers/registry.ts): a key's record must
 * decide across a redeploy that changes the launch path (docs/reliability.md).
 */
export function needsLaunchLedger(config: StackConfig): boolean {
  if (config.aca) return true;
  return (
    config.ecs?.capacity === 'FARGATE_SPOT_THEN_FARGATE' ||
    config.ecs?.failover !== undefined ||
    (config.ecs?.capacityByAction ?? '') !== ''
  );
}

/**
 * A Scalr serverless agent pool: webhook API -> dispatcher function -> one single-run agent per webhook
 * (ECS Fargate, or Azure Container Apps job executions). `new AgentDispatcher(this, 'Pool')` deploys the
 * defaults of the repository's `cdk.json`.
 */
export class AgentDispatcher extends Construct {
  /** The validated settings. */
  readonly config: StackConfig;
  /** What the API, the task family, the metric namespace and the task-event log group are named after. */
  readonly name: string;
  readonly secrets: DispatcherSecrets;
  readonly dispatcher: DispatcherFunction;
  readonly webhookApi: WebhookApi;
  readonly alarms: DispatcherAlarms;
  /** The task trail behind `GET /tasks/{taskId}` (docs/operations.md). */
  readonly trail: TaskTrail;
  readonly dashboard: DispatcherDashboard;
  /** Present for `target` `ecs`. */
  readonly network?: Network;
  /** Present for `target` `ecs`. */
  readonly agent?: FargateAgent;
  /** Present for `target` `aca`. */
  readonly aca?: AcaTarget;
  /**
   * The launch ledger, in every configuration (retained when it leaves the template): whatever the
   * launch path, a key's record answers it across redeploys.
   */
  readonly ledger: LaunchLedger;
  /** Present with `forwardAgentEventsTo` (a failover Region's stack). */
  readonly agentEventsForwarder?: AgentEventsForwarder;

  /** The webhook REST API (add a WAF web ACL to its stage, or alarms). */
  readonly api: apigateway.RestApi;
  /** URL Scalr calls (`POST`). */
  readonly webhookUrl: string;
  /** The dispatcher function. */
  readonly function: lambda.Function;
  /** The dispatcher function's role. */
  readonly functionRole: iam.Role;
  /** Shared secret Scalr sends as `Authorization: Bearer <secret>`. */
  readonly webhookSecret: secretsmanager.Secret;
  /** The agent pool token secret (`target` `ecs`). */
  readonly agentTokenSecret?: secretsmanager.ISecret;
  /** The agent tasks' VPC (`target` `ecs`). */
  readonly vpc?: ec2.IVpc;
  /** The agent cluster (`target` `ecs`). */
  readonly cluster?: ecs.Cluster;
  /** The agent task definition (`target` `ecs`). */
  readonly taskDefinition?: ecs.FargateTaskDefinition;
  /** Role of the agent's Terraform/OpenTofu runs (`target` `ecs`); grant it what your runs need. */
  readonly taskRole?: iam.Role;
  /** Role ECS pulls the image and reads the token with (`target` `ecs`). */
  readonly executionRole?: iam.Role;
  /** The topic the alarms notify, when there is one. */
  readonly alarmTopic?: sns.ITopic;
  /** The custom resource that registers the pool in Scalr; present with `scalrApiTokenSecretArn`. */
  readonly scalrRegistration?: ScalrRegistration;

  constructor(scope: Construct, id: string, props: AgentDispatcherProps = {}) {
    super(scope, id);
    const appDefault = id === 'Default' && scope === Stack.of(this);
    this.name = props.name ?? (appDefault ? Stack.of(this).stackName : uniqueName(this));
    const config = parseDispatcherProps(props, this.name);
    this.config = config;
    const retention = config.logRetentionDays as logs.RetentionDays;

    this.secrets = new DispatcherSecrets(this, 'Secrets', {
      // Azure keeps the agent token as a secret of the Container Apps job.
      agentToken: config.target === 'ecs',
      agentTokenSecretArn: config.agentTokenSecretArn || undefined,
      agentTokenSecret: props.agentTokenSecret,
      azureCredentialsSecretArn:
        config.aca?.auth.mode === 'client-secret' ? config.aca.auth.credentialsSecretArn : undefined,
    });

    let launchEnvironment: Record<string, string> = {};
    const agentTokenSecret = this.secrets.agentTokenSecret;
    if (config.ecs && agentTokenSecret) {
      this.network = new Network(this, 'Network', {
        network: config.ecs.network,
        existing: props.vpc && {
          vpc: props.vpc,
          subnets: props.vpcSubnets,
          securityGroups: props.securityGroups,
          assignPublicIp: props.assignPublicIp,
        },
      });
      this.agent = new FargateAgent(this, 'Agent', {
        network: this.network,
        agentTokenSecret,
        family: `${this.name}-agent`,
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
        pullThroughPrefix: appDefault ? undefined : pullThroughPrefix(this.name),
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
    // In every configuration, with one logical ID per target whatever the capacity or failover: a
    // redeploy from Spot then on-demand (or failover) to plain ECS keeps the table and keeps reading it.
    this.ledger = new LaunchLedger(this, 'Ledger', {
      ttlSeconds: config.ledgerTtlSeconds,
      // The ACA target's table from before the ledger: same table, records kept. A fixed logical ID is
      // unique in a stack only once, so a second pool in the stack gets one from its path.
      logicalId: config.aca && appDefault ? ACA_LEDGER_LOGICAL_ID : undefined,
    });
    launchEnvironment = { ...launchEnvironment, ...this.ledger.dispatcherEnvironment() };

    const metricNamespace = `AgentDispatcher/${this.name}`;
    launchEnvironment = { ...launchEnvironment, METRICS_NAMESPACE: metricNamespace };
    this.dispatcher = new DispatcherFunction(this, 'Dispatcher', {
      bundleTarget: config.target,
      webhookSecretArn: this.secrets.webhookSecret.secretArn,
      agentTokenSecretArn: agentTokenSecret?.secretArn,
      secretPolicyArns: this.secrets.readPolicyArns(),
      agentTokenCheck: agentTokenSecret && {
        mode: this.secrets.agentTokenCreated ? 'stored' : 'exists',
        policyArns: this.secrets.agentTokenPolicyArns(),
      },
      launchEnvironment,
      timeout: Duration.seconds(config.fn.timeoutSeconds),
      launchDeadlineMs: config.fn.launchDeadlineMs,
      memorySize: config.fn.memoryMb,
      logRetention: retention,
    });
    this.agent?.grantLaunch(this.dispatcher.role);
    if (this.agent && config.ecs?.failover) {
      grantFailoverLaunch(this, this.dispatcher.role, this.agent.family, config.ecs.failover);
    }
    this.ledger.grantLedgerWrites(this.dispatcher.role);
    this.aca?.grantLaunch(this.dispatcher.role);
    this.trail = this.addTaskTrail(config, metricNamespace, retention);

    this.webhookApi = new WebhookApi(this, 'Webhook', {
      handler: this.dispatcher.function,
      apiName: this.name,
      stageName: config.api.stageName,
      rateLimit: config.api.rateLimit,
      burstLimit: config.api.burstLimit,
      dailyQuota: config.api.dailyQuota,
      allowedSourceIps: config.api.allowedSourceIps,
      logRetention: retention,
      manageAccountRole: config.api.manageAccountRole,
    });

    if (config.scalrRegistration && agentTokenSecret) {
      this.scalrRegistration = new ScalrRegistration(this, 'ScalrRegistration', {
        registration: config.scalrRegistration,
        webhookUrl: this.webhookApi.webhookUrl,
        apiKey: this.webhookApi.apiKey,
        webhookSecret: this.secrets.webhookSecret,
        agentTokenSecret,
        logRetention: retention,
      });
    }

    this.alarms = new DispatcherAlarms(this, 'Alarms', {
      function: this.dispatcher.function,
      functionLogGroup: this.dispatcher.logGroup,
      api: this.webhookApi.api,
      agentTasks: this.agent
        ? { cluster: this.agent.cluster, otherClusterArns: this.otherClusterArns(config) }
        : undefined,
      topic: props.alarmTopic,
      topicArn: config.alarmTopicArn || undefined,
      email: config.alarmEmail || undefined,
      metricNamespace,
      agentTaskEventsLogGroupName: `/aws/events/${this.name}/agent-task-failures`,
      logRetention: retention,
      statusSweptAgents: this.aca ? { platform: 'aca' } : undefined,
    });

    this.dashboard = new DispatcherDashboard(this, 'Dashboard', {
      metricNamespace,
      dispatcherFunction: this.dispatcher.function,
      api: this.webhookApi.api,
      notRunningAlarm: this.trail.sweepRule !== undefined,
      notRunningAfterMinutes: config.notRunningAlarmMinutes,
      topic: this.alarms.topic,
    });

    this.api = this.webhookApi.api;
    this.webhookUrl = this.webhookApi.webhookUrl;
    this.function = this.dispatcher.function;
    this.functionRole = this.dispatcher.role;
    this.webhookSecret = this.secrets.webhookSecret;
    this.agentTokenSecret = agentTokenSecret;
    this.vpc = this.network?.vpc;
    this.cluster = this.agent?.cluster;
    this.taskDefinition = this.agent?.taskDefinition;
    this.taskRole = this.agent?.taskRole;
    this.executionRole = this.agent?.executionRole;
    this.alarmTopic = this.alarms.topic;

    if (this.agent && config.forwardAgentEventsTo) {
      this.agentEventsForwarder = new AgentEventsForwarder(this, 'AgentEventsForwarder', {
        cluster: this.agent.cluster,
        targetRegion: config.forwardAgentEventsTo,
      });
    }

    addDispatcherOutputs(this);
  }

  /** The failover Region's agent cluster, whose task events its stack forwards here (`forwardAgentEventsTo`). */
  private otherClusterArns(config: StackConfig): string[] {
    const failover = config.ecs?.failover;
    return failover ? [failoverClusterArn(this, failover)] : [];
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
        otherClusterArns: this.otherClusterArns(config),
      },
      statusSweep: this.aca && {
        platform: 'aca',
        environment: this.aca.dispatcherEnvironment(),
        secretArns: config.aca?.auth.mode === 'client-secret' ? [config.aca.auth.credentialsSecretArn] : [],
      },
      ttlDays: config.taskTrailDays,
      notRunningAfterMinutes: config.notRunningAlarmMinutes,
      metricNamespace,
      logRetention: retention,
    });
    // The sweep signs in to Azure as the dispatcher does (its own federated credential: docs/azure.md).
    if (this.aca) this.aca.grantLaunch(trail.consumerRole);
    for (const [name, value] of Object.entries(trail.dispatcherEnvironment())) {
      this.dispatcher.function.addEnvironment(name, value);
    }
    trail.grantRead(this.dispatcher.role);
    return trail;
  }
}

/** `MyStack-Pool-1A2B3C4D`: readable, and unique for every construct path in the app. */
function uniqueName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' });
}

/**
 * ECR allows 2-30 characters: the name, lower-case, cut to 20 with a digest of the whole name kept, so
 * two long names sharing their first characters still get two prefixes.
 */
function pullThroughPrefix(name: string): string {
  const lower = name.toLowerCase();
  const short =
    lower.length <= 20
      ? lower
      : `${lower.slice(0, 12)}${createHash('sha256').update(lower).digest('hex').slice(0, 8)}`;
  return `${short}-dockerhub`;
}
