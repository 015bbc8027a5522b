import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientOptions } from './client-options.js';

/** A value built on first use and then reused: an SDK client is created only when a call needs it. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

/**
 * The Secrets Manager client every reader of a secret uses, built on first use: two attempts and the
 * deadlines of `awsClientOptions`. `given` (a test's client) is returned as is.
 */
export function lazySecretsManager(given?: SecretsManagerClient): () => SecretsManagerClient {
  return lazy(() => given ?? new SecretsManagerClient({ maxAttempts: 2, ...awsClientOptions() }));
}
