import { describe, expect, it } from 'vitest';
import { EmfWriter } from '../../../lambda/metrics/emf.js';
import { PollMetrics, pollDecision, pollMetricsFrom } from '../../../lambda/poller/poll-metrics.js';
import type { Poller, PollReport } from '../../../lambda/poller/poller.js';
import { runPolls } from '../../../lambda/poller/run-polls.js';

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const metrics = new PollMetrics(
    new EmfWriter('AgentDispatcher/Pool', (line) => lines.push(JSON.parse(line))),
  );
  return { lines, metrics };
}

type Directive = { Dimensions: string[][]; Metrics: { Name: string }[] };
const directive = (line: Record<string, unknown>) =>
  (line._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0] as Directive;

describe('pollDecision', () => {
  it('names each poll outcome: decided, busy, refused (configuration) or unknown (doubt)', () => {
    expect(pollDecision({ outcome: 'launched' })).toBe('launched');
    expect(pollDecision({ outcome: 'idle' })).toBe('idle');
    expect(pollDecision({ outcome: 'busy', reason: 'lease_held' })).toBe('busy');
    expect(pollDecision({ outcome: 'skipped', reason: 'queue_unauthorized' })).toBe('refused');
    expect(pollDecision({ outcome: 'skipped', reason: 'configuration_error' })).toBe('refused');
    expect(pollDecision({ outcome: 'skipped', reason: 'configuration_invalid' })).toBe('refused');
    for (const reason of [
      'queue_unavailable',
      'queue_invalid',
      'status_unknown',
      'lease_lost',
      'poll_failed',
    ]) {
      expect(pollDecision({ outcome: 'skipped', reason })).toBe('unknown');
    }
  });
});

describe('PollMetrics', () => {
  it('writes Polls by Decision, then the heartbeat with pending, active, starting and started', () => {
    const { lines, metrics } = recorder();

    metrics.poll({ outcome: 'launched', pending: 3, active: 4, starting: 1, started: 2, resumed: 0 });

    expect(lines).toHaveLength(2);
    const [byDecision, heartbeat] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(directive(byDecision).Dimensions).toEqual([['Decision']]);
    expect(byDecision).toMatchObject({ Decision: 'launched', Polls: 1 });
    expect(directive(heartbeat).Dimensions).toEqual([[]]);
    expect(heartbeat).toMatchObject({ Polls: 1, Pending: 3, Active: 4, Starting: 1, Started: 2, Resumed: 0 });
    expect(directive(heartbeat).Metrics.map((m) => m.Name)).toEqual([
      'Polls',
      'Started',
      'Resumed',
      'Pending',
      'Active',
      'Starting',
    ]);
  });

  it('counts a 401 from env0 as refused and leaves out what the poll never read', () => {
    const { lines, metrics } = recorder();

    metrics.poll({ outcome: 'skipped', reason: 'queue_unauthorized', started: 0, resumed: 0 });

    expect(lines[0]).toMatchObject({ Decision: 'refused', reason: 'queue_unauthorized' });
    expect(lines[1]).not.toHaveProperty('Pending');
    expect(directive(lines[1] as Record<string, unknown>).Metrics.map((m) => m.Name)).toEqual([
      'Polls',
      'Started',
      'Resumed',
    ]);
  });

  it('is on in Lambda unless METRICS=off, off elsewhere unless METRICS=emf, in METRICS_NAMESPACE', () => {
    const lines: string[] = [];
    expect(pollMetricsFrom({})).toBeUndefined();
    expect(pollMetricsFrom({ AWS_LAMBDA_FUNCTION_NAME: 'f', METRICS: 'off' })).toBeUndefined();
    pollMetricsFrom({ METRICS: 'emf', METRICS_NAMESPACE: 'AgentDispatcher/Env0' }, (l) =>
      lines.push(l),
    )?.poll({
      outcome: 'idle',
      started: 0,
      resumed: 0,
    });
    expect(JSON.parse(lines[0] as string)._aws.CloudWatchMetrics[0].Namespace).toBe('AgentDispatcher/Env0');
  });
});

describe('runPolls', () => {
  it('reports every poll to onPoll as it ends, busy ones included', async () => {
    const answers: PollReport[] = [
      { outcome: 'busy', reason: 'lease_held', started: 0, resumed: 0 },
      { outcome: 'launched', pending: 1, active: 0, starting: 0, started: 1, resumed: 0 },
    ];
    let released = 0;
    const poller = {
      pollOnce: async () => answers.shift() as PollReport,
      release: async () => {
        released++;
      },
    } as unknown as Poller;
    const seen: PollReport[] = [];
    let clock = 0;

    await runPolls(poller, {
      intervalMs: 30_000,
      windowMs: 60_000,
      pollBudgetMs: 20_000,
      remainingMs: () => 80_000,
      onPoll: (report) => seen.push(report),
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });

    expect(seen.map(pollDecision)).toEqual(['busy', 'launched']);
    expect(released).toBe(1);
  });
});
