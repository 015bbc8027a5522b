import { InvalidRequestError, NotFoundError } from '../errors.js';
import type { TaskTrail } from './task-trail.js';

/** Same alphabet as Scalr ids in the webhook, without `/` (a path segment cannot hold one). */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:=+@-]{0,127}$/;

/** The task id of `/tasks/{taskId}`, checked; a 400 naming `taskId` otherwise. */
export function checkedTaskId(raw: string): string {
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // not percent-encoded text: checked as is
  }
  if (!TASK_ID.test(id)) {
    throw new InvalidRequestError(
      'taskId must be a Scalr task id: 1-128 letters, digits or ._:=+@- starting with a letter or digit.',
      'taskId',
    );
  }
  return id;
}

export function notFound(taskId: string): NotFoundError {
  return new NotFoundError(
    `No trail for task ${taskId}: this dispatcher never accepted it, or its trail has expired.`,
  );
}

/**
 * The answer body: the trail with the milliseconds between webhook and each step when known, and
 * `runningAfterMs`, the figure users feel (webhook to RUNNING), once the agent has run. The trail's
 * own `imagePullMs` (ECS) tells how much of it was the image pull.
 */
export function trailBody(trail: TaskTrail): Record<string, unknown> {
  const received = trail.steps.received === undefined ? undefined : Date.parse(trail.steps.received);
  if (received === undefined) return { ...trail };
  const sinceWebhookMs: Record<string, number> = {};
  for (const [step, at] of Object.entries(trail.steps)) sinceWebhookMs[step] = Date.parse(at) - received;
  const running = sinceWebhookMs.running;
  return { ...trail, ...(running === undefined ? {} : { runningAfterMs: running }), sinceWebhookMs };
}
