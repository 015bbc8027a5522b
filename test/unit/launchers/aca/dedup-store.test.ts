import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lambda/errors.js';
import { DedupStore } from '../../../../lambda/launchers/aca/dedup-store.js';

const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => Server;

describe('DedupStore against dynalite', () => {
  let server: Server;
  let client: DynamoDBClient;
  let clock = 1_800_000_000_000;
  const store = (leaseSeconds = 60) =>
    new DedupStore(client, {
      tableName: 'dedup',
      scope: 'job',
      ttlSeconds: 86_400,
      leaseSeconds,
      now: () => clock,
    });

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'local' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: 'dedup',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives a key to one claimer and tells the next it is in progress', async () => {
    const first = await store().claim('k1');
    const second = await store().claim('k1');

    expect(first).toMatchObject({ kind: 'claimed', takeover: false });
    expect(second).toEqual({ kind: 'in-progress' });
  });

  it('answers the recorded execution once the claim completed', async () => {
    const claim = await store().claim('k2');
    if (claim.kind !== 'claimed') throw new Error('not claimed');
    await store().complete('k2', claim.owner, 'exec-id', 'exec-name');

    expect(await store().claim('k2')).toEqual({
      kind: 'completed',
      launchId: 'exec-id',
      executionName: 'exec-name',
    });
  });

  it('writes a TTL at least 24 hours ahead', async () => {
    await store().claim('k3');

    const item = await client.send(new GetItemCommand({ TableName: 'dedup', Key: { pk: { S: 'job#k3' } } }));
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThanOrEqual(clock / 1000 + 86_400);
  });

  it('lets a claim be taken over once its lease ran out, and then refuses the stale owner', async () => {
    const stale = await store(30).claim('k4');
    clock += 31_000;
    const takeover = await store(30).claim('k4');
    if (stale.kind !== 'claimed' || takeover.kind !== 'claimed') throw new Error('not claimed');

    expect(takeover.takeover).toBe(true);
    expect(await store().complete('k4', stale.owner, 'late')).toBe(false);
    expect(await store().complete('k4', takeover.owner, 'exec')).toBe(true);
  });

  it('frees a released key for the next claimer', async () => {
    const claim = await store().claim('k5');
    if (claim.kind !== 'claimed') throw new Error('not claimed');
    await store().release('k5', claim.owner);

    expect(await store().claim('k5')).toMatchObject({ kind: 'claimed', takeover: false });
  });

  it('names DEDUP_TABLE_NAME when the table does not exist', async () => {
    const missing = new DedupStore(client, {
      tableName: 'nope',
      scope: 'job',
      ttlSeconds: 86_400,
      leaseSeconds: 60,
    });

    const error = await missing.claim('k6').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('DEDUP_TABLE_NAME');
  });
});
