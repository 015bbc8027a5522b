import * as v from 'valibot';
import { InvalidRequestError } from '../errors.js';

/** Scalr ids: printable ASCII that is also valid in ECS tags and client tokens. */
const SCALR_ID = /^[A-Za-z0-9][A-Za-z0-9._:/=+@-]{0,127}$/;
const ID_RULE = 'a Scalr id: 1-128 letters, digits or ._:/=+@- starting with a letter or digit';

function scalrId(field: string) {
  return v.optional(
    v.pipe(v.string(`${field} must be a string`), v.regex(SCALR_ID, `${field} must be ${ID_RULE}`)),
  );
}

/**
 * The body Scalr posts to a serverless pool's webhook. Every field is optional: a body without
 * `task_id` is a manual trigger. Unknown fields are ignored so new Scalr fields do not break us.
 */
export const WebhookPayloadSchema = v.looseObject({
  task_id: scalrId('task_id'),
  run_id: scalrId('run_id'),
  workspace_id: scalrId('workspace_id'),
  environment_id: scalrId('environment_id'),
  // Actions are open-ended (plan, apply, policy.check, checkov, ...): any short token is valid.
  action: v.optional(
    v.pipe(
      v.string('action must be a string'),
      v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'action must be 1-64 letters, digits or ._-'),
    ),
  ),
  created_at: v.optional(
    v.pipe(
      v.string('created_at must be a string'),
      v.regex(/^[\x20-\x7e]{1,64}$/, 'created_at must be 1-64 printable ASCII characters'),
    ),
  ),
});

export type WebhookPayload = v.InferOutput<typeof WebhookPayloadSchema>;

/** Parses the raw body; throws InvalidRequestError naming the field at fault. */
export function parseWebhookPayload(body: string): WebhookPayload {
  if (body.trim() === '') {
    throw new InvalidRequestError('The body is empty: send a JSON object (use {} for a manual trigger).');
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('The body is not valid JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError('The body must be a JSON object.');
  }
  const result = v.safeParse(WebhookPayloadSchema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const field = issue.path?.[0]?.key;
    throw new InvalidRequestError(issue.message, typeof field === 'string' ? field : undefined);
  }
  return result.output;
}
