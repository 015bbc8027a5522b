import { describe, expect, it } from 'vitest';
import {
  BAD_DAY as FAULTS,
  formatLoadReport,
  type LoadReport,
  NO_FAULTS,
  runLoadScenario,
} from './load-scenario.js';

/** `npm test` runs a small burst; `npm run test:load` sets LOAD_TASKS for the full one. */
const TASKS = Number(process.env.LOAD_TASKS ?? 150);
const TIMEOUT_MS = 60_000 + TASKS * 300;

function expectExactlyOnce(report: LoadReport): void {
  expect(report.launchedExactlyOnce).toBe(report.tasks);
  expect(report.doubleKeys).toEqual([]);
  expect(report.launchedMoreThanOnce).toBe(0);
  expect(report.lost).toBe(0);
  expect(report.unanswered).toBe(0);
  expect(report.acceptedWithoutLaunch).toBe(0);
  expect(report.strayLaunches).toBe(0);
  expect(report.secretLeaks).toBe(0);
}

describe(`a burst of ${TASKS} Scalr tasks against Fargate's launch limits (burst 100, 20/s)`, () => {
  it(
    'launches every task exactly once with about one RunTask call each when pacing is on',
    async () => {
      const report = await runLoadScenario({
        tasks: TASKS,
        seed: 1,
        faults: NO_FAULTS,
        pacing: true,
        containers: 1,
      });
      console.log(formatLoadReport(`${TASKS} tasks, pacing on, no injected faults`, report).join('\n'));

      expectExactlyOnce(report);
      expect(report.attemptsPerLaunch).toBeLessThan(1.1);
      expect(report.lastAcceptMs / 1000).toBeLessThan(report.idealSeconds * 1.5 + 3);
    },
    TIMEOUT_MS,
  );

  it(
    'launches every task exactly once without pacing too, at the cost of more RunTask calls per launch',
    async () => {
      const report = await runLoadScenario({
        tasks: TASKS,
        seed: 1,
        faults: NO_FAULTS,
        pacing: false,
        containers: 1,
      });
      console.log(formatLoadReport(`${TASKS} tasks, pacing off, no injected faults`, report).join('\n'));

      expectExactlyOnce(report);
      expect(report.attemptsPerLaunch).toBeGreaterThan(1.1);
    },
    TIMEOUT_MS,
  );

  it(
    'keeps exactly-once across two containers with throttling, 5xx, lost answers, drops, capacity and Secrets Manager faults',
    async () => {
      const report = await runLoadScenario({
        tasks: TASKS,
        seed: 2,
        faults: FAULTS,
        // Past the 4 s deadline: these launches happen but their answers are lost; Scalr re-delivers.
        launchDeadlineMs: 4_000,
        slowMs: 5_000,
        pacing: true,
        containers: 2,
      });
      console.log(
        formatLoadReport(`${TASKS} tasks, pacing on, 2 containers, seeded faults`, report).join('\n'),
      );

      expectExactlyOnce(report);
      expect(Object.values(report.faultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'fails over to a second Region when the primary runs out of capacity mid-burst, still launching each task once',
    async () => {
      const report = await runLoadScenario({
        tasks: TASKS,
        seed: 4,
        faults: NO_FAULTS,
        failoverAfterCalls: Math.floor(TASKS / 3),
        pacing: true,
        containers: 2,
      });
      console.log(
        formatLoadReport(
          `${TASKS} tasks, primary out of capacity after ${Math.floor(TASKS / 3)} calls, failover to a second Region`,
          report,
        ).join('\n'),
      );

      expectExactlyOnce(report);
      expect(report.acceptedByTarget.ecs).toBeGreaterThan(0);
      expect(report.acceptedByTarget['ecs:SECONDARY']).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
