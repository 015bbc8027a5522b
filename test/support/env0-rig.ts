import { Logger } from '../../lambda/log/logger.js';
import { createPoller, type PollerOverrides, type PollerRuntime } from '../../lambda/poller/create-poller.js';
import { MemoryPoolStore } from '../../lambda/poller/memory-pool-store.js';
import { AwsStandIn, type StandInOptions } from './aws-stand-in.js';
import { QueueStateStandIn } from './queue-state-stand-in.js';

export const ENV0_TOKEN = 'env0-agent-token-test-3f7c9a1e5b2d';

/** The ECS target of the poller, as the stack sets it (minus the ledger: the pool store is in memory). */
export const POLLER_ECS_ENV = {
  LAUNCH_TARGET: 'ecs',
  AGENT_TOKEN: ENV0_TOKEN,
  ECS_CLUSTER: 'env0-agents',
  ECS_TASK_DEFINITION: 'env0-agent',
  ECS_CONTAINER_NAME: 'env0-agent',
  ECS_SUBNETS: 'subnet-0123456789abcdef0',
  ECS_ASSIGN_PUBLIC_IP: 'ENABLED',
  POLL_BUDGET_MS: '6000',
  QUEUE_STATE_TIMEOUT_MS: '600',
};

/** The env0 poller with the real ECS SDK client against the AWS stand-in and a queue-state stand-in. */
export class Env0EcsRig {
  readonly logs: string[] = [];
  readonly aws: AwsStandIn;
  readonly queue = new QueueStateStandIn(ENV0_TOKEN);
  /** Shared by every poller of the rig, as they share the ledger table. */
  readonly store = new MemoryPoolStore();
  private env: Record<string, string> = {};
  private saved: Record<string, string | undefined> = {};

  constructor(options: StandInOptions = {}) {
    this.aws = new AwsStandIn(options);
  }

  async start(): Promise<this> {
    const endpoint = await this.aws.start();
    const queueUrl = await this.queue.start();
    const clientEnv = AwsStandIn.clientEnv(endpoint);
    for (const [name, value] of Object.entries(clientEnv)) {
      this.saved[name] = process.env[name];
      process.env[name] = value;
    }
    this.env = { ...clientEnv, QUEUE_STATE_URL: queueUrl };
    return this;
  }

  /** A poller (one Lambda container); `env` overrides the KEDA settings and the target's. */
  poller(env: Record<string, string> = {}, overrides: Partial<PollerOverrides> = {}): Promise<PollerRuntime> {
    const logger = new Logger((line) => this.logs.push(line), 'debug');
    return createPoller(
      { ...POLLER_ECS_ENV, ...this.env, ...env },
      { logger, store: this.store, ...overrides },
    );
  }

  async stop(): Promise<void> {
    await this.aws.stop();
    await this.queue.stop();
    for (const [name, value] of Object.entries(this.saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  entries(): Record<string, unknown>[] {
    return this.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
