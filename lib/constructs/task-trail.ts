import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { AWAITING_INDEX } from '../../lambda/trail/trail-index.js';
import { type BundleTarget, externalModulesFor } from '../lambda-bundling.js';
import { bundledFunction } from './bundled-function.js';
import { functionCode } from './dispatcher-code.js';

/** The ECS agent tasks whose state changes feed the trail. */
export interface TrailAgentTasks {
  readonly cluster: ecs.ICluster;
  /** The agent container (its overrides carry the Scalr ids, its exit code is the agent's). */
  readonly containerName: string;
  /** The agent's awslogs group and stream prefix, for the log link in the trail. */
  readonly logGroup: logs.ILogGroup;
  readonly logStreamPrefix: string;
  /**
   * Prefix of the `startedBy` the dispatcher sets on RunTask.
   * @default 'scalr-'
   */
  readonly startedByPrefix?: string;
  /**
   * Clusters of the same agents elsewhere (a failover Region's, its events forwarded to this Region's
   * default bus, or a second cluster here): their events feed the same trail.
   * @default - none
   */
  readonly otherClusterArns?: readonly string[];
}

/** A platform without task events (ACA) whose status the sweep reads (`STATUS_SWEEP`). */
export interface TrailStatusSweep {
  /** The platform the sweep reads: its settings (`ACA_*`, `AZURE_*`) follow in `environment`. */
  readonly platform: 'aca';
  /** The launcher's settings the consumer reads the platform with. */
  readonly environment: Record<string, string>;
  /**
   * Secrets the consumer reads to authenticate (ACA with a client secret).
   * @default - none
   */
  readonly secretArns?: readonly string[];
}

/** Props of {@link TaskTrail}. */
export interface TaskTrailProps {
  /**
   * The log group of the function that launches (the dispatcher, or the env0 poller): its
   * `launch accepted` lines give the received and accepted steps.
   */
  readonly dispatcherLogGroup: logs.ILogGroup;
  /**
   * Whose agents the trail follows, in the descriptions of its role, function and rules.
   * @default { owner: 'Scalr agent dispatcher', agents: 'Scalr agent' }
   */
  readonly naming?: { readonly owner: string; readonly agents: string };
  /**
   * ECS agent tasks: their state-change events give the later steps, and the overdue sweep runs.
   * @default - no ECS events and no sweep (ACA reads the execution status from ARM when asked)
   */
  readonly agentTasks?: TrailAgentTasks;
  /**
   * ACA executions: the sweep reads their status from ARM and records RUNNING and the exit (the
   * consumer is then bundled with the Azure SDK). Grant what it authenticates with on `consumerRole`.
   * @default - none
   */
  readonly statusSweep?: TrailStatusSweep;
  /**
   * Days a trail is kept after its last step (DynamoDB TTL).
   * @default 7
   */
  readonly ttlDays?: number;
  /**
   * Minutes after acceptance a task that is not RUNNING counts as overdue (`OverdueTasks`).
   * @default 10
   */
  readonly notRunningAfterMinutes?: number;
  /** Namespace of the EMF metrics (`TimeToRunning`, `AgentsStopped`, `OverdueTasks`). */
  readonly metricNamespace: string;
  /**
   * Retention of the consumer function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** How often the sweep counts overdue trails. */
export const SWEEP_RATE = Duration.minutes(5);

/**
 * The task trail: a DynamoDB table (one item per Scalr task, TTL) and one small consumer function fed
 * by the dispatcher's log lines (subscription filter), the ECS Task State Change events and a
 * 5-minute sweep that (for ACA) reads the executions' status from ARM, then counts tasks accepted
 * but not RUNNING in time. The webhook path itself makes
 * no call for it.
 */
export class TaskTrail extends Construct {
  readonly table: dynamodb.Table;
  readonly consumer: lambda.Function;
  readonly consumerRole: iam.Role;
  readonly ttlSeconds: number;
  /** Present with `agentTasks`. */
  readonly ecsRule?: events.Rule;
  /** Present with `agentTasks` or `statusSweep`. */
  readonly sweepRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TaskTrailProps) {
    super(scope, id);
    this.ttlSeconds = (props.ttlDays ?? 7) * 86_400;
    const { owner, agents } = props.naming ?? { owner: 'Scalr agent dispatcher', agents: 'Scalr agent' };
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Default (AWS owned key) encryption: trails hold Scalr ids and times, no secrets.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Sparse: only trails accepted and not yet RUNNING/STOPPED carry `awaiting`.
    this.table.addGlobalSecondaryIndex({
      indexName: AWAITING_INDEX,
      partitionKey: { name: 'awaiting', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'acceptedMs', type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['runningAt', 'stoppedAt'],
    });

    const logGroup = new logs.LogGroup(this, 'ConsumerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.consumerRole = new iam.Role(this, 'ConsumerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${owner} task trail: write its logs, keep the trail table`,
    });
    this.consumerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.consumerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeepTaskTrail',
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.consumerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FindOverdueTasks',
        actions: ['dynamodb:Query'],
        resources: [`${this.table.tableArn}/index/${AWAITING_INDEX}`],
      }),
    );

    const agent = props.agentTasks;
    const sweep = props.statusSweep;
    if (sweep) this.grantStatusSweep(sweep);
    const bundleTarget: BundleTarget = sweep ? 'aca' : 'ecs';
    const common = {
      description: `${owner}: keeps the task trail from log lines, ECS events and a sweep`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: sweep ? 512 : 256,
      timeout: Duration.seconds(30),
      role: this.consumerRole,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        TRAIL_TABLE_NAME: this.table.tableName,
        TRAIL_TTL_SECONDS: String(this.ttlSeconds),
        METRICS_NAMESPACE: props.metricNamespace,
        NOT_RUNNING_AFTER_MINUTES: String(props.notRunningAfterMinutes ?? 10),
        ...(agent
          ? {
              AGENT_CONTAINER_NAME: agent.containerName,
              AGENT_LOG_GROUP: agent.logGroup.logGroupName,
              AGENT_LOG_STREAM_PREFIX: agent.logStreamPrefix,
            }
          : {}),
        ...(sweep ? { ...sweep.environment, STATUS_SWEEP: sweep.platform } : {}),
      },
    };
    // Same rule as the dispatcher: sources in this repository, the prebuilt bundle in the npm package.
    const code = functionCode({
      what: 'the trail consumer',
      source: 'trail-handler.ts',
      bundle: bundleTarget === 'aca' ? 'trail-aca' : 'trail',
    });
    this.consumer = bundledFunction(this, 'Consumer', code, common, {
      externalModules: externalModulesFor(bundleTarget),
    });

    new logs.SubscriptionFilter(this, 'AcceptedLines', {
      logGroup: props.dispatcherLogGroup,
      destination: new destinations.LambdaDestination(this.consumer),
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'launch accepted'),
    });

    if (agent) {
      this.ecsRule = new events.Rule(this, 'AgentTaskStates', {
        description: `Every state change of the ${agents} tasks, for the task trail`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Task State Change'],
          detail: {
            clusterArn: [agent.cluster.clusterArn, ...(agent.otherClusterArns ?? [])],
            startedBy: [{ prefix: agent.startedByPrefix ?? 'scalr-' }],
          },
        },
        targets: [new targets.LambdaFunction(this.consumer, { retryAttempts: 8 })],
      });
    }
    if (agent || sweep) {
      this.sweepRule = new events.Rule(this, 'OverdueSweep', {
        description: sweep
          ? 'Reads the ACA executions of unfinished trails from ARM, then counts tasks not RUNNING in time'
          : `Counts ${agents} tasks accepted but not RUNNING in time (OverdueTasks metric)`,
        schedule: events.Schedule.rate(SWEEP_RATE),
        targets: [new targets.LambdaFunction(this.consumer, { retryAttempts: 0 })],
      });
    }
  }

  /** The status sweep reads each unfinished trail (for its execution id) and the secrets it signs in with. */
  private grantStatusSweep(sweep: TrailStatusSweep): void {
    this.consumerRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadUnfinishedTrails',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
    if (sweep.secretArns && sweep.secretArns.length > 0) {
      this.consumerRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadPlatformCredentials',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [...sweep.secretArns],
        }),
      );
    }
  }

  /** Settings the dispatcher needs to answer `GET /tasks/{taskId}`. */
  dispatcherEnvironment(): Record<string, string> {
    return { TRAIL_TABLE_NAME: this.table.tableName, TRAIL_TTL_SECONDS: String(this.ttlSeconds) };
  }

  /** Lets the dispatcher read one trail item at a time (no scans, queries or writes). */
  grantRead(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTaskTrail',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
  }
}
