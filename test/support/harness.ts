import type { DispatcherOverrides, RequestHandler } from '../../lambda/dispatch/create-dispatcher.js';
import { createDispatcher } from '../../lambda/dispatch/create-dispatcher.js';
import type { HttpAnswer } from '../../lambda/http/answers.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { Logger } from '../../lambda/log/logger.js';
import { AwsStandIn, type StandInOptions } from './aws-stand-in.js';

export const WEBHOOK_SECRET = 'whsec-test-4f9a1c0b7e2d4a8f9c3b';
export const AGENT_TOKEN = 'agent-token-test-8c1e5b2a9d7f4e6a';
export const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
export const AGENT_TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-token-AbCdEf';

export const ECS_ENV = {
  LAUNCH_TARGET: 'ecs',
  WEBHOOK_SECRET_ARN,
  AGENT_TOKEN_SECRET_ARN: AGENT_TOKEN_ARN,
  ECS_CLUSTER: 'agents',
  ECS_TASK_DEFINITION: 'scalr-agent',
  ECS_CONTAINER_NAME: 'agent',
  ECS_SUBNETS: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  ECS_SECURITY_GROUPS: 'sg-0123456789abcdef0',
  ECS_ASSIGN_PUBLIC_IP: 'ENABLED',
  ECS_CAPACITY: 'FARGATE',
  LAUNCH_DEADLINE_MS: '5000',
};

export interface Delivery {
  body?: unknown;
  /** Sent as is when a string; JSON-encoded otherwise. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  method?: string;
  auth?: string | null;
}

/** A dispatcher wired to the real SDK clients and a local AWS stand-in, with captured log lines. */
export class Harness {
  readonly logs: string[] = [];
  standIn: AwsStandIn;
  /** The launch ledger every container of this harness shares, as they share one DynamoDB table. */
  readonly ledger = new MemoryLedger({ ttlMs: 86_400_000 });
  dispatch!: RequestHandler;
  private saved: Record<string, string | undefined> = {};

  constructor(options: StandInOptions = {}) {
    this.standIn = new AwsStandIn(options);
  }

  async start(env: Record<string, string> = {}, overrides: DispatcherOverrides = {}): Promise<this> {
    const endpoint = await this.standIn.start();
    const clientEnv = AwsStandIn.clientEnv(endpoint);
    for (const [name, value] of Object.entries(clientEnv)) {
      this.saved[name] = process.env[name];
      process.env[name] = value;
    }
    this.standIn.secrets.set(WEBHOOK_SECRET_ARN, WEBHOOK_SECRET);
    this.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN);
    const logger = new Logger((line) => this.logs.push(line), 'debug');
    this.dispatch = createDispatcher({ ...ECS_ENV, ...env }, { logger, ledger: this.ledger, ...overrides });
    return this;
  }

  /** Another dispatcher on the same stand-in: a second Lambda container with its own memory. */
  another(env: Record<string, string> = {}, overrides: DispatcherOverrides = {}): RequestHandler {
    const logger = new Logger((line) => this.logs.push(line), 'debug');
    return createDispatcher({ ...ECS_ENV, ...env }, { logger, ledger: this.ledger, ...overrides });
  }

  async stop(): Promise<void> {
    await this.standIn.stop();
    for (const [name, value] of Object.entries(this.saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  deliver(delivery: Delivery = {}): Promise<HttpAnswer> {
    return this.dispatch(toRequest(delivery));
  }

  /** Parsed log lines. */
  entries(): Record<string, unknown>[] {
    return this.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export function toRequest(delivery: Delivery) {
  const raw = delivery.rawBody ?? JSON.stringify(delivery.body ?? {});
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (delivery.auth !== null) headers.authorization = delivery.auth ?? `Bearer ${WEBHOOK_SECRET}`;
  for (const [name, value] of Object.entries(delivery.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: delivery.method ?? 'POST',
    headers,
    body: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'),
  };
}

export function scalrBody(taskId: string, extra: Record<string, unknown> = {}) {
  return {
    task_id: taskId,
    action: 'plan',
    run_id: 'run-v0abc123',
    workspace_id: 'ws-v0def456',
    environment_id: 'env-v0ghi789',
    created_at: '2026-11-02T10:15:00+0000',
    ...extra,
  };
}

export function json(answer: HttpAnswer): Record<string, unknown> {
  return JSON.parse(answer.body) as Record<string, unknown>;
}
