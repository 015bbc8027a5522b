import { afterEach, describe, expect, it } from 'vitest';
import { faults } from '../../support/aws-stand-in.js';
import { ENV0_TOKEN, Env0EcsRig } from '../../support/env0-rig.js';

let rig: Env0EcsRig;

afterEach(async () => {
  await rig.stop();
});

async function started(options: ConstructorParameters<typeof Env0EcsRig>[0] = {}) {
  rig = await new Env0EcsRig(options).start();
  return rig;
}

describe('env0 poller on ECS (KEDA ScaledJob semantics)', () => {
  it('starts one agent per pending task, then none more while those are still starting', async () => {
    await started({ startMs: 60_000 });
    const { poller } = await rig.poller();
    rig.queue.pendingCount = 3;

    const first = await poller.pollOnce();
    const second = await poller.pollOnce();

    expect(first).toMatchObject({ outcome: 'launched', pending: 3, active: 0, started: 3 });
    expect(second).toMatchObject({ outcome: 'idle', pending: 3, active: 3, starting: 3, started: 0 });
    expect(rig.aws.tasks).toHaveLength(3);
    expect(new Set(rig.aws.tasks.map((task) => task.clientToken)).size).toBe(3);
    // Named by source: an operator filtering ECS tasks tells env0 agents from Scalr ones.
    for (const task of rig.aws.tasks) {
      expect(task.startedBy).toMatch(/^env0-/);
      expect(task.input.tags).toContainEqual({ key: 'dispatcher:source', value: 'env0' });
    }
  });

  it('caps the agents at maxExecutions, counting busy ones', async () => {
    await started();
    // No start-up grace: a RUNNING agent counts as busy at once.
    const { poller } = await rig.poller({ MAX_EXECUTIONS: '2', AGENT_STARTUP_SECONDS: '0' });
    rig.queue.pendingCount = 5;

    const first = await poller.pollOnce();
    const second = await poller.pollOnce();

    expect(first.started).toBe(2);
    expect(second).toMatchObject({ outcome: 'idle', active: 2, starting: 0, started: 0 });
    expect(rig.aws.tasks).toHaveLength(2);
  });

  it('counts a RUNNING agent still within agentStartupSeconds as starting: its task is still pending', async () => {
    await started();
    const { poller } = await rig.poller({ AGENT_STARTUP_SECONDS: '60' });
    rig.queue.pendingCount = 2;
    await poller.pollOnce();

    // Both tasks are RUNNING now but their agents have not taken the tasks: the queue still says 2.
    const next = await poller.pollOnce();

    expect(next).toMatchObject({ outcome: 'idle', pending: 2, active: 2, starting: 2, started: 0 });
    expect(rig.aws.tasks).toHaveLength(2);
  });

  it('counts a RUNNING agent past agentStartupSeconds as busy: a task still pending gets its own agent', async () => {
    await started();
    const { poller } = await rig.poller({ AGENT_STARTUP_SECONDS: '1' });
    rig.queue.pendingCount = 1;
    await poller.pollOnce();
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    // The first agent took its task; a new one is waiting.
    const next = await poller.pollOnce();

    expect(next).toMatchObject({ pending: 1, active: 1, starting: 0, started: 1 });
    expect(rig.aws.tasks).toHaveLength(2);
  });

  it('frees the slots of agents that finished', async () => {
    await started();
    const { poller } = await rig.poller({ MAX_EXECUTIONS: '2' });
    rig.queue.pendingCount = 2;
    await poller.pollOnce();

    rig.aws.stopAll('Essential container in task exited');
    const next = await poller.pollOnce();

    expect(next).toMatchObject({ active: 0, started: 2 });
    expect(rig.aws.tasks).toHaveLength(4);
  });

  it('starts nothing when the queue is empty', async () => {
    await started();
    const { poller } = await rig.poller();
    rig.queue.pendingCount = 0;

    const report = await poller.pollOnce();

    expect(report).toMatchObject({ outcome: 'idle', pending: 0, started: 0 });
    expect(rig.aws.calls.RunTask).toBe(0);
  });

  it('starts nothing until the queue exceeds activationTargetValue', async () => {
    await started();
    const { poller } = await rig.poller({ ACTIVATION_TARGET_VALUE: '2' });
    rig.queue.pendingCount = 2;
    const below = await poller.pollOnce();
    rig.queue.pendingCount = 3;
    const above = await poller.pollOnce();

    expect(below.started).toBe(0);
    expect(above.started).toBe(3);
  });

  it('starts ceil(pending / targetValue) agents', async () => {
    await started({ startMs: 60_000 });
    const { poller } = await rig.poller({ TARGET_VALUE: '2' });
    rig.queue.pendingCount = 5;

    const report = await poller.pollOnce();

    expect(report.started).toBe(3);
  });

  it('keeps minExecutions warm agents with an empty queue, and no more', async () => {
    await started();
    const { poller } = await rig.poller({ MIN_EXECUTIONS: '2' });
    rig.queue.pendingCount = 0;

    const first = await poller.pollOnce();
    const second = await poller.pollOnce();

    expect(first.started).toBe(2);
    expect(second.started).toBe(0);
  });

  it('lets only one of two overlapping invocations decide', async () => {
    await started({ startMs: 60_000 });
    const a = await rig.poller();
    const b = await rig.poller();
    rig.queue.pendingCount = 3;

    const overlapping = await Promise.all([a.poller.pollOnce(), b.poller.pollOnce(), a.poller.pollOnce()]);
    await a.poller.release();
    const after = await b.poller.pollOnce();

    expect(overlapping.map((r) => r.outcome).sort()).toEqual(['busy', 'busy', 'launched']);
    expect(after).toMatchObject({ outcome: 'idle', active: 3, started: 0 });
    expect(rig.aws.tasks).toHaveLength(3);
  });

  it('launches a slot whose answer was lost again with the same key, starting no second agent', async () => {
    // The second RunTask starts its task but the answer never arrives: the slot stays planned.
    await started({
      startMs: 60_000,
      faultFor: (operation, n) => (operation === 'RunTask' && n === 2 ? faults.hang(true) : undefined),
    });
    const a = await rig.poller({ POLL_BUDGET_MS: '2500' });
    rig.queue.pendingCount = 3;
    const first = await a.poller.pollOnce();
    await a.poller.release();

    // Another container takes over; env0 still shows all three tasks pending.
    const b = await rig.poller();
    const second = await b.poller.pollOnce();

    expect(first.started).toBe(2);
    expect(second).toMatchObject({ resumed: 1, active: 3, starting: 3, started: 0 });
    expect(rig.aws.tasks).toHaveLength(3);
  });

  it('launches nothing when the phase of its agents cannot be read', async () => {
    await started({
      faultFor: (operation) => (operation === 'DescribeTasks' ? faults.server() : undefined),
    });
    const { poller } = await rig.poller({ MAX_EXECUTIONS: '5' });
    rig.queue.pendingCount = 1;
    await poller.pollOnce();
    rig.queue.pendingCount = 4;

    const report = await poller.pollOnce();

    expect(report).toMatchObject({ outcome: 'skipped', reason: 'status_unknown', started: 0 });
    expect(rig.aws.tasks).toHaveLength(1);
  });
});

describe('env0 poller faults of queue-state', () => {
  it('treats 401 as a configuration error, launches nothing and never logs the token', async () => {
    await started();
    const { poller } = await rig.poller({ AGENT_TOKEN: 'revoked-token-value-9d8c7b' });
    rig.queue.pendingCount = 3;

    const report = await poller.pollOnce();

    expect(report).toMatchObject({ outcome: 'skipped', reason: 'queue_unauthorized', started: 0 });
    expect(rig.aws.calls.RunTask).toBe(0);
    const line = rig.entries().find((entry) => entry.level === 'error');
    expect(line?.message).toMatch(/configuration error/);
    expect(rig.logs.join('\n')).not.toContain('revoked-token-value-9d8c7b');
    expect(rig.logs.join('\n')).not.toContain(ENV0_TOKEN);
  });

  it('retries a 5xx at the next poll', async () => {
    await started({ startMs: 60_000 });
    const { poller } = await rig.poller();
    rig.queue.pendingCount = 2;
    rig.queue.next.push({ kind: 'status', status: 503 });

    const failed = await poller.pollOnce();
    const retried = await poller.pollOnce();

    expect(failed).toMatchObject({ outcome: 'skipped', reason: 'queue_unavailable', started: 0 });
    expect(retried.started).toBe(2);
  });

  it.each([
    ['a hang before the headers', { kind: 'hang' } as const],
    ['a body that never ends', { kind: 'trickle' } as const],
  ])('bounds %s by the deadline and launches nothing', async (_name, answer) => {
    await started();
    const { poller } = await rig.poller();
    rig.queue.pendingCount = 2;
    rig.queue.next.push(answer);

    const report = await poller.pollOnce();

    expect(report).toMatchObject({ outcome: 'skipped', reason: 'queue_unavailable', started: 0 });
    expect(rig.aws.calls.RunTask).toBe(0);
  });

  it.each([
    ['missing', '{}'],
    ['a string', '{"pendingCount":"3"}'],
    ['negative', '{"pendingCount":-1}'],
    ['fractional', '{"pendingCount":1.5}'],
    ['not JSON', '<html>maintenance</html>'],
  ])('launches nothing when pendingCount is %s, and logs why', async (_name, body) => {
    await started();
    const { poller } = await rig.poller();
    rig.queue.next.push({ kind: 'body', body });

    const report = await poller.pollOnce();

    expect(report).toMatchObject({ outcome: 'skipped', reason: 'queue_invalid', started: 0 });
    expect(rig.aws.calls.RunTask).toBe(0);
    expect(rig.entries().some((entry) => entry.reason === 'queue_invalid' && entry.level === 'warn')).toBe(
      true,
    );
  });
});
