// About 370 lines: each ledger operation is one conditional write whose lost answer is recognised by
// its owner token; they share the item's layout and the former ACA DedupStore's records.
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { ConfigError, TemporarilyUnavailableError } from '../errors.js';
import type {
  ClaimOutcome,
  ClaimRequest,
  LaunchLedger,
  LedgerAttempt,
  LedgerRecord,
  RecordedLaunch,
} from './launch-ledger.js';

export interface DynamoDbLedgerOptions {
  readonly tableName: string;
  /** Prefix of every key (the pool), so one table can serve several pools or stages. */
  readonly scope: string;
  /** Records expire through the table's TTL attribute `expiresAt` (epoch seconds). */
  readonly ttlSeconds: number;
  readonly retryAfterSeconds: number;
  readonly now?: () => number;
}

const CLAIMED = 'CLAIMED';
const LAUNCHED = 'LAUNCHED';
/** States of the ACA de-duplication records earlier versions wrote; read so an upgrade doubles nothing. */
const LEGACY_CLAIMED = 'IN_PROGRESS';
const LEGACY_LAUNCHED = 'COMPLETED';
/** The leg those records' starts went to: the ACA target (`LAUNCH_TARGET=aca`). */
const LEGACY_LEG = 'aca';

/** DynamoDB errors the operator must fix. */
const CONFIG_HINTS: Record<string, string> = {
  ResourceNotFoundException: 'does not exist in this account and region (check LEDGER_TABLE_NAME)',
  AccessDeniedException:
    "cannot be used by the function's role (grant dynamodb:GetItem, PutItem, UpdateItem and DeleteItem on it)",
  ValidationException: 'does not have the expected key (partition key "pk", type String)',
};

const NAMES = { '#state': 'state', '#owner': 'owner' };
const OWNED = '#owner = :owner AND #state = :claimed';

/**
 * The launch ledger in DynamoDB. Every write is conditional (strongly consistent) and every read is
 * `ConsistentRead`; a write retried after a lost answer is recognised by its owner, so the retry
 * of one's own claim or completion succeeds instead of looking like someone else's.
 */
export class DynamoDbLedger implements LaunchLedger {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoDbLedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, claim: ClaimRequest, signal: AbortSignal): Promise<ClaimOutcome> {
    const now = this.now();
    try {
      const answer = await this.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(key),
          UpdateExpression:
            'SET #state = :claimed, #owner = :owner, leaseUntil = :lease, taskId = if_not_exists(taskId, :taskId), attempts = if_not_exists(attempts, :none), expiresAt = :expires',
          // A record of the earlier ACA store is taken over by `claimLegacy`, which adds what it may have started.
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :claimed AND (leaseUntil < :now OR #owner = :owner))',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':claimed': { S: CLAIMED },
            ':owner': { S: claim.owner },
            ':lease': { N: String(claim.leaseUntil) },
            ':taskId': { S: claim.taskId },
            ':none': { M: {} },
            ':expires': { N: String(this.expiresAt(now)) },
            ':now': { N: String(now) },
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        signal,
      );
      return { kind: 'claimed', record: this.recordOf(key, answer.Attributes ?? {}) };
    } catch (error) {
      if (!isConditionFailure(error)) throw this.translate(error);
      const old = (error as { Item?: Record<string, AttributeValue> }).Item ?? (await this.read(key, signal));
      if (old === undefined) return this.claim(key, claim, signal);
      if (Number(old.expiresAt?.N ?? 0) < Math.floor(now / 1000)) {
        return this.claimExpired(key, claim, old, signal);
      }
      if (old.state?.S === LEGACY_CLAIMED && Number(old.leaseUntil?.N ?? 0) < now) {
        return this.claimLegacy(key, claim, old, signal);
      }
      const record = this.recordOf(key, old);
      return { kind: record.state === 'launched' ? 'launched' : 'busy', record };
    }
  }

  async addAttempt(key: string, owner: string, attempt: LedgerAttempt, signal: AbortSignal) {
    return this.ownedUpdate(
      key,
      owner,
      'SET attempts.#id = :attempt',
      { '#id': attempt.id },
      { ':attempt': attemptItem(attempt) },
      signal,
    );
  }

  async markRefused(key: string, owner: string, attemptId: string, signal: AbortSignal) {
    return this.ownedUpdate(
      key,
      owner,
      'SET attempts.#id.#attemptState = :refused',
      { '#id': attemptId, '#attemptState': 'state' },
      { ':refused': { S: 'refused' } },
      signal,
    );
  }

  async complete(key: string, owner: string, launch: RecordedLaunch, signal: AbortSignal): Promise<boolean> {
    const done = await this.ownedUpdate(
      key,
      owner,
      'SET #state = :launched, launch = :launch, leaseUntil = :zero',
      {},
      { ':launched': { S: LAUNCHED }, ':launch': { S: JSON.stringify(launch) }, ':zero': { N: '0' } },
      signal,
    );
    if (done) return true;
    // A retry after a lost answer finds its own completion.
    const item = await this.read(key, signal);
    return item?.state?.S === LAUNCHED && item.owner?.S === owner;
  }

  async suspend(key: string, owner: string, signal: AbortSignal): Promise<void> {
    await this.ownedUpdate(key, owner, 'SET leaseUntil = :zero', {}, { ':zero': { N: '0' } }, signal);
  }

  async release(key: string, owner: string, signal: AbortSignal): Promise<void> {
    try {
      await this.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(key),
          ConditionExpression: OWNED,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ':owner': { S: owner }, ':claimed': { S: CLAIMED } },
        }),
        signal,
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw this.translate(error);
    }
  }

  /**
   * An `IN_PROGRESS` record of the earlier ACA store whose lease ran out: its holder may have started
   * an execution (the store kept no attempts), so the takeover records one pending attempt on the
   * ACA leg, ended now — after the old lease, past which that holder sent nothing. The new holder
   * then lists the job's executions after the settle time before it launches anything.
   */
  private async claimLegacy(
    key: string,
    claim: ClaimRequest,
    old: Record<string, AttributeValue>,
    signal: AbortSignal,
  ): Promise<ClaimOutcome> {
    const now = this.now();
    const attempt: LedgerAttempt = {
      id: '1',
      leg: LEGACY_LEG,
      state: 'pending',
      at: now,
      until: Math.max(now, Number(old.leaseUntil?.N ?? 0)),
    };
    return this.takeOver(key, claim, signal, async () => {
      const answer = await this.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(key),
          UpdateExpression:
            'SET #state = :claimed, #owner = :owner, leaseUntil = :lease, taskId = if_not_exists(taskId, :taskId), attempts = :attempts, expiresAt = :expires',
          // Unchanged since it was read: nobody else took it over in between.
          ConditionExpression: '#state = :legacyClaimed AND leaseUntil = :oldLease',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':claimed': { S: CLAIMED },
            ':legacyClaimed': { S: LEGACY_CLAIMED },
            ':owner': { S: claim.owner },
            ':lease': { N: String(claim.leaseUntil) },
            ':taskId': { S: claim.taskId },
            ':attempts': { M: { [attempt.id]: attemptItem(attempt) } },
            ':expires': { N: String(this.expiresAt(now)) },
            ':oldLease': { N: old.leaseUntil?.N ?? '0' },
          },
          ReturnValues: 'ALL_NEW',
        }),
        signal,
      );
      return { kind: 'claimed', record: this.recordOf(key, answer.Attributes ?? {}) };
    });
  }

  /** A record past its TTL that DynamoDB has not deleted yet counts as absent. */
  private async claimExpired(
    key: string,
    claim: ClaimRequest,
    old: Record<string, AttributeValue>,
    signal: AbortSignal,
  ): Promise<ClaimOutcome> {
    const record: LedgerRecord = {
      key,
      taskId: claim.taskId,
      state: 'claimed',
      owner: claim.owner,
      leaseUntil: claim.leaseUntil,
      attempts: [],
    };
    return this.takeOver(key, claim, signal, async () => {
      await this.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            ...this.keyOf(key),
            state: { S: CLAIMED },
            owner: { S: claim.owner },
            taskId: { S: claim.taskId },
            leaseUntil: { N: String(claim.leaseUntil) },
            attempts: { M: {} },
            expiresAt: { N: String(this.expiresAt(this.now())) },
          },
          ConditionExpression: 'expiresAt = :old',
          ExpressionAttributeValues: { ':old': { N: old.expiresAt?.N ?? '0' } },
        }),
        signal,
      );
      return { kind: 'claimed', record };
    });
  }

  /**
   * A takeover write conditional on the record as it was read: when the condition fails, another
   * delivery changed it in between, so the claim starts over from what the record is now.
   */
  private async takeOver(
    key: string,
    claim: ClaimRequest,
    signal: AbortSignal,
    write: () => Promise<ClaimOutcome>,
  ): Promise<ClaimOutcome> {
    try {
      return await write();
    } catch (error) {
      if (!isConditionFailure(error)) throw this.translate(error);
      return this.claim(key, claim, signal);
    }
  }

  private async ownedUpdate(
    key: string,
    owner: string,
    update: string,
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      await this.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(key),
          UpdateExpression: update,
          ConditionExpression: OWNED,
          ExpressionAttributeNames: { ...NAMES, ...names },
          ExpressionAttributeValues: { ...values, ':owner': { S: owner }, ':claimed': { S: CLAIMED } },
        }),
        signal,
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw this.translate(error);
    }
  }

  private async read(key: string, signal: AbortSignal): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const answer = await this.send<GetItemCommandOutput>(
        new GetItemCommand({ TableName: this.options.tableName, Key: this.keyOf(key), ConsistentRead: true }),
        signal,
      );
      return answer.Item;
    } catch (error) {
      throw this.translate(error);
    }
  }

  // One generic send keeps the abort signal on every call.
  private send<T>(command: { input: unknown }, signal: AbortSignal): Promise<T> {
    return this.client.send(command as never, { abortSignal: signal }) as Promise<T>;
  }

  private recordOf(key: string, item: Record<string, AttributeValue>): LedgerRecord {
    const attempts = Object.entries(item.attempts?.M ?? {})
      .map(([id, value]) => ({
        id,
        leg: value.M?.leg?.S ?? '',
        state: value.M?.state?.S === 'refused' ? ('refused' as const) : ('pending' as const),
        at: Number(value.M?.at?.N ?? 0),
        ...(value.M?.until?.N === undefined ? {} : { until: Number(value.M.until.N) }),
      }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    return {
      key,
      taskId: item.taskId?.S ?? '',
      state: item.state?.S === LAUNCHED || item.state?.S === LEGACY_LAUNCHED ? 'launched' : 'claimed',
      owner: item.owner?.S ?? '',
      leaseUntil: Number(item.leaseUntil?.N ?? 0),
      attempts,
      launch: launchOf(item),
    };
  }

  private keyOf(key: string): Record<string, AttributeValue> {
    return { pk: { S: `${this.options.scope}#${key}` } };
  }

  private expiresAt(now: number): number {
    return Math.ceil(now / 1000) + this.options.ttlSeconds;
  }

  private translate(error: unknown): Error {
    const name = (error as { name?: string }).name ?? '';
    const hint = CONFIG_HINTS[name];
    if (hint !== undefined) {
      return new ConfigError(`The launch ledger table ${this.options.tableName} ${hint}.`, { cause: error });
    }
    return new TemporarilyUnavailableError(
      'The launch ledger (DynamoDB) did not answer; nothing was launched. Retry with the same Idempotency-Key.',
      this.options.retryAfterSeconds,
      { cause: error },
    );
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function attemptItem(attempt: LedgerAttempt): AttributeValue {
  const item: Record<string, AttributeValue> = {
    leg: { S: attempt.leg },
    state: { S: attempt.state },
    at: { N: String(attempt.at) },
  };
  if (attempt.until !== undefined) item.until = { N: String(attempt.until) };
  return { M: item };
}

function launchOf(item: Record<string, AttributeValue>): RecordedLaunch | undefined {
  if (item.launch?.S !== undefined) return JSON.parse(item.launch.S) as RecordedLaunch;
  const launchId = item.launchId?.S;
  if (launchId === undefined) return undefined;
  const executionName = item.executionName?.S;
  return { platform: 'aca', launchId, duplicate: true, details: executionName ? { executionName } : {} };
}
