import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../lambda/aws/client-options.js';
import type { HttpAnswer } from '../../lambda/http/answers.js';
import type { Launcher } from '../../lambda/launchers/launcher.js';
import { AwsStandIn, type Fault, faults, type Operation } from '../support/aws-stand-in.js';
import {
  AGENT_TOKEN,
  Harness,
  json,
  scalrBody,
  toRequest,
  WEBHOOK_SECRET,
  WEBHOOK_SECRET_ARN,
} from '../support/harness.js';

/** Far longer than any deadline here: to the dispatcher, a call that never answers. */
const HANG = 120_000;
/**
 * Slack on top of a deadline (and the dispatcher's own 250 ms grace) for a machine whose cores are
 * busy with other work. Generous on purpose: the calls here hang for HANG, so any bound this far
 * below it still tells "answered by the deadline" from "waited for the hung call".
 */
const SLACK_MS = 4_000;

const delivery = (taskId: string) => ({ body: scalrBody(taskId), headers: { 'Idempotency-Key': taskId } });

/** Delivers and measures how long the answer took. */
async function timed(answer: Promise<HttpAnswer>): Promise<{ answer: HttpAnswer; ms: number }> {
  const started = Date.now();
  const result = await answer;
  return { answer: result, ms: Date.now() - started };
}

describe('Secrets Manager deadlines through the real SDK', () => {
  let h: Harness;
  let fault: ((operation: Operation) => Fault | undefined) | undefined;
  afterEach(async () => {
    const everything = h.logs.join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
    expect(everything).not.toContain(AGENT_TOKEN);
    await h.stop();
    fault = undefined;
  });
  const harness = () => new Harness({ faultFor: (operation) => fault?.(operation) });
  const hangSecrets = () => {
    fault = (operation) => (operation === 'GetSecretValue' ? faults.slow(HANG) : undefined);
  };

  it('launches from the cached secrets well inside the deadline when GetSecretValue hangs after the TTL', async () => {
    h = await harness().start({ SECRET_TTL_SECONDS: '0', LAUNCH_DEADLINE_MS: '10000' });
    expect((await h.deliver(delivery('atask-warm'))).statusCode).toBe(202);
    const readsWhileWarm = h.standIn.calls.GetSecretValue;
    hangSecrets();

    const first = await timed(h.deliver(delivery('atask-hang-1')));
    const second = await timed(h.deliver(delivery('atask-hang-2')));

    expect(first.answer.statusCode).toBe(202);
    expect(second.answer.statusCode).toBe(202);
    // Half the deadline: served from the cache, not after waiting for the hung read until the deadline.
    expect(first.ms).toBeLessThan(5_000);
    expect(second.ms).toBeLessThan(5_000);
    expect(h.standIn.tasks).toHaveLength(3);
    // One background refresh per secret, still hanging: not one per request.
    expect(h.standIn.calls.GetSecretValue - readsWhileWarm).toBe(2);
  });

  it('answers 503 with Retry-After by the deadline when a cold start finds GetSecretValue hanging', async () => {
    hangSecrets();
    h = await harness().start({ LAUNCH_DEADLINE_MS: '1500', RETRY_AFTER_SECONDS: '4' });

    const { answer, ms } = await timed(h.deliver(delivery('atask-cold')));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('4');
    expect(json(answer)).toMatchObject({ error: { code: 'temporarily_unavailable' } });
    expect(ms).toBeLessThan(1_500 + SLACK_MS);
    expect(h.standIn.tasks).toHaveLength(0);
    expect(h.entries().find((line) => line.outcome === 'launch_failed')).toMatchObject({
      code: 'temporarily_unavailable',
      stage: 'authentication',
    });
  });

  it("bounds a cold start's wait by the Lambda's remaining time less the answer margin", async () => {
    hangSecrets();
    h = await harness().start({ LAUNCH_DEADLINE_MS: '20000' });

    const { answer, ms } = await timed(
      h.dispatch({ ...toRequest(delivery('atask-remaining')), remainingTimeMs: 2_500 }),
    );

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(ms).toBeLessThan(1_000 + SLACK_MS);
  });

  it('answers 503 by the deadline even when the launch itself never answers', async () => {
    const stuck: Launcher = { platform: 'stuck', launch: () => new Promise(() => undefined) };
    h = await harness().start({ LAUNCH_DEADLINE_MS: '1000' }, { launcher: async () => stuck });

    const { answer, ms } = await timed(h.deliver(delivery('atask-stuck')));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(ms).toBeLessThan(1_000 + SLACK_MS);
  });
});

describe('AWS SDK client options', () => {
  let standIn: AwsStandIn;
  afterEach(() => standIn.stop());

  it('make a hung call fail with TimeoutError instead of waiting forever', async () => {
    standIn = new AwsStandIn({ faultFor: () => faults.slow(HANG) });
    const endpoint = await standIn.start();
    const client = new SecretsManagerClient({
      ...awsClientOptions({ requestTimeoutMs: 300 }),
      maxAttempts: 1,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
    });

    const outcome = await Promise.race([
      client.send(new GetSecretValueCommand({ SecretId: WEBHOOK_SECRET_ARN })).then(
        () => 'answered',
        (error: { name?: string }) => error.name,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
    ]);

    expect(outcome).toBe('TimeoutError');
    expect(standIn.calls.GetSecretValue).toBe(1);
    client.destroy();
  });
});

describe('Before authentication', () => {
  let h: Harness;
  afterEach(() => h.stop());

  const MISSING_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-XyZ123';

  /** Nothing about the deployment: no variable name, no ARN, no account id, no secret name. */
  function expectNoDetail(answer: HttpAnswer, ...words: string[]) {
    const visible = `${answer.body}\n${JSON.stringify(answer.headers)}`;
    for (const word of ['WEBHOOK_SECRET', 'arn:', '123456789012', 'secretsmanager', ...words]) {
      expect(visible).not.toContain(word);
    }
  }

  it.each([
    ['with the right credential', undefined],
    ['with a guessed credential', 'Bearer guess'],
  ])(
    'answers a plain 500 when WEBHOOK_SECRET_ARN names a secret that does not exist (%s)',
    async (_, auth) => {
      h = await new Harness().start({ WEBHOOK_SECRET_ARN: MISSING_ARN });

      const answer = await h.deliver({ ...delivery('atask-leak-1'), auth });

      expect(answer.statusCode).toBe(500);
      expect(json(answer)).toEqual({
        error: { code: 'internal_error', message: 'Internal error; the launch did not happen.' },
      });
      expectNoDetail(answer, 'missing-XyZ123');
      const line = h.entries().find((entry) => entry.outcome === 'launch_failed');
      expect(line).toMatchObject({ code: 'configuration_error', stage: 'authentication' });
      expect(String(line?.reason)).toContain('WEBHOOK_SECRET_ARN');
      expect(String(line?.reason)).toContain(MISSING_ARN);
      expect(h.standIn.tasks).toHaveLength(0);
    },
  );

  it('answers a plain 500 when the function may not read the webhook secret', async () => {
    h = await new Harness({
      faultFor: (op) => (op === 'GetSecretValue' ? faults.accessDenied() : undefined),
    }).start();

    const answer = await h.deliver(delivery('atask-leak-2'));

    expect(answer.statusCode).toBe(500);
    expectNoDetail(answer, 'GetSecretValue', 'kms');
    expect(h.logs.join('\n')).toContain('WEBHOOK_SECRET_ARN');
  });

  it('answers a plain 500 when WEBHOOK_SECRET_ARN is not a secret id at all', async () => {
    const wrong = 'arn:aws:secretsmanager:us-east-1:123456789012:secret webhook';
    h = await new Harness().start({ WEBHOOK_SECRET_ARN: wrong });

    const answer = await h.deliver(delivery('atask-leak-3'));

    expect(answer.statusCode).toBe(500);
    expect(json(answer)).toMatchObject({ error: { code: 'internal_error' } });
    expectNoDetail(answer, 'webhook');
    const line = h.entries().find((entry) => entry.message === 'configuration invalid');
    expect(String(line?.reason)).toContain(`WEBHOOK_SECRET_ARN is "${wrong}"`);
    expect(h.standIn.calls.GetSecretValue).toBe(0);
  });

  it('answers 503 with a generic message when Secrets Manager throttles', async () => {
    h = await new Harness({
      faultFor: (op) => (op === 'GetSecretValue' ? faults.throttle() : undefined),
    }).start({ RETRY_AFTER_SECONDS: '6' });

    const answer = await h.deliver(delivery('atask-leak-4'));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('6');
    expect(json(answer)).toEqual({
      error: { code: 'temporarily_unavailable', message: 'Temporarily unavailable; try again shortly.' },
    });
    expectNoDetail(answer, 'Secrets Manager', 'secret');
  });
});
