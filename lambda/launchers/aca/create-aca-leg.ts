import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { awsClientOptions } from '../../aws/client-options.js';
import type { LauncherContext } from '../launcher-context.js';
import { loadAcaConfig } from './aca-config.js';
import { AcaLeg } from './aca-leg.js';
import { ArmJobApi } from './arm-job-api.js';
import { createAzureCredential } from './azure-credential.js';
import { TemplateCache } from './template-cache.js';

/**
 * Builds the Azure Container Apps leg from `ACA_*` and `AZURE_*` variables. Loaded
 * only when LAUNCH_TARGET=aca, so the ECS path never loads the Azure SDK. The SDKs' own retries are
 * off: the launcher's know the deadline and ARM's Retry-After.
 */
export function createAcaLeg({ env, config }: LauncherContext, target: string): AcaLeg {
  const aca = loadAcaConfig(env);
  let sts: STSClient | undefined;
  let secretsManager: SecretsManagerClient | undefined;
  const credential = createAzureCredential(aca, {
    // GetWebIdentityToken is not served by the global STS endpoint: the SDK's regional default is needed.
    sts: () => {
      sts ??= new STSClient({ maxAttempts: 2, ...awsClientOptions() });
      return sts;
    },
    secretsManager: () => {
      secretsManager ??= new SecretsManagerClient({ maxAttempts: 2, ...awsClientOptions() });
      return secretsManager;
    },
  });
  const client = new ContainerAppsAPIClient(credential, aca.subscriptionId, {
    endpoint: aca.armEndpoint,
    credentials: { scopes: [`${aca.armEndpoint}/.default`] },
    retryOptions: { maxRetries: 0 },
  });
  const api = new ArmJobApi(client, aca.resourceGroup, aca.jobName);
  const templates = new TemplateCache((signal) => api.readTemplate(signal), {
    jobName: aca.jobName,
    containerName: aca.containerName,
    ttlMs: aca.templateTtlSeconds * 1000,
  });
  return new AcaLeg(api, templates, aca, { name: target, retryAfterSeconds: config.retryAfterSeconds });
}
