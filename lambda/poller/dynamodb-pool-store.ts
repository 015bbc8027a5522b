import {
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { ConfigError, TemporarilyUnavailableError } from '../errors.js';
import type { LeaseOutcome, PoolStore, TrackedAgent } from './pool-store.js';

export interface DynamoDbPoolStoreOptions {
  /** The launch ledger table (partition key `pk`, String). */
  readonly tableName: string;
  /** The pool: the record's key is `<scope>#env0-poller`, beside the ledger's launch records. */
  readonly scope: string;
  readonly now?: () => number;
}

const NAMES = { '#owner': 'owner' };

/**
 * The pool record as one item of the launch ledger table. No TTL: it must outlive every agent it
 * tracks. Conditional writes are strongly consistent, so two pollers never both hold the lease.
 */
export class DynamoDbPoolStore implements PoolStore {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbPoolStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async acquire(owner: string, leaseUntil: number, signal: AbortSignal): Promise<LeaseOutcome> {
    try {
      const answer = (await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.key(),
          UpdateExpression: 'SET #owner = :owner, leaseUntil = :lease, agents = if_not_exists(agents, :none)',
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':owner': { S: owner },
            ':lease': { N: String(leaseUntil) },
            ':now': { N: String(this.now()) },
            ':none': { S: '[]' },
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      )) as UpdateItemCommandOutput;
      return { kind: 'acquired', agents: parseAgents(answer.Attributes?.agents?.S) };
    } catch (error) {
      if (!isConditionFailure(error)) throw this.translate(error);
      // DynamoDB returns the item that failed the condition (ALL_OLD); where it does not (older
      // emulators), a strongly consistent read tells how long the other owner holds the lease.
      const old = (error as { Item?: Record<string, { N?: string }> }).Item ?? (await this.read(signal));
      return { kind: 'busy', leaseUntil: Number(old?.leaseUntil?.N ?? 0) };
    }
  }

  async save(owner: string, agents: readonly TrackedAgent[], signal: AbortSignal): Promise<boolean> {
    return this.ownedUpdate(
      owner,
      'SET agents = :agents',
      { ':agents': { S: JSON.stringify(agents) } },
      signal,
    );
  }

  async release(owner: string, signal: AbortSignal): Promise<void> {
    await this.ownedUpdate(owner, 'SET leaseUntil = :zero', { ':zero': { N: '0' } }, signal);
  }

  private async ownedUpdate(
    owner: string,
    update: string,
    values: Record<string, { S: string } | { N: string }>,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.key(),
          UpdateExpression: update,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ...values, ':owner': { S: owner } },
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw this.translate(error);
    }
  }

  private async read(signal: AbortSignal): Promise<Record<string, { N?: string }> | undefined> {
    try {
      const answer = (await this.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: this.key(), ConsistentRead: true }),
        { abortSignal: signal },
      )) as GetItemCommandOutput;
      return answer.Item as Record<string, { N?: string }> | undefined;
    } catch (error) {
      throw this.translate(error);
    }
  }

  private key() {
    return { pk: { S: `${this.options.scope}#env0-poller` } };
  }

  private translate(error: unknown): Error {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException') {
      return new ConfigError(
        `The launch ledger table ${this.options.tableName} cannot be used (${name}): check LEDGER_TABLE_NAME and the poller role's dynamodb:UpdateItem grant.`,
        { cause: error },
      );
    }
    return new TemporarilyUnavailableError('The launch ledger (DynamoDB) did not answer.', 30, {
      cause: error,
    });
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function parseAgents(text: string | undefined): TrackedAgent[] {
  const parsed: unknown = JSON.parse(text ?? '[]');
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (item): item is TrackedAgent =>
      typeof item === 'object' && item !== null && typeof (item as TrackedAgent).key === 'string',
  );
}
