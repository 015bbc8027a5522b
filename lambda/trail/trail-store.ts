import type { TaskTrail, TrailUpdate } from './task-trail.js';

/** Where trails are kept: DynamoDB in a deployment, memory in local mode. */
export interface TrailStore {
  /** The trail of a task, or undefined when none was recorded. Rejects when it cannot tell. */
  read(taskId: string, signal: AbortSignal): Promise<TaskTrail | undefined>;
  /** Applies one report; resolves to the trail as it was before (undefined when new). */
  record(update: TrailUpdate, signal: AbortSignal): Promise<TaskTrail | undefined>;
}

/** Reads a trail, adding what the platform says now (ACA execution status, Docker container state). */
export type TrailLookup = (taskId: string, signal: AbortSignal) => Promise<TaskTrail | undefined>;
