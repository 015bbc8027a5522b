import { createHash } from 'node:crypto';

/** ECS accepts up to 64 ASCII characters from 33 to 126 as a RunTask clientToken. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The RunTask clientToken for a de-duplication key: the key itself when ECS accepts it, else a
 * hash of it, so the same key always maps to the same token (ECS remembers tokens for 24 hours).
 */
export function clientTokenFor(key: string): string {
  return CLIENT_TOKEN.test(key) ? key : `h:${sha256Hex(key).slice(0, 62)}`;
}

/**
 * The RunTask `startedBy` for a key (at most 36 characters): lets the dispatcher find the task a key
 * launched with ListTasks, and lets operators filter agent tasks.
 */
export function startedByFor(key: string): string {
  return `scalr-${sha256Hex(key).slice(0, 30)}`;
}
