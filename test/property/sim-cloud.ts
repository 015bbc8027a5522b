/**
 * An in-process, pessimistic simulation of the services the launchers talk to, for the
 * exactly-once property test: ECS (one world per Region, RunTask with clientToken semantics per
 * cluster), Azure Container Apps (job starts and a lagging, paged execution list) and a launch
 * ledger with lost, throttled and hanging calls.
 *
 * Faults come from scripts (arrays the property generates), consumed one per call in call order;
 * an exhausted script answers `ok`. Once `quiet` is set every call succeeds (the lists still lag:
 * that is how they behave on a good day). Every delay and every hang rejects as soon as the call's
 * AbortSignal fires, as the SDKs do; a call whose signal has fired already is never sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  DescribeTasksCommand,
  type DescribeTasksCommandInput,
  ListTasksCommand,
  type ListTasksCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type StopTaskCommandInput,
} from '@aws-sdk/client-ecs';
import type { JobExecutionTemplate } from '@azure/arm-appcontainers';
import { TemporarilyUnavailableError } from '../../lambda/errors.js';
import type { AcaJob, AcaJobApi, StartedExecution } from '../../lambda/launchers/aca/arm-job-api.js';
import { DEDUP_KEY_VARIABLE } from '../../lambda/launchers/aca/job-template.js';
import type {
  ClaimOutcome,
  LaunchLedger,
  LedgerAttempt,
  RecordedLaunch,
} from '../../lambda/ledger/launch-ledger.js';

/** A hang longer than this means a caller passed a signal that never fires: reported as a bug. */
const HANG_LIMIT_MS = 3_000;

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted.', { cause: signal.reason }), {
    name: 'AbortError',
  });
}

/**
 * When each `AbortSignal.timeout` signal is due, as its creator meant it: on a loaded machine its
 * timer fires late, and a simulated effect anchored on that late firing would stretch the time the
 * caller gave it by the loop's lag (a lag production's seconds-long settle time never sees, but that
 * the simulation's milliseconds do). The signals themselves are untouched.
 */
const DUE_AT = Symbol.for('sim-cloud.abort-signal-due');
// Kept on the class, patched once per process: a module loaded again (another test file in the
// same worker) reads the same map.
const signalClass = AbortSignal as typeof AbortSignal & { [DUE_AT]?: WeakMap<AbortSignal, number> };
const dueAt: WeakMap<AbortSignal, number> = signalClass[DUE_AT] ?? new WeakMap();
if (signalClass[DUE_AT] === undefined) {
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  signalClass.timeout = (ms: number) => {
    const signal = timeout(ms);
    dueAt.set(signal, Date.now() + ms);
    return signal;
  };
  signalClass[DUE_AT] = dueAt;
}

/** When `signal` was meant to fire (undefined: not a timeout signal made since this module loaded). */
export function dueTimeOf(signal: AbortSignal): number | undefined {
  return dueAt.get(signal);
}

/** Waits `ms`, or rejects with an AbortError as soon as `signal` fires. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never answers: rejects when `signal` fires (and records a bug if it never does). */
export function hang(signal: AbortSignal, bugs: string[], what: string): Promise<never> {
  return delay(HANG_LIMIT_MS, signal).then(() => {
    bugs.push(
      `${what}: a hanging call was never aborted (its signal did not fire within ${HANG_LIMIT_MS} ms)`,
    );
    throw new Error('hang limit');
  });
}

/**
 * ECS's token check may lag the task a RunTask started (ECS is eventually consistent) while the
 * call that started it is still open and this long after it ended: a `capacityUnchecked` answer
 * ignores a known token only then. That covers a retry inside the attempt that may have started it
 * (the retry's longest backoff is 8 ms here). A request that lands after its caller gave up is
 * checked from the start (its caller's retries are over), and so is a call of another delivery
 * than the one whose call started the task (`deliveryScope`; webhook schedules): a later delivery
 * only comes after the holder gave the key up, i.e. after its calls ended; in production after
 * `Retry-After` (5 s), and a repeat answered with `failures` then is taken as conclusive:
 * docs/reliability.md, residual risk "ECS's token check lagging the task it started", which the
 * property does not accept. By time alone, a delivery that timers stalled on a loaded machine (one
 * that started 33 ms late, ending just as the next began) met that residual: a false double.
 */
export const TOKEN_LAG_MS = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- ECS

export type EcsFaultKind =
  | 'ok' // answers the task after `ms`
  | 'capacity' // `failures` answer (after the token check: a known token returns its task)
  | 'capacityUnchecked' // `failures` answer even for a token that started a task (no token check)
  | 'denied' // a configuration-type 4xx (AccessDenied / ClientException / InvalidParameter), nothing done
  | 'throttle' // ThrottlingException, HTTP 400, before anything happened
  | 'error5xx' // ServerException, HTTP 500, nothing started
  | 'started5xx' // the task started, then ServerException 500
  | 'lost' // the task started, the answer is lost: the call hangs until aborted
  | 'late' // hangs until aborted; the request takes effect `ms` after the abort
  | 'slow' // the task started, the answer comes after `ms` (often after the abort)
  | 'hang'; // nothing happens, the call hangs until aborted

export interface EcsFault {
  readonly kind: EcsFaultKind;
  readonly ms: number;
}

export interface EcsTask {
  readonly arn: string;
  readonly region: string;
  readonly cluster: string;
  readonly token: string;
  readonly provider: string;
  readonly startedBy: string;
  /** The `scalr:task-id` tag: which Scalr task (or poller slot) the agent serves. */
  readonly taskId: string;
  /** Which deployment's launcher sent the RunTask that started it (`v0` old, `v1` new, `poller`). */
  readonly by: string;
  readonly at: number;
  /** When the task stops by itself (its job is done) or was stopped (StopTask). */
  stoppedAt: number;
}

export interface EcsWorldOptions {
  /** How long an agent runs before it stops by itself. */
  readonly lifetimeMs?: number;
  /**
   * A task stopped longer ago than this is MISSING to DescribeTasks and gone from ListTasks (ECS
   * forgets stopped tasks after about an hour), while its clientToken still answers (24 h).
   */
  readonly forgetMs?: number;
  /** DescribeTasks and ListTasks show a new task only this long after it started. */
  readonly readLagMs?: number;
  /** ListTasks page size. */
  readonly pageSize?: number;
}

interface ServiceError extends Error {
  $metadata: { httpStatusCode: number };
  $fault: 'client' | 'server';
}

function ecsError(name: string, status: number, message: string, extra: object = {}): ServiceError {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? ('server' as const) : ('client' as const),
    ...extra,
  });
}

const DENIALS = ['AccessDeniedException', 'ClientException', 'InvalidParameterException'] as const;

/** The key of a RunTask's clientToken in its cluster. */
function tokenKey(input: RunTaskCommandInput): string {
  return `${input.cluster ?? 'default'}\u0000${input.clientToken ?? ''}`;
}

/** The parameters a clientToken is bound to: everything but the token itself. */
function paramsOf(input: RunTaskCommandInput): string {
  const { clientToken: _, ...rest } = input;
  return JSON.stringify(rest);
}

/** ECS in one Region. `down`: during the fault phase every call fails with a 5xx or hangs. */
export class EcsWorld {
  readonly tasks: EcsTask[] = [];
  /** cluster + token → the task it started and the parameters it was bound to. */
  /**
   * `endedAt`: when the call that started the task ended (answered, failed or aborted); undefined
   * while it is still open. A request that landed after its caller gave up has ended already.
   */
  private readonly tokens = new Map<
    string,
    { params: string; arn: string; endedAt?: number; delivery?: string }
  >();
  private calls = 0;
  /** Effects still to land (late requests); awaited before the world is judged. */
  readonly landing: Promise<void>[] = [];
  /** Late requests still in ECS's pipeline, each landing at `landAt` by the clock (landDue). */
  private readonly inPipeline: {
    input: RunTaskCommandInput;
    by: string;
    ms: number;
    landAt: number;
    /** The delivery whose call sent it: its landing is that delivery's, whoever's call lands it. */
    delivery: string | undefined;
  }[] = [];
  quiet = false;

  constructor(
    readonly region: string,
    private readonly script: readonly EcsFault[],
    readonly down: boolean,
    private readonly journal: Journal,
    private readonly options: EcsWorldOptions = {},
  ) {}

  /** An object that answers `send(command, { abortSignal })` like an ECSClient. */
  client(by = ''): { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> } {
    return {
      send: (command, options) => {
        const signal = options?.abortSignal;
        if (signal === undefined) {
          this.journal.bugs.push(
            `ecs ${this.region}: ${nameOfCommand(command)} sent without an abort signal`,
          );
          return Promise.reject(new Error('no signal'));
        }
        if (command instanceof RunTaskCommand) return this.runTask(command.input, signal, by);
        if (command instanceof DescribeTasksCommand) return this.describeTasks(command.input, signal);
        if (command instanceof ListTasksCommand) return this.listTasks(command.input, signal);
        if (command instanceof StopTaskCommand) return this.stopTask(command.input, signal);
        return Promise.reject(new Error(`unexpected command ${nameOfCommand(command)}`));
      },
    };
  }

  /** Tasks alive at `t` (started, not stopped). */
  aliveAt(t: number): EcsTask[] {
    this.landDue();
    return this.tasks.filter((task) => task.at <= t && t < task.stoppedAt);
  }

  private nextFault(): EcsFault {
    const n = this.calls++;
    if (this.quiet) return { kind: 'ok', ms: 0 };
    if (this.down) return { kind: n % 2 === 0 ? 'error5xx' : 'hang', ms: 1 };
    return this.script[n] ?? { kind: 'ok', ms: 0 };
  }

  private async runTask(input: RunTaskCommandInput, signal: AbortSignal, by: string): Promise<unknown> {
    if (signal.aborted) throw abortError(signal);
    this.landDue();
    const fault = this.nextFault();
    const provider = input.capacityProviderStrategy?.[0]?.capacityProvider ?? '?';
    this.journal.log(
      `ecs ${this.region} RunTask ${provider} token=${input.clientToken?.slice(0, 12)} task=${taskIdOf(input)} -> ${fault.kind}(${fault.ms})`,
    );
    switch (fault.kind) {
      case 'throttle':
        await delay(fault.ms, signal);
        throw ecsError('ThrottlingException', 400, 'Rate exceeded');
      case 'error5xx':
        await delay(fault.ms, signal);
        throw ecsError('ServerException', 500, 'Service unavailable');
      case 'denied': {
        await delay(fault.ms % 5, signal);
        const name = DENIALS[fault.ms % DENIALS.length] ?? 'AccessDeniedException';
        throw ecsError(name, 400, `${name}: refused`);
      }
      case 'capacityUnchecked':
        // Only while ECS's token check lags the task the token started (see TOKEN_LAG_MS); later,
        // a known token is checked first, as for `capacity`.
        if (this.tokenCallEndedAt(input) < Date.now() - TOKEN_LAG_MS || this.otherDelivery(input)) break;
        await delay(fault.ms % 5, signal);
        return {
          tasks: [],
          failures: [{ reason: 'Capacity is unavailable at this time. Please try again later.' }],
        };
      case 'hang':
        return hang(signal, this.journal.bugs, `ecs ${this.region}`);
      case 'late': {
        // Nothing yet; the request is still in ECS's pipeline and lands `ms` after the caller gave up.
        // That moment is when its signal was due, not when a loaded event loop fired it, and the
        // landing is due by the clock: any call or read after `landAt` meets it even if the
        // landing's own timer runs late (a retry of the key one timer-lag too early would otherwise
        // be refused before a task the model had already started, and its caller drop the key).
        const due = dueTimeOf(signal);
        const inPipeline = (gaveUp: number) => {
          const landAt = gaveUp + fault.ms;
          this.inPipeline.push({ input, by, ms: fault.ms, landAt, delivery: deliveryScope.getStore() });
          this.landing.push(sleep(Math.max(0, landAt - Date.now())).then(() => this.landDue()));
        };
        if (due !== undefined) inPipeline(due);
        return hang(signal, this.journal.bugs, `ecs ${this.region}`).catch((error: unknown) => {
          // A signal of unknown origin: the abort as this process saw it.
          if (due === undefined) inPipeline(Date.now());
          throw error;
        });
      }
      default:
    }
    // Past the front door: the token is checked first, so a known token returns its task.
    const known = this.tokens.get(tokenKey(input));
    const answer = this.apply(
      input,
      fault.kind === 'capacity' || fault.kind === 'capacityUnchecked',
      by,
      true,
    );
    const started = this.tokens.get(tokenKey(input));
    try {
      switch (fault.kind) {
        case 'started5xx':
          await delay(fault.ms, signal);
          throw ecsError('ServerException', 500, 'Internal error');
        case 'lost':
          return await hang(signal, this.journal.bugs, `ecs ${this.region}`);
        default:
          await delay(fault.ms, signal);
          if (answer instanceof Error) throw answer;
          return answer;
      }
    } finally {
      if (started !== undefined && started !== known) started.endedAt = Date.now();
    }
  }

  /** The token's task was started by another delivery's call than this one (see TOKEN_LAG_MS). */
  private otherDelivery(input: RunTaskCommandInput): boolean {
    const started = this.tokens.get(tokenKey(input))?.delivery;
    const caller = deliveryScope.getStore();
    return started !== undefined && caller !== undefined && started !== caller;
  }

  /**
   * When the call that started this token's task ended: +Infinity while it is open or for a token
   * ECS has not seen, -Infinity for a request that landed after its caller gave up.
   */
  private tokenCallEndedAt(input: RunTaskCommandInput): number {
    const known = this.tokens.get(tokenKey(input));
    return known === undefined ? Number.POSITIVE_INFINITY : (known.endedAt ?? Number.POSITIVE_INFINITY);
  }

  /** Lands the late requests whose time has come, in order, each at its own time. */
  private landDue(): void {
    const now = Date.now();
    for (let i = 0; i < this.inPipeline.length; ) {
      const request = this.inPipeline[i];
      if (request === undefined || request.landAt > now) {
        i++;
        continue;
      }
      this.inPipeline.splice(i, 1);
      const land = () => {
        this.journal.log(`ecs ${this.region} late RunTask lands (${request.ms} ms after its caller gave up)`);
        this.apply(request.input, false, request.by, false, request.landAt);
      };
      if (request.delivery === undefined) deliveryScope.exit(land);
      else deliveryScope.run(request.delivery, land);
    }
  }

  /** RunTask's effect: the original task for a known token, else a new task (or `failures`). */
  private apply(
    input: RunTaskCommandInput,
    noCapacity: boolean,
    by: string,
    live: boolean,
    at = Date.now(),
  ): object | Error {
    const cluster = input.cluster ?? 'default';
    const token = input.clientToken ?? '';
    const params = paramsOf(input);
    const known = token === '' ? undefined : this.tokens.get(`${cluster}\u0000${token}`);
    if (known !== undefined) {
      if (known.params !== params) {
        // Logged: the property tells a Spot leg that met the old token from one that never reached it.
        this.journal.log(
          `ecs ${this.region} CONFLICT ${input.startedBy ?? ''} ${input.capacityProviderStrategy?.[0]?.capacityProvider ?? '?'} task=${taskIdOf(input)} by ${by}`,
        );
        return ecsError('ConflictException', 400, 'clientToken reused with other parameters', {
          resourceIds: [known.arn],
        });
      }
      return { tasks: [{ taskArn: known.arn }], failures: [] };
    }
    if (noCapacity) {
      return {
        tasks: [],
        failures: [{ reason: 'Capacity is unavailable at this time. Please try again later.' }],
      };
    }
    const arn = `arn:aws:ecs:${this.region}:123456789012:task/${cluster}/${this.region}-t${this.tasks.length + 1}`;
    this.tasks.push({
      arn,
      region: this.region,
      cluster,
      token,
      provider: input.capacityProviderStrategy?.[0]?.capacityProvider ?? '?',
      startedBy: input.startedBy ?? '',
      taskId: taskIdOf(input),
      by,
      at,
      stoppedAt: at + (this.options.lifetimeMs ?? Number.POSITIVE_INFINITY),
    });
    if (token !== '')
      this.tokens.set(`${cluster}\u0000${token}`, {
        params,
        arn,
        ...(live ? {} : { endedAt: Number.NEGATIVE_INFINITY }),
        ...(deliveryScope.getStore() === undefined ? {} : { delivery: deliveryScope.getStore() }),
      });
    this.journal.log(`ecs ${this.region} STARTED ${arn} (${input.startedBy}, task ${taskIdOf(input)})`);
    return { tasks: [{ taskArn: arn }], failures: [] };
  }

  /** What a read sees of a task now: undefined while it lags or once it is forgotten. */
  private readable(task: EcsTask, t: number): boolean {
    if (t < task.at + (this.options.readLagMs ?? 0)) return false;
    const forget = this.options.forgetMs;
    return !(forget !== undefined && t >= task.stoppedAt + forget);
  }

  private describe(task: EcsTask, t: number): object {
    const stopped = t >= task.stoppedAt;
    return {
      taskArn: task.arn,
      lastStatus: stopped ? 'STOPPED' : 'RUNNING',
      desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
      createdAt: new Date(task.at),
      startedAt: new Date(task.at),
      startedBy: task.startedBy,
      tags: [
        { key: 'scalr:task-id', value: task.taskId },
        { key: 'dispatcher:manual', value: 'false' },
      ],
    };
  }

  private async describeTasks(input: DescribeTasksCommandInput, signal: AbortSignal): Promise<unknown> {
    await delay(1, signal);
    this.landDue();
    const t = Date.now();
    const tasks: object[] = [];
    const failures: object[] = [];
    for (const arn of input.tasks ?? []) {
      const task = this.tasks.find((x) => x.arn === arn);
      if (task !== undefined && this.readable(task, t)) tasks.push(this.describe(task, t));
      else failures.push({ arn, reason: 'MISSING' });
    }
    this.journal.log(`ecs ${this.region} DescribeTasks ${input.tasks?.length} -> ${tasks.length} found`);
    return { tasks, failures };
  }

  /** Paged (`nextToken`), lagging; each page sees the world as it is when it is asked. */
  private async listTasks(input: ListTasksCommandInput, signal: AbortSignal): Promise<unknown> {
    await delay(1, signal);
    this.landDue();
    if (!this.quiet && this.down) throw ecsError('ServerException', 500, 'Service unavailable');
    const t = Date.now();
    const wantStopped = input.desiredStatus === 'STOPPED';
    const matching = this.tasks.filter(
      (task) =>
        this.readable(task, t) &&
        (input.startedBy === undefined || task.startedBy === input.startedBy) &&
        t >= task.stoppedAt === wantStopped,
    );
    const size = Math.min(input.maxResults ?? 100, this.options.pageSize ?? 100);
    const from = Number(input.nextToken ?? '0');
    const page = matching.slice(from, from + size);
    const more = from + size < matching.length;
    return { taskArns: page.map((task) => task.arn), ...(more ? { nextToken: String(from + size) } : {}) };
  }

  private async stopTask(input: StopTaskCommandInput, signal: AbortSignal): Promise<unknown> {
    await delay(1, signal);
    const task = this.tasks.find((x) => x.arn === input.task);
    if (task === undefined)
      throw ecsError('InvalidParameterException', 400, 'The referenced task was not found.');
    task.stoppedAt = Math.min(task.stoppedAt, Date.now());
    this.journal.log(`ecs ${this.region} StopTask ${task.arn}`);
    return { task: this.describe(task, Date.now()) };
  }
}

function nameOfCommand(command: unknown): string {
  return (command as { constructor?: { name?: string } })?.constructor?.name ?? 'command';
}

function taskIdOf(input: RunTaskCommandInput): string {
  return input.tags?.find((tag) => tag.key === 'scalr:task-id')?.value ?? '';
}

// ---------------------------------------------------------------- ACA

export type AcaFaultKind =
  | 'ok' // 200 { name, id } after `ms`
  | 'accepted202' // 202 with only an operation URL (the execution started)
  | 'throttle429' // 429 + Retry-After (nothing started)
  | 'error5xx' // 500, nothing started
  | 'started5xx' // the execution started, then 500
  | 'lost' // started, answer lost: hangs until aborted
  | 'slow' // started, answer after `ms`
  | 'late' // hangs until aborted; the start takes effect `ms` after the abort
  | 'hang'; // nothing started, hangs until aborted

export interface AcaFault {
  readonly kind: AcaFaultKind;
  readonly ms: number;
}

export type ListFaultKind = 'ok' | 'error5xx' | 'hang' | 'laterPageFails';
export type TemplateFaultKind = 'ok' | 'error5xx' | 'hang';

export interface AcaExecution {
  readonly id: string;
  readonly name: string;
  readonly operation: string;
  readonly dedupKey: string;
  /** DISPATCH_TASK_ID: the Scalr task the agent serves. */
  readonly taskId: string;
  /** Which deployment's launcher started it. */
  readonly by: string;
  readonly createdAt: number;
  /** When the execution list starts showing it: createdAt + a lag below the leg's settleMs. */
  readonly visibleAt: number;
}

function restError(status: number, message: string, retryAfterSeconds?: number): Error {
  return Object.assign(new Error(message), {
    name: 'RestError',
    statusCode: status,
    code: status === 429 ? 'TooManyRequests' : 'InternalServerError',
    response: {
      headers: {
        get: (name: string) =>
          name.toLowerCase() === 'retry-after' && retryAfterSeconds !== undefined
            ? String(retryAfterSeconds)
            : undefined,
      },
    },
  });
}

export interface AcaWorldOptions {
  readonly starts: readonly AcaFault[];
  readonly lists: readonly ListFaultKind[];
  readonly templates: readonly TemplateFaultKind[];
  /** Lags (ms) of successive executions behind their start; each below `settleMs`. */
  readonly lags: readonly number[];
  readonly settleMs: number;
  readonly pageSize: number;
  /** Executions of other keys already on the list (a busy job: the key may be on a later page). */
  readonly background: number;
}

/** One Container Apps job. Implements the three ARM calls the ACA leg makes. */
export class AcaWorld implements AcaJobApi {
  readonly executions: AcaExecution[] = [];
  /** Effects still to land (late starts); awaited before the world is judged. */
  readonly landing: Promise<void>[] = [];
  /** Late starts still in ARM's pipeline: they land at `landAt` (by the clock, not by a timer). */
  private readonly inPipeline: {
    key: string;
    taskId: string;
    by: string;
    late: number;
    landAt: number;
    visibleBy: number;
  }[] = [];
  private starts = 0;
  private lists = 0;
  private templates = 0;
  quiet = false;

  constructor(
    private readonly options: AcaWorldOptions,
    private readonly journal: Journal,
  ) {
    for (let i = 0; i < options.background; i++) this.create(`other-key-${i}`, '', '', 0);
  }

  async readJob(signal: AbortSignal): Promise<AcaJob | undefined> {
    if (signal.aborted) throw abortError(signal);
    const fault = this.quiet ? 'ok' : (this.options.templates[this.templates++] ?? 'ok');
    if (fault === 'hang') return hang(signal, this.journal.bugs, 'aca readTemplate');
    await delay(1, signal);
    if (fault === 'error5xx') throw restError(503, 'ARM unavailable');
    return {
      location: 'West Europe',
      template: {
        containers: [
          {
            name: 'agent',
            image: 'scalr/agent:latest',
            env: [{ name: 'SCALR_AGENT_TOKEN', secretRef: 'agent-token' }],
          },
        ],
      },
    };
  }

  async start(template: JobExecutionTemplate, signal: AbortSignal, by = ''): Promise<StartedExecution> {
    if (signal.aborted) throw abortError(signal);
    const fault: AcaFault = this.quiet
      ? { kind: 'ok', ms: 0 }
      : (this.options.starts[this.starts++] ?? { kind: 'ok', ms: 0 });
    const env = template.containers?.flatMap((c) => c.env ?? []) ?? [];
    const key = env.find((v) => v.name === DEDUP_KEY_VARIABLE)?.value ?? '';
    const taskId = env.find((v) => v.name === 'DISPATCH_TASK_ID')?.value ?? '';
    this.journal.log(`aca start key=${key} task=${taskId} -> ${fault.kind}(${fault.ms})`);
    switch (fault.kind) {
      case 'throttle429':
        await delay(fault.ms, signal);
        // Retry-After in (fractional) seconds: the simulation runs at millisecond scale.
        throw restError(429, 'Too many requests', 0.005);
      case 'error5xx':
        await delay(fault.ms, signal);
        throw restError(500, 'Internal server error');
      case 'hang':
        return hang(signal, this.journal.bugs, 'aca start');
      case 'late': {
        // ARM's pipeline and its list lag together stay within the leg's settleMs: the settle time
        // is the platform's stated bound, counted from the moment the caller gave up. That moment
        // is when its signal was due, not when a loaded event loop got round to firing it (the
        // request left before; its way through ARM does not wait for the caller's timer), and the
        // landing is due by the clock: a list after `landAt` sees it even if the landing's own
        // timer runs late, and shows it by `visibleBy` (it lags less, not more).
        const settle = this.options.settleMs;
        const late = fault.ms % Math.max(1, Math.floor(settle / 2));
        const due = dueTimeOf(signal);
        const inPipeline = (gaveUp: number) => {
          const landAt = gaveUp + late;
          this.inPipeline.push({ key, taskId, by, late, landAt, visibleBy: gaveUp + settle - 1 });
          this.landing.push(sleep(Math.max(0, landAt - Date.now())).then(() => this.landDue()));
        };
        if (due !== undefined) inPipeline(due);
        return hang(signal, this.journal.bugs, 'aca start').catch((error: unknown) => {
          // A signal of unknown origin: the abort as this process saw it.
          if (due === undefined) inPipeline(Date.now());
          throw error;
        });
      }
      default:
    }
    const execution = this.create(key, taskId, by, this.quiet ? this.lag(0) : undefined);
    switch (fault.kind) {
      case 'started5xx':
        await delay(fault.ms, signal);
        throw restError(500, 'Internal server error');
      case 'lost':
        return hang(signal, this.journal.bugs, 'aca start');
      case 'accepted202':
        await delay(fault.ms, signal);
        return { operation: execution.operation, status: 202 };
      default:
        await delay(fault.ms, signal);
        return { name: execution.name, id: execution.id, status: 200 };
    }
  }

  async findExecution(dedupKey: string, signal: AbortSignal): Promise<StartedExecution | undefined> {
    if (signal.aborted) throw abortError(signal);
    const fault = this.quiet ? 'ok' : (this.options.lists[this.lists++] ?? 'ok');
    this.journal.log(`aca list key=${dedupKey} -> ${fault}`);
    if (fault === 'hang') return hang(signal, this.journal.bugs, 'aca list');
    // Page by page, newest first; each page is its own request and sees the list as it is then.
    for (let page = 0; ; page++) {
      await delay(1, signal);
      if (fault === 'error5xx' || (fault === 'laterPageFails' && page > 0)) {
        throw restError(500, 'Internal server error');
      }
      this.landDue();
      const t = Date.now();
      const visible = this.executions
        .filter((e) => e.visibleAt <= t)
        .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
      const items = visible.slice(page * this.options.pageSize, (page + 1) * this.options.pageSize);
      const match = items.find((e) => e.dedupKey === dedupKey);
      if (match !== undefined) {
        this.journal.log(`aca list key=${dedupKey} found ${match.id} on page ${page + 1}`);
        return { name: match.name, id: match.id, status: 200 };
      }
      if (items.length < this.options.pageSize) {
        this.journal.log(`aca list key=${dedupKey} not found (${visible.length} visible)`);
        return undefined;
      }
    }
  }

  /** Lands the late starts whose time has come, in order, at their own time. */
  private landDue(): void {
    const now = Date.now();
    for (let i = 0; i < this.inPipeline.length; ) {
      const start = this.inPipeline[i];
      if (start === undefined || start.landAt > now) {
        i++;
        continue;
      }
      this.inPipeline.splice(i, 1);
      this.journal.log(`aca late start lands (${start.late} ms after its caller gave up)`);
      const lag = Math.min(this.lag(this.executions.length + 1), Math.max(0, start.visibleBy - start.landAt));
      this.create(start.key, start.taskId, start.by, lag, start.landAt);
    }
  }

  private lag(n: number): number {
    const lags = this.options.lags;
    const value = lags.length === 0 ? this.options.settleMs - 1 : (lags[n % lags.length] ?? 0);
    return Math.min(value, this.options.settleMs - 1);
  }

  private create(dedupKey: string, taskId: string, by: string, lag?: number, at?: number): AcaExecution {
    const n = this.executions.length + 1;
    const name = `agents-job-x${n}`;
    const createdAt = at ?? Date.now();
    const l = lag ?? this.lag(n);
    const execution: AcaExecution = {
      id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs/agents-job/executions/${name}`,
      name,
      operation: `https://management.azure.com/operations/op-${n}`,
      dedupKey,
      taskId,
      by,
      createdAt,
      visibleAt: createdAt + l,
    };
    this.executions.push(execution);
    if (!dedupKey.startsWith('other-key-')) {
      this.journal.log(`aca STARTED ${name} key=${dedupKey} visible after ${l} ms`);
    }
    return execution;
  }
}

// ---------------------------------------------------------------- ledger

export type LedgerFaultKind =
  | 'ok'
  | 'lost' // the write is applied, then the answer times out
  | 'throttle' // throttled before anything is applied
  | 'hang' // nothing applied; hangs until aborted
  | 'appliedHang'; // applied, then hangs until aborted

function ledgerTimeout(what: string): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError(`The launch ledger did not answer (${what}).`, 1);
}

/**
 * A ledger (MemoryLedger, or DynamoDbLedger on dynalite) behind a faulty network: lost answers,
 * throttling, hangs. `leaseScale`: a launcher built with the production lease margin (5 s) gets its
 * lease shortened to the simulation's scale (`leaseMarginMs` past the deadline). A lease ending at
 * least half that margin from now is taken for one: simulated deadlines are under a second away,
 * while a claim sent past its deadline (timers stalled on a loaded machine) has less than the whole
 * margin left and, taken for a simulation lease, held its key busy for 5 s, through the quiet phase.
 */
export class FaultyLedger implements LaunchLedger {
  private calls = 0;
  quiet = false;

  constructor(
    private readonly inner: LaunchLedger,
    private readonly script: readonly LedgerFaultKind[],
    private readonly journal: Journal,
    private readonly leaseScale?: { productionMarginMs: number; leaseMarginMs: number },
  ) {}

  claim(
    key: string,
    claim: { owner: string; taskId: string; leaseUntil: number },
    signal: AbortSignal,
  ): Promise<ClaimOutcome> {
    const scale = this.leaseScale;
    // Half the production margin tells the two apart even when the claim is sent past its deadline
    // (a loaded event loop): a production lease read as the sim's would hold the key for 5 s.
    const scaled =
      scale === undefined || claim.leaseUntil - Date.now() < scale.productionMarginMs / 2
        ? claim
        : { ...claim, leaseUntil: claim.leaseUntil - scale.productionMarginMs + scale.leaseMarginMs };
    return this.call(`claim ${key} by ${claim.owner} (${claim.taskId})`, signal, (s) =>
      this.inner.claim(key, scaled, s),
    );
  }
  addAttempt(key: string, owner: string, attempt: LedgerAttempt, signal: AbortSignal): Promise<boolean> {
    const rel = (t: number) => `+${t - this.journal.origin}`;
    const times = `at ${rel(attempt.at)}${attempt.until === undefined ? '' : ` until ${rel(attempt.until)}`}`;
    return this.call(`addAttempt ${key} ${attempt.id}:${attempt.leg} (${times}) by ${owner}`, signal, (s) =>
      this.inner.addAttempt(key, owner, attempt, s),
    );
  }
  markRefused(key: string, owner: string, attemptId: string, signal: AbortSignal): Promise<boolean> {
    return this.call(`markRefused ${key} ${attemptId} by ${owner}`, signal, (s) =>
      this.inner.markRefused(key, owner, attemptId, s),
    );
  }
  complete(key: string, owner: string, launch: RecordedLaunch, signal: AbortSignal): Promise<boolean> {
    return this.call(`complete ${key} ${launch.launchId} by ${owner}`, signal, (s) =>
      this.inner.complete(key, owner, launch, s),
    );
  }
  suspend(key: string, owner: string, signal: AbortSignal): Promise<void> {
    return this.call(`suspend ${key} by ${owner}`, signal, (s) => this.inner.suspend(key, owner, s));
  }
  release(key: string, owner: string, signal: AbortSignal): Promise<void> {
    return this.call(`release ${key} by ${owner}`, signal, (s) => this.inner.release(key, owner, s));
  }

  private async call<T>(
    what: string,
    signal: AbortSignal,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // A write that is applied although its answer is lost must be applied whole: its own signal.
    const apply = () => send(AbortSignal.timeout(5_000));
    if (signal === undefined) {
      this.journal.bugs.push(`ledger ${what}: no abort signal`);
      throw new Error('no signal');
    }
    if (signal.aborted) throw ledgerTimeout('aborted before it was sent');
    const fault = this.quiet ? 'ok' : (this.script[this.calls++] ?? 'ok');
    this.journal.log(`ledger ${what} -> ${fault}`);
    try {
      switch (fault) {
        case 'throttle':
          await delay(1, signal);
          throw new TemporarilyUnavailableError('The launch ledger is throttling requests.', 1);
        case 'hang':
          return await hang(signal, this.journal.bugs, `ledger ${what}`);
        case 'lost':
          await apply();
          await delay(1, signal);
          throw ledgerTimeout('answer lost');
        case 'appliedHang':
          await apply();
          return await hang(signal, this.journal.bugs, `ledger ${what}`);
        default: {
          await delay(0, signal);
          return await send(signal);
        }
      }
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw ledgerTimeout('aborted');
      throw error;
    }
  }
}

// ---------------------------------------------------------------- journal

/**
 * The delivery whose launch is running (set by the schedule around each one): every journal line a
 * call of that launch causes is tagged `[dN]`, a request that lands after its caller gave up
 * included (its timer was set inside the call). Lets the check tell which delivery met what.
 */
export const deliveryScope = new AsyncLocalStorage<string>();

/** What happened in one schedule, for the failure message, and the simulator's own bug reports. */
export class Journal {
  origin = Date.now();
  /** The schedule starts now (after its containers were built). */
  restart(): void {
    this.origin = Date.now();
  }
  readonly lines: string[] = [];
  readonly bugs: string[] = [];
  log(message: string): void {
    const delivery = deliveryScope.getStore();
    this.lines.push(
      `+${Date.now() - this.origin} ${delivery === undefined ? '' : `[${delivery}] `}${message}`,
    );
  }
}

export { sleep };
