import { afterEach, describe, expect, it } from 'vitest';
import { clientTokenFor } from '../../lambda/launchers/ecs/client-token.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { faults, type Operation } from '../support/aws-stand-in.js';
import { Harness, json, scalrBody, toRequest } from '../support/harness.js';

/**
 * Issue 20, cases 2–5 on the webhook path: the real SDK against the AWS stand-in, through the
 * project's own dispatcher, as a new user would meet them. (Case 2 on the env0 poller is in
 * env0/poller-unconfirmed.test.ts.)
 */
const delivery = (taskId: string, key = taskId) => ({
  body: scalrBody(taskId),
  headers: { 'Idempotency-Key': key },
});

/** A container whose launch ledger knows nothing yet (a record expired, another table). */
const freshLedger = () => ({ ledger: new MemoryLedger({ ttlMs: 86_400_000 }) });

function providerOf(input: Record<string, unknown>): string | undefined {
  return (input.capacityProviderStrategy as { capacityProvider?: string }[] | undefined)?.[0]
    ?.capacityProvider;
}

describe('case 2: an answer lost, then the retry refused with a configuration error', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('answers 503 + Retry-After, not 500, and the re-delivery finds the one task', async () => {
    let denied = true;
    h = new Harness({
      faultFor: (operation: Operation, n) => {
        if (operation !== 'RunTask') return undefined;
        if (n === 1) return faults.late(0); // the task is created, its answer lost
        return denied ? faults.accessDenied() : undefined;
      },
    });
    await h.start({ RETRY_AFTER_SECONDS: '7' });

    const first = await h.deliver(delivery('atask-lost'));
    await h.standIn.landed();
    denied = false;
    const again = await h.deliver(delivery('atask-lost'));

    expect(first.statusCode).toBe(503);
    expect(first.headers?.['retry-after']).toBeDefined();
    expect(json(first).error).toMatchObject({ code: 'temporarily_unavailable' });
    expect(again.statusCode).toBe(202);
    expect(json(again).launchId).toBe(h.standIn.tasks[0]?.taskArn);
    expect(h.standIn.tasks).toHaveLength(1);
  });
});

describe('case 3: Spot attempt lost, its retry answered with a capacity failure', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('never moves on to on-demand in that lease: 503, and the re-delivery answers the one (Spot) task', async () => {
    let land: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      land = resolve;
    });
    h = new Harness({
      faultFor: (operation: Operation, n, input) => {
        if (operation !== 'RunTask') return undefined;
        // The first Spot call's task lands only after this delivery was answered.
        if (n === 1) return faults.late(gate);
        return providerOf(input) === 'FARGATE_SPOT' && n === 2 ? faults.capacity() : undefined;
      },
    });
    const env = { ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE', LAUNCH_DEADLINE_MS: '4000' };
    await h.start(env);

    const first = await h.deliver(delivery('atask-late'));
    land();
    await h.standIn.landed();
    const again = await h.another(env)(toRequest(delivery('atask-late')));

    expect(first.statusCode).toBe(503);
    expect(again.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.tasks[0]).toMatchObject({ capacityProvider: 'FARGATE_SPOT', clientToken: 'atask-late' });
    const onDemandToken = clientTokenFor('atask-late', 'FARGATE');
    expect(h.standIn.tasks.some((task) => task.clientToken === onDemandToken)).toBe(false);
  });
});

describe('case 4: a Spot token that belongs to another task, on Spot then on-demand', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('ends the launch with 422 and starts no on-demand task', async () => {
    h = new Harness();
    await h.start({ ECS_CAPACITY: 'FARGATE_SPOT' });
    await h.deliver(delivery('atask-a', 'key-4'));

    const reused = await h.another(
      { ECS_CAPACITY: 'FARGATE_SPOT_THEN_FARGATE' },
      freshLedger(),
    )(toRequest(delivery('atask-b', 'key-4')));

    expect(reused.statusCode).toBe(422);
    expect(json(reused).error).toMatchObject({ code: 'idempotency_key_reused' });
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.tasks.filter((task) => task.capacityProvider === 'FARGATE')).toHaveLength(0);
  });
});

describe('case 5: the conflicting task can no longer be described (MISSING)', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.stop());

  it('answers 422, not a duplicate, when the Idempotency-Key is not the task id', async () => {
    // Stopped tasks vanish from DescribeTasks at once (ECS: about an hour); the token stays valid.
    h = new Harness({ stoppedVisibleMs: 0 });
    await h.start();
    await h.deliver(delivery('atask-a', 'key-5'));
    h.standIn.stopAll('Essential container in task exited');

    const reused = await h.another({}, freshLedger())(toRequest(delivery('atask-b', 'key-5')));

    expect(reused.statusCode).toBe(422);
    expect(json(reused).error).toMatchObject({ code: 'idempotency_key_reused' });
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('answers 503 saying why when the Idempotency-Key is the task id', async () => {
    h = new Harness({ stoppedVisibleMs: 0 });
    await h.start();
    await h.deliver(delivery('atask-5'));
    h.standIn.stopAll('Essential container in task exited');

    // A redeploy changed the parameters: the same token is now a ConflictException.
    const redeployed = h.another({ ECS_TASK_DEFINITION: 'scalr-agent:2' }, freshLedger());
    const answer = await redeployed(toRequest(delivery('atask-5')));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toBeDefined();
    expect(h.standIn.tasks).toHaveLength(1);
    const failed = h.entries().find((entry) => entry.message === 'launch failed');
    expect(String(failed?.reason)).toContain('MISSING');
  });
});
