import { type Env, EnvReader } from '../../config/env-reader.js';
import { LaunchPacer } from './launch-pacer.js';

/**
 * Builds the launch pacer from `LAUNCH_RATE_PER_SECOND` (0 turns pacing off) and `LAUNCH_BURST`.
 * Defaults match Fargate's launch bucket (20 per second, burst 100). The pacer is per process:
 * with N Lambda containers launching at once, set the rate to the account limit divided by N.
 */
export function launchPacerFrom(envVars: Env, maxWaitMs: number): LaunchPacer | undefined {
  const env = new EnvReader(envVars);
  const ratePerSecond = env.integer('LAUNCH_RATE_PER_SECOND', 20, 0, 10_000);
  const burst = env.integer('LAUNCH_BURST', 100, 1, 10_000);
  if (ratePerSecond === 0) return undefined;
  return new LaunchPacer({ ratePerSecond, burst, maxWaitMs });
}
