import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretSource } from '../config/config.js';
import { ConfigError, TemporarilyUnavailableError } from '../errors.js';
import type { SecretFetcher } from './secret-cache.js';

/** Errors that retrying will not fix: the operator must change the deployment. */
const CONFIG_ERRORS: Record<string, string> = {
  ResourceNotFoundException: 'does not exist (check the ARN and the region)',
  AccessDeniedException: "cannot be read by the function's role (grant secretsmanager:GetSecretValue on it)",
  DecryptionFailure: 'cannot be decrypted (grant kms:Decrypt on its KMS key)',
  InvalidRequestException: 'cannot be read (is it scheduled for deletion?)',
  InvalidParameterException: 'cannot be read (check the ARN)',
};

/**
 * Builds a fetcher for a secret source: Secrets Manager in a deployment, a literal locally. The
 * fetcher's signal aborts the read (an abort or timeout is temporary, like any other outage).
 */
export function secretFetcher(
  source: SecretSource,
  client: () => SecretsManagerClient,
  retryAfterSeconds = 5,
): SecretFetcher {
  if (source.kind === 'literal') return async () => source.value;
  const where = `The secret in ${source.envName} (${source.secretId})`;
  return async (signal) => {
    let secret: string | undefined;
    try {
      const answer = await client().send(new GetSecretValueCommand({ SecretId: source.secretId }), {
        abortSignal: signal,
      });
      secret = answer.SecretString;
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const reason = CONFIG_ERRORS[name];
      if (reason !== undefined) throw new ConfigError(`${where} ${reason}.`, { cause: error });
      throw new TemporarilyUnavailableError(
        'Secrets Manager is unavailable; try again shortly.',
        retryAfterSeconds,
        {
          cause: error,
        },
      );
    }
    if (secret === undefined) throw new ConfigError(`${where} has no string value: store it as plain text.`);
    return secret.trim();
  };
}
