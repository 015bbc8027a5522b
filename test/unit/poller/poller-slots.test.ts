import { describe, expect, it } from 'vitest';
import { ConfigError, TemporarilyUnavailableError } from '../../../lambda/errors.js';
import {
  accepted,
  ambiguous,
  type LaunchOutcome,
  type OutcomeLauncher,
  refused,
} from '../../../lambda/launchers/launch-outcome.js';
import type { LaunchRequest, LaunchResult } from '../../../lambda/launchers/launcher.js';
import { Logger } from '../../../lambda/log/logger.js';
import { type LaunchedAgent, TimedStatusReader } from '../../../lambda/poller/agent-status.js';
import { poolKeyPrefix } from '../../../lambda/poller/create-poller.js';
import { MemoryPoolStore } from '../../../lambda/poller/memory-pool-store.js';
import { Poller } from '../../../lambda/poller/poller.js';

/** A launcher that answers each call with the next scripted outcome (the last one repeats). */
class ScriptedLauncher implements OutcomeLauncher {
  readonly platform = 'scripted';
  readonly keys: string[] = [];
  constructor(private readonly script: ((key: string) => LaunchOutcome)[]) {}

  async tryLaunch(request: LaunchRequest): Promise<LaunchOutcome> {
    this.keys.push(request.dedupKey);
    const next = this.script.length > 1 ? this.script.shift() : this.script[0];
    return (next as (key: string) => LaunchOutcome)(request.dedupKey);
  }

  async launch(): Promise<LaunchResult> {
    throw new Error('the poller decides on tryLaunch(), never on launch()');
  }
}

const launched = (key: string) => accepted({ platform: 'scripted', launchId: `id-${key}`, duplicate: false });
const denied = () => refused(new ConfigError('access denied'));
const lost = () => ambiguous(new TemporarilyUnavailableError('answer lost', 5));

function poller(launcher: ScriptedLauncher, store = new MemoryPoolStore(), pending = 1) {
  return new Poller({
    scaling: { minExecutions: 0, maxExecutions: 1, targetValue: 1, activationTargetValue: 0 },
    readPending: async () => pending,
    launcher,
    statuses: new TimedStatusReader(3_600),
    store,
    logger: new Logger(() => {}, 'error'),
    pollBudgetMs: 5_000,
    leaseMs: 10_000,
    keyPrefix: 'env0-test',
  });
}

describe('Poller slots, decided on the launch outcome', () => {
  it('drops a slot refused in the poll that decided it: nothing can have started for its key', async () => {
    const launcher = new ScriptedLauncher([denied, launched]);
    const p = poller(launcher);

    const first = await p.pollOnce();
    const second = await p.pollOnce();

    expect(first).toMatchObject({ outcome: 'launched', started: 0 });
    expect(second).toMatchObject({ outcome: 'launched', started: 1 });
    expect(new Set(launcher.keys).size).toBe(2);
  });

  it('keeps an ambiguous slot through later denials, relaunching only its own key, until it is accepted', async () => {
    const launcher = new ScriptedLauncher([lost, denied, denied, launched]);
    const store = new MemoryPoolStore();
    const p = poller(launcher, store);

    const reports = [await p.pollOnce(), await p.pollOnce(), await p.pollOnce(), await p.pollOnce()];

    expect(reports.map((r) => r.started)).toEqual([0, 0, 0, 0]);
    expect(reports.slice(1, 3).map((r) => r.reason)).toEqual(['slot_unconfirmed', 'slot_unconfirmed']);
    expect(reports[3]).toMatchObject({ resumed: 1, active: 1 });
    expect(new Set(launcher.keys).size).toBe(1);
    expect(store.agents).toEqual([expect.objectContaining({ launchId: `id-${launcher.keys[0]}` })]);
    expect(store.agents[0]).not.toHaveProperty('unconfirmed');
  });

  it('never expires an ambiguous slot, however old', async () => {
    let now = 1_000_000;
    const launcher = new ScriptedLauncher([lost, denied]);
    const store = new MemoryPoolStore(() => now);
    const p = new Poller({
      scaling: { minExecutions: 0, maxExecutions: 1, targetValue: 1, activationTargetValue: 0 },
      readPending: async () => 1,
      launcher,
      statuses: new TimedStatusReader(3_600, () => now),
      store,
      logger: new Logger(() => {}, 'error'),
      pollBudgetMs: 5_000,
      leaseMs: 10_000,
      keyPrefix: 'env0-test',
      plannedExpiryMs: 60_000,
      now: () => now,
    });
    await p.pollOnce();
    now += 3_600_000;

    const later = await p.pollOnce();

    expect(later).toMatchObject({ outcome: 'skipped', reason: 'slot_unconfirmed' });
    expect(store.agents).toEqual([expect.objectContaining({ unconfirmed: true })]);
  });

  it('drops an ambiguous slot once a token-checked refusal proves nothing started for its key', async () => {
    const proof = () => refused(new Error('no capacity'), true);
    const launcher = new ScriptedLauncher([lost, proof, launched]);
    const store = new MemoryPoolStore();
    const p = poller(launcher, store);

    await p.pollOnce();
    const proven = await p.pollOnce();

    expect(proven).toMatchObject({ resumed: 0 });
    expect(store.agents).toEqual([expect.objectContaining({ launchId: expect.any(String) })]);
    expect(new Set(launcher.keys).size).toBe(2);
  });
});

describe('Poller with a slot unconfirmed', () => {
  it('still reads its tracked agents (so one past replicaTimeout is stopped) but decides nothing new', async () => {
    const launcher = new ScriptedLauncher([launched, lost, denied]);
    const asked: string[][] = [];
    const timed = new TimedStatusReader(3_600);
    const statuses = {
      phases: (agents: readonly LaunchedAgent[]) => {
        asked.push(agents.map((agent) => agent.launchId));
        return timed.phases(agents);
      },
    };
    let pending = 1;
    const p = new Poller({
      scaling: { minExecutions: 0, maxExecutions: 2, targetValue: 1, activationTargetValue: 0 },
      readPending: async () => pending,
      launcher,
      statuses,
      store: new MemoryPoolStore(),
      logger: new Logger(() => {}, 'error'),
      pollBudgetMs: 5_000,
      leaseMs: 10_000,
      keyPrefix: 'env0-test',
    });
    await p.pollOnce();
    pending = 2;
    await p.pollOnce();
    asked.length = 0;

    const report = await p.pollOnce();

    expect(report).toMatchObject({ outcome: 'skipped', reason: 'slot_unconfirmed', started: 0 });
    expect(asked).toEqual([[`id-${launcher.keys[0]}`]]);
  });
});

describe('Poller stalled past its deadline', () => {
  it('decides nothing once the clock says its launch time is over, though the store would still take it', async () => {
    // A CPU-starved invocation: the queue answered, but the poll got the CPU back 4.5 s in, past
    // its deadline (budget 5 s less the 1 s kept for bookkeeping) and near the end of its lease.
    let now = 1_000_000;
    let stall = 4_500;
    const launcher = new ScriptedLauncher([launched]);
    const store = new MemoryPoolStore(() => now);
    const p = new Poller({
      scaling: { minExecutions: 0, maxExecutions: 1, targetValue: 1, activationTargetValue: 0 },
      readPending: async () => {
        now += stall;
        return 1;
      },
      launcher,
      statuses: new TimedStatusReader(3_600, () => now),
      store,
      logger: new Logger(() => {}, 'error'),
      pollBudgetMs: 5_000,
      leaseMs: 5_000,
      keyPrefix: 'env0-test',
      now: () => now,
    });

    const stalled = await p.pollOnce();
    stall = 0;
    const next = await p.pollOnce();

    expect(stalled).toMatchObject({ outcome: 'skipped', reason: 'deadline_passed', started: 0 });
    expect(next).toMatchObject({ outcome: 'launched', started: 1 });
    expect(launcher.keys).toHaveLength(1);
    expect(store.agents).toEqual([expect.objectContaining({ launchId: `id-${launcher.keys[0]}` })]);
  });
});

describe('poolKeyPrefix', () => {
  const token = { kind: 'secrets-manager', secretId: 'arn:secret:pool-a', envName: 'AGENT_TOKEN' } as const;

  it('differs for two pools sharing a cluster (other token secret) and for two scopes', () => {
    const a = poolKeyPrefix('env0/ecs/eu-west-1/agents', { agentToken: token });
    const b = poolKeyPrefix('env0/ecs/eu-west-1/agents', {
      agentToken: { ...token, secretId: 'arn:secret:pool-b' },
    });
    const c = poolKeyPrefix('env0/ecs/eu-west-1/other', { agentToken: token });

    expect(new Set([a, b, c]).size).toBe(3);
    expect(a).toBe(poolKeyPrefix('env0/ecs/eu-west-1/agents', { agentToken: token }));
    expect(a).toMatch(/^env0-[0-9a-f]{10}$/);
  });
});
