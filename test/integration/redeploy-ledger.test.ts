import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../lambda/launchers/ecs/client-token.js';
import { AcaRig, DEDUP_TABLE, SUBSCRIPTION_ID } from '../support/aca-rig.js';
import { AwsStandIn, faults } from '../support/aws-stand-in.js';
import { startLedgerTable } from '../support/dynalite-table.js';
import { Harness, json, scalrBody, toRequest } from '../support/harness.js';

/**
 * A redeploy that changes the launch path (issue 20, case 1): containers of the old and the new
 * configuration share one ECS and one ledger table (DynamoDB, dynalite), as they do in AWS while and
 * after a deploy. Each dispatcher builds its ledger from the environment (`LEDGER_TABLE_NAME`), as
 * the stack's function does, so the scope (the key prefix) is the one each configuration computes.
 */
const SPOT_THEN_FARGATE = { ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE', LAUNCH_DEADLINE_MS: '3000' };
const PLAIN_FARGATE = { ECS_CAPACITY: 'FARGATE', LAUNCH_DEADLINE_MS: '3000' };
/** The Harness shares a MemoryLedger by default; these tests use the table the environment names. */
const FROM_ENVIRONMENT = { ledger: undefined };

const body = (key: string) => ({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });
const providerOf = (input: Record<string, unknown>) =>
  (input.capacityProviderStrategy as { capacityProvider: string }[] | undefined)?.[0]?.capacityProvider;

let table: Awaited<ReturnType<typeof startLedgerTable>>;
let savedEndpoint: string | undefined;

beforeAll(async () => {
  table = await startLedgerTable('pool-ledger');
  savedEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
});
afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  else process.env.AWS_ENDPOINT_URL_DYNAMODB = savedEndpoint;
  await table.stop();
});

describe('a redeploy from FARGATE_SPOT_THEN_FARGATE to ECS_CAPACITY=FARGATE', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('answers a key launched on the on-demand leg from its record: one task, the answer names it', async () => {
    h = new Harness({
      faultFor: (operation, _n, input) =>
        operation === 'RunTask' && providerOf(input) === 'FARGATE_SPOT' ? faults.capacity() : undefined,
    });
    await h.start({ ...SPOT_THEN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' }, FROM_ENVIRONMENT);
    const first = await h.deliver(body('atask-redeploy-1'));
    const redeployed = h.another({ ...PLAIN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' }, FROM_ENVIRONMENT);

    const again = await redeployed(toRequest(body('atask-redeploy-1')));

    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.tasks[0]).toMatchObject({
      capacityProvider: 'FARGATE',
      clientToken: clientTokenFor('atask-redeploy-1', 'FARGATE'),
    });
    expect(json(again)).toMatchObject({
      launchId: h.standIn.tasks[0]?.taskArn,
      duplicate: true,
      recorded: true,
    });
  });

  it('answers 503 + Retry-After for an on-demand attempt left pending, until a configuration with that leg resolves it', async () => {
    let onDemandAnswerLost = true;
    h = new Harness({
      faultFor: (operation, _n, input) => {
        if (operation !== 'RunTask') return undefined;
        if (providerOf(input) === 'FARGATE_SPOT') return faults.capacity();
        // The on-demand task starts, but its answer arrives after the deadline.
        return onDemandAnswerLost ? faults.lost(5_000) : undefined;
      },
    });
    await h.start({ ...SPOT_THEN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' }, FROM_ENVIRONMENT);
    const first = await h.deliver(body('atask-redeploy-2'));
    onDemandAnswerLost = false;
    const redeployed = h.another({ ...PLAIN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' }, FROM_ENVIRONMENT);

    const afterRedeploy = await redeployed(toRequest(body('atask-redeploy-2')));
    const tasksAfterRedeploy = h.standIn.tasks.length;
    // Rolled back (or a container of the old version still running): it resolves the attempt.
    const rolledBack = h.another(
      { ...SPOT_THEN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' },
      FROM_ENVIRONMENT,
    );
    const resolved = await rolledBack(toRequest(body('atask-redeploy-2')));

    expect(first.statusCode).toBe(503);
    expect(afterRedeploy.statusCode).toBe(503);
    expect(Number(afterRedeploy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(tasksAfterRedeploy).toBe(1);
    expect(
      h
        .entries()
        .some((entry) =>
          JSON.stringify(entry).includes('ecs/FARGATE_AFTER_SPOT, which is no longer configured'),
        ),
    ).toBe(true);
    expect(resolved.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(json(resolved)).toMatchObject({ launchId: h.standIn.tasks[0]?.taskArn, duplicate: true });
  });
});

describe('a redeploy that drops the failover target', () => {
  let h: Harness | undefined;
  let secondary: AwsStandIn | undefined;
  afterEach(async () => {
    await h?.stop();
    await secondary?.stop();
  });

  it('answers a key launched on the secondary from its record, launching nothing on the primary', async () => {
    secondary = new AwsStandIn();
    const failover = {
      ...PLAIN_FARGATE,
      LEDGER_TABLE_NAME: 'pool-ledger',
      FAILOVER_TARGETS: 'ecs:SECONDARY',
      SECONDARY_ECS_CLUSTER: 'agents-dr',
      SECONDARY_AWS_REGION: 'us-west-2',
      SECONDARY_AWS_ENDPOINT_URL_ECS: await secondary.start(),
      SECONDARY_ECS_SUBNETS: 'subnet-0aaaaaaaaaaaaaaa1',
    };
    let primaryDenies = true;
    h = new Harness({
      faultFor: (operation) => (operation === 'RunTask' && primaryDenies ? faults.accessDenied() : undefined),
    });
    await h.start(failover, FROM_ENVIRONMENT);
    const first = await h.deliver(body('atask-redeploy-3'));
    primaryDenies = false;
    const redeployed = h.another({ ...PLAIN_FARGATE, LEDGER_TABLE_NAME: 'pool-ledger' }, FROM_ENVIRONMENT);

    const again = await redeployed(toRequest(body('atask-redeploy-3')));

    expect(json(first)).toMatchObject({ target: 'ecs:SECONDARY' });
    expect(again.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(0);
    expect(secondary.tasks).toHaveLength(1);
    expect(json(again)).toMatchObject({ launchId: secondary.tasks[0]?.taskArn, duplicate: true });
  });
});

describe('an upgrade from the ACA DedupStore', () => {
  let rig: AcaRig | undefined;
  afterEach(async () => rig?.stop());

  it('looks up what an IN_PROGRESS record of the former store may have started before launching: one execution', async () => {
    const settle = { ACA_LIST_SETTLE_SECONDS: '1' };
    rig = await new AcaRig().start(settle);
    const deliver = () => rig?.harness.deliver(body('atask-dedup-upgrade'));
    // The execution the former version started, its completion never written: launch it, then put
    // the record back as that version left it (IN_PROGRESS, no attempts, its lease over).
    await deliver();
    const now = Date.now();
    const dynamo = new DynamoDBClient({
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'local' },
    });
    await dynamo.send(
      new PutItemCommand({
        TableName: DEDUP_TABLE,
        Item: {
          pk: { S: `${SUBSCRIPTION_ID}/rg-agents/scalr-agent#atask-dedup-upgrade` },
          state: { S: 'IN_PROGRESS' },
          owner: { S: 'former-version' },
          leaseUntil: { N: String(now - 1_000) },
          expiresAt: { N: String(Math.ceil(now / 1000) + 3_600) },
        },
      }),
    );
    dynamo.destroy();

    // The upgraded version, in containers that never saw this key.
    const early = await rig.another(settle)(toRequest(body('atask-dedup-upgrade')));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const settled = await rig.another(settle)(toRequest(body('atask-dedup-upgrade')));

    expect(early.statusCode).toBe(503);
    expect(settled.statusCode).toBe(202);
    expect(rig.azure.executions).toHaveLength(1);
    expect(json(settled)).toMatchObject({ duplicate: true, launchId: rig.azure.executions[0]?.id });
  });
});

describe('a redeploy that drops an ACA failover target', () => {
  let rig: AcaRig | undefined;
  afterEach(async () => rig?.stop());

  it('answers a key launched on ACA from its record, launching nothing on ECS', async () => {
    const primaryEcs = { LAUNCH_TARGET: 'ecs', ...PLAIN_FARGATE };
    rig = await new AcaRig().start({ ...primaryEcs, FAILOVER_TARGETS: 'aca' });
    let ecsDenies = true;
    rig.harness.standIn.faultFor = (operation) =>
      operation === 'RunTask' && ecsDenies ? faults.accessDenied() : undefined;
    const first = await rig.harness.deliver(body('atask-redeploy-aca'));
    ecsDenies = false;

    const again = await rig.another(primaryEcs)(toRequest(body('atask-redeploy-aca')));

    expect(json(first)).toMatchObject({ target: 'aca', failedOver: true });
    expect(again.statusCode).toBe(202);
    expect(rig.harness.standIn.tasks).toHaveLength(0);
    expect(rig.azure.executions).toHaveLength(1);
    expect(json(again)).toMatchObject({ launchId: rig.azure.executions[0]?.id, duplicate: true });
  });
});
