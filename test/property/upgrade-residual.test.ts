/**
 * The property's check for the one double docs/reliability.md accepts (upgrade from the release
 * without a ledger straight to Spot → on-demand, `upgradeResidual` in schedule.ts), replayed
 * deterministically both ways: it accepts the documented path and refuses the same two agents when
 * the new release's Spot leg met the token conflict and moved on anyway (issue 20's case 4).
 *
 * Found under CPU load (two `node -e 'for(;;){}'` beside the property test): the old release started
 * the agent of a reused key's other task; ECS forgot that task (MISSING), so a delivery of the new
 * release met the conflict and answered 422 (the key is not the task id). A later delivery's Spot
 * leg ran out of time before its first call (its ledger writes took the leg's share) and moved on
 * to the on-demand leg, as documented. The check used to refuse the double because *some* Spot call
 * of the new release had met the conflict, though not the one of the delivery that moved on.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError } from '../../lambda/errors.js';
import { EcsLeg } from '../../lambda/launchers/ecs/ecs-leg.js';
import { type LaunchLeg, refused } from '../../lambda/launchers/launch-outcome.js';
import type { LaunchRequest } from '../../lambda/launchers/launcher.js';
import { SingleLegLauncher } from '../../lambda/launchers/single-leg-launcher.js';
import { MemoryLedger } from '../../lambda/ledger/memory-ledger.js';
import { type Agent, ECS_CONFIG, ledgered, RETRY, upgradeResidual } from './schedule.js';
import { deliveryScope, EcsWorld, FaultyLedger, Journal, sleep } from './sim-cloud.js';

const KEY = 'atask-u1';
/** The agent of the reused key's other Scalr task: every delivery here is that task's. */
const TASK = `${KEY}-other-task`;
const UPGRADE = { from: 'legacy-ecs', to: 'spot-then-ondemand' } as const;

const request = (): LaunchRequest => ({
  dedupKey: KEY,
  taskId: TASK,
  manual: false,
  deadline: Date.now() + 1_000,
});

type Sender = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };

function leg(client: Sender, provider: 'FARGATE' | 'FARGATE_SPOT', name: string, tokenLeg?: string): EcsLeg {
  return new EcsLeg(client as unknown as ECSClient, ECS_CONFIG, {
    name,
    target: 'ecs',
    provider,
    retryAfterSeconds: 1,
    retry: RETRY,
    failFastOnCapacity: provider === 'FARGATE_SPOT',
    ...(tokenLeg === undefined ? {} : { tokenLeg }),
  });
}

/** A Spot → on-demand container of the new release (v1), over `world`, its Spot leg replaced by `spot`. */
function upgraded(world: EcsWorld, ledger: FaultyLedger, index: number, spot?: (leg: EcsLeg) => LaunchLeg) {
  const own = leg(world.client('v1'), 'FARGATE_SPOT', 'ecs/FARGATE_SPOT');
  return ledgered(
    [spot?.(own) ?? own, leg(world.client('v1'), 'FARGATE', 'ecs/FARGATE_AFTER_SPOT', 'FARGATE')],
    ledger,
    index,
  );
}

/** The agents of the key, as the property's check sees them. */
const agents = (world: EcsWorld): Agent[] =>
  world.tasks.map((task) => ({
    key: KEY,
    taskId: task.taskId,
    by: task.by,
    launchId: task.arn,
    provider: task.provider,
  }));

/**
 * The old release starts the agent, ECS forgets it (stopped, MISSING), and a delivery of the new
 * release meets the token conflict and answers 422. Returns the world and the ledger for the next.
 */
async function upgradeAfterA422() {
  const journal = new Journal();
  const world = new EcsWorld('us-east-1', [], false, journal, { lifetimeMs: 1, forgetMs: 0 });
  const ledger = new FaultyLedger(new MemoryLedger({ ttlMs: 60_000 }), [], journal);
  const legacy = new SingleLegLauncher(leg(world.client('v0'), 'FARGATE', 'ecs/FARGATE'));
  await deliveryScope.run('d1', () => legacy.launch(request()));
  await sleep(5);
  await expect(
    deliveryScope.run('d2', () => upgraded(world, ledger, 0).launch(request())),
  ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  expect(journal.lines.some((line) => line.includes('[d2] ecs us-east-1 CONFLICT'))).toBe(true);
  return { journal, world, ledger };
}

describe('the upgrade double the property accepts', () => {
  it('is accepted when the delivery that moved on to on-demand never reached the token check', async () => {
    const { journal, world, ledger } = await upgradeAfterA422();
    // Spot throttled for the whole of its share (a Spot call that never reaches ECS's token check).
    const throttled = (own: EcsLeg) =>
      leg(
        {
          send: () =>
            Promise.reject(
              Object.assign(new Error('Rate exceeded'), {
                name: 'ThrottlingException',
                $metadata: { httpStatusCode: 400 },
                $fault: 'client',
              }),
            ),
        },
        'FARGATE_SPOT',
        own.name,
      );
    const result = await deliveryScope.run('d3', () =>
      upgraded(world, ledger, 1, throttled).launch(request()),
    );

    const started = agents(world);
    expect(
      started.map((a) => `${a.by} ${a.provider}`),
      journal.lines.join('\n'),
    ).toEqual(['v0 FARGATE', 'v1 FARGATE']);
    expect(result.launchId).toBe(started[1]?.launchId);
    expect(upgradeResidual(UPGRADE, journal, KEY, started), journal.lines.join('\n')).toBe(true);
    // Only for that upgrade: the same agents after any other change are a violation.
    expect(upgradeResidual({ from: 'single-ecs', to: 'spot-then-ondemand' }, journal, KEY, started)).toBe(
      false,
    );
  });

  it('is refused when that delivery met the token conflict on Spot and moved on anyway (case 4)', async () => {
    const { journal, world, ledger } = await upgradeAfterA422();
    // Case 4 reverted: the conflict's refusal is taken as the platform's, so the next leg runs.
    const movesOn = (own: EcsLeg): LaunchLeg =>
      Object.assign(Object.create(own) as EcsLeg, {
        attempt: async (r: LaunchRequest) => {
          const outcome = await own.attempt(r);
          return outcome.kind === 'refused' && outcome.by === 'policy' ? refused(outcome.error) : outcome;
        },
      });
    await deliveryScope.run('d3', () => upgraded(world, ledger, 1, movesOn).launch(request()));

    const started = agents(world);
    expect(
      started.map((a) => `${a.by} ${a.provider}`),
      journal.lines.join('\n'),
    ).toEqual(['v0 FARGATE', 'v1 FARGATE']);
    expect(journal.lines.some((line) => line.includes('[d3] ecs us-east-1 CONFLICT'))).toBe(true);
    expect(upgradeResidual(UPGRADE, journal, KEY, started), journal.lines.join('\n')).toBe(false);
  });
});
