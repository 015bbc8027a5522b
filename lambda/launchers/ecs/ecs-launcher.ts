import { createHash } from 'node:crypto';
import {
  type ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { TemporarilyUnavailableError } from '../../errors.js';
import { markLaunchRuledOut } from '../launch-evidence.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, type RetryPolicy, retryWithin } from '../retry.js';
import { clientTokenFor, startedByFor } from './client-token.js';
import type { EcsConfig } from './ecs-config.js';
import {
  configErrorFor,
  isCapacityFailure,
  isRetryableEcsError,
  LaunchFailureError,
  mayHaveLaunched,
} from './ecs-errors.js';
import { type FargateProvider, runTaskInput } from './run-task-input.js';

/** Whether any RunTask attempt of one launch ended without a clear refusal (see `mayHaveLaunched`). */
interface Evidence {
  ambiguous: boolean;
}

export interface EcsLauncherOptions {
  readonly retry?: RetryPolicy;
  /** `Retry-After` for the 503 sent when ECS did not accept the launch in time. */
  readonly retryAfterSeconds: number;
  /** Awaited before every RunTask attempt; lets a rate limiter pace launches under a burst. */
  readonly beforeAttempt?: (signal: AbortSignal) => Promise<void>;
}

/**
 * Launches one single-run Fargate task per key. Exactly-once rests on RunTask's `clientToken`:
 * ECS returns the original task for a repeated token, so retries and re-deliveries are safe.
 */
export class EcsLauncher implements Launcher {
  readonly platform = 'ecs';
  private readonly retry: RetryPolicy;

  constructor(
    private readonly client: ECSClient,
    private readonly config: EcsConfig,
    private readonly options: EcsLauncherOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const evidence: Evidence = { ambiguous: false };
    try {
      return await this.launchWith(request, evidence);
    } catch (error) {
      throw evidence.ambiguous || !(error instanceof Error) ? error : markLaunchRuledOut(error);
    }
  }

  /** The task this key launched earlier, if still pending or running; throws when ECS cannot tell. */
  async findLaunch(request: LaunchRequest, signal: AbortSignal): Promise<LaunchResult | undefined> {
    const answer = await this.client.send(
      new ListTasksCommand({ cluster: this.config.cluster, startedBy: startedByFor(request.dedupKey) }),
      { abortSignal: signal },
    );
    const taskArn = answer.taskArns?.[0];
    return taskArn === undefined
      ? undefined
      : { platform: this.platform, launchId: taskArn, duplicate: true };
  }

  private async launchWith(request: LaunchRequest, evidence: Evidence): Promise<LaunchResult> {
    if (this.config.capacity !== 'FARGATE_SPOT_THEN_FARGATE') {
      return this.runTask(request, this.config.capacity, clientTokenFor(request.dedupKey), evidence);
    }
    // Spot and on-demand need different client tokens (same token + other parameters is a conflict),
    // so look for an earlier launch first: a re-delivery after an on-demand fallback must not start
    // a Spot task now that Spot has capacity again.
    const earlier = await this.findEarlierLaunch(request);
    if (earlier !== undefined) return earlier;
    try {
      return await this.runTask(request, 'FARGATE_SPOT', clientTokenFor(request.dedupKey), evidence, true);
    } catch (error) {
      if (!(error instanceof LaunchFailureError && error.capacity)) throw error;
      return this.runTask(request, 'FARGATE', clientTokenFor(`${request.dedupKey}#on-demand`), evidence);
    }
  }

  /** RunTask with retries. With `failFastOnCapacity`, a capacity failure is thrown at once. */
  private async runTask(
    request: LaunchRequest,
    provider: FargateProvider,
    clientToken: string,
    evidence: Evidence,
    failFastOnCapacity = false,
  ): Promise<LaunchResult> {
    const input = runTaskInput(this.config, request, provider, clientToken);
    try {
      return await retryWithin(
        request.deadline,
        this.retry,
        (signal, attempt) =>
          this.attempt(input, provider, signal, attempt).catch((error: unknown) => {
            if (mayHaveLaunched(error)) evidence.ambiguous = true;
            throw error;
          }),
        (error) =>
          !(failFastOnCapacity && error instanceof LaunchFailureError && error.capacity) &&
          (error instanceof LaunchFailureError || isRetryableEcsError(error)),
      );
    } catch (error) {
      if (failFastOnCapacity && error instanceof LaunchFailureError && error.capacity) throw error;
      if ((error as { name?: string }).name === 'ConflictException') {
        return this.conflictResult(request, error, input, provider, evidence, clientToken);
      }
      throw this.translate(error);
    }
  }

  private async attempt(
    input: RunTaskCommandInput,
    provider: FargateProvider,
    signal: AbortSignal,
    attempt: number,
  ): Promise<LaunchResult> {
    await this.options.beforeAttempt?.(signal);
    const answer = await this.client.send(new RunTaskCommand(input), { abortSignal: signal });
    const task = answer.tasks?.[0];
    if (task?.taskArn !== undefined) {
      return {
        platform: this.platform,
        launchId: task.taskArn,
        duplicate: false,
        details: { capacityProvider: provider, attempts: attempt },
      };
    }
    const failure = answer.failures?.[0];
    const reason =
      [failure?.reason, failure?.detail].filter(Boolean).join(': ') || 'no task and no failure reason';
    throw new LaunchFailureError(reason, isCapacityFailure(reason));
  }

  /** A task this key started earlier (pending or running), found by its `startedBy`. */
  private async findEarlierLaunch(request: LaunchRequest): Promise<LaunchResult | undefined> {
    try {
      const timeoutMs = Math.max(1, Math.min(3_000, Math.floor(request.deadline - Date.now())));
      return await this.findLaunch(request, AbortSignal.timeout(timeoutMs));
    } catch (error) {
      const configError = configErrorFor(error);
      if (configError !== undefined) throw configError;
      return undefined;
    }
  }

  /**
   * The token was used before with other parameters (the webhook changed between deliveries, or the
   * deployment did). ECS names the task that token started in `resourceIds`; older answers may not,
   * so look it up by `startedBy`. With no trace of a task, the earlier call started nothing: launch
   * under a token that also covers the new parameters, rather than answer 2xx for nothing.
   */
  private async conflictResult(
    request: LaunchRequest,
    error: unknown,
    input: RunTaskCommandInput,
    provider: FargateProvider,
    evidence: Evidence,
    clientToken: string,
  ): Promise<LaunchResult> {
    const taskArn = (error as { resourceIds?: string[] }).resourceIds?.[0];
    if (taskArn !== undefined) return { platform: this.platform, launchId: taskArn, duplicate: true };
    const earlier = await this.findEarlierLaunch(request);
    if (earlier !== undefined) return earlier;
    const parameters = createHash('sha256')
      .update(JSON.stringify({ ...input, clientToken: undefined }))
      .digest('hex')
      .slice(0, 16);
    const retryToken = clientTokenFor(`${request.dedupKey}#params-${parameters}`);
    if (retryToken === clientToken) {
      throw new TemporarilyUnavailableError(
        'ECS refused the client token and names no task for it. Retry with the same Idempotency-Key.',
        this.options.retryAfterSeconds,
        { cause: error },
      );
    }
    return this.runTask(request, provider, retryToken, evidence);
  }

  private translate(error: unknown): Error {
    const configError = configErrorFor(error);
    if (configError !== undefined) return configError;
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    const what =
      last instanceof LaunchFailureError ? last.reason : ((last as { name?: string })?.name ?? 'timeout');
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    return new TemporarilyUnavailableError(
      `ECS did not accept the launch in time (${attempts} attempt(s); last: ${what}). Retry with the same Idempotency-Key.`,
      this.options.retryAfterSeconds,
      { cause: error },
    );
  }
}
