import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbPoolStore } from '../../../lambda/poller/dynamodb-pool-store.js';
import { MemoryPoolStore } from '../../../lambda/poller/memory-pool-store.js';
import type { PoolStore, TrackedAgent } from '../../../lambda/poller/pool-store.js';
import { startLedgerTable } from '../../support/dynalite-table.js';

/**
 * The PoolStore contract (the env0 poller's lease and record of its agents), run against the
 * memory store and the deployed one (DynamoDB, on dynalite). Both take an injected clock.
 */
type Clock = { now: number };
type Table = Awaited<ReturnType<typeof startLedgerTable>>;

let table: Table;
let scopes = 0;

beforeAll(async () => {
  table = await startLedgerTable();
});
afterAll(async () => table.stop());

const stores: Record<string, (clock: Clock) => PoolStore> = {
  memory: (clock) => new MemoryPoolStore(() => clock.now),
  dynamodb: (clock) =>
    new DynamoDbPoolStore(table.client, {
      tableName: 'ledger',
      scope: `pool-${++scopes}`,
      now: () => clock.now,
    }),
};

const signal = () => AbortSignal.timeout(5_000);
const agent = (key: string, launchId?: string): TrackedAgent => ({
  key,
  plannedAt: 1_000,
  ...(launchId === undefined ? {} : { launchId, platform: 'ecs' }),
});

describe.each(Object.keys(stores))('PoolStore contract: %s', (kind) => {
  let clock: Clock;
  let store: PoolStore;

  beforeEach(() => {
    clock = { now: 10_000 };
    store = (stores[kind] as (clock: Clock) => PoolStore)(clock);
  });

  it('gives a first owner the lease and an empty record', async () => {
    const lease = await store.acquire('a', 20_000, signal());

    expect(lease).toEqual({ kind: 'acquired', agents: [] });
  });

  it('refuses the lease to another owner while it holds, saying until when', async () => {
    await store.acquire('a', 20_000, signal());

    const other = await store.acquire('b', 30_000, signal());

    expect(other).toEqual({ kind: 'busy', leaseUntil: 20_000 });
  });

  it('lets the holder renew its lease and keeps its record', async () => {
    await store.acquire('a', 20_000, signal());
    await store.save('a', [agent('k-1', 'arn:1')], signal());

    const renewed = await store.acquire('a', 40_000, signal());
    clock.now = 30_000;
    const other = await store.acquire('b', 50_000, signal());

    expect(renewed).toEqual({ kind: 'acquired', agents: [agent('k-1', 'arn:1')] });
    expect(other).toEqual({ kind: 'busy', leaseUntil: 40_000 });
  });

  it('hands an expired lease to another owner with the agents the first one saved', async () => {
    await store.acquire('a', 20_000, signal());
    const agents = [agent('k-1', 'arn:1'), { ...agent('k-2'), unconfirmed: true }];
    await store.save('a', agents, signal());
    clock.now = 20_001;

    const taken = await store.acquire('b', 40_000, signal());

    expect(taken).toEqual({ kind: 'acquired', agents });
  });

  it('refuses a save by an owner whose lease was taken over, keeping the new holder’s record', async () => {
    await store.acquire('a', 20_000, signal());
    clock.now = 20_001;
    await store.acquire('b', 40_000, signal());
    await store.save('b', [agent('k-b', 'arn:b')], signal());

    const late = await store.save('a', [agent('k-a', 'arn:a')], signal());
    const record = await store.acquire('b', 40_000, signal());

    expect(late).toBe(false);
    expect(record).toEqual({ kind: 'acquired', agents: [agent('k-b', 'arn:b')] });
  });

  it('frees the lease on release, for the next owner at once', async () => {
    await store.acquire('a', 20_000, signal());
    await store.save('a', [agent('k-1', 'arn:1')], signal());

    await store.release('a', signal());
    const next = await store.acquire('b', 30_000, signal());

    expect(next).toEqual({ kind: 'acquired', agents: [agent('k-1', 'arn:1')] });
  });

  it('ignores a release by an owner that no longer holds the lease', async () => {
    await store.acquire('a', 20_000, signal());
    clock.now = 20_001;
    await store.acquire('b', 40_000, signal());

    await store.release('a', signal());
    const other = await store.acquire('c', 50_000, signal());

    expect(other).toEqual({ kind: 'busy', leaseUntil: 40_000 });
  });
});

describe('DynamoDbPoolStore', () => {
  it('keeps two pools (scopes) of one table apart', async () => {
    const clock = { now: 10_000 };
    const one = new DynamoDbPoolStore(table.client, {
      tableName: 'ledger',
      scope: 'env0/x',
      now: () => clock.now,
    });
    const two = new DynamoDbPoolStore(table.client, {
      tableName: 'ledger',
      scope: 'env0/y',
      now: () => clock.now,
    });
    await one.acquire('a', 20_000, signal());
    await one.save('a', [agent('k-1', 'arn:1')], signal());

    const other = await two.acquire('b', 20_000, signal());

    expect(other).toEqual({ kind: 'acquired', agents: [] });
  });

  it('names the table and the grant when the table does not exist', async () => {
    const store = new DynamoDbPoolStore(table.client, { tableName: 'no-such-table', scope: 'env0/z' });

    await expect(store.acquire('a', Date.now() + 10_000, signal())).rejects.toThrow(/no-such-table/);
  });
});
