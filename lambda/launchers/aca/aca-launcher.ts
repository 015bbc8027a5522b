import { TemporarilyUnavailableError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
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
import type { DedupStore } from './dedup-store.js';
import { executionTemplateFor } from './job-template.js';
import type { TemplateCache } from './template-cache.js';

export interface AcaLauncherOptions {
  readonly retry?: RetryPolicy;
  /** `Retry-After` for a 503 when ARM gave none. */
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
 * Starts one execution of a manual-trigger Container Apps job per key. ACA has no idempotency
 * token, so exactly-once rests on a DynamoDB claim per key: claim, start, record the execution.
 * A start whose answer was lost is looked up (by its `DISPATCH_DEDUP_KEY`) before being sent again.
 */
export class AcaLauncher implements Launcher {
  readonly platform = 'aca';
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly api: AcaJobApi,
    private readonly templates: TemplateCache,
    private readonly store: DedupStore,
    private readonly config: AcaConfig,
    private readonly options: AcaLauncherOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? realSleep;
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const claim = await this.store.claim(request.dedupKey);
    if (claim.kind === 'completed') {
      return this.result(claim.launchId, claim.executionName, true, { recorded: true });
    }
    if (claim.kind === 'in-progress') {
      throw new TemporarilyUnavailableError(
        'Another delivery with this Idempotency-Key is being launched right now; retry with the same key.',
        this.options.retryAfterSeconds,
      );
    }
    // Once a start may have reached ARM unanswered, it must be looked for before another is sent.
    let maybeStarted = claim.takeover;
    let attempts = 0;
    try {
      const { execution, duplicate } = await retryWithin(
        request.deadline,
        this.retry,
        async (signal, attempt) => {
          attempts = attempt;
          if (maybeStarted) {
            const earlier = await this.api.findExecution(request.dedupKey, signal);
            if (earlier !== undefined) return { execution: earlier, duplicate: true };
          }
          const base = await this.templates.get(signal);
          try {
            return {
              execution: await this.api.start(executionTemplateFor(base, request), signal),
              duplicate: false,
            };
          } catch (error) {
            if (!provesNothingStarted(error)) maybeStarted = true;
            throw await this.throttleOrFail(error, request.deadline);
          }
        },
        (error) => !(error instanceof ArmThrottledError) && configErrorFor(error, this.config) === undefined,
      );
      return await this.finish(
        request,
        claim.owner,
        await this.identify(execution, request),
        duplicate,
        attempts,
      );
    } catch (error) {
      if (!maybeStarted) await this.releaseQuietly(request.dedupKey, claim.owner);
      throw this.translate(error, attempts);
    }
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

  /** A 202 may carry no execution name: the execution list has it, found by its key. */
  private async identify(execution: StartedExecution, request: LaunchRequest): Promise<StartedExecution> {
    if (execution.id !== undefined || execution.name !== undefined) return execution;
    try {
      const signal = AbortSignal.timeout(Math.max(1, Math.min(3_000, request.deadline - Date.now())));
      return (await this.api.findExecution(request.dedupKey, signal)) ?? execution;
    } catch {
      return execution;
    }
  }

  private async finish(
    request: LaunchRequest,
    owner: string,
    execution: StartedExecution,
    duplicate: boolean,
    attempts: number,
  ): Promise<LaunchResult> {
    const launchId = execution.id ?? execution.name ?? execution.operation ?? 'unknown';
    try {
      const recorded = await this.store.complete(request.dedupKey, owner, launchId, execution.name);
      if (!recorded)
        this.options.logger.warn('de-duplication claim was taken over before completion', { launchId });
    } catch (error) {
      // The execution runs: answering non-2xx now would make the sender launch it again.
      this.options.logger.warn('could not record the launch; a re-delivery after the lease may look it up', {
        launchId,
        cause: (error as { name?: string }).name,
      });
    }
    return this.result(launchId, execution.name, duplicate, { attempts, armStatus: execution.status });
  }

  private result(
    launchId: string,
    executionName: string | undefined,
    duplicate: boolean,
    extra: Record<string, string | number | boolean>,
  ): LaunchResult {
    return {
      platform: this.platform,
      launchId,
      duplicate,
      details: { ...(executionName === undefined ? {} : { executionName }), ...extra },
    };
  }

  private async releaseQuietly(key: string, owner: string): Promise<void> {
    try {
      await this.store.release(key, owner);
    } catch (error) {
      // The claim then expires with its lease; the sender's retry waits that long.
      this.options.logger.warn('could not release the de-duplication claim', {
        cause: (error as { name?: string }).name,
      });
    }
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
      { cause: error },
    );
  }
}
