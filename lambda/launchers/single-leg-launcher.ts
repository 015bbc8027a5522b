import type { LaunchLeg } from './launch-outcome.js';
import type { Launcher, LaunchRequest, LaunchResult } from './launcher.js';

/**
 * A launcher of one idempotent leg (plain ECS: one cluster, one capacity provider). The platform's
 * own idempotency (the RunTask `clientToken`) makes every re-delivery the same launch, so no ledger
 * is needed: an accepted attempt answers, anything else is thrown for the dispatcher to answer.
 */
export class SingleLegLauncher implements Launcher {
  readonly platform: string;

  constructor(private readonly leg: LaunchLeg) {
    if (!leg.idempotent) throw new Error(`${leg.name} is not idempotent: it needs the launch ledger`);
    this.platform = leg.platform;
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const outcome = await this.leg.attempt(request);
    if (outcome.kind === 'accepted') return outcome.result;
    throw outcome.error;
  }
}
