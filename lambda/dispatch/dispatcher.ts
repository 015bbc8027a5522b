// Longer than most modules (about 380 lines) on purpose: one webhook's whole path, from the method and
// the bearer check through parsing, launching and the answer to the failure log, stays in one class so
// its order reads top to bottom. Each step's own logic lives in auth/, http/, webhook/, trail/ and the
// launchers; what is left here is the sequence and its error handling.
import { randomUUID } from 'node:crypto';
import { bearerCredential, credentialMatches } from '../auth/bearer.js';
import type { DispatcherConfig } from '../config/config.js';
import {
  ConfigError,
  DispatchError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  TemporarilyUnavailableError,
  UnauthorizedError,
} from '../errors.js';
import { errorAnswer, type HttpAnswer, jsonAnswer } from '../http/answers.js';
import { requireJsonContentType } from '../http/content-type.js';
import { bodyText, type WebhookRequest } from '../http/request.js';
import { launchOutcome, resultOf } from '../launchers/launch-outcome.js';
import {
  type Launcher,
  type LaunchRequest,
  type LaunchResult,
  taskFingerprint,
} from '../launchers/launcher.js';
import type { Logger } from '../log/logger.js';
import type { DispatchMetrics, UnavailableCause } from '../metrics/dispatch-metrics.js';
import { AGENT_TOKEN_PLACEHOLDER } from '../secrets/agent-token-placeholder.js';
import type { SecretCache } from '../secrets/secret-cache.js';
import { acceptedUpdate } from '../trail/accepted-log.js';
import { checkedTaskId, notFound, trailBody } from '../trail/task-answer.js';
import type { TrailLookup, TrailStore } from '../trail/trail-store.js';
import { dedupKeyOf } from '../webhook/dedup-key.js';
import { parseWebhookPayload } from '../webhook/payload.js';
import type { LaunchCoalescer } from './launch-coalescer.js';

export interface DispatcherDeps {
  readonly config: DispatcherConfig;
  readonly webhookSecret: SecretCache;
  /**
   * Whether the agent token is set: its value (local), or only a marker (`AGENT_TOKEN_CHECK` stored or
   * exists: `secrets/agent-token-state.ts`). Undefined when the platform holds the agent token itself
   * (Container Apps job secret).
   */
  readonly agentToken: SecretCache | undefined;
  /** Resolved once; rejects with ConfigError when the target's settings are wrong. */
  readonly launcher: Promise<Launcher>;
  readonly coalescer: LaunchCoalescer;
  readonly logger: Logger;
  /** EMF metrics of the webhook path; none outside Lambda unless asked for. */
  readonly metrics?: DispatchMetrics;
  /**
   * Where accepted launches are recorded in-process (local mode). Deployed, the `launch accepted`
   * log line feeds the trail instead, so the webhook path makes no extra call.
   */
  readonly trail?: TrailStore;
  /** Answers `GET /tasks/{taskId}`; without it every task is unknown (404). */
  readonly tasks?: TrailLookup;
  /**
   * The `launch accepted` line feeds the deployed trail (a log subscription): then it is written
   * whatever LOG_LEVEL says, so turning logging down does not turn the trail off.
   */
  readonly trailFromLogs?: boolean;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/** Time kept back from the caller's own timeout so the answer still reaches it. */
const ANSWER_MARGIN_MS = 1_500;

/**
 * How long past the deadline a request may still run before it is answered 503 regardless: work
 * that honours the deadline (secret reads, launch retries) has ended by then; this catches the rest.
 */
const LATE_ANSWER_GRACE_MS = 250;

/**
 * The dispatcher core: one webhook in, one HTTP answer out. Checks run cheapest and least revealing
 * first (method, size, credentials) so unauthenticated callers learn nothing about the payload rules.
 */
export class Dispatcher {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? randomUUID;
  }

  /**
   * Answers by the request's deadline plus {@link LATE_ANSWER_GRACE_MS} at the latest: whatever still
   * runs then (a coalesced launch, a slow dependency) is answered 503, which is safe because the
   * sender re-delivers with the same key and the platforms de-duplicate it.
   */
  async handle(request: WebhookRequest): Promise<HttpAnswer> {
    const started = this.now();
    const deadline = this.deadlineOf(request, started);
    const context = { log: this.deps.logger.child({ requestId: request.requestId }) };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<HttpAnswer>((resolve) => {
      timer = setTimeout(
        () => {
          const durationMs = this.now() - started;
          const reason = 'no answer by the deadline';
          // A trail lookup that overran is not a failed launch: keep it out of the launch alarm.
          if (request.taskId !== undefined) {
            context.log.error('task lookup failed', { code: 'temporarily_unavailable', reason, durationMs });
          } else {
            context.log.error('launch failed', {
              outcome: 'launch_failed',
              code: 'temporarily_unavailable',
              reason,
              durationMs,
            });
            this.deps.metrics?.failed('launch_failed', 'deadline');
          }
          resolve(errorAnswer(this.genericUnavailable()));
        },
        Math.max(0, deadline - started) + LATE_ANSWER_GRACE_MS,
      );
    });
    try {
      return await Promise.race([this.process(request, started, deadline, context), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async process(
    request: WebhookRequest,
    started: number,
    deadline: number,
    context: { log: Logger },
  ): Promise<HttpAnswer> {
    // Secret reads wait for Secrets Manager at most until the deadline (whole ms: timeout() rejects fractions).
    const signal = AbortSignal.timeout(Math.max(0, Math.floor(deadline - this.now())));
    if (request.taskId !== undefined) return this.answerTask(request, request.taskId, signal, context.log);
    let stage: UnavailableCause = 'webhook_secret';
    try {
      if (request.method.toUpperCase() !== 'POST') {
        throw new MethodNotAllowedError(`Method ${request.method.slice(0, 16)} is not allowed: use POST.`);
      }
      if (request.body.length > this.deps.config.maxBodyBytes) {
        throw new PayloadTooLargeError(
          `The body is larger than ${this.deps.config.maxBodyBytes / 1024} KiB.`,
        );
      }
      await this.authenticate(request.headers.authorization, signal);
      stage = 'agent_token';
      requireJsonContentType(request.headers['content-type']);
      const launchRequest = this.launchRequestFor(request, deadline);
      context.log = context.log.child({
        taskId: launchRequest.taskId,
        runId: launchRequest.runId,
        action: launchRequest.action,
        dedupKey: launchRequest.dedupKey,
        manual: launchRequest.manual,
        workspaceId: launchRequest.workspaceId,
        environmentId: launchRequest.environmentId,
      });
      await this.requireUsableAgentToken(signal);
      stage = 'launch';
      const launcher = await this.deps.launcher;
      // Decided on the outcome's kind: an ambiguous launch is a 503 + Retry-After even when its error
      // is a configuration error (a retry denied after a call whose answer was lost).
      const retryAfter = this.deps.config.retryAfterSeconds;
      const result = await this.deps.coalescer.run(
        launchRequest.dedupKey,
        async () => resultOf(await launchOutcome(launcher, launchRequest), retryAfter),
        {
          deadline: launchRequest.deadline,
          taskId: taskFingerprint(launchRequest),
        },
      );
      const acceptedAt = this.now();
      const accepted = {
        outcome: result.duplicate ? 'duplicate' : 'launched',
        platform: result.platform,
        launchId: result.launchId,
        durationMs: acceptedAt - started,
        ...result.details,
      };
      if (this.deps.trailFromLogs) context.log.record('launch accepted', accepted);
      else context.log.info('launch accepted', accepted);
      this.deps.metrics?.accepted(result.duplicate, acceptedAt - started, result.platform);
      // In-process store only (local mode): never slows or fails the answer.
      this.deps.trail
        ?.record(acceptedUpdate(launchRequest, result, started, acceptedAt), signal)
        .catch(() => undefined);
      return jsonAnswer(202, this.acceptedBody(launchRequest, result));
    } catch (error) {
      this.logFailure(context.log, error, started);
      this.countFailure(error, stage);
      return this.answerFor(error);
    }
  }

  /** `GET /tasks/{taskId}`: the task's trail, behind the same webhook secret as the webhook. */
  private async answerTask(
    request: WebhookRequest,
    rawTaskId: string,
    signal: AbortSignal,
    log: Logger,
  ): Promise<HttpAnswer> {
    try {
      if (request.method.toUpperCase() !== 'GET') {
        throw new MethodNotAllowedError(
          `Method ${request.method.slice(0, 16)} is not allowed: use GET.`,
          'GET',
        );
      }
      await this.authenticate(request.headers.authorization, signal);
      const taskId = checkedTaskId(rawTaskId);
      let trail: Awaited<ReturnType<TrailLookup>>;
      try {
        trail = await this.deps.tasks?.(taskId, signal);
      } catch (error) {
        throw new TemporarilyUnavailableError(
          'The task trail could not be read in time; try again shortly.',
          this.deps.config.retryAfterSeconds,
          { cause: error },
        );
      }
      if (trail === undefined) throw notFound(taskId);
      return jsonAnswer(200, trailBody(trail));
    } catch (error) {
      const beforeAuthentication = error instanceof BeforeAuthenticationError;
      const failure = beforeAuthentication ? error.cause : error;
      log.warn('task trail not answered', {
        code: failure instanceof DispatchError ? failure.code : 'internal_error',
        cause: ((failure as Error).cause as { name?: string } | undefined)?.name,
        ...(beforeAuthentication ? { stage: 'authentication' } : {}),
      });
      return this.answerFor(error);
    }
  }

  private countFailure(failed: unknown, stage: UnavailableCause): void {
    const error = failed instanceof BeforeAuthenticationError ? failed.cause : failed;
    const refused = error instanceof DispatchError && !(error instanceof ConfigError);
    if (error instanceof TemporarilyUnavailableError) {
      const cause = (error.cause as { name?: string } | undefined)?.name;
      this.deps.metrics?.failed('launch_failed', stage, cause);
    } else {
      this.deps.metrics?.failed(refused ? 'rejected' : 'launch_failed');
    }
  }

  /**
   * Checks the bearer credential against the webhook secret. Anything but a clean match or mismatch
   * is thrown as {@link BeforeAuthenticationError}: the caller is not authenticated yet, so its answer
   * must not tell which variable, secret or account is involved.
   */
  private async authenticate(header: string | undefined, signal: AbortSignal): Promise<void> {
    const presented = bearerCredential(header);
    if (presented === undefined) throw new UnauthorizedError();
    try {
      if (credentialMatches(presented, await this.deps.webhookSecret.get(signal))) return;
      // The secret may have been rotated since it was cached: look once more before refusing.
      const fresh = await this.deps.webhookSecret.refresh(signal);
      if (fresh !== undefined && credentialMatches(presented, fresh)) return;
    } catch (error) {
      throw new BeforeAuthenticationError(error);
    }
    throw new UnauthorizedError();
  }

  /** min(LAUNCH_DEADLINE_MS, the Lambda's remaining time less the answer margin), from `started`. */
  private deadlineOf(request: WebhookRequest, started: number): number {
    const budget = Math.min(
      this.deps.config.launchDeadlineMs,
      (request.remainingTimeMs ?? Number.POSITIVE_INFINITY) - ANSWER_MARGIN_MS,
    );
    return started + Math.max(0, budget);
  }

  private launchRequestFor(request: WebhookRequest, deadline: number): LaunchRequest {
    const payload = parseWebhookPayload(bodyText(request.body));
    const manual = payload.task_id === undefined;
    const taskId = payload.task_id ?? `manual-${this.newId()}`;
    const dedupKey = dedupKeyOf(request.headers['idempotency-key'], payload.task_id) ?? taskId;
    return {
      dedupKey,
      taskId,
      manual,
      action: payload.action,
      runId: payload.run_id,
      workspaceId: payload.workspace_id,
      environmentId: payload.environment_id,
      createdAt: payload.created_at,
      deadline,
    };
  }

  /** Agents without a real token cannot register with Scalr: refuse instead of burning money. */
  private async requireUsableAgentToken(signal: AbortSignal): Promise<void> {
    const usable = (token: string | undefined) =>
      token !== undefined && token.length > 0 && token !== AGENT_TOKEN_PLACEHOLDER;
    const { agentToken } = this.deps;
    const source = this.deps.config.agentToken;
    if (agentToken === undefined || source === undefined) return;
    if (usable(await agentToken.get(signal))) return;
    // The operator may just have set it: read again (rate-limited) before refusing.
    if (usable(await agentToken.refresh(signal))) return;
    const where = source.kind === 'secrets-manager' ? `the secret ${source.secretId}` : source.envName;
    const how =
      source.kind === 'secrets-manager'
        ? ` with: aws secretsmanager put-secret-value --secret-id ${source.secretId} --secret-string <agent pool token>`
        : '';
    throw new ConfigError(
      `The Scalr agent pool token is not set: put it in ${where} (${source.envName})${how}.`,
    );
  }

  private acceptedBody(request: LaunchRequest, result: LaunchResult): unknown {
    return {
      status: 'accepted',
      platform: result.platform,
      launchId: result.launchId,
      taskId: request.taskId,
      dedupKey: request.dedupKey,
      duplicate: result.duplicate,
      manual: request.manual,
      ...result.details,
    };
  }

  /** Before authentication every failure is answered without detail; the log has the detail. */
  private answerFor(error: unknown): HttpAnswer {
    if (!(error instanceof BeforeAuthenticationError)) return errorAnswer(error);
    const failure = error.cause;
    if (failure instanceof TemporarilyUnavailableError) {
      return errorAnswer(this.genericUnavailable(failure.retryAfterSeconds));
    }
    return errorAnswer(error); // not a DispatchError: the fixed internal_error answer
  }

  private genericUnavailable(retryAfterSeconds = this.deps.config.retryAfterSeconds) {
    return new TemporarilyUnavailableError('Temporarily unavailable; try again shortly.', retryAfterSeconds);
  }

  private logFailure(log: Logger, failed: unknown, started: number): void {
    const durationMs = this.now() - started;
    const beforeAuthentication = failed instanceof BeforeAuthenticationError;
    const error = beforeAuthentication ? failed.cause : failed;
    const stage = beforeAuthentication ? { stage: 'authentication' } : {};
    if (error instanceof ConfigError || error instanceof TemporarilyUnavailableError) {
      const cause = (error.cause as { name?: string } | undefined)?.name;
      log.error('launch failed', {
        outcome: 'launch_failed',
        code: error.code,
        reason: error.message,
        cause,
        ...stage,
        durationMs,
      });
    } else if (error instanceof DispatchError) {
      const field = (error as { field?: string }).field;
      log.warn('request rejected', {
        outcome: 'rejected',
        code: error.code,
        reason: error.message,
        field,
        durationMs,
      });
    } else {
      const name = (error as { name?: string } | undefined)?.name ?? typeof error;
      log.error('launch failed', {
        outcome: 'launch_failed',
        code: 'internal_error',
        cause: name,
        ...stage,
        durationMs,
      });
    }
  }
}

/**
 * Reading the webhook secret failed before the caller was authenticated. Deliberately not a
 * DispatchError: its answer is the fixed internal error (or a generic 503), whatever the cause says.
 */
class BeforeAuthenticationError extends Error {
  constructor(cause: unknown) {
    super('reading the webhook secret failed', { cause });
    this.name = 'BeforeAuthenticationError';
  }
}
