import { TemporarilyUnavailableError } from '../../errors.js';
import {
  type AttemptOutcome,
  accepted,
  ambiguous,
  errorOf,
  type LaunchLeg,
  refused,
} from '../launch-outcome.js';
import type { LaunchRequest, LaunchResult } from '../launcher.js';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, type RetryPolicy, retryWithin } from '../retry.js';
import type { AcaConfig } from './aca-config.js';
import {
  ArmThrottledError,
  configErrorFor,
  dispatchErrorIn,
  isEntraError,
  retryAfterMsOf,
} from './aca-errors.js';
import type { AcaJobApi, StartedExecution } from './arm-job-api.js';
import { executionTemplateFor } from './job-template.js';
import type { TemplateCache } from './template-cache.js';

export interface AcaLegOptions {
  readonly retry?: RetryPolicy;
  /** `Retry-After` for a 503 when ARM gave none. */
  readonly retryAfterSeconds: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A start that may have created an execution: never sent again in this request. */
class MayHaveStartedError extends Error {
  constructor(readonly original: unknown) {
    super('the start may have created an execution', { cause: original });
    this.name = 'MayHaveStartedError';
  }
}

/** The attempt's deadline passed before its start was sent: nothing was sent. */
class StartTooLateError extends Error {
  constructor() {
    super('the deadline passed before the start was sent');
    this.name = 'StartTooLateError';
  }
}

/**
 * Failures that prove nothing was started: raised before the start request left (token, config) or
 * refused by ARM with a 4xx. A 5xx or a lost answer may hide a started execution.
 */
function provesNothingStarted(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { statusCode?: number }).statusCode;
  return (
    (status !== undefined && status < 500) ||
    dispatchErrorIn(error) !== undefined ||
    isEntraError(error) ||
    name === 'CredentialUnavailableError'
  );
}

/**
 * Starts one execution of a manual-trigger Container Apps job. ACA has no idempotency token, so this
 * leg is not idempotent: a start answered 5xx or lost is never repeated here (the launch ledger keeps
 * the key and a later delivery looks the execution up by its `DISPATCH_DEDUP_KEY`, after `settleMs`).
 */
export class AcaLeg implements LaunchLeg {
  readonly platform = 'aca';
  readonly idempotent = false;
  readonly name: string;
  readonly target: string;
  readonly settleMs: number;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly api: AcaJobApi,
    private readonly templates: TemplateCache,
    private readonly config: AcaConfig,
    private readonly options: AcaLegOptions & { name?: string },
  ) {
    this.name = options.name ?? 'aca';
    this.target = this.name;
    this.settleMs = config.listSettleSeconds * 1000;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? realSleep;
  }

  async attempt(request: LaunchRequest): Promise<AttemptOutcome> {
    let attempts = 0;
    let location: string | undefined;
    try {
      const execution = await retryWithin(
        request.deadline,
        this.retry,
        async (signal, attempt) => {
          attempts = attempt;
          const base = await this.templates.get(signal);
          location = base.location;
          // The ledger trusts a list `settleMs` after the attempt's deadline when the attempt's end
          // was not recorded: no start may leave later, even if a stalled event loop has not run
          // the abort timer yet (nothing was sent, so nothing started).
          if (Date.now() >= request.deadline) throw new StartTooLateError();
          try {
            return await this.api.start(executionTemplateFor(base, request), signal);
          } catch (error) {
            if (!provesNothingStarted(error)) throw new MayHaveStartedError(error);
            throw await this.throttleOrFail(error, request.deadline);
          }
        },
        (error) =>
          !(error instanceof MayHaveStartedError) &&
          !(error instanceof ArmThrottledError) &&
          configErrorFor(error, this.config) === undefined,
      );
      return accepted(this.result(await this.identify(execution, request), attempts, location));
    } catch (error) {
      const last = error instanceof RetriesExhaustedError ? error.lastError : error;
      if (last instanceof MayHaveStartedError) return ambiguous(this.translate(last.original, attempts));
      return refused(this.translate(error, attempts));
    }
  }

  async find(request: LaunchRequest, signal: AbortSignal): Promise<LaunchResult | undefined> {
    const execution = await this.api.findExecution(request.dedupKey, signal);
    if (execution === undefined) return undefined;
    return { ...this.result(execution, 0, this.templates.location), duplicate: true };
  }

  /**
   * A 429 is waited out here when ARM's Retry-After fits before the deadline (then retried), else
   * turned into ArmThrottledError so the sender is told to come back when ARM said.
   */
  private async throttleOrFail(error: unknown, deadline: number): Promise<unknown> {
    if ((error as { statusCode?: number }).statusCode !== 429) return error;
    const wait = retryAfterMsOf(error) ?? this.retry.baseDelayMs;
    if (Date.now() + wait + this.retry.minAttemptMs > deadline)
      return new ArmThrottledError(wait, { cause: error });
    await this.sleep(wait);
    return error;
  }

  /** A 202 may carry no execution name: the list may have it already (or not yet: lag). */
  private async identify(execution: StartedExecution, request: LaunchRequest): Promise<StartedExecution> {
    if (execution.id !== undefined || execution.name !== undefined) return execution;
    try {
      const signal = AbortSignal.timeout(Math.max(1, Math.min(3_000, request.deadline - Date.now())));
      return (await this.api.findExecution(request.dedupKey, signal)) ?? execution;
    } catch {
      return execution;
    }
  }

  /** `region`: the job's Azure location, for the trail and `TimeToRunning` by Region. */
  private result(execution: StartedExecution, attempts: number, region: string | undefined): LaunchResult {
    return {
      platform: this.platform,
      launchId: execution.id ?? execution.name ?? execution.operation ?? 'unknown',
      duplicate: false,
      details: {
        ...(execution.name === undefined ? {} : { executionName: execution.name }),
        ...(region === undefined ? {} : { region }),
        ...(attempts > 0 ? { attempts } : {}),
        armStatus: execution.status,
      },
    };
  }

  private translate(error: unknown, attempts: number): Error {
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    const configError = configErrorFor(last, this.config);
    if (configError !== undefined) {
      if ((last as { statusCode?: number }).statusCode === 400) this.templates.invalidate();
      return configError;
    }
    const own = dispatchErrorIn(last);
    if (own !== undefined) return own;
    if (last instanceof ArmThrottledError) {
      return new TemporarilyUnavailableError(
        'Azure Resource Manager is throttling starts; nothing was launched. Retry with the same Idempotency-Key.',
        Math.max(1, Math.ceil(last.retryAfterMs / 1000)),
        { cause: error },
      );
    }
    const status = (last as { statusCode?: number } | undefined)?.statusCode;
    const what = status !== undefined ? `HTTP ${status}` : ((last as { name?: string })?.name ?? 'timeout');
    return new TemporarilyUnavailableError(
      `Azure did not accept the job start in time (${attempts} attempt(s); last: ${what}). Retry with the same Idempotency-Key.`,
      this.options.retryAfterSeconds,
      { cause: errorOf(error) },
    );
  }
}
