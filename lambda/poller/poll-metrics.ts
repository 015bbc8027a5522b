import type { Env } from '../config/env-reader.js';
import { EmfWriter, type MetricSink } from '../metrics/emf.js';
import type { PollReport } from './poller.js';

/**
 * What a poll decided, the `Decision` dimension of `Polls` (few values, by design):
 * `launched` and `idle` decided; `busy` left the decision to the lease holder; `refused` is a
 * configuration fault that retrying does not cure (env0 answered 401/403, the token is not set, the
 * settings are invalid); `unknown` is doubt that should pass (queue or statuses unreadable, lease lost).
 */
export type PollDecision = 'launched' | 'idle' | 'busy' | 'refused' | 'unknown';

/** Reasons a retry does not cure: an operator must act. */
const REFUSED = new Set(['queue_unauthorized', 'configuration_error', 'configuration_invalid']);

/** The decision a report stands for. */
export function pollDecision(report: Pick<PollReport, 'outcome' | 'reason'>): PollDecision {
  if (report.outcome !== 'skipped') return report.outcome;
  return REFUSED.has(report.reason ?? '') ? 'refused' : 'unknown';
}

/**
 * The env0 poller's metrics, two EMF lines per poll: `Polls` by `Decision`, and the aggregate `Polls`
 * (the heartbeat the "polls stopped" alarm watches), `Started`, `Resumed` and, when the poll read
 * them, the queue's `Pending`, the pool's `Active` and `Starting` agents.
 */
export class PollMetrics {
  constructor(private readonly emf: EmfWriter) {}

  poll(report: PollReport): void {
    const decision = pollDecision(report);
    const reason = report.reason;
    this.emf.emit([{ name: 'Polls', value: 1, unit: 'Count' }], { Decision: decision }, { reason });
    const seen = [
      ['Pending', report.pending],
      ['Active', report.active],
      ['Starting', report.starting],
    ] as const;
    this.emf.emit(
      [
        { name: 'Polls', value: 1, unit: 'Count' },
        { name: 'Started', value: report.started, unit: 'Count' },
        { name: 'Resumed', value: report.resumed, unit: 'Count' },
        ...seen.flatMap(([name, value]) =>
          value === undefined ? [] : [{ name, value, unit: 'Count' as const }],
        ),
      ],
      {},
      { decision, reason },
    );
  }
}

/**
 * Metrics as the environment says, the rule of the webhook path: on in Lambda unless `METRICS=off`,
 * off elsewhere unless `METRICS=emf`; namespace `METRICS_NAMESPACE`.
 */
export function pollMetricsFrom(env: Env, sink?: MetricSink): PollMetrics | undefined {
  const mode = env.METRICS?.trim().toLowerCase();
  const on = mode === 'emf' || (mode !== 'off' && env.AWS_LAMBDA_FUNCTION_NAME !== undefined);
  if (!on) return undefined;
  return new PollMetrics(new EmfWriter(env.METRICS_NAMESPACE?.trim() || 'AgentDispatcher', sink));
}
