import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { AwsStandIn, type Fault, faults, type Operation } from '../support/aws-stand-in.js';
import { AGENT_TOKEN, Harness, json, scalrBody, toRequest, WEBHOOK_SECRET } from '../support/harness.js';

// The primary's capacity retries are the production ones, but their backoff waits take no real time.
vi.mock('../../lambda/launchers/retry.js', async (importOriginal) =>
  (await import('../support/virtual-backoff.js')).withVirtualBackoff(await importOriginal()),
);

type FaultRule = (operation: Operation, n: number) => Fault | undefined;

/** Primary and secondary Regions, each its own ECS stand-in, behind one dispatcher. */
describe('failover from the primary ECS target to a secondary one', () => {
  let h: Harness;
  let secondary: AwsStandIn;
  let primaryFault: FaultRule | undefined;
  let secondaryFault: FaultRule | undefined;
  let env: Record<string, string>;

  beforeEach(async () => {
    primaryFault = undefined;
    secondaryFault = undefined;
    secondary = new AwsStandIn({ faultFor: (operation, n) => secondaryFault?.(operation, n) });
    const secondaryEndpoint = await secondary.start();
    h = new Harness({ faultFor: (operation, n) => primaryFault?.(operation, n) });
    env = {
      FAILOVER_TARGETS: 'ecs:SECONDARY',
      SECONDARY_ECS_CLUSTER: 'agents-dr',
      SECONDARY_AWS_REGION: 'us-west-2',
      SECONDARY_AWS_ENDPOINT_URL_ECS: secondaryEndpoint,
      SECONDARY_ECS_SUBNETS: 'subnet-0aaaaaaaaaaaaaaa1',
      LAUNCH_DEADLINE_MS: '3000',
    };
    await h.start(env);
  });
  afterEach(async () => {
    await h.stop();
    await secondary.stop();
  });

  const deliver = (key: string) => h.deliver({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });

  it('launches on the primary and says so when the primary accepts', async () => {
    const answer = await deliver('atask-p1');

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ target: 'ecs', failedOver: false, duplicate: false });
    expect(h.standIn.tasks).toHaveLength(1);
    expect(secondary.tasks).toHaveLength(0);
  });

  it('moves to the secondary when the primary has no capacity, and the answer and logs name it', async () => {
    primaryFault = (operation) => (operation === 'RunTask' ? faults.capacity() : undefined);

    const answer = await deliver('atask-cap');

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ target: 'ecs:SECONDARY', failedOver: true, duplicate: false });
    expect(h.standIn.tasks).toHaveLength(0);
    expect(secondary.tasks).toHaveLength(1);
    expect(secondary.tasks[0]?.input).toMatchObject({ cluster: 'agents-dr' });
    const accepted = h.entries().find((entry) => entry.message === 'launch accepted');
    expect(accepted).toMatchObject({ outcome: 'launched', target: 'ecs:SECONDARY' });
    expect(h.entries().some((entry) => entry.message === 'launch target failed; trying the next one')).toBe(
      true,
    );
    expect(h.logs.join('\n')).not.toContain(WEBHOOK_SECRET);
    expect(h.logs.join('\n')).not.toContain(AGENT_TOKEN);
    expect(answer.body).not.toContain(AGENT_TOKEN);
  });

  it('moves to the secondary when the primary denies access', async () => {
    primaryFault = (operation) => (operation === 'RunTask' ? faults.accessDenied() : undefined);

    const answer = await deliver('atask-denied');

    expect(answer.statusCode).toBe(202);
    expect(json(answer).target).toBe('ecs:SECONDARY');
    expect(secondary.tasks).toHaveLength(1);
  });

  it('answers with the task another container launched on the primary when its own attempts were refused', async () => {
    await deliver('atask-race');
    primaryFault = (operation) => (operation === 'RunTask' ? faults.throttle() : undefined);

    const answer = await h.another(env)(
      toRequest({ body: scalrBody('atask-race'), headers: { 'Idempotency-Key': 'atask-race' } }),
    );

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({
      target: 'ecs',
      duplicate: true,
      launchId: h.standIn.tasks[0]?.taskArn,
    });
    expect(h.standIn.tasks).toHaveLength(1);
    expect(secondary.tasks).toHaveLength(0);
  });

  it('moves to the secondary when the primary refuses every call and cannot be asked either', async () => {
    primaryFault = (operation) => (operation === 'GetSecretValue' ? undefined : faults.accessDenied());

    const answer = await deliver('atask-region-denied');

    expect(answer.statusCode).toBe(202);
    expect(json(answer).target).toBe('ecs:SECONDARY');
    expect(secondary.tasks).toHaveLength(1);
  });

  it('does not launch on the primary again when a key that failed over is re-delivered elsewhere', async () => {
    primaryFault = (operation) => (operation === 'RunTask' ? faults.capacity() : undefined);
    await deliver('atask-again');
    primaryFault = undefined;
    const otherContainer = h.another(env);

    const answer = await otherContainer(
      toRequest({ body: scalrBody('atask-again'), headers: { 'Idempotency-Key': 'atask-again' } }),
    );

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ target: 'ecs:SECONDARY', duplicate: true });
    expect(h.standIn.tasks).toHaveLength(0);
    expect(secondary.tasks).toHaveLength(1);
  });

  it('answers 503, not a failover, when the primary launched but its answer was lost; the re-delivery gets that task', async () => {
    primaryFault = (operation, n) => (operation === 'RunTask' && n === 1 ? faults.slow(2_500) : undefined);

    const lost = await deliver('atask-lost');
    const again = await h.another(env)(
      toRequest({ body: scalrBody('atask-lost'), headers: { 'Idempotency-Key': 'atask-lost' } }),
    );

    expect(lost.statusCode).toBe(503);
    expect(again.statusCode).toBe(202);
    expect(json(again)).toMatchObject({ target: 'ecs', duplicate: true });
    expect(json(again).launchId).toBe(h.standIn.tasks[0]?.taskArn);
    expect(h.standIn.tasksFor(startedByFor('atask-lost'))).toHaveLength(1);
    expect(secondary.tasks).toHaveLength(0);
  });

  // Regression (exactly-once issue, case 2): the primary's answer is lost, the primary then throttles
  // and its listing lags; an empty listing once let the secondary start a second agent.
  it('never fails over a key whose primary attempt may have started, while the primary throttles and lags', async () => {
    await h.stop();
    h = new Harness({
      ...AwsStandIn.badDay({ listLagMs: 60_000 }),
      faultFor: (operation, n) => primaryFault?.(operation, n),
    });
    await h.start(env);
    let throttling = true;
    primaryFault = (operation, n) =>
      operation === 'RunTask'
        ? n === 1
          ? faults.slow(2_500)
          : throttling
            ? faults.throttle()
            : undefined
        : undefined;
    const container = (i: number) =>
      (i % 2 === 0 ? h.dispatch : h.another(env))(
        toRequest({ body: scalrBody('atask-dr'), headers: { 'Idempotency-Key': 'atask-dr' } }),
      );

    const during = [await container(0), await container(1), await container(2)];
    throttling = false;
    const after = await container(3);

    expect(during.map((answer) => answer.statusCode)).toEqual([503, 503, 503]);
    expect(secondary.tasks).toHaveLength(0);
    expect(after.statusCode).toBe(202);
    expect(json(after)).toMatchObject({
      target: 'ecs',
      duplicate: true,
      launchId: h.standIn.tasks[0]?.taskArn,
    });
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('answers 503 instead of failing over when it cannot confirm the primary launched nothing', async () => {
    primaryFault = (operation, n) =>
      operation === 'ListTasks'
        ? faults.server()
        : operation === 'RunTask' && n === 1
          ? faults.slow(2_500)
          : undefined;

    const answer = await deliver('atask-unsure');

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(secondary.tasks).toHaveLength(0);
  });

  it('answers 503 naming both targets when neither can launch', async () => {
    primaryFault = (operation) => (operation === 'RunTask' ? faults.capacity() : undefined);
    secondaryFault = (operation) => (operation === 'RunTask' ? faults.capacity() : undefined);

    const answer = await deliver('atask-none');

    expect(answer.statusCode).toBe(503);
    const message = (json(answer).error as { message: string }).message;
    expect(message).toContain('ecs:');
    expect(message).toContain('ecs:SECONDARY/FARGATE:');
    expect(h.standIn.tasks.length + secondary.tasks.length).toBe(0);
  });
});
