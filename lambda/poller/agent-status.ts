import type { TrackedAgent } from './pool-store.js';

/** Where a launched agent is: not running yet (will take a task), running (busy), or gone. */
export type AgentPhase = 'starting' | 'running' | 'finished';

/** An agent the platform accepted: it has a launch id. */
export type LaunchedAgent = TrackedAgent & { readonly launchId: string };

/**
 * Asks the platform about this pool's own agents, by id (ECS DescribeTasks by ARN, ARM GET of the
 * execution), never through an eventually consistent listing. Throws when the phase of any agent
 * cannot be told: the poller then launches nothing this poll.
 */
export interface AgentStatusReader {
  phases(agents: readonly LaunchedAgent[], signal: AbortSignal): Promise<ReadonlyMap<string, AgentPhase>>;
}

/**
 * A freshly started task or execution may not be readable yet (ECS and ARM reads lag writes), while a
 * finished one stays readable for about an hour (ECS). So "not found" within this long of the launch
 * means "starting"; later it means the agent finished long enough ago to be forgotten.
 */
export const NOT_FOUND_GRACE_MS = 60 * 60 * 1000;

/**
 * A task that only just reached RUNNING has usually not taken its job yet, so the queue still counts
 * that job: counting the agent as busy would start a second agent for it. Within `startupMs` of the
 * platform's own start time (or with no start time yet) a running agent still counts as starting.
 */
export function runningPhase(startedAt: number | undefined, now: number, startupMs: number): AgentPhase {
  return startedAt === undefined || now - startedAt < startupMs ? 'starting' : 'running';
}

export function notFoundPhase(agent: TrackedAgent, now: number): AgentPhase {
  return now - agent.plannedAt < NOT_FOUND_GRACE_MS ? 'starting' : 'finished';
}

/**
 * Local targets (dry run, Docker) have no status to read: an agent counts as running for
 * `agentSeconds` after its launch, then as finished.
 */
export class TimedStatusReader implements AgentStatusReader {
  constructor(
    private readonly agentSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async phases(agents: readonly LaunchedAgent[]): Promise<ReadonlyMap<string, AgentPhase>> {
    const now = this.now();
    return new Map(
      agents.map((agent) => [
        agent.launchId,
        now - agent.plannedAt < this.agentSeconds * 1000 ? 'running' : 'finished',
      ]),
    );
  }
}
