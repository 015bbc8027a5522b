import type { Env } from '../config/env-reader.js';
import { EmfWriter, type MetricSink } from './emf.js';

/** Where a 503 came from: the dimension `Cause` of the `Unavailable` metric (few values, by design). */
export type UnavailableCause = 'webhook_secret' | 'agent_token' | 'launch' | 'deadline';

/** The webhook path's metrics. One EMF line per request; nothing is sent over the network. */
export class DispatchMetrics {
  constructor(private readonly emf: EmfWriter) {}

  /** An accepted webhook: `Webhooks` by `Outcome`, and `LaunchLatency` for a new launch. */
  accepted(duplicate: boolean, latencyMs: number, platform: string): void {
    if (duplicate) {
      this.emf.emit([{ name: 'Webhooks', value: 1, unit: 'Count' }], { Outcome: 'duplicate' }, { platform });
      return;
    }
    this.emf.emit(
      [
        { name: 'Webhooks', value: 1, unit: 'Count' },
        { name: 'LaunchLatency', value: latencyMs, unit: 'Milliseconds' },
      ],
      { Outcome: 'launched' },
      { platform },
    );
  }

  /** A refused request (4xx) or one that launched nothing (5xx); a 503 also counts by cause. */
  failed(outcome: 'rejected' | 'launch_failed', unavailable?: UnavailableCause, detail?: string): void {
    this.emf.emit([{ name: 'Webhooks', value: 1, unit: 'Count' }], { Outcome: outcome });
    if (unavailable !== undefined) {
      this.emf.emit([{ name: 'Unavailable', value: 1, unit: 'Count' }], { Cause: unavailable }, { detail });
    }
  }
}

/**
 * Metrics as the environment says: on in Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) unless
 * `METRICS=off`, off elsewhere unless `METRICS=emf`; namespace `METRICS_NAMESPACE`.
 */
export function dispatchMetricsFrom(env: Env, sink?: MetricSink): DispatchMetrics | undefined {
  const mode = env.METRICS?.trim().toLowerCase();
  const on = mode === 'emf' || (mode !== 'off' && env.AWS_LAMBDA_FUNCTION_NAME !== undefined);
  if (!on) return undefined;
  return new DispatchMetrics(new EmfWriter(env.METRICS_NAMESPACE?.trim() || 'AgentDispatcher', sink));
}
