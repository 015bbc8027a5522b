import { applyUpdate, type TaskTrail, type TrailUpdate } from './task-trail.js';
import type { TrailStore } from './trail-store.js';

/** Trails in memory (local mode), the oldest dropped past `maxEntries`. */
export class MemoryTrailStore implements TrailStore {
  private readonly trails = new Map<string, TaskTrail>();

  constructor(private readonly maxEntries = 10_000) {}

  async read(taskId: string): Promise<TaskTrail | undefined> {
    return this.trails.get(taskId);
  }

  async record(update: TrailUpdate): Promise<TaskTrail | undefined> {
    const before = this.trails.get(update.taskId);
    this.trails.delete(update.taskId);
    this.trails.set(update.taskId, applyUpdate(before, update));
    if (this.trails.size > this.maxEntries) {
      const oldest = this.trails.keys().next().value;
      if (oldest !== undefined) this.trails.delete(oldest);
    }
    return before;
  }
}
