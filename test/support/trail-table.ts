import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { gzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AWAITING_INDEX } from '../../lambda/trail/dynamodb-trail-store.js';
import type { LaunchedTask } from './aws-stand-in.js';

const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => Server;

/**
 * An in-process DynamoDB (dynalite) on 127.0.0.1 with the task-trail table as the stack creates it:
 * partition key `pk` (String) and the sparse index `awaiting` (`awaiting` String, `acceptedMs` Number).
 */
export async function startTrailTable(tableName = 'trail') {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'awaiting', AttributeType: 'S' },
        { AttributeName: 'acceptedMs', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: AWAITING_INDEX,
          KeySchema: [
            { AttributeName: 'awaiting', KeyType: 'HASH' },
            { AttributeName: 'acceptedMs', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['runningAt', 'stoppedAt'] },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    client,
    tableName,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The CloudWatch Logs subscription delivery of these log lines (base64 gzip, as Lambda receives it). */
export function logsSubscriptionEvent(lines: readonly string[]) {
  const batch = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/lambda/dispatcher',
    logStream: '2026/11/02/[$LATEST]abc',
    subscriptionFilters: ['trail'],
    logEvents: lines.map((message, i) => ({ id: String(i), timestamp: Date.now(), message })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(batch))).toString('base64') } };
}

/**
 * An ECS Task State Change event for a task the stand-in started, shaped like ECS's: the RunTask
 * overrides echoed back, ISO timestamps of the steps so far, the agent container's exit code
 * (`containerName`: `agent` for Scalr, `env0-agent` for env0).
 */
export function taskStateEvent(
  task: LaunchedTask,
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED',
  times: {
    createdAt: number;
    pullStartedAt?: number;
    pullStoppedAt?: number;
    startedAt?: number;
    stoppedAt?: number;
  },
  stop: { exitCode?: number; stopCode?: string; stoppedReason?: string } = {},
  containerName = 'agent',
) {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  // The Region and account of the task's own ARN: a failover Region's events name their Region.
  const [, , , region = 'us-east-1', account = '123456789012'] = task.taskArn.split(':');
  return {
    version: '0',
    id: `event-${lastStatus}-${task.taskArn.slice(-6)}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account,
    time: iso(times.stoppedAt ?? times.startedAt ?? times.pullStartedAt ?? times.createdAt),
    region,
    resources: [task.taskArn],
    detail: {
      clusterArn: `arn:aws:ecs:${region}:${account}:cluster/${task.cluster}`,
      taskArn: task.taskArn,
      lastStatus,
      desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      startedBy: task.startedBy,
      capacityProviderName: task.capacityProvider,
      launchType: 'FARGATE',
      overrides: task.input.overrides,
      createdAt: iso(times.createdAt),
      pullStartedAt: iso(times.pullStartedAt),
      pullStoppedAt: iso(times.pullStoppedAt),
      startedAt: iso(times.startedAt),
      stoppedAt: iso(times.stoppedAt),
      stopCode: stop.stopCode,
      stoppedReason: stop.stoppedReason,
      containers: [
        {
          name: containerName,
          lastStatus: lastStatus === 'STOPPED' ? 'STOPPED' : lastStatus,
          exitCode: stop.exitCode,
        },
      ],
      version: { PROVISIONING: 1, PENDING: 2, RUNNING: 3, STOPPED: 4 }[lastStatus],
    },
  };
}
