import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lazySecretsManager } from '../aws/lazy-clients.js';
import { type DispatcherConfig, loadDispatcherConfig, type SecretSource } from '../config/config.js';
import type { Env } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';
import { errorAnswer, type HttpAnswer } from '../http/answers.js';
import type { WebhookRequest } from '../http/request.js';
import type { Launcher } from '../launchers/launcher.js';
import { createLauncher } from '../launchers/registry.js';
import type { LaunchLedger } from '../ledger/launch-ledger.js';
import { Logger, logLevelFrom } from '../log/logger.js';
import { dispatchMetricsFrom } from '../metrics/dispatch-metrics.js';
import type { MetricSink } from '../metrics/emf.js';
import { agentTokenStateFetcher } from '../secrets/agent-token-state.js';
import { SecretCache, type SecretFetcher } from '../secrets/secret-cache.js';
import { secretFetcher } from '../secrets/secrets-manager-fetcher.js';
import { createTrailLookup } from '../trail/create-trail-lookup.js';
import type { TrailLookup, TrailStore } from '../trail/trail-store.js';
import { Dispatcher } from './dispatcher.js';
import { LaunchCoalescer } from './launch-coalescer.js';

export type RequestHandler = ((request: WebhookRequest) => Promise<HttpAnswer>) & {
  /** Settles once the launch target is loaded (or known to be misconfigured); await it during init. */
  readonly ready?: Promise<void>;
};

export interface DispatcherOverrides {
  readonly logger?: Logger;
  /** Replaces the launcher the configuration names (tests, local mode). */
  readonly launcher?: (config: DispatcherConfig) => Promise<Launcher>;
  readonly secretsManager?: SecretsManagerClient;
  /** Replaces the launch ledger the configuration names: containers of one test share one. */
  readonly ledger?: LaunchLedger;
  /** Records accepted launches in-process and serves `GET /tasks/{taskId}` from it (local mode). */
  readonly trail?: TrailStore;
  /** Replaces how `GET /tasks/{taskId}` reads a trail (tests). */
  readonly tasks?: TrailLookup;
  /** Receives the EMF metric lines (tests); metrics are on in Lambda or with `METRICS=emf`. */
  readonly metricSink?: MetricSink;
}

/**
 * Wires the dispatcher from environment variables, once per process. A configuration error does
 * not crash the process: every request then answers a plain 500 (nobody can be authenticated, so
 * the answer says nothing about the settings) and the log names the variable.
 */
export function createDispatcher(env: Env, overrides: DispatcherOverrides = {}): RequestHandler {
  const logger = overrides.logger ?? new Logger(undefined, logLevelFrom(env.LOG_LEVEL));
  let config: DispatcherConfig;
  try {
    config = loadDispatcherConfig(env);
  } catch (error) {
    logger.error('configuration invalid', {
      reason: error instanceof ConfigError ? error.message : String(error),
    });
    // Not the ConfigError itself: its message quotes the variable's value (an ARN with the account id).
    return Object.assign(async () => errorAnswer(new Error('configuration invalid')), {
      ready: Promise.resolve(),
    });
  }
  let tasks = overrides.tasks;
  try {
    tasks ??= createTrailLookup(env, config.target, overrides.trail);
  } catch (error) {
    // The webhook keeps working; only the task trail is unavailable (every task answers 404).
    logger.error('task trail configuration invalid', {
      reason: error instanceof ConfigError ? error.message : String(error),
    });
  }

  const client = lazySecretsManager(overrides.secretsManager);
  const cacheFor = (source: SecretSource, fetcher?: SecretFetcher) =>
    new SecretCache(fetcher ?? secretFetcher(source, client, config.retryAfterSeconds), {
      retryAfterSeconds: config.retryAfterSeconds,
      ttlMs: config.secretTtlSeconds * 1000,
      staleMs: config.secretStaleSeconds * 1000,
      onStale: (error) =>
        logger.warn('serving cached secret while Secrets Manager is unavailable', {
          secret: source.envName,
          cause: (error as { name?: string }).name,
        }),
    });

  // Deployed, whether the token is set is read with DescribeSecret: the webhook path never holds it.
  const check = config.agentTokenCheck ?? 'value';
  const agentTokenCache = (source: SecretSource) =>
    source.kind === 'secrets-manager' && check !== 'value'
      ? cacheFor(source, agentTokenStateFetcher(source, check, client, config.retryAfterSeconds))
      : cacheFor(source);

  const launcher = overrides.launcher
    ? overrides.launcher(config)
    : createLauncher({ env, config, logger, ledger: overrides.ledger });
  // Reported per request; without this an invalid target would be an unhandled rejection at start-up.
  const ready = launcher.then(
    () => undefined,
    (error: unknown) => {
      logger.error('launch target configuration invalid', {
        reason: error instanceof ConfigError ? error.message : (error as Error).name,
      });
    },
  );

  const dispatcher = new Dispatcher({
    config,
    webhookSecret: cacheFor(config.webhookSecret),
    agentToken: config.agentToken && agentTokenCache(config.agentToken),
    launcher,
    coalescer: new LaunchCoalescer({
      rememberMs: 60 * 60 * 1000,
      maxEntries: 10_000,
      retryAfterSeconds: config.retryAfterSeconds,
    }),
    logger,
    metrics: dispatchMetricsFrom(env, overrides.metricSink),
    trail: overrides.trail,
    tasks,
    trailFromLogs: env.TRAIL_TABLE_NAME !== undefined && env.TRAIL_TABLE_NAME !== '',
  });
  return Object.assign((request: WebhookRequest) => dispatcher.handle(request), { ready });
}
