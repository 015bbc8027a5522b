import type { Template } from 'aws-cdk-lib/assertions';

/** The parts of a synthesized single-metric alarm that decide whether it fires. */
export interface AlarmDefinition {
  readonly MetricName: string;
  readonly Namespace: string;
  readonly Dimensions?: readonly { Name: string; Value: string }[];
  readonly Statistic: string;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData?: string;
}

/** The env0 agents' alarms of a synthesized env0 stack (`Env0AgentAlarms`), by what they are for. */
export function agentAlarms(template: Template): Record<'notRunning' | 'failures', AlarmDefinition> {
  const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
  const find = (idPrefix: string) => {
    const alarm = alarms.find(([id]) => id.startsWith(idPrefix));
    if (alarm === undefined) throw new Error(`no alarm ${idPrefix}`);
    return alarm[1].Properties as AlarmDefinition;
  };
  return { notRunning: find('MonitoringAgentsNotRunning'), failures: find('MonitoringAgentsAgentFailures') };
}

/**
 * The alarm's statistic over the EMF lines given (one evaluation period): the values of its metric
 * in its namespace under exactly its dimensions, as CloudWatch would extract them; undefined when
 * there is none (missing data).
 */
export function alarmValue(alarm: AlarmDefinition, lines: readonly Record<string, unknown>[]) {
  const dimensions = alarm.Dimensions ?? [];
  const values = lines.flatMap((line) => {
    const emf = (line._aws as { CloudWatchMetrics?: Emf[] } | undefined)?.CloudWatchMetrics ?? [];
    const match = emf.some(
      (set) =>
        set.Namespace === alarm.Namespace &&
        set.Metrics.some((metric) => metric.Name === alarm.MetricName) &&
        set.Dimensions.some(
          (names) =>
            names.length === dimensions.length &&
            dimensions.every((d) => names.includes(d.Name) && line[d.Name] === d.Value),
        ),
    );
    return match ? [Number(line[alarm.MetricName])] : [];
  });
  if (values.length === 0) return undefined;
  switch (alarm.Statistic) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    default:
      throw new Error(`statistic ${alarm.Statistic} not evaluated here`);
  }
}

/** Whether the alarm would be in ALARM on these lines (one period, one datapoint to alarm). */
export function fires(alarm: AlarmDefinition, lines: readonly Record<string, unknown>[]): boolean {
  const value = alarmValue(alarm, lines);
  if (value === undefined) return alarm.TreatMissingData === 'breaching';
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.Threshold;
    case 'LessThanThreshold':
      return value < alarm.Threshold;
    default:
      throw new Error(`operator ${alarm.ComparisonOperator} not evaluated here`);
  }
}

interface Emf {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { Name: string }[];
}
