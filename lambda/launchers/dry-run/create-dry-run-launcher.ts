import type { LauncherContext } from '../launcher-context.js';
import { loadDryRunPlanConfig } from './dry-run-config.js';
import { DryRunLauncher } from './dry-run-launcher.js';

/** Builds the dry-run target (`LAUNCH_TARGET=dry-run`): plans with `ECS_*` settings or placeholders. */
export function createDryRunLauncher({ env, logger }: LauncherContext): DryRunLauncher {
  return new DryRunLauncher({ plan: loadDryRunPlanConfig(env), logger });
}
