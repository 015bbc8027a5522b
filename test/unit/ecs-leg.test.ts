import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DispatcherConfig } from '../../lambda/config/config.js';
import { ConfigError, IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../../lambda/errors.js';
import { clientTokenFor, startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { createEcsLegs } from '../../lambda/launchers/ecs/create-ecs-legs.js';
import type { EcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { loadEcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { EcsLeg } from '../../lambda/launchers/ecs/ecs-leg.js';
import type { LaunchRequest } from '../../lambda/launchers/launcher.js';
import { LedgeredLauncher } from '../../lambda/launchers/ledgered-launcher.js';
import { LaunchRateLimitedError } from '../../lambda/launchers/pacing/launch-pacer.js';
import { SingleLegLauncher } from '../../lambda/launchers/single-leg-launcher.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { Logger } from '../../lambda/log/logger.js';

const ecs = mockClient(ECSClient);
// mockClient(Class) stubs the prototype: put it back for the next file in this worker (isolate: false).
afterAll(() => ecs.restore());
const config: EcsConfig = {
  cluster: 'agents',
  taskDefinition: 'scalr-agent',
  containerName: 'agent',
  subnets: ['subnet-0123456789abcdef0'],
  securityGroups: [],
  assignPublicIp: 'DISABLED',
  capacity: 'FARGATE',
  capacityByAction: new Map(),
  sizeByAction: new Map(),
};
const fastRetry = { baseDelayMs: 1, maxDelayMs: 2, minAttemptMs: 10, attemptTimeoutMs: 1000 };
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/agents/abc';
const capacityFailure = { tasks: [], failures: [{ reason: 'Capacity is unavailable at this time.' }] };

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    dedupKey: 'atask-1',
    taskId: 'atask-1',
    manual: false,
    action: 'plan',
    deadline: Date.now() + 2000,
    ...overrides,
  };
}

const client = () => new ECSClient({ region: 'us-east-1' });
const shared = { retry: fastRetry, retryAfterSeconds: 9 };

function launcher(overrides: Partial<EcsConfig> = {}) {
  const provider = overrides.capacity === 'FARGATE_SPOT' ? 'FARGATE_SPOT' : 'FARGATE';
  return new SingleLegLauncher(
    new EcsLeg(
      client(),
      { ...config, ...overrides },
      { ...shared, target: 'ecs', name: `ecs/${provider}`, provider, failFastOnCapacity: false },
    ),
  );
}

/** Spot then on-demand, as the registry builds it, over an in-memory ledger. */
function spotThenOnDemand(ledger = new MemoryLedger({ ttlMs: 60_000 })) {
  const ecsConfig = { ...config, capacity: 'FARGATE_SPOT_THEN_FARGATE' as const };
  return new LedgeredLauncher(
    [
      new EcsLeg(client(), ecsConfig, {
        ...shared,
        target: 'ecs',
        name: 'ecs/FARGATE_SPOT',
        provider: 'FARGATE_SPOT',
        failFastOnCapacity: true,
      }),
      new EcsLeg(client(), ecsConfig, {
        ...shared,
        target: 'ecs',
        name: 'ecs/FARGATE',
        provider: 'FARGATE',
        tokenLeg: 'FARGATE',
        failFastOnCapacity: false,
      }),
    ],
    ledger,
    { retryAfterSeconds: 9, logger: new Logger(() => {}, 'error') },
  );
}

function error(name: string) {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: 400 } });
}

describe('EcsLeg', () => {
  beforeEach(() => ecs.reset());

  it('returns the started task', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }], failures: [] });

    const result = await launcher().launch(request());

    expect(result).toMatchObject({ platform: 'ecs', launchId: TASK, duplicate: false });
    expect(ecs).toReceiveCommandWith(RunTaskCommand, {
      clientToken: 'atask-1',
      startedBy: startedByFor('atask-1'),
    });
  });

  it('omits the security groups when none are configured (the VPC default applies)', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });

    await launcher().launch(request());

    const input = ecs.commandCalls(RunTaskCommand)[0]?.args[0].input;
    expect(input?.networkConfiguration?.awsvpcConfiguration?.securityGroups).toBeUndefined();
  });

  it('does not count an answer without a task as a launch: it retries', async () => {
    ecs
      .on(RunTaskCommand)
      .resolvesOnce({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] })
      .resolves({ tasks: [{ taskArn: TASK }] });

    const result = await launcher().launch(request());

    expect(result.launchId).toBe(TASK);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 2);
  });

  it('retries throttling and server errors with the same client token', async () => {
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(error('ThrottlingException'))
      .rejectsOnce(error('ServerException'))
      .resolves({ tasks: [{ taskArn: TASK }] });

    await launcher().launch(request());

    const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
    expect(tokens).toEqual(['atask-1', 'atask-1', 'atask-1']);
  });

  it('gives up at the deadline with a retryable error naming the last failure', async () => {
    ecs.on(RunTaskCommand).rejects(error('ThrottlingException'));

    const failure = await launcher()
      .launch(request({ deadline: Date.now() + 200 }))
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(TemporarilyUnavailableError);
    expect((failure as TemporarilyUnavailableError).retryAfterSeconds).toBe(9);
    expect((failure as Error).message).toMatch(/last: ThrottlingException/);
  });

  /** A plain ECS launcher whose pacer refuses every attempt with `refusal()`. */
  const refusedByPacer = (refusal: () => LaunchRateLimitedError) =>
    new SingleLegLauncher(
      new EcsLeg(client(), config, {
        ...shared,
        target: 'ecs',
        name: 'ecs/FARGATE',
        provider: 'FARGATE',
        failFastOnCapacity: false,
        beforeAttempt: async () => {
          throw refusal();
        },
      }),
    );

  it("answers a launch held back by the pacer with the pacer's own Retry-After estimate", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    const estimates: number[] = [];
    const paced = refusedByPacer(
      () =>
        new LaunchRateLimitedError(12_000, () => {
          estimates.push(11_200);
          return 11_200;
        }),
    );

    const failure = await paced.launch(request({ deadline: Date.now() + 100 })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(TemporarilyUnavailableError);
    // 11.2 s rounds up to 12, not the configured 9; the slot is booked once, for this answer.
    expect((failure as TemporarilyUnavailableError).retryAfterSeconds).toBe(12);
    expect(estimates).toHaveLength(1);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('never answers Retry-After 0 when the pacer expects a free slot at once', async () => {
    const paced = refusedByPacer(() => new LaunchRateLimitedError(800, () => 0));

    const failure = await paced.launch(request({ deadline: Date.now() + 100 })).catch((e: unknown) => e);

    expect((failure as TemporarilyUnavailableError).retryAfterSeconds).toBe(1);
  });

  it('turns access denied into a configuration error without retrying', async () => {
    ecs.on(RunTaskCommand).rejects(error('AccessDeniedException'));

    await expect(launcher().launch(request())).rejects.toThrow(ConfigError);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
  });

  it("treats a ConflictException as a duplicate of the task it names when that task's tag names this task", async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: TASK, tags: [{ key: 'scalr:task-id', value: 'atask-1' }] }],
      failures: [],
    });

    const result = await launcher().launch(request());

    expect(result).toMatchObject({ launchId: TASK, duplicate: true });
    expect(ecs).toReceiveCommandWith(DescribeTasksCommand, { tasks: [TASK], include: ['TAGS'] });
  });

  it('answers 503, not a duplicate, when the conflicting task cannot be described (DescribeTasks fails)', async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
    ecs
      .on(DescribeTasksCommand)
      .rejects(Object.assign(new Error('service unavailable'), { name: 'ServerException' }));

    const outcome = await launcher().tryLaunch(request());

    expect(outcome.kind).toBe('ambiguous');
    await expect(launcher().launch(request())).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 2);
  });

  describe('when ECS can no longer describe the conflicting task (MISSING)', () => {
    const missing = { tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] };

    it('refuses with 422 when the Idempotency-Key is not the task id: the task may be another one’s', async () => {
      ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
      ecs.on(DescribeTasksCommand).resolves(missing);

      const outcome = await launcher().tryLaunch(request({ dedupKey: 'shared-key', taskId: 'atask-2' }));

      expect(outcome).toMatchObject({ kind: 'refused', by: 'policy' });
      expect(outcome.kind === 'refused' && outcome.error).toBeInstanceOf(IdempotencyKeyReusedError);
    });

    it('answers 503 saying why when the Idempotency-Key is the task id', async () => {
      ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
      ecs.on(DescribeTasksCommand).resolves(missing);

      const failure = await launcher()
        .launch(request())
        .catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(TemporarilyUnavailableError);
      expect((failure as Error).message).toContain('MISSING');
      expect((failure as TemporarilyUnavailableError).retryAfterSeconds).toBe(9);
    });
  });

  describe('an attempt whose answer was lost, then refused with a configuration error', () => {
    beforeEach(() => {
      ecs
        .on(RunTaskCommand)
        .rejectsOnce(Object.assign(error('TimeoutError'), { $metadata: {} }))
        .rejects(error('AccessDeniedException'));
    });

    it('is ambiguous as a type, whatever its error says', async () => {
      const outcome = await launcher().tryLaunch(request());

      expect(outcome.kind).toBe('ambiguous');
    });

    it('is thrown as a 503 with Retry-After, never as a configuration error', async () => {
      const failure = await launcher()
        .launch(request())
        .catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(TemporarilyUnavailableError);
      expect(failure).not.toBeInstanceOf(ConfigError);
      expect((failure as TemporarilyUnavailableError).retryAfterSeconds).toBe(9);
      expect((failure as Error).cause).toBeInstanceOf(ConfigError);
    });
  });

  it("refuses a key reused for another task (422) when the conflicting task's tag names another task", async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: TASK, tags: [{ key: 'scalr:task-id', value: 'atask-other' }] }],
    });

    await expect(launcher().launch(request())).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(ecs).toReceiveCommandWith(DescribeTasksCommand, {
      cluster: 'agents',
      tasks: [TASK],
      include: ['TAGS'],
    });
  });

  it('answers 503 and launches nothing else when a ConflictException names no task', async () => {
    ecs.on(RunTaskCommand).rejects(error('ConflictException'));

    await expect(launcher().launch(request())).rejects.toThrow(TemporarilyUnavailableError);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
  });

  it('answers 503 after a timed-out attempt followed by throttling: nothing proves the task did not start', async () => {
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(Object.assign(error('TimeoutError'), { $metadata: {} }))
      .rejects(error('ThrottlingException'));
    const leg = new EcsLeg(client(), config, {
      ...shared,
      target: 'ecs',
      name: 'ecs/FARGATE',
      provider: 'FARGATE',
      failFastOnCapacity: false,
    });

    const outcome = await leg.attempt(request({ deadline: Date.now() + 200 }));

    expect(outcome.kind).toBe('ambiguous');
  });

  it('keeps a failures answer after a timed-out attempt ambiguous: the first call may still start its task', async () => {
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(Object.assign(error('TimeoutError'), { $metadata: {} }))
      .resolves(capacityFailure);
    const leg = new EcsLeg(client(), config, {
      ...shared,
      target: 'ecs',
      name: 'ecs/FARGATE_SPOT',
      provider: 'FARGATE_SPOT',
      failFastOnCapacity: true,
    });

    const outcome = await leg.attempt(request());

    expect(outcome.kind).toBe('ambiguous');
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 2);
  });

  it('counts a failures answer to a first, conclusive call as a token-checked refusal', async () => {
    ecs.on(RunTaskCommand).resolves(capacityFailure);
    const leg = new EcsLeg(client(), config, {
      ...shared,
      target: 'ecs',
      name: 'ecs/FARGATE_SPOT',
      provider: 'FARGATE_SPOT',
      failFastOnCapacity: true,
    });

    const outcome = await leg.attempt(request());

    expect(outcome).toMatchObject({ kind: 'refused', tokenChecked: true, by: 'platform' });
  });

  it('counts a share too short for any attempt as a refusal (nothing was sent), not an error', async () => {
    const leg = new EcsLeg(client(), config, {
      retry: { ...fastRetry, minAttemptMs: 500 },
      retryAfterSeconds: 9,
      target: 'ecs',
      name: 'ecs/FARGATE',
      provider: 'FARGATE',
      failFastOnCapacity: false,
    });

    const outcome = await leg.attempt(request({ deadline: Date.now() + 100 }));

    expect(outcome).toMatchObject({ kind: 'refused', tokenChecked: false });
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 0);
  });

  describe('with Spot first and on-demand fallback', () => {
    it('falls back to on-demand at once when Spot has no capacity, with its own token', async () => {
      ecs
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
        .resolves(capacityFailure)
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })
        .resolves({ tasks: [{ taskArn: TASK }] });

      const result = await spotThenOnDemand().launch(request());

      expect(result).toMatchObject({
        launchId: TASK,
        details: { capacityProvider: 'FARGATE', target: 'ecs' },
      });
      const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
      expect(tokens).toEqual(['atask-1', clientTokenFor('atask-1', 'FARGATE')]);
    });

    it('does not fail over to on-demand after a timed-out Spot attempt answered with failures: 503, one RunTask token', async () => {
      ecs
        .on(RunTaskCommand)
        .rejectsOnce(Object.assign(error('TimeoutError'), { $metadata: {} }))
        .resolves(capacityFailure);

      const failure = await spotThenOnDemand()
        .launch(request())
        .catch((e: unknown) => e);

      expect(failure).toBeInstanceOf(TemporarilyUnavailableError);
      const tokens = new Set(ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken));
      expect(tokens).toEqual(new Set(['atask-1']));
    });

    it('ends the launch with 422 when the Spot token belongs to another task, trying no on-demand leg', async () => {
      ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [{ taskArn: TASK, tags: [{ key: 'scalr:task-id', value: 'atask-other' }] }],
      });

      const outcome = await spotThenOnDemand().tryLaunch(request());

      expect(outcome).toMatchObject({ kind: 'refused', by: 'policy' });
      expect(outcome.kind === 'refused' && outcome.error).toBeInstanceOf(IdempotencyKeyReusedError);
      expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
    });

    it('uses Spot when it has capacity', async () => {
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });

      const result = await spotThenOnDemand().launch(request());

      expect(result.details?.capacityProvider).toBe('FARGATE_SPOT');
      expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
    });

    it('answers a re-delivery of a key launched on-demand from the ledger, without RunTask', async () => {
      const ledger = new MemoryLedger({ ttlMs: 60_000 });
      ecs
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
        .resolves(capacityFailure)
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })
        .resolves({ tasks: [{ taskArn: TASK }] });
      await spotThenOnDemand(ledger).launch(request());
      ecs.reset();

      const result = await spotThenOnDemand(ledger).launch(request());

      expect(result).toMatchObject({ launchId: TASK, duplicate: true });
      expect(ecs).toReceiveCommandTimes(RunTaskCommand, 0);
    });
  });

  it('with Spot only, retries a capacity failure rather than falling back', async () => {
    ecs
      .on(RunTaskCommand)
      .resolvesOnce(capacityFailure)
      .resolves({ tasks: [{ taskArn: TASK }] });

    const result = await launcher({ capacity: 'FARGATE_SPOT' }).launch(request());

    expect(result.details?.capacityProvider).toBe('FARGATE_SPOT');
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 2);
  });
});

describe('task size per Scalr action', () => {
  beforeEach(() => ecs.reset());

  it('sends task-level cpu and memory overrides for a sized action, none for the others', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    const sized = { ...config, sizeByAction: new Map([['plan', { cpu: 1024, memoryMiB: 2048 }]]) };
    const leg = new EcsLeg(client(), sized, {
      ...shared,
      target: 'ecs',
      name: 'ecs/FARGATE',
      provider: 'FARGATE',
      failFastOnCapacity: false,
    });

    await leg.attempt(request({ action: 'plan' }));
    await leg.attempt(request({ action: 'apply', dedupKey: 'atask-2' }));

    const [plan, apply] = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.overrides);
    expect(plan).toMatchObject({ cpu: '1024', memory: '2048' });
    expect(apply?.cpu).toBeUndefined();
    expect(apply?.memory).toBeUndefined();
  });
});

describe('capacity per Scalr action', () => {
  beforeEach(() => ecs.reset());

  const env = {
    ECS_CLUSTER: 'agents',
    ECS_TASK_DEFINITION: 'scalr-agent',
    ECS_CONTAINER_NAME: 'agent',
    ECS_SUBNETS: 'subnet-0123456789abcdef0',
    ECS_CAPACITY: 'FARGATE',
    ECS_CAPACITY_BY_ACTION: 'plan=FARGATE_SPOT_THEN_FARGATE,policy.check=FARGATE_SPOT',
    LAUNCH_RATE_PER_SECOND: '0',
  };
  const launcher = () =>
    new LedgeredLauncher(
      createEcsLegs(
        {
          env,
          config: { retryAfterSeconds: 9, launchDeadlineMs: 2_000 } as DispatcherConfig,
          logger: new Logger(() => {}, 'error'),
        },
        'ecs',
      ),
      new MemoryLedger({ ttlMs: 60_000 }),
      { retryAfterSeconds: 9, logger: new Logger(() => {}, 'error') },
    );
  const providers = () =>
    ecs
      .commandCalls(RunTaskCommand)
      .map((call) => call.args[0].input.capacityProviderStrategy?.[0]?.capacityProvider);

  it('runs plans on Spot first and applies on demand only', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });

    await launcher().launch(request({ dedupKey: 'k-plan', taskId: 'k-plan', action: 'plan' }));
    await launcher().launch(request({ dedupKey: 'k-apply', taskId: 'k-apply', action: 'apply' }));

    expect(providers()).toEqual(['FARGATE_SPOT', 'FARGATE']);
  });

  it('falls back to on demand for a plan when Spot has no capacity, but never for a Spot-only action', async () => {
    ecs
      .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
      .resolves(capacityFailure)
      .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })
      .resolves({ tasks: [{ taskArn: TASK }] });

    await launcher().launch(request({ dedupKey: 'k-plan', taskId: 'k-plan', action: 'plan' }));
    const check = await launcher()
      .launch(request({ dedupKey: 'k-check', taskId: 'k-check', action: 'policy.check' }))
      .catch((e: unknown) => e);

    expect(providers()).toEqual(['FARGATE_SPOT', 'FARGATE', 'FARGATE_SPOT']);
    expect(check).toBeInstanceOf(TemporarilyUnavailableError);
  });

  it('names ECS_CAPACITY_BY_ACTION and the bad entry at start-up', () => {
    expect(() => loadEcsConfig({ ...env, ECS_CAPACITY_BY_ACTION: 'plan=SPOT' })).toThrowError(
      /ECS_CAPACITY_BY_ACTION: "plan=SPOT" is not <action>=<FARGATE\|FARGATE_SPOT\|FARGATE_SPOT_THEN_FARGATE>/,
    );
  });
});
