import type { LauncherContext } from '../launcher-context.js';
import { loadAcaConfig } from './aca-config.js';
import { AcaLeg } from './aca-leg.js';
import { createArmClient } from './arm-client.js';
import { ArmJobApi } from './arm-job-api.js';
import { TemplateCache } from './template-cache.js';

/**
 * Builds the Azure Container Apps leg from `ACA_*` and `AZURE_*` variables. Loaded
 * only when LAUNCH_TARGET=aca, so the ECS path never loads the Azure SDK. The SDKs' own retries are
 * off: the launcher's know the deadline and ARM's Retry-After.
 */
export function createAcaLeg({ env, config }: LauncherContext, target: string): AcaLeg {
  const aca = loadAcaConfig(env);
  const api = new ArmJobApi(createArmClient(aca), aca.resourceGroup, aca.jobName);
  const templates = new TemplateCache((signal) => api.readJob(signal), {
    jobName: aca.jobName,
    containerName: aca.containerName,
    ttlMs: aca.templateTtlSeconds * 1000,
  });
  return new AcaLeg(api, templates, aca, { name: target, retryAfterSeconds: config.retryAfterSeconds });
}
