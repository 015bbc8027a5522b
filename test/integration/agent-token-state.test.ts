import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import { type Fault, faults, type Operation } from '../support/aws-stand-in.js';
import { AGENT_TOKEN, AGENT_TOKEN_ARN, Harness, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';

const delivery = (taskId: string) => ({ body: scalrBody(taskId), headers: { 'Idempotency-Key': taskId } });
/** No cache between deliveries: each one asks Secrets Manager, so a change shows at once. */
const UNCACHED = { SECRET_TTL_SECONDS: '0', SECRET_STALE_SECONDS: '0' };

describe('the webhook path tells a set agent token without reading it (AGENT_TOKEN_CHECK)', () => {
  let h: Harness;
  let asked: { operation: Operation; secretId: unknown }[];
  let fault: ((operation: Operation) => Fault | undefined) | undefined;

  async function start(env: Record<string, string>, placeholderOnly: boolean) {
    asked = [];
    fault = undefined;
    h = new Harness({
      faultFor: (operation, _n, input) => {
        asked.push({ operation, secretId: input.SecretId });
        return fault?.(operation);
      },
    });
    await h.start({ ...UNCACHED, ...env });
    if (placeholderOnly) {
      // The stack created the secret with the placeholder as its only version.
      h.standIn.secrets.delete(AGENT_TOKEN_ARN);
      h.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN_PLACEHOLDER);
    }
  }

  afterEach(async () => {
    const everything = [...h.logs, JSON.stringify(h.standIn.tasks)].join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
    expect(everything).not.toContain(AGENT_TOKEN);
    // The agent token's value is never asked for: only described.
    expect(asked.filter((a) => a.operation === 'GetSecretValue' && a.secretId === AGENT_TOKEN_ARN)).toEqual(
      [],
    );
    await h.stop();
  });

  it('stored: refuses while the stack-created secret has only its placeholder version, launches once a token was stored', async () => {
    await start({ AGENT_TOKEN_CHECK: 'stored' }, true);

    const before = await h.deliver(delivery('atask-s1'));
    h.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN); // aws secretsmanager put-secret-value
    const after = await h.deliver(delivery('atask-s1'));

    expect(before.statusCode).toBe(500);
    expect(before.body).toContain(`aws secretsmanager put-secret-value --secret-id ${AGENT_TOKEN_ARN}`);
    expect(after.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(asked.some((a) => a.operation === 'DescribeSecret' && a.secretId === AGENT_TOKEN_ARN)).toBe(true);
  });

  it('stored: answers 503 with Retry-After while DescribeSecret fails, launching nothing; once on re-delivery', async () => {
    await start({ AGENT_TOKEN_CHECK: 'stored', RETRY_AFTER_SECONDS: '4' }, false);
    h.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN);
    fault = (operation) => (operation === 'DescribeSecret' ? faults.server() : undefined);

    const during = await h.deliver(delivery('atask-s2'));
    fault = undefined;
    const after = await h.deliver(delivery('atask-s2'));
    const again = await h.deliver(delivery('atask-s2'));

    expect(during.statusCode).toBe(503);
    expect(during.headers?.['Retry-After'] ?? during.headers?.['retry-after']).toBe('4');
    expect(after.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('stored: a DescribeSecret that never answers ends within the launch deadline as a 503', async () => {
    await start({ AGENT_TOKEN_CHECK: 'stored', LAUNCH_DEADLINE_MS: '1500' }, false);
    h.standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN);
    fault = (operation) => (operation === 'DescribeSecret' ? faults.hang() : undefined);

    const answer = await h.deliver(delivery('atask-s3'));

    expect(answer.statusCode).toBe(503);
    expect(h.standIn.tasks).toHaveLength(0);
  });

  it("exists: an imported secret (one version, the operator's token) launches", async () => {
    await start({ AGENT_TOKEN_CHECK: 'exists' }, false);

    expect((await h.deliver(delivery('atask-e1'))).statusCode).toBe(202);
  });

  it('refuses, as configuration, a token secret scheduled for deletion', async () => {
    await start({ AGENT_TOKEN_CHECK: 'exists' }, false);
    h.standIn.secrets.deleted.add(AGENT_TOKEN_ARN);

    const answer = await h.deliver(delivery('atask-e2'));

    expect(answer.statusCode).toBe(500);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
