import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { awsClientOptions } from '../aws/client-options.js';
import { lazySecretsManager } from '../aws/lazy-clients.js';
import type { DispatcherConfig } from '../config/config.js';
import { type Env, EnvReader } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';
import { createLauncher } from '../launchers/registry.js';
import type { LaunchLedger } from '../ledger/launch-ledger.js';
import { loadLedgerConfig } from '../ledger/ledger-config.js';
import type { Logger } from '../log/logger.js';
import { SecretCache } from '../secrets/secret-cache.js';
import { secretFetcher } from '../secrets/secrets-manager-fetcher.js';
import { type AgentStatusReader, TimedStatusReader } from './agent-status.js';
import { DynamoDbPoolStore } from './dynamodb-pool-store.js';
import { EcsAgentStatus } from './ecs-agent-status.js';
import { MemoryPoolStore } from './memory-pool-store.js';
import { Poller } from './poller.js';
import { loadPollerConfig, type PollerConfig } from './poller-config.js';
import type { PoolStore } from './pool-store.js';
import { readPendingCount } from './queue-state.js';
import { ENV0_TOKEN_PLACEHOLDER } from './token-placeholder.js';

/** What tests and local mode may supply instead of what the environment names. */
export interface PollerOverrides {
  readonly logger: Logger;
  readonly store?: PoolStore;
  /** The launch ledger for targets that need one (ACA); default: the one the environment names. */
  readonly ledger?: LaunchLedger;
  readonly statuses?: AgentStatusReader;
  readonly fetch?: typeof fetch;
  readonly owner?: string;
}

/** A poller and its settings, built once per container from the environment. */
export interface PollerRuntime {
  readonly config: PollerConfig;
  readonly poller: Poller;
}

/**
 * Builds the env0 poller: queue-state client, the launcher of `LAUNCH_TARGET` (the same launchers,
 * legs and ledger as the webhook path), the status reader of that target and the pool record.
 */
export async function createPoller(env: Env, overrides: PollerOverrides): Promise<PollerRuntime> {
  const config = loadPollerConfig(env);
  const { logger } = overrides;
  const scope = new EnvReader(env).optional('LEDGER_SCOPE') ?? poolScope(env, config);
  const dispatcherConfig: DispatcherConfig = {
    target: config.target,
    // The poller authenticates no caller: no webhook secret exists on this path.
    webhookSecret: { kind: 'literal', value: '', envName: 'none' },
    agentToken: config.agentToken,
    launchDeadlineMs: config.pollBudgetMs,
    retryAfterSeconds: config.pollingIntervalSeconds,
    secretTtlSeconds: 300,
    secretStaleSeconds: 900,
    maxBodyBytes: 0,
  };
  // Agents named by source: env0 tags, startedBy and variables, never Scalr's (launchers read AGENT_SOURCE).
  const launcher = await createLauncher({
    env: { ...env, AGENT_SOURCE: 'env0' },
    config: dispatcherConfig,
    logger,
    ledger: overrides.ledger,
  });
  const token = new SecretCache(secretFetcher(config.agentToken, lazySecretsManager()), {
    ttlMs: 300_000,
    staleMs: 900_000,
    retryAfterSeconds: config.pollingIntervalSeconds,
  });
  const poller = new Poller({
    scaling: config.scaling,
    readPending: async (signal) => {
      const value = await token.get(signal);
      if (value === ENV0_TOKEN_PLACEHOLDER || value === '') {
        throw new ConfigError(
          `The env0 agent access token in ${config.agentToken.envName} is not set yet: store it (see the SetAgentTokenCommand output)`,
        );
      }
      return readPendingCount({
        url: config.queueStateUrl,
        token: value,
        timeoutMs: config.queueStateTimeoutMs,
        signal,
        fetch: overrides.fetch,
      });
    },
    launcher,
    statuses: overrides.statuses ?? (await statusReader(env, config, logger)),
    store: overrides.store ?? poolStore(env, scope),
    logger,
    pollBudgetMs: config.pollBudgetMs,
    leaseMs: (config.pollingIntervalSeconds * 1000 + config.pollBudgetMs) | 0,
    keyPrefix: poolKeyPrefix(scope, config),
    owner: overrides.owner,
  });
  return { config, poller };
}

/**
 * The launch keys' prefix, unique to the pool: its record's scope (the target, or LEDGER_SCOPE) and
 * where its agent token lives (one secret per pool stack). Two pools sharing a cluster (ECS's
 * clientToken is scoped to the cluster) or a ledger table therefore never share a key. Keys are
 * stored with their slot before any launch, so a changed prefix never renames a planned slot.
 */
export function poolKeyPrefix(scope: string, config: Pick<PollerConfig, 'agentToken'>): string {
  const token = config.agentToken;
  const source = token.kind === 'secrets-manager' ? token.secretId : token.envName;
  return `env0-${createHash('sha256')
    .update(JSON.stringify([scope, source]))
    .digest('hex')
    .slice(0, 10)}`;
}

function poolScope(env: Env, config: PollerConfig): string {
  if (config.target === 'aca')
    return `env0/aca/${env.ACA_SUBSCRIPTION_ID}/${env.ACA_RESOURCE_GROUP}/${env.ACA_JOB_NAME}`;
  return `env0/${config.target}/${env.AWS_REGION ?? ''}/${env.ECS_CLUSTER ?? ''}`;
}

function poolStore(env: Env, scope: string): PoolStore {
  const ledger = loadLedgerConfig(env, scope);
  if (ledger.kind === 'memory') return new MemoryPoolStore();
  return new DynamoDbPoolStore(new DynamoDBClient({ maxAttempts: 2, ...awsClientOptions() }), {
    tableName: ledger.tableName,
    scope: ledger.scope,
  });
}

async function statusReader(env: Env, config: PollerConfig, logger: Logger): Promise<AgentStatusReader> {
  if (config.target === 'ecs') {
    const cluster = new EnvReader(env).required('ECS_CLUSTER', 'the ECS cluster name or ARN');
    const client = new ECSClient({
      maxAttempts: 2,
      ...awsClientOptions(),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      ...(env.AWS_ENDPOINT_URL_ECS ? { endpoint: env.AWS_ENDPOINT_URL_ECS } : {}),
    });
    return new EcsAgentStatus(client, {
      cluster,
      replicaTimeoutSeconds: config.replicaTimeoutSeconds,
      agentStartupSeconds: config.agentStartupSeconds,
      logger,
    });
  }
  if (config.target === 'aca')
    return (await import('./aca/create-aca-status.js')).createAcaStatus(env, config.agentStartupSeconds);
  return new TimedStatusReader(config.localAgentSeconds);
}
