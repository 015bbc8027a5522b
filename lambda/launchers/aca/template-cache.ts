import type { JobExecutionContainer, JobTemplate } from '@azure/arm-appcontainers';
import { baseExecutionTemplate } from './job-template.js';

export type BaseTemplate = { containers: JobExecutionContainer[]; agentIndex: number };

export interface TemplateCacheOptions {
  readonly jobName: string;
  readonly containerName: string | undefined;
  /** The job's template is read again after this long (0: on every launch). */
  readonly ttlMs: number;
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

  async get(signal: AbortSignal): Promise<BaseTemplate> {
    if (this.cached !== undefined && this.now() - this.cached.at < this.options.ttlMs)
      return this.cached.value;
    this.inFlight ??= this.load(signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
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
