import { createHash } from 'node:crypto';

/** Docker container names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; kept short enough to read in `docker ps`. */
const READABLE_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/;

/**
 * The container name for a de-duplication key. Docker refuses a second container with the same name,
 * which is what makes a re-delivered webhook find the first agent instead of starting another.
 */
export function containerNameFor(dedupKey: string): string {
  if (READABLE_KEY.test(dedupKey)) return `scalr-agent-${dedupKey}`;
  return `scalr-agent-h-${createHash('sha256').update(dedupKey, 'utf8').digest('hex').slice(0, 40)}`;
}
