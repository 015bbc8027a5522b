import { randomBytes } from 'node:crypto';
import { LAUNCH_TARGETS, type LaunchTarget } from '../lambda/config/config.js';
import { type Env, EnvReader } from '../lambda/config/env-reader.js';

/** Where one of the local secrets came from, for the banner. */
export type SecretOrigin = 'given' | 'generated' | 'secrets-manager' | 'dummy' | 'missing';

/** Everything `npm start` decided from the environment before starting the server. */
export interface LocalSettings {
  /** The environment the dispatcher is built from: the process's, with local defaults filled in. */
  readonly env: Env;
  readonly target: LaunchTarget;
  readonly host: string;
  readonly port: number;
  /** The `x-api-key` the local gateway requires. */
  readonly apiKey: string;
  readonly origins: {
    readonly apiKey: SecretOrigin;
    readonly webhookSecret: SecretOrigin;
    readonly agentToken: SecretOrigin;
  };
}

/**
 * A random URL-safe secret; 24 bytes is far beyond guessing. Hex, not base64url: a value starting
 * with '-' made the banner's `npm run trigger -- … --secret -x…` a usage error (about 1 run in 16).
 */
export function generateSecret(): string {
  return randomBytes(24).toString('hex');
}

/**
 * Local defaults on top of the shared configuration contract: `dry-run` unless `LAUNCH_TARGET` says
 * otherwise, generated API key and webhook secret when not given, and a dummy agent token for dry
 * runs (no agent starts, so no real token is needed). Deployed Lambdas never read this.
 */
export function localSettings(processEnv: Env, newSecret: () => string = generateSecret): LocalSettings {
  const reader = new EnvReader(processEnv);
  const target = reader.oneOf('LAUNCH_TARGET', LAUNCH_TARGETS, 'dry-run');
  const env: Record<string, string | undefined> = { ...processEnv, LAUNCH_TARGET: target };

  const givenKey = reader.optional('API_KEY');
  const apiKey = givenKey ?? newSecret();

  let webhookSecret: SecretOrigin = 'given';
  if (reader.optional('WEBHOOK_SECRET_ARN') !== undefined) webhookSecret = 'secrets-manager';
  else if (reader.optional('WEBHOOK_SECRET') === undefined) {
    env.WEBHOOK_SECRET = newSecret();
    webhookSecret = 'generated';
  }

  let agentToken: SecretOrigin = 'given';
  if (reader.optional('AGENT_TOKEN_SECRET_ARN') !== undefined) agentToken = 'secrets-manager';
  else if (reader.optional('AGENT_TOKEN') === undefined) {
    if (target === 'dry-run') {
      env.AGENT_TOKEN = `dry-run-dummy-${newSecret()}`;
      agentToken = 'dummy';
    } else {
      agentToken = 'missing';
    }
  }

  return {
    env,
    target,
    host: reader.optional('HOST') ?? '127.0.0.1',
    port: reader.integer('PORT', 8080, 0, 65_535),
    apiKey,
    origins: { apiKey: givenKey === undefined ? 'generated' : 'given', webhookSecret, agentToken },
  };
}
