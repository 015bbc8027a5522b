import { type Env, EnvReader } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';

/** Where task trails are kept; none when `TRAIL_TABLE_NAME` is unset (then every task is unknown). */
export interface TrailConfig {
  readonly tableName?: string;
  /** How long a trail is kept after its last report (DynamoDB TTL); at least 7 days. */
  readonly ttlSeconds: number;
}

const TABLE_NAME = /^[\w.-]{3,255}$/;

/** Reads `TRAIL_TABLE_NAME` and `TRAIL_TTL_SECONDS` (default 7 days, 7 to 366 days). */
export function loadTrailConfig(envVars: Env): TrailConfig {
  const env = new EnvReader(envVars);
  const ttlSeconds = env.integer('TRAIL_TTL_SECONDS', 7 * 86_400, 7 * 86_400, 366 * 86_400);
  const tableName = env.optional('TRAIL_TABLE_NAME');
  if (tableName !== undefined && !TABLE_NAME.test(tableName)) {
    throw new ConfigError(
      `TRAIL_TABLE_NAME is "${tableName.slice(0, 60)}": expected a DynamoDB table name (3-255 letters, digits or _.-)`,
    );
  }
  return { tableName, ttlSeconds };
}
