import { ConfigError, TemporarilyUnavailableError } from '../../errors.js';
import { dispatchContextEnvironment } from '../dispatch-context.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, type RetryPolicy, retryWithin } from '../retry.js';
import { containerNameFor } from './container-name.js';
import type { DockerConfig } from './docker-config.js';
import {
  type EngineAnswer,
  type EngineApi,
  EngineTimeoutError,
  EngineUnreachableError,
  engineMessage,
} from './docker-engine.js';
import { parseImageRef } from './image-ref.js';

/** The engine answered with a status worth another try (5xx, or a container that vanished mid-launch). */
class EngineRetryableError extends Error {
  constructor(what: string, answer: EngineAnswer) {
    super(`${what}: ${engineMessage(answer)}`);
    this.name = 'EngineRetryableError';
  }
}

/**
 * The image could not be pulled for a reason that may pass (registry unreachable or failing, pull
 * cut off by the deadline). Not retried within the request: pulls are slow and a registry outage
 * lasts longer than one request; the sender retries later.
 */
class PullUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PullUnavailableError';
  }
}

/**
 * At most this many image pulls per request, whatever the retries: a pull is the slowest call by
 * far, and repeating one against an unreachable registry only burns the deadline.
 */
export const MAX_PULLS_PER_REQUEST = 1;

/** What a registry or engine says when the image (or access to it) does not exist: retrying cannot help. */
const IMAGE_MISSING =
  /manifest unknown|not found|repository does not exist|pull access denied|unauthorized|access .*denied|invalid reference|no matching manifest/i;

export interface DockerLauncherOptions {
  readonly config: DockerConfig;
  readonly engine: EngineApi;
  /** The Scalr agent pool token, read when a container is created; passed as container env only. */
  readonly agentToken: () => Promise<string>;
  readonly retryAfterSeconds: number;
  readonly retry?: RetryPolicy;
}

/** An image pull can take most of the budget: one attempt may use all of it. */
const DOCKER_RETRY_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, attemptTimeoutMs: 60_000 };

interface ContainerState {
  readonly id: string;
  readonly status: string;
}

/**
 * Starts the agent as a local container through the Docker Engine API. Exactly-once rests on the
 * container name, derived from the de-duplication key: Docker refuses a second container with the
 * same name (409), and the launcher then reports the existing one. The container removes itself when
 * the agent exits (`AutoRemove`), so a key is remembered by Docker only while its agent lives.
 */
export class DockerLauncher implements Launcher {
  readonly platform = 'docker';
  private readonly retry: RetryPolicy;

  constructor(private readonly options: DockerLauncherOptions) {
    this.retry = options.retry ?? DOCKER_RETRY_POLICY;
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const name = containerNameFor(request.dedupKey);
    const pulls = { count: 0 };
    try {
      return await retryWithin(
        request.deadline,
        this.retry,
        (signal, attempt) => this.attempt(request, name, signal, attempt, pulls),
        isRetryable,
      );
    } catch (error) {
      throw this.translate(error);
    }
  }

  private async attempt(
    request: LaunchRequest,
    name: string,
    signal: AbortSignal,
    attempt: number,
    pulls: { count: number },
  ): Promise<LaunchResult> {
    await this.ensureImage(signal, pulls);
    const engine = this.options.engine;
    const created = await engine.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
      body: await this.containerSpec(request),
      signal,
    });
    if (created.status === 201) {
      const id = (JSON.parse(created.body) as { Id: string }).Id;
      const started = await this.start(id, signal);
      return this.result(id, name, started === 'already-started', attempt);
    }
    if (created.status === 409) {
      // Another delivery of this key created it: report that container, and start it if that
      // delivery failed between create and start (otherwise the task would never get its agent).
      const existing = await this.inspect(name, signal);
      if (existing === undefined) throw new EngineRetryableError('the container vanished', created);
      if (existing.status !== 'created') return this.result(existing.id, name, true, attempt);
      const started = await this.start(existing.id, signal);
      return this.result(existing.id, name, started === 'already-started', attempt);
    }
    if (created.status === 400) {
      throw new ConfigError(`Docker refused the container: ${engineMessage(created)}. Check DOCKER_IMAGE.`);
    }
    throw new EngineRetryableError('creating the container failed', created);
  }

  private result(id: string, name: string, duplicate: boolean, attempts: number): LaunchResult {
    return { platform: this.platform, launchId: id, duplicate, details: { containerName: name, attempts } };
  }

  private async containerSpec(request: LaunchRequest): Promise<unknown> {
    if (this.options.config.source === 'env0') return this.env0ContainerSpec(request);
    const env = [
      `SCALR_URL=${this.options.config.scalrUrl}`,
      `SCALR_AGENT_TOKEN=${await this.options.agentToken()}`,
      'SCALR_AGENT_SINGLE=true',
      'SCALR_AGENT_DRIVER=local',
      ...dispatchContextEnvironment(request).map(({ name, value }) => `${name}=${value}`),
    ];
    const labels: Record<string, string> = {
      'dispatcher.managed-by': 'agent-dispatcher',
      'dispatcher.dedup-key': request.dedupKey,
      'dispatcher.manual': String(request.manual),
      'scalr.task-id': request.taskId,
    };
    if (request.runId) labels['scalr.run-id'] = request.runId;
    if (request.workspaceId) labels['scalr.workspace-id'] = request.workspaceId;
    if (request.environmentId) labels['scalr.environment-id'] = request.environmentId;
    if (request.action) labels['scalr.action'] = request.action;
    return { Image: this.options.config.image, Env: env, Labels: labels, HostConfig: { AutoRemove: true } };
  }

  /** An env0 agent: env0's variable names and labels by source, never Scalr's. */
  private async env0ContainerSpec(request: LaunchRequest): Promise<unknown> {
    const env = [
      `AGENT_ACCESS_TOKEN=${await this.options.agentToken()}`,
      ...dispatchContextEnvironment(request).map(({ name, value }) => `${name}=${value}`),
      'DISPATCH_SOURCE=env0',
    ];
    const labels: Record<string, string> = {
      'dispatcher.managed-by': 'agent-dispatcher',
      'dispatcher.dedup-key': request.dedupKey,
      'dispatcher.source': 'env0',
      'env0.slot': request.taskId,
    };
    return { Image: this.options.config.image, Env: env, Labels: labels, HostConfig: { AutoRemove: true } };
  }

  /**
   * Pulls the image when the engine does not have it, at most `MAX_PULLS_PER_REQUEST` times per
   * request. A missing image is a ConfigError naming DOCKER_IMAGE; a registry that cannot be reached
   * (or a pull the deadline cuts off) is temporary.
   */
  private async ensureImage(signal: AbortSignal, pulls: { count: number }): Promise<void> {
    const image = this.options.config.image;
    const engine = this.options.engine;
    const inspected = await engine.call('GET', `/images/${image}/json`, { signal });
    if (inspected.status === 200) return;
    if (inspected.status !== 404) throw new EngineRetryableError('inspecting the image failed', inspected);
    if (pulls.count >= MAX_PULLS_PER_REQUEST) {
      throw new PullUnavailableError(
        `${image} is still missing after ${pulls.count} pull(s) in this request`,
      );
    }
    pulls.count++;
    const { repository, tag } = parseImageRef(image);
    const query = `fromImage=${encodeURIComponent(repository)}&tag=${encodeURIComponent(tag)}`;
    let pulled: EngineAnswer;
    try {
      pulled = await engine.call('POST', `/images/create?${query}`, { signal });
    } catch (error) {
      if (error instanceof EngineTimeoutError) {
        throw new PullUnavailableError(`pulling ${image} did not finish before the launch deadline`, {
          cause: error,
        });
      }
      throw error;
    }
    if (pulled.status === 200) {
      // The pull answers 200 at once and streams progress; a failure arrives as a line with `error`.
      const failure = streamError(pulled.body);
      if (failure !== undefined) throw this.pullFailure(failure, false);
      return;
    }
    // 4xx is a refusal (no such image, no access, bad reference), except a timeout or a rate limit.
    const refused =
      pulled.status >= 400 && pulled.status < 500 && pulled.status !== 408 && pulled.status !== 429;
    throw this.pullFailure(engineMessage(pulled), refused);
  }

  /** A refused pull: ConfigError when the image does not exist (or is not ours to pull), else temporary. */
  private pullFailure(message: string, refused: boolean): Error {
    const image = this.options.config.image;
    if (refused || IMAGE_MISSING.test(message)) {
      return new ConfigError(
        `Docker cannot pull ${image} (DOCKER_IMAGE): ${message}. Build or load the image on this ` +
          `machine (docker build -t ${image} . / docker load), run docker login for a private ` +
          'registry, or set DOCKER_IMAGE to an image that exists.',
      );
    }
    return new PullUnavailableError(`pulling ${image} failed: ${message}`);
  }

  private async inspect(name: string, signal: AbortSignal): Promise<ContainerState | undefined> {
    const answer = await this.options.engine.call('GET', `/containers/${encodeURIComponent(name)}/json`, {
      signal,
    });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new EngineRetryableError('inspecting the container failed', answer);
    const body = JSON.parse(answer.body) as { Id: string; State?: { Status?: string } };
    return { id: body.Id, status: body.State?.Status ?? 'unknown' };
  }

  private async start(id: string, signal: AbortSignal): Promise<'started' | 'already-started'> {
    const answer = await this.options.engine.call('POST', `/containers/${id}/start`, { signal });
    if (answer.status === 204) return 'started';
    if (answer.status === 304) return 'already-started';
    throw new EngineRetryableError('starting the container failed', answer);
  }

  private translate(error: unknown): Error {
    if (error instanceof ConfigError) return error;
    const where = this.options.config.endpointText;
    const retryAfter = this.options.retryAfterSeconds;
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    if (last instanceof EngineUnreachableError && last.kind === 'setting') {
      const hint =
        last.code === 'ENOTFOUND'
          ? 'the host in DOCKER_HOST does not resolve: fix DOCKER_HOST'
          : last.code === 'ENOTSOCK'
            ? 'that path is not a socket: fix DOCKER_HOST'
            : 'this user may not use it (add it to the docker group, or set DOCKER_HOST)';
      return new ConfigError(`No Docker engine answered at ${where} (${last.code}): ${hint}.`, {
        cause: error,
      });
    }
    if (last instanceof EngineUnreachableError) {
      return new TemporarilyUnavailableError(
        `No Docker engine answered at ${where} (${last.code}): it is stopped or restarting. Start Docker ` +
          "(or set DOCKER_HOST to the engine's address); retry with the same Idempotency-Key.",
        retryAfter,
        { cause: error },
      );
    }
    if (last instanceof PullUnavailableError) {
      return new TemporarilyUnavailableError(
        `Docker at ${where} could not get the image: ${last.message.slice(0, 300)}. The registry may be ` +
          'unreachable: retry later with the same Idempotency-Key, or pull or load the image beforehand.',
        retryAfter,
        { cause: error },
      );
    }
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    const what = last instanceof Error ? last.message.slice(0, 200) : 'timeout';
    return new TemporarilyUnavailableError(
      `Docker at ${where} did not accept the launch in time (${attempts} attempt(s); last: ${what}). ` +
        'Retry with the same Idempotency-Key; a first image pull can take long (pull it beforehand).',
      retryAfter,
      { cause: error },
    );
  }
}

/**
 * Worth another attempt within the request: engine 5xx, a connection the engine dropped (it
 * restarted), an attempt that timed out. Not: a wrong setting, no engine listening at all (answered
 * 503 at once; the sender retries later), or a failed pull (bounded per request).
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof ConfigError || error instanceof PullUnavailableError) return false;
  if (error instanceof EngineUnreachableError) return error.kind === 'lost';
  return true;
}

/** The first error reported in a pull's progress stream (one JSON object per line), if any. */
export function streamError(stream: string): string | undefined {
  for (const line of stream.split('\n')) {
    if (!line.trim()) continue;
    try {
      const item = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      const message = item.errorDetail?.message ?? item.error;
      if (message !== undefined) return String(message).slice(0, 300);
    } catch {
      // a partial or non-JSON line says nothing about failure
    }
  }
  return undefined;
}
