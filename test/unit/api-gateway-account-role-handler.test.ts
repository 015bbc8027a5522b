import { describe, expect, it } from 'vitest';
import {
  AccountRoleError,
  type AccountRoleEvent,
  onEvent,
  PHYSICAL_RESOURCE_ID,
  RETRY,
} from '../../lib/constructs/api-gateway-account-role/handler.mjs';

const OWN_ROLE = 'arn:aws:iam::123456789012:role/ScalrAgentDispatcher-WebhookAccountRoleCloudWatchRole-AbC';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/platform-apigateway-logs';

/** What API Gateway answers while IAM has not propagated a fresh role yet. */
function propagationError(): Error {
  const error = new Error('The role ARN does not have required permissions set to API Gateway');
  error.name = 'BadRequestException';
  return error;
}

/** An API Gateway account stand-in: `cloudwatchRoleArn` plus a queue of UpdateAccount failures. */
function fakeAccount(cloudwatchRoleArn = '', failures: Error[] = []) {
  const account = { cloudwatchRoleArn, updates: [] as string[], gets: 0 };
  const client = {
    async getAccount() {
      account.gets++;
      return account.cloudwatchRoleArn;
    },
    async updateAccount(roleArn: string) {
      account.updates.push(roleArn);
      const failure = failures.shift();
      if (failure) throw failure;
      account.cloudwatchRoleArn = roleArn;
    },
  };
  return { account, client };
}

function deps(client: ReturnType<typeof fakeAccount>['client']) {
  const sleeps: number[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    sleeps,
    lines,
    deps: {
      client,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      log: (line: Record<string, unknown>) => lines.push(line),
    },
  };
}

const create: AccountRoleEvent = { RequestType: 'Create', ResourceProperties: { RoleArn: OWN_ROLE } };

describe('API Gateway account role handler', () => {
  it('sets its role when the account has none', async () => {
    const { account, client } = fakeAccount();
    const run = deps(client);

    const result = await onEvent(create, run.deps);

    expect(account.updates).toEqual([OWN_ROLE]);
    expect(account.cloudwatchRoleArn).toBe(OWN_ROLE);
    expect(result).toEqual({
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { RoleArnInUse: OWN_ROLE, SetByThisStack: 'true' },
    });
  });

  it('leaves a role that is already set alone and reports it', async () => {
    const { account, client } = fakeAccount(OTHER_ROLE);
    const run = deps(client);

    const result = await onEvent(create, run.deps);

    expect(account.updates).toEqual([]);
    expect(account.cloudwatchRoleArn).toBe(OTHER_ROLE);
    expect(result.Data).toEqual({ RoleArnInUse: OTHER_ROLE, SetByThisStack: 'false' });
    expect(run.lines).toEqual([
      expect.objectContaining({ outcome: 'already_set', roleArnInUse: OTHER_ROLE }),
    ]);
  });

  it('on Update keeps the physical id and does not touch its own role set earlier', async () => {
    const { account, client } = fakeAccount(OWN_ROLE);
    const run = deps(client);

    const result = await onEvent(
      { RequestType: 'Update', PhysicalResourceId: 'earlier-id', ResourceProperties: { RoleArn: OWN_ROLE } },
      run.deps,
    );

    expect(account.updates).toEqual([]);
    expect(result).toEqual({
      PhysicalResourceId: 'earlier-id',
      Data: { RoleArnInUse: OWN_ROLE, SetByThisStack: 'true' },
    });
  });

  it('retries while IAM propagates the new role, with growing delays, then succeeds', async () => {
    const { account, client } = fakeAccount('', [propagationError(), propagationError(), propagationError()]);
    const run = deps(client);

    const result = await onEvent(create, run.deps);

    expect(account.updates).toHaveLength(4);
    expect(run.sleeps).toEqual([2_000, 4_000, 8_000]);
    expect(result.Data?.SetByThisStack).toBe('true');
  });

  it('gives up after the bound with an error that names the role and the way out', async () => {
    const failures = Array.from({ length: RETRY.attempts + 5 }, propagationError);
    const { account, client } = fakeAccount('', failures);
    const run = deps(client);

    const result = onEvent(create, run.deps);

    await expect(result).rejects.toBeInstanceOf(AccountRoleError);
    await expect(result).rejects.toThrow(
      new RegExp(
        `did not accept ${OWN_ROLE} .* after ${RETRY.attempts} attempts.*manageApiGatewayAccountRole=false`,
      ),
    );
    expect(account.updates).toHaveLength(RETRY.attempts);
    expect(run.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(100_000);
  });

  it('stops retrying early when the function would run out of time', async () => {
    const failures = Array.from({ length: RETRY.attempts }, propagationError);
    const { account, client } = fakeAccount('', failures);
    const run = deps(client);

    const result = onEvent(create, { ...run.deps, remainingMs: () => 6_000 });

    await expect(result).rejects.toBeInstanceOf(AccountRoleError);
    expect(account.updates).toHaveLength(1);
  });

  it('does not retry other errors', async () => {
    const denied = new Error('User is not authorized to perform: iam:PassRole');
    denied.name = 'AccessDeniedException';
    const { account, client } = fakeAccount('', [denied]);
    const run = deps(client);

    await expect(onEvent(create, run.deps)).rejects.toBe(denied);
    expect(account.updates).toHaveLength(1);
    expect(run.sleeps).toEqual([]);
  });

  it('does nothing on Delete: the account setting and the role stay', async () => {
    const { account, client } = fakeAccount(OWN_ROLE);
    const run = deps(client);

    const result = await onEvent(
      {
        RequestType: 'Delete',
        PhysicalResourceId: PHYSICAL_RESOURCE_ID,
        ResourceProperties: { RoleArn: OWN_ROLE },
      },
      run.deps,
    );

    expect(result).toEqual({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
    expect(account.gets).toBe(0);
    expect(account.updates).toEqual([]);
    expect(account.cloudwatchRoleArn).toBe(OWN_ROLE);
  });

  it('refuses an event without a role ARN', async () => {
    const { client } = fakeAccount();

    await expect(
      onEvent({ RequestType: 'Create', ResourceProperties: {} }, deps(client).deps),
    ).rejects.toThrow(/RoleArn property/);
  });
});
