import { describe, expect, it } from 'vitest';
import {
  agentsToStart,
  type PoolObservation,
  type ScalingParameters,
} from '../../../lambda/poller/keda-scaling.js';

/**
 * A model of one poll of KEDA's ScaledJob `accurate` strategy with an active trigger, written from
 * kedacore/keda `pkg/scaling/executor/scale_jobs.go` (getScalingDecision, accurateScalingStrategy,
 * createJobs; read at commit 023bc3a6fc17fc861d11cfcaeee1dee05da50a65) and
 * `apis/keda/v1alpha1/scaledjob_types.go` (MaxReplicaCount() is max − min since v2.8):
 *
 * - demand (`maxScale`) is ceil(queue / targetValue) capped at MaxReplicaCount() = max − min;
 * - running < min: create min − running, whatever the queue;
 * - else, with r = running − min: if demand + r > max − min, up to (max − min) − r, else demand − pending;
 *   never more than the demand.
 *
 * `running` is every unfinished job (our `active`), `pending` the jobs whose pod is not running yet
 * (our `starting`).
 */
function kedaAccurate(p: ScalingParameters, seen: PoolObservation): number {
  const maxReplicaCount =
    p.minExecutions > p.maxExecutions ? p.maxExecutions : p.maxExecutions - p.minExecutions;
  const demand = Math.min(Math.ceil(seen.pending / p.targetValue), maxReplicaCount);
  let scaleTo = demand;
  let effectiveMax: number;
  if (seen.active < p.minExecutions) {
    scaleTo = p.minExecutions - seen.active;
    effectiveMax = scaleTo;
  } else {
    const beyondMin = seen.active - p.minExecutions;
    effectiveMax =
      demand + beyondMin > maxReplicaCount ? maxReplicaCount - beyondMin : demand - seen.starting;
  }
  return effectiveMax <= 0 ? 0 : Math.min(scaleTo, effectiveMax);
}

const pool = (minExecutions: number, maxExecutions: number): ScalingParameters => ({
  minExecutions,
  maxExecutions,
  targetValue: 1,
  activationTargetValue: 0,
});

describe('agentsToStart against KEDA accurate, poll for poll', () => {
  it('agrees wherever none of the three documented differences applies', () => {
    let compared = 0;
    for (const min of [0, 1, 3]) {
      for (const max of [3, 5, 10]) {
        if (min > max) continue;
        for (let active = min; active <= max; active++) {
          for (let starting = 0; starting <= active; starting++) {
            for (let pending = 1; pending <= 12; pending++) {
              const demand = pending;
              const capped = demand > max - min; // difference 2
              const nearCap = demand + active > max && starting > 0; // difference 3
              if (capped || nearCap) continue;
              const seen = { pending, active, starting };
              expect(agentsToStart(pool(min, max), seen), JSON.stringify({ min, max, ...seen })).toBe(
                kedaAccurate(pool(min, max), seen),
              );
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('difference 1, below minExecutions with a queue: KEDA tops up to min only, the poller also covers the queue', () => {
    const seen = { pending: 5, active: 0, starting: 0 };

    expect(kedaAccurate(pool(3, 10), seen)).toBe(3);
    expect(agentsToStart(pool(3, 10), seen)).toBe(5);
  });

  it('difference 2, demand above max − min: KEDA caps it before subtracting pending jobs, the poller after', () => {
    // Two warm agents still starting, ten tasks queued, at most ten agents.
    const seen = { pending: 10, active: 2, starting: 2 };

    expect(kedaAccurate(pool(2, 10), seen)).toBe(6); // min(10, 8) − 2: the pool stops at 8 agents
    expect(agentsToStart(pool(2, 10), seen)).toBe(8); // 10 − 2, within the room of 8: ten agents, ten tasks
  });

  it('difference 3, near the cap: KEDA fills to max without subtracting pending jobs, the poller still subtracts them', () => {
    // Five agents, three still starting (each will take a queued task), six tasks queued.
    const seen = { pending: 6, active: 5, starting: 3 };

    expect(kedaAccurate(pool(0, 10), seen)).toBe(5); // fills the room: two agents more than tasks
    expect(agentsToStart(pool(0, 10), seen)).toBe(3); // 6 − 3: one agent per task nobody will take
  });
});
