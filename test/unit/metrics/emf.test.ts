import { describe, expect, it } from 'vitest';
import { dispatchMetricsFrom } from '../../../lambda/metrics/dispatch-metrics.js';
import { EmfWriter } from '../../../lambda/metrics/emf.js';

describe('EmfWriter', () => {
  it('writes one line in the Embedded Metric Format: _aws directive, dimensions and values at the root', () => {
    const lines: string[] = [];
    const emf = new EmfWriter(
      'AgentDispatcher/Test',
      (line) => lines.push(line),
      () => 1_700_000_000_000,
    );

    emf.emit(
      [
        { name: 'Webhooks', value: 1, unit: 'Count' },
        { name: 'LaunchLatency', value: 42.5, unit: 'Milliseconds' },
      ],
      { Outcome: 'launched' },
      { platform: 'ecs' },
    );

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'AgentDispatcher/Test',
            Dimensions: [['Outcome']],
            Metrics: [
              { Name: 'Webhooks', Unit: 'Count' },
              { Name: 'LaunchLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      Outcome: 'launched',
      Webhooks: 1,
      LaunchLatency: 42.5,
      platform: 'ecs',
    });
  });

  it('declares an empty dimension set for an aggregate metric, and refuses directives EMF would drop', () => {
    const lines: string[] = [];
    const emf = new EmfWriter('ns', (line) => lines.push(line));

    emf.emit([{ name: 'OverdueTasks', value: 0, unit: 'Count' }]);

    expect(JSON.parse(lines[0] as string)._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(() => emf.emit([])).toThrow(RangeError);
    const tooMany = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`D${i}`, 'x']));
    expect(() => emf.emit([{ name: 'M', value: 1, unit: 'Count' }], tooMany)).toThrow(RangeError);
  });
});

describe('dispatchMetricsFrom', () => {
  it('is on in Lambda, off elsewhere, and METRICS overrides both ways', () => {
    expect(dispatchMetricsFrom({})).toBeUndefined();
    expect(dispatchMetricsFrom({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBeDefined();
    expect(dispatchMetricsFrom({ AWS_LAMBDA_FUNCTION_NAME: 'fn', METRICS: 'off' })).toBeUndefined();
    expect(dispatchMetricsFrom({ METRICS: 'emf' })).toBeDefined();
  });

  it('counts a 503 under Webhooks and under Unavailable by cause, in the configured namespace', () => {
    const lines: Record<string, unknown>[] = [];
    const metrics = dispatchMetricsFrom({ METRICS: 'emf', METRICS_NAMESPACE: 'AgentDispatcher/Pool' }, (l) =>
      lines.push(JSON.parse(l)),
    );

    metrics?.failed('launch_failed', 'launch', 'ThrottlingException');

    expect(lines).toEqual([
      expect.objectContaining({ Outcome: 'launch_failed', Webhooks: 1 }),
      expect.objectContaining({ Cause: 'launch', Unavailable: 1, detail: 'ThrottlingException' }),
    ]);
    expect(JSON.stringify(lines)).toContain('AgentDispatcher/Pool');
  });
});
