import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { within } from './check.js';

/**
 * A secret's text, trimmed, read within the deadline: `''` when it holds none, `undefined` when it
 * holds binary data instead. Throws what Secrets Manager threw; the check words the failure.
 */
export async function readSecretText(
  secrets: SecretsManagerClient,
  secretId: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const answer = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }), {
    abortSignal: within(timeoutMs),
  });
  if (answer.SecretString === undefined && answer.SecretBinary !== undefined) return undefined;
  return answer.SecretString?.trim() ?? '';
}

/** Whether Secrets Manager answered that the secret (or its current value) does not exist. */
export function isSecretNotFound(error: unknown): boolean {
  return (error as { name?: string }).name === 'ResourceNotFoundException';
}
