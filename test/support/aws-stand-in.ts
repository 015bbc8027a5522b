import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the stand-in injects into one call, before doing anything else. */
export type Fault =
  | { kind: 'error'; status: number; type: string; message?: string }
  | { kind: 'capacity' }
  /** Does the call's work (launches the task), then answers only after `ms`: an answer lost to a client timeout. */
  | { kind: 'slow'; ms: number }
  /**
   * Never answers: the request stays open until the client aborts it or the stand-in stops.
   * With `work: true` the call's work is done first (a RunTask launches its task); by default nothing is done.
   */
  | { kind: 'hang'; work?: boolean }
  /** Cuts the connection without doing anything. */
  | { kind: 'drop' }
  /**
   * The answer is lost (the connection is cut at once) and the call's work lands later — after `after`
   * ms, or when the promise settles — whatever the client did meanwhile (a RunTask's task is created
   * then, possibly after its retries were answered). `AwsStandIn.landed()` resolves once every such
   * effect has landed.
   */
  | { kind: 'late'; after: number | Promise<unknown> };

export type Operation =
  | 'RunTask'
  | 'ListTasks'
  | 'DescribeTasks'
  | 'GetSecretValue'
  | 'PutSecretValue'
  | 'DescribeSecret'
  | 'GetApiKey';

/**
 * Secrets by id, each `set` storing a new version as Secrets Manager's PutSecretValue does: the new
 * one becomes AWSCURRENT, the one before it AWSPREVIOUS, older ones lose their labels (deprecated).
 */
export class VersionedSecrets extends Map<string, string> {
  /** Versions stored per secret, oldest first. */
  readonly versions = new Map<string, string[]>();
  /** Secrets scheduled for deletion (DescribeSecret answers DeletedDate, GetSecretValue refuses). */
  readonly deleted = new Set<string>();

  override set(id: string, value: string): this {
    // Map's constructor may call set before the fields exist.
    if (this.versions !== undefined) {
      const list = this.versions.get(id) ?? [];
      list.push(
        `v${list.length + 1}-${createHash('sha256').update(`${id}\n${list.length}`).digest('hex').slice(0, 8)}`,
      );
      this.versions.set(id, list);
    }
    return super.set(id, value);
  }

  /** PutSecretValue with a `ClientRequestToken`: the value becomes AWSCURRENT under that version id. */
  put(id: string, value: string, versionId: string): void {
    super.set(id, value);
    this.versions.set(id, [...(this.versions.get(id) ?? []), versionId]);
  }

  /** The AWSCURRENT version id, as GetSecretValue and PutSecretValue answer it. */
  current(id: string): string | undefined {
    return this.versions.get(id)?.at(-1);
  }

  override delete(id: string): boolean {
    this.versions?.delete(id);
    return super.delete(id);
  }
}

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
  /** Same as `slow`: the work is done, the answer comes `ms` later (after the client gave up). */
  lost: (ms: number): Fault => ({ kind: 'slow', ms }),
  /** Never answered; `work: true` does the call's work first (the task starts, nobody hears of it). */
  hang: (work = false): Fault => ({ kind: 'hang', work }),
  drop: (): Fault => ({ kind: 'drop' }),
  /** Answer lost at once; the work (a RunTask's task) lands after `after` ms or when it settles. */
  late: (after: number | Promise<unknown>): Fault => ({ kind: 'late', after }),
};

export interface LaunchedTask {
  readonly taskArn: string;
  /** Cluster name from the RunTask input (an ARN is reduced to its name); 'default' when absent. */
  readonly cluster: string;
  readonly clientToken?: string;
  readonly startedBy?: string;
  readonly capacityProvider?: string;
  readonly input: Record<string, unknown>;
  /** When RunTask created it (epoch ms). */
  readonly createdAt: number;
  /** When it was stopped through `stopTask`/`stopAll` (epoch ms); `taskRunMs` stops it without setting this. */
  stoppedAt?: number;
  stoppedReason?: string;
}

export interface StandInOptions {
  /** Decides a fault for the n-th call (1-based) of an operation; undefined for none. */
  faultFor?: (operation: Operation, n: number, input: Record<string, unknown>) => Fault | undefined;
  /** Fargate's launch token bucket: burst size and refill per second (per capacity provider). */
  launchBucket?: { burst: number; refillPerSecond: number };
  /**
   * Eventual consistency: a task is invisible to ListTasks until this many ms after RunTask created
   * it (and to DescribeTasks too, with `describeLags`). Default 0.
   */
  listLagMs?: number;
  /** DescribeTasks lags like ListTasks: a task younger than `listLagMs` is a `MISSING` failure. Default false. */
  describeLags?: boolean;
  /** Caps ListTasks pages below `maxResults` (ECS: default and maximum 100), forcing `nextToken` paging. */
  listPageSize?: number;
  /** A task's desired (and last) status becomes STOPPED this many ms after it was created. Default: never. */
  taskRunMs?: number;
  /** Stopped tasks stay visible (ListTasks STOPPED, DescribeTasks) this long after stopping; ECS: about an hour. Default: forever. */
  stoppedVisibleMs?: number;
  /** DescribeTasks reports a task PENDING (provisioning, pulling) this long after RunTask, then RUNNING. Default 0. */
  startMs?: number;
  /** Region in the task and cluster ARNs (a failover Region's stand-in names its own). Default us-east-1. */
  region?: string;
}

type Answer = { status: number; body: unknown };

const DEFAULT_CLUSTER = 'default';
const ACCOUNT_ID = '123456789012';

function clusterName(value: unknown): string {
  if (typeof value !== 'string' || value === '') return DEFAULT_CLUSTER;
  return value.startsWith('arn:') ? value.slice(value.indexOf(':cluster/') + ':cluster/'.length) : value;
}

function invalid(message: string): Answer {
  return { status: 400, body: { __type: 'InvalidParameterException', message } };
}

/**
 * A local HTTP stand-in for ECS and Secrets Manager (AWS JSON 1.1 protocol). The real SDK clients
 * talk to it through AWS_ENDPOINT_URL_*, so serialization, retries and error parsing are real.
 * It keeps RunTask's clientToken semantics (scoped to the cluster): same token + same parameters
 * returns the original task, same token + other parameters is a ConflictException naming the
 * original task in `resourceIds`.
 *
 * By default it is a kind ECS: every task is listed the moment it starts, runs forever and fits on
 * one page. The options (or `AwsStandIn.badDay()`) make it behave like ECS on a bad day: listings
 * lag behind RunTask, page, and lose tasks that stopped.
 */
export class AwsStandIn {
  readonly tasks: LaunchedTask[] = [];
  readonly secrets = new VersionedSecrets();
  /** AWSCURRENT version id of each secret; `set` stores a new version (a token changed by hand). */
  readonly secretVersions = {
    get: (id: string): string | undefined => this.secrets.current(id),
    set: (id: string, versionId: string): void => this.secrets.put(id, this.secrets.get(id) ?? '', versionId),
  };
  /** API Gateway API keys: id -> value (GetApiKey, REST JSON at `GET /apikeys/{id}`). */
  readonly apiKeys = new Map<string, string>();
  /** Access key ids the calls were signed with (SigV4 `Credential=`). */
  readonly accessKeyIds = new Set<string>();
  readonly calls: Record<Operation, number> = {
    RunTask: 0,
    ListTasks: 0,
    DescribeTasks: 0,
    GetSecretValue: 0,
    PutSecretValue: 0,
    DescribeSecret: 0,
    GetApiKey: 0,
  };
  faultFor: StandInOptions['faultFor'];
  private readonly putVersions = new Map<string, string>();
  private readonly byToken = new Map<string, { fingerprint: string; task: LaunchedTask }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private server: Server | undefined;
  private seq = 0;
  /** Effects of `late` calls still to land. */
  private readonly landing = new Set<Promise<void>>();

  private get arnPrefix(): string {
    return `arn:aws:ecs:${this.options.region ?? 'us-east-1'}:${ACCOUNT_ID}`;
  }

  constructor(private readonly options: StandInOptions = {}) {
    this.faultFor = options.faultFor;
  }

  /**
   * ECS on a bad day: tasks show up in ListTasks/DescribeTasks 300 ms after RunTask
   * (`listLagMs`, `describeLags`), ListTasks pages one task at a time (`listPageSize: 1`) and every
   * task stops 2 s after it started (`taskRunMs`), leaving the default (RUNNING) listing.
   * `overrides` win over the preset.
   */
  static badDay(overrides: StandInOptions = {}): StandInOptions {
    return { listLagMs: 300, describeLags: true, listPageSize: 1, taskRunMs: 2_000, ...overrides };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once every `late` call's effect has landed (event-driven: no guessing how long to wait). */
  async landed(): Promise<void> {
    while (this.landing.size > 0) await Promise.all([...this.landing]);
  }

  /** Stops the server; calls left hanging are cut. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Environment that points the real SDK clients here. */
  static clientEnv(endpoint: string): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_ECS: endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ENDPOINT_URL_API_GATEWAY: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  tasksFor(startedBy: string): LaunchedTask[] {
    return this.tasks.filter((task) => task.startedBy === startedBy);
  }

  /** Stops one task (desired and last status STOPPED); false when the ARN is unknown. */
  stopTask(taskArn: string, reason = 'Task stopped by user'): boolean {
    const task = this.tasks.find((t) => t.taskArn === taskArn);
    if (task === undefined) return false;
    if (!this.isStopped(task, Date.now())) {
      task.stoppedAt = Date.now();
      task.stoppedReason = reason;
    }
    return true;
  }

  /** Stops every task still running. */
  stopAll(reason = 'Task stopped by user'): void {
    for (const task of this.tasks) this.stopTask(task.taskArn, reason);
  }

  /** RUNNING or STOPPED, as ECS would report the task's desired status now. */
  desiredStatusOf(task: LaunchedTask, now = Date.now()): 'RUNNING' | 'STOPPED' {
    return this.isStopped(task, now) ? 'STOPPED' : 'RUNNING';
  }

  private stoppedAtOf(task: LaunchedTask): number | undefined {
    const timed = this.options.taskRunMs === undefined ? undefined : task.createdAt + this.options.taskRunMs;
    if (task.stoppedAt === undefined) return timed;
    return timed === undefined ? task.stoppedAt : Math.min(timed, task.stoppedAt);
  }

  private isStopped(task: LaunchedTask, now: number): boolean {
    const at = this.stoppedAtOf(task);
    return at !== undefined && at <= now;
  }

  /** Whether a read path (ListTasks, or DescribeTasks with `describeLags`) can see the task yet / still. */
  private visible(task: LaunchedTask, now: number, lags: boolean): boolean {
    if (lags && now - task.createdAt < (this.options.listLagMs ?? 0)) return false;
    const stoppedAt = this.stoppedAtOf(task);
    const keep = this.options.stoppedVisibleMs;
    return stoppedAt === undefined || keep === undefined || now - stoppedAt < keep;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const apiKey = /^\/apikeys\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'GET' && apiKey) {
      input.apiKey = decodeURIComponent(apiKey[1] ?? '');
      input.includeValue =
        new URL(req.url ?? '/', 'http://stand-in').searchParams.get('includeValue') === 'true';
    }
    const target = apiKey ? 'APIGateway.GetApiKey' : String(req.headers['x-amz-target'] ?? '');
    const signedWith = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    if (signedWith !== undefined) this.accessKeyIds.add(signedWith);
    const operation = target.split('.').pop() as Operation;
    if (!(operation in this.calls)) return this.send(res, 400, { __type: 'UnknownOperationException' });
    const n = ++this.calls[operation];
    const fault = this.faultFor?.(operation, n, input);
    if (fault?.kind === 'error')
      return this.send(res, fault.status, { __type: fault.type, message: fault.message });
    if (fault?.kind === 'drop') return void res.socket?.destroy();
    if (fault?.kind === 'hang' && !fault.work) return;
    if (fault?.kind === 'late') {
      const when =
        typeof fault.after === 'number'
          ? new Promise<void>((resolve) => setTimeout(resolve, fault.after as number))
          : fault.after.then(
              () => undefined,
              () => undefined,
            );
      const effect = when.then(() => {
        this.serve(operation, input, false);
        this.landing.delete(effect);
      });
      this.landing.add(effect);
      return void res.socket?.destroy();
    }

    const answer = this.serve(operation, input, fault?.kind === 'capacity');
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (!res.destroyed) this.send(res, answer.status, answer.body);
  }

  private serve(operation: Operation, input: Record<string, unknown>, noCapacity: boolean): Answer {
    switch (operation) {
      case 'RunTask':
        return this.runTask(input, noCapacity);
      case 'ListTasks':
        return this.listTasks(input);
      case 'DescribeTasks':
        return this.describeTasks(input);
      case 'PutSecretValue':
        return this.putSecretValue(input);
      case 'DescribeSecret':
        return this.describeSecret(input);
      case 'GetApiKey':
        return this.getApiKey(input);
      default:
        return this.getSecretValue(input);
    }
  }

  private runTask(input: Record<string, unknown>, noCapacity: boolean): Answer {
    const token = input.clientToken as string | undefined;
    const cluster = clusterName(input.cluster);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ ...input, clientToken: undefined }))
      .digest('hex');
    const tokenKey = token === undefined ? undefined : `${cluster}\u0000${token}`;
    const known = tokenKey === undefined ? undefined : this.byToken.get(tokenKey);
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
      return { status: 200, body: { tasks: [this.describe(known.task, false, Date.now())], failures: [] } };
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
      taskArn: `${this.arnPrefix}:task/${cluster}/${(++this.seq).toString(16).padStart(32, '0')}`,
      cluster,
      clientToken: token,
      startedBy: input.startedBy as string | undefined,
      capacityProvider: provider,
      input,
      createdAt: Date.now(),
    };
    this.tasks.push(task);
    if (tokenKey !== undefined) this.byToken.set(tokenKey, { fingerprint, task });
    return { status: 200, body: { tasks: [this.describe(task, false)], failures: [] } };
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

  /**
   * ECS ListTasks: `cluster`, `startedBy` and `desiredStatus` (RUNNING by default; STOPPED lists only
   * stopped tasks; PENDING lists nothing, as in ECS) filter; pages of `maxResults` (1–100, default
   * 100, capped by `listPageSize`) in creation order, continued by an opaque `nextToken`.
   */
  private listTasks(input: Record<string, unknown>): Answer {
    const desired = (input.desiredStatus as string | undefined) ?? 'RUNNING';
    if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desired)) return invalid(`desiredStatus ${desired}`);
    const maxResults = (input.maxResults as number | undefined) ?? 100;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)
      return invalid('maxResults must be between 1 and 100.');
    let after = -1;
    if (input.nextToken !== undefined) {
      try {
        after = (
          JSON.parse(Buffer.from(String(input.nextToken), 'base64url').toString('utf8')) as { i: number }
        ).i;
      } catch {
        return invalid('Invalid nextToken.');
      }
      if (!Number.isInteger(after)) return invalid('Invalid nextToken.');
    }
    const cluster = clusterName(input.cluster);
    const startedBy = input.startedBy as string | undefined;
    const now = Date.now();
    const size = Math.min(maxResults, this.options.listPageSize ?? 100);
    const page: string[] = [];
    let last = after;
    for (let i = after + 1; i < this.tasks.length; i++) {
      const task = this.tasks[i] as LaunchedTask;
      if (task.cluster !== cluster || (startedBy !== undefined && task.startedBy !== startedBy)) continue;
      if (!this.visible(task, now, true) || this.desiredStatusOf(task, now) !== desired) continue;
      if (page.length === size) {
        const nextToken = Buffer.from(JSON.stringify({ i: last })).toString('base64url');
        return { status: 200, body: { taskArns: page, nextToken } };
      }
      page.push(task.taskArn);
      last = i;
    }
    return { status: 200, body: { taskArns: page } };
  }

  /** ECS DescribeTasks: the named tasks (ARNs or IDs) of the cluster; unknown ones are `MISSING` failures. */
  private describeTasks(input: Record<string, unknown>): Answer {
    const wanted = input.tasks;
    if (!Array.isArray(wanted) || wanted.length === 0) return invalid('Tasks cannot be empty.');
    if (wanted.length > 100) return invalid('Tasks cannot have more than 100 elements.');
    const cluster = clusterName(input.cluster);
    const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
    const now = Date.now();
    const lags = this.options.describeLags === true;
    const tasks: Record<string, unknown>[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of wanted.map(String)) {
      const task = this.tasks.find(
        (t) => t.cluster === cluster && (t.taskArn === ref || t.taskArn.endsWith(`/${ref}`)),
      );
      if (task === undefined || !this.visible(task, now, lags))
        failures.push({ arn: ref, reason: 'MISSING' });
      else tasks.push(this.describe(task, withTags, now));
    }
    return { status: 200, body: { tasks, failures } };
  }

  /**
   * DescribeSecret as Secrets Manager answers it: metadata only, never the value; `VersionIdsToStages`
   * lists the labelled versions (AWSCURRENT, AWSPREVIOUS); `DeletedDate` only while scheduled for
   * deletion; timestamps are epoch seconds (AWS JSON 1.1).
   */
  private describeSecret(input: Record<string, unknown>): Answer {
    const id = String(input.SecretId);
    const versions = this.secrets.versions.get(id);
    if (!this.secrets.has(id) || versions === undefined) {
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        },
      };
    }
    const stages: Record<string, string[]> = {};
    const current = versions.at(-1);
    const previous = versions.at(-2);
    if (current) stages[current] = ['AWSCURRENT'];
    if (previous) stages[previous] = ['AWSPREVIOUS'];
    return {
      status: 200,
      body: {
        ARN: id,
        Name: id
          .split(':')
          .pop()
          ?.replace(/-[A-Za-z0-9]{6}$/, ''),
        CreatedDate: 1_763_856_000,
        LastChangedDate: 1_763_856_000 + versions.length,
        VersionIdsToStages: stages,
        ...(this.secrets.deleted.has(id) ? { DeletedDate: 1_764_460_800 } : {}),
      },
    };
  }

  private getSecretValue(input: Record<string, unknown>): Answer {
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
      body: {
        ARN: id,
        Name: id.split(':').pop(),
        SecretString: value,
        VersionId: this.secrets.current(id) ?? 'v1',
      },
    };
  }

  /**
   * Secrets Manager PutSecretValue: the value becomes AWSCURRENT under `ClientRequestToken` (its
   * version id). The same token again with the same value changes nothing; with another value it is
   * a ResourceExistsException, as in Secrets Manager.
   */
  private putSecretValue(input: Record<string, unknown>): Answer {
    const id = String(input.SecretId);
    if (!this.secrets.has(id)) return this.getSecretValue(input);
    const versionId = String(input.ClientRequestToken ?? `v${++this.seq}`);
    const known = this.putVersions.get(`${id}\u0000${versionId}`);
    if (known !== undefined && known !== input.SecretString) {
      return {
        status: 400,
        body: {
          __type: 'ResourceExistsException',
          message: `A resource with the ID you requested already exists (version ${versionId})`,
        },
      };
    }
    // The same token and value again is idempotent in Secrets Manager: no new version, no stage moved.
    if (known === undefined) {
      this.putVersions.set(`${id}\u0000${versionId}`, String(input.SecretString));
      this.secrets.put(id, String(input.SecretString), versionId);
    }
    return {
      status: 200,
      body: { ARN: id, Name: id.split(':').pop(), VersionId: versionId, VersionStages: ['AWSCURRENT'] },
    };
  }

  /** API Gateway GetApiKey (REST JSON): the value only with `includeValue=true`, as the real API. */
  private getApiKey(input: Record<string, unknown>): Answer {
    const id = String(input.apiKey);
    const value = this.apiKeys.get(id);
    if (value === undefined) {
      return {
        status: 404,
        body: { __type: 'NotFoundException', message: 'Invalid API Key identifier specified' },
      };
    }
    return {
      status: 200,
      body: { id, name: id, enabled: true, ...(input.includeValue === true ? { value } : {}) },
    };
  }

  /** A task as ECS describes it; RunTask answers with `describe(task, false)` of a fresh task (PROVISIONING). */
  private describe(task: LaunchedTask, withTags: boolean, now?: number): Record<string, unknown> {
    const stopped = now !== undefined && this.isStopped(task, now);
    const stoppedAt = this.stoppedAtOf(task);
    const tags = task.input.tags as { key?: string; value?: string }[] | undefined;
    return {
      taskArn: task.taskArn,
      clusterArn: `${this.arnPrefix}:cluster/${task.cluster}`,
      taskDefinitionArn: task.input.taskDefinition,
      lastStatus:
        now === undefined
          ? 'PROVISIONING'
          : stopped
            ? 'STOPPED'
            : now - task.createdAt < (this.options.startMs ?? 0)
              ? 'PENDING'
              : 'RUNNING',
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      launchType: task.capacityProvider === undefined ? 'FARGATE' : undefined,
      capacityProviderName: task.capacityProvider,
      startedBy: task.startedBy,
      group: task.input.group,
      createdAt: task.createdAt / 1000,
      // ECS sets startedAt once the task reached RUNNING.
      ...(now !== undefined && now - task.createdAt >= (this.options.startMs ?? 0)
        ? { startedAt: (task.createdAt + (this.options.startMs ?? 0)) / 1000 }
        : {}),
      overrides: task.input.overrides ?? { containerOverrides: [] },
      ...(stopped && stoppedAt !== undefined
        ? {
            stoppedAt: stoppedAt / 1000,
            stopCode: task.stoppedAt === undefined ? 'EssentialContainerExited' : 'UserInitiated',
            stoppedReason: task.stoppedReason ?? 'Essential container in task exited',
          }
        : {}),
      ...(withTags ? { tags: tags ?? [] } : {}),
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
