import { createHash } from 'node:crypto';
import type { AgentSource } from '../agent-source.js';

/** ECS accepts up to 64 ASCII characters from 33 to 126 as a RunTask clientToken. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;
/** The shape of a hashed token; a raw key of this shape is hashed too, so the two never meet. */
const HASHED = /^h:[0-9a-f]{62}$/;

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The RunTask clientToken for a de-duplication key and, for a leg other than a target's first, the
 * leg (`FARGATE` after `FARGATE_SPOT`). The same inputs always give the same token (ECS remembers
 * tokens for 24 hours); different inputs never do:
 * - a plain key that ECS accepts, and that does not look like a hashed token, is the token itself;
 * - anything else is `h:` + SHA-256, over the key alone or, for a leg, over a NUL-prefixed JSON
 *   pair. Keys cannot hold NUL (control characters are refused), so no key hashes like a pair.
 */
export function clientTokenFor(key: string, leg?: string): string {
  if (leg === undefined) {
    return CLIENT_TOKEN.test(key) && !HASHED.test(key) ? key : `h:${sha256Hex(key).slice(0, 62)}`;
  }
  return `h:${sha256Hex(`\u0000${JSON.stringify([key, leg])}`).slice(0, 62)}`;
}

/**
 * The RunTask `startedBy` for a key (at most 36 characters): lets operators filter agent tasks by
 * source (`scalr-` or `env0-`) and find the tasks of one key with ListTasks. A Scalr key's value is
 * the one every earlier version sent: a task started before an upgrade keeps matching its key.
 */
export function startedByFor(key: string, source: AgentSource = 'scalr'): string {
  return `${source}-${sha256Hex(key).slice(0, 30)}`;
}
