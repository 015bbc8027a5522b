import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the stand-in injects into one call, before doing anything else. */
export type Fault =
  | { kind: 'error'; status: number; type: string; message?: string }
  | { kind: 'capacity' }
  /** Launches the task, then answers only after `ms` — a response lost to a client timeout. */
  | { kind: 'slow'; ms: number }
  | { kind: 'drop' };

export type Operation = 'RunTask' | 'ListTasks' | 'GetSecretValue';

export const faults = {
  throttle: (): Fault => ({
    kind: 'error',
    status: 400,
    type: 'ThrottlingException',
    message: 'Rate exceeded',
  }),
  server: (): Fault => ({
    kind: 'error',
    status: 500,
    type: 'ServerException',
    message: 'Service unavailable',
  }),
  accessDenied: (): Fault => ({
    kind: 'error',
    status: 400,
    type: 'AccessDeniedException',
    message: 'not authorized',
  }),
  clusterNotFound: (): Fault => ({
    kind: 'error',
    status: 400,
    type: 'ClusterNotFoundException',
    message: 'Cluster not found.',
  }),
  secretNotFound: (): Fault => ({
    kind: 'error',
    status: 400,
    type: 'ResourceNotFoundException',
    message: 'not found',
  }),
  capacity: (): Fault => ({ kind: 'capacity' }),
  slow: (ms: number): Fault => ({ kind: 'slow', ms }),
};

export interface LaunchedTask {
  readonly taskArn: string;
  readonly clientToken?: string;
  readonly startedBy?: string;
  readonly capacityProvider?: string;
  readonly input: Record<string, unknown>;
}

export interface StandInOptions {
  /** Decides a fault for the n-th call (1-based) of an operation; undefined for none. */
  faultFor?: (operation: Operation, n: number, input: Record<string, unknown>) => Fault | undefined;
  /** Fargate's launch token bucket: burst size and refill per second (per capacity provider). */
  launchBucket?: { burst: number; refillPerSecond: number };
}

/**
 * A local HTTP stand-in for ECS and Secrets Manager (AWS JSON 1.1 protocol). The real SDK clients
 * talk to it through AWS_ENDPOINT_URL_*, so serialization, retries and error parsing are real.
 * It keeps RunTask's clientToken semantics: same token + same parameters returns the original task,
 * same token + other parameters is a ConflictException.
 */
export class AwsStandIn {
  readonly tasks: LaunchedTask[] = [];
  readonly secrets = new Map<string, string>();
  readonly calls: Record<Operation, number> = { RunTask: 0, ListTasks: 0, GetSecretValue: 0 };
  faultFor: StandInOptions['faultFor'];
  private readonly byToken = new Map<string, { fingerprint: string; task: LaunchedTask }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private server: Server | undefined;
  private seq = 0;

  constructor(private readonly options: StandInOptions = {}) {
    this.faultFor = options.faultFor;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Environment that points the real SDK clients here. */
  static clientEnv(endpoint: string): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_ECS: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  tasksFor(startedBy: string): LaunchedTask[] {
    return this.tasks.filter((task) => task.startedBy === startedBy);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() as Operation;
    if (!(operation in this.calls)) return this.send(res, 400, { __type: 'UnknownOperationException' });
    const n = ++this.calls[operation];
    const fault = this.faultFor?.(operation, n, input);
    if (fault?.kind === 'error')
      return this.send(res, fault.status, { __type: fault.type, message: fault.message });
    if (fault?.kind === 'drop') return void res.socket?.destroy();

    const answer =
      operation === 'RunTask'
        ? this.runTask(input, fault?.kind === 'capacity')
        : operation === 'ListTasks'
          ? this.listTasks(input)
          : this.getSecretValue(input);
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (!res.destroyed) this.send(res, answer.status, answer.body);
  }

  private runTask(input: Record<string, unknown>, noCapacity: boolean): { status: number; body: unknown } {
    const token = input.clientToken as string | undefined;
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ ...input, clientToken: undefined }))
      .digest('hex');
    const known = token === undefined ? undefined : this.byToken.get(token);
    if (known !== undefined) {
      if (known.fingerprint !== fingerprint) {
        return {
          status: 400,
          body: {
            __type: 'ConflictException',
            message: 'clientToken reused with other parameters',
            resourceIds: [known.task.taskArn],
          },
        };
      }
      return { status: 200, body: { tasks: [this.describe(known.task)], failures: [] } };
    }
    const provider = (input.capacityProviderStrategy as { capacityProvider?: string }[] | undefined)?.[0]
      ?.capacityProvider;
    if (noCapacity) {
      return {
        status: 200,
        body: {
          tasks: [],
          failures: [{ reason: 'Capacity is unavailable at this time. Please try again later.' }],
        },
      };
    }
    if (!this.takeLaunchToken(provider ?? 'FARGATE')) {
      return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
    }
    const task: LaunchedTask = {
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/agents/${(++this.seq).toString(16).padStart(32, '0')}`,
      clientToken: token,
      startedBy: input.startedBy as string | undefined,
      capacityProvider: provider,
      input,
    };
    this.tasks.push(task);
    if (token !== undefined) this.byToken.set(token, { fingerprint, task });
    return { status: 200, body: { tasks: [this.describe(task)], failures: [] } };
  }

  private takeLaunchToken(provider: string): boolean {
    const limit = this.options.launchBucket;
    if (limit === undefined) return true;
    const now = Date.now();
    const bucket = this.buckets.get(provider) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.refillPerSecond);
    bucket.at = now;
    this.buckets.set(provider, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private listTasks(input: Record<string, unknown>): { status: number; body: unknown } {
    const taskArns = this.tasks
      .filter((task) => task.startedBy === input.startedBy)
      .map((task) => task.taskArn);
    return { status: 200, body: { taskArns } };
  }

  private getSecretValue(input: Record<string, unknown>): { status: number; body: unknown } {
    const id = String(input.SecretId);
    const value = this.secrets.get(id);
    if (value === undefined) {
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        },
      };
    }
    return {
      status: 200,
      body: { ARN: id, Name: id.split(':').pop(), SecretString: value, VersionId: 'v1' },
    };
  }

  private describe(task: LaunchedTask): Record<string, unknown> {
    return {
      taskArn: task.taskArn,
      lastStatus: 'PROVISIONING',
      createdAt: Date.now() / 1000,
      startedBy: task.startedBy,
    };
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': `req-${this.seq}`,
    });
    res.end(JSON.stringify(body));
  }
}
