import type { JobTemplate } from '@azure/arm-appcontainers';
import { abortable } from '../../aws/abortable.js';
import { type BaseTemplate, baseExecutionTemplate } from './job-template.js';

export type { BaseTemplate };

export interface TemplateCacheOptions {
  readonly jobName: string;
  readonly containerName: string | undefined;
  /** The job's template is read again after this long (0: on every launch). */
  readonly ttlMs: number;
  /** Longest one shared read may take (its own limit: callers share it and each waits its own time). */
  readonly readTimeoutMs?: number;
  readonly now?: () => number;
}

/**
 * The job's container definitions, read once from ARM and reused: every start sends them back as
 * the execution override. Concurrent launches share one read; a failed read is not cached.
 */
export class TemplateCache {
  private cached: { value: BaseTemplate; at: number } | undefined;
  private inFlight: Promise<BaseTemplate> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly read: (signal: AbortSignal) => Promise<JobTemplate | undefined>,
    private readonly options: TemplateCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The template; a caller waits for a shared read only until its own signal fires. The read itself
   * runs under its own timeout, not the first caller's signal, so that caller giving up does not
   * fail the others, and a later caller is never held past its deadline by an earlier one's budget.
   */
  async get(signal: AbortSignal): Promise<BaseTemplate> {
    if (this.cached !== undefined && this.now() - this.cached.at < this.options.ttlMs)
      return this.cached.value;
    this.inFlight ??= this.load(AbortSignal.timeout(this.options.readTimeoutMs ?? 8_000)).finally(() => {
      this.inFlight = undefined;
    });
    return abortable(this.inFlight, signal, () => signal.reason ?? new Error('template read aborted'));
  }

  /** Forgets the template, e.g. after ARM rejected a start built from it. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(signal: AbortSignal): Promise<BaseTemplate> {
    const value = baseExecutionTemplate(
      await this.read(signal),
      this.options.jobName,
      this.options.containerName,
    );
    this.cached = { value, at: this.now() };
    return value;
  }
}
