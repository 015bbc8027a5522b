import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { statusOf, type TaskTrail, TRAIL_STEPS, type TrailStep, type TrailUpdate } from './task-trail.js';
import { AWAITING_INDEX } from './trail-index.js';
import type { TrailStore } from './trail-store.js';

export { AWAITING_INDEX };

export interface DynamoDbTrailStoreOptions {
  readonly tableName: string;
  /** Trails expire through the table's TTL attribute `expiresAt`, this long after their last report. */
  readonly ttlSeconds: number;
  readonly now?: () => number;
}

const STRING_FACTS = [
  'dedupKey',
  'runId',
  'workspaceId',
  'environmentId',
  'action',
  'target',
  'platform',
  'launchId',
  'capacityProvider',
  'region',
  'logsUrl',
  'stopCode',
  'stopReason',
] as const;

const stepAttribute = (step: TrailStep) => `${step}At`;

/** `awaiting` of a trail accepted and not yet RUNNING (the overdue sweep counts these). */
const AWAITING_START = '1';
/** `awaiting` of a trail RUNNING and not yet STOPPED (the status sweep asks the platform about these). */
const AWAITING_EXIT = 'R';

/**
 * Trails in DynamoDB, one item per task id (`pk`). Every attribute is written with `if_not_exists`,
 * so a repeated or late report changes nothing that is known; the status is derived when read.
 */
export class DynamoDbTrailStore implements TrailStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbTrailStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async read(taskId: string, signal: AbortSignal): Promise<TaskTrail | undefined> {
    const answer = await this.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: taskId } } }),
      { abortSignal: signal },
    );
    return answer.Item ? trailOf(answer.Item) : undefined;
  }

  async record(update: TrailUpdate, signal: AbortSignal): Promise<TaskTrail | undefined> {
    const sets: string[] = [];
    const values: Record<string, AttributeValue> = {};
    // Names go through placeholders: several (`action`, `target`) are DynamoDB reserved words.
    const names: Record<string, string> = {};
    const put = (name: string, value: AttributeValue | undefined) => {
      if (value === undefined) return;
      sets.push(`#${name} = if_not_exists(#${name}, :${name})`);
      names[`#${name}`] = name;
      values[`:${name}`] = value;
    };
    const facts: Record<string, unknown> = { ...update.facts, ...update.stop };
    for (const name of STRING_FACTS) {
      const value = facts[name];
      if (typeof value === 'string') put(name, { S: value });
    }
    if (typeof update.facts?.manual === 'boolean') put('manual', { BOOL: update.facts.manual });
    if (typeof update.stop?.exitCode === 'number') put('exitCode', { N: String(update.stop.exitCode) });
    if (typeof update.facts?.imagePullMs === 'number') {
      put('imagePullMs', { N: String(update.facts.imagePullMs) });
    }
    for (const step of TRAIL_STEPS) {
      const at = update.steps?.[step];
      if (at !== undefined) put(stepAttribute(step), { S: at });
    }
    // `awaiting` is AWAITING_START until RUNNING, AWAITING_EXIT until STOPPED, then gone: the sweep
    // finds trails to count (not started) and, for platforms without events, trails to ask about.
    let remove = '';
    if (update.steps?.stopped !== undefined) {
      remove = ' REMOVE awaiting';
    } else if (update.steps?.running !== undefined) {
      sets.push('awaiting = :awaitingExit');
      values[':awaitingExit'] = { S: AWAITING_EXIT };
    } else if (update.steps?.accepted !== undefined) {
      put('awaiting', { S: AWAITING_START });
    }
    if (update.steps?.accepted !== undefined) {
      put('acceptedMs', { N: String(Date.parse(update.steps.accepted)) });
    }
    sets.push('expiresAt = :expiresAt');
    values[':expiresAt'] = { N: String(Math.floor(this.now() / 1000) + this.options.ttlSeconds) };
    const answer = await this.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { pk: { S: update.taskId } },
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return answer.Attributes ? trailOf(answer.Attributes) : undefined;
  }

  /**
   * Task ids accepted between `from` and `to` (epoch ms) that have reached neither RUNNING nor STOPPED,
   * reading every page of the sparse index, at most `limit` ids.
   */
  async overdue(from: number, to: number, signal: AbortSignal, limit = 1_000): Promise<string[]> {
    return this.awaiting(
      AWAITING_START,
      'attribute_not_exists(runningAt) AND attribute_not_exists(stoppedAt)',
      from,
      to,
      signal,
      limit,
    );
  }

  /**
   * Task ids accepted between `from` and `to` (epoch ms) that have not STOPPED, oldest first: those
   * not yet RUNNING, then those RUNNING. What the status sweep asks a platform without events about.
   */
  async unfinished(from: number, to: number, signal: AbortSignal, limit = 1_000): Promise<string[]> {
    const notStarted = await this.overdue(from, to, signal, limit);
    const running = await this.awaiting(
      AWAITING_EXIT,
      'attribute_not_exists(stoppedAt)',
      from,
      to,
      signal,
      limit - notStarted.length,
    );
    return [...notStarted, ...running];
  }

  /** Every page of the sparse index for one `awaiting` value, at most `limit` ids, oldest first. */
  private async awaiting(
    value: string,
    filter: string,
    from: number,
    to: number,
    signal: AbortSignal,
    limit: number,
  ): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    while (ids.length < limit) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: AWAITING_INDEX,
          KeyConditionExpression: 'awaiting = :value AND acceptedMs BETWEEN :from AND :to',
          FilterExpression: filter,
          ExpressionAttributeValues: {
            ':value': { S: value },
            ':from': { N: String(from) },
            ':to': { N: String(to) },
          },
          ExclusiveStartKey: start,
        }),
        { abortSignal: signal },
      );
      for (const item of page.Items ?? []) if (item.pk?.S) ids.push(item.pk.S);
      start = page.LastEvaluatedKey;
      if (start === undefined) break;
    }
    return ids.slice(0, limit);
  }
}

function trailOf(item: Record<string, AttributeValue>): TaskTrail {
  const facts: Record<string, unknown> = {};
  for (const name of STRING_FACTS) if (item[name]?.S !== undefined) facts[name] = item[name].S;
  if (item.manual?.BOOL !== undefined) facts.manual = item.manual.BOOL;
  if (item.exitCode?.N !== undefined) facts.exitCode = Number(item.exitCode.N);
  if (item.imagePullMs?.N !== undefined) facts.imagePullMs = Number(item.imagePullMs.N);
  const steps: Partial<Record<TrailStep, string>> = {};
  for (const step of TRAIL_STEPS) {
    const at = item[stepAttribute(step)]?.S;
    if (at !== undefined) steps[step] = at;
  }
  return { ...facts, taskId: item.pk?.S ?? '', status: statusOf(steps), steps };
}
