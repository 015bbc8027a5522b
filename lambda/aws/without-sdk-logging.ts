/** The part of an SDK v3 client this touches. */
interface WithMiddlewareStack {
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/**
 * Removes the SDK's logger middleware from a client. With no SDK logger configured (none is, here:
 * the dispatcher logs outcomes itself) it still walks every input and output through the schema's
 * sensitive-data filter on each call, only to hand the copies to a no-op `info`. Paired runs of
 * RunTask against the stand-in: about 5-10 % less CPU per call. Returns the client.
 */
export function withoutSdkLogging<T extends WithMiddlewareStack>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
