import { HttpClient } from './http-client.js';
import { seededRandom } from './random.js';

export interface SimulatorOptions {
  readonly url: string;
  readonly webhookSecret: string;
  readonly tasks: number;
  readonly seed: number;
  /** Share of tasks delivered once more after their 2xx, on purpose (a duplicate Scalr might send). */
  readonly duplicateShare: number;
  /** Share of tasks whose first delivery goes out twice at the same moment. */
  readonly concurrentShare: number;
  /** Milliseconds waited per second of `Retry-After`: 1000 is real time, 100 runs ten times faster. */
  readonly msPerRetryAfterSecond: number;
  /** First backoff when no Retry-After came (doubles, with jitter, up to 10x). */
  readonly baseBackoffMs: number;
  /** A task whose deliveries all failed is lost; Scalr would eventually give up too. */
  readonly maxDeliveries: number;
  readonly keyPrefix?: string;
}

/** One delivery and its answer; `at` and `ms` are relative to the start of the run. */
export interface DeliveryRecord {
  readonly at: number;
  readonly ms: number;
  readonly status: number;
  readonly launchId?: string;
  readonly duplicate?: boolean;
  readonly target?: string;
  /** The answer's Retry-After, scaled to this run's clock. */
  readonly retryAfterMs?: number;
}

export interface TaskRecord {
  readonly key: string;
  readonly deliveries: DeliveryRecord[];
  /** Time of the first 2xx, relative to the start of the run. */
  acceptedAt?: number;
}

export interface SimulationResult {
  readonly tasks: TaskRecord[];
  readonly durationMs: number;
}

export function scalrPayload(key: string): Record<string, string> {
  return {
    task_id: key,
    action: 'plan',
    run_id: `run-${key}`,
    workspace_id: 'ws-load',
    environment_id: 'env-load',
    created_at: '2026-11-02T09:00:00+0000',
  };
}

/**
 * A simulated Scalr: queues all tasks at once (the 09:00 burst) and delivers each webhook until it
 * gets a 2xx, always with the same Idempotency-Key, waiting `Retry-After` (scaled) or a jittered
 * backoff between deliveries. Some tasks are delivered twice at once, some again after their 2xx.
 */
export async function simulateScalr(options: SimulatorOptions): Promise<SimulationResult> {
  const random = seededRandom(options.seed);
  const client = new HttpClient();
  const start = performance.now();
  const since = () => performance.now() - start;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const deliverOnce = async (task: TaskRecord): Promise<DeliveryRecord> => {
    const at = since();
    const answer = await client.send(options.url, {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${options.webhookSecret}`,
        'idempotency-key': task.key,
      },
      body: Buffer.from(JSON.stringify(scalrPayload(task.key))),
    });
    const parsed = answer.status >= 200 && answer.status < 300 ? safeJson(answer.body) : {};
    const retryAfter = Number(answer.headers['retry-after']);
    const record: DeliveryRecord = {
      at,
      ms: since() - at,
      status: answer.status,
      launchId: typeof parsed.launchId === 'string' ? parsed.launchId : undefined,
      duplicate: parsed.duplicate === true,
      target: typeof parsed.target === 'string' ? parsed.target : undefined,
      retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * options.msPerRetryAfterSecond : undefined,
    };
    task.deliveries.push(record);
    if (record.status >= 200 && record.status < 300) task.acceptedAt ??= since();
    return record;
  };

  const untilAccepted = async (task: TaskRecord): Promise<void> => {
    for (let n = 1; n <= options.maxDeliveries; n++) {
      const record = await deliverOnce(task);
      if (record.status >= 200 && record.status < 300) return;
      const backoff = options.baseBackoffMs * Math.min(10, 2 ** (n - 1)) * (0.5 + random());
      const retryAfterMs = record.retryAfterMs ?? 0;
      await sleep(Math.max(backoff, retryAfterMs));
    }
  };

  const tasks: TaskRecord[] = Array.from({ length: options.tasks }, (_, i) => ({
    key: `${options.keyPrefix ?? 'atask-load'}-${String(i).padStart(5, '0')}`,
    deliveries: [],
  }));
  const plans = tasks.map((task) => ({
    task,
    concurrent: random() < options.concurrentShare,
    again: random() < options.duplicateShare,
  }));
  try {
    await Promise.all(
      plans.map(async ({ task, concurrent, again }) => {
        await Promise.all(concurrent ? [untilAccepted(task), untilAccepted(task)] : [untilAccepted(task)]);
        if (again && task.acceptedAt !== undefined) await deliverOnce(task);
      }),
    );
  } finally {
    client.close();
  }
  return { tasks, durationMs: since() };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
