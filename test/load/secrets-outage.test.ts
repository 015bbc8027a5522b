import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpAnswer } from '../../lambda/http/answers.js';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { AGENT_TOKEN, Harness, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';

/**
 * The secrets' age is read from Date.now, and only Date is faked: the clock moves when the test says,
 * so the TTL and stale window are crossed exactly where intended however slow the machine is, while
 * the SDK's retries, the stand-in and the deadlines run on real timers as in production.
 */
describe('Secrets Manager outage', () => {
  let h: Harness;
  let outage = false;
  let t0 = 0;
  /** Moves the clock to `ms` after the warm-up read. */
  const at = (ms: number) => vi.setSystemTime(t0 + ms);

  beforeEach(async () => {
    outage = false;
    vi.useFakeTimers({ toFake: ['Date'] });
    t0 = Date.now();
    h = new Harness({
      faultFor: (operation) =>
        outage && operation === 'GetSecretValue'
          ? { kind: 'error', status: 500, type: 'InternalServiceError', message: 'internal' }
          : undefined,
    });
    // TTL 1 s then 3 s stale: the cached secrets serve until 4 s after they were read.
    await h.start({ SECRET_TTL_SECONDS: '1', SECRET_STALE_SECONDS: '3' });
  });
  afterEach(async () => {
    await h.stop();
    vi.useRealTimers();
  });

  const deliver = (key: string) => h.deliver({ body: scalrBody(key), headers: { 'Idempotency-Key': key } });

  it('keeps launching from the cached secrets within the stale window, then answers 503 until it recovers', async () => {
    const warm = await deliver('atask-sm-0');
    outage = true;

    // Past the TTL (1 s), inside the stale window (until 4 s): served from the cache.
    const during: HttpAnswer[] = [];
    for (const [i, ms] of [1_200, 2_000, 2_800, 3_600].entries()) {
      at(ms);
      during.push(await deliver(`atask-sm-${i + 1}`));
    }
    at(4_300);
    const expired = await deliver('atask-sm-expired');
    outage = false;
    at(4_400);
    const recovered = await deliver('atask-sm-expired');

    expect(warm.statusCode).toBe(202);
    expect(during.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 202]);
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
  });

  it('answers 503, not 401 or 2xx, when Secrets Manager is down before any secret was cached', async () => {
    outage = true;

    const answer = await deliver('atask-sm-cold');

    expect(answer.statusCode).toBe(503);
    expect(h.standIn.tasks).toHaveLength(0);
  });
});
