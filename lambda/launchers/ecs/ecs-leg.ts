import {
  DescribeTasksCommand,
  type ECSClient,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../../errors.js';
import {
  type AttemptOutcome,
  accepted,
  ambiguous,
  errorOf,
  forbidden,
  type LaunchLeg,
  refused,
} from '../launch-outcome.js';
import { type LaunchRequest, type LaunchResult, taskFingerprint } from '../launcher.js';
import { LaunchRateLimitedError } from '../pacing/launch-pacer.js';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, type RetryPolicy, retryWithin } from '../retry.js';
import { clientTokenFor } from './client-token.js';
import type { EcsConfig } from './ecs-config.js';
import {
  configErrorFor,
  isCapacityFailure,
  isRetryableEcsError,
  LaunchFailureError,
  mayHaveLaunched,
} from './ecs-errors.js';
import { type FargateProvider, runTaskInput } from './run-task-input.js';

export interface EcsLegOptions {
  /** Leg name in the ledger and in answers: `ecs/FARGATE_SPOT`, `ecs:SECONDARY/FARGATE`, ... */
  readonly name: string;
  /** The target the leg belongs to: `ecs`, `ecs:SECONDARY`. */
  readonly target: string;
  readonly provider: FargateProvider;
  /**
   * Derives this leg's clientToken from the key and this value; undefined for a target's first leg,
   * whose token is the key itself. Legs of one cluster need different tokens: the same token with
   * other parameters is a ConflictException.
   */
  readonly tokenLeg?: string;
  /** A later leg takes over on a capacity shortage: answer it at once instead of retrying. */
  readonly failFastOnCapacity: boolean;
  readonly retryAfterSeconds: number;
  readonly retry?: RetryPolicy;
  /** Awaited before every RunTask attempt; lets a rate limiter pace launches under a burst. */
  readonly beforeAttempt?: (signal: AbortSignal) => Promise<void>;
  /** Which requests the leg takes (capacity per action); default: all. */
  readonly serves?: (request: LaunchRequest) => boolean;
}

/**
 * RunTask on one capacity provider of one cluster. Idempotent through `clientToken`: ECS returns the
 * original task for a repeated token (24 hours), so every retry of the leg — in this request or a
 * later delivery — is the same launch.
 */
export class EcsLeg implements LaunchLeg {
  readonly platform = 'ecs';
  readonly idempotent = true;
  readonly settleMs = 0;
  readonly name: string;
  readonly target: string;
  serves?: (request: LaunchRequest) => boolean;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly client: ECSClient,
    private readonly config: EcsConfig,
    private readonly options: EcsLegOptions,
  ) {
    this.name = options.name;
    this.target = options.target;
    if (options.serves) this.serves = options.serves;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  async attempt(request: LaunchRequest): Promise<AttemptOutcome> {
    const token = clientTokenFor(request.dedupKey, this.options.tokenLeg);
    const input = runTaskInput(this.config, request, this.options.provider, token);
    let unsure = false;
    try {
      const result = await retryWithin(
        request.deadline,
        this.retry,
        (signal, attempt) =>
          this.send(input, signal, attempt).catch((error: unknown) => {
            if (mayHaveLaunched(error)) unsure = true;
            throw error;
          }),
        (error) =>
          !(this.options.failFastOnCapacity && error instanceof LaunchFailureError && error.capacity) &&
          (error instanceof LaunchFailureError || isRetryableEcsError(error)),
      );
      return accepted(result);
    } catch (error) {
      if ((error as { name?: string }).name === 'ConflictException') return this.conflict(error, request);
      const last = error instanceof RetriesExhaustedError ? error.lastError : error;
      const translated = this.translate(error);
      // Once a call of this attempt may have started a task (it timed out, its answer was lost, a
      // 5xx), no later answer inside the attempt proves otherwise: ECS is eventually consistent, so
      // a retry with the same token can be answered with a `failures` entry (or a 4xx) while the
      // first call's task is still being created. The leg is then never left for another one.
      if (unsure) return ambiguous(this.stillUnsure(translated));
      // A `failures` answer to a first, conclusive call went through the token check: had an earlier
      // attempt with this token (an earlier delivery) started a task, ECS would have returned it.
      return refused(translated, last instanceof LaunchFailureError);
    }
  }

  /**
   * An ambiguous attempt is answered 503: a configuration error met on a retry (access denied, an
   * invalid parameter) says nothing about the call that may have started a task before it.
   */
  private stillUnsure(error: Error): Error {
    if (error instanceof TemporarilyUnavailableError) return error;
    return new TemporarilyUnavailableError(
      `A RunTask call may have started the agent but its answer was lost, and ECS refused the retry (${error.message.slice(0, 300)}). Nothing more was launched; retry with the same Idempotency-Key.`,
      this.options.retryAfterSeconds,
      { cause: error },
    );
  }

  private async send(
    input: RunTaskCommandInput,
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
        details: { capacityProvider: this.options.provider, attempts: attempt },
      };
    }
    const failure = answer.failures?.[0];
    const reason =
      [failure?.reason, failure?.detail].filter(Boolean).join(': ') || 'no task and no failure reason';
    throw new LaunchFailureError(reason, isCapacityFailure(reason));
  }

  /**
   * The token was used before with other parameters: the deployment changed between deliveries, or
   * the key came back with another Scalr task. ECS names the task it started in `resourceIds`; its
   * `scalr:task-id` tag tells the two apart (a reused key is a policy refusal, 422, which ends the
   * launch on every leg). A task ECS can no longer describe (`MISSING`: stopped about an hour ago,
   * its token still valid) is not proof that it was ours: a key that is not the task id may have
   * come with another task (422); a key that is the task id is answered 503 and the reason logged
   * through the error. Without `resourceIds`, or when DescribeTasks does not answer, there is no
   * proof either way, so nothing is launched under another token (503).
   */
  private async conflict(error: unknown, request: LaunchRequest): Promise<AttemptOutcome> {
    const taskArn = (error as { resourceIds?: string[] }).resourceIds?.[0];
    if (taskArn === undefined) {
      return ambiguous(
        new TemporarilyUnavailableError(
          'ECS refused the client token and names no task for it. Retry with the same Idempotency-Key.',
          this.options.retryAfterSeconds,
          { cause: error },
        ),
      );
    }
    let owner: TaskOwner;
    try {
      owner = await this.taskOwner(taskArn, request);
    } catch (describeError) {
      return ambiguous(
        new TemporarilyUnavailableError(
          `ECS refused the client token for task ${taskArn}, and DescribeTasks did not answer (${nameOf(describeError)}): whose task it is is unknown. Retry with the same Idempotency-Key.`,
          this.options.retryAfterSeconds,
          { cause: describeError },
        ),
      );
    }
    if (owner.kind === 'missing') {
      if (request.dedupKey !== request.taskId) return forbidden(new IdempotencyKeyReusedError());
      return ambiguous(
        new TemporarilyUnavailableError(
          `ECS refused the client token for task ${taskArn}, which it can no longer describe (MISSING): it cannot be shown to be this task's agent, so it is not answered as a duplicate. Retry with the same Idempotency-Key.`,
          this.options.retryAfterSeconds,
          { cause: error },
        ),
      );
    }
    if (owner.taskId !== undefined && owner.taskId !== taskFingerprint(request))
      return forbidden(new IdempotencyKeyReusedError());
    return accepted({
      platform: this.platform,
      launchId: taskArn,
      duplicate: true,
      details: { capacityProvider: this.options.provider, conflict: true },
    });
  }

  /**
   * The Scalr task a started task belongs to, from its tags (`manual` for a manual trigger;
   * undefined when the task carries no such tag), or `missing` when ECS cannot describe it.
   */
  private async taskOwner(taskArn: string, request: LaunchRequest): Promise<TaskOwner> {
    const signal = AbortSignal.timeout(
      Math.max(1, Math.min(2_000, Math.floor(request.deadline - Date.now()))),
    );
    const answer = await this.client.send(
      new DescribeTasksCommand({ cluster: this.config.cluster, tasks: [taskArn], include: ['TAGS'] }),
      { abortSignal: signal },
    );
    const task = answer.tasks?.find((t) => t.taskArn === taskArn) ?? answer.tasks?.[0];
    if (task === undefined) {
      if (answer.failures?.some((failure) => failure.reason === 'MISSING')) return { kind: 'missing' };
      throw new Error(
        `DescribeTasks answered neither the task nor MISSING (${answer.failures?.[0]?.reason ?? 'no failure'})`,
      );
    }
    const tags = task.tags ?? [];
    if (tags.find((tag) => tag.key === 'dispatcher:manual')?.value === 'true')
      return { kind: 'described', taskId: 'manual' };
    return { kind: 'described', taskId: tags.find((tag) => tag.key === 'scalr:task-id')?.value };
  }

  private translate(error: unknown): Error {
    const configError = configErrorFor(error);
    if (configError !== undefined) return configError;
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    const lastConfig = configErrorFor(last);
    if (lastConfig !== undefined) return lastConfig;
    const what =
      last instanceof LaunchFailureError
        ? last.reason
        : ((last as { name?: string } | undefined)?.name ?? 'timeout');
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    // Held back by our own pacer: the pacer knows when a slot will be free, a fixed value does not.
    const retryAfterSeconds =
      last instanceof LaunchRateLimitedError
        ? Math.max(1, Math.ceil(last.retryAfterMs() / 1000))
        : this.options.retryAfterSeconds;
    return new TemporarilyUnavailableError(
      `ECS did not accept the launch in time (${attempts} attempt(s); last: ${what}). Retry with the same Idempotency-Key.`,
      retryAfterSeconds,
      { cause: errorOf(error) },
    );
  }
}

/** Whose a conflicting task is: described (with its `scalr:task-id` tag, if any), or no longer describable. */
type TaskOwner = { readonly kind: 'described'; readonly taskId?: string } | { readonly kind: 'missing' };

function nameOf(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? 'error';
}
