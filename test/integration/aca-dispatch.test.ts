import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpAnswer } from '../../lambda/http/answers.js';
import { DynamoDbLedger } from '../../lambda/ledger/dynamodb-ledger.js';
import {
  AcaRig,
  CLIENT_ID,
  CLIENT_SECRET,
  DEDUP_TABLE,
  SUBSCRIPTION_ID,
  TENANT_ID,
} from '../support/aca-rig.js';
import type { AzureFault, AzureOperation } from '../support/azure-stand-in.js';
import { AGENT_TOKEN, json, scalrBody, toRequest, WEBHOOK_SECRET } from '../support/harness.js';

const CREDENTIALS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:azure-credentials-AbCdEf';

function delivery(key: string) {
  return { body: scalrBody(key), headers: { 'Idempotency-Key': key } };
}

function faults(table: Partial<Record<AzureOperation, Record<number, AzureFault>>>) {
  return (operation: AzureOperation, n: number) => table[operation]?.[n];
}

function errorOf(answer: HttpAnswer): { code: string; message: string } {
  return json(answer).error as { code: string; message: string };
}

/**
 * A Date the test can move ahead for the dispatcher, the SDKs and the stand-ins alike, instead of
 * sleeping until a token expires or a settle time passes: the window is crossed exactly where the
 * test says, however slow a busy machine is. Only Date is faked (timers, deadlines and aborts stay
 * real) and it keeps running with real time between moves. Installed before the rig starts, so the
 * clocks its parts keep (`now = Date.now`) are this one. Undone after each test.
 */
function movableDate(): (ms: number) => void {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  return (ms) => vi.setSystemTime(Date.now() + ms);
}

describe('ACA dispatch through the real Azure and AWS SDKs against local stand-ins', () => {
  let rig: AcaRig;
  afterEach(async () => {
    vi.useRealTimers();
    await rig.stop();
  });

  it('answers 202 naming the execution once ARM answered the start with 200', async () => {
    rig = await new AcaRig().start();

    const answer = await rig.harness.deliver(delivery('atask-1'));

    expect(answer.statusCode).toBe(202);
    const execution = rig.azure.executions[0];
    expect(rig.azure.executions).toHaveLength(1);
    expect(json(answer)).toMatchObject({
      status: 'accepted',
      platform: 'aca',
      launchId: execution?.id,
      executionName: execution?.name,
      duplicate: false,
      armStatus: 200,
      // The job's location (ARM: "West Europe"), read with the template: where the agent runs.
      region: 'westeurope',
    });
    expect(execution?.template).not.toHaveProperty('location');
  });

  it('overrides only the environment: Scalr context added, the token stays a secretRef', async () => {
    rig = await new AcaRig().start();

    await rig.harness.deliver(delivery('atask-2'));

    const container = rig.azure.executions[0]?.template.containers?.[0];
    expect(container).toMatchObject({ name: 'agent', image: 'scalr/agent:latest' });
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'SCALR_URL', value: 'https://example.scalr.io' },
        { name: 'SCALR_AGENT_TOKEN', secretRef: 'scalr-agent-token' },
        { name: 'DISPATCH_TASK_ID', value: 'atask-2' },
        { name: 'DISPATCH_RUN_ID', value: 'run-v0abc123' },
        { name: 'DISPATCH_WORKSPACE_ID', value: 'ws-v0def456' },
        { name: 'DISPATCH_ACTION', value: 'plan' },
        { name: 'DISPATCH_DEDUP_KEY', value: 'atask-2' },
      ]),
    );
    expect(rig.azure.seen.join('\n')).not.toContain(AGENT_TOKEN);
  });

  it('sends back plain values ARM marks "secretRef": null and the init containers, as the job defines them', async () => {
    // The job exactly as ARM's JSON has it: every plain variable carries "secretRef": null.
    rig = await new AcaRig({
      jobTemplate: {
        initContainers: [
          {
            name: 'fetch-plugins',
            image: 'busybox:1',
            env: [{ name: 'PLUGIN_DIR', value: '/plugins', secretRef: null }],
            volumeMounts: [{ volumeName: 'plugins', mountPath: '/plugins' }],
          },
        ],
        containers: [
          {
            name: 'agent',
            image: 'scalr/agent:latest',
            env: [
              { name: 'SCALR_URL', value: 'https://example.scalr.io', secretRef: null },
              { name: 'SCALR_AGENT_TOKEN', value: null, secretRef: 'scalr-agent-token' },
            ],
            volumeMounts: [{ volumeName: 'plugins', mountPath: '/plugins' }],
          },
        ],
        volumes: [{ name: 'plugins', storageType: 'EmptyDir' }],
      },
    }).start();

    expect((await rig.harness.deliver(delivery('atask-fidelity'))).statusCode).toBe(202);

    const sent = rig.azure.executions[0]?.template as {
      initContainers?: unknown[];
      containers?: { env?: unknown[] }[];
    };
    expect(sent.initContainers).toEqual([
      { name: 'fetch-plugins', image: 'busybox:1', env: [{ name: 'PLUGIN_DIR', value: '/plugins' }] },
    ]);
    expect(sent.containers?.[0]?.env).toEqual(
      expect.arrayContaining([
        { name: 'SCALR_URL', value: 'https://example.scalr.io' },
        { name: 'SCALR_AGENT_TOKEN', secretRef: 'scalr-agent-token' },
      ]),
    );
  });

  it('answers 202 for a 202 + Location start, taking the execution from the body', async () => {
    rig = await new AcaRig({ startMode: '202-with-body' }).start();

    const answer = await rig.harness.deliver(delivery('atask-3'));

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ armStatus: 202, executionName: rig.azure.executions[0]?.name });
    expect(rig.azure.executions).toHaveLength(1);
  });

  it('finds the execution by its key when a 202 + Location start has no body', async () => {
    rig = await new AcaRig({ startMode: '202-no-body' }).start();

    const answer = await rig.harness.deliver(delivery('atask-4'));

    expect(answer.statusCode).toBe(202);
    expect(json(answer).launchId).toBe(rig.azure.executions[0]?.id);
    expect(rig.azure.calls.ListExecutions).toBe(1);
  });

  it('waits out a 429 for its Retry-After when it fits the deadline, then starts once', async () => {
    rig = await new AcaRig({
      faultFor: faults({
        StartJob: { 1: { kind: 'status', status: 429, code: 'TooManyRequests', retryAfter: '1' } },
      }),
    }).start();
    const started = Date.now();

    const answer = await rig.harness.deliver(delivery('atask-5'));

    expect(answer.statusCode).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(json(answer).attempts).toBe(2);
    expect(rig.azure.executions).toHaveLength(1);
  });

  it('answers 503 with ARM Retry-After when it does not fit the deadline, and frees the key', async () => {
    rig = await new AcaRig({
      faultFor: faults({
        StartJob: { 1: { kind: 'status', status: 429, code: 'TooManyRequests', retryAfter: '30' } },
      }),
    }).start();

    const first = await rig.harness.deliver(delivery('atask-6'));
    const retried = await rig.another()(toRequest(delivery('atask-6')));

    expect(first.statusCode).toBe(503);
    expect(first.headers['retry-after']).toBe('30');
    expect(retried.statusCode).toBe(202);
    expect(rig.azure.executions).toHaveLength(1);
  });

  it('never starts again in the request after an ARM 503; a delivery after the settle time checks, then starts once', async () => {
    const skipAhead = movableDate();
    const down: AzureFault = { kind: 'status', status: 503, code: 'ServiceUnavailable' };
    rig = await new AcaRig({ faultFor: (op, n) => (op === 'StartJob' && n === 1 ? down : undefined) }).start({
      LAUNCH_DEADLINE_MS: '2500',
      ACA_LIST_SETTLE_SECONDS: '1',
    });

    const first = await rig.harness.deliver(delivery('atask-7'));
    const early = await rig.harness.deliver(delivery('atask-7'));
    skipAhead(1_100);
    const settled = await rig.harness.deliver(delivery('atask-7'));

    expect(first.statusCode).toBe(503);
    expect(first.headers['retry-after']).toBe('1');
    expect(errorOf(first).message).toContain('HTTP 503');
    // Before the settle time a listing proves nothing: no look-up, no start.
    expect(early.statusCode).toBe(503);
    expect(settled.statusCode).toBe(202);
    expect(rig.azure.executions).toHaveLength(1);
    expect(rig.azure.calls.StartJob).toBe(2);
    expect(rig.azure.calls.ListExecutions).toBe(1);
  });

  it('answers 500 naming the role assignment when ARM answers 403', async () => {
    rig = await new AcaRig({
      faultFor: faults({ StartJob: { 1: { kind: 'status', status: 403, code: 'AuthorizationFailed' } } }),
    }).start();

    const answer = await rig.harness.deliver(delivery('atask-9'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).code).toBe('configuration_error');
    expect(errorOf(answer).message).toContain('Microsoft.App/jobs/start/action');
    expect(rig.azure.calls.StartJob).toBe(1);
  });

  it('answers 500 naming the tenant and cloud when ARM answers 401', async () => {
    rig = await new AcaRig({
      faultFor: faults({
        GetJob: { 1: { kind: 'status', status: 401, code: 'InvalidAuthenticationToken' } },
      }),
    }).start();

    const answer = await rig.harness.deliver(delivery('atask-10'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).message).toContain('tenant of subscription');
    expect(errorOf(answer).message).toContain('ACA_ARM_ENDPOINT');
  });

  it('answers 500 naming ACA_JOB_NAME when the job does not exist', async () => {
    rig = await new AcaRig().start({ ACA_JOB_NAME: 'no-such-job' });

    const answer = await rig.harness.deliver(delivery('atask-11'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).message).toContain('ACA_JOB_NAME');
    expect(errorOf(answer).message).toContain('no-such-job');
    expect(rig.azure.executions).toHaveLength(0);
  });

  it('reuses the STS JWT and the Entra token while they are valid', async () => {
    rig = await new AcaRig().start();

    for (const key of ['atask-12a', 'atask-12b', 'atask-12c']) await rig.harness.deliver(delivery(key));

    expect(rig.azure.calls.GetWebIdentityToken).toBe(1);
    expect(rig.azure.calls.Token).toBe(1);
    expect(rig.azure.calls.GetJob).toBe(1);
    expect(rig.azure.executions).toHaveLength(3);
  });

  it('gets a new JWT and Entra token once the old ones expired', async () => {
    // Entra tokens of 1 s (MSAL renews any token this close to expiry) and STS JWTs of 2 s; the
    // stand-in refuses expired ones, so the second start only works with fresh ones.
    const skipAhead = movableDate();
    rig = await new AcaRig({ tokenSeconds: 1, jwtSeconds: 2 }).start();

    const first = await rig.harness.deliver(delivery('atask-13a'));
    const afterFirst = { ...rig.azure.calls };
    skipAhead(2_100);
    const second = await rig.harness.deliver(delivery('atask-13b'));

    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(afterFirst.GetWebIdentityToken).toBe(1);
    expect(rig.azure.calls.GetWebIdentityToken).toBe(2);
    expect(rig.azure.calls.Token).toBeGreaterThan(afterFirst.Token);
  });

  it('answers a sequential re-delivery to another container with the recorded execution', async () => {
    rig = await new AcaRig().start();

    const first = await rig.harness.deliver(delivery('atask-14'));
    const again = await rig.another()(toRequest(delivery('atask-14')));

    expect(again.statusCode).toBe(202);
    expect(json(again)).toMatchObject({ duplicate: true, launchId: json(first).launchId, recorded: true });
    expect(rig.azure.executions).toHaveLength(1);
  });

  it('answers 503 to a re-delivery while the first start is in flight, then the recorded execution', async () => {
    // The first start is held at ARM until the second delivery has been answered, however long that takes.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    rig = await new AcaRig({
      faultFor: faults({ StartJob: { 1: { kind: 'held', until: released } } }),
    }).start();
    const second = rig.another();

    const first = rig.harness.deliver(delivery('atask-15'));
    // Once the first start is in flight at ARM (not after a guessed sleep).
    await vi.waitFor(() => expect(rig.azure.calls.StartJob).toBe(1), { timeout: 20_000, interval: 10 });
    const during = await second(toRequest(delivery('atask-15')));
    release();
    const firstAnswer = await first;
    const after = await second(toRequest(delivery('atask-15')));

    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBeDefined();
    expect(firstAnswer.statusCode).toBe(202);
    expect(after.statusCode).toBe(202);
    expect(json(after).launchId).toBe(json(firstAnswer).launchId);
    expect(rig.azure.executions).toHaveLength(1);
  });

  it('starts one execution when three containers get the same key five times at once', async () => {
    rig = await new AcaRig().start();
    const containers = [rig.harness.dispatch, rig.another(), rig.another()];

    const answers = await Promise.all(
      containers.flatMap((dispatch) =>
        Array.from({ length: 5 }, () => dispatch(toRequest(delivery('atask-16')))),
      ),
    );

    expect(rig.azure.executions).toHaveLength(1);
    expect(answers.every((a) => a.statusCode === 202 || a.statusCode === 503)).toBe(true);
    expect(answers.some((a) => a.statusCode === 202)).toBe(true);
  });

  it('finds the execution instead of starting another when the start answer was lost', async () => {
    const skipAhead = movableDate();
    rig = await new AcaRig({ faultFor: faults({ StartJob: { 1: { kind: 'start-then-drop' } } }) }).start({
      ACA_LIST_SETTLE_SECONDS: '1',
    });

    const lost = await rig.harness.deliver(delivery('atask-17'));
    skipAhead(1_100);
    const answer = await rig.harness.deliver(delivery('atask-17'));

    expect(lost.statusCode).toBe(503);
    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ duplicate: true, launchId: rig.azure.executions[0]?.id });
    expect(rig.azure.executions).toHaveLength(1);
    expect(rig.azure.calls.StartJob).toBe(1);
  });

  it('takes over the claim of a container that died mid-launch and finds its execution', async () => {
    rig = await new AcaRig().start();
    const twoMinutesAgo = Date.now() - 120_000;
    const dead = new DynamoDbLedger(new DynamoDBClient({}), {
      tableName: DEDUP_TABLE,
      scope: `${SUBSCRIPTION_ID}/rg-agents/scalr-agent`,
      ttlSeconds: 86_400,
      retryAfterSeconds: 5,
      now: () => twoMinutesAgo,
    });
    const signal = AbortSignal.timeout(5_000);
    await dead.claim(
      'atask-23',
      { owner: 'dead', taskId: 'atask-23', leaseUntil: twoMinutesAgo + 30_000 },
      signal,
    );
    await dead.addAttempt(
      'atask-23',
      'dead',
      { id: '1', leg: 'aca', state: 'pending', at: twoMinutesAgo },
      signal,
    );
    rig.azure.executions.push({
      name: 'scalr-agent-dead01',
      id: `${rig.azure.jobPath}/executions/scalr-agent-dead01`,
      template: { containers: [{ name: 'agent', env: [{ name: 'DISPATCH_DEDUP_KEY', value: 'atask-23' }] }] },
    });

    const answer = await rig.harness.deliver(delivery('atask-23'));

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ duplicate: true, executionName: 'scalr-agent-dead01' });
    expect(rig.azure.calls.StartJob).toBe(0);
  });

  it('answers 503 and starts nothing when DynamoDB is unreachable', async () => {
    rig = await new AcaRig().start();
    await rig.stopDynamo();

    const answer = await rig.harness.deliver(delivery('atask-24'));

    expect(answer.statusCode).toBe(503);
    expect(errorOf(answer).message).toContain('nothing was launched');
    expect(rig.azure.calls.StartJob).toBe(0);
  });

  it('answers 500 telling how to enable outbound federation when STS says it is off', async () => {
    const disabled: AzureFault = {
      kind: 'status',
      status: 403,
      code: 'OutboundWebIdentityFederationDisabledException',
    };
    rig = await new AcaRig({
      faultFor: (op) => (op === 'GetWebIdentityToken' ? disabled : undefined),
    }).start();

    const answer = await rig.harness.deliver(delivery('atask-18'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).message).toContain('aws iam enable-outbound-web-identity-federation');
    expect(rig.azure.calls.GetWebIdentityToken).toBe(1);
  });

  it('answers 500 naming the federated credential when Entra ID refuses the AWS JWT', async () => {
    rig = await new AcaRig().start({ AZURE_CLIENT_ID: '99999999-8888-4777-8666-555555555555' });

    const answer = await rig.harness.deliver(delivery('atask-19'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).message).toContain('AADSTS700016');
    expect(errorOf(answer).message).toContain('federated credential');
    expect(rig.azure.calls.Token).toBe(1);
  });

  it('authenticates with the client secret from Secrets Manager when AZURE_AUTH=client-secret', async () => {
    rig = await new AcaRig({ clientSecret: CLIENT_SECRET }).start({
      AZURE_AUTH: 'client-secret',
      AZURE_CREDENTIALS_SECRET_ARN: CREDENTIALS_ARN,
    });
    rig.harness.standIn.secrets.set(
      CREDENTIALS_ARN,
      JSON.stringify({ tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    );

    const answer = await rig.harness.deliver(delivery('atask-20'));

    expect(answer.statusCode).toBe(202);
    expect(rig.azure.calls.GetWebIdentityToken).toBe(0);
    expect(rig.azure.calls.Token).toBe(1);
  });

  it('answers 500 naming the stored clientSecret when Entra ID refuses it', async () => {
    rig = await new AcaRig({ clientSecret: 'the-real-one' }).start({
      AZURE_AUTH: 'client-secret',
      AZURE_CREDENTIALS_SECRET_ARN: CREDENTIALS_ARN,
    });
    rig.harness.standIn.secrets.set(
      CREDENTIALS_ARN,
      JSON.stringify({ tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    );

    const answer = await rig.harness.deliver(delivery('atask-21'));

    expect(answer.statusCode).toBe(500);
    expect(errorOf(answer).message).toContain('AADSTS7000215');
    expect(errorOf(answer).message).toContain('clientSecret');
    expect(answer.body).not.toContain(CLIENT_SECRET);
  });

  it('never puts a secret or token in a log line or an answer', async () => {
    rig = await new AcaRig({
      clientSecret: CLIENT_SECRET,
      faultFor: faults({ StartJob: { 1: { kind: 'status', status: 403, code: 'AuthorizationFailed' } } }),
    }).start({ AZURE_AUTH: 'client-secret', AZURE_CREDENTIALS_SECRET_ARN: CREDENTIALS_ARN });
    rig.harness.standIn.secrets.set(
      CREDENTIALS_ARN,
      JSON.stringify({ tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    );
    const federated = rig.another({ AZURE_AUTH: 'aws-federation' });

    const answers = [
      await rig.harness.deliver(delivery('atask-22a')),
      await rig.harness.deliver(delivery('atask-22b')),
      await federated(toRequest(delivery('atask-22c'))),
    ];

    const tokens = rig.azure.seen
      .flatMap((line) => [...line.matchAll(/(at-[0-9a-f]{32}|eyJ[\w-]+\.[\w-]+\.[\w-]+)/g)].map((m) => m[0]))
      .filter((token): token is string => token !== undefined);
    expect(tokens.length).toBeGreaterThan(0);
    const visible = [...rig.harness.logs, ...answers.map((a) => a.body)].join('\n');
    for (const secret of [CLIENT_SECRET, AGENT_TOKEN, WEBHOOK_SECRET, ...tokens]) {
      expect(visible).not.toContain(secret);
    }
    expect(answers.map((a) => a.statusCode)).toEqual([500, 202, 202]);
  });
});
