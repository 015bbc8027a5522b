import { ConfigError, TemporarilyUnavailableError } from '../../errors.js';
import { dispatchContextEnvironment } from '../dispatch-context.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { DEFAULT_RETRY_POLICY, RetriesExhaustedError, type RetryPolicy, retryWithin } from '../retry.js';
import { containerNameFor } from './container-name.js';
import type { DockerConfig } from './docker-config.js';
import {
  type DockerEngine,
  type EngineAnswer,
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

export interface DockerLauncherOptions {
  readonly config: DockerConfig;
  readonly engine: DockerEngine;
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
    try {
      return await retryWithin(
        request.deadline,
        this.retry,
        (signal, attempt) => this.attempt(request, name, signal, attempt),
        (error) => !(error instanceof ConfigError || error instanceof EngineUnreachableError),
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
  ): Promise<LaunchResult> {
    await this.ensureImage(signal);
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

  /** Pulls the image when the engine does not have it. */
  private async ensureImage(signal: AbortSignal): Promise<void> {
    const image = this.options.config.image;
    const engine = this.options.engine;
    const inspected = await engine.call('GET', `/images/${image}/json`, { signal });
    if (inspected.status === 200) return;
    if (inspected.status !== 404) throw new EngineRetryableError('inspecting the image failed', inspected);
    const { repository, tag } = parseImageRef(image);
    const query = `fromImage=${encodeURIComponent(repository)}&tag=${encodeURIComponent(tag)}`;
    const pulled = await engine.call('POST', `/images/create?${query}`, { signal });
    if (pulled.status === 404 || pulled.status === 403) {
      throw new ConfigError(`Docker cannot pull ${image}: ${engineMessage(pulled)}. Check DOCKER_IMAGE.`);
    }
    if (pulled.status !== 200) throw new EngineRetryableError(`pulling ${image} failed`, pulled);
    // The pull answers 200 at once and streams progress; a failure arrives as a line with `error`.
    const failure = streamError(pulled.body);
    if (failure !== undefined) {
      throw new ConfigError(`Docker cannot pull ${image}: ${failure}. Check DOCKER_IMAGE and the registry.`);
    }
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
    if (error instanceof EngineUnreachableError) {
      const hint =
        error.code === 'EACCES' || error.code === 'EPERM'
          ? 'this user may not use it (add it to the docker group, or set DOCKER_HOST)'
          : "start Docker, or set DOCKER_HOST to the engine's address";
      return new ConfigError(`No Docker engine answered at ${where} (${error.code}): ${hint}.`, {
        cause: error,
      });
    }
    const last = error instanceof RetriesExhaustedError ? error.lastError : error;
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    const what = last instanceof Error ? last.message.slice(0, 200) : 'timeout';
    return new TemporarilyUnavailableError(
      `Docker at ${where} did not accept the launch in time (${attempts} attempt(s); last: ${what}). ` +
        'Retry with the same Idempotency-Key; a first image pull can take long (pull it beforehand).',
      this.options.retryAfterSeconds,
      { cause: error },
    );
  }
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
