/**
 * The env0 poller (pull mode) as a second client of the exactly-once invariant: one or two pollers
 * sharing one pool record (MemoryPoolStore, or DynamoDbPoolStore on dynalite for a slice) poll a
 * scripted queue and launch through the registry's launcher over the simulated ECS, with its faults
 * (lost answers, a retry refused by a configuration-type 4xx, late effects, lagging reads, tasks
 * ECS forgot). Checked: never more than `maxExecutions` agents alive; every agent started before a
 * poll is tracked by the pool after it until it ends; two pollers never both decide.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { Logger } from '../../lambda/log/logger.js';
import { DynamoDbPoolStore } from '../../lambda/poller/dynamodb-pool-store.js';
import { EcsAgentStatus } from '../../lambda/poller/ecs-agent-status.js';
import { MemoryPoolStore } from '../../lambda/poller/memory-pool-store.js';
import { Poller } from '../../lambda/poller/poller.js';
import type { LeaseOutcome, PoolStore, TrackedAgent } from '../../lambda/poller/pool-store.js';
import { type Cloud, type ConfigName, container, ecsScript, simCloud } from './schedule.js';
import { type EcsFault, Journal, sleep } from './sim-cloud.js';

const silent = new Logger(() => {}, 'error');
/** Poll budget and lease: the poller keeps 1 s of either for bookkeeping, leaving 100 ms to launch. */
const POLL_BUDGET_MS = 1_100;

export interface PollerSchedule {
  readonly config: Extract<ConfigName, 'single-ecs' | 'spot-then-ondemand' | 'legacy-ecs'>;
  readonly maxExecutions: number;
  readonly polls: readonly { readonly poller: 0 | 1; readonly at: number; readonly release: boolean }[];
  /** `pendingCount` answers, one per queue read (then 1). */
  readonly pending: readonly number[];
  readonly ecsA: readonly EcsFault[];
  readonly lifetimeMs: number;
  readonly forgetMs: number;
  readonly readLagMs: number;
  readonly store: 'memory' | 'dynamo';
}

export const pollerScheduleArb: fc.Arbitrary<PollerSchedule> = fc.record({
  config: fc.constantFrom<PollerSchedule['config']>('single-ecs', 'spot-then-ondemand', 'legacy-ecs'),
  maxExecutions: fc.integer({ min: 1, max: 2 }),
  polls: fc.array(
    fc.record({
      poller: fc.constantFrom<0 | 1>(0, 1),
      at: fc.integer({ min: 0, max: 300 }),
      release: fc.boolean(),
    }),
    { minLength: 2, maxLength: 8 },
  ),
  pending: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 10 }),
  ecsA: ecsScript,
  lifetimeMs: fc.integer({ min: 60, max: 400 }),
  forgetMs: fc.integer({ min: 0, max: 200 }),
  readLagMs: fc.integer({ min: 0, max: 30 }),
  store: fc.oneof(
    { arbitrary: fc.constant<'memory' | 'dynamo'>('memory'), weight: 9 },
    { arbitrary: fc.constant<'memory' | 'dynamo'>('dynamo'), weight: 1 },
  ),
});

/** Records what the pool decided and who held the lease, around any store. */
class RecordingStore implements PoolStore {
  agents: readonly TrackedAgent[] = [];
  private holder: { owner: string; until: number } | undefined;
  readonly violations: string[] = [];

  constructor(
    private readonly inner: PoolStore,
    private readonly journal: Journal,
  ) {}

  async acquire(owner: string, leaseUntil: number, signal: AbortSignal): Promise<LeaseOutcome> {
    const outcome = await this.inner.acquire(owner, leaseUntil, signal);
    if (outcome.kind === 'acquired') {
      this.holder = { owner, until: leaseUntil };
      this.agents = outcome.agents;
    }
    this.journal.log(`pool acquire ${owner} -> ${outcome.kind}`);
    return outcome;
  }

  async save(owner: string, agents: readonly TrackedAgent[], signal: AbortSignal): Promise<boolean> {
    const before = new Set(this.agents.map((a) => a.key));
    // The store checks the owner somewhere between sending and answering (the memory store at once);
    // a decision sent while the lease lasted may be answered after it on a loaded machine.
    const sentAt = Date.now();
    const ok = await this.inner.save(owner, agents, signal);
    if (!ok) return false;
    const decided = agents.filter((a) => !before.has(a.key)).map((a) => a.key);
    // (P3) only the lease holder decides, and only while its lease lasts.
    if (decided.length > 0) {
      const holder = this.holder;
      if (holder === undefined || holder.owner !== owner || holder.until < sentAt) {
        this.violations.push(
          `(P3) ${owner} decided ${decided.join(', ')} while ${holder?.owner ?? 'nobody'} held the lease`,
        );
      }
    }
    this.agents = agents;
    this.journal.log(
      `pool save ${owner}: ${agents.map((a) => `${a.key}${a.launchId ? `=${a.launchId.slice(-14)}` : ' (planned)'}`).join(', ')}`,
    );
    return true;
  }

  async release(owner: string, signal: AbortSignal): Promise<void> {
    await this.inner.release(owner, signal);
    if (this.holder?.owner === owner) this.holder = undefined;
  }
}

let pollerCounter = 0;

export interface PollerOutcome {
  readonly violations: string[];
  readonly journal: Journal;
}

export async function runPollerSchedule(
  schedule: PollerSchedule,
  dynamo: { client: DynamoDBClient; tableName: string } | undefined,
): Promise<PollerOutcome> {
  const journal = new Journal();
  const id = ++pollerCounter;
  const cloud: Cloud & { close: () => void } = simCloud(
    {
      ecsA: schedule.ecsA,
      ecsB: [],
      regionADown: false,
      regionBDown: false,
      ecsWorld: {
        lifetimeMs: schedule.lifetimeMs,
        forgetMs: schedule.forgetMs,
        readLagMs: schedule.readLagMs,
        pageSize: 2,
      },
      acaStarts: [],
      acaLists: [],
      acaTemplates: [],
      acaLags: [],
      acaPageSize: 2,
      acaBackground: 0,
      templateTtlMs: 0,
      ledger: [],
      ledgerKind: 'memory',
    },
    journal,
  );
  const violations: string[] = [];
  try {
    const inner: PoolStore =
      schedule.store === 'dynamo' && dynamo !== undefined
        ? new DynamoDbPoolStore(dynamo.client, { tableName: dynamo.tableName, scope: `pool-${id}` })
        : new MemoryPoolStore();
    const store = new RecordingStore(inner, journal);
    const world = cloud.ecsA;
    let reads = 0;
    const pollers = await Promise.all(
      [0, 1].map(async (index) => {
        const launcher = await container(schedule.config, cloud, `p${index}`);
        return new Poller({
          scaling: {
            minExecutions: 0,
            maxExecutions: schedule.maxExecutions,
            targetValue: 1,
            activationTargetValue: 0,
          },
          readPending: async () => {
            const pending = world.quiet ? 1 : (schedule.pending[reads++] ?? 1);
            journal.log(`queue pendingCount=${pending}`);
            return pending;
          },
          launcher,
          statuses: new EcsAgentStatus(world.client(`p${index}`) as unknown as ECSClient, {
            cluster: 'agents',
            replicaTimeoutSeconds: 0.15,
            logger: silent,
          }),
          store,
          logger: silent,
          pollBudgetMs: POLL_BUDGET_MS,
          leaseMs: POLL_BUDGET_MS,
          keyPrefix: `env0-${id}`,
          owner: `poller-${index}`,
        });
      }),
    );

    const tracked = (startedBy: string) =>
      store.agents.some((agent) => startedByFor(agent.key) === startedBy);
    const poll = async (index: 0 | 1, release: boolean) => {
      const poller = pollers[index];
      if (poller === undefined) return;
      const began = Date.now();
      const report = await poller.pollOnce();
      journal.log(`poll p${index}: ${JSON.stringify(report)}`);
      if (report.outcome !== 'busy' && !(report.reason === 'lease_held')) {
        // (P2) every agent alive now that started before this poll is tracked by the pool.
        const now = Date.now();
        for (const task of world.aliveAt(now)) {
          if (task.at < began && !tracked(task.startedBy)) {
            violations.push(`(P2) ${task.arn} (${task.taskId}) is alive and untracked after a poll`);
          }
        }
      }
      // The invocation that polled ends its lease (not a poll that found another still running).
      if (release && report.reason !== 'poll_in_progress') await poller.release();
    };

    await Promise.all(
      schedule.polls.map(async (p) => {
        await sleep(p.at);
        await poll(p.poller, p.release);
      }),
    );
    for (const task of [world]) for (let n = 0; n < task.landing.length; n++) await task.landing[n];
    world.quiet = true;
    journal.log('--- quiet ---');
    for (let n = 0; n < 3; n++) {
      await poll(0, true);
      await sleep(20);
    }

    // (P1) never more than maxExecutions agents alive at once.
    const edges = world.tasks.flatMap((t) => [
      { at: t.at, d: 1 },
      { at: t.stoppedAt, d: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.d - b.d);
    let alive = 0;
    for (const edge of edges) {
      alive += edge.d;
      if (alive > schedule.maxExecutions) {
        violations.push(
          `(P1) ${alive} agents alive at +${edge.at - journal.origin} ms with maxExecutions=${schedule.maxExecutions}`,
        );
        break;
      }
    }
    violations.push(...store.violations, ...journal.bugs);
    return { violations, journal };
  } finally {
    cloud.close();
  }
}

export function explainPoller(schedule: PollerSchedule, outcome: PollerOutcome): string {
  return [
    `violations:\n  ${outcome.violations.join('\n  ')}`,
    `poller schedule: ${JSON.stringify(schedule)}`,
    `journal:\n  ${outcome.journal.lines.join('\n  ')}`,
  ].join('\n');
}
