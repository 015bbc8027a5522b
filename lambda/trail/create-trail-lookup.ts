import type { LaunchTarget } from '../config/config.js';
import type { Env } from '../config/env-reader.js';
import { executionName } from './aca-execution-name.js';
import { withLiveStatus } from './live-status.js';
import type { TrailUpdate } from './task-trail.js';
import { loadTrailConfig } from './trail-config.js';
import type { TrailLookup, TrailStore } from './trail-store.js';

/**
 * How `GET /tasks/{taskId}` reads a trail: from `store` (local mode) or the DynamoDB table
 * `TRAIL_TABLE_NAME`, plus, for `aca` and `docker`, the platform's status read at that moment.
 * Undefined when no trail is kept. Platform modules are imported on the first read only, so the
 * webhook path's cold start does not pay for them.
 */
export function createTrailLookup(
  env: Env,
  target: LaunchTarget,
  store?: TrailStore,
): TrailLookup | undefined {
  const config = loadTrailConfig(env);
  let source: Promise<TrailStore> | undefined;
  const storeOf = () => {
    source ??= store
      ? Promise.resolve(store)
      : (async () => {
          const [{ DynamoDBClient }, { DynamoDbTrailStore }, { awsClientOptions }] = await Promise.all([
            import('@aws-sdk/client-dynamodb'),
            import('./dynamodb-trail-store.js'),
            import('../aws/client-options.js'),
          ]);
          const client = new DynamoDBClient({ maxAttempts: 2, ...awsClientOptions() });
          return new DynamoDbTrailStore(client, {
            tableName: config.tableName ?? '',
            ttlSeconds: config.ttlSeconds,
          });
        })();
    return source;
  };
  if (store === undefined && config.tableName === undefined) return undefined;
  const read: TrailLookup = async (taskId, signal) => (await storeOf()).read(taskId, signal);
  // Deployed, the dispatcher only reads the table; in local mode the store is its own.
  const keep = store && ((update: TrailUpdate, signal: AbortSignal) => store.record(update, signal));

  if (target === 'aca') {
    let reader: Promise<import('../launchers/aca/execution-status.js').ExecutionReader> | undefined;
    return withLiveStatus(
      read,
      async (trail, signal) => {
        const name = executionName(trail);
        if (name === undefined) return undefined;
        const { createExecutionReader, updateFromExecution } = await import(
          '../launchers/aca/execution-status.js'
        );
        reader ??= Promise.resolve(createExecutionReader(env));
        const execution = await (await reader)(name, signal);
        return execution && updateFromExecution(trail.taskId, execution);
      },
      keep,
    );
  }
  if (target === 'docker') {
    let reader: import('../launchers/docker/container-state.js').ContainerStateReader | undefined;
    return withLiveStatus(
      read,
      async (trail, signal) => {
        const { createContainerStateReader } = await import('../launchers/docker/container-state.js');
        reader ??= createContainerStateReader(env);
        return reader(trail.taskId, trail.launchId ?? '', signal, trail.steps.running !== undefined);
      },
      keep,
    );
  }
  return read;
}
