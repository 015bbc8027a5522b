import type { LaunchTarget } from '../config/config.js';
import type { Env } from '../config/env-reader.js';
import type { LauncherContext } from './launcher-context.js';

export type { LauncherContext };

import { ConfigError } from '../errors.js';
import { hasLedgerTable } from '../ledger/ledger-config.js';
import { targetEntries } from './failover/failover-targets.js';
import type { LaunchLeg } from './launch-outcome.js';
import type { Launcher } from './launcher.js';
import { launcherLeg } from './launcher-leg.js';
import { LedgeredLauncher } from './ledgered-launcher.js';
import { SingleLegLauncher } from './single-leg-launcher.js';

/** Builds the legs of one target; `name` is the target's name (`ecs`, `ecs:SECONDARY`, ...). */
export type LegFactory = (context: LauncherContext, name: string) => LaunchLeg[] | Promise<LaunchLeg[]>;

/**
 * One lazy import per target, so a target's SDK is loaded only when it is configured
 * (the ECS path never loads the Azure SDK).
 */
const FACTORIES: Record<LaunchTarget, () => Promise<LegFactory>> = {
  ecs: async () => (await import('./ecs/create-ecs-legs.js')).createEcsLegs,
  aca: async () => {
    const { createAcaLeg } = await import('./aca/create-aca-leg.js');
    return (context, name) => [createAcaLeg(context, name)];
  },
  'dry-run': async () => {
    const { createDryRunLauncher } = await import('./dry-run/create-dry-run-launcher.js');
    return (context, name) => [launcherLeg(createDryRunLauncher(context), name)];
  },
  docker: async () => {
    const { createDockerLauncher } = await import('./docker/create-docker-launcher.js');
    return (context, name) => [launcherLeg(createDockerLauncher(context), name)];
  },
};

/**
 * The launcher for `LAUNCH_TARGET` and any `FAILOVER_TARGETS`. Wherever a ledger table is named
 * (every deployed stack), every launch goes through the launch ledger: a key launched on a leg an
 * earlier configuration had (Spot's on-demand leg, a failover target, ACA) is answered from its
 * record, not launched again on a token the platform has never seen. Without a table, one
 * idempotent leg (plain ECS, Docker, dry run) launches on the platform's own idempotency; anything
 * else (ACA, Spot then on-demand, failover) needs the ledger (in memory in local mode).
 */
export async function createLauncher(context: LauncherContext): Promise<Launcher> {
  const legs: LaunchLeg[] = [];
  for (const entry of targetEntries(context.env, context.config.target)) {
    const factory = await loadFactory(entry.target, context.config.target);
    legs.push(
      ...(await factory(
        { ...context, env: entry.env, config: { ...context.config, target: entry.target } },
        entry.name,
      )),
    );
  }
  const [only] = legs;
  if (legs.length === 1 && only?.idempotent && !hasLedgerTable(context.env)) {
    return new SingleLegLauncher(only, context.config.retryAfterSeconds);
  }
  const ledger =
    context.ledger ??
    (await import('../ledger/create-ledger.js')).createLedger(
      context.env,
      ledgerScope(context.env, context.config.target),
      context.config.retryAfterSeconds,
    );
  return new LedgeredLauncher(legs, ledger, {
    retryAfterSeconds: context.config.retryAfterSeconds,
    logger: context.logger,
  });
}

/** Keys of one pool in a shared table; ACA keeps the scope its de-duplication records always had. */
function ledgerScope(env: Env, target: LaunchTarget): string {
  if (target === 'aca') return `${env.ACA_SUBSCRIPTION_ID}/${env.ACA_RESOURCE_GROUP}/${env.ACA_JOB_NAME}`;
  return `${target}/${env.AWS_REGION ?? ''}/${env.ECS_CLUSTER ?? ''}`;
}

async function loadFactory(target: LaunchTarget, primary: LaunchTarget): Promise<LegFactory> {
  try {
    return await FACTORIES[target]();
  } catch (error) {
    // A bundle built for another target leaves this target's module out (see lib/lambda-bundling.ts).
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `LAUNCH_TARGET=${primary}${target === primary ? '' : ` (failover target ${target})`} is not in this bundle: deploy the bundle built for it.`,
      { cause: error },
    );
  }
}
