import { describe, expect, it } from 'vitest';
import { followTask } from '../../../local/trigger/follow.js';

/** A trail that stays ACCEPTED forever, on a clock the sleeps advance. */
function acceptedForever() {
  let clock = Date.parse('2026-12-04T17:00:00.000Z');
  const trail = {
    status: 'ACCEPTED',
    steps: { received: '2026-12-04T17:00:00.000Z', accepted: '2026-12-04T17:00:00.400Z' },
  };
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms;
    },
    fetch: (async () => new Response(JSON.stringify(trail), { status: 200 })) as typeof fetch,
    start: clock,
  };
}

const OPTIONS = {
  tasksUrl: 'http://127.0.0.1:9/tasks/t',
  secret: 's',
  timeoutMs: 10_000,
  pollMs: 1_000,
  requestTimeoutMs: 500,
};

describe('followTask', () => {
  it('exits 1 when a real launch never reaches RUNNING before the timeout', async () => {
    const io = acceptedForever();
    let out = '';

    const code = await followTask(OPTIONS, io.start, { ...io, out: (t) => (out += t) });

    expect(code).toBe(1);
    expect(out).toContain('not RUNNING after +10.0s (last step ACCEPTED)');
  });

  it('exits 0 as soon as ACCEPTED is shown with untilAccepted (dry run), reading once', async () => {
    const io = acceptedForever();
    let out = '';
    let reads = 0;
    const fetch = (async (...args: Parameters<typeof globalThis.fetch>) => {
      reads++;
      return io.fetch(...args);
    }) as typeof globalThis.fetch;

    const code = await followTask({ ...OPTIONS, untilAccepted: true }, io.start, {
      ...io,
      fetch,
      out: (t) => (out += t),
    });

    expect(code).toBe(0);
    expect(out).toMatch(/RECEIVED\n.*ACCEPTED\n$/s);
    expect(reads).toBe(1);
  });
});
