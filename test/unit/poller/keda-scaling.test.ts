import { describe, expect, it } from 'vitest';
import { agentsToStart, type ScalingParameters } from '../../../lambda/poller/keda-scaling.js';

const ENV0: ScalingParameters = {
  minExecutions: 0,
  maxExecutions: 10,
  targetValue: 1,
  activationTargetValue: 0,
};

describe('agentsToStart (KEDA ScaledJob, accurate strategy)', () => {
  it.each([
    // pending, active, starting, expected
    [3, 0, 0, 3], // one agent per pending task
    [3, 3, 3, 0], // the three still starting will take them
    [3, 3, 0, 3], // three busy agents: the three waiting tasks need their own
    [3, 1, 1, 2], // one starting agent covers one task
    [0, 0, 0, 0], // scale to zero
    [25, 0, 0, 10], // maxExecutions caps
    [25, 8, 0, 2], // capped by the room left
    [25, 12, 0, 0], // over the cap (maxExecutions lowered): never negative
  ])('pending %i, active %i, starting %i -> %i', (pending, active, starting, expected) => {
    expect(agentsToStart(ENV0, { pending, active, starting })).toBe(expected);
  });

  it('rounds pending / targetValue up', () => {
    expect(agentsToStart({ ...ENV0, targetValue: 4 }, { pending: 9, active: 0, starting: 0 })).toBe(3);
  });

  it('starts nothing at or below activationTargetValue', () => {
    const params = { ...ENV0, activationTargetValue: 2 };
    expect(agentsToStart(params, { pending: 2, active: 0, starting: 0 })).toBe(0);
    expect(agentsToStart(params, { pending: 3, active: 0, starting: 0 })).toBe(3);
  });

  it('keeps minExecutions agents even when inactive, counted against maxExecutions', () => {
    const params = { ...ENV0, minExecutions: 2, maxExecutions: 3 };
    expect(agentsToStart(params, { pending: 0, active: 0, starting: 0 })).toBe(2);
    expect(agentsToStart(params, { pending: 0, active: 2, starting: 2 })).toBe(0);
    expect(agentsToStart(params, { pending: 5, active: 2, starting: 0 })).toBe(1);
  });
});
