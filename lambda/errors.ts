/**
 * Errors the dispatcher raises on purpose. Each maps to one HTTP answer in `http/answers.ts`;
 * messages are written for the caller or the operator and never hold secrets or internals.
 */
export abstract class DispatchError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed (400). `field` names the offending field when there is one. */
export class InvalidRequestError extends DispatchError {
  readonly code = 'invalid_request';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Missing or wrong webhook secret (401). One message for both, so a caller learns nothing. */
export class UnauthorizedError extends DispatchError {
  readonly code = 'unauthorized';
  constructor() {
    super('Missing or invalid credentials: send "Authorization: Bearer <webhook secret>".');
  }
}

/** Body over the size limit (413). */
export class PayloadTooLargeError extends DispatchError {
  readonly code = 'payload_too_large';
}

/** Content type is not JSON (415). */
export class UnsupportedMediaTypeError extends DispatchError {
  readonly code = 'unsupported_media_type';
}

/** HTTP method the path does not serve (405); `allow` names the one it does. */
export class MethodNotAllowedError extends DispatchError {
  readonly code = 'method_not_allowed';
  constructor(
    message: string,
    readonly allow = 'POST',
  ) {
    super(message);
  }
}

/** Nothing is known under this id (404). */
export class NotFoundError extends DispatchError {
  readonly code = 'not_found';
}

/** The deployment is misconfigured; the message tells the operator what to fix (500). */
export class ConfigError extends DispatchError {
  readonly code = 'configuration_error';
}

/**
 * The platform did not accept the launch in time, or a dependency is briefly unavailable (503).
 * The sender retries with the same Idempotency-Key, which is safe.
 */
export class TemporarilyUnavailableError extends DispatchError {
  readonly code = 'temporarily_unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The Idempotency-Key was first used for another Scalr task (422, as the IETF Idempotency-Key
 * draft answers a key reused with another payload). Nothing is launched for it.
 */
export class IdempotencyKeyReusedError extends DispatchError {
  readonly code = 'idempotency_key_reused';
  readonly field = 'Idempotency-Key';
  constructor() {
    super(
      'This Idempotency-Key was already used for another task_id; nothing was launched. Send each task with its own key.',
    );
  }
}
