/**
 * A minimal CloudWatch Embedded Metric Format writer: one JSON line per call, which CloudWatch Logs
 * turns into metrics with no API call from the function. Hand-written instead of Powertools Metrics
 * to keep a dependency and its cold-start cost off the webhook path; it needs only this shape
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */

export type MetricUnit = 'Count' | 'Milliseconds';

export interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnit;
}

/** Where finished lines go; stdout in Lambda (CloudWatch Logs extracts the metrics). */
export type MetricSink = (line: string) => void;

/** EMF limits: at most 100 metrics per directive and 30 dimensions per set. */
const MAX_METRICS = 100;
const MAX_DIMENSIONS = 30;

export class EmfWriter {
  constructor(
    readonly namespace: string,
    private readonly sink: MetricSink = (line) => process.stdout.write(`${line}\n`),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One line with `metrics` under one dimension set (`dimensions`; none gives an aggregate metric).
   * `properties` are kept in the log line for searching but are not dimensions (no cardinality cost).
   */
  emit(
    metrics: readonly MetricValue[],
    dimensions: Readonly<Record<string, string>> = {},
    properties: Readonly<Record<string, string | number | boolean | undefined>> = {},
  ): void {
    const names = Object.keys(dimensions);
    if (metrics.length === 0 || metrics.length > MAX_METRICS || names.length > MAX_DIMENSIONS) {
      throw new RangeError(`EMF: 1-${MAX_METRICS} metrics and at most ${MAX_DIMENSIONS} dimensions`);
    }
    const line: Record<string, unknown> = { ...properties, ...dimensions };
    for (const metric of metrics) line[metric.name] = metric.value;
    line._aws = {
      Timestamp: this.now(),
      CloudWatchMetrics: [
        {
          Namespace: this.namespace,
          Dimensions: [names],
          Metrics: metrics.map((metric) => ({ Name: metric.name, Unit: metric.unit })),
        },
      ],
    };
    this.sink(JSON.stringify(line));
  }
}
