import { percentile } from '../../bench/stats.js';
import type { RequestHandler } from '../../lambda/dispatch/create-dispatcher.js';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { startGatewayServer } from '../../local/gateway-server.js';
import { AwsStandIn, type Fault, faults, type Operation } from '../support/aws-stand-in.js';
import { AGENT_TOKEN, Harness, WEBHOOK_SECRET } from '../support/harness.js';
import { seededRandom } from './random.js';
import { type SimulationResult, simulateScalr } from './scalr-simulator.js';

/** Fargate's launch token bucket, which the ECS stand-in enforces. */
export const FARGATE_BUCKET = { burst: 100, refillPerSecond: 20 } as const;

/** Probability, per platform call, of each injected fault (on top of the stand-in's real throttling). */
export interface FaultRates {
  /** RunTask answers ThrottlingException. */
  readonly throttle: number;
  /** RunTask answers 500 ServerException. */
  readonly server: number;
  /** RunTask launches, then answers after `slowMs`: a response lost to the client's timeout. */
  readonly slow: number;
  /** The connection drops before RunTask is handled. */
  readonly drop: number;
  /** RunTask answers with a capacity failure (`failures`, no task). */
  readonly capacity: number;
  /** GetSecretValue answers 500. */
  readonly secrets: number;
}

export const NO_FAULTS: FaultRates = { throttle: 0, server: 0, slow: 0, drop: 0, capacity: 0, secrets: 0 };

/** Faults of the "bad day" runs (bench and load test): rates per platform call. */
export const BAD_DAY: FaultRates = {
  throttle: 0.05,
  server: 0.03,
  slow: 0.01,
  drop: 0.02,
  capacity: 0.03,
  secrets: 0.2,
};

export interface LoadScenarioOptions {
  readonly tasks: number;
  readonly seed: number;
  readonly faults: FaultRates;
  /** Client-side pacing on (rate and burst of Fargate, split across containers) or off. */
  readonly pacing: boolean;
  /** Dispatcher instances behind the server, taking requests in turn (separate Lambda containers). */
  readonly containers: number;
  readonly slowMs?: number;
  readonly launchDeadlineMs?: number;
  readonly duplicateShare?: number;
  readonly concurrentShare?: number;
  /**
   * Adds a secondary ECS target in another "Region" (its own stand-in and launch bucket) and makes
   * the primary run out of capacity after this many RunTask calls.
   */
  readonly failoverAfterCalls?: number;
  /** Milliseconds the simulated Scalr waits per second of `Retry-After` (default 100: ten times faster than real). */
  readonly msPerRetryAfterSecond?: number;
  /** Other traffic sent to the same server while the simulated Scalr runs (e.g. bad requests). */
  readonly alongside?: (url: string) => Promise<void>;
}

export interface LoadReport {
  readonly tasks: number;
  readonly launchedExactlyOnce: number;
  readonly launchedMoreThanOnce: number;
  /** Keys launched more than once, to start the investigation from. */
  readonly doubleKeys: readonly string[];
  /** Tasks with no launch at all. */
  readonly lost: number;
  /** Tasks that never got a 2xx (the simulated Scalr gave up). */
  readonly unanswered: number;
  /** 2xx answers whose launchId is not a task this key launched. */
  readonly acceptedWithoutLaunch: number;
  /** Launched tasks that belong to no delivered key. */
  readonly strayLaunches: number;
  readonly deliveries: number;
  readonly deliveriesPerTask: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly runTaskCalls: number;
  /** Tasks whose first 2xx named each target (`unnamed` without failover). */
  readonly acceptedByTarget: Readonly<Record<string, number>>;
  readonly attemptsPerLaunch: number;
  /** First delivery to first 2xx, per task. */
  readonly acceptMs: { p50: number; p95: number; p99: number; max: number };
  /** Latency of single deliveries that got a 2xx. */
  readonly answerMs: { p50: number; p95: number; p99: number };
  readonly lastAcceptMs: number;
  readonly launchesPerSecond: number;
  /** Shortest time Fargate's bucket allows for these launches. */
  readonly idealSeconds: number;
  readonly faultsInjected: Readonly<Record<string, number>>;
  /** Log lines or answers that contained the webhook secret or the agent token. */
  readonly secretLeaks: number;
  readonly durationMs: number;
}

/**
 * Runs one load-and-fault scenario end to end: AWS stand-in with Fargate's launch limits and seeded
 * faults, dispatcher(s) behind the local gateway server, a simulated Scalr over HTTP. Returns the
 * figures the assertions and the bench need.
 */
export async function runLoadScenario(options: LoadScenarioOptions): Promise<LoadReport> {
  const injected: Record<string, number> = {};
  const planned = faultPlan(options.faults, options.slowMs ?? 3_000, options.seed, injected);
  const dryAfter = options.failoverAfterCalls;
  const faultFor = (operation: Operation, n: number) =>
    dryAfter !== undefined && operation === 'RunTask' && n > dryAfter
      ? faults.capacity()
      : planned(operation);
  const h = new Harness({ launchBucket: FARGATE_BUCKET, faultFor });
  const secondary = dryAfter === undefined ? undefined : new AwsStandIn({ launchBucket: FARGATE_BUCKET });
  const secondaryEnv = secondary && {
    FAILOVER_TARGETS: 'ecs:SECONDARY',
    SECONDARY_AWS_REGION: 'us-west-2',
    SECONDARY_AWS_ENDPOINT_URL_ECS: await secondary.start(),
    SECONDARY_ECS_CLUSTER: 'agents-dr',
  };
  const share = (value: number) => String(Math.max(1, Math.floor(value / options.containers)));
  const env = {
    LAUNCH_DEADLINE_MS: String(options.launchDeadlineMs ?? 8_000),
    RETRY_AFTER_SECONDS: '2',
    // Short TTL so the secrets are read again during the run and Secrets Manager faults matter.
    SECRET_TTL_SECONDS: '1',
    SECRET_STALE_SECONDS: '60',
    LAUNCH_RATE_PER_SECOND: options.pacing ? share(FARGATE_BUCKET.refillPerSecond) : '0',
    LAUNCH_BURST: share(FARGATE_BUCKET.burst),
    LOG_LEVEL: 'info',
    ...secondaryEnv,
  };
  await h.start(env);
  const dispatchers: RequestHandler[] = [h.dispatch];
  for (let i = 1; i < options.containers; i++) dispatchers.push(h.another(env));
  let turn = 0;
  const server = await startGatewayServer({
    dispatch: (request) => (dispatchers[turn++ % dispatchers.length] as RequestHandler)(request),
  });
  try {
    const alongside = options.alongside?.(server.url);
    const simulation = await simulateScalr({
      url: server.url,
      webhookSecret: WEBHOOK_SECRET,
      tasks: options.tasks,
      seed: options.seed + 1,
      duplicateShare: options.duplicateShare ?? 0.1,
      concurrentShare: options.concurrentShare ?? 0.1,
      msPerRetryAfterSecond: options.msPerRetryAfterSecond ?? 100,
      baseBackoffMs: 100,
      maxDeliveries: 40,
    });
    await alongside;
    return assess(h, secondary, simulation, injected);
  } finally {
    await server.close();
    await h.stop();
    await secondary?.stop();
  }
}

/** Seeded fault injection: each call draws one number and gets at most one fault. */
function faultPlan(
  rates: FaultRates,
  slowMs: number,
  seed: number,
  injected: Record<string, number>,
): (operation: Operation) => Fault | undefined {
  const random = seededRandom(seed);
  const count = (name: string, fault: Fault) => {
    injected[name] = (injected[name] ?? 0) + 1;
    return fault;
  };
  return (operation) => {
    const draw = random();
    if (operation === 'GetSecretValue') {
      return draw < rates.secrets
        ? count('secrets', { kind: 'error', status: 500, type: 'InternalServiceError' })
        : undefined;
    }
    if (operation !== 'RunTask') return undefined;
    let edge = 0;
    const table: [keyof FaultRates, () => Fault][] = [
      ['throttle', faults.throttle],
      ['server', faults.server],
      ['slow', () => faults.slow(slowMs)],
      ['drop', () => ({ kind: 'drop' })],
      ['capacity', faults.capacity],
    ];
    for (const [name, make] of table) {
      edge += rates[name];
      if (draw < edge) return count(name, make());
    }
    return undefined;
  };
}

function assess(
  h: Harness,
  secondary: AwsStandIn | undefined,
  simulation: SimulationResult,
  injected: Record<string, number>,
): LoadReport {
  const standIns = secondary === undefined ? [h.standIn] : [h.standIn, secondary];
  const allTasks = standIns.flatMap((standIn) => standIn.tasks);
  const runTaskCalls = standIns.reduce((sum, standIn) => sum + standIn.calls.RunTask, 0);
  const acceptedByTarget: Record<string, number> = {};
  for (const task of simulation.tasks) {
    const target = task.deliveries.find((d) => d.status >= 200 && d.status < 300)?.target ?? 'unnamed';
    acceptedByTarget[target] = (acceptedByTarget[target] ?? 0) + 1;
  }
  const launches = new Map<string, string[]>();
  for (const task of allTasks) {
    const arns = launches.get(task.startedBy ?? '') ?? [];
    arns.push(task.taskArn);
    launches.set(task.startedBy ?? '', arns);
  }
  const statusCounts: Record<string, number> = {};
  let acceptedWithoutLaunch = 0;
  let exactlyOnce = 0;
  let moreThanOnce = 0;
  const doubleKeys: string[] = [];
  let lost = 0;
  const known = new Set<string>();
  const answerTimes: number[] = [];
  for (const task of simulation.tasks) {
    const startedBy = startedByFor(task.key);
    known.add(startedBy);
    const arns = launches.get(startedBy) ?? [];
    if (arns.length === 1) exactlyOnce++;
    if (arns.length > 1) {
      moreThanOnce++;
      doubleKeys.push(task.key);
    }
    if (arns.length === 0) lost++;
    for (const delivery of task.deliveries) {
      statusCounts[delivery.status] = (statusCounts[delivery.status] ?? 0) + 1;
      if (delivery.status >= 200 && delivery.status < 300) {
        answerTimes.push(delivery.ms);
        if (delivery.launchId === undefined || !arns.includes(delivery.launchId)) acceptedWithoutLaunch++;
      }
    }
  }
  const accepted = simulation.tasks.flatMap((task) =>
    task.acceptedAt === undefined ? [] : [task.acceptedAt - (task.deliveries[0]?.at ?? 0)],
  );
  const lastAcceptMs = Math.max(0, ...simulation.tasks.map((task) => task.acceptedAt ?? 0));
  const deliveries = simulation.tasks.reduce((sum, task) => sum + task.deliveries.length, 0);
  const launched = allTasks.length;
  const strayLaunches = [...launches.keys()].filter((startedBy) => !known.has(startedBy)).length;
  const secretLeaks = h.logs.filter(
    (line) => line.includes(WEBHOOK_SECRET) || line.includes(AGENT_TOKEN),
  ).length;
  const sortedAccept = [...accepted].sort((a, b) => a - b);
  const sortedAnswer = [...answerTimes].sort((a, b) => a - b);
  return {
    tasks: simulation.tasks.length,
    launchedExactlyOnce: exactlyOnce,
    launchedMoreThanOnce: moreThanOnce,
    doubleKeys,
    lost,
    unanswered: simulation.tasks.length - accepted.length,
    acceptedWithoutLaunch,
    strayLaunches,
    deliveries,
    deliveriesPerTask: deliveries / simulation.tasks.length,
    statusCounts,
    runTaskCalls,
    acceptedByTarget,
    attemptsPerLaunch: launched === 0 ? Number.NaN : runTaskCalls / launched,
    acceptMs: {
      p50: percentile(sortedAccept, 50),
      p95: percentile(sortedAccept, 95),
      p99: percentile(sortedAccept, 99),
      max: sortedAccept.at(-1) ?? Number.NaN,
    },
    answerMs: {
      p50: percentile(sortedAnswer, 50),
      p95: percentile(sortedAnswer, 95),
      p99: percentile(sortedAnswer, 99),
    },
    lastAcceptMs,
    launchesPerSecond: launched / (lastAcceptMs / 1000),
    idealSeconds: Math.max(0, launched - FARGATE_BUCKET.burst) / FARGATE_BUCKET.refillPerSecond,
    faultsInjected: injected,
    secretLeaks,
    durationMs: simulation.durationMs,
  };
}

/** Human-readable lines for the test output and the bench. */
export function formatLoadReport(title: string, r: LoadReport): string[] {
  const f = (n: number) => n.toFixed(0);
  return [
    `## ${title}`,
    `tasks ${r.tasks}: launched exactly once ${r.launchedExactlyOnce}, more than once ${r.launchedMoreThanOnce}, lost ${r.lost}, never answered 2xx ${r.unanswered}, 2xx without a launch ${r.acceptedWithoutLaunch}, stray launches ${r.strayLaunches}`,
    `deliveries ${r.deliveries} (${r.deliveriesPerTask.toFixed(2)} per task) by status ${JSON.stringify(r.statusCounts)}`,
    `RunTask calls ${r.runTaskCalls} = ${r.attemptsPerLaunch.toFixed(2)} attempts per launch; faults injected ${JSON.stringify(r.faultsInjected)}; accepted by target ${JSON.stringify(r.acceptedByTarget)}`,
    `time to 2xx per task  p50 ${f(r.acceptMs.p50)} ms  p95 ${f(r.acceptMs.p95)} ms  p99 ${f(r.acceptMs.p99)} ms  max ${f(r.acceptMs.max)} ms`,
    `2xx answer latency    p50 ${f(r.answerMs.p50)} ms  p95 ${f(r.answerMs.p95)} ms  p99 ${f(r.answerMs.p99)} ms`,
    `all launched after ${(r.lastAcceptMs / 1000).toFixed(1)} s = ${r.launchesPerSecond.toFixed(1)} launches/s (Fargate bucket: burst ${FARGATE_BUCKET.burst}, ${FARGATE_BUCKET.refillPerSecond}/s; best possible ${r.idealSeconds.toFixed(1)} s)`,
  ];
}
