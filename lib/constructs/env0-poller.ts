import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import type { Env0StackConfig } from '../config/env0-config.js';
import type { BundleTarget } from '../lambda-bundling.js';
import { type BundledCode, bundledFunction } from './bundled-function.js';
import type { Env0Monitoring } from './env0-monitoring.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Time one poll may take (queue, statuses, launches): `POLL_BUDGET_MS`. */
const POLL_BUDGET_SECONDS = 20;

/** Props of {@link Env0Poller}. */
export interface Env0PollerProps {
  readonly env0: Env0StackConfig;
  /** The launch target's settings (`Env0Agent.pollerEnvironment()`, `AcaTarget.dispatcherEnvironment()`). */
  readonly launchEnvironment: Readonly<Record<string, string>>;
  /** Secret holding the env0 agent access token (`AGENT_TOKEN_SECRET_ARN`). */
  readonly agentTokenSecretArn: string;
  /**
   * True for a secret the operator gave by ARN: it is granted in its partial-ARN form too.
   * @default false
   */
  readonly agentTokenImported?: boolean;
  /** `ecs` leaves the Azure SDK out of the bundle. */
  readonly bundleTarget: BundleTarget;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Namespace of the poller's EMF metrics (`METRICS_NAMESPACE`; see {@link Env0Monitoring}).
   * @default - `AgentDispatcher/${stackName}`
   */
  readonly metricNamespace?: string;
}

/**
 * The env0 pull-mode poller: a Lambda function that EventBridge Scheduler invokes every minute (or
 * every `pollingInterval` minutes); each invocation polls every `pollingInterval` seconds for one
 * minute under the pool's lease. Cheaper than an always-on task and needs no cluster capacity.
 */
export class Env0Poller extends Construct {
  /** Bundled from source (a `NodejsFunction`). */
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: Env0PollerProps) {
    super(scope, id);
    const { env0 } = props;
    const runSeconds = env0.pollingIntervalSeconds <= 60 ? 60 : 1;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'env0 poller: read the queue token, keep the pool record, start and watch agents',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadEnv0Token',
        actions: ['secretsmanager:GetSecretValue'],
        resources: props.agentTokenImported
          ? [props.agentTokenSecretArn, `${props.agentTokenSecretArn}-??????`]
          : [props.agentTokenSecretArn],
      }),
    );
    if (props.agentTokenImported) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${props.agentTokenSecretArn}-??????]`,
        reason: 'The same secret in the partial-ARN form Secrets Manager may resolve an imported ARN to.',
      });
    }
    // Always from source: the poller is not in the npm package's prebuilt bundles.
    const code: BundledCode = {
      kind: 'source',
      projectRoot: PROJECT_ROOT,
      entry: `${PROJECT_ROOT}lambda/poller-handler.ts`,
    };
    this.function = bundledFunction(
      this,
      'Function',
      code,
      {
        description:
          'env0 pull mode: polls the queue-state and starts single-run agents (KEDA ScaledJob semantics)',
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        // The last poll starts before runSeconds and ends within its budget.
        timeout: Duration.seconds(runSeconds + POLL_BUDGET_SECONDS + 10),
        // One invocation at a time is enough; the lease keeps a late one from acting twice anyway.
        reservedConcurrentExecutions: 2,
        role: this.role,
        logGroup: this.logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: {
          ...props.launchEnvironment,
          QUEUE_STATE_URL: env0.queueStateUrl,
          AGENT_TOKEN_SECRET_ARN: props.agentTokenSecretArn,
          POLLING_INTERVAL_SECONDS: String(env0.pollingIntervalSeconds),
          MIN_EXECUTIONS: String(env0.minExecutions),
          MAX_EXECUTIONS: String(env0.maxExecutions),
          TARGET_VALUE: String(env0.targetValue),
          ACTIVATION_TARGET_VALUE: String(env0.activationTargetValue),
          REPLICA_TIMEOUT_SECONDS: String(env0.replicaTimeoutSeconds),
          AGENT_STARTUP_SECONDS: String(env0.agentStartupSeconds),
          POLL_BUDGET_MS: String(POLL_BUDGET_SECONDS * 1000),
          RUN_SECONDS: String(runSeconds),
          METRICS_NAMESPACE: props.metricNamespace ?? `AgentDispatcher/${Stack.of(this).stackName}`,
        },
      },
      {
        externalModules:
          props.bundleTarget === 'ecs'
            ? ['@azure/*', './lambda/launchers/aca/*', './lambda/poller/aca/*']
            : [],
      },
    );
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: invoke the env0 poller',
    });
    const stack = Stack.of(this);
    const functionId = stack.resolve(
      stack.getLogicalId(this.function.node.defaultChild as lambda.CfnFunction),
    );
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        "CDK's grantInvoke covers the function's versions and aliases too; it is this one function only.",
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Invokes the env0 poller',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(env0.scheduleMinutes)),
      // A missed minute is not worth catching up: the next invocation reads the queue afresh.
      target: new targets.LambdaInvoke(this.function, {
        role: scheduleRole,
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });
  }
}
