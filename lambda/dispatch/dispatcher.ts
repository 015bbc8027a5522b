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
import type { Launcher, LaunchRequest, LaunchResult } from '../launchers/launcher.js';
import type { Logger } from '../log/logger.js';
import { AGENT_TOKEN_PLACEHOLDER } from '../secrets/agent-token-placeholder.js';
import type { SecretCache } from '../secrets/secret-cache.js';
import { dedupKeyOf } from '../webhook/dedup-key.js';
import { parseWebhookPayload } from '../webhook/payload.js';
import type { LaunchCoalescer } from './launch-coalescer.js';

export interface DispatcherDeps {
  readonly config: DispatcherConfig;
  readonly webhookSecret: SecretCache;
  /** Undefined when the platform holds the agent token itself (Container Apps job secret). */
  readonly agentToken: SecretCache | undefined;
  /** Resolved once; rejects with ConfigError when the target's settings are wrong. */
  readonly launcher: Promise<Launcher>;
  readonly coalescer: LaunchCoalescer;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/** Time kept back from the caller's own timeout so the answer still reaches it. */
const ANSWER_MARGIN_MS = 1_500;

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

  async handle(request: WebhookRequest): Promise<HttpAnswer> {
    const started = this.now();
    let log = this.deps.logger.child({ requestId: request.requestId });
    try {
      if (request.method.toUpperCase() !== 'POST') {
        throw new MethodNotAllowedError(`Method ${request.method.slice(0, 16)} is not allowed: use POST.`);
      }
      if (request.body.length > this.deps.config.maxBodyBytes) {
        throw new PayloadTooLargeError(
          `The body is larger than ${this.deps.config.maxBodyBytes / 1024} KiB.`,
        );
      }
      await this.authenticate(request.headers.authorization);
      requireJsonContentType(request.headers['content-type']);
      const launchRequest = this.launchRequestFor(request, started);
      log = log.child({
        taskId: launchRequest.taskId,
        runId: launchRequest.runId,
        action: launchRequest.action,
        dedupKey: launchRequest.dedupKey,
        manual: launchRequest.manual,
      });
      await this.requireUsableAgentToken();
      const launcher = await this.deps.launcher;
      const result = await this.deps.coalescer.run(launchRequest.dedupKey, () =>
        launcher.launch(launchRequest),
      );
      log.info('launch accepted', {
        outcome: result.duplicate ? 'duplicate' : 'launched',
        platform: result.platform,
        launchId: result.launchId,
        durationMs: this.now() - started,
        ...result.details,
      });
      return jsonAnswer(202, this.acceptedBody(launchRequest, result));
    } catch (error) {
      this.logFailure(log, error, started);
      return errorAnswer(error);
    }
  }

  private async authenticate(header: string | undefined): Promise<void> {
    const presented = bearerCredential(header);
    if (presented === undefined) throw new UnauthorizedError();
    if (credentialMatches(presented, await this.deps.webhookSecret.get())) return;
    // The secret may have been rotated since it was cached: look once more before refusing.
    const fresh = await this.deps.webhookSecret.refresh();
    if (fresh !== undefined && credentialMatches(presented, fresh)) return;
    throw new UnauthorizedError();
  }

  private launchRequestFor(request: WebhookRequest, started: number): LaunchRequest {
    const payload = parseWebhookPayload(bodyText(request.body));
    const manual = payload.task_id === undefined;
    const taskId = payload.task_id ?? `manual-${this.newId()}`;
    const dedupKey = dedupKeyOf(request.headers['idempotency-key'], payload.task_id) ?? taskId;
    const budget = Math.min(
      this.deps.config.launchDeadlineMs,
      (request.remainingTimeMs ?? Number.POSITIVE_INFINITY) - ANSWER_MARGIN_MS,
    );
    return {
      dedupKey,
      taskId,
      manual,
      action: payload.action,
      runId: payload.run_id,
      workspaceId: payload.workspace_id,
      environmentId: payload.environment_id,
      createdAt: payload.created_at,
      deadline: started + Math.max(0, budget),
    };
  }

  /** Agents without a real token cannot register with Scalr: refuse instead of burning money. */
  private async requireUsableAgentToken(): Promise<void> {
    const usable = (token: string | undefined) =>
      token !== undefined && token.length > 0 && token !== AGENT_TOKEN_PLACEHOLDER;
    const { agentToken } = this.deps;
    const source = this.deps.config.agentToken;
    if (agentToken === undefined || source === undefined) return;
    if (usable(await agentToken.get())) return;
    // The operator may just have set it: read again (rate-limited) before refusing.
    if (usable(await agentToken.refresh())) return;
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

  private logFailure(log: Logger, error: unknown, started: number): void {
    const durationMs = this.now() - started;
    if (error instanceof ConfigError || error instanceof TemporarilyUnavailableError) {
      const cause = (error.cause as { name?: string } | undefined)?.name;
      log.error('launch failed', {
        outcome: 'launch_failed',
        code: error.code,
        reason: error.message,
        cause,
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
        durationMs,
      });
    }
  }
}
