import { ECSClient, ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, TemporarilyUnavailableError } from '../../lambda/errors.js';
import { clientTokenFor, startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import type { EcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { EcsLauncher } from '../../lambda/launchers/ecs/ecs-launcher.js';
import type { LaunchRequest } from '../../lambda/launchers/launcher.js';

const ecs = mockClient(ECSClient);
const config: EcsConfig = {
  cluster: 'agents',
  taskDefinition: 'scalr-agent',
  containerName: 'agent',
  subnets: ['subnet-0123456789abcdef0'],
  securityGroups: [],
  assignPublicIp: 'DISABLED',
  capacity: 'FARGATE',
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

function launcher(overrides: Partial<EcsConfig> = {}) {
  return new EcsLauncher(
    new ECSClient({ region: 'us-east-1' }),
    { ...config, ...overrides },
    {
      retry: fastRetry,
      retryAfterSeconds: 9,
    },
  );
}

function error(name: string) {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {} });
}

describe('EcsLauncher', () => {
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

  it('turns access denied into a configuration error without retrying', async () => {
    ecs.on(RunTaskCommand).rejects(error('AccessDeniedException'));

    await expect(launcher().launch(request())).rejects.toThrow(ConfigError);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
  });

  it('treats a ConflictException as a duplicate of the task it names', async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(error('ConflictException'), { resourceIds: [TASK] }));

    const result = await launcher().launch(request());

    expect(result).toMatchObject({ launchId: TASK, duplicate: true });
    expect(ecs).toReceiveCommandTimes(ListTasksCommand, 0);
  });

  it('finds the earlier task by startedBy when a ConflictException names none', async () => {
    ecs.on(RunTaskCommand).rejects(error('ConflictException'));
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });

    const result = await launcher().launch(request());

    expect(result).toMatchObject({ launchId: TASK, duplicate: true });
    expect(ecs).toReceiveCommandWith(ListTasksCommand, {
      cluster: 'agents',
      startedBy: startedByFor('atask-1'),
    });
  });

  it('launches under a token covering the new parameters when a conflict leaves no trace of a task', async () => {
    ecs
      .on(RunTaskCommand)
      .rejectsOnce(error('ConflictException'))
      .resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    const result = await launcher().launch(request());

    expect(result).toMatchObject({ launchId: TASK, duplicate: false });
    const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toMatch(/^atask-1#params-[0-9a-f]{16}$/);
  });

  it('answers 503 rather than 2xx when even that token conflicts without a task', async () => {
    ecs.on(RunTaskCommand).rejects(error('ConflictException'));
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    await expect(launcher().launch(request())).rejects.toThrow(TemporarilyUnavailableError);
    expect(ecs).toReceiveCommandTimes(RunTaskCommand, 2);
  });

  describe('with Spot first and on-demand fallback', () => {
    it('falls back to on-demand at once when Spot has no capacity, with its own token', async () => {
      ecs.on(ListTasksCommand).resolves({ taskArns: [] });
      ecs
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] })
        .resolves(capacityFailure)
        .on(RunTaskCommand, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })
        .resolves({ tasks: [{ taskArn: TASK }] });

      const result = await launcher({ capacity: 'FARGATE_SPOT_THEN_FARGATE' }).launch(request());

      expect(result).toMatchObject({ launchId: TASK, details: { capacityProvider: 'FARGATE' } });
      const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
      expect(tokens).toEqual(['atask-1', clientTokenFor('atask-1#on-demand')]);
    });

    it('uses Spot when it has capacity', async () => {
      ecs.on(ListTasksCommand).resolves({ taskArns: [] });
      ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });

      const result = await launcher({ capacity: 'FARGATE_SPOT_THEN_FARGATE' }).launch(request());

      expect(result.details?.capacityProvider).toBe('FARGATE_SPOT');
      expect(ecs).toReceiveCommandTimes(RunTaskCommand, 1);
    });

    it('does not start a Spot task for a key that already launched on-demand', async () => {
      ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });

      const result = await launcher({ capacity: 'FARGATE_SPOT_THEN_FARGATE' }).launch(request());

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
