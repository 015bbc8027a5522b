import { parseArgs } from 'node:util';
import type { Env } from '../../lambda/config/env-reader.js';
import { tasksUrlFor } from './follow.js';

/** What one run of the trigger command does. */
export interface TriggerOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly secret: string;
  /** Sent in every request when given (a burst of one key tests de-duplication); else a new id each. */
  readonly taskId?: string;
  readonly action: string;
  readonly count: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** After the webhook, poll `GET /tasks/{taskId}` and print each step (`--follow`). */
  readonly follow?: {
    readonly tasksUrl: (taskId: string) => string;
    readonly timeoutMs: number;
    readonly pollMs: number;
  };
}

export type ParsedTriggerArgs =
  | { readonly kind: 'run'; readonly options: TriggerOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const DEFAULT_URL = 'http://127.0.0.1:8080/trigger';
export const MAX_COUNT = 10_000;
export const MAX_CONCURRENCY = 256;

export const TRIGGER_HELP = `Usage: npm run trigger -- [options]
       npx agent-dispatcher-trigger [options]

Sends a Scalr-shaped webhook (task_id, action, run_id, ... and an Idempotency-Key header) to a
dispatcher and prints the status, the launch id and the round-trip time of each request.

Options:
  --url URL             webhook URL (env DISPATCHER_URL; default ${DEFAULT_URL})
  --api-key KEY         x-api-key header (env API_KEY; omitted when unset)
  --secret SECRET       webhook secret, sent as "Authorization: Bearer" (env WEBHOOK_SECRET; required)
  --task-id ID          task id and Idempotency-Key for every request (default: a new one per request)
  --action ACTION       task action (default plan)
  --count N             requests to send (default 1, at most ${MAX_COUNT})
  --concurrency C       requests in flight at once (default 1, at most ${MAX_CONCURRENCY})
  --timeout-ms MS       give up on one request after this long (default 30000)
  --follow              then read GET /tasks/{taskId} and print each step (RECEIVED, ACCEPTED,
                        PROVISIONING, PENDING, RUNNING, STOPPED) with the time since the webhook,
                        until the agent stops; exit 1 if it never reached RUNNING or exited non-zero
  --timeout SECONDS     with --follow: stop following after this long (default 600)
  --poll-ms MS          with --follow: pause between two reads (default 1000, at least 200)
  -h, --help            show this help

With --count above 1 a summary follows: accepted, failed by status, latency p50/p95/max.
Exit status: 0 when every request was accepted (2xx), 1 when any failed, 2 on a usage error.
`;

const ACTION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:/=+@-]{0,127}$/;

function wholeNumber(name: string, raw: string | undefined, fallback: number, max: number): number | string {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    return `--${name} is "${raw}": expected a whole number from 1 to ${max}`;
  }
  return value;
}

/** Parses the command line (flags win over environment variables). Pure: no I/O. */
export function parseTriggerArgs(argv: readonly string[], env: Env): ParsedTriggerArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        secret: { type: 'string' },
        'task-id': { type: 'string' },
        action: { type: 'string' },
        count: { type: 'string' },
        concurrency: { type: 'string' },
        'timeout-ms': { type: 'string' },
        follow: { type: 'boolean' },
        timeout: { type: 'string' },
        'poll-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  const text = (name: string) => values[name] as string | undefined;

  const url = text('url') ?? env.DISPATCHER_URL?.trim() ?? DEFAULT_URL;
  if (!/^https?:\/\/[^\s]+$/.test(url))
    return { kind: 'error', message: `--url is "${url}": expected an http(s) URL` };
  const secret = text('secret') ?? env.WEBHOOK_SECRET?.trim();
  if (!secret)
    return { kind: 'error', message: '--secret (or WEBHOOK_SECRET) is required: the webhook secret' };
  const apiKey = text('api-key') ?? (env.API_KEY?.trim() || undefined);
  const taskId = text('task-id');
  if (taskId !== undefined && !TASK_ID.test(taskId)) {
    return { kind: 'error', message: `--task-id is "${taskId}": expected a Scalr id such as atask-v0abc123` };
  }
  const action = text('action') ?? 'plan';
  if (!ACTION.test(action))
    return { kind: 'error', message: `--action is "${action}": expected e.g. plan, apply` };

  const count = wholeNumber('count', text('count'), 1, MAX_COUNT);
  const concurrency = wholeNumber('concurrency', text('concurrency'), 1, MAX_CONCURRENCY);
  const timeoutMs = wholeNumber('timeout-ms', text('timeout-ms'), 30_000, 600_000);
  const followSeconds = wholeNumber('timeout', text('timeout'), 600, 86_400);
  const pollMs = wholeNumber('poll-ms', text('poll-ms'), 1_000, 60_000);
  for (const value of [count, concurrency, timeoutMs, followSeconds, pollMs]) {
    if (typeof value === 'string') return { kind: 'error', message: value };
  }
  let follow: TriggerOptions['follow'];
  if (values.follow) {
    if (count !== 1) return { kind: 'error', message: '--follow follows one task: leave --count at 1' };
    if (tasksUrlFor(url, 'x') === undefined) {
      return {
        kind: 'error',
        message: `--url is "${url}": --follow needs the webhook URL ending in /trigger`,
      };
    }
    if ((pollMs as number) < 200) return { kind: 'error', message: '--poll-ms must be at least 200' };
    follow = {
      tasksUrl: (id) => tasksUrlFor(url, id) as string,
      timeoutMs: (followSeconds as number) * 1000,
      pollMs: pollMs as number,
    };
  } else if (text('timeout') !== undefined || text('poll-ms') !== undefined) {
    return { kind: 'error', message: '--timeout and --poll-ms only apply with --follow' };
  }
  return {
    kind: 'run',
    options: {
      url,
      apiKey,
      secret,
      taskId,
      action,
      count: count as number,
      concurrency: Math.min(concurrency as number, count as number),
      timeoutMs: timeoutMs as number,
      follow,
    },
  };
}
