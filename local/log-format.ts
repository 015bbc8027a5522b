import type { LogSink } from '../lambda/log/logger.js';

/** `LOG_FORMAT`: `json` one JSON object per line, `text` one readable line per event; unset: by terminal. */
export type LogFormat = 'json' | 'text';

/**
 * The format local mode writes: `LOG_FORMAT` when set (`json` or `text`), otherwise readable text on
 * a terminal and JSON when piped (to `jq`, a file or a log shipper).
 */
export function logFormatFrom(env: NodeJS.ProcessEnv, isTty: boolean): LogFormat {
  const asked = env.LOG_FORMAT?.trim().toLowerCase();
  if (asked === 'json' || asked === 'text') return asked;
  return isTty ? 'text' : 'json';
}

const LEVEL: Record<string, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/**
 * One JSON log line as a short readable one: `12:03:04.567 INFO  launch accepted task=atask-1
 * outcome=launched`, plus `reason=` when there is one. A line that is not a JSON object is kept as is.
 */
export function readableLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (entry === null || typeof entry !== 'object') return json;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const level = LEVEL[String(entry.level)] ?? String(entry.level ?? '').toUpperCase();
  const parts = [time, level, String(entry.message ?? '')].filter((part) => part !== '');
  const task = entry.taskId ?? entry.dedupKey;
  const outcome = entry.outcome ?? entry.status;
  if (task !== undefined) parts.push(`task=${String(task)}`);
  if (outcome !== undefined) parts.push(`outcome=${String(outcome)}`);
  if (entry.reason !== undefined) parts.push(`reason=${String(entry.reason)}`);
  if (entry.error !== undefined) parts.push(`error=${String(entry.error)}`);
  return parts.join(' ');
}

/** The logger's sink for local mode: `write` gets finished lines, in the format `logFormatFrom` picks. */
export function localLogSink(
  env: NodeJS.ProcessEnv,
  stream: { isTTY?: boolean; write(text: string): unknown } = process.stdout,
): LogSink {
  const format = logFormatFrom(env, stream.isTTY === true);
  return format === 'json'
    ? (line) => void stream.write(`${line}\n`)
    : (line) => void stream.write(`${readableLine(line)}\n`);
}
