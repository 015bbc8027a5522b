import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidRequestError } from '../errors.js';

/** A webhook delivery, independent of how it arrived (API Gateway event or local HTTP server). */
export interface WebhookRequest {
  readonly method: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as received, before decoding. */
  readonly body: Buffer;
  /** Milliseconds left before the caller stops waiting (Lambda's remaining time), if known. */
  readonly remainingTimeMs?: number;
  readonly requestId?: string;
  /** Set when the request is for `/tasks/{taskId}` (the task trail), as received, not yet validated. */
  readonly taskId?: string;
}

/** The API Gateway resource of the task trail. */
export const TASK_RESOURCE = '/tasks/{taskId}';

/** Lower-cases header names; API Gateway keeps the sender's spelling and HTTP says case does not matter. */
export function normalizeHeaders(
  headers: Readonly<Record<string, string | undefined>> | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

/** Adapts an API Gateway REST (proxy) event; decodes a base64 body. */
export function requestFromApiGateway(
  event: APIGatewayProxyEvent,
  context?: { getRemainingTimeInMillis(): number; awsRequestId?: string },
): WebhookRequest {
  const raw = event.body ?? '';
  return {
    method: event.httpMethod ?? 'POST',
    headers: normalizeHeaders(event.headers),
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
    remainingTimeMs: context?.getRemainingTimeInMillis(),
    requestId: event.requestContext?.requestId ?? context?.awsRequestId,
    ...(event.resource === TASK_RESOURCE ? { taskId: event.pathParameters?.taskId ?? '' } : {}),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body as text; a body that is not UTF-8 cannot be JSON from Scalr. */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new InvalidRequestError('The body is not valid UTF-8.');
  }
}
