import { ConfigError } from '../errors.js';
import { type Env, EnvReader } from './env-reader.js';

/** Launch targets the dispatcher knows; each has a module under `launchers/`. */
export const LAUNCH_TARGETS = ['ecs', 'aca', 'dry-run', 'docker'] as const;
export type LaunchTarget = (typeof LAUNCH_TARGETS)[number];

/** Where a secret comes from: a Secrets Manager ARN (deployed) or a literal value (local mode only). */
export type SecretSource =
  | { readonly kind: 'secrets-manager'; readonly secretId: string; readonly envName: string }
  | { readonly kind: 'literal'; readonly value: string; readonly envName: string };

/**
 * How the webhook path tells that the Scalr agent pool token is set (`AGENT_TOKEN_CHECK`):
 *
 * - `value`: read the value and compare it with the placeholder (local mode, a literal token);
 * - `stored`: the stack created the secret with the placeholder as its only version; the token is
 *   set once a second version was stored (`put-secret-value` moves `AWSCURRENT` to a new version and
 *   labels the first `AWSPREVIOUS`), read with DescribeSecret, which never returns the value;
 * - `exists`: an imported secret the operator created with the token; it is set while it exists.
 */
export type AgentTokenCheck = 'value' | 'stored' | 'exists';

export const AGENT_TOKEN_CHECKS: readonly AgentTokenCheck[] = ['value', 'stored', 'exists'];

/** Settings every launch target shares. Target-specific settings are parsed by the target's module. */
export interface DispatcherConfig {
  readonly target: LaunchTarget;
  readonly webhookSecret: SecretSource;
  /**
   * The Scalr agent pool token, checked before each launch. Undefined for `aca`, where the token is a
   * secret of the Container Apps job and never passes through AWS.
   */
  readonly agentToken: SecretSource | undefined;
  /**
   * How a Secrets Manager agent token is known to be set (`AGENT_TOKEN_CHECK`); see AgentTokenCheck.
   * @default 'value'
   */
  readonly agentTokenCheck?: AgentTokenCheck;
  /** Time budget for one launch, including retries; the answer must stay inside API Gateway's 29 s. */
  readonly launchDeadlineMs: number;
  /** `Retry-After` sent with a 503. */
  readonly retryAfterSeconds: number;
  /** How long a secret read from Secrets Manager is trusted before it is read again. */
  readonly secretTtlSeconds: number;
  /** How long past its TTL a cached secret may still serve while Secrets Manager cannot be reached. */
  readonly secretStaleSeconds: number;
  /** Largest accepted body, in bytes. */
  readonly maxBodyBytes: number;
}

const SECRET_ID = /^(arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$/;

function secretSource(env: EnvReader, arnName: string, literalName: string): SecretSource {
  const secretId = env.optional(arnName);
  if (secretId !== undefined) {
    if (!SECRET_ID.test(secretId)) {
      throw new ConfigError(`${arnName} is "${secretId}": expected a Secrets Manager secret ARN or name`);
    }
    return { kind: 'secrets-manager', secretId, envName: arnName };
  }
  const value = env.optional(literalName);
  if (value !== undefined) return { kind: 'literal', value, envName: literalName };
  throw new ConfigError(
    `${arnName} is not set: expected the ARN of the Secrets Manager secret (or ${literalName} with the value itself, for local runs)`,
  );
}

/** Parses the settings shared by all targets; throws ConfigError naming the variable at fault. */
export function loadDispatcherConfig(envVars: Env): DispatcherConfig {
  const env = new EnvReader(envVars);
  const target = env.oneOf('LAUNCH_TARGET', LAUNCH_TARGETS, 'ecs');
  const tokenGiven = env.optional('AGENT_TOKEN_SECRET_ARN') ?? env.optional('AGENT_TOKEN');
  return {
    target,
    webhookSecret: secretSource(env, 'WEBHOOK_SECRET_ARN', 'WEBHOOK_SECRET'),
    agentToken:
      target === 'aca' && tokenGiven === undefined
        ? undefined
        : secretSource(env, 'AGENT_TOKEN_SECRET_ARN', 'AGENT_TOKEN'),
    agentTokenCheck: env.oneOf('AGENT_TOKEN_CHECK', AGENT_TOKEN_CHECKS, 'value'),
    launchDeadlineMs: env.integer('LAUNCH_DEADLINE_MS', 20_000, 1_000, 28_000),
    retryAfterSeconds: env.integer('RETRY_AFTER_SECONDS', 5, 1, 3_600),
    secretTtlSeconds: env.integer('SECRET_TTL_SECONDS', 300, 0, 86_400),
    secretStaleSeconds: env.integer('SECRET_STALE_SECONDS', 900, 0, 86_400),
    maxBodyBytes: 64 * 1024,
  };
}
