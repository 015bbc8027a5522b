import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { SWEEP_RATE } from './task-trail.js';

/** Props of {@link Env0AgentAlarms}. */
export interface Env0AgentAlarmsProps {
  /** Namespace of the trail consumer's EMF metrics (the poller's too). */
  readonly metricNamespace: string;
  /** Where the agents run: the `Platform` of the consumer's `AgentFailures`. */
  readonly platform: 'ecs' | 'aca';
  /** Minutes after acceptance an agent not RUNNING counts as overdue (the consumer's setting). */
  readonly notRunningAfterMinutes: number;
}

const PERIOD = Duration.minutes(5);

/**
 * The env0 agents' own alarms and widgets, from the task trail's metrics (the same the Scalr pool's
 * dashboard and alarms read): an agent accepted but not RUNNING in time (`OverdueTasks`), an agent
 * that failed — non-zero exit, failed start, stopped before RUNNING, ACA Failed/Stopped/Degraded
 * (`AgentFailures`) — and, on ACA, the status sweep unable to read ARM (`StatusReadFailures`).
 */
export class Env0AgentAlarms extends Construct {
  readonly notRunning: cloudwatch.Alarm;
  readonly agentFailures: cloudwatch.Alarm;
  /** Present on ACA (its agents are read by the status sweep). */
  readonly statusReadFailures?: cloudwatch.Alarm;
  readonly alarms: readonly cloudwatch.Alarm[];
  private readonly namespace: string;
  private readonly platform: string;

  constructor(scope: Construct, id: string, props: Env0AgentAlarmsProps) {
    super(scope, id);
    this.namespace = props.metricNamespace;
    this.platform = props.platform;
    const minutes = props.notRunningAfterMinutes;
    this.notRunning = new cloudwatch.Alarm(this, 'NotRunning', {
      alarmDescription: `An env0 agent was accepted but has not reached RUNNING within ${minutes} minutes (image pull, network, quota): the env0 deployment waits. The trail consumer's line "tasks accepted but not RUNNING in time" names the agents (env0-… slot keys); their trails are in the TaskTrailTableName table. No data means the sweep itself is not running.`,
      // Three sweeps per period: a missing value means the check is down, as blind as a stuck agent.
      metric: this.metric('OverdueTasks', 'Maximum').with({
        period: SWEEP_RATE.plus(SWEEP_RATE).plus(SWEEP_RATE),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.agentFailures = new cloudwatch.Alarm(this, 'AgentFailures', {
      alarmDescription: `An env0 agent on ${props.platform} failed: it exited non-zero, failed to start, stopped before RUNNING${props.platform === 'aca' ? ' or its execution ended Failed/Stopped/Degraded' : ''}. The trail consumer's AgentFailures line names the agent (env0-… slot key), its exit and stop code.`,
      metric: this.metric('AgentFailures', 'Sum', { Platform: props.platform }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.platform === 'aca') {
      this.statusReadFailures = new cloudwatch.Alarm(this, 'StatusReadFailures', {
        alarmDescription:
          "The trail's status sweep could not read the env0 agents' ACA executions for three sweeps running (throttled, hung, denied): their exits and failures go unseen meanwhile. See the consumer's \"status read failed\" lines.",
        metric: this.metric('StatusReadFailures', 'Minimum'),
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = [
      this.notRunning,
      this.agentFailures,
      ...(this.statusReadFailures ? [this.statusReadFailures] : []),
    ];
  }

  /** Poll to RUNNING (p50, p95), agents not RUNNING in time, failed agents, agents stopped by exit code. */
  widgets(): cloudwatch.IWidget[] {
    const ns = this.namespace;
    return [
      new cloudwatch.GraphWidget({
        title: 'env0 poll to RUNNING, ms',
        left: ['p50', 'p95'].map((p) => this.metric('TimeToRunning', p, undefined, p)),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'env0 agents accepted but not RUNNING in time',
        left: [this.metric('OverdueTasks', 'Maximum', undefined, 'overdue agents')],
        leftAnnotations: [{ value: 1, label: 'alarm' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'env0 agents failed',
        left: [this.metric('AgentFailures', 'Sum', { Platform: this.platform }, 'failed agents')],
        leftAnnotations: [{ value: 1, label: 'alarm' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'env0 agents stopped by exit code and stop code',
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${ns},ExitCode,StopCode} MetricName="AgentsStopped"', 'Sum', 300)`,
            label: '',
            period: PERIOD,
            usingMetrics: {},
          }),
        ],
        stacked: true,
        width: 24,
      }),
    ];
  }

  private metric(
    metricName: string,
    statistic: string,
    dimensionsMap?: Record<string, string>,
    label?: string,
  ) {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName,
      statistic,
      dimensionsMap,
      period: PERIOD,
      label,
    });
  }
}
