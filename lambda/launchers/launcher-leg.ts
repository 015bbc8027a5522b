import { ConfigError } from '../errors.js';
import {
  type AttemptOutcome,
  accepted,
  ambiguous,
  errorOf,
  type LaunchLeg,
  refused,
} from './launch-outcome.js';
import type { Launcher, LaunchRequest } from './launcher.js';

/**
 * A launcher that is idempotent per key by itself (Docker's container name, the dry run's memory) as
 * a leg. A configuration error proves nothing started; any other failure may have.
 */
export function launcherLeg(launcher: Launcher, name: string): LaunchLeg {
  return {
    name,
    target: name,
    platform: launcher.platform,
    idempotent: true,
    settleMs: 0,
    async attempt(request: LaunchRequest): Promise<AttemptOutcome> {
      try {
        return accepted(await launcher.launch(request));
      } catch (error) {
        return error instanceof ConfigError ? refused(error) : ambiguous(errorOf(error));
      }
    },
  };
}
