import type {
  ClaimOutcome,
  ClaimRequest,
  LaunchLedger,
  LedgerAttempt,
  LedgerRecord,
  RecordedLaunch,
} from './launch-ledger.js';

export interface MemoryLedgerOptions {
  /** Records are forgotten this long after they were last written. */
  readonly ttlMs: number;
  /** Most keys kept; the oldest are forgotten first. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

/**
 * The launch ledger in this process's memory: for local mode (`npm start`), where one process
 * serves every request, and for tests. Same semantics as the DynamoDB ledger, minus durability.
 */
export class MemoryLedger implements LaunchLedger {
  private readonly records = new Map<string, { record: LedgerRecord; writtenAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: MemoryLedgerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A copy of the record of `key`, for tests and diagnostics. */
  peek(key: string): LedgerRecord | undefined {
    return this.get(key);
  }

  async claim(key: string, claim: ClaimRequest, _signal?: AbortSignal): Promise<ClaimOutcome> {
    const existing = this.get(key);
    if (existing?.state === 'launched') return { kind: 'launched', record: existing };
    if (existing !== undefined && existing.owner !== claim.owner && existing.leaseUntil > this.now()) {
      return { kind: 'busy', record: existing };
    }
    const record: LedgerRecord = {
      key,
      taskId: existing?.taskId ?? claim.taskId,
      state: 'claimed',
      owner: claim.owner,
      leaseUntil: claim.leaseUntil,
      attempts: existing?.attempts ?? [],
    };
    this.put(record);
    return { kind: 'claimed', record };
  }

  async addAttempt(key: string, owner: string, attempt: LedgerAttempt): Promise<boolean> {
    return this.update(key, owner, (record) => ({
      ...record,
      attempts: [...record.attempts.filter((a) => a.id !== attempt.id), attempt],
    }));
  }

  async markRefused(key: string, owner: string, attemptId: string): Promise<boolean> {
    return this.update(key, owner, (record) => ({
      ...record,
      attempts: record.attempts.map((a) => (a.id === attemptId ? { ...a, state: 'refused' as const } : a)),
    }));
  }

  async complete(key: string, owner: string, launch: RecordedLaunch): Promise<boolean> {
    const existing = this.get(key);
    // A retry after a lost answer finds its own completion: matched on the owner, as in DynamoDB.
    if (existing?.state === 'launched') return existing.owner === owner;
    return this.update(key, owner, (record) => ({ ...record, state: 'launched', launch, leaseUntil: 0 }));
  }

  async suspend(key: string, owner: string): Promise<void> {
    this.update(key, owner, (record) => ({ ...record, leaseUntil: 0 }));
  }

  async release(key: string, owner: string): Promise<void> {
    const existing = this.get(key);
    if (existing?.owner === owner && existing.state === 'claimed') this.records.delete(key);
  }

  private update(key: string, owner: string, change: (record: LedgerRecord) => LedgerRecord): boolean {
    const existing = this.get(key);
    if (existing === undefined || existing.owner !== owner || existing.state !== 'claimed') return false;
    this.put(change(existing));
    return true;
  }

  private get(key: string): LedgerRecord | undefined {
    const entry = this.records.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.writtenAt > this.options.ttlMs) {
      this.records.delete(key);
      return undefined;
    }
    return entry.record;
  }

  private put(record: LedgerRecord): void {
    this.records.delete(record.key);
    this.records.set(record.key, { record, writtenAt: this.now() });
    const max = this.options.maxKeys ?? 100_000;
    for (const oldest of this.records.keys()) {
      if (this.records.size <= max) break;
      // A claimed key is never dropped for room: forgetting it could launch twice.
      if (this.records.get(oldest)?.record.state === 'launched') this.records.delete(oldest);
      else break;
    }
  }
}
