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
import { RunTaskCommand, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { JobExecutionTemplate, JobTemplate } from '@azure/arm-appcontainers';
import { TemporarilyUnavailableError } from '../../lambda/errors.js';
import type { AcaJobApi, StartedExecution } from '../../lambda/launchers/aca/arm-job-api.js';
import { DEDUP_KEY_VARIABLE } from '../../lambda/launchers/aca/job-template.js';
import type {
  ClaimOutcome,
  LaunchLedger,
  LedgerAttempt,
  RecordedLaunch,
} from '../../lambda/ledger/launch-ledger.js';
import type { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';

/** A hang longer than this means a caller passed a signal that never fires: reported as a bug. */
const HANG_LIMIT_MS = 3_000;

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted.', { cause: signal.reason }), {
    name: 'AbortError',
  });
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- ECS

export type EcsFaultKind =
  | 'ok' // answers the task after `ms`
  | 'capacity' // `failures` answer (after the token check: a known token returns its task)
  | 'throttle' // ThrottlingException, HTTP 400, before anything happened
  | 'error5xx' // ServerException, HTTP 500, nothing started
  | 'started5xx' // the task started, then ServerException 500
  | 'lost' // the task started, the answer is lost: the call hangs until aborted
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
  readonly at: number;
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

/** The parameters a clientToken is bound to: everything but the token itself. */
function paramsOf(input: RunTaskCommandInput): string {
  const { clientToken: _, ...rest } = input;
  return JSON.stringify(rest);
}

/** ECS in one Region. `down`: during the fault phase every call fails with a 5xx or hangs. */
export class EcsWorld {
  readonly tasks: EcsTask[] = [];
  /** cluster + token → the task it started and the parameters it was bound to. */
  private readonly tokens = new Map<string, { params: string; arn: string }>();
  private calls = 0;
  quiet = false;

  constructor(
    readonly region: string,
    private readonly script: readonly EcsFault[],
    readonly down: boolean,
    private readonly journal: Journal,
  ) {}

  /** An object that answers `send(RunTaskCommand, { abortSignal })` like an ECSClient. */
  client(): { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> } {
    return {
      send: (command, options) => {
        if (!(command instanceof RunTaskCommand)) return Promise.reject(new Error('unexpected command'));
        const signal = options?.abortSignal;
        if (signal === undefined) {
          this.journal.bugs.push(`ecs ${this.region}: RunTask sent without an abort signal`);
          return Promise.reject(new Error('no signal'));
        }
        return this.runTask(command.input, signal);
      },
    };
  }

  private nextFault(): EcsFault {
    const n = this.calls++;
    if (this.quiet) return { kind: 'ok', ms: 0 };
    if (this.down) return { kind: n % 2 === 0 ? 'error5xx' : 'hang', ms: 1 };
    return this.script[n] ?? { kind: 'ok', ms: 0 };
  }

  private async runTask(input: RunTaskCommandInput, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw abortError(signal);
    const fault = this.nextFault();
    const provider = input.capacityProviderStrategy?.[0]?.capacityProvider ?? '?';
    this.journal.log(
      `ecs ${this.region} RunTask ${provider} token=${input.clientToken?.slice(0, 12)} -> ${fault.kind}(${fault.ms})`,
    );
    switch (fault.kind) {
      case 'throttle':
        await delay(fault.ms, signal);
        throw ecsError('ThrottlingException', 400, 'Rate exceeded');
      case 'error5xx':
        await delay(fault.ms, signal);
        throw ecsError('ServerException', 500, 'Service unavailable');
      case 'hang':
        return hang(signal, this.journal.bugs, `ecs ${this.region}`);
      default:
    }
    // Past the front door: the token is checked first, so a known token returns its task.
    const answer = this.apply(input, fault.kind === 'capacity');
    switch (fault.kind) {
      case 'started5xx':
        await delay(fault.ms, signal);
        throw ecsError('ServerException', 500, 'Internal error');
      case 'lost':
        return hang(signal, this.journal.bugs, `ecs ${this.region}`);
      default:
        await delay(fault.ms, signal);
        if (answer instanceof Error) throw answer;
        return answer;
    }
  }

  /** RunTask's effect: the original task for a known token, else a new task (or `failures`). */
  private apply(input: RunTaskCommandInput, noCapacity: boolean): object | Error {
    const cluster = input.cluster ?? 'default';
    const token = input.clientToken ?? '';
    const params = paramsOf(input);
    const known = token === '' ? undefined : this.tokens.get(`${cluster}\u0000${token}`);
    if (known !== undefined) {
      if (known.params !== params) {
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
      at: Date.now(),
    });
    if (token !== '') this.tokens.set(`${cluster}\u0000${token}`, { params, arn });
    this.journal.log(`ecs ${this.region} STARTED ${arn} (${input.startedBy})`);
    return { tasks: [{ taskArn: arn }], failures: [] };
  }
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
  private starts = 0;
  private lists = 0;
  private templates = 0;
  quiet = false;

  constructor(
    private readonly options: AcaWorldOptions,
    private readonly journal: Journal,
  ) {
    for (let i = 0; i < options.background; i++) this.create(`other-key-${i}`, 0);
  }

  async readTemplate(signal: AbortSignal): Promise<JobTemplate | undefined> {
    if (signal.aborted) throw abortError(signal);
    const fault = this.quiet ? 'ok' : (this.options.templates[this.templates++] ?? 'ok');
    if (fault === 'hang') return hang(signal, this.journal.bugs, 'aca readTemplate');
    await delay(1, signal);
    if (fault === 'error5xx') throw restError(503, 'ARM unavailable');
    return {
      containers: [
        {
          name: 'agent',
          image: 'scalr/agent:latest',
          env: [{ name: 'SCALR_AGENT_TOKEN', secretRef: 'agent-token' }],
        },
      ],
    };
  }

  async start(template: JobExecutionTemplate, signal: AbortSignal): Promise<StartedExecution> {
    if (signal.aborted) throw abortError(signal);
    const fault: AcaFault = this.quiet
      ? { kind: 'ok', ms: 0 }
      : (this.options.starts[this.starts++] ?? { kind: 'ok', ms: 0 });
    const key =
      template.containers?.flatMap((c) => c.env ?? []).find((v) => v.name === DEDUP_KEY_VARIABLE)?.value ??
      '';
    this.journal.log(`aca start key=${key} -> ${fault.kind}(${fault.ms})`);
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
      default:
    }
    const execution = this.create(key, this.quiet ? this.lag(0) : undefined);
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

  private lag(n: number): number {
    const lags = this.options.lags;
    const value = lags.length === 0 ? this.options.settleMs - 1 : (lags[n % lags.length] ?? 0);
    return Math.min(value, this.options.settleMs - 1);
  }

  private create(dedupKey: string, lag?: number): AcaExecution {
    const n = this.executions.length + 1;
    const name = `agents-job-x${n}`;
    const createdAt = Date.now();
    const l = lag ?? this.lag(n);
    const execution: AcaExecution = {
      id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/jobs/agents-job/executions/${name}`,
      name,
      operation: `https://management.azure.com/operations/op-${n}`,
      dedupKey,
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

/** A MemoryLedger behind a faulty network: lost answers, throttling, hangs. */
export class FaultyLedger implements LaunchLedger {
  private calls = 0;
  quiet = false;

  constructor(
    private readonly inner: MemoryLedger,
    private readonly script: readonly LedgerFaultKind[],
    private readonly journal: Journal,
  ) {}

  claim(
    key: string,
    claim: { owner: string; taskId: string; leaseUntil: number },
    signal: AbortSignal,
  ): Promise<ClaimOutcome> {
    return this.call(`claim ${key} by ${claim.owner}`, signal, () => this.inner.claim(key, claim));
  }
  addAttempt(key: string, owner: string, attempt: LedgerAttempt, signal: AbortSignal): Promise<boolean> {
    return this.call(`addAttempt ${key} ${attempt.id}:${attempt.leg} by ${owner}`, signal, () =>
      this.inner.addAttempt(key, owner, attempt),
    );
  }
  markRefused(key: string, owner: string, attemptId: string, signal: AbortSignal): Promise<boolean> {
    return this.call(`markRefused ${key} ${attemptId} by ${owner}`, signal, () =>
      this.inner.markRefused(key, owner, attemptId),
    );
  }
  complete(key: string, owner: string, launch: RecordedLaunch, signal: AbortSignal): Promise<boolean> {
    return this.call(`complete ${key} ${launch.launchId} by ${owner}`, signal, () =>
      this.inner.complete(key, owner, launch),
    );
  }
  suspend(key: string, owner: string, signal: AbortSignal): Promise<void> {
    return this.call(`suspend ${key} by ${owner}`, signal, () => this.inner.suspend(key, owner));
  }
  release(key: string, owner: string, signal: AbortSignal): Promise<void> {
    return this.call(`release ${key} by ${owner}`, signal, () => this.inner.release(key, owner));
  }

  private async call<T>(what: string, signal: AbortSignal, apply: () => Promise<T>): Promise<T> {
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
          return await apply();
        }
      }
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw ledgerTimeout('aborted');
      throw error;
    }
  }
}

// ---------------------------------------------------------------- journal

/** What happened in one schedule, for the failure message, and the simulator's own bug reports. */
export class Journal {
  readonly origin = Date.now();
  readonly lines: string[] = [];
  readonly bugs: string[] = [];
  log(message: string): void {
    this.lines.push(`+${Date.now() - this.origin} ${message}`);
  }
}

export { sleep };
