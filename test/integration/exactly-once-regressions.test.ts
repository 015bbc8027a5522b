import { afterEach, describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../lambda/launchers/ecs/client-token.js';
import { AcaRig } from '../support/aca-rig.js';
import { AwsStandIn, faults } from '../support/aws-stand-in.js';
import { AzureStandIn } from '../support/azure-stand-in.js';
import { Harness, json, scalrBody, toRequest } from '../support/harness.js';

/**
 * The cases of the exactly-once issue that the stand-ins' kind behaviour used to hide, each against
 * a pessimistic stand-in (listings lag, page, tasks stop, answers get lost). Case 2 (failover) is in
 * failover.test.ts, cases 4 and 5 in secrets-deadlines.test.ts, case 6 in docker-faults.test.ts.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const body = (key: string) => ({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });

describe('case 1: Spot then on-demand, with the on-demand answer lost and ListTasks throttled', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('resolves the re-delivery to the on-demand task, never a second (Spot) task', async () => {
    let spotHasCapacity = false;
    h = new Harness({
      ...AwsStandIn.badDay({ listLagMs: 60_000 }),
      faultFor: (operation, _n, input) => {
        if (operation === 'ListTasks') return faults.throttle();
        if (operation !== 'RunTask') return undefined;
        const provider = (input.capacityProviderStrategy as { capacityProvider: string }[])[0]
          ?.capacityProvider;
        if (provider === 'FARGATE_SPOT') return spotHasCapacity ? undefined : faults.capacity();
        return (input.clientToken as string) && !spotHasCapacity ? faults.lost(5_000) : undefined;
      },
    });
    await h.start({ ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE', LAUNCH_DEADLINE_MS: '3000' });
    const containerB = h.another({ ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE', LAUNCH_DEADLINE_MS: '3000' });

    const a = await h.deliver(body('atask-spot'));
    spotHasCapacity = true;
    const b = await containerB(toRequest(body('atask-spot')));

    expect(a.statusCode).toBe(503);
    expect(b.statusCode).toBe(202);
    expect(json(b)).toMatchObject({ duplicate: true, capacityProvider: 'FARGATE' });
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.tasks[0]).toMatchObject({
      capacityProvider: 'FARGATE',
      clientToken: clientTokenFor('atask-spot', 'FARGATE'),
    });
  });
});

describe('case 3: ACA start answered 5xx after the execution was created, with a lagging, paged list', () => {
  let rig: AcaRig | undefined;
  afterEach(async () => rig?.stop());

  it('starts one execution: no retry in the request, and the re-delivery finds it on a later page after the settle time', async () => {
    rig = await new AcaRig(
      AzureStandIn.badDay({
        listLagMs: 400,
        faultFor: (operation, n) =>
          operation === 'StartJob' && n === 1 ? { kind: 'start-then-5xx', status: 503 } : undefined,
      }),
    ).start({ ACA_LIST_SETTLE_SECONDS: '1' });
    const send = () =>
      rig?.harness.deliver({ body: scalrBody('atask-aca'), headers: { 'Idempotency-Key': 'atask-aca' } });

    const first = await send();
    // Other keys' executions, newer than ours: ours is on a later page.
    for (const key of ['atask-x1', 'atask-x2', 'atask-x3']) await rig.harness.deliver(body(key));
    const early = await send();
    await sleep(1_100);
    const settled = await send();

    expect(first?.statusCode).toBe(503);
    expect(first?.headers['retry-after']).toBe('1');
    expect(early?.statusCode).toBe(503);
    expect(settled?.statusCode).toBe(202);
    expect(json(settled as never)).toMatchObject({ duplicate: true, launchId: rig.azure.executions[0]?.id });
    const ours = rig.azure.executions.filter((execution) =>
      execution.template.containers?.some((c) => c.env?.some((v) => v.value === 'atask-aca')),
    );
    expect(ours).toHaveLength(1);
    expect(rig.azure.calls.ListExecutions).toBeGreaterThanOrEqual(3);
  });
});

describe('case 7: derived client tokens cannot collide', () => {
  it('keeps a key that looks like a derived key apart from the derived token', () => {
    expect(clientTokenFor('X#on-demand')).not.toBe(clientTokenFor('X', 'FARGATE'));
    expect(clientTokenFor('X#FARGATE')).not.toBe(clientTokenFor('X', 'FARGATE'));
    expect(clientTokenFor('["X","FARGATE"]')).not.toBe(clientTokenFor('X', 'FARGATE'));
  });

  it('hashes a raw key shaped like a hashed token, so no raw key equals a hash', () => {
    const hashed = clientTokenFor('k'.repeat(100));

    expect(clientTokenFor(hashed)).not.toBe(hashed);
  });
});

describe('an Idempotency-Key reused for another task', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('is refused with 422 by plain ECS in another container too: the conflicting task is tagged with its task', async () => {
    const harness = new Harness();
    h = harness;
    await harness.start();
    await harness.deliver({ body: scalrBody('atask-1'), headers: { 'Idempotency-Key': 'key-plain' } });

    const other = await h.another()(
      toRequest({ body: scalrBody('atask-2'), headers: { 'Idempotency-Key': 'key-plain' } }),
    );
    const again = await h.another()(
      toRequest({ body: scalrBody('atask-1'), headers: { 'Idempotency-Key': 'key-plain' } }),
    );

    expect(other.statusCode).toBe(422);
    expect(again).toMatchObject({ statusCode: 202 });
    // Same token, same parameters: ECS itself returns the original task.
    expect(json(again).launchId).toBe(h.standIn.tasks[0]?.taskArn);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('is refused with 422 naming the header, in the same container and in another one, and launches nothing', async () => {
    h = new Harness();
    await h.start({ ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE' });
    await h.deliver({ body: scalrBody('atask-1'), headers: { 'Idempotency-Key': 'key-1' } });

    const same = await h.deliver({ body: scalrBody('atask-2'), headers: { 'Idempotency-Key': 'key-1' } });
    const other = await h.another({ ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE' })(
      toRequest({ body: scalrBody('atask-2'), headers: { 'Idempotency-Key': 'key-1' } }),
    );

    for (const answer of [same, other]) {
      expect(answer.statusCode).toBe(422);
      expect(json(answer).error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    }
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.entries().some((entry) => entry.message === 'Idempotency-Key reused for another task')).toBe(
      true,
    );
  });
});
