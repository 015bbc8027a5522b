import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientOptions } from '../aws/client-options.js';
import { withoutSdkLogging } from '../aws/without-sdk-logging.js';
import type { Env } from '../config/env-reader.js';
import { DynamoDbLedger } from './dynamodb-ledger.js';
import type { LaunchLedger } from './launch-ledger.js';
import { loadLedgerConfig } from './ledger-config.js';
import { MemoryLedger } from './memory-ledger.js';

/** The launch ledger the environment names (see `loadLedgerConfig`). */
export function createLedger(env: Env, defaultScope: string, retryAfterSeconds: number): LaunchLedger {
  const config = loadLedgerConfig(env, defaultScope);
  if (config.kind === 'memory') return new MemoryLedger({ ttlMs: config.ttlSeconds * 1000 });
  const client = withoutSdkLogging(new DynamoDBClient({ maxAttempts: 2, ...awsClientOptions() }));
  return new DynamoDbLedger(client, {
    tableName: config.tableName,
    scope: config.scope,
    ttlSeconds: config.ttlSeconds,
    retryAfterSeconds,
  });
}
