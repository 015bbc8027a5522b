import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambda/errors.js';
import { DynamoDbLedger } from '../../../lambda/ledger/dynamodb-ledger.js';
import type { LaunchLedger } from '../../../lambda/ledger/launch-ledger.js';
import { MemoryLedger } from '../../../lambda/ledger/memory-ledger.js';
import { startLedgerTable } from '../../support/dynalite-table.js';

const signal = () => AbortSignal.timeout(5_000);
const launch = {
  platform: 'ecs',
  launchId: 'arn:task/1',
  duplicate: false,
  details: { target: 'ecs/FARGATE' },
};

let table: Awaited<ReturnType<typeof startLedgerTable>>;
let client: DynamoDBClient;
let clock = 1_800_000_000_000;

beforeAll(async () => {
  table = await startLedgerTable();
  client = table.client;
});
afterAll(async () => table.stop());

const kinds: [string, () => LaunchLedger][] = [
  ['MemoryLedger', () => new MemoryLedger({ ttlMs: 86_400_000, now: () => clock })],
  [
    'DynamoDbLedger (dynalite)',
    () =>
      new DynamoDbLedger(client, {
        tableName: 'ledger',
        scope: 'pool',
        ttlSeconds: 86_400,
        retryAfterSeconds: 5,
        now: () => clock,
      }),
  ],
];

describe.each(kinds)('%s', (_name, make) => {
  // One ledger object per kind, shared like one table by many containers.
  let ledger: LaunchLedger;
  let n = 0;
  const key = () => `k-${_name.length}-${++n}`;
  const claim = (k: string, owner: string, leaseMs = 30_000, taskId = 't1') =>
    ledger.claim(k, { owner, taskId, leaseUntil: clock + leaseMs }, signal());
  beforeAll(() => {
    ledger = make();
  });

  it('gives a key to one claimer; the next finds it busy until the lease ends', async () => {
    const k = key();
    const first = await claim(k, 'a');
    const second = await claim(k, 'b');

    expect(first.kind).toBe('claimed');
    expect(second).toMatchObject({ kind: 'busy', record: { owner: 'a' } });
  });

  it('recognises its own claim sent again after a lost answer', async () => {
    const k = key();
    await claim(k, 'a');

    expect((await claim(k, 'a')).kind).toBe('claimed');
  });

  it('answers the recorded launch once completed', async () => {
    const k = key();
    await claim(k, 'a');
    await ledger.complete(k, 'a', launch, signal());

    const again = await claim(k, 'b');

    expect(again).toMatchObject({ kind: 'launched', record: { launch, taskId: 't1' } });
  });

  it('completes once per owner: a retry by the owner after a lost answer is true, another owner is false even with the same launch', async () => {
    const k = key();
    await claim(k, 'a', 1_000);
    await ledger.addAttempt(k, 'a', { id: '1', leg: 'aca', state: 'pending', at: clock }, signal());
    clock += 2_000;
    await claim(k, 'b');
    await ledger.complete(k, 'b', launch, signal());

    const retryByOwner = await ledger.complete(k, 'b', launch, signal());
    const lateFormerOwner = await ledger.complete(k, 'a', launch, signal());

    expect(retryByOwner).toBe(true);
    expect(lateFormerOwner).toBe(false);
  });

  it('hands the attempts of an expired lease to the next holder, and locks the old owner out', async () => {
    const k = key();
    await claim(k, 'a', 1_000);
    await ledger.addAttempt(k, 'a', { id: '1', leg: 'aca', state: 'pending', at: clock }, signal());
    clock += 2_000;

    const takeover = await claim(k, 'b');

    expect(takeover).toMatchObject({ kind: 'claimed', record: { owner: 'b', taskId: 't1' } });
    expect(takeover.record.attempts).toEqual([{ id: '1', leg: 'aca', state: 'pending', at: clock - 2_000 }]);
    expect(await ledger.complete(k, 'a', launch, signal())).toBe(false);
    expect(
      await ledger.addAttempt(k, 'a', { id: '2', leg: 'aca', state: 'pending', at: clock }, signal()),
    ).toBe(false);
  });

  it('marks an attempt refused', async () => {
    const k = key();
    await claim(k, 'a', 1_000);
    await ledger.addAttempt(
      k,
      'a',
      { id: '1', leg: 'ecs/FARGATE_SPOT', state: 'pending', at: clock },
      signal(),
    );
    await ledger.markRefused(k, 'a', '1', signal());
    clock += 2_000;

    const takeover = await claim(k, 'b');

    expect(takeover.record.attempts[0]?.state).toBe('refused');
  });

  it('keeps the claim and its attempts when suspended, but frees the lease at once', async () => {
    const k = key();
    await claim(k, 'a');
    await ledger.addAttempt(k, 'a', { id: '1', leg: 'aca', state: 'pending', at: clock }, signal());
    await ledger.suspend(k, 'a', signal());

    const next = await claim(k, 'b');

    expect(next).toMatchObject({ kind: 'claimed', record: { attempts: [{ id: '1', state: 'pending' }] } });
  });

  it('forgets a released key', async () => {
    const k = key();
    await claim(k, 'a', 30_000, 't1');
    await ledger.release(k, 'a', signal());

    const next = await claim(k, 'b', 30_000, 't2');

    expect(next).toMatchObject({ kind: 'claimed', record: { taskId: 't2', attempts: [] } });
  });

  it('keeps the task id of the first claim, so a reused key can be told apart', async () => {
    const k = key();
    await claim(k, 'a', 1_000, 't1');
    clock += 2_000;

    const reused = await claim(k, 'b', 1_000, 't2');

    expect(reused.record.taskId).toBe('t1');
  });

  it('treats a record past its TTL as absent', async () => {
    const k = key();
    await claim(k, 'a');
    await ledger.complete(k, 'a', launch, signal());
    clock += 86_401_000;

    const fresh = await claim(k, 'b', 30_000, 't9');

    expect(fresh).toMatchObject({ kind: 'claimed', record: { taskId: 't9', attempts: [] } });
  });
});

describe('DynamoDbLedger specifics', () => {
  const ledger = () =>
    new DynamoDbLedger(client, {
      tableName: 'ledger',
      scope: 'job',
      ttlSeconds: 86_400,
      retryAfterSeconds: 5,
      now: () => clock,
    });

  it('gives a record past its TTL to one of two deliveries racing to take it over; the other finds it busy', async () => {
    const first = ledger();
    await first.claim('ttl-race', { owner: 'a', taskId: 't1', leaseUntil: clock + 1_000 }, signal());
    await first.complete('ttl-race', 'a', launch, signal());
    clock += 86_401_000;
    // Both takeover writes wait for each other, so both were decided on the same expired record.
    let arrived = 0;
    let bothArrived: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    const racing = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown, options?: unknown) => {
          if (command instanceof PutItemCommand) {
            if (++arrived === 2) bothArrived();
            await barrier;
          }
          return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        };
      },
    });
    const racer = () =>
      new DynamoDbLedger(racing, {
        tableName: 'ledger',
        scope: 'job',
        ttlSeconds: 86_400,
        retryAfterSeconds: 5,
        now: () => clock,
      });

    const outcomes = await Promise.all([
      racer().claim('ttl-race', { owner: 'b', taskId: 't2', leaseUntil: clock + 30_000 }, signal()),
      racer().claim('ttl-race', { owner: 'c', taskId: 't2', leaseUntil: clock + 30_000 }, signal()),
    ]);

    expect(arrived).toBe(2);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['busy', 'claimed']);
    const winner = outcomes.find((outcome) => outcome.kind === 'claimed')?.record.owner;
    expect(outcomes.find((outcome) => outcome.kind === 'busy')?.record.owner).toBe(winner);
  });

  it('reads a COMPLETED record of the earlier ACA de-duplication store as launched', async () => {
    await client.send(
      new PutItemCommand({
        TableName: 'ledger',
        Item: {
          pk: { S: 'job#legacy-1' },
          state: { S: 'COMPLETED' },
          owner: { S: 'old' },
          launchId: { S: '/executions/e1' },
          executionName: { S: 'e1' },
          expiresAt: { N: String(Math.ceil(clock / 1000) + 3_600) },
        },
      }),
    );

    const claim = await ledger().claim(
      'legacy-1',
      { owner: 'new', taskId: 't', leaseUntil: clock + 1_000 },
      signal(),
    );

    expect(claim).toMatchObject({ kind: 'launched', record: { launch: { launchId: '/executions/e1' } } });
  });

  it('takes over an IN_PROGRESS record of the earlier ACA store with a pending ACA attempt, so what it started is looked up first', async () => {
    const oldLease = clock - 1_000;
    await client.send(
      new PutItemCommand({
        TableName: 'ledger',
        Item: {
          pk: { S: 'job#legacy-2' },
          state: { S: 'IN_PROGRESS' },
          owner: { S: 'old' },
          leaseUntil: { N: String(oldLease) },
          expiresAt: { N: String(Math.ceil(clock / 1000) + 3_600) },
        },
      }),
    );

    const claim = await ledger().claim(
      'legacy-2',
      { owner: 'new', taskId: 't', leaseUntil: clock + 1_000 },
      signal(),
    );
    const next = await ledger().claim(
      'legacy-2',
      { owner: 'newer', taskId: 't', leaseUntil: clock + 1_000 },
      signal(),
    );

    expect(claim).toMatchObject({ kind: 'claimed', record: { owner: 'new', taskId: 't' } });
    expect(claim.record.attempts).toEqual([
      { id: '1', leg: 'aca', state: 'pending', at: clock, until: clock },
    ]);
    expect(next).toMatchObject({ kind: 'busy', record: { owner: 'new' } });
  });

  it('finds an IN_PROGRESS record of the earlier ACA store busy while its lease runs', async () => {
    await client.send(
      new PutItemCommand({
        TableName: 'ledger',
        Item: {
          pk: { S: 'job#legacy-3' },
          state: { S: 'IN_PROGRESS' },
          owner: { S: 'old' },
          leaseUntil: { N: String(clock + 30_000) },
          expiresAt: { N: String(Math.ceil(clock / 1000) + 3_600) },
        },
      }),
    );

    const claim = await ledger().claim(
      'legacy-3',
      { owner: 'new', taskId: 't', leaseUntil: clock + 1_000 },
      signal(),
    );

    expect(claim).toMatchObject({ kind: 'busy', record: { owner: 'old', leaseUntil: clock + 30_000 } });
  });

  it('names the table and the variable when the table does not exist', async () => {
    const missing = new DynamoDbLedger(client, {
      tableName: 'nope',
      scope: 's',
      ttlSeconds: 86_400,
      retryAfterSeconds: 5,
    });

    const failure = await missing
      .claim('k', { owner: 'a', taskId: 't', leaseUntil: clock }, signal())
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/nope.*LEDGER_TABLE_NAME/);
  });
});
