import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpAnswer } from '../../lambda/http/answers.js';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { AGENT_TOKEN, Harness, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Secrets Manager outage', () => {
  let h: Harness;
  let outage = false;

  beforeEach(async () => {
    outage = false;
    h = new Harness({
      faultFor: (operation) =>
        outage && operation === 'GetSecretValue'
          ? { kind: 'error', status: 500, type: 'InternalServiceError', message: 'internal' }
          : undefined,
    });
    // TTL 1 s then 1 s stale: the cached secrets serve until 2 s after they were read.
    await h.start({ SECRET_TTL_SECONDS: '1', SECRET_STALE_SECONDS: '1' });
  });
  afterEach(() => h.stop());

  const deliver = (key: string) => h.deliver({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });

  it('keeps launching from the cached secrets within the stale window, then answers 503 until it recovers', async () => {
    // The secrets are read during the warm-up: the window ends between 2 s after it began and 2 s after it ended.
    const warmStart = Date.now();
    const warm = await deliver('atask-sm-0');
    const warmEnd = Date.now();
    outage = true;

    const during: HttpAnswer[] = [];
    for (let i = 1; Date.now() - warmStart < 1_200; i++) {
      during.push(await deliver(`atask-sm-${i}`));
      await sleep(150);
    }
    await sleep(Math.max(0, 2_200 - (Date.now() - warmEnd)));
    const expired = await deliver('atask-sm-expired');
    outage = false;
    await sleep(100);
    const recovered = await deliver('atask-sm-expired');

    expect(warm.statusCode).toBe(202);
    expect(during.length).toBeGreaterThan(3);
    expect(during.map((answer) => answer.statusCode)).toEqual(during.map(() => 202));
    expect(
      h
        .entries()
        .some((entry) => entry.message === 'serving cached secret while Secrets Manager is unavailable'),
    ).toBe(true);
    expect(expired.statusCode).toBe(503);
    expect(expired.headers['retry-after']).toBeDefined();
    expect(h.standIn.tasksFor(startedByFor('atask-sm-expired'))).toHaveLength(1);
    expect(recovered.statusCode).toBe(202);
    expect(JSON.parse(recovered.body).duplicate).toBe(false);
    expect(h.standIn.tasks).toHaveLength(during.length + 2);
    const everything = [...h.logs, expired.body, recovered.body].join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
    expect(everything).not.toContain(AGENT_TOKEN);
  }, 20_000);

  it('answers 503, not 401 or 2xx, when Secrets Manager is down before any secret was cached', async () => {
    outage = true;

    const answer = await deliver('atask-sm-cold');

    expect(answer.statusCode).toBe(503);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
