import { STSClient } from '@aws-sdk/client-sts';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { awsClientOptions } from '../../aws/client-options.js';
import { lazy, lazySecretsManager } from '../../aws/lazy-clients.js';
import type { AcaConfig } from './aca-config.js';
import { createAzureCredential } from './azure-credential.js';

/**
 * An ARM client for the Container Apps job of `aca`, signed in as `AZURE_AUTH` says; the launcher,
 * the task trail and the env0 poller each build their own. The AWS clients behind the credential are
 * built on first use (only one of the two is ever needed), and the SDK's own retries are off: the
 * callers know the deadline and ARM's Retry-After.
 */
export function createArmClient(aca: AcaConfig): ContainerAppsAPIClient {
  const credential = createAzureCredential(aca, {
    // GetWebIdentityToken is not served by the global STS endpoint: the SDK's regional default is needed.
    sts: lazy(() => new STSClient({ maxAttempts: 2, ...awsClientOptions() })),
    secretsManager: lazySecretsManager(),
  });
  return new ContainerAppsAPIClient(credential, aca.subscriptionId, {
    endpoint: aca.armEndpoint,
    credentialScopes: [`${aca.armEndpoint}/.default`],
    retryOptions: { maxRetries: 0 },
  });
}
