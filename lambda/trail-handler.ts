import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { awsClientOptions } from './aws/client-options.js';
import { EnvReader } from './config/env-reader.js';
import { Logger, logLevelFrom } from './log/logger.js';
import { EmfWriter } from './metrics/emf.js';
import { acaStatusSource } from './trail/aca-status-source.js';
import { DynamoDbTrailStore } from './trail/dynamodb-trail-store.js';
import { StatusSweep } from './trail/status-sweep.js';
import { loadTrailConfig } from './trail/trail-config.js';
import { TrailConsumer } from './trail/trail-consumer.js';

// Built once per container. A bad setting fails the init: these invocations are asynchronous, so
// the event is retried and the function's Errors metric (and its alarm) show it.
const env = new EnvReader(process.env);
const trail = loadTrailConfig(process.env);
const logger = new Logger(undefined, logLevelFrom(process.env.LOG_LEVEL));
const store = new DynamoDbTrailStore(new DynamoDBClient({ maxAttempts: 3, ...awsClientOptions() }), {
  tableName: env.required('TRAIL_TABLE_NAME', 'the DynamoDB table of the task trails'),
  ttlSeconds: trail.ttlSeconds,
});

/**
 * `STATUS_SWEEP=aca`: ACA sends no task events, so each sweep reads the executions from ARM with the
 * launcher's own settings (`ACA_*`, `AZURE_*`). Imported only then: the ECS bundle has no Azure SDK.
 */
async function statusSweep(): Promise<StatusSweep | undefined> {
  if (env.optional('STATUS_SWEEP') !== 'aca') return undefined;
  const { createExecutionReader, updateFromExecution } = await import('./launchers/aca/execution-status.js');
  return new StatusSweep({
    source: acaStatusSource(createExecutionReader(process.env), updateFromExecution),
    store,
    logger,
    budgetMs: env.integer('STATUS_SWEEP_BUDGET_MS', 15_000, 1_000, 25_000),
    readTimeoutMs: env.integer('STATUS_READ_TIMEOUT_MS', 5_000, 500, 20_000),
    maxReads: env.integer('STATUS_SWEEP_MAX_READS', 200, 1, 5_000),
    concurrency: 4,
  });
}

const consumer = new TrailConsumer({
  store,
  metrics: new EmfWriter(env.optional('METRICS_NAMESPACE') ?? 'AgentDispatcher'),
  logger,
  statusSweep: await statusSweep(),
  ecs: {
    containerName: env.optional('AGENT_CONTAINER_NAME') ?? 'agent',
    logGroup: env.optional('AGENT_LOG_GROUP'),
    logStreamPrefix: env.optional('AGENT_LOG_STREAM_PREFIX'),
    logRegion: env.optional('AWS_REGION'),
  },
  notRunningAfterMs: env.integer('NOT_RUNNING_AFTER_MINUTES', 10, 1, 1440) * 60_000,
  sweepWindowMs: env.integer('SWEEP_WINDOW_MINUTES', 360, 10, 10_080) * 60_000,
});

/** EventBridge (ECS Task State Change, schedule) and CloudWatch Logs subscription entry point. */
export async function handler(event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) {
  // Stop a second before Lambda would, so a hung call ends as a retried error, not a timeout.
  const signal = AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - 1_000));
  return consumer.handle(event, signal);
}
