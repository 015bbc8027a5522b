import { InvalidRequestError } from '../errors.js';

/** Longest Idempotency-Key accepted; longer keys are hashed for platforms anyway, but bound the input. */
const MAX_KEY_LENGTH = 256;

/**
 * The de-duplication key of a delivery: the `Idempotency-Key` header (Scalr keeps it across
 * retries), else the task id. Returns undefined when neither is present (manual trigger).
 */
export function dedupKeyOf(
  idempotencyKey: string | undefined,
  taskId: string | undefined,
): string | undefined {
  if (idempotencyKey !== undefined) {
    const key = idempotencyKey.trim();
    if (key === '') throw new InvalidRequestError('The Idempotency-Key header is empty.', 'Idempotency-Key');
    if (key.length > MAX_KEY_LENGTH) {
      throw new InvalidRequestError(
        `The Idempotency-Key header is longer than ${MAX_KEY_LENGTH} characters.`,
        'Idempotency-Key',
      );
    }
    // Control characters in a header cannot come from Scalr and would end up in logs.
    if ([...key].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
      throw new InvalidRequestError(
        'The Idempotency-Key header contains control characters.',
        'Idempotency-Key',
      );
    }
    return key;
  }
  return taskId;
}
