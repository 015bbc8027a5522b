import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ConfigError, TemporarilyUnavailableError } from '../../errors.js';

/** What a claim found: the key is ours to launch, was launched already, or is being launched. */
export type Claim =
  | { readonly kind: 'claimed'; readonly owner: string; readonly takeover: boolean }
  | { readonly kind: 'completed'; readonly launchId: string; readonly executionName?: string }
  | { readonly kind: 'in-progress' };

export interface DedupStoreOptions {
  readonly tableName: string;
  /** Scope of the keys (the job), so one table can serve several jobs or stages. */
  readonly scope: string;
  readonly ttlSeconds: number;
  readonly leaseSeconds: number;
  readonly now?: () => number;
  readonly newOwner?: () => string;
}

const IN_PROGRESS = 'IN_PROGRESS';
const COMPLETED = 'COMPLETED';

/** DynamoDB errors the operator must fix. */
const DYNAMODB_CONFIG_HINTS: Record<string, string> = {
  ResourceNotFoundException: 'does not exist in this account and region (check DEDUP_TABLE_NAME)',
  AccessDeniedException:
    "cannot be used by the function's role (grant dynamodb:PutItem, GetItem, UpdateItem and DeleteItem on it)",
  ValidationException: 'does not have the expected key (partition key "pk", type String)',
};

/**
 * One record per de-duplication key, written with conditional writes: a launcher first claims the
 * key (IN_PROGRESS, with a lease), starts the execution, then marks it COMPLETED with the execution
 * id. Records expire through the table's TTL attribute `expiresAt` (epoch seconds).
 */
export class DedupStore {
  private readonly now: () => number;
  private readonly newOwner: () => string;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DedupStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.newOwner = options.newOwner ?? randomUUID;
  }

  /**
   * Claims a key for launching. A key whose claim's lease ran out (its launcher died or timed out)
   * can be claimed again; the caller is told so (`takeover`) and must look for an earlier launch.
   */
  async claim(key: string): Promise<Claim> {
    for (let round = 0; round < 3; round++) {
      const owner = this.newOwner();
      const now = this.now();
      try {
        const answer = await this.client.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: {
              pk: { S: this.pk(key) },
              state: { S: IN_PROGRESS },
              owner: { S: owner },
              leaseUntil: { N: String(now + this.options.leaseSeconds * 1000) },
              expiresAt: { N: String(Math.ceil(now / 1000) + this.options.ttlSeconds) },
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :inProgress AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':inProgress': { S: IN_PROGRESS },
              ':now': { N: String(now) },
              ':nowSeconds': { N: String(Math.floor(now / 1000)) },
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const takeover = answer.Attributes?.state?.S === IN_PROGRESS;
        return { kind: 'claimed', owner, takeover };
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException')
          throw this.translate(error);
      }
      const existing = await this.read(key);
      if (existing?.state?.S === COMPLETED && existing.launchId?.S !== undefined) {
        return { kind: 'completed', launchId: existing.launchId.S, executionName: existing.executionName?.S };
      }
      if (existing !== undefined) return { kind: 'in-progress' };
      // Deleted (released) between the write and the read: try to claim again.
    }
    return { kind: 'in-progress' };
  }

  /** Records the launch. Only the claim's owner may complete it (a takeover makes the old one stale). */
  async complete(key: string, owner: string, launchId: string, executionName?: string): Promise<boolean> {
    const values: Record<string, AttributeValue> = {
      ':completed': { S: COMPLETED },
      ':owner': { S: owner },
      ':launchId': { S: launchId },
      ':launchedAt': { N: String(this.now()) },
    };
    if (executionName !== undefined) values[':executionName'] = { S: executionName };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: this.pk(key) } },
          UpdateExpression: `SET #state = :completed, launchId = :launchId, launchedAt = :launchedAt${
            executionName === undefined ? '' : ', executionName = :executionName'
          } REMOVE leaseUntil`,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw this.translate(error);
    }
  }

  /** Gives a claim back when nothing was started, so the sender's retry can launch at once. */
  async release(key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: this.pk(key) } },
          ConditionExpression: '#owner = :owner AND #state = :inProgress',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':inProgress': { S: IN_PROGRESS } },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException')
        throw this.translate(error);
    }
  }

  private async read(key: string): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const answer = await this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: this.pk(key) } },
          ConsistentRead: true,
        }),
      );
      return answer.Item;
    } catch (error) {
      throw this.translate(error);
    }
  }

  private pk(key: string): string {
    return `${this.options.scope}#${key}`;
  }

  private translate(error: unknown): Error {
    const name = (error as { name?: string }).name ?? '';
    const hint = DYNAMODB_CONFIG_HINTS[name];
    if (hint !== undefined) {
      return new ConfigError(`The DynamoDB table ${this.options.tableName} ${hint}.`, { cause: error });
    }
    return new TemporarilyUnavailableError(
      'The de-duplication store (DynamoDB) is unavailable; nothing was launched. Retry with the same Idempotency-Key.',
      5,
      { cause: error },
    );
  }
}
