import { randomUUID } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { type LaunchOutcome, launchOutcome } from '../launchers/launch-outcome.js';
import type { Launcher, LaunchResult } from '../launchers/launcher.js';
import type { Logger } from '../log/logger.js';
import { ACCEPTED_MESSAGE } from '../trail/accepted-log.js';
import type { AgentPhase, AgentStatusReader, LaunchedAgent } from './agent-status.js';
import { agentsToStart, type ScalingParameters } from './keda-scaling.js';
import type { PoolStore, TrackedAgent } from './pool-store.js';
import { QueueStateError } from './queue-state.js';

export interface PollerOptions {
  readonly scaling: ScalingParameters;
  /** Reads env0's `pendingCount`; throws QueueStateError. */
  readonly readPending: (signal: AbortSignal) => Promise<number>;
  readonly launcher: Launcher;
  readonly statuses: AgentStatusReader;
  readonly store: PoolStore;
  readonly logger: Logger;
  /** Time allowed for one poll: lease, queue, statuses, launches and bookkeeping. */
  readonly pollBudgetMs: number;
  /** How long the lease is taken for at each poll (renewed at the next). */
  readonly leaseMs: number;
  /**
   * Prefix of launch keys, unique to the pool (see `poolKeyPrefix`): two pools sharing a cluster or
   * a ledger table never share a key.
   */
  readonly keyPrefix: string;
  /**
   * A planned slot whose launch keeps being refused is given up after this long. A slot whose
   * launch was ever ambiguous never expires: it is kept until the platform answers for its key.
   */
  readonly plannedExpiryMs?: number;
  readonly now?: () => number;
  readonly owner?: string;
}

/** What one poll did, also its log line. */
export interface PollReport {
  readonly outcome: 'launched' | 'idle' | 'busy' | 'skipped';
  /** Why nothing was decided (`queue_unauthorized`, `status_unknown`, ...). */
  readonly reason?: string;
  readonly pending?: number;
  readonly active?: number;
  readonly starting?: number;
  readonly started: number;
  /** Planned slots launched again (left by a poll that crashed between deciding and launching). */
  readonly resumed: number;
}

/**
 * One poll of env0's queue with KEDA ScaledJob semantics, under a lease so that only one poller
 * decides at a time:
 *
 * 1. take the lease (a conditional write; another holder means this poll does nothing);
 * 2. launch again any slot a crashed poll decided but did not confirm, with the same key;
 * 3. read `pendingCount` and the phase of every agent of this pool (by id, never by listing);
 * 4. decide with `agentsToStart`; write the new slots *before* launching them;
 * 5. launch each slot with its key (idempotent per key) and record the launch ids.
 *
 * Any doubt (queue unreadable, an agent's phase unknown, the lease lost) launches nothing new.
 */
export class Poller {
  readonly owner: string;
  private readonly now: () => number;
  /** Polls of one poller never overlap: the lease is per owner, so it would not tell them apart. */
  private polling = false;

  constructor(private readonly options: PollerOptions) {
    this.owner = options.owner ?? randomUUID();
    this.now = options.now ?? Date.now;
  }

  async pollOnce(): Promise<PollReport> {
    if (this.polling) return { outcome: 'busy', reason: 'poll_in_progress', started: 0, resumed: 0 };
    this.polling = true;
    try {
      const signal = AbortSignal.timeout(this.options.pollBudgetMs);
      const report = await this.poll(signal).catch((error: unknown) => this.failed(error));
      this.log(report);
      return report;
    } finally {
      this.polling = false;
    }
  }

  /** Ends this poller's lease (at the end of an invocation). */
  async release(): Promise<void> {
    try {
      await this.options.store.release(this.owner, AbortSignal.timeout(this.options.pollBudgetMs));
    } catch (error) {
      // The lease runs out by itself; only the next invocation's first poll may wait for it.
      this.options.logger.warn('could not release the poller lease', { error: (error as Error).message });
    }
  }

  private async poll(signal: AbortSignal): Promise<PollReport> {
    const { store, logger } = this.options;
    // Launches must be answered while the lease (renewed now) still holds and the poll budget lasts.
    const deadline = this.now() + Math.min(this.options.pollBudgetMs, this.options.leaseMs) - 1_000;
    const lease = await store.acquire(this.owner, this.now() + this.options.leaseMs, signal);
    if (lease.kind === 'busy') return { outcome: 'busy', reason: 'lease_held', started: 0, resumed: 0 };

    let agents = [...lease.agents];
    const planned = agents.filter((agent) => agent.launchId === undefined);
    agents = await this.launchSlots(agents, planned, deadline);
    const launchedNow = new Set(agents.filter((a) => a.launchId !== undefined).map((a) => a.key));
    const resumed = planned.filter((slot) => launchedNow.has(slot.key)).length;
    if (resumed > 0 || planned.length > 0) await this.save(agents, signal);
    if (agents.some((agent) => agent.launchId === undefined)) {
      // Nothing new is decided while a slot may hold an agent nobody tracks; the tracked agents are
      // still read, so one past replicaTimeout is stopped and finished ones are forgotten.
      await this.readTracked(agents, signal);
      return { outcome: 'skipped', reason: 'slot_unconfirmed', started: 0, resumed };
    }

    let pending: number;
    try {
      pending = await this.options.readPending(signal);
    } catch (error) {
      return this.queueFault(error, resumed);
    }

    let phases: ReadonlyMap<string, AgentPhase>;
    try {
      phases = await this.options.statuses.phases(agents as LaunchedAgent[], signal);
    } catch (error) {
      logger.warn('agent status unknown: nothing launched this poll', { error: describe(error) });
      return { outcome: 'skipped', reason: 'status_unknown', pending, started: 0, resumed };
    }
    agents = agents.filter((agent) => phases.get(agent.launchId as string) !== 'finished');
    const starting = agents.filter((agent) => phases.get(agent.launchId as string) === 'starting').length;
    const seen = { pending, active: agents.length, starting };
    const count = agentsToStart(this.options.scaling, seen);
    if (count === 0) {
      await this.save(agents, signal);
      return { outcome: 'idle', ...seen, started: 0, resumed };
    }

    const decidedAt = this.now();
    if (decidedAt >= deadline) {
      // A poll stalled (a CPU-starved invocation, a slow store or queue) past the time its launches
      // had: its lease may be running out, so it decides nothing; the next poll reads afresh.
      logger.warn('poll overran its deadline before deciding: nothing launched', { ...seen, count });
      await this.save(agents, signal);
      return { outcome: 'skipped', reason: 'deadline_passed', ...seen, started: 0, resumed };
    }
    // The pool's prefix, the decision's time and a random part: keys never repeat, even for two pools
    // given the same prefix by mistake. They are written before any launch, so never recomputed.
    const decision = `${decidedAt.toString(36)}-${randomUUID().slice(0, 6)}`;
    const slots: TrackedAgent[] = Array.from({ length: count }, (_, i) => ({
      key: `${this.options.keyPrefix}-${decision}-${i}`,
      plannedAt: decidedAt,
    }));
    // Written before any launch: a crash from here on leaves slots the next holder launches with the
    // same keys, never a decision taken twice.
    if (!(await store.save(this.owner, [...agents, ...slots], signal))) {
      return { outcome: 'skipped', reason: 'lease_lost', ...seen, started: 0, resumed };
    }
    agents = await this.launchSlots([...agents, ...slots], slots, deadline, true);
    await this.save(agents, signal);
    // Only launches the platform accepted: a dropped or kept slot started nothing known.
    const launched = new Set(agents.filter((a) => a.launchId !== undefined).map((a) => a.key));
    const started = slots.filter((slot) => launched.has(slot.key)).length;
    return { outcome: 'launched', ...seen, started, resumed };
  }

  /**
   * Launches `slots` (members of `agents`) in parallel; returns `agents` with the accepted ones filled
   * in. Decided on each launch's outcome, never on its error's class:
   * - accepted: the slot is tracked from now on (stopped at `replicaTimeout` like any agent);
   * - ambiguous (an agent may have started): the slot is kept, marked `unconfirmed`, and launched
   *   again with the same key at every poll until the platform answers for the key; it holds back
   *   every new decision (the `slot_unconfirmed` guard) and never expires;
   * - refused: the slot is dropped when the refusal proves nothing started for the key — a slot
   *   decided in this very poll (no earlier call of its key exists), a refusal that went through the
   *   idempotency token, or a policy refusal — or when a slot never found ambiguous has expired.
   *   Otherwise (a slot left by an earlier poll, which may have crashed after sending) it is kept.
   */
  private async launchSlots(
    agents: TrackedAgent[],
    slots: readonly TrackedAgent[],
    deadline: number,
    fresh = false,
  ): Promise<TrackedAgent[]> {
    if (slots.length === 0) return agents;
    const outcomes = await Promise.all(
      slots.map((slot) =>
        launchOutcome(this.options.launcher, {
          dedupKey: slot.key,
          taskId: slot.key,
          manual: false,
          deadline,
        }),
      ),
    );
    const byKey = new Map<string, TrackedAgent | null>();
    outcomes.forEach((outcome, i) => {
      const slot = slots[i] as TrackedAgent;
      byKey.set(slot.key, this.settle(slot, outcome, fresh));
    });
    return agents.flatMap((agent) => {
      const updated = byKey.get(agent.key);
      if (updated === undefined) return [agent];
      return updated === null ? [] : [updated];
    });
  }

  /** What a launch outcome leaves of a slot: the tracked agent, the slot kept, or null (dropped). */
  private settle(slot: TrackedAgent, outcome: LaunchOutcome, fresh: boolean): TrackedAgent | null {
    const { logger } = this.options;
    if (outcome.kind === 'accepted') {
      this.recordAccepted(slot, outcome.result);
      const { unconfirmed: _, ...planned } = slot;
      return { ...planned, launchId: outcome.result.launchId, platform: outcome.result.platform };
    }
    const error = describe(outcome.error);
    if (outcome.kind === 'ambiguous') {
      logger.warn(
        'agent launch not confirmed: an agent may have started; slot kept until the platform answers',
        {
          dedupKey: slot.key,
          error,
        },
      );
      return { ...slot, unconfirmed: true };
    }
    const expired =
      slot.unconfirmed !== true && this.now() - slot.plannedAt > (this.options.plannedExpiryMs ?? 3_600_000);
    const proven = fresh || outcome.tokenChecked || outcome.by === 'policy';
    const drop = (proven && slot.unconfirmed !== true) || outcome.tokenChecked || expired;
    logger.warn(
      drop ? 'agent launch refused: slot dropped' : 'agent launch refused: slot kept, retried next poll',
      {
        dedupKey: slot.key,
        error,
      },
    );
    return drop ? null : slot;
  }

  /**
   * The agent's first trail step, as the dispatcher writes it for a Scalr task: one `launch accepted`
   * line (written whatever LOG_LEVEL says) that the task trail's log subscription reads, so the launch
   * path makes no extra call. The slot key is the trail's task id (`env0-…`, also the agent's
   * `DISPATCH_TASK_ID` and `env0:slot` tag); the poll's decision is its `received` step (`durationMs`
   * back from now), so TimeToRunning is poll to RUNNING. A resumed slot's line repeats the same
   * decision time, and the trail keeps the first report of each step anyway.
   */
  private recordAccepted(slot: TrackedAgent, result: LaunchResult): void {
    this.options.logger.record(ACCEPTED_MESSAGE, {
      ...result.details,
      taskId: slot.key,
      dedupKey: slot.key,
      outcome: 'launched',
      platform: result.platform,
      launchId: result.launchId,
      durationMs: Math.max(0, this.now() - slot.plannedAt),
    });
  }

  /** Reads the phases of the launched agents (stopping overdue ones) and forgets the finished ones. */
  private async readTracked(agents: readonly TrackedAgent[], signal: AbortSignal): Promise<void> {
    const launched = agents.filter((agent): agent is LaunchedAgent => agent.launchId !== undefined);
    if (launched.length === 0) return;
    try {
      const phases = await this.options.statuses.phases(launched, signal);
      const kept = agents.filter(
        (agent) => agent.launchId === undefined || phases.get(agent.launchId) !== 'finished',
      );
      if (kept.length < agents.length) await this.save(kept, signal);
    } catch (error) {
      this.options.logger.warn('agent status unknown', { error: describe(error) });
    }
  }

  private async save(agents: readonly TrackedAgent[], signal: AbortSignal): Promise<void> {
    if (!(await this.options.store.save(this.owner, agents, signal))) {
      this.options.logger.warn('poller lease lost while saving: the next holder resolves the slots');
    }
  }

  private queueFault(error: unknown, resumed: number): PollReport {
    if (!(error instanceof QueueStateError)) throw error;
    const reason = `queue_${error.kind}`;
    const fields = { reason, status: error.status, error: error.message };
    if (error.kind === 'unauthorized') {
      this.options.logger.error(
        'configuration error: env0 refused the agent access token; nothing launched',
        fields,
      );
    } else {
      this.options.logger.warn('queue-state unusable: nothing launched this poll', fields);
    }
    return { outcome: 'skipped', reason, started: 0, resumed };
  }

  private failed(error: unknown): PollReport {
    const config = error instanceof ConfigError;
    this.options.logger[config ? 'error' : 'warn'](config ? 'configuration error' : 'poll failed', {
      error: describe(error),
    });
    return {
      outcome: 'skipped',
      reason: config ? 'configuration_error' : 'poll_failed',
      started: 0,
      resumed: 0,
    };
  }

  private log(report: PollReport): void {
    this.options.logger.info('poll', { ...report });
  }
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`.slice(0, 300)
    : String(error).slice(0, 300);
}
