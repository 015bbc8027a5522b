import { DescribeTasksCommand, type ECSClient, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import type { Logger } from '../log/logger.js';
import {
  type AgentPhase,
  type AgentStatusReader,
  type LaunchedAgent,
  notFoundPhase,
  runningPhase,
} from './agent-status.js';

export interface EcsAgentStatusOptions {
  readonly cluster: string;
  /** `replicaTimeout`: a task running longer is stopped (ECS has no run-time limit of its own). */
  readonly replicaTimeoutSeconds: number;
  /** A RUNNING task younger than this still counts as starting (see runningPhase). */
  readonly agentStartupSeconds?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** DescribeTasks takes at most 100 tasks per call. */
const BATCH = 100;

/** Phases of this pool's Fargate tasks by ARN; stops tasks past `replicaTimeout`. */
export class EcsAgentStatus implements AgentStatusReader {
  private readonly now: () => number;

  constructor(
    private readonly client: ECSClient,
    private readonly options: EcsAgentStatusOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async phases(
    agents: readonly LaunchedAgent[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, AgentPhase>> {
    const phases = new Map<string, AgentPhase>();
    for (let i = 0; i < agents.length; i += BATCH) {
      const batch = agents.slice(i, i + BATCH);
      const answer = await this.client.send(
        new DescribeTasksCommand({ cluster: this.options.cluster, tasks: batch.map((a) => a.launchId) }),
        { abortSignal: signal },
      );
      const byArn = new Map((answer.tasks ?? []).map((task) => [task.taskArn, task]));
      const failures = new Map((answer.failures ?? []).map((failure) => [failure.arn, failure.reason]));
      for (const agent of batch) {
        const task = byArn.get(agent.launchId);
        if (task !== undefined) {
          phases.set(agent.launchId, this.phaseOf(task));
          await this.stopIfOverdue(agent, task, signal);
          continue;
        }
        const reason = failures.get(agent.launchId);
        // Anything but MISSING (or no word at all) leaves the count unknown.
        if (reason !== 'MISSING')
          throw new Error(`DescribeTasks did not describe a task: ${reason ?? 'no answer'}`);
        phases.set(agent.launchId, notFoundPhase(agent, this.now()));
      }
    }
    return phases;
  }

  private phaseOf(task: Task): AgentPhase {
    const phase = phaseOf(task);
    if (phase !== 'running' || task.lastStatus !== 'RUNNING') return phase;
    return runningPhase(
      task.startedAt?.getTime(),
      this.now(),
      (this.options.agentStartupSeconds ?? 0) * 1000,
    );
  }

  private async stopIfOverdue(agent: LaunchedAgent, task: Task, signal: AbortSignal): Promise<void> {
    const startedAt = task.createdAt?.getTime() ?? agent.plannedAt;
    if (phaseOf(task) === 'finished' || task.desiredStatus === 'STOPPED') return;
    if (this.now() - startedAt < this.options.replicaTimeoutSeconds * 1000) return;
    try {
      await this.client.send(
        new StopTaskCommand({
          cluster: this.options.cluster,
          task: agent.launchId,
          reason: `replicaTimeout ${this.options.replicaTimeoutSeconds} s reached`,
        }),
        { abortSignal: signal },
      );
      this.options.logger.warn('agent stopped: replicaTimeout reached', { launchId: agent.launchId });
    } catch (error) {
      // Counted as running still; the next poll tries again.
      this.options.logger.warn('could not stop an agent past replicaTimeout', {
        launchId: agent.launchId,
        error: (error as Error).name,
      });
    }
  }
}

function phaseOf(task: Task): AgentPhase {
  if (task.lastStatus === 'STOPPED' || task.lastStatus === 'DELETED') return 'finished';
  if (task.lastStatus === 'RUNNING' || task.lastStatus === 'DEACTIVATING' || task.lastStatus === 'STOPPING')
    return 'running';
  if (task.lastStatus === 'DEPROVISIONING') return 'finished';
  return 'starting';
}
