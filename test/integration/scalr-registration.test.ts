import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrationProperties } from '../../lambda/scalr-registration/registration.js';
import { tokenDescription, versionIdFor } from '../../lambda/scalr-registration/registration.js';
import {
  cfnEvent,
  RegistrationRig,
  SCALR_API_TOKEN,
  SCALR_TOKEN_ARN,
  SCALR_URL,
  STACK_ID,
} from '../support/scalr-registration-rig.js';

const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
const AGENT_TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:agent-token-AbCdEf';
const WEBHOOK_SECRET = 'whsec-registration-3c9e1a7b5d2f4a6c8e0b';
const API_KEY_ID = 'k1a2b3c4d5';
const API_KEY = 'apikey-registration-9d8c7b6a5f4e3d2c1b0a';
const WEBHOOK_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/trigger';
const PLACEHOLDER = 'REPLACE_WITH_SCALR_AGENT_POOL_TOKEN';

const created: RegistrationProperties = {
  ScalrUrl: SCALR_URL,
  ScalrApiTokenSecretArn: SCALR_TOKEN_ARN,
  PoolName: 'aws-fargate',
  PoolShared: 'false',
  WebhookUrl: WEBHOOK_URL,
  ApiKeyId: API_KEY_ID,
  WebhookSecretArn: WEBHOOK_SECRET_ARN,
  AgentTokenSecretArn: AGENT_TOKEN_ARN,
  HeadersRevision: '0',
};

describe('Scalr registration custom resource against the Scalr and AWS stand-ins', () => {
  let rig: RegistrationRig;

  beforeEach(async () => {
    rig = await new RegistrationRig().start();
    rig.aws.secrets.set(WEBHOOK_SECRET_ARN, WEBHOOK_SECRET);
    rig.aws.secrets.set(AGENT_TOKEN_ARN, PLACEHOLDER);
    rig.aws.apiKeys.set(API_KEY_ID, API_KEY);
  });
  afterEach(() => rig.stop());

  function onlyPool() {
    const pools = [...rig.scalr.pools.values()];
    expect(pools).toHaveLength(1);
    return pools[0] as (typeof pools)[number];
  }

  function expectServerless(poolId: string) {
    const pool = rig.scalr.pools.get(poolId);
    expect(pool).toMatchObject({ webhookEnabled: true, webhookUrl: WEBHOOK_URL });
    expect(pool?.webhookHeaders).toEqual([
      { name: 'x-api-key', value: API_KEY, sensitive: true },
      { name: 'Authorization', value: `Bearer ${WEBHOOK_SECRET}`, sensitive: true },
    ]);
  }

  function expectOneTokenInSecret(poolId: string) {
    const tokens = rig.scalr.tokensOf(poolId);
    expect(tokens).toHaveLength(1);
    const token = tokens[0];
    expect(token?.description).toBe(
      tokenDescription({ StackId: STACK_ID, LogicalResourceId: 'ScalrRegistrationResource1A2B3C4D' }),
    );
    expect(rig.aws.secrets.get(AGENT_TOKEN_ARN)).toBe(token?.token);
    expect(rig.aws.secretVersions.get(AGENT_TOKEN_ARN)).toBe(versionIdFor(token?.id ?? ''));
  }

  function expectNoSecretIn(text: string) {
    for (const secret of [
      WEBHOOK_SECRET,
      API_KEY,
      SCALR_API_TOKEN,
      ...[...rig.scalr.tokens.values()].map((t) => t.token),
    ]) {
      expect(text).not.toContain(secret);
    }
  }

  it('creates a serverless pool calling the stack, stores one token, and logs and answers no secret', async () => {
    const result = await rig.run(cfnEvent('Create', created));

    const pool = onlyPool();
    expect(result).toEqual({
      PhysicalResourceId: pool.id,
      Data: { PoolId: pool.id, PoolCreatedByStack: 'true' },
    });
    expect(pool.name).toBe('aws-fargate');
    expectServerless(pool.id);
    expectOneTokenInSecret(pool.id);
    expectNoSecretIn(JSON.stringify(result));
    expectNoSecretIn(rig.logs.join('\n'));
    expect(rig.logs.some((line) => line.includes('"pool_created"'))).toBe(true);
  });

  it('the Lambda entry (handler.ts) does the same with its own clients and the invocation deadline', async () => {
    const { handler } = await import('../../lambda/scalr-registration/handler.js');
    const direct = { ...created, ScalrUrl: rig.scalrEndpoint };

    const result = await handler(cfnEvent('Create', direct), { getRemainingTimeInMillis: () => 60_000 });

    const pool = onlyPool();
    expect(result.PhysicalResourceId).toBe(pool.id);
    expectServerless(pool.id);
    expectOneTokenInSecret(pool.id);
  });

  it('a re-sent Create makes no second pool and no second token', async () => {
    const first = await rig.run(cfnEvent('Create', created));
    const token = rig.scalr.tokensOf(first.PhysicalResourceId)[0];
    const second = await rig.run(cfnEvent('Create', created));

    expect(second.PhysicalResourceId).toBe(first.PhysicalResourceId);
    onlyPool();
    expect(rig.scalr.calls.CreatePool).toBe(1);
    expect(rig.scalr.calls.CreateToken).toBe(1);
    expect(rig.scalr.tokensOf(first.PhysicalResourceId)).toEqual([token]);
    expectOneTokenInSecret(first.PhysicalResourceId);
  });

  it('finds its own pool among look-alike names over several pages, after a lost create', async () => {
    for (const name of ['aws-fargate-old', 'team-aws-fargate', 'aws-fargate (eu)', 'my-aws-fargate-2']) {
      rig.scalr.addPool({ name, webhookEnabled: true, webhookUrl: 'https://elsewhere.example.com/hook' });
    }
    rig.scalr.faultFor = (operation, n) =>
      operation === 'CreatePool' && n === 1 ? { kind: 'lost' } : undefined;

    const result = await rig.run(cfnEvent('Create', created));

    const named = [...rig.scalr.pools.values()].filter((p) => p.name === 'aws-fargate');
    expect(named.map((p) => p.id)).toEqual([result.PhysicalResourceId]);
    expect(rig.scalr.pools.size).toBe(5);
    // Two per page: the lookup before the create read four rows (two pages), the one after five (three).
    expect(rig.scalr.calls.ListPools).toBe(5);
    expectServerless(result.PhysicalResourceId);
  });

  it('a pool create whose answer was lost is found, not made again', async () => {
    rig.scalr.faultFor = (operation, n) =>
      operation === 'CreatePool' && n === 1 ? { kind: 'lost' } : undefined;

    const result = await rig.run(cfnEvent('Create', created));

    const pool = onlyPool();
    expect(result.PhysicalResourceId).toBe(pool.id);
    expect(rig.scalr.calls.CreatePool).toBe(1);
    expectServerless(pool.id);
    expectOneTokenInSecret(pool.id);
  });

  it('a token create whose answer was lost leaves one token, the one in the secret', async () => {
    rig.scalr.faultFor = (operation, n) =>
      operation === 'CreateToken' && n === 1 ? { kind: 'lost' } : undefined;

    const result = await rig.run(cfnEvent('Create', created));

    expect(rig.scalr.calls.CreateToken).toBe(2);
    expectOneTokenInSecret(result.PhysicalResourceId);
  });

  it('a hung token create ends at its deadline and the retry leaves one token', async () => {
    rig.callTimeoutMs = 300;
    rig.scalr.faultFor = (operation, n) =>
      operation === 'CreateToken' && n === 1 ? { kind: 'hang' } : undefined;

    const result = await rig.run(cfnEvent('Create', created));

    expect(rig.scalr.calls.CreateToken).toBe(2);
    expectOneTokenInSecret(result.PhysicalResourceId);
  });

  it('waits out 429 with Retry-After and retries 5xx of reads and updates', async () => {
    rig.scalr.faultFor = (operation, n) => {
      if (operation === 'ListPools' && n === 1) return { kind: 'status', status: 429, retryAfter: '7' };
      if (operation === 'ListPools' && n === 2) return { kind: 'status', status: 503 };
      if (operation === 'CreateToken' && n === 1) return { kind: 'status', status: 429, retryAfter: '2' };
      return undefined;
    };

    const result = await rig.run(cfnEvent('Create', created));

    expect(rig.waits).toContain(7_000);
    expect(rig.waits).toContain(2_000);
    expectServerless(result.PhysicalResourceId);
    expectOneTokenInSecret(result.PhysicalResourceId);
  });

  it('a 5xx on the pool create is not blindly repeated: it looks again first', async () => {
    rig.scalr.faultFor = (operation, n) =>
      operation === 'CreatePool' && n === 1 ? { kind: 'status', status: 502 } : undefined;
    await rig.run(cfnEvent('Create', created));
    // find, create (502), find again, create.
    expect(rig.scalr.calls.ListPools).toBe(2);
    expect(rig.scalr.calls.CreatePool).toBe(2);
    onlyPool();
  });

  it('names the missing permission on 403 and the secret on 401', async () => {
    rig.scalr.denied.add('agent-pools:create');
    await expect(rig.run(cfnEvent('Create', created))).rejects.toThrow(/403.*agent-pools:create/s);
    rig.scalr.denied.clear();

    rig.aws.secrets.set(SCALR_TOKEN_ARN, 'a-revoked-token');
    const failure = rig.run(cfnEvent('Create', created));
    await expect(failure).rejects.toThrow(/401.*scalrApiTokenSecretArn/s);
    await failure.catch((error: Error) => expect(error.message).not.toContain('a-revoked-token'));
  });

  it('refuses to adopt a pool of the same name that does not call the stack', async () => {
    const theirs = rig.scalr.addPool({ name: 'aws-fargate' });
    await expect(rig.run(cfnEvent('Create', created))).rejects.toThrow(
      new RegExp(`already has an agent pool named "aws-fargate" \\(${theirs.id}\\).*scalrAgentPoolId`),
    );
    expect(rig.scalr.tokensOf(theirs.id)).toEqual([]);
  });

  it('Delete removes the pool it created and its token; a new Create works after it', async () => {
    const first = await rig.run(cfnEvent('Create', created));
    await rig.run(cfnEvent('Delete', created, { PhysicalResourceId: first.PhysicalResourceId }));
    expect(rig.scalr.pools.size).toBe(0);
    expect(rig.scalr.tokens.size).toBe(0);
    // A re-sent Delete finds nothing left and succeeds.
    await rig.run(cfnEvent('Delete', created, { PhysicalResourceId: first.PhysicalResourceId }));

    const again = await rig.run(cfnEvent('Create', created));
    expect(again.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
    expectServerless(again.PhysicalResourceId);
    expectOneTokenInSecret(again.PhysicalResourceId);
  });

  it('an existing pool is configured, and on Delete keeps its name and other tokens with serverless off', async () => {
    const theirs = rig.scalr.addPool({ name: 'platform-agents', isShared: true });
    rig.scalr.tokens.set('at-theirs', {
      id: 'at-theirs',
      poolId: theirs.id,
      description: 'laptop agent',
      token: 't',
    });
    const props = { ...created, PoolName: undefined, PoolShared: undefined, PoolId: theirs.id };

    const result = await rig.run(cfnEvent('Create', props));
    expect(result.Data).toEqual({ PoolId: theirs.id, PoolCreatedByStack: 'false' });
    expectServerless(theirs.id);
    expect(rig.scalr.tokensOf(theirs.id)).toHaveLength(2);

    await rig.run(cfnEvent('Delete', props, { PhysicalResourceId: theirs.id }));
    expect(rig.scalr.pools.get(theirs.id)).toMatchObject({
      name: 'platform-agents',
      isShared: true,
      webhookEnabled: false,
      webhookUrl: '',
      webhookHeaders: [],
    });
    expect(rig.scalr.tokensOf(theirs.id).map((t) => t.id)).toEqual(['at-theirs']);
  });

  it('an Update after rotating the webhook secret writes the new header and keeps the token', async () => {
    const first = await rig.run(cfnEvent('Create', created));
    const token = rig.scalr.tokensOf(first.PhysicalResourceId)[0];
    rig.aws.secrets.set(WEBHOOK_SECRET_ARN, 'whsec-rotated-0a9b8c7d6e5f');

    await rig.run(
      cfnEvent(
        'Update',
        { ...created, HeadersRevision: '1' },
        {
          PhysicalResourceId: first.PhysicalResourceId,
          OldResourceProperties: created,
        },
      ),
    );

    const pool = rig.scalr.pools.get(first.PhysicalResourceId);
    expect(pool?.webhookHeaders[1]).toEqual({
      name: 'Authorization',
      value: 'Bearer whsec-rotated-0a9b8c7d6e5f',
      sensitive: true,
    });
    expect(rig.scalr.tokensOf(first.PhysicalResourceId)).toEqual([token]);
    expect(rig.scalr.calls.CreatePool).toBe(1);
  });

  it('a new pool name makes a new pool; the Delete CloudFormation then sends for the old one removes it', async () => {
    const first = await rig.run(cfnEvent('Create', created));
    const renamed = { ...created, PoolName: 'aws-fargate-2' };

    const second = await rig.run(
      cfnEvent('Update', renamed, {
        PhysicalResourceId: first.PhysicalResourceId,
        OldResourceProperties: created,
      }),
    );
    expect(second.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
    expectServerless(second.PhysicalResourceId);
    expectOneTokenInSecret(second.PhysicalResourceId);

    // The physical id changed: CloudFormation deletes the old resource with its old properties.
    await rig.run(cfnEvent('Delete', created, { PhysicalResourceId: first.PhysicalResourceId }));
    expect([...rig.scalr.pools.keys()]).toEqual([second.PhysicalResourceId]);
    expectOneTokenInSecret(second.PhysicalResourceId);
  });

  it('the Delete after a failed Create removes the pool whose answer was lost', async () => {
    // The pool was created, its answer lost, and the update that follows refused: the Create fails.
    rig.scalr.faultFor = (operation) => (operation === 'CreatePool' ? { kind: 'lost' } : undefined);
    rig.scalr.denied.add('agent-pools:update');
    await expect(rig.run(cfnEvent('Create', created))).rejects.toThrow(/403/);
    rig.scalr.denied.clear();
    rig.scalr.faultFor = undefined;
    expect(rig.scalr.pools.size).toBe(1);

    // The provider framework answered the failed Create with a non-pool physical id.
    await rig.run(cfnEvent('Delete', created, { PhysicalResourceId: 'req-0a1b2c3d' }));
    expect(rig.scalr.pools.size).toBe(0);
  });

  it('a token changed by hand in the secret is replaced by a fresh one, the old stack token removed', async () => {
    const first = await rig.run(cfnEvent('Create', created));
    const old = rig.scalr.tokensOf(first.PhysicalResourceId)[0];
    rig.aws.secrets.set(AGENT_TOKEN_ARN, 'pasted-by-hand');
    rig.aws.secretVersions.set(AGENT_TOKEN_ARN, 'manual-version');

    await rig.run(
      cfnEvent('Update', created, {
        PhysicalResourceId: first.PhysicalResourceId,
        OldResourceProperties: created,
      }),
    );

    const tokens = rig.scalr.tokensOf(first.PhysicalResourceId);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.id).not.toBe(old?.id);
    expectOneTokenInSecret(first.PhysicalResourceId);
  });
});
