import { type Env, EnvReader } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';

/** Where the launch ledger lives: a DynamoDB table (deployed) or this process's memory (local). */
export type LedgerConfig =
  | {
      readonly kind: 'dynamodb';
      readonly tableName: string;
      readonly ttlSeconds: number;
      readonly scope: string;
    }
  | { readonly kind: 'memory'; readonly ttlSeconds: number };

const TABLE_NAME = /^[\w.-]{3,255}$/;

/**
 * Whether the environment names a ledger table (`LEDGER_TABLE_NAME` or `DEDUP_TABLE_NAME`). Once a
 * stack has a ledger, every launch consults it, even one the platform makes idempotent by itself:
 * a key's record must decide across a redeploy that changes the launch path (the stack creates the
 * table in every configuration, so every deployed version names it).
 */
export function hasLedgerTable(envVars: Env): boolean {
  const env = new EnvReader(envVars);
  return env.optional('LEDGER_TABLE_NAME') !== undefined || env.optional('DEDUP_TABLE_NAME') !== undefined;
}

/**
 * `LEDGER_TABLE_NAME` (or its former name `DEDUP_TABLE_NAME`) selects DynamoDB. Without it, a
 * process outside Lambda (local mode) keeps the ledger in memory — one process serves every request
 * there — while a Lambda refuses: its containers share no memory, so an in-memory ledger would not
 * keep a key launched once.
 */
export function loadLedgerConfig(envVars: Env, defaultScope: string): LedgerConfig {
  const env = new EnvReader(envVars);
  const ttlName =
    env.optional('LEDGER_TTL_SECONDS') === undefined ? 'DEDUP_TTL_SECONDS' : 'LEDGER_TTL_SECONDS';
  const ttlSeconds = env.integer(ttlName, 7 * 86_400, 86_400, 366 * 86_400);
  const name = env.optional('LEDGER_TABLE_NAME') === undefined ? 'DEDUP_TABLE_NAME' : 'LEDGER_TABLE_NAME';
  const tableName = env.optional(name);
  if (tableName === undefined) {
    if (env.optional('AWS_LAMBDA_FUNCTION_NAME') !== undefined) {
      throw new ConfigError(
        'LEDGER_TABLE_NAME is not set: this launch target (ACA, Spot then on-demand, or failover) needs the DynamoDB launch ledger table (partition key "pk", String; TTL attribute "expiresAt")',
      );
    }
    return { kind: 'memory', ttlSeconds };
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new ConfigError(
      `${name} is "${tableName.slice(0, 60)}": expected a DynamoDB table name (3-255 letters, digits or _.-)`,
    );
  }
  return { kind: 'dynamodb', tableName, ttlSeconds, scope: env.optional('LEDGER_SCOPE') ?? defaultScope };
}
