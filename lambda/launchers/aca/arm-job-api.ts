import type { ContainerAppsAPIClient, JobExecutionTemplate, JobTemplate } from '@azure/arm-appcontainers';
import { DEDUP_KEY_VARIABLE } from './job-template.js';
import { startOperationSpec } from './start-operation.js';

/** An execution ARM accepted: its name and id, or only the operation URL when ARM gave neither. */
export interface StartedExecution {
  readonly name?: string;
  readonly id?: string;
  /** `Location` / `Azure-AsyncOperation` of a 202 answer. */
  readonly operation?: string;
  /** HTTP status of the start answer (200, 201 or 202). */
  readonly status: number;
}

/** What the launcher keeps of the job resource (GET .../jobs/{job}). */
export interface AcaJob {
  readonly template?: JobTemplate;
  /** The job's Azure location as ARM writes it (`West Europe` or `westeurope`). */
  readonly location?: string;
}

/** The three ARM calls the launcher makes on one job. */
export interface AcaJobApi {
  /** The job's container template and location (GET .../jobs/{job}). */
  readJob(signal: AbortSignal): Promise<AcaJob | undefined>;
  /** POST .../jobs/{job}/start with an execution override; resolves once ARM accepted the start. */
  start(template: JobExecutionTemplate, signal: AbortSignal): Promise<StartedExecution>;
  /** An execution whose agent container carries this de-duplication key, among the recent ones. */
  findExecution(dedupKey: string, signal: AbortSignal): Promise<StartedExecution | undefined>;
}

interface RawResponse {
  status: number;
  headers: { get(name: string): string | undefined };
  parsedBody?: unknown;
}

/** `AcaJobApi` over the real `@azure/arm-appcontainers` client. */
export class ArmJobApi implements AcaJobApi {
  constructor(
    private readonly client: ContainerAppsAPIClient,
    private readonly resourceGroup: string,
    private readonly jobName: string,
  ) {}

  async readJob(signal: AbortSignal): Promise<AcaJob | undefined> {
    const job = await this.client.jobs.get(this.resourceGroup, this.jobName, { abortSignal: signal });
    return { template: job.template, location: job.location };
  }

  async start(template: JobExecutionTemplate, signal: AbortSignal): Promise<StartedExecution> {
    // One POST and nothing else: the SDK's jobs.beginStart polls the operation once before it
    // returns, an extra ARM call in the webhook's path whose failure would turn an accepted start
    // into an error (and a retried webhook into a second agent).
    let initial: RawResponse | undefined;
    await this.client.sendOperationRequest(
      {
        resourceGroupName: this.resourceGroup,
        jobName: this.jobName,
        template,
        options: {
          abortSignal: signal,
          onResponse: (response: unknown) => {
            initial = response as RawResponse;
          },
        },
      },
      startOperationSpec,
    );
    // The raw answer, not the SDK's flattened one (which wraps a body it has no mapper for).
    const body = (initial?.parsedBody ?? {}) as { name?: string; id?: string };
    return {
      name: body.name,
      id: body.id,
      operation: initial?.headers.get('azure-asyncoperation') ?? initial?.headers.get('location'),
      status: initial?.status ?? 200,
    };
  }

  async findExecution(dedupKey: string, signal: AbortSignal): Promise<StartedExecution | undefined> {
    // ARM lists newest first, so a lost start is usually on the first page; but a busy job (or a
    // small page size) pushes it further, so every page is read until the key turns up. Each page is
    // also raced against the signal: SDK 3 passes it to every page request, SDK 4 to the first only.
    const pages = this.client.jobsExecutions
      .list(this.resourceGroup, this.jobName, { abortSignal: signal })
      .byPage();
    for (;;) {
      const page = await untilAborted(() => pages.next(), signal);
      if (page.done) return undefined;
      const match = page.value.find((execution) =>
        execution.template?.containers?.some((container) =>
          container.env?.some((v) => v.name === DEDUP_KEY_VARIABLE && v.value === dedupKey),
        ),
      );
      if (match !== undefined) return { name: match.name, id: match.id, status: 200 };
    }
  }
}

/** What `next` resolves to, or a rejection named AbortError (as the Azure SDK throws) once `signal` fires. */
function untilAborted<T>(next: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = () =>
    Object.assign(new Error('The operation was aborted.', { cause: signal.reason }), { name: 'AbortError' });
  if (signal.aborted) return Promise.reject(aborted());
  let onAbort: (() => void) | undefined;
  return Promise.race([
    next(),
    new Promise<never>((_, reject) => {
      onAbort = () => reject(aborted());
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  ]).finally(() => {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  });
}
