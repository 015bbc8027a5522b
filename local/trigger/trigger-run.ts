import { randomBytes } from 'node:crypto';
import { followTask } from './follow.js';
import { summarizeLatency } from './latency.js';
import type { TriggerOptions } from './trigger-args.js';

/** The outcome of one request; status 0 means no HTTP answer (network error or timeout). */
export interface TriggerResult {
  readonly taskId: string;
  readonly status: number;
  readonly ms: number;
  readonly launchId?: string;
  readonly duplicate?: boolean;
  /** The dry-run target answered: no agent was started, so none will reach RUNNING. */
  readonly dryRun?: boolean;
  /** Error message from the answer, or the network failure. */
  readonly message?: string;
}

export interface TriggerIo {
  readonly out: (text: string) => void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** Bursts larger than this print failures only, plus the summary. */
const PRINT_EACH_UP_TO = 20;
const MAX_FAILURES_SHOWN = 10;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Scalr's `created_at` format: `2026-11-02T10:15:00+0000`. */
function scalrTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+0000`;
}

/** A body shaped like Scalr's webhook, with ids that say where it came from. */
export function webhookBody(taskId: string, action: string, date = new Date()): Record<string, string> {
  return {
    task_id: taskId,
    action,
    run_id: `run-trigger-${hex(6)}`,
    workspace_id: 'ws-trigger',
    environment_id: 'env-trigger',
    created_at: scalrTime(date),
  };
}

async function sendOne(options: TriggerOptions, io: TriggerIo): Promise<TriggerResult> {
  const taskId = options.taskId ?? `atask-trigger-${hex(8)}`;
  const now = io.now ?? performance.now.bind(performance);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${options.secret}`,
    'idempotency-key': taskId,
    'user-agent': 'agent-dispatcher-trigger',
  };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  const started = now();
  try {
    const answer = await (io.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(webhookBody(taskId, options.action)),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await answer.text();
    const ms = now() - started;
    let body: {
      launchId?: unknown;
      duplicate?: unknown;
      message?: unknown;
      platform?: unknown;
      dryRun?: unknown;
      error?: { message?: unknown };
    } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    const message = body.error?.message ?? body.message;
    return {
      taskId,
      status: answer.status,
      ms,
      launchId: typeof body.launchId === 'string' ? body.launchId : undefined,
      duplicate: typeof body.duplicate === 'boolean' ? body.duplicate : undefined,
      dryRun: body.dryRun === true || body.platform === 'dry-run' ? true : undefined,
      message: typeof message === 'string' ? message : answer.ok ? undefined : text.slice(0, 200),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name =
      (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : undefined;
    return { taskId, status: 0, ms: now() - started, message: name ?? cause ?? (error as Error).message };
  }
}

const ok = (result: TriggerResult) => result.status >= 200 && result.status < 300;

/** One line per request: status, launch id (or the error), task id, round-trip time. */
export function formatResult(result: TriggerResult): string {
  const status = result.status === 0 ? 'ERR' : String(result.status);
  const what = ok(result)
    ? `launch ${result.launchId ?? '?'}${result.duplicate ? ' (duplicate)' : ''}`
    : (result.message ?? 'failed');
  return `${status}  ${what}  task ${result.taskId}  ${result.ms.toFixed(1)} ms\n`;
}

/** The burst summary: counts, failures by status, latency percentiles. */
export function formatSummary(results: readonly TriggerResult[]): string {
  const accepted = results.filter(ok);
  const failedBy = new Map<string, number>();
  for (const result of results) {
    if (ok(result)) continue;
    const key = result.status === 0 ? 'network' : String(result.status);
    failedBy.set(key, (failedBy.get(key) ?? 0) + 1);
  }
  const failed = results.length - accepted.length;
  const byStatus = [...failedBy].map(([key, n]) => `${key}: ${n}`).join(', ');
  const latency = summarizeLatency(results.map((result) => result.ms));
  const duplicates = accepted.filter((result) => result.duplicate).length;
  return [
    `sent ${results.length}, accepted ${accepted.length} (${duplicates} duplicate), failed ${failed}${byStatus ? ` (${byStatus})` : ''}`,
    latency
      ? `latency p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`
      : '',
  ]
    .filter(Boolean)
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * Sends `count` webhooks, `concurrency` at a time; resolves to the exit code (0 all accepted, 1 not).
 * With `follow`, the one task is then followed to its end (see `followTask`).
 */
export async function runTrigger(options: TriggerOptions, io: TriggerIo): Promise<number> {
  if (options.follow) {
    const sentAt = Date.now();
    const result = await sendOne(options, io);
    io.out(formatResult(result));
    if (!ok(result)) return 1;
    const follow = { ...options.follow, tasksUrl: options.follow.tasksUrl(result.taskId) };
    // A dry run starts no agent: waiting the whole timeout for a RUNNING that cannot come helps nobody.
    if (result.dryRun)
      io.out('dry run: no agent is started, so no RUNNING will follow; following until ACCEPTED\n');
    return followTask(
      {
        ...follow,
        apiKey: options.apiKey,
        secret: options.secret,
        requestTimeoutMs: Math.min(options.timeoutMs, 5_000),
        untilAccepted: result.dryRun === true,
      },
      sentAt,
      { out: io.out, fetch: io.fetch },
    );
  }
  const results: TriggerResult[] = [];
  let next = 0;
  let failuresShown = 0;
  const worker = async () => {
    while (next < options.count) {
      next++;
      const result = await sendOne(options, io);
      results.push(result);
      if (options.count <= PRINT_EACH_UP_TO) io.out(formatResult(result));
      else if (!ok(result) && failuresShown++ < MAX_FAILURES_SHOWN) io.out(formatResult(result));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  if (options.count > 1) io.out(formatSummary(results));
  return results.every(ok) ? 0 : 1;
}
