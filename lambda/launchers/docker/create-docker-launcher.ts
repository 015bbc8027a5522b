import { lazySecretsManager } from '../../aws/lazy-clients.js';
import { ConfigError } from '../../errors.js';
import { SecretCache } from '../../secrets/secret-cache.js';
import { secretFetcher } from '../../secrets/secrets-manager-fetcher.js';
import type { LauncherContext } from '../launcher-context.js';
import { loadDockerConfig } from './docker-config.js';
import { DockerEngine } from './docker-engine.js';
import { DockerLauncher } from './docker-launcher.js';

/**
 * Builds the local Docker target from `DOCKER_HOST`, `DOCKER_IMAGE` and `SCALR_URL`. The agent token
 * comes from the same source the dispatcher checks (`AGENT_TOKEN` or `AGENT_TOKEN_SECRET_ARN`).
 */
export function createDockerLauncher({ env, config }: LauncherContext): DockerLauncher {
  const dockerConfig = loadDockerConfig(env);
  const tokenSource = config.agentToken;
  // Only `aca` may run without a token source, so this is a guard for the type checker.
  if (tokenSource === undefined)
    throw new ConfigError('AGENT_TOKEN is not set: expected the Scalr agent pool token');
  const token = new SecretCache(secretFetcher(tokenSource, lazySecretsManager()), {
    ttlMs: config.secretTtlSeconds * 1000,
    staleMs: config.secretStaleSeconds * 1000,
  });
  return new DockerLauncher({
    config: dockerConfig,
    engine: new DockerEngine(dockerConfig.endpoint),
    agentToken: () => token.get(),
    retryAfterSeconds: config.retryAfterSeconds,
  });
}
