import type { LaunchRequest, LaunchResult } from './launcher.js';

/** Errors whose launch attempts were all refused outright, so the platform cannot have started a task. */
const ruledOut = new WeakSet<object>();

/**
 * Marks a launcher error as proof that nothing was launched for the key in this call: every
 * attempt was refused by the platform (4xx, a `failures` answer) or never left this process.
 * A failover launcher may then move to the next target without asking this one again.
 */
export function markLaunchRuledOut<E extends object>(error: E): E {
  ruledOut.add(error);
  return error;
}

/** True when the error carries proof that the failed call started nothing. */
export function isLaunchRuledOut(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ruledOut.has(error);
}

/** A launcher that can say whether a key already has a launch (pending or running) on its platform. */
export interface LaunchFinder {
  /** The earlier launch for the key, or undefined when there is none; throws when it cannot tell. */
  findLaunch(request: LaunchRequest, signal: AbortSignal): Promise<LaunchResult | undefined>;
}

export function canFindLaunches(launcher: object): launcher is LaunchFinder {
  return typeof (launcher as Partial<LaunchFinder>).findLaunch === 'function';
}
