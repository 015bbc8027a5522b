import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AgentTokenCheck, SecretSource } from '../config/config.js';
import { ConfigError, TemporarilyUnavailableError } from '../errors.js';
import type { SecretFetcher } from './secret-cache.js';

/** What the marker fetcher yields for a token that is set; an unset one yields ''. Never the token. */
export const TOKEN_SET_MARKER = 'set';

const CONFIG_ERRORS: Record<string, string> = {
  ResourceNotFoundException: 'does not exist (check the ARN and the region)',
  AccessDeniedException:
    "cannot be described by the function's role (grant secretsmanager:DescribeSecret on it)",
  InvalidParameterException: 'cannot be described (check the ARN)',
};

/**
 * A SecretFetcher for a SecretCache whose "value" is only whether the token is set: TOKEN_SET_MARKER
 * or ''. It calls DescribeSecret (metadata, never the value), so the webhook function needs no
 * `secretsmanager:GetSecretValue` on the agent token. An outage is a TemporarilyUnavailableError:
 * the cache then serves its last answer for its stale window, and without one the webhook is answered
 * 503 and retried, never launched on a guess.
 */
export function agentTokenStateFetcher(
  source: Extract<SecretSource, { kind: 'secrets-manager' }>,
  check: Exclude<AgentTokenCheck, 'value'>,
  client: () => SecretsManagerClient,
  retryAfterSeconds = 5,
): SecretFetcher {
  const where = `The secret in ${source.envName} (${source.secretId})`;
  return async (signal) => {
    let versions: Record<string, string[]>;
    try {
      const answer = await client().send(new DescribeSecretCommand({ SecretId: source.secretId }), {
        abortSignal: signal,
      });
      if (answer.DeletedDate !== undefined) {
        throw new ConfigError(
          `${where} is scheduled for deletion: restore it (aws secretsmanager restore-secret).`,
        );
      }
      versions = answer.VersionIdsToStages ?? {};
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const reason = CONFIG_ERRORS[(error as { name?: string }).name ?? ''];
      if (reason !== undefined) throw new ConfigError(`${where} ${reason}.`, { cause: error });
      throw new TemporarilyUnavailableError(
        'Secrets Manager is unavailable; try again shortly.',
        retryAfterSeconds,
        {
          cause: error,
        },
      );
    }
    const stages = Object.values(versions);
    const current = stages.some((labels) => labels.includes('AWSCURRENT'));
    if (!current) return '';
    if (check === 'exists') return TOKEN_SET_MARKER;
    // The placeholder is the first version: a second labelled version means a value was stored after it.
    return stages.length >= 2 ? TOKEN_SET_MARKER : '';
  };
}
