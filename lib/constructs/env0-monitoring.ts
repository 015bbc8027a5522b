import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Env0AgentAlarms } from './env0-agent-alarms.js';

/** Props of {@link Env0Monitoring}. */
export interface Env0MonitoringProps {
  /** Namespace of the poller's EMF metrics (`METRICS_NAMESPACE` of the function). */
  readonly metricNamespace: string;
  readonly pollerFunction: lambda.IFunction;
  /** Minutes between scheduled invocations: "polls stopped" waits for three of them (at least 5 minutes). */
  readonly scheduleMinutes: number;
  /**
   * Existing SNS topic the alarms notify.
   * @default - a new topic when `email` is set, otherwise no notification
   */
  readonly topicArn?: string;
  /**
   * Email address subscribed to a new alarm topic.
   * @default - none
   */
  readonly email?: string;
  /**
   * The agents' task trail: adds the not-RUNNING and agent-failure alarms (and, on ACA, the status
   * reads') and the poll-to-RUNNING widgets.
   * @default - no agent alarms
   */
  readonly agents?: { readonly platform: 'ecs' | 'aca'; readonly notRunningAfterMinutes: number };
  /**
   * Consecutive 5-minute periods with failed (unknown) polls before "polls failing" fires.
   * @default 3
   */
  readonly failingPeriods?: number;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms and a dashboard for the env0 poller, from the `Polls` metrics it writes per poll
 * (`lambda/poller/poll-metrics.ts`): polls stopped (no heartbeat: schedule, function or permissions
 * broken), polls failing (queue or statuses unreadable for a while), and env0 refusing the token (a
 * configuration alarm: a 401/403 or an unset token is not cured by the next poll).
 */
export class Env0Monitoring extends Construct {
  readonly pollsStopped: cloudwatch.Alarm;
  readonly pollsFailing: cloudwatch.Alarm;
  readonly queueRefused: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;
  readonly topic?: sns.ITopic;
  /** Present with `agents`. */
  readonly agentAlarms?: Env0AgentAlarms;

  constructor(scope: Construct, id: string, props: Env0MonitoringProps) {
    super(scope, id);
    const ns = props.metricNamespace;
    // No label on alarm metrics: a labelled metric is rendered as a metric-math alarm.
    const polls = (decision?: string, period = PERIOD, label?: string) =>
      new cloudwatch.Metric({
        namespace: ns,
        metricName: 'Polls',
        statistic: 'Sum',
        dimensionsMap: decision ? { Decision: decision } : undefined,
        period,
        label,
      });
    const gauge = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({ namespace: ns, metricName, statistic, period: PERIOD, label });

    const heartbeat = Duration.minutes(Math.max(5, 3 * props.scheduleMinutes));
    this.pollsStopped = new cloudwatch.Alarm(this, 'PollsStopped', {
      alarmDescription: `The env0 poller wrote no poll for ${heartbeat.toMinutes()} minutes: no agent starts for queued env0 deployments. Check the schedule, the poller function's errors and its log group.`,
      metric: polls(undefined, heartbeat),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No data is the failure itself: the poller that would write it is not running.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const failingPeriods = props.failingPeriods ?? 3;
    this.pollsFailing = new cloudwatch.Alarm(this, 'PollsFailing', {
      alarmDescription: `env0 polls decided nothing (queue-state unreachable or unreadable, agent status unknown, lease lost) in each of ${failingPeriods} consecutive 5-minute periods: queued deployments wait. The poller's "poll" log lines give the reason.`,
      metric: polls('unknown'),
      threshold: 1,
      evaluationPeriods: failingPeriods,
      datapointsToAlarm: failingPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.queueRefused = new cloudwatch.Alarm(this, 'QueueRefused', {
      alarmDescription:
        'Configuration: env0 refused the agent access token (401/403), the token is not set yet, or the poller settings are invalid. No poll will succeed until it is fixed: store the token (SetAgentTokenCommand output) or fix the settings, then run npm run doctor -- --stack <stack>.',
      metric: polls('refused'),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.agents) {
      this.agentAlarms = new Env0AgentAlarms(this, 'Agents', { metricNamespace: ns, ...props.agents });
    }
    const alarms = [
      this.pollsStopped,
      this.pollsFailing,
      this.queueRefused,
      ...(this.agentAlarms?.alarms ?? []),
    ];

    if (props.topicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn);
    } else if (props.email) {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'env0 agent pool alarms', enforceSSL: true });
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

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'env0 polls by decision',
        left: ['launched', 'idle', 'busy', 'refused', 'unknown'].map((decision) =>
          polls(decision, PERIOD, decision),
        ),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'env0 queue and pool (per poll)',
        left: [
          gauge('Pending', 'Maximum', 'pending (queue)'),
          gauge('Active', 'Maximum', 'active agents'),
          gauge('Starting', 'Maximum', 'starting agents'),
        ],
        right: [gauge('Started', 'Sum', 'agents started')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'env0 poller and agent alarms',
        alarms,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Poller function',
        left: [
          props.pollerFunction.metricErrors({ period: PERIOD }),
          props.pollerFunction.metricThrottles({ period: PERIOD }),
        ],
        width: 12,
      }),
    );
    if (this.agentAlarms) this.dashboard.addWidgets(...this.agentAlarms.widgets());
  }
}
