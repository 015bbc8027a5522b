import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The agent tasks to watch: stopped with a non-zero exit code, or failed to start. */
export interface AgentTaskWatch {
  readonly cluster: ecs.ICluster;
  /**
   * Prefix of the `startedBy` the dispatcher sets on RunTask.
   * @default 'scalr-'
   */
  readonly startedByPrefix?: string;
  /**
   * Clusters of the same agents elsewhere (a failover Region's, its events forwarded to this Region's
   * default bus): their failures alarm here too.
   * @default - none
   */
  readonly otherClusterArns?: readonly string[];
}

/** Props of {@link DispatcherAlarms}. */
export interface DispatcherAlarmsProps {
  readonly function: lambda.IFunction;
  /** The function's log group, which holds its JSON log lines (`outcome` field). */
  readonly functionLogGroup: logs.ILogGroup;
  readonly api: apigateway.RestApi;
  /**
   * Agent tasks to watch with an EventBridge rule.
   * @default - no task alarm (targets without ECS)
   */
  readonly agentTasks?: AgentTaskWatch;
  /**
   * Existing SNS topic the alarms notify.
   * @default - a new topic when `email` is set, otherwise no notification
   */
  readonly topicArn?: string;
  /**
   * Existing SNS topic object the alarms notify; wins over `topicArn` and `email`.
   * @default - from `topicArn` or `email`
   */
  readonly topic?: sns.ITopic;
  /**
   * Name of the log group that keeps the matched task events; EventBridge needs it under `/aws/events/`.
   * @default - `/aws/events/${stackName}/agent-task-failures`
   */
  readonly agentTaskEventsLogGroupName?: string;
  /**
   * Email address subscribed to a new alarm topic (confirm the subscription mail).
   * @default - none
   */
  readonly email?: string;
  /**
   * Namespace of the custom metrics (failed launches).
   * @default - `AgentDispatcher/${stackName}`
   */
  readonly metricNamespace?: string;
  /**
   * Agents whose failures only the trail's status sweep sees (ACA: no task events). Alarms on the
   * consumer's `AgentFailures` for that platform, and on its status reads failing three sweeps running.
   * @default - none
   */
  readonly statusSweptAgents?: { readonly platform: string };
  /**
   * Retention of the log group that keeps the matched task events.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Alarms on the function, the API, failed launches and failed agent tasks, with an optional SNS topic. */
export class DispatcherAlarms extends Construct {
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly api5xx: cloudwatch.Alarm;
  readonly failedLaunches: cloudwatch.Alarm;
  readonly failedLaunchesFilter: logs.MetricFilter;
  /** Present when `agentTasks` is given. */
  readonly agentTaskFailures?: cloudwatch.Alarm;
  readonly agentTaskRule?: events.Rule;
  /** Keeps the matched ECS events (exit codes, stop reasons) for troubleshooting. */
  readonly agentTaskEvents?: logs.LogGroup;
  /** Present with `statusSweptAgents`. */
  readonly sweptAgentFailures?: cloudwatch.Alarm;
  readonly statusReadFailures?: cloudwatch.Alarm;
  readonly topic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: DispatcherAlarmsProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? `AgentDispatcher/${Stack.of(this).stackName}`;
    const period = Duration.minutes(5);

    this.functionErrors = new cloudwatch.Alarm(this, 'FunctionErrors', {
      alarmDescription:
        'The dispatcher function failed (unhandled error or timeout): Scalr retries, agents may be late.',
      metric: props.function.metricErrors({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.functionThrottles = new cloudwatch.Alarm(this, 'FunctionThrottles', {
      alarmDescription: 'The dispatcher function was throttled (account concurrency): webhooks answered 5xx.',
      metric: props.function.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.api5xx = new cloudwatch.Alarm(this, 'Api5xx', {
      alarmDescription:
        'The webhook API answered 5xx (config error, launch not accepted in time, or integration failure).',
      metric: props.api.metricServerError({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.failedLaunchesFilter = new logs.MetricFilter(this, 'FailedLaunchesFilter', {
      logGroup: props.functionLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.outcome', '=', 'launch_failed'),
      metricNamespace: namespace,
      metricName: 'FailedLaunches',
      metricValue: '1',
    });
    this.failedLaunches = new cloudwatch.Alarm(this, 'FailedLaunches', {
      alarmDescription:
        'The platform did not accept an agent launch (see the function logs, outcome=launch_failed).',
      metric: this.failedLaunchesFilter.metric({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alarms = [this.functionErrors, this.functionThrottles, this.api5xx, this.failedLaunches];

    if (props.agentTasks) {
      const rule = new events.Rule(this, 'AgentTaskFailedRule', {
        description: 'Scalr agent tasks that stopped with a non-zero exit code or failed to start',
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Task State Change'],
          detail: {
            clusterArn: [props.agentTasks.cluster.clusterArn, ...(props.agentTasks.otherClusterArns ?? [])],
            lastStatus: ['STOPPED'],
            startedBy: [{ prefix: props.agentTasks.startedByPrefix ?? 'scalr-' }],
            $or: [{ stopCode: ['TaskFailedToStart'] }, { containers: { exitCode: [{ 'anything-but': 0 }] } }],
          },
        },
      });
      const eventLog = new logs.LogGroup(this, 'AgentTaskEvents', {
        // EventBridge only delivers to log groups under /aws/events/.
        logGroupName:
          props.agentTaskEventsLogGroupName ?? `/aws/events/${Stack.of(this).stackName}/agent-task-failures`,
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // EventBridge needs a resource policy to write to CloudWatch Logs; a native resource avoids the
      // custom-resource Lambda the events-targets helper would add.
      new logs.ResourcePolicy(this, 'AgentTaskEventsPolicy', {
        policyStatements: [
          new iam.PolicyStatement({
            principals: [new iam.ServicePrincipal('events.amazonaws.com')],
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [eventLog.logGroupArn],
          }),
        ],
      });
      // The target takes the log group ARN without the trailing `:*` that Fn::GetAtt returns.
      const targetArn = Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: eventLog.logGroupName,
      });
      rule.addTarget({ bind: () => ({ arn: targetArn }) });

      this.agentTaskRule = rule;
      this.agentTaskEvents = eventLog;
      this.agentTaskFailures = new cloudwatch.Alarm(this, 'AgentTaskFailures', {
        alarmDescription:
          'An agent task stopped with a non-zero exit code or failed to start (image pull, token, network, Spot capacity); details in the AgentTaskEvents log group.',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'TriggeredRules',
          dimensionsMap: { RuleName: rule.ruleName },
          period,
          statistic: 'Sum',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarms.push(this.agentTaskFailures);
    }

    if (props.statusSweptAgents) {
      [this.sweptAgentFailures, this.statusReadFailures] = this.statusSweptAlarms(
        namespace,
        props.statusSweptAgents.platform,
      );
      alarms.push(this.sweptAgentFailures, this.statusReadFailures);
    }

    if (props.topic) {
      this.topic = props.topic;
    } else if (props.topicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn);
    } else if (props.email) {
      const topic = new sns.Topic(this, 'Topic', {
        displayName: 'Scalr agent dispatcher alarms',
        enforceSSL: true,
      });
      topic.addSubscription(new subscriptions.EmailSubscription(props.email));
      this.topic = topic;
    }
    if (this.topic) {
      const action = new cloudwatchActions.SnsAction(this.topic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  /** The failure alarms of agents without task events, from the trail consumer's metrics. */
  private statusSweptAlarms(namespace: string, platform: string): [cloudwatch.Alarm, cloudwatch.Alarm] {
    const failures = new cloudwatch.Alarm(this, 'SweptAgentFailures', {
      alarmDescription: `An agent on ${platform} ended in a failed state (Failed, Stopped, Degraded), as the trail's status sweep read it; the consumer's log line names the task, GET /tasks/{taskId} shows its trail.`,
      metric: new cloudwatch.Metric({
        namespace,
        metricName: 'AgentFailures',
        dimensionsMap: { Platform: platform },
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const reads = new cloudwatch.Alarm(this, 'StatusReadFailures', {
      alarmDescription: `The trail's status sweep could not read ${platform} for three sweeps running (throttled, hung, denied): exits and failures go unseen meanwhile. See the consumer's "status read failed" lines.`,
      metric: new cloudwatch.Metric({
        namespace,
        metricName: 'StatusReadFailures',
        period: Duration.minutes(5),
        statistic: 'Minimum',
      }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [failures, reads];
  }
}
