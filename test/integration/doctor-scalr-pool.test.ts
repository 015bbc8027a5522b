import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StackFacts } from '../../scripts/doctor/check.js';
import { checkScalrPool } from '../../scripts/doctor/checks/scalr-pool.js';
import { AwsStandIn } from '../support/aws-stand-in.js';
import { SCALR_API_TOKEN, SCALR_TOKEN_ARN, SCALR_URL } from '../support/scalr-registration-rig.js';
import { ScalrStandIn, type StoredPool } from '../support/scalr-stand-in.js';

const WEBHOOK_URL = 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/trigger';

describe('npm run doctor: the registered Scalr pool matches the stack (stand-ins)', () => {
  const scalr = new ScalrStandIn({ apiToken: SCALR_API_TOKEN });
  const aws = new AwsStandIn();
  let secrets: SecretsManagerClient;
  let scalrUrl: string;
  let pool: StoredPool;
  const fetchScalr = (url: string, init: RequestInit) => fetch(url.replace(SCALR_URL, scalrUrl), init);

  beforeAll(async () => {
    scalrUrl = await scalr.start();
    const endpoint = await aws.start();
    aws.secrets.set(SCALR_TOKEN_ARN, SCALR_API_TOKEN);
    secrets = new SecretsManagerClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDDOCTOR', secretAccessKey: 'doctor' },
    });
  });
  afterAll(async () => {
    secrets.destroy();
    await scalr.stop();
    await aws.stop();
  });
  beforeEach(() => {
    scalr.pools.clear();
    scalr.faultFor = undefined;
    pool = scalr.addPool({
      name: 'aws-fargate',
      webhookEnabled: true,
      webhookUrl: WEBHOOK_URL,
      webhookHeaders: [
        { name: 'x-api-key', value: 'k', sensitive: true },
        { name: 'Authorization', value: 'Bearer s', sensitive: true },
      ],
    });
  });

  const facts = (outputs: Record<string, string> = {}): StackFacts => ({
    stackName: 'ScalrPool',
    region: 'us-east-1',
    source: 'scalr',
    outputs: {
      WebhookUrl: WEBHOOK_URL,
      ScalrAgentPoolId: pool.id,
      ScalrApiUrl: SCALR_URL,
      ScalrApiTokenSecretArn: SCALR_TOKEN_ARN,
      ...outputs,
    },
    functionEnv: {},
    functionSubnets: [],
  });

  it('is ok when the pool calls the stack with both headers sensitive', async () => {
    const result = await checkScalrPool(secrets, facts(), 2_000, fetchScalr);
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.detail).toContain(pool.id);
  });

  it('is skipped without the registration', async () => {
    const result = await checkScalrPool(secrets, facts({ ScalrAgentPoolId: '' }), 2_000, fetchScalr);
    expect(result.status).toBe('skipped');
  });

  it('fails on another URL, serverless off, a missing or plain header', async () => {
    pool.webhookUrl = 'https://old.execute-api.us-east-1.amazonaws.com/prod/trigger';
    pool.webhookEnabled = false;
    pool.webhookHeaders = [{ name: 'x-api-key', value: 'k', sensitive: false }];

    const result = await checkScalrPool(secrets, facts(), 2_000, fetchScalr);

    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/serverless \(webhook\) execution is off/);
    expect(result.detail).toContain('https://old.execute-api');
    expect(result.detail).toMatch(/expected authorization and x-api-key/);
    expect(result.detail).toMatch(/not marked sensitive: x-api-key/);
    expect(result.fix).toMatch(/deploy the stack again/);
  });

  it('fails naming the pool when it is gone, and the permission when it is denied', async () => {
    expect(
      (await checkScalrPool(secrets, facts({ ScalrAgentPoolId: 'apool-gone1234' }), 2_000, fetchScalr))
        .detail,
    ).toMatch(/no pool apool-gone1234/);
    scalr.denied.add('agent-pools:read');
    const denied = await checkScalrPool(secrets, facts(), 2_000, fetchScalr);
    scalr.denied.clear();
    expect(denied.status).toBe('fail');
    expect(denied.detail).toMatch(/403.*agent-pools:read/);
  });

  it('a hung Scalr ends at the deadline', async () => {
    scalr.faultFor = () => ({ kind: 'hang' });
    const result = await checkScalrPool(secrets, facts(), 300, fetchScalr);
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/did not answer/);
  });
});
