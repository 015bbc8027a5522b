import type { Env } from '../../config/env-reader.js';
import { loadAcaConfig } from '../../launchers/aca/aca-config.js';
import { createArmClient } from '../../launchers/aca/arm-client.js';
import { AcaAgentStatus } from '../aca-agent-status.js';

/**
 * The ACA status reader from the same `ACA_*` / `AZURE_*` variables as the ACA launcher, with its own
 * ARM client (SDK retries off: the next poll is the retry). Loaded only for `LAUNCH_TARGET=aca`.
 */
export function createAcaStatus(env: Env, agentStartupSeconds: number): AcaAgentStatus {
  const aca = loadAcaConfig(env);
  return new AcaAgentStatus(
    createArmClient(aca),
    aca.resourceGroup,
    aca.jobName,
    Date.now,
    agentStartupSeconds,
  );
}
