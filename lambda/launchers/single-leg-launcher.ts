import { type LaunchLeg, type LaunchOutcome, type OutcomeLauncher, resultOf } from './launch-outcome.js';
import type { LaunchRequest, LaunchResult } from './launcher.js';

/**
 * A launcher of one idempotent leg (plain ECS: one cluster, one capacity provider) where no ledger
 * table exists (local mode, Docker, dry run): the platform's own idempotency (the RunTask
 * `clientToken`) makes every re-delivery within one configuration the same launch. A deployed stack
 * always has a ledger, which also decides across configuration changes (see `registry.ts`): `tryLaunch` is the leg's attempt, and `launch` answers an accepted attempt, throws a
 * refusal's error and an ambiguous attempt as a 503 (whatever its error's class).
 */
export class SingleLegLauncher implements OutcomeLauncher {
  readonly platform: string;

  constructor(
    private readonly leg: LaunchLeg,
    /** `Retry-After` for an ambiguous attempt whose error does not carry one. */
    private readonly retryAfterSeconds = 30,
  ) {
    if (!leg.idempotent) throw new Error(`${leg.name} is not idempotent: it needs the launch ledger`);
    this.platform = leg.platform;
  }

  tryLaunch(request: LaunchRequest): Promise<LaunchOutcome> {
    return this.leg.attempt(request);
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    return resultOf(await this.tryLaunch(request), this.retryAfterSeconds);
  }
}
