import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import { type Fault, faults, type Operation } from '../support/aws-stand-in.js';
import {
  AGENT_TOKEN,
  AGENT_TOKEN_ARN,
  Harness,
  json,
  scalrBody,
  toRequest,
  WEBHOOK_SECRET,
  WEBHOOK_SECRET_ARN,
} from '../support/harness.js';

/** Faults for the first calls of one operation, then none. */
function first(operation: Operation, ...list: Fault[]) {
  return (op: Operation, n: number) => (op === operation ? list[n - 1] : undefined);
}

const delivery = (taskId: string, extra: Record<string, unknown> = {}) => ({
  body: scalrBody(taskId, extra),
  headers: { 'Idempotency-Key': taskId },
});

describe('ECS faults through the real SDK', () => {
  let h: Harness;
  afterEach(async () => {
    const everything = [...h.logs, ...JSON.stringify(h.standIn.tasks)].join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
    expect(everything).not.toContain(AGENT_TOKEN);
    await h.stop();
  });

  it('rides out throttling and server errors and launches once', async () => {
    h = await new Harness({
      faultFor: first('RunTask', faults.throttle(), faults.server(), faults.throttle()),
    }).start();

    const answer = await h.deliver(delivery('atask-t'));

    expect(answer.statusCode).toBe(202);
    expect(json(answer).attempts).toBe(4);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('retries when RunTask answers with failures and no task', async () => {
    h = await new Harness({ faultFor: first('RunTask', faults.capacity(), faults.capacity()) }).start();

    const answer = await h.deliver(delivery('atask-c'));

    expect(answer.statusCode).toBe(202);
    expect(h.standIn.calls.RunTask).toBe(3);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('answers 503 with Retry-After when ECS keeps throttling, launching nothing, and 202 on re-delivery', async () => {
    h = await new Harness({ faultFor: (op) => (op === 'RunTask' ? faults.throttle() : undefined) }).start({
      LAUNCH_DEADLINE_MS: '1200',
      RETRY_AFTER_SECONDS: '3',
    });

    const refused = await h.deliver(delivery('atask-503'));
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('3');
    expect(json(refused)).toMatchObject({ error: { code: 'temporarily_unavailable' } });
    expect(h.standIn.tasks).toHaveLength(0);
    expect(h.entries().some((line) => line.outcome === 'launch_failed')).toBe(true);

    h.standIn.faultFor = undefined;
    const accepted = await h.deliver(delivery('atask-503'));
    expect(accepted.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('launches once when the first answer is lost: the re-delivery gets the same task', async () => {
    h = await new Harness({ faultFor: first('RunTask', faults.slow(3000)) }).start({
      LAUNCH_DEADLINE_MS: '1500',
    });

    const lost = await h.deliver(delivery('atask-lost'));
    const again = await h.deliver(delivery('atask-lost'));

    expect(lost.statusCode).toBe(503);
    expect(again.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(json(again).launchId).toBe(h.standIn.tasks[0]?.taskArn);
  });

  it('treats a reused key with other parameters (ConflictException) as the earlier launch', async () => {
    h = await new Harness().start();
    await h.deliver(delivery('atask-k'));

    const otherContainer = h.another();
    const answer = await otherContainer(toRequest(delivery('atask-k', { run_id: 'run-different' })));

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({ duplicate: true, launchId: h.standIn.tasks[0]?.taskArn });
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.calls.ListTasks).toBe(0); // the SDK parsed resourceIds from the error
  });

  it('answers 500 naming the variable when the cluster does not exist', async () => {
    h = await new Harness({
      faultFor: (op) => (op === 'RunTask' ? faults.clusterNotFound() : undefined),
    }).start();

    const answer = await h.deliver(delivery('atask-nc'));

    expect(answer.statusCode).toBe(500);
    expect(json(answer)).toMatchObject({ error: { code: 'configuration_error' } });
    expect(answer.body).toContain('ECS_CLUSTER');
  });

  it('answers 500 naming the variable when the ECS settings are incomplete', async () => {
    h = await new Harness().start({ ECS_SUBNETS: '' });

    const answer = await h.deliver(delivery('atask-cfg'));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).toContain('ECS_SUBNETS is not set');
    expect(h.standIn.calls.RunTask).toBe(0);
  });

  it('launches one agent with a generated id for a manual trigger ({}) and logs it as manual', async () => {
    h = await new Harness().start();

    const answer = await h.deliver({ body: {} });

    expect(answer.statusCode).toBe(202);
    expect(json(answer)).toMatchObject({
      manual: true,
      taskId: expect.stringMatching(/^manual-[0-9a-f-]{36}$/),
    });
    expect(h.entries().find((line) => line.outcome === 'launched')).toMatchObject({ manual: true });
  });

  it('logs one line per decision with the correlation fields', async () => {
    h = await new Harness().start();

    await h.deliver(delivery('atask-log'));

    const line = h.entries().find((entry) => entry.outcome === 'launched');
    expect(line).toMatchObject({
      taskId: 'atask-log',
      runId: 'run-v0abc123',
      action: 'plan',
      dedupKey: 'atask-log',
      platform: 'ecs',
      launchId: h.standIn.tasks[0]?.taskArn,
    });
  });
});

describe('Secrets Manager faults', () => {
  let h: Harness;
  afterEach(() => h.stop());

  it('answers a plain 500 when the webhook secret does not exist, naming the variable only in the log', async () => {
    h = await new Harness().start();
    h.standIn.secrets.delete(WEBHOOK_SECRET_ARN);

    const answer = await h.deliver(delivery('atask-s1'));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('WEBHOOK_SECRET_ARN');
    expect(h.logs.join('\n')).toContain('WEBHOOK_SECRET_ARN');
    expect(h.standIn.tasks).toHaveLength(0);
  });

  it('answers 503 when Secrets Manager throttles and nothing is cached', async () => {
    h = await new Harness({
      faultFor: (op) => (op === 'GetSecretValue' ? faults.throttle() : undefined),
    }).start({ RETRY_AFTER_SECONDS: '7' });

    const answer = await h.deliver(delivery('atask-s2'));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(h.standIn.tasks).toHaveLength(0);
  });

  it('picks up a rotated webhook secret without a redeploy, and refuses the old one', async () => {
    h = await new Harness().start({ SECRET_TTL_SECONDS: '3600' });
    expect((await h.deliver(delivery('atask-r1'))).statusCode).toBe(202);
    h.standIn.secrets.set(WEBHOOK_SECRET_ARN, 'whsec-rotated-7a6b5c4d3e2f1a0b');
    await new Promise((resolve) => setTimeout(resolve, 2_050)); // refreshes are rate-limited to one per 2 s

    const rotated = await h.deliver({
      ...delivery('atask-r2'),
      auth: 'Bearer whsec-rotated-7a6b5c4d3e2f1a0b',
    });
    const old = await h.deliver(delivery('atask-r3'));

    expect(rotated.statusCode).toBe(202);
    expect(old.statusCode).toBe(401);
    expect(h.standIn.tasks).toHaveLength(2);
  });

  it('refuses to launch while the agent token is still the placeholder, saying how to set it', async () => {
    h = await new Harness().start();
    h.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN_PLACEHOLDER);

    const answer = await h.deliver(delivery('atask-p'));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).toContain(`aws secretsmanager put-secret-value --secret-id ${AGENT_TOKEN_ARN}`);
    expect(h.standIn.tasks).toHaveLength(0);
  });

  it('refuses to launch with an empty agent token', async () => {
    h = await new Harness().start();
    h.standIn.secrets.set(AGENT_TOKEN_ARN, '  ');

    const answer = await h.deliver(delivery('atask-e'));

    expect(answer.statusCode).toBe(500);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
