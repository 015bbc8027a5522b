import { afterEach, describe, expect, it, vi } from 'vitest';
import { faults } from '../support/aws-stand-in.js';
import { Harness, scalrBody } from '../support/harness.js';

// ECS throttles every try until the deadline: the production retries, but their backoff waits take no
// real time.
vi.mock('../../lambda/launchers/retry.js', async (importOriginal) =>
  (await import('../support/virtual-backoff.js')).withVirtualBackoff(await importOriginal()),
);

describe('webhook path metrics (EMF lines, no network call)', () => {
  let harness: Harness;
  let lines: Record<string, unknown>[];
  afterEach(() => harness.stop());

  async function start(options: ConstructorParameters<typeof Harness>[0] = {}) {
    lines = [];
    harness = await new Harness(options).start(
      { METRICS: 'emf', METRICS_NAMESPACE: 'AgentDispatcher/Test' },
      { metricSink: (line) => lines.push(JSON.parse(line)) },
    );
  }
  const byOutcome = () => lines.filter((l) => 'Webhooks' in l).map((l) => l.Outcome);

  it('counts launched, duplicate and rejected webhooks, with the launch latency of a new launch', async () => {
    await start();
    const delivery = { body: scalrBody('atask-m1'), headers: { 'idempotency-key': 'atask-m1' } };

    await harness.deliver(delivery);
    await harness.deliver(delivery);
    await harness.deliver({ ...delivery, auth: 'Bearer wrong' });

    expect(byOutcome()).toEqual(['launched', 'duplicate', 'rejected']);
    const launched = lines.find((l) => l.Outcome === 'launched');
    expect(launched?.LaunchLatency).toEqual(expect.any(Number));
    expect(lines.filter((l) => 'LaunchLatency' in l)).toHaveLength(1);
  });

  it('counts a 503 by cause when ECS throttles past the deadline', async () => {
    await start({ faultFor: (operation) => (operation === 'RunTask' ? faults.throttle() : undefined) });

    const answer = await harness.deliver({ body: scalrBody('atask-m2') });

    expect(answer.statusCode).toBe(503);
    expect(byOutcome()).toEqual(['launch_failed']);
    expect(lines.find((l) => 'Unavailable' in l)).toMatchObject({ Cause: 'launch', Unavailable: 1 });
  });
});
