import type { DispatcherConfig } from '../config/config.js';
import type { Env } from '../config/env-reader.js';
import type { LaunchLedger } from '../ledger/launch-ledger.js';
import type { Logger } from '../log/logger.js';

/** What a launch target's factory gets: the environment (for its own settings) and shared pieces. */
export interface LauncherContext {
  readonly env: Env;
  readonly config: DispatcherConfig;
  readonly logger: Logger;
  /** The launch ledger to use instead of the one the environment names (tests share one). */
  readonly ledger?: LaunchLedger;
}
