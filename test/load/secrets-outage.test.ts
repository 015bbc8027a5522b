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
    // TTL 1 s then 3 s stale: the cached secrets serve until 4 s after they were read.
    await h.start({ SECRET_TTL_SECONDS: '1', SECRET_STALE_SECONDS: '3' });
  });
  afterEach(() => h.stop());

  const deliver = (key: string) => h.deliver({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });

  it('keeps launching from the cached secrets within the stale window, then answers 503 until it recovers', async () => {
    // The secrets are read during the warm-up, so they serve until 4 s (TTL + stale) after a moment
    // between warmStart and warmEnd; deliveries are judged by when they started and ended.
    const warmStart = Date.now();
    const warm = await deliver('atask-sm-0');
    const warmEnd = Date.now();
    outage = true;

    const during: { answer: HttpAnswer; start: number; end: number }[] = [];
    for (let i = 1; Date.now() - warmStart < 3_000; i++) {
      const start = Date.now();
      const answer = await deliver(`atask-sm-${i}`);
      during.push({ answer, start, end: Date.now() });
      await sleep(150);
    }
    await sleep(Math.max(0, 4_300 - (Date.now() - warmEnd)));
    const expired = await deliver('atask-sm-expired');
    outage = false;
    await sleep(100);
    const recovered = await deliver('atask-sm-expired');

    const surelyInWindow = during.filter(({ end }) => end < warmStart + 4_000);
    const servedStale = surelyInWindow.filter(({ start }) => start > warmEnd + 1_000);
    expect(warm.statusCode).toBe(202);
    expect(servedStale.length).toBeGreaterThanOrEqual(3);
    expect(surelyInWindow.map(({ answer }) => answer.statusCode)).toEqual(surelyInWindow.map(() => 202));
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
    const launchedDuring = during.filter(({ answer }) => answer.statusCode === 202).length;
    expect(h.standIn.tasks).toHaveLength(launchedDuring + 2);
    const everything = [...h.logs, expired.body, recovered.body].join('\n');
    expect(everything).not.toContain(WEBHOOK_SECRET);
    expect(everything).not.toContain(AGENT_TOKEN);
  }, 30_000);

  it('answers 503, not 401 or 2xx, when Secrets Manager is down before any secret was cached', async () => {
    outage = true;

    const answer = await deliver('atask-sm-cold');

    expect(answer.statusCode).toBe(503);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
