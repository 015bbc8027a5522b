import { type AttemptOutcome, type LaunchLeg, launchOutcome } from './launch-outcome.js';
import type { Launcher, LaunchRequest } from './launcher.js';

/**
 * A launcher that is idempotent per key by itself (Docker's container name, the dry run's memory) as
 * a leg. A configuration error proves nothing started; any other failure may have (see `launchOutcome`).
 */
export function launcherLeg(launcher: Launcher, name: string): LaunchLeg {
  return {
    name,
    target: name,
    platform: launcher.platform,
    idempotent: true,
    settleMs: 0,
    attempt(request: LaunchRequest): Promise<AttemptOutcome> {
      return launchOutcome(launcher, request);
    },
  };
}
