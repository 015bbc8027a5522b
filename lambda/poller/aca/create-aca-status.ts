import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { awsClientOptions } from '../../aws/client-options.js';
import type { Env } from '../../config/env-reader.js';
import { loadAcaConfig } from '../../launchers/aca/aca-config.js';
import { createAzureCredential } from '../../launchers/aca/azure-credential.js';
import { AcaAgentStatus } from '../aca-agent-status.js';

/**
 * The ACA status reader from the same `ACA_*` / `AZURE_*` variables as the ACA launcher, with its own
 * ARM client (SDK retries off: the next poll is the retry). Loaded only for `LAUNCH_TARGET=aca`.
 */
export function createAcaStatus(env: Env, agentStartupSeconds: number): AcaAgentStatus {
  const aca = loadAcaConfig(env);
  const credential = createAzureCredential(aca, {
    sts: () => new STSClient({ maxAttempts: 2, ...awsClientOptions() }),
    secretsManager: () => new SecretsManagerClient({ maxAttempts: 2, ...awsClientOptions() }),
  });
  const client = new ContainerAppsAPIClient(credential, aca.subscriptionId, {
    endpoint: aca.armEndpoint,
    credentials: { scopes: [`${aca.armEndpoint}/.default`] },
    retryOptions: { maxRetries: 0 },
  });
  return new AcaAgentStatus(client, aca.resourceGroup, aca.jobName, Date.now, agentStartupSeconds);
}
