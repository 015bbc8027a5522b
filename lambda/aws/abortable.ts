/** The part of an AbortSignal this needs; Azure's AbortSignalLike has it too. */
export interface AbortSignalish {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * Settles like `work`, unless `signal` aborts first: then rejects with `onAbort()`. The work itself
 * goes on (it may be shared with other callers); its late failure is handled, never unhandled.
 */
export function abortable<T>(
  work: Promise<T>,
  signal: AbortSignalish | undefined,
  onAbort: () => unknown,
): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
