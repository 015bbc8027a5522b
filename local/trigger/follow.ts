import { TRAIL_STEPS, type TrailStep } from '../../lambda/trail/task-trail.js';

/** What `--follow` needs to poll `GET /tasks/{taskId}`. */
export interface FollowOptions {
  /** The task's trail URL, `.../tasks/{taskId}`. */
  readonly tasksUrl: string;
  readonly apiKey?: string;
  readonly secret: string;
  /** Give up after this long (from the webhook). */
  readonly timeoutMs: number;
  /** Pause between two reads. */
  readonly pollMs: number;
  /** Longest wait for one answer. */
  readonly requestTimeoutMs: number;
  /**
   * Stop with 0 once ACCEPTED is shown (the dry-run target: no agent, no RUNNING).
   * @default false
   */
  readonly untilAccepted?: boolean;
}

export interface FollowIo {
  readonly out: (text: string) => void;
  readonly fetch?: typeof fetch;
  /** Epoch ms (the trail's times are wall-clock times). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface TrailAnswer {
  readonly status?: string;
  readonly steps?: Partial<Record<TrailStep, string>>;
  readonly exitCode?: number;
  readonly stopCode?: string;
  readonly stopReason?: string;
  readonly launchId?: string;
  readonly logsUrl?: string;
}

/** The trail URL of a task next to a webhook URL (`.../trigger` -> `.../tasks/{taskId}`); undefined if not one. */
export function tasksUrlFor(webhookUrl: string, taskId: string): string | undefined {
  const url = new URL(webhookUrl);
  if (!url.pathname.endsWith('/trigger')) return undefined;
  url.pathname = `${url.pathname.slice(0, -'/trigger'.length)}/tasks/${encodeURIComponent(taskId)}`;
  return url.toString();
}

const seconds = (ms: number) => `${ms >= 0 ? '+' : ''}${(ms / 1000).toFixed(1)}s`;

/**
 * Polls the task's trail and prints each new step with the time since the webhook, until the agent
 * stops or `timeoutMs` passes. Resolves to the exit code: 0 when the agent reached RUNNING and did not
 * exit non-zero, 1 otherwise (`untilAccepted`: 0 once ACCEPTED is shown). A 404 right after the webhook
 * only means the trail is not written yet.
 */
export async function followTask(options: FollowOptions, webhookAt: number, io: FollowIo): Promise<number> {
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = webhookAt + options.timeoutMs;
  const printed = new Set<TrailStep>();
  let trail: TrailAnswer = {};
  const headers: Record<string, string> = { authorization: `Bearer ${options.secret}` };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;

  while (now() < deadline) {
    const wait = Math.max(1, Math.min(options.requestTimeoutMs, deadline - now()));
    try {
      const answer = await (io.fetch ?? fetch)(options.tasksUrl, {
        headers,
        signal: AbortSignal.timeout(wait),
      });
      const text = await answer.text();
      if (answer.status === 401 || answer.status === 403) {
        io.out(`cannot read the trail: ${answer.status} ${text.slice(0, 200)}\n`);
        return 1;
      }
      if (answer.ok) trail = JSON.parse(text) as TrailAnswer;
    } catch {
      // no answer in time, or not JSON: read again at the next turn
    }
    // Steps are timed from the dispatcher's own `received` when known: same clock as the platform's.
    const origin = trail.steps?.received === undefined ? webhookAt : Date.parse(trail.steps.received);
    for (const step of TRAIL_STEPS) {
      const at = trail.steps?.[step];
      if (at === undefined || printed.has(step)) continue;
      printed.add(step);
      const extra = step === 'accepted' && trail.launchId ? `  ${trail.launchId}` : '';
      io.out(`${seconds(Date.parse(at) - origin).padStart(8)}  ${step.toUpperCase()}${extra}\n`);
    }
    if (trail.status === 'STOPPED') return stoppedCode(trail, io);
    if (options.untilAccepted && printed.has('accepted')) return 0;
    await sleep(Math.min(options.pollMs, Math.max(0, deadline - now())));
  }
  const running = trail.steps?.running !== undefined;
  io.out(
    running
      ? `still RUNNING after ${seconds(options.timeoutMs)}: stopped following\n`
      : `not RUNNING after ${seconds(options.timeoutMs)} (last step ${trail.status ?? 'none'})\n`,
  );
  return running ? 0 : 1;
}

function stoppedCode(trail: TrailAnswer, io: FollowIo): number {
  const exit = trail.exitCode === undefined ? 'unknown' : String(trail.exitCode);
  const why = [trail.stopCode, trail.stopReason].filter(Boolean).join(': ');
  io.out(`agent stopped: exit code ${exit}${why ? ` (${why})` : ''}\n`);
  if (trail.logsUrl) io.out(`logs: ${trail.logsUrl}\n`);
  if (trail.steps?.running === undefined) return 1;
  // Unknown exit code (a removed container): only a platform that says it failed makes it an error.
  if (trail.exitCode === undefined) return trail.stopCode === 'Failed' ? 1 : 0;
  return trail.exitCode === 0 ? 0 : 1;
}
