/**
 * One schedule of the exactly-once property: deliveries of a few keys to the containers of one
 * deployment, or of two (a configuration change mid-schedule: the old version's containers run
 * alone, then side by side with the new one's, then the new one alone), all sharing one simulated
 * cloud and one ledger table (MemoryLedger, or DynamoDbLedger on dynalite for a slice); fault
 * scripts for every service; late effects of requests that were given up; keys reused by another
 * Scalr task; then a quiet phase without faults. Every container is built the way the Lambda builds
 * it, by the registry's `createLauncher` over the simulated cloud (see sim-wiring.ts), except the
 * `legacy-ecs` release, which predates the ledger table (a bare single-leg launcher).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import type { DispatcherConfig, LaunchTarget } from '../../lambda/config/config.js';
import { ConfigError, IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../../lambda/errors.js';
import type { AcaConfig } from '../../lambda/launchers/aca/aca-config.js';
import { AcaLeg } from '../../lambda/launchers/aca/aca-leg.js';
import type { AcaJobApi } from '../../lambda/launchers/aca/arm-job-api.js';
import { TemplateCache } from '../../lambda/launchers/aca/template-cache.js';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { createEcsLegs } from '../../lambda/launchers/ecs/create-ecs-legs.js';
import type { EcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { EcsLeg } from '../../lambda/launchers/ecs/ecs-leg.js';
import type { LaunchLeg } from '../../lambda/launchers/launch-outcome.js';
import * as outcomes from '../../lambda/launchers/launch-outcome.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../../lambda/launchers/launcher.js';
import { LedgeredLauncher } from '../../lambda/launchers/ledgered-launcher.js';
import { createLauncher } from '../../lambda/launchers/registry.js';
import { SingleLegLauncher } from '../../lambda/launchers/single-leg-launcher.js';
import { DynamoDbLedger } from '../../lambda/ledger/dynamodb-ledger.js';
import type { LaunchLedger } from '../../lambda/ledger/launch-ledger.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { Logger } from '../../lambda/log/logger.js';
import { loopLag } from './loop-lag.js';
import {
  type AcaFault,
  type AcaFaultKind,
  AcaWorld,
  deliveryScope,
  type EcsFault,
  type EcsFaultKind,
  EcsWorld,
  type EcsWorldOptions,
  FaultyLedger,
  Journal,
  type LedgerFaultKind,
  type ListFaultKind,
  sleep,
  type TemplateFaultKind,
} from './sim-cloud.js';
import { registerAca, registerEcs, type SimAcaJob } from './sim-wiring.js';

// ---------------------------------------------------------------- scale (real time, made small)

import { RETRY, SETTLE_MS, TEMPLATE_READ_MS } from './scale.js';

export { RETRY, SETTLE_MS };
/** A claim's lease outlives the request's deadline by this much. */
export const LEASE_MARGIN_MS = 30;
/** The lease margin `createLauncher`'s LedgeredLauncher uses (its default), scaled down by the ledger. */
const PRODUCTION_LEASE_MARGIN_MS = 5_000;
/**
 * An answer may come this long after its deadline, on top of the timer lateness measured while it
 * was open (loop-lag.ts). The launcher itself overruns only by ledger calls of >= 1 ms after the
 * deadline; the rest is the machine: 25 schedules share one event loop on a loaded 2-core machine,
 * and a continuation queued behind other schedules' callbacks is late by more than the monitor's
 * own timer shows (observed up to ~200 ms past the deadline with 50-80 ms of measured timer lag, on
 * a machine with a load average of 5). Half a second is never a false alarm there, while a launcher
 * that waits for a hang (the simulation's hangs last 3 s) or overruns its deadline by a whole
 * retry budget still fails the check.
 */
export const ANSWER_MARGIN_MS = 500;
/** Longest delay, after the caller gave up, before a late request takes effect (drawn per call). */
export const LATE_MAX_MS = 60;
const QUIET_TRIES = 10;
/** Deadlines of the schedules on dynalite are this many times longer. */
const DYNAMO_SCALE = 4;
/** A 503 that holds a key whose pending attempt went to a leg the new configuration lacks. */
const HELD = /no longer configured/;
const QUIET_GAP_MS = SETTLE_MS + 5;
// Long enough for a ledger, a list and a launch on a loaded machine: the quiet phase tests liveness.
const QUIET_DEADLINE_MS = 150;

const silent = new Logger(() => {}, 'error');

// ---------------------------------------------------------------- the schedule

/**
 * Deployments: `legacy-ecs` is a release from before the ledger table (plain ECS on the RunTask
 * token alone); every other one is what `createLauncher` builds today for its settings.
 */
export const CONFIGS = [
  'legacy-ecs',
  'single-ecs',
  'spot-then-ondemand',
  'two-regions',
  'ecs-then-aca',
  'aca',
] as const;
export type ConfigName = (typeof CONFIGS)[number];

export interface Delivery {
  readonly key: number;
  /** Which container of its version: 0 or 1; during the overlap, 0 is the old version, 1 the new. */
  readonly container: 0 | 1;
  /** ms after the schedule starts */
  readonly at: number;
  readonly deadlineMs: number;
  /** Delivered by another Scalr task under the same Idempotency-Key. */
  readonly reuse: boolean;
}

export interface Schedule {
  /** The deployment at the start. */
  readonly from: ConfigName;
  /** The deployment after the change (`from` when nothing changes). */
  readonly to: ConfigName;
  /** When the new version's containers start taking deliveries, and how long both versions do. */
  readonly deployAt: number;
  readonly overlapMs: number;
  readonly keys: number;
  readonly deliveries: readonly Delivery[];
  readonly ecsA: readonly EcsFault[];
  readonly ecsB: readonly EcsFault[];
  readonly regionADown: boolean;
  readonly regionBDown: boolean;
  readonly ecsWorld: EcsWorldOptions;
  readonly acaStarts: readonly AcaFault[];
  readonly acaLists: readonly ListFaultKind[];
  readonly acaTemplates: readonly TemplateFaultKind[];
  readonly acaLags: readonly number[];
  readonly acaPageSize: number;
  readonly acaBackground: number;
  readonly templateTtlMs: number;
  readonly ledger: readonly LedgerFaultKind[];
  /** `dynamo`: DynamoDbLedger on dynalite (only when a table was given with `useDynalite`). */
  readonly ledgerKind: 'memory' | 'dynamo';
}

const ECS_FAULTS: readonly EcsFaultKind[] = [
  'ok',
  'capacity',
  'capacityUnchecked',
  'denied',
  'throttle',
  'error5xx',
  'started5xx',
  'lost',
  'late',
  'slow',
  'hang',
];

export const ecsFault: fc.Arbitrary<EcsFault> = fc.record({
  kind: fc.constantFrom<EcsFaultKind>(...ECS_FAULTS),
  ms: fc.integer({ min: 0, max: LATE_MAX_MS }),
});

/**
 * An ECS fault script. Half start with the pattern the bad day is made of: an attempt that
 * may have started a task (answer lost, 5xx after the start, late effect), then a refusal of the
 * retry with the same token (capacity `failures` with or without the token check, a
 * configuration-type 4xx).
 */
export const ecsScript: fc.Arbitrary<EcsFault[]> = fc.oneof(
  { arbitrary: fc.array(ecsFault, { maxLength: 12 }), weight: 1 },
  {
    arbitrary: fc
      .tuple(
        // Short: the retry must fit in the leg's share of the deadline (a late effect lands later).
        fc.record({
          kind: fc.constantFrom<EcsFaultKind>('lost', 'started5xx', 'late', 'slow'),
          ms: fc.integer({ min: 0, max: 10 }),
        }),
        fc.record({
          kind: fc.constantFrom<EcsFaultKind>('capacityUnchecked', 'capacityUnchecked', 'capacity', 'denied'),
          ms: fc.integer({ min: 0, max: 10 }),
        }),
        fc.array(ecsFault, { maxLength: 10 }),
      )
      .map(([first, second, rest]) => [first, second, ...rest]),
    weight: 1,
  },
);

const acaFault: fc.Arbitrary<AcaFault> = fc.record({
  kind: fc.constantFrom<AcaFaultKind>(
    'ok',
    'accepted202',
    'throttle429',
    'error5xx',
    'started5xx',
    'lost',
    'late',
    'slow',
    'hang',
  ),
  ms: fc.integer({ min: 0, max: 40 }),
});

/** True in one schedule of `n`. */
const oneIn = (n: number) =>
  fc.oneof({ arbitrary: fc.constant(false), weight: n - 1 }, { arbitrary: fc.constant(true), weight: 1 });

const delivery: fc.Arbitrary<Delivery> = fc.record({
  key: fc.constant(0),
  container: fc.constantFrom<0 | 1>(0, 1),
  at: fc.integer({ min: 0, max: 150 }),
  deadlineMs: fc.integer({ min: 40, max: 80 }),
  reuse: oneIn(4),
});

/** Old and new deployment: half the schedules change configuration, half keep one. */
const deployment: fc.Arbitrary<{ from: ConfigName; to: ConfigName }> = fc
  // The release without a ledger table twice as often: upgrades from it are where records are missing.
  .constantFrom<ConfigName>('legacy-ecs', ...CONFIGS)
  .chain((from) =>
    fc.oneof(
      { arbitrary: fc.constant({ from, to: from }), weight: 1 },
      {
        // A redeploy goes to today's release: never back to the one without a ledger table. From
        // that one, only to ECS on the same cluster (plain, or Spot → on-demand): a release that
        // brings the ledger and moves keys in flight to another Region or platform in one deploy
        // has no record of them (a residual risk in docs/reliability.md, not a property). Spot →
        // on-demand is kept (it is where a reused key meets ECS's token conflict, case 4), and
        // `check` accepts the one double that upgrade documents (see `upgradeResidual`).
        arbitrary: fc
          .constantFrom(
            ...CONFIGS.filter(
              (c) =>
                c !== 'legacy-ecs' &&
                c !== from &&
                (from !== 'legacy-ecs' || c === 'single-ecs' || c === 'spot-then-ondemand'),
            ),
          )
          .map((to) => ({ from, to })),
        weight: 1,
      },
    ),
  );

let dynamoClient: DynamoDBClient | undefined;
let dynamoTable = 'ledger';

/** Lets a slice of the schedules use DynamoDbLedger on this (dynalite) table; once per test file. */
export function useDynalite(client: DynamoDBClient | undefined, tableName = 'ledger'): void {
  dynamoClient = client;
  dynamoTable = tableName;
}

export const scheduleArb: fc.Arbitrary<Schedule> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), deployment)
  .chain(([keys, { from, to }]) =>
    fc.record({
      from: fc.constant(from),
      to: fc.constant(to),
      deployAt: fc.integer({ min: 0, max: 120 }),
      overlapMs: fc.integer({ min: 0, max: 80 }),
      keys: fc.constant(keys),
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
      ecsA: ecsScript,
      ecsB: ecsScript,
      regionADown: oneIn(5),
      regionBDown: oneIn(5),
      ecsWorld: fc.record(
        {
          // Agents that finish, and stopped tasks ECS forgot (MISSING) while their token still answers.
          lifetimeMs: fc.integer({ min: 10, max: 200 }),
          forgetMs: fc.integer({ min: 0, max: 100 }),
          readLagMs: fc.integer({ min: 0, max: 30 }),
          pageSize: fc.integer({ min: 1, max: 3 }),
        },
        { requiredKeys: ['readLagMs', 'pageSize'] },
      ),
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
      // A faultless ledger in a third of the schedules: the platform's faults alone.
      ledger: fc.oneof(
        { arbitrary: fc.constant<LedgerFaultKind[]>([]), weight: 1 },
        {
          arbitrary: fc.array(
            fc.constantFrom<LedgerFaultKind>('ok', 'ok', 'ok', 'lost', 'throttle', 'hang', 'appliedHang'),
            { maxLength: 24 },
          ),
          weight: 2,
        },
      ),
      // One schedule in 40 on the real ledger: each dynalite call costs milliseconds of CPU (SDK and
      // dynalite in this process), the budget of `npm test` allows about 25 such schedules.
      ledgerKind: fc.oneof(
        { arbitrary: fc.constant<'memory' | 'dynamo'>('memory'), weight: 39 },
        { arbitrary: fc.constant<'memory' | 'dynamo'>('dynamo'), weight: 1 },
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

/** One schedule's simulated cloud and ledger, shared by every container of both versions. */
export interface Cloud {
  readonly journal: Journal;
  readonly ecsA: EcsWorld;
  readonly ecsB: EcsWorld;
  readonly aca: AcaWorld;
  readonly ledger: FaultyLedger;
  /** `AWS_ENDPOINT_URL_ECS` for `world`, its RunTasks labelled `by` (the deployment version). */
  endpoint(world: EcsWorld, by: string): string;
  /** `ACA_JOB_NAME` of the job, its starts labelled `by`. */
  acaJob(by: string): string;
  readonly templateTtlMs: number;
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

/** The environment a deployment of `config` reads, pointed at this schedule's simulated cloud. */
function envFor(config: ConfigName, cloud: Cloud, version: string): Record<string, string> {
  const env: Record<string, string> = {
    LAUNCH_TARGET: config === 'aca' ? 'aca' : 'ecs',
    ECS_CLUSTER: ECS_CONFIG.cluster,
    ECS_TASK_DEFINITION: ECS_CONFIG.taskDefinition,
    ECS_CONTAINER_NAME: ECS_CONFIG.containerName,
    ECS_SUBNETS: ECS_CONFIG.subnets.join(','),
    ECS_CAPACITY: config === 'spot-then-ondemand' ? 'FARGATE_SPOT_THEN_FARGATE' : 'FARGATE',
    AWS_REGION: cloud.ecsA.region,
    AWS_ENDPOINT_URL_ECS: cloud.endpoint(cloud.ecsA, version),
    ACA_SUBSCRIPTION_ID: ACA_CONFIG.subscriptionId,
    ACA_RESOURCE_GROUP: ACA_CONFIG.resourceGroup,
    ACA_JOB_NAME: cloud.acaJob(version),
    ACA_CONTAINER_NAME: 'agent',
    AZURE_AUTH: 'client-secret',
    AZURE_CREDENTIALS_SECRET_ARN: 'azure-creds',
    // The settle time is scaled to SETTLE_MS by the mocked loadAcaConfig (the variable takes seconds).
    ACA_LIST_SETTLE_SECONDS: '1',
    ACA_TEMPLATE_TTL_SECONDS: String(cloud.templateTtlMs / 1000),
    // Every deployed stack names its ledger table (the launcher gets `cloud.ledger` in its place).
    LEDGER_TABLE_NAME: 'agent-dispatcher-ledger',
  };
  if (config === 'two-regions') {
    env.FAILOVER_TARGETS = 'ecs:SECONDARY';
    env.SECONDARY_AWS_REGION = cloud.ecsB.region;
    env.SECONDARY_AWS_ENDPOINT_URL_ECS = cloud.endpoint(cloud.ecsB, version);
  }
  if (config === 'ecs-then-aca') env.FAILOVER_TARGETS = 'aca';
  return env;
}

function dispatcherConfig(target: LaunchTarget): DispatcherConfig {
  return {
    target,
    webhookSecret: { kind: 'literal', value: '', envName: 'none' },
    agentToken: undefined,
    launchDeadlineMs: QUIET_DEADLINE_MS,
    retryAfterSeconds: 1,
    secretTtlSeconds: 300,
    secretStaleSeconds: 900,
    maxBodyBytes: 0,
  };
}

/**
 * One container of deployment `config` (`version` v0 old, v1 new): its own legs, clients, template
 * cache and launcher, built by the registry, over the shared cloud and ledger.
 */
export async function container(config: ConfigName, cloud: Cloud, version: string): Promise<Launcher> {
  const env = envFor(config, cloud, version);
  const target: LaunchTarget = config === 'aca' ? 'aca' : 'ecs';
  const context = { env, config: dispatcherConfig(target), logger: silent };
  if (config === 'legacy-ecs') {
    const [leg] = createEcsLegs(context, 'ecs');
    if (leg === undefined) throw new Error('no ECS leg');
    return new SingleLegLauncher(leg);
  }
  return createLauncher({ ...context, ledger: cloud.ledger });
}

/** An ACA leg on `world` with its own template cache (one per container). */
export function acaLegOn(world: AcaJobApi, templateTtlMs: number, name?: string): AcaLeg {
  return new AcaLeg(
    world,
    new TemplateCache((signal) => world.readJob(signal), {
      jobName: ACA_CONFIG.jobName,
      containerName: ACA_CONFIG.containerName,
      ttlMs: templateTtlMs,
      readTimeoutMs: TEMPLATE_READ_MS,
    }),
    ACA_CONFIG,
    { retry: RETRY, retryAfterSeconds: 1, ...(name === undefined ? {} : { name }) },
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

let cloudCounter = 0;

/** A simulated cloud and ledger for one schedule; `close` unregisters it. */
export function simCloud(
  schedule: Pick<
    Schedule,
    | 'ecsA'
    | 'ecsB'
    | 'regionADown'
    | 'regionBDown'
    | 'ecsWorld'
    | 'acaStarts'
    | 'acaLists'
    | 'acaTemplates'
    | 'acaLags'
    | 'acaPageSize'
    | 'acaBackground'
    | 'templateTtlMs'
    | 'ledger'
    | 'ledgerKind'
  >,
  journal: Journal,
): Cloud & { id: number; close: () => void } {
  const id = ++cloudCounter;
  const drops: (() => void)[] = [];
  const ecsA = new EcsWorld('us-east-1', schedule.ecsA, schedule.regionADown, journal, schedule.ecsWorld);
  const ecsB = new EcsWorld('us-west-2', schedule.ecsB, schedule.regionBDown, journal, schedule.ecsWorld);
  const aca = new AcaWorld(
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
  );
  const inner: LaunchLedger =
    schedule.ledgerKind === 'dynamo' && dynamoClient !== undefined
      ? new DynamoDbLedger(dynamoClient, {
          tableName: dynamoTable,
          scope: `schedule-${id}`,
          ttlSeconds: 3_600,
          retryAfterSeconds: 1,
        })
      : new MemoryLedger({ ttlMs: 3_600_000 });
  const ledger = new FaultyLedger(inner, schedule.ledger, journal, {
    productionMarginMs: PRODUCTION_LEASE_MARGIN_MS,
    leaseMarginMs: LEASE_MARGIN_MS,
  });
  return {
    id,
    journal,
    ecsA,
    ecsB,
    aca,
    ledger,
    endpoint: (world, by) => {
      const { endpoint, drop } = registerEcs(`${id}/${world.region}/${by}`, world.client(by));
      drops.push(drop);
      return endpoint;
    },
    templateTtlMs: schedule.templateTtlMs,
    acaJob: (by) => {
      const job = `sim-${id}-${by}`;
      const api: AcaJobApi = {
        readJob: (signal) => aca.readJob(signal),
        start: (template, signal) => aca.start(template, signal, by),
        findExecution: (key, signal) => aca.findExecution(key, signal),
      };
      drops.push(registerAca(job, api as SimAcaJob).drop);
      return job;
    },
    close: () => {
      for (const drop of drops) drop();
    },
  };
}

/** Waits until every late request has landed (late effects may start more late effects: none do). */
export async function landed(cloud: Cloud): Promise<void> {
  for (const world of [cloud.ecsA, cloud.ecsB, cloud.aca]) {
    for (let n = 0; n < world.landing.length; n++) await world.landing[n];
  }
}

// ---------------------------------------------------------------- running and checking

export interface Answer {
  readonly key: number;
  readonly taskId: string;
  readonly container: string;
  readonly phase: 'faults' | 'quiet';
  readonly startedAt: number;
  readonly deadline: number;
  readonly answeredAt: number;
  readonly result?: LaunchResult;
  readonly error?: Error;
}

/** An agent the simulated cloud started, by launch id (ARN, execution id, name or operation). */
export interface Agent {
  readonly key: string;
  readonly taskId: string;
  /** Which deployment started it (v0 old, v1 new). */
  readonly by: string;
  readonly launchId: string;
  /** The ECS capacity provider it runs on (ACA: undefined). */
  readonly provider?: string;
}

export interface Outcome {
  readonly violations: string[];
  readonly journal: Journal;
  readonly answers: Answer[];
  readonly agents: Agent[];
}

/** The Scalr task of a delivery: the key's own, or another task reusing its Idempotency-Key. */
const taskOf = (dedupKey: string, reuse: boolean) => (reuse ? `${dedupKey}-other-task` : dedupKey);

let scheduleCounter = 0;

/**
 * What the dispatcher does with a launcher: where launch-outcome.ts has `launchOutcome` and
 * `resultOf` (typed outcomes, the fix of issue 20's case 2), the answer goes through them, as in
 * dispatcher.ts; before that, `launch` itself.
 */
async function launchAsDispatcher(launcher: Launcher, request: LaunchRequest): Promise<LaunchResult> {
  const typed = outcomes as unknown as {
    launchOutcome?: (launcher: Launcher, request: LaunchRequest) => Promise<unknown>;
    resultOf?: (outcome: unknown, retryAfterSeconds: number) => LaunchResult;
  };
  if (typed.launchOutcome === undefined || typed.resultOf === undefined) return launcher.launch(request);
  return typed.resultOf(await typed.launchOutcome(launcher, request), 1);
}

/** Runs one schedule: builds its containers, then plays it. */
export async function runSchedule(schedule: Schedule): Promise<Outcome> {
  return (await prepareSchedule(schedule))();
}

/**
 * Builds a schedule's containers (module loading through the registry takes CPU time), returning
 * the function that plays it: a batch builds every schedule first, so no build stalls another's
 * clock.
 */
export async function prepareSchedule(schedule: Schedule): Promise<() => Promise<Outcome>> {
  const journal = new Journal();
  const id = ++scheduleCounter;
  const keyName = (k: number) => `atask-s${id}-k${k}`;
  const cloud = simCloud(schedule, journal);
  let launchers: readonly [readonly [Launcher, Launcher], readonly [Launcher, Launcher]];
  try {
    launchers = [
      [await container(schedule.from, cloud, 'v0'), await container(schedule.from, cloud, 'v0')],
      [await container(schedule.to, cloud, 'v1'), await container(schedule.to, cloud, 'v1')],
    ] as const;
  } catch (error) {
    cloud.close();
    throw error;
  }
  return () => play(schedule, cloud, launchers, journal, keyName);
}

async function play(
  schedule: Schedule,
  cloud: Cloud & { close: () => void },
  launchers: readonly [readonly [Launcher, Launcher], readonly [Launcher, Launcher]],
  journal: Journal,
  keyName: (k: number) => string,
): Promise<Outcome> {
  journal.restart();
  try {
    const answers: Answer[] = [];
    let delivered = 0;

    const deliver = async (
      key: number,
      taskId: string,
      version: 0 | 1,
      index: 0 | 1,
      deadlineMs: number,
      phase: Answer['phase'],
    ): Promise<Answer> =>
      // Every line this delivery's calls cause is tagged with it (see `upgradeResidual`).
      deliveryScope.run(`d${++delivered}`, async () => {
        const startedAt = Date.now();
        // DynamoDbLedger on dynalite: real HTTP calls of a few ms each (tens under load), not microseconds.
        const deadline = startedAt + deadlineMs * (schedule.ledgerKind === 'dynamo' ? DYNAMO_SCALE : 1);
        const dedupKey = keyName(key);
        const name = `v${version}c${index}`;
        journal.log(`deliver ${dedupKey} (${taskId}) to ${name} (deadline +${deadlineMs}) [${phase}]`);
        const base = { key, taskId, container: name, phase, startedAt, deadline };
        let answer: Answer;
        try {
          const result = await launchAsDispatcher(launchers[version][index], {
            dedupKey,
            taskId,
            manual: false,
            action: 'plan',
            runId: `run-${key}`,
            deadline,
          });
          answer = { ...base, answeredAt: Date.now(), result };
          journal.log(`answer ${dedupKey} ${name}: 2xx ${result.launchId}`);
        } catch (error) {
          answer = { ...base, answeredAt: Date.now(), error: error as Error };
          journal.log(
            `answer ${dedupKey} ${name}: ${(error as Error).name}: ${(error as Error).message.slice(0, 160)}`,
          );
        }
        answers.push(answer);
        return answer;
      });

    // Fault phase: every delivery at its time, to the version deployed then; overlapping ones run
    // concurrently.
    const versionAt = (d: Delivery): 0 | 1 =>
      d.at < schedule.deployAt ? 0 : d.at >= schedule.deployAt + schedule.overlapMs ? 1 : d.container;
    await Promise.all(
      schedule.deliveries.map(async (d) => {
        await sleep(d.at);
        const taskId = taskOf(keyName(d.key), d.reuse);
        await deliver(d.key, taskId, versionAt(d), d.container, d.deadlineMs, 'faults');
      }),
    );

    // Late requests land; then the faults end (the lists still lag) and the new version alone
    // delivers each key (as the task its agent serves, if any) until it gets a 2xx or a 422.
    await landed(cloud);
    for (const world of [cloud.ecsA, cloud.ecsB, cloud.aca, cloud.ledger]) world.quiet = true;
    journal.log('--- quiet ---');
    await Promise.all(
      Array.from({ length: schedule.keys }, async (_, key) => {
        let taskId = keyName(key);
        for (let n = 0; n < QUIET_TRIES; n++) {
          const agent = agentsOf(cloud, keyName).find((a) => a.key === keyName(key));
          taskId = agent?.taskId ?? taskId;
          const answer = await deliver(key, taskId, 1, (n % 2) as 0 | 1, QUIET_DEADLINE_MS, 'quiet');
          if (answer.result !== undefined) return;
          // The key belongs to the other Scalr task (it claimed first): that one is redelivered.
          if (answer.error instanceof IdempotencyKeyReusedError) {
            taskId = taskId === keyName(key) ? taskOf(keyName(key), true) : keyName(key);
          }
          // Held on purpose across the configuration change: 503 until the record expires.
          if (answer.error !== undefined && HELD.test(answer.error.message)) return;
          await sleep(QUIET_GAP_MS);
        }
      }),
    );
    await landed(cloud);
    const agents = agentsOf(cloud, keyName);
    return { violations: check(schedule, cloud, answers, agents, keyName), journal, answers, agents };
  } finally {
    cloud.close();
  }
}

/** Every agent started for one of this schedule's keys, whichever world started it. */
function agentsOf(cloud: Cloud, keyName: (k: number) => string): Agent[] {
  const keyByStartedBy = new Map(
    Array.from({ length: 3 }, (_, k) => [startedByFor(keyName(k)), keyName(k)] as const),
  );
  return [
    ...[...cloud.ecsA.tasks, ...cloud.ecsB.tasks].map((task) => ({
      key: keyByStartedBy.get(task.startedBy) ?? `unknown:${task.startedBy}`,
      taskId: task.taskId,
      by: task.by,
      launchId: task.arn,
      provider: task.provider,
    })),
    ...cloud.aca.executions
      .filter((execution) => !execution.dedupKey.startsWith('other-key-'))
      .map((execution) => ({
        key: execution.dedupKey,
        taskId: execution.taskId,
        by: execution.by,
        launchId: execution.id,
      })),
  ];
}

function check(
  schedule: Schedule,
  cloud: Cloud,
  answers: Answer[],
  agents: Agent[],
  keyName: (k: number) => string,
): string[] {
  const violations = [...cloud.journal.bugs];
  const byLaunchId = new Map<string, Agent>();
  for (const agent of agents) byLaunchId.set(agent.launchId, agent);
  for (const execution of cloud.aca.executions) {
    const agent = byLaunchId.get(execution.id);
    if (agent === undefined) continue;
    byLaunchId.set(execution.name, agent);
    byLaunchId.set(execution.operation, agent);
  }
  const denied = [...schedule.ecsA, ...schedule.ecsB].some((f) => f.kind === 'denied');
  const reusedKeys = new Set(schedule.deliveries.filter((d) => d.reuse).map((d) => d.key));

  for (let k = 0; k < schedule.keys; k++) {
    const key = keyName(k);
    const started = agents.filter((a) => a.key === key);
    // (1) at most one agent per key, across every world, version and Scalr task.
    if (started.length > 1 && !upgradeResidual(schedule, cloud.journal, key, started)) {
      violations.push(
        `(1) ${key}: ${started.length} agents started: ${started.map((a) => `${a.launchId} [${a.taskId} by ${a.by}]`).join(', ')}`,
      );
    }
    // (4) exactly one after the quiet phase, answered 2xx (or 422 to a reused key).
    const quiet = answers.filter((a) => a.key === k && a.phase === 'quiet');
    // After a configuration change, a key whose pending attempt went to a leg that is gone is held
    // (503) until its record expires: what docs/reliability.md promises, not a lost launch.
    const last = quiet.at(-1)?.error;
    // A key two Scalr tasks used may end refused for the task that cannot prove the agent its own
    // (422, or a 503 while ECS's task for the token is MISSING): the tasks' redeliveries end there.
    const settledReuse =
      reusedKeys.has(k) &&
      (quiet.some((a) => a.error instanceof IdempotencyKeyReusedError) ||
        /MISSING/.test(last?.message ?? ''));
    // A conflicting task ECS no longer describes (MISSING) holds a key that is its own task id at 503
    // until the token expires, once an agent was started for it: docs/reliability.md, residual risk
    // "A conflicting ECS task that can no longer be described, key = task id".
    const missingHeld = started.length > 0 && /MISSING/.test(last?.message ?? '');
    const held =
      settledReuse || missingHeld || (schedule.from !== schedule.to && HELD.test(last?.message ?? ''));
    if (started.length === 0 && !held) violations.push(`(4) ${key}: no agent started after the quiet phase`);
    if (!held && !quiet.some((a) => a.result !== undefined)) {
      violations.push(
        `(4) ${key}: no 2xx after ${quiet.length} quiet deliveries; last: ${quiet.at(-1)?.error?.message.slice(0, 200)}`,
      );
    }
  }
  for (const a of answers) {
    const key = keyName(a.key);
    // (2) every 2xx names an agent started for its key and its Scalr task.
    if (a.result !== undefined) {
      const agent = byLaunchId.get(a.result.launchId);
      if (agent === undefined)
        violations.push(`(2) ${key}: 2xx names ${a.result.launchId}, which never started`);
      else if (agent.key !== key)
        violations.push(`(2) ${key}: 2xx names ${a.result.launchId}, started for ${agent.key}`);
      else if (agent.taskId !== a.taskId)
        violations.push(
          `(2) ${key}: 2xx to task ${a.taskId} names ${a.result.launchId}, the agent of task ${agent.taskId}`,
        );
    }
    // (3) every answer within its deadline + margin.
    const late = a.answeredAt - a.deadline;
    const stalled = loopLag.between(a.startedAt, a.answeredAt);
    if (late > ANSWER_MARGIN_MS + stalled) {
      violations.push(
        `(3) ${key} ${a.container} [${a.phase}]: answered ${late} ms after its deadline (timers ran ${stalled} ms late meanwhile)`,
      );
    }
    // (5) every error is a 503, but for a configuration error ECS reported (a 500) and a reused key (422).
    const allowed =
      a.error instanceof TemporarilyUnavailableError ||
      (a.error instanceof ConfigError && denied && a.phase === 'faults') ||
      (a.error instanceof IdempotencyKeyReusedError && reusedKeys.has(a.key));
    if (a.error !== undefined && !allowed) {
      violations.push(`(5) ${key}: answered ${a.error.name}: ${a.error.message.slice(0, 200)}`);
    }
  }
  return violations;
}

/**
 * The one double docs/reliability.md accepts ("Across configuration changes", row "Upgrade of a
 * plain ECS stack from before the ledger"): a deploy that upgrades from the release without a
 * ledger table and switches to Spot → on-demand at once has no record of the old release's launch;
 * a delivery whose Spot call never reaches ECS's token check (throttled, out of time) moves on to
 * the on-demand leg, whose derived token ECS has never seen. Each delivery decides anew: an earlier
 * one that met the token conflict and answered 422 (the old task MISSING, the key not its task id)
 * leaves nothing in the ledger that stops a later one. Exactly: two agents, one started by the old
 * release, one by the new one on its on-demand leg (in either order), and no delivery of the new
 * release that wrote an on-demand attempt for the key had a Spot call of its own meet the token
 * conflict (one that did must decide from the conflicting task, case 4: a reused key ends at 422,
 * never on the next leg; a call whose answer was lost or that landed late leaves it unsure, case 3:
 * it stays on Spot). Which delivery caused a journal line is its `[dN]` tag (`deliveryScope`).
 */
export function upgradeResidual(
  schedule: Pick<Schedule, 'from' | 'to'>,
  journal: Journal,
  key: string,
  started: readonly Agent[],
): boolean {
  if (schedule.from !== 'legacy-ecs' || schedule.to !== 'spot-then-ondemand' || started.length !== 2)
    return false;
  // In either order: during the overlap an old container may launch after the new one did.
  const old = started.find((agent) => agent.by === 'v0');
  const upgraded = started.find((agent) => agent.by === 'v1' && agent.provider === 'FARGATE');
  if (old === undefined || upgraded === undefined) return false;
  const onDemandAttempt = `ledger addAttempt ${key} `;
  const spotConflict = `CONFLICT ${startedByFor(key)} FARGATE_SPOT `;
  const movedOn = new Set<string>();
  const conflicted = new Set<string>();
  for (const line of journal.lines) {
    const [, delivery, what] = /^\+\d+ \[(d\d+)\] (.*)$/.exec(line) ?? [];
    if (delivery === undefined || what === undefined) continue;
    // `… 2:ecs/FARGATE_AFTER_SPOT (at +t until +t) by <owner>` (FaultyLedger's line).
    if (what.startsWith(onDemandAttempt) && /:ecs\/FARGATE_AFTER_SPOT (\([^)]*\) )?by /.test(what))
      movedOn.add(delivery);
    if (what.includes(spotConflict) && what.endsWith(' by v1')) conflicted.add(delivery);
  }
  return movedOn.size > 0 && [...movedOn].every((delivery) => !conflicted.has(delivery));
}

/** A schedule and what happened, for the failure message. */
export function explain(schedule: Schedule, outcome: Outcome): string {
  return [
    `violations:\n  ${outcome.violations.join('\n  ')}`,
    `schedule: ${JSON.stringify(schedule)}`,
    `journal:\n  ${outcome.journal.lines.join('\n  ')}`,
  ].join('\n');
}
