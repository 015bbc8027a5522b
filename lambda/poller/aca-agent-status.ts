import type { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { FINISHED_EXECUTION_STATUSES } from '../launchers/aca/execution-statuses.js';
import {
  type AgentPhase,
  type AgentStatusReader,
  type LaunchedAgent,
  notFoundPhase,
  runningPhase,
} from './agent-status.js';

const RUNNING = new Set(['Running']);

/**
 * Phases of this pool's Container Apps job executions, one ARM GET per execution by name (the job's
 * execution list lags and pages). `replicaTimeout` is the job's own setting on ACA.
 */
export class AcaAgentStatus implements AgentStatusReader {
  constructor(
    private readonly client: ContainerAppsAPIClient,
    private readonly resourceGroup: string,
    private readonly jobName: string,
    private readonly now: () => number = Date.now,
    /** A Running execution younger than this still counts as starting (see runningPhase). */
    private readonly agentStartupSeconds = 0,
  ) {}

  async phases(
    agents: readonly LaunchedAgent[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, AgentPhase>> {
    const entries = await Promise.all(
      agents.map(
        async (agent): Promise<[string, AgentPhase]> => [agent.launchId, await this.phase(agent, signal)],
      ),
    );
    return new Map(entries);
  }

  private async phase(agent: LaunchedAgent, signal: AbortSignal): Promise<AgentPhase> {
    const name = agent.launchId.split('/').pop() ?? agent.launchId;
    try {
      const execution = await this.client.jobExecution(this.resourceGroup, this.jobName, name, {
        abortSignal: signal,
      });
      const status = execution.status ?? 'Unknown';
      if (RUNNING.has(status)) {
        return runningPhase(execution.startTime?.getTime(), this.now(), this.agentStartupSeconds * 1000);
      }
      if (FINISHED_EXECUTION_STATUSES.has(status)) return 'finished';
      return 'starting';
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return notFoundPhase(agent, this.now());
      throw error;
    }
  }
}
