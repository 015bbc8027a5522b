import {
  DispatchError,
  MethodNotAllowedError,
  TemporarilyUnavailableError,
  UnauthorizedError,
} from '../errors.js';

/** A transport-neutral HTTP answer; the Lambda and the local server both send it as is. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const STATUS: Record<string, number> = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  configuration_error: 500,
  temporarily_unavailable: 503,
};

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonAnswer(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpAnswer {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * The one place errors become HTTP answers. Only DispatchError messages — written for callers —
 * are shown; anything else is an internal error with a fixed message.
 */
export function errorAnswer(error: unknown): HttpAnswer {
  if (!(error instanceof DispatchError)) {
    return jsonAnswer(500, {
      error: { code: 'internal_error', message: 'Internal error; the launch did not happen.' },
    });
  }
  const headers: Record<string, string> = {};
  if (error instanceof TemporarilyUnavailableError) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error instanceof UnauthorizedError) headers['www-authenticate'] = 'Bearer';
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow;
  const field = (error as { field?: string }).field;
  const body = { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } };
  return jsonAnswer(STATUS[error.code] ?? 500, body, headers);
}
