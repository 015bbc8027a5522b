import type { DispatcherConfig, LaunchTarget } from '../config/config.js';
import type { Env } from '../config/env-reader.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Launcher } from './launcher.js';

/** What a launch target's factory gets: the environment (for its own settings) and shared pieces. */
export interface LauncherContext {
  readonly env: Env;
  readonly config: DispatcherConfig;
  readonly logger: Logger;
}

export type LauncherFactory = (context: LauncherContext) => Launcher | Promise<Launcher>;

/**
 * One lazy import per target, so a target's SDK is loaded only when it is configured
 * (the ECS path never loads the Azure SDK).
 */
const FACTORIES: Record<LaunchTarget, (() => Promise<LauncherFactory>) | undefined> = {
  ecs: async () => (await import('./ecs/create-ecs-launcher.js')).createEcsLauncher,
  aca: async () => (await import('./aca/create-aca-launcher.js')).createAcaLauncher,
  'dry-run': async () => (await import('./dry-run/create-dry-run-launcher.js')).createDryRunLauncher,
  docker: async () => (await import('./docker/create-docker-launcher.js')).createDockerLauncher,
};

/** The launcher for `LAUNCH_TARGET`, wrapped in a failover chain when `FAILOVER_TARGETS` is set. */
export async function createLauncher(context: LauncherContext): Promise<Launcher> {
  const failover = context.env.FAILOVER_TARGETS?.trim();
  if (failover) {
    const { createFailoverLauncher } = await import('./failover/create-failover-launcher.js');
    return createFailoverLauncher(context, failover, createSingleLauncher);
  }
  return createSingleLauncher(context, context.config.target);
}

async function createSingleLauncher(context: LauncherContext, target: LaunchTarget): Promise<Launcher> {
  const load = FACTORIES[target];
  if (load === undefined) {
    throw new ConfigError(`LAUNCH_TARGET=${target} is not available in this version.`);
  }
  let factory: LauncherFactory;
  try {
    factory = await load();
  } catch (error) {
    // A bundle built for another target leaves this target's module out (see scripts/build-lambda.mjs).
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `LAUNCH_TARGET=${context.config.target} is not in this bundle: deploy the bundle built for it.`,
      { cause: error },
    );
  }
  return factory(context);
}
