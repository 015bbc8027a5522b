import type { LaunchTarget, SecretSource } from '../config/config.js';
import { type Env, EnvReader } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';
import type { ScalingParameters } from './keda-scaling.js';

export const DEFAULT_QUEUE_STATE_URL = 'https://agent.api.env0.com/deployment-tasks/queue-state';

/** Settings of the env0 poller (`lambda/poller-handler.ts`, `npm start` with `SOURCE=env0`). */
export interface PollerConfig {
  readonly target: LaunchTarget;
  readonly queueStateUrl: string;
  /** The env0 agent access token: Secrets Manager in a deployment, a literal locally. */
  readonly agentToken: SecretSource;
  readonly scaling: ScalingParameters;
  /** Seconds between polls (`pollingInterval`). */
  readonly pollingIntervalSeconds: number;
  /** `replicaTimeout`: ECS tasks running longer are stopped. */
  readonly replicaTimeoutSeconds: number;
  /** A running agent younger than this still counts as starting: it has not taken its task yet. */
  readonly agentStartupSeconds: number;
  /** Longest wait for the queue-state answer. */
  readonly queueStateTimeoutMs: number;
  /** Time allowed for one poll, launches included. */
  readonly pollBudgetMs: number;
  /** How long one invocation keeps polling (the schedule's period). */
  readonly runSeconds: number;
  /** Local targets: how long an agent counts as running after its launch. */
  readonly localAgentSeconds: number;
}

const SECRET_ID = /^(arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Parses the poller's variables; throws ConfigError naming the variable at fault. */
export function loadPollerConfig(envVars: Env): PollerConfig {
  const env = new EnvReader(envVars);
  const maxExecutions = env.integer('MAX_EXECUTIONS', 10, 1, 1_000);
  const minExecutions = env.integer('MIN_EXECUTIONS', 0, 0, 1_000);
  if (minExecutions > maxExecutions) {
    throw new ConfigError(
      `MIN_EXECUTIONS is ${minExecutions}: expected at most MAX_EXECUTIONS (${maxExecutions})`,
    );
  }
  const pollingIntervalSeconds = env.integer('POLLING_INTERVAL_SECONDS', 30, 5, 3_600);
  const queueStateTimeoutMs = env.integer('QUEUE_STATE_TIMEOUT_MS', 5_000, 500, 30_000);
  return {
    target: env.oneOf('LAUNCH_TARGET', ['ecs', 'aca', 'dry-run', 'docker'] as const, 'ecs'),
    queueStateUrl: queueStateUrl(env.optional('QUEUE_STATE_URL') ?? DEFAULT_QUEUE_STATE_URL),
    agentToken: agentToken(env),
    scaling: {
      minExecutions,
      maxExecutions,
      targetValue: env.integer('TARGET_VALUE', 1, 1, 1_000),
      activationTargetValue: env.integer('ACTIVATION_TARGET_VALUE', 0, 0, 1_000),
    },
    pollingIntervalSeconds,
    replicaTimeoutSeconds: env.integer('REPLICA_TIMEOUT_SECONDS', 3_600, 60, 7 * 86_400),
    agentStartupSeconds: env.integer('AGENT_STARTUP_SECONDS', 60, 0, 900),
    queueStateTimeoutMs,
    pollBudgetMs: env.integer('POLL_BUDGET_MS', 20_000, queueStateTimeoutMs + 1_000, 60_000),
    runSeconds: env.integer('RUN_SECONDS', 60, 1, 900),
    localAgentSeconds: env.integer('LOCAL_AGENT_SECONDS', 60, 1, 86_400),
  };
}

/** https only, except a stand-in on this machine (local mode, tests). */
function queueStateUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`QUEUE_STATE_URL is "${value.slice(0, 100)}": expected an https:// URL`);
  }
  if (url.username || url.password) {
    throw new ConfigError('QUEUE_STATE_URL holds credentials: the token goes in the agent token secret');
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) {
    return url.toString();
  }
  throw new ConfigError(`QUEUE_STATE_URL is "${value.slice(0, 100)}": expected an https:// URL`);
}

function agentToken(env: EnvReader): SecretSource {
  const secretId = env.optional('AGENT_TOKEN_SECRET_ARN');
  if (secretId !== undefined) {
    if (!SECRET_ID.test(secretId)) {
      throw new ConfigError(
        `AGENT_TOKEN_SECRET_ARN is "${secretId}": expected a Secrets Manager secret ARN or name`,
      );
    }
    return { kind: 'secrets-manager', secretId, envName: 'AGENT_TOKEN_SECRET_ARN' };
  }
  const value = env.optional('AGENT_TOKEN');
  if (value !== undefined) return { kind: 'literal', value, envName: 'AGENT_TOKEN' };
  throw new ConfigError(
    'AGENT_TOKEN_SECRET_ARN is not set: expected the ARN of the secret holding the env0 agent access token (or AGENT_TOKEN with the value itself, for local runs)',
  );
}
