import type { LeaseOutcome, PoolStore, TrackedAgent } from './pool-store.js';

/** The pool record in this process's memory: local mode (one process) and tests. */
export class MemoryPoolStore implements PoolStore {
  owner = '';
  leaseUntil = 0;
  agents: readonly TrackedAgent[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(owner: string, leaseUntil: number): Promise<LeaseOutcome> {
    if (this.owner !== owner && this.leaseUntil > this.now()) {
      return { kind: 'busy', leaseUntil: this.leaseUntil };
    }
    this.owner = owner;
    this.leaseUntil = leaseUntil;
    return { kind: 'acquired', agents: this.agents };
  }

  async save(owner: string, agents: readonly TrackedAgent[]): Promise<boolean> {
    if (this.owner !== owner) return false;
    this.agents = [...agents];
    return true;
  }

  async release(owner: string): Promise<void> {
    if (this.owner === owner) this.leaseUntil = 0;
  }
}
