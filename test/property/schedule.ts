/**
 * One schedule of the exactly-once property: a launcher configuration, deliveries of a few keys
 * spread over two containers (separate launchers, legs and template caches; one shared ledger and
 * one simulated cloud), fault scripts for every service, then a quiet phase without faults.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { TemporarilyUnavailableError } from '../../lambda/errors.js';
import type { AcaConfig } from '../../lambda/launchers/aca/aca-config.js';
import { AcaLeg } from '../../lambda/launchers/aca/aca-leg.js';
import { TemplateCache } from '../../lambda/launchers/aca/template-cache.js';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import type { EcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { EcsLeg } from '../../lambda/launchers/ecs/ecs-leg.js';
import type { LaunchLeg } from '../../lambda/launchers/launch-outcome.js';
import type { Launcher, LaunchResult } from '../../lambda/launchers/launcher.js';
import { LedgeredLauncher } from '../../lambda/launchers/ledgered-launcher.js';
import type { RetryPolicy } from '../../lambda/launchers/retry.js';
import { SingleLegLauncher } from '../../lambda/launchers/single-leg-launcher.js';
import type { LaunchLedger } from '../../lambda/ledger/launch-ledger.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { Logger } from '../../lambda/log/logger.js';
import {
  type AcaFault,
  type AcaFaultKind,
  AcaWorld,
  type EcsFault,
  type EcsFaultKind,
  EcsWorld,
  FaultyLedger,
  Journal,
  type LedgerFaultKind,
  type ListFaultKind,
  sleep,
  type TemplateFaultKind,
} from './sim-cloud.js';

// ---------------------------------------------------------------- scale (real time, made small)

/** How long a non-idempotent leg's list may lag; the ACA leg's settleMs. */
export const SETTLE_MS = 20;
/** A claim's lease outlives the request's deadline by this much. */
export const LEASE_MARGIN_MS = 30;
/**
 * An answer may come this long after its deadline. The launcher itself only overruns by ledger
 * calls of >= 1 ms after the deadline; the rest is timer lateness on a loaded 2-core machine
 * running many schedules at once (observed well below 50 ms), so 100 ms is never a false alarm
 * while a launcher that waits for a hang (>= 3 s here) or a retry loop that ignores the deadline
 * still fails it.
 */
export const ANSWER_MARGIN_MS = 100;
export const RETRY: RetryPolicy = { baseDelayMs: 2, maxDelayMs: 8, minAttemptMs: 5, attemptTimeoutMs: 20 };
const QUIET_TRIES = 10;
const QUIET_GAP_MS = SETTLE_MS + 5;
const QUIET_DEADLINE_MS = 80;

const silent = new Logger(() => {}, 'error');

// ---------------------------------------------------------------- the schedule

export const CONFIGS = ['spot-then-ondemand', 'two-regions', 'ecs-then-aca', 'aca', 'single-ecs'] as const;
export type ConfigName = (typeof CONFIGS)[number];

export interface Delivery {
  readonly key: number;
  readonly container: 0 | 1;
  /** ms after the schedule starts */
  readonly at: number;
  readonly deadlineMs: number;
}

export interface Schedule {
  readonly config: ConfigName;
  readonly keys: number;
  readonly deliveries: readonly Delivery[];
  readonly ecsA: readonly EcsFault[];
  readonly ecsB: readonly EcsFault[];
  readonly regionADown: boolean;
  readonly regionBDown: boolean;
  readonly acaStarts: readonly AcaFault[];
  readonly acaLists: readonly ListFaultKind[];
  readonly acaTemplates: readonly TemplateFaultKind[];
  readonly acaLags: readonly number[];
  readonly acaPageSize: number;
  readonly acaBackground: number;
  readonly templateTtlMs: number;
  readonly ledger: readonly LedgerFaultKind[];
}

const ecsFault: fc.Arbitrary<EcsFault> = fc.record({
  kind: fc.constantFrom<EcsFaultKind>(
    'ok',
    'capacity',
    'throttle',
    'error5xx',
    'started5xx',
    'lost',
    'slow',
    'hang',
  ),
  ms: fc.integer({ min: 0, max: 40 }),
});

const acaFault: fc.Arbitrary<AcaFault> = fc.record({
  kind: fc.constantFrom<AcaFaultKind>(
    'ok',
    'accepted202',
    'throttle429',
    'error5xx',
    'started5xx',
    'lost',
    'slow',
    'hang',
  ),
  ms: fc.integer({ min: 0, max: 40 }),
});

const delivery: fc.Arbitrary<Delivery> = fc.record({
  key: fc.constant(0),
  container: fc.constantFrom<0 | 1>(0, 1),
  at: fc.integer({ min: 0, max: 150 }),
  deadlineMs: fc.integer({ min: 40, max: 80 }),
});

/** True in one schedule of five. */
const sometimes = fc.oneof(
  { arbitrary: fc.constant(false), weight: 4 },
  { arbitrary: fc.constant(true), weight: 1 },
);

export const scheduleArb: fc.Arbitrary<Schedule> = fc.integer({ min: 1, max: 3 }).chain((keys) =>
  fc.record({
    config: fc.constantFrom(...CONFIGS),
    keys: fc.constant(keys),
    // 2-6 deliveries per key: at least 2 of each key, then up to 4 more of any key.
    // 2-6 deliveries of every key.
    deliveries: fc
      .tuple(
        ...Array.from({ length: keys }, (_, key) =>
          fc.array(
            delivery.map((d) => ({ ...d, key })),
            { minLength: 2, maxLength: 6 },
          ),
        ),
      )
      .map((perKey) => perKey.flat()),
    ecsA: fc.array(ecsFault, { maxLength: 12 }),
    ecsB: fc.array(ecsFault, { maxLength: 12 }),
    regionADown: sometimes,
    regionBDown: sometimes,
    acaStarts: fc.array(acaFault, { maxLength: 10 }),
    acaLists: fc.array(fc.constantFrom<ListFaultKind>('ok', 'error5xx', 'hang', 'laterPageFails'), {
      maxLength: 10,
    }),
    acaTemplates: fc.array(fc.constantFrom<TemplateFaultKind>('ok', 'ok', 'error5xx', 'hang'), {
      maxLength: 4,
    }),
    acaLags: fc.array(fc.integer({ min: 0, max: SETTLE_MS - 1 }), { maxLength: 6 }),
    acaPageSize: fc.integer({ min: 1, max: 4 }),
    acaBackground: fc.integer({ min: 0, max: 6 }),
    templateTtlMs: fc.constantFrom(0, 1_000),
    ledger: fc.array(
      fc.constantFrom<LedgerFaultKind>('ok', 'ok', 'ok', 'lost', 'throttle', 'hang', 'appliedHang'),
      { maxLength: 24 },
    ),
  }),
);

// ---------------------------------------------------------------- wiring

export const ECS_CONFIG: EcsConfig = {
  cluster: 'agents',
  taskDefinition: 'scalr-agent:7',
  containerName: 'agent',
  subnets: ['subnet-0123abcd'],
  securityGroups: [],
  assignPublicIp: 'DISABLED',
  capacity: 'FARGATE',
  capacityByAction: new Map(),
  sizeByAction: new Map(),
};

export const ACA_CONFIG: AcaConfig = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg',
  jobName: 'agents-job',
  containerName: 'agent',
  auth: { mode: 'client-secret', credentialsSecretId: 'azure-creds' },
  authorityHost: 'https://login.microsoftonline.com',
  armEndpoint: 'https://management.azure.com',
  listSettleSeconds: SETTLE_MS / 1000,
  templateTtlSeconds: 300,
};

interface Cloud {
  readonly journal: Journal;
  readonly ecsA: EcsWorld;
  readonly ecsB: EcsWorld;
  readonly aca: AcaWorld;
  readonly ledger: FaultyLedger;
}

export function ecsLeg(
  world: EcsWorld,
  name: string,
  target: string,
  provider: 'FARGATE' | 'FARGATE_SPOT',
  extra: { tokenLeg?: string; failFastOnCapacity: boolean },
): EcsLeg {
  return new EcsLeg(world.client() as unknown as ECSClient, ECS_CONFIG, {
    name,
    target,
    provider,
    retryAfterSeconds: 1,
    retry: RETRY,
    ...extra,
  });
}

/** One container: its own legs, template cache and launcher over the shared cloud and ledger. */
function container(schedule: Schedule, cloud: Cloud, index: number): Launcher {
  const acaLeg = () => acaLegOn(cloud.aca, schedule.templateTtlMs);
  let legs: LaunchLeg[];
  switch (schedule.config) {
    case 'single-ecs':
      return new SingleLegLauncher(
        ecsLeg(cloud.ecsA, 'ecs/FARGATE', 'ecs', 'FARGATE', { failFastOnCapacity: false }),
      );
    case 'spot-then-ondemand':
      legs = [
        ecsLeg(cloud.ecsA, 'ecs/FARGATE_SPOT', 'ecs', 'FARGATE_SPOT', { failFastOnCapacity: true }),
        ecsLeg(cloud.ecsA, 'ecs/FARGATE', 'ecs', 'FARGATE', {
          tokenLeg: 'FARGATE',
          failFastOnCapacity: false,
        }),
      ];
      break;
    case 'two-regions':
      legs = [
        ecsLeg(cloud.ecsA, 'ecs/FARGATE', 'ecs', 'FARGATE', { failFastOnCapacity: false }),
        ecsLeg(cloud.ecsB, 'ecs:SECONDARY/FARGATE', 'ecs:SECONDARY', 'FARGATE', {
          failFastOnCapacity: false,
        }),
      ];
      break;
    case 'ecs-then-aca':
      legs = [ecsLeg(cloud.ecsA, 'ecs/FARGATE', 'ecs', 'FARGATE', { failFastOnCapacity: false }), acaLeg()];
      break;
    case 'aca':
      legs = [acaLeg()];
      break;
  }
  return ledgered(legs, cloud.ledger, index);
}

/** An ACA leg on `world` with its own template cache (one per container). */
export function acaLegOn(world: AcaWorld, templateTtlMs: number): AcaLeg {
  return new AcaLeg(
    world,
    new TemplateCache((signal) => world.readTemplate(signal), {
      jobName: ACA_CONFIG.jobName,
      containerName: ACA_CONFIG.containerName,
      ttlMs: templateTtlMs,
      // Scaled like the rest: one shared read may take as long as one attempt.
      readTimeoutMs: 20,
    }),
    ACA_CONFIG,
    { retry: RETRY, retryAfterSeconds: 1 },
  );
}

/** The ledgered launcher of container `index`, at the simulation's scale. */
export function ledgered(legs: LaunchLeg[], ledger: LaunchLedger, index: number): LedgeredLauncher {
  let owners = 0;
  return new LedgeredLauncher(legs, ledger, {
    retryAfterSeconds: 1,
    logger: silent,
    ledgerCallMs: 15,
    leaseMarginMs: LEASE_MARGIN_MS,
    newOwner: () => `c${index}-o${++owners}`,
  });
}

// ---------------------------------------------------------------- running and checking

export interface Answer {
  readonly key: number;
  readonly container: number;
  readonly phase: 'faults' | 'quiet';
  readonly startedAt: number;
  readonly deadline: number;
  readonly answeredAt: number;
  readonly result?: LaunchResult;
  readonly error?: Error;
}

export interface Outcome {
  readonly violations: string[];
  readonly journal: Journal;
  readonly answers: Answer[];
}

let scheduleCounter = 0;

export async function runSchedule(schedule: Schedule): Promise<Outcome> {
  const journal = new Journal();
  const id = ++scheduleCounter;
  const keyName = (k: number) => `atask-s${id}-k${k}`;
  const cloud: Cloud = {
    journal,
    ecsA: new EcsWorld('us-east-1', schedule.ecsA, schedule.regionADown, journal),
    ecsB: new EcsWorld('us-west-2', schedule.ecsB, schedule.regionBDown, journal),
    aca: new AcaWorld(
      {
        starts: schedule.acaStarts,
        lists: schedule.acaLists,
        templates: schedule.acaTemplates,
        lags: schedule.acaLags,
        settleMs: SETTLE_MS,
        pageSize: schedule.acaPageSize,
        background: schedule.acaBackground,
      },
      journal,
    ),
    ledger: new FaultyLedger(new MemoryLedger({ ttlMs: 3_600_000 }), schedule.ledger, journal),
  };
  const first = container(schedule, cloud, 0);
  const second = container(schedule, cloud, 1);
  const answers: Answer[] = [];

  const deliver = async (
    key: number,
    index: number,
    deadlineMs: number,
    phase: Answer['phase'],
  ): Promise<Answer> => {
    const startedAt = Date.now();
    const deadline = startedAt + deadlineMs;
    const dedupKey = keyName(key);
    journal.log(`deliver ${dedupKey} to c${index} (deadline +${deadlineMs}) [${phase}]`);
    let answer: Answer;
    try {
      const result = await (index === 0 ? first : second).launch({
        dedupKey,
        taskId: dedupKey,
        manual: false,
        action: 'plan',
        runId: `run-${key}`,
        deadline,
      });
      answer = { key, container: index, phase, startedAt, deadline, answeredAt: Date.now(), result };
      journal.log(`answer ${dedupKey} c${index}: 2xx ${result.launchId}`);
    } catch (error) {
      answer = {
        key,
        container: index,
        phase,
        startedAt,
        deadline,
        answeredAt: Date.now(),
        error: error as Error,
      };
      journal.log(
        `answer ${dedupKey} c${index}: ${(error as Error).name}: ${(error as Error).message.slice(0, 160)}`,
      );
    }
    answers.push(answer);
    return answer;
  };

  // Fault phase: every delivery at its time; overlapping ones run concurrently.
  await Promise.all(
    schedule.deliveries.map(async (d) => {
      await sleep(d.at);
      await deliver(d.key, d.container, d.deadlineMs, 'faults');
    }),
  );

  // Quiet phase: faults end (the lists still lag); each key is delivered until it gets a 2xx.
  for (const world of [cloud.ecsA, cloud.ecsB, cloud.aca, cloud.ledger]) world.quiet = true;
  journal.log('--- quiet ---');
  await Promise.all(
    Array.from({ length: schedule.keys }, async (_, key) => {
      for (let n = 0; n < QUIET_TRIES; n++) {
        const answer = await deliver(key, n % 2, QUIET_DEADLINE_MS, 'quiet');
        if (answer.result !== undefined) return;
        await sleep(QUIET_GAP_MS);
      }
    }),
  );

  return { violations: check(schedule, cloud, answers, keyName), journal, answers };
}

function check(
  schedule: Schedule,
  cloud: Cloud,
  answers: Answer[],
  keyName: (k: number) => string,
): string[] {
  const violations = [...cloud.journal.bugs];
  const agents = new Map<string, { key: string }>();
  const keyByStartedBy = new Map(
    Array.from({ length: schedule.keys }, (_, k) => [startedByFor(keyName(k)), keyName(k)] as const),
  );
  const byKey = new Map<string, string[]>();
  const add = (key: string, launchId: string, aliases: string[] = []) => {
    for (const id of [launchId, ...aliases]) agents.set(id, { key });
    byKey.set(key, [...(byKey.get(key) ?? []), launchId]);
  };
  for (const task of [...cloud.ecsA.tasks, ...cloud.ecsB.tasks]) {
    add(keyByStartedBy.get(task.startedBy) ?? `unknown:${task.startedBy}`, task.arn);
  }
  for (const execution of cloud.aca.executions) {
    if (execution.dedupKey.startsWith('other-key-')) continue;
    add(execution.dedupKey, execution.id, [execution.name, execution.operation]);
  }

  for (let k = 0; k < schedule.keys; k++) {
    const key = keyName(k);
    const started = byKey.get(key) ?? [];
    // (1) at most one agent per key, across every world; (4) exactly one after the quiet phase.
    if (started.length > 1)
      violations.push(`(1) ${key}: ${started.length} agents started: ${started.join(', ')}`);
    if (started.length === 0) violations.push(`(4) ${key}: no agent started after the quiet phase`);
    const quiet = answers.filter((a) => a.key === k && a.phase === 'quiet');
    if (!quiet.some((a) => a.result !== undefined)) {
      violations.push(
        `(4) ${key}: no 2xx after ${quiet.length} quiet deliveries; last: ${quiet.at(-1)?.error?.message.slice(0, 200)}`,
      );
    }
  }
  for (const a of answers) {
    const key = keyName(a.key);
    // (2) every 2xx names an agent started for its key.
    if (a.result !== undefined) {
      const agent = agents.get(a.result.launchId);
      if (agent === undefined)
        violations.push(`(2) ${key}: 2xx names ${a.result.launchId}, which never started`);
      else if (agent.key !== key)
        violations.push(`(2) ${key}: 2xx names ${a.result.launchId}, started for ${agent.key}`);
    }
    // (3) every answer within its deadline + margin.
    const late = a.answeredAt - a.deadline;
    if (late > ANSWER_MARGIN_MS) {
      violations.push(`(3) ${key} c${a.container} [${a.phase}]: answered ${late} ms after its deadline`);
    }
    // (5) with transient faults only, every error is a 503 (TemporarilyUnavailableError).
    if (a.error !== undefined && !(a.error instanceof TemporarilyUnavailableError)) {
      violations.push(`(5) ${key}: answered ${a.error.name}: ${a.error.message.slice(0, 200)}`);
    }
  }
  return violations;
}

/** A schedule and what happened, for the failure message. */
export function explain(schedule: Schedule, outcome: Outcome): string {
  return [
    `violations:\n  ${outcome.violations.join('\n  ')}`,
    `schedule: ${JSON.stringify(schedule)}`,
    `journal:\n  ${outcome.journal.lines.join('\n  ')}`,
  ].join('\n');
}
