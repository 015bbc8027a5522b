import { pathToFileURL } from 'node:url';
import {
  BAD_DAY,
  FARGATE_BUCKET,
  formatLoadReport,
  type LoadReport,
  NO_FAULTS,
  runLoadScenario,
} from '../test/load/load-scenario.js';

export interface BurstFigures {
  readonly tasks: number;
  readonly paced: LoadReport;
  readonly unpaced: LoadReport;
  /** A burst ten times Fargate's, paced, Scalr waiting each `Retry-After` in real time. */
  readonly overload: LoadReport;
  readonly overloadTasks: number;
  readonly badDay: LoadReport;
  readonly failover: LoadReport;
}

/**
 * The 09:00 burst: `tasks` Scalr webhooks at once against the ECS stand-in with Fargate's launch
 * bucket, once with client-side pacing, once without, once paced with seeded faults over two
 * containers, and once with the primary running out of capacity and a second Region taking over.
 * Everything runs in this process, over HTTP on 127.0.0.1.
 */
export async function measureBurst(tasks = 300): Promise<BurstFigures> {
  const paced = await runLoadScenario({ tasks, seed: 11, faults: NO_FAULTS, pacing: true, containers: 1 });
  const unpaced = await runLoadScenario({ tasks, seed: 11, faults: NO_FAULTS, pacing: false, containers: 1 });
  // A queue far longer than one delivery can wait: what the pacer's Retry-After estimate is for.
  const overloadTasks = Math.max(1_000, tasks);
  const overload = await runLoadScenario({
    tasks: overloadTasks,
    seed: 11,
    faults: NO_FAULTS,
    pacing: true,
    containers: 1,
    msPerRetryAfterSecond: 1_000,
  });
  const badDay = await runLoadScenario({
    tasks,
    seed: 12,
    faults: BAD_DAY,
    slowMs: 9_000,
    pacing: true,
    containers: 2,
  });
  const failover = await runLoadScenario({
    tasks,
    seed: 13,
    faults: NO_FAULTS,
    failoverAfterCalls: Math.floor(tasks / 3),
    pacing: true,
    containers: 2,
  });
  return { tasks, paced, unpaced, overload, overloadTasks, badDay, failover };
}

export function formatBurst(figures: BurstFigures): string[] {
  const { tasks } = figures;
  return [
    `# Burst of ${tasks} tasks against Fargate's launch bucket (burst ${FARGATE_BUCKET.burst}, ${FARGATE_BUCKET.refillPerSecond}/s)`,
    ...formatLoadReport('paced (LAUNCH_RATE_PER_SECOND=20, LAUNCH_BURST=100)', figures.paced),
    ...formatLoadReport('unpaced (LAUNCH_RATE_PER_SECOND=0)', figures.unpaced),
    ...formatLoadReport(
      `paced, ${figures.overloadTasks} tasks at once, Scalr waits each Retry-After in real time (the others: a tenth)`,
      figures.overload,
    ),
    ...formatLoadReport('paced, 2 containers, seeded faults (bad day)', figures.badDay),
    ...formatLoadReport(
      `paced, 2 containers, primary out of capacity after ${Math.floor(tasks / 3)} calls, failover to a second Region`,
      figures.failover,
    ),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const tasks = Number(process.argv[2] ?? 300);
  console.log(formatBurst(await measureBurst(tasks)).join('\n'));
}
