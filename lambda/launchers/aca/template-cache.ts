import { abortable } from '../../aws/abortable.js';
import type { AcaJob } from './arm-job-api.js';
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
 * An Azure location as a programmatic name (`West Europe` -> `westeurope`), the form `az` and ARM
 * requests use; ARM answers a Container Apps job's location in its display form. Undefined when
 * ARM gave none.
 */
export function azureLocationName(location: string | undefined): string | undefined {
  const name = location?.replace(/\s+/g, '').toLowerCase();
  return name === undefined || name === '' ? undefined : name;
}

/**
 * The job's container definitions, read once from ARM and reused: every start sends them back as
 * the execution override. Concurrent launches share one read; a failed read is not cached. The
 * same read gives the job's location, where its executions run (the trail's `region`).
 */
export class TemplateCache {
  private cached: { value: BaseTemplate; at: number } | undefined;
  private inFlight: Promise<BaseTemplate> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly read: (signal: AbortSignal) => Promise<AcaJob | undefined>,
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

  /** The job's location from the last read, if any (no read is made for it). */
  get location(): string | undefined {
    return this.cached?.value.location;
  }

  /** Forgets the template, e.g. after ARM rejected a start built from it. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(signal: AbortSignal): Promise<BaseTemplate> {
    const job = await this.read(signal);
    const base = baseExecutionTemplate(job?.template, this.options.jobName, this.options.containerName);
    const location = azureLocationName(job?.location);
    const value = location === undefined ? base : { ...base, location };
    this.cached = { value, at: this.now() };
    return value;
  }
}
