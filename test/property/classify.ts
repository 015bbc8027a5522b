/**
 * Names the known defect a failed schedule shows (issue 20's cases), from its violations, its
 * agents and its journal, so a survey of many schedules can say how soon each case is found. A
 * heuristic for reports, never an assertion: any violation fails the property whatever its class.
 */
import type { Agent, Outcome, Schedule } from './schedule.js';

export type FailureClass =
  | 'case1-redeploy'
  | 'case2-poller'
  | 'case3-timeout-then-next-leg'
  | 'case4-reused-key-next-leg'
  | 'case5-reused-key-202'
  | 'late-answer'
  | 'other';

/** The class of a failed webhook schedule. */
export function classify(schedule: Schedule, outcome: Outcome): FailureClass {
  const doubles = outcome.violations.filter((v) => v.startsWith('(1)'));
  if (doubles.length > 0) {
    const byKey = new Map<string, Agent[]>();
    for (const agent of outcome.agents) byKey.set(agent.key, [...(byKey.get(agent.key) ?? []), agent]);
    const twice = [...byKey.values()].find((agents) => agents.length > 1) ?? [];
    // Agents of two Scalr tasks under one key: the reused key was launched on another leg.
    if (new Set(twice.map((a) => a.taskId)).size > 1) return 'case4-reused-key-next-leg';
    // Started by the old and the new deployment: the new one did not honour the old one's record.
    if (schedule.from !== schedule.to && new Set(twice.map((a) => a.by)).size > 1) return 'case1-redeploy';
    return 'case3-timeout-then-next-leg';
  }
  if (outcome.violations.some((v) => /^\(2\) .*the agent of task/.test(v))) return 'case5-reused-key-202';
  // Only answers past their deadline: on a loaded machine, most often the machine (see loop-lag.ts).
  if (outcome.violations.every((v) => v.startsWith('(3)'))) return 'late-answer';
  return 'other';
}
