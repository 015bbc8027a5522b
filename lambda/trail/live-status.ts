import { applyUpdate, type TaskTrail, type TrailUpdate } from './task-trail.js';
import type { TrailLookup } from './trail-store.js';

/** What the platform says of a trail's launch now, or undefined when it cannot say. */
export type LiveStatus = (trail: TaskTrail, signal: AbortSignal) => Promise<TrailUpdate | undefined>;

/**
 * Adds the platform's current status to a stored trail when it is asked for (ACA has no events to
 * push it; Docker runs locally). A stopped trail is final and is not read again.
 */
export function withLiveStatus(
  read: TrailLookup,
  live: LiveStatus,
  /** Keeps what was read (local mode), so a step seen once stays when the platform forgets it. */
  keep?: (update: TrailUpdate, signal: AbortSignal) => Promise<unknown>,
): TrailLookup {
  return async (taskId, signal) => {
    const trail = await read(taskId, signal);
    if (trail === undefined || trail.status === 'STOPPED' || !trail.launchId) return trail;
    const update = await live(trail, signal);
    if (update === undefined) return trail;
    await keep?.(update, signal);
    return applyUpdate(trail, update);
  };
}
