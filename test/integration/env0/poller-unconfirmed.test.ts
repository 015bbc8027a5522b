import { afterEach, describe, expect, it } from 'vitest';
import { faults, type Operation } from '../../support/aws-stand-in.js';
import { Env0EcsRig } from '../../support/env0-rig.js';

/**
 * Issue 20, case 2 on the env0 poller: RunTask's answer is lost (the task exists) and the retry is
 * refused with a configuration error. The launch is ambiguous, so the poller keeps the slot until
 * ECS answers for its key; it must never start a second agent past maxExecutions nor lose track of
 * the first.
 */
let rig: Env0EcsRig;

afterEach(async () => {
  await rig.stop();
});

/** The first RunTask creates its task but loses its answer; later ones are denied while `denied()`. */
function lostThenDenied(denied: () => boolean) {
  return (operation: Operation, n: number) => {
    if (operation !== 'RunTask') return undefined;
    if (n === 1) return faults.late(0);
    return denied() ? faults.accessDenied() : undefined;
  };
}

describe('env0 poller: a launch whose answer was lost and whose retry was denied', () => {
  it('keeps the slot, reports nothing started, and tracks the one agent once ECS answers for its key', async () => {
    let denied = true;
    rig = await new Env0EcsRig({ startMs: 60_000, faultFor: lostThenDenied(() => denied) }).start();
    const { poller } = await rig.poller({ MAX_EXECUTIONS: '1' });
    rig.queue.pendingCount = 1;

    const first = await poller.pollOnce();
    await rig.aws.landed();
    denied = false;
    const second = await poller.pollOnce();
    const third = await poller.pollOnce();

    expect(first).toMatchObject({ outcome: 'launched', started: 0 });
    expect(second).toMatchObject({ resumed: 1, active: 1, started: 0 });
    expect(third).toMatchObject({ outcome: 'idle', active: 1, started: 0 });
    expect(rig.aws.tasks).toHaveLength(1);
    // The key carries the pool's own prefix (scope and token secret), not a bare 'env0'.
    expect(rig.aws.tasks[0]?.clientToken).toMatch(/^env0-[0-9a-f]{10}-[0-9a-z]+-[0-9a-f]{6}-0$/);
    expect(rig.store.agents).toEqual([
      expect.objectContaining({ launchId: rig.aws.tasks[0]?.taskArn, key: rig.aws.tasks[0]?.clientToken }),
    ]);
  });

  it('decides nothing new while the slot is unconfirmed, however long the denial lasts', async () => {
    rig = await new Env0EcsRig({ startMs: 60_000, faultFor: lostThenDenied(() => true) }).start();
    const { poller } = await rig.poller({ MAX_EXECUTIONS: '3' });
    rig.queue.pendingCount = 1;
    await poller.pollOnce();
    await rig.aws.landed();
    // More work arrives; the one slot is still unconfirmed.
    rig.queue.pendingCount = 3;

    const reports = [await poller.pollOnce(), await poller.pollOnce()];

    for (const report of reports) {
      expect(report).toMatchObject({ outcome: 'skipped', reason: 'slot_unconfirmed', started: 0 });
    }
    expect(rig.aws.tasks).toHaveLength(1);
    const tokens = new Set(rig.store.agents.map((agent) => agent.key));
    expect(tokens).toEqual(new Set([rig.aws.tasks[0]?.clientToken]));
    expect(rig.store.agents[0]).toMatchObject({ unconfirmed: true });
  });
});
