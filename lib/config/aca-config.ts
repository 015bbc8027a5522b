import { AZURE_AUTH_MODES } from '../../lambda/launchers/aca/aca-config.js';
import type { ContextKey } from './context-defaults.js';
import type { ContextReader } from './context-reader.js';
import { COMPLETE_ARN_HINT, httpsUrl, SECRET_ARN } from './context-schemas.js';

/** How the dispatcher proves its identity to Entra ID (`AZURE_AUTH`). */
export type AzureAuthConfig =
  | {
      readonly mode: 'aws-federation';
      /** Entra ID tenant (directory) id. */
      readonly tenantId: string;
      /** Client id of the managed identity or app that holds the federated credential. */
      readonly clientId: string;
    }
  | {
      readonly mode: 'client-secret';
      /** Secrets Manager secret holding `{"tenantId","clientId","clientSecret"}`. */
      readonly credentialsSecretArn: string;
    };

/** Settings of the Azure Container Apps target (`target=aca`); see docs/azure.md. */
export interface AcaStackConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** Container of the job template that gets the `DISPATCH_*` variables; empty = the first. */
  readonly containerName: string;
  readonly auth: AzureAuthConfig;
  /** Entra ID authority for sovereign clouds; empty = the dispatcher's default (public Azure). */
  readonly authorityHost: string;
  /** ARM endpoint for sovereign clouds; empty = the dispatcher's default (public Azure). */
  readonly armEndpoint: string;
  /**
   * `ACA_LIST_SETTLE_SECONDS`: how long after a start that may have succeeded the dispatcher waits
   * before it trusts the job's execution list to show (or not show) that execution.
   */
  readonly listSettleSeconds: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure resource groups: 1-90 letters, digits or _.()-, not ending in a period.
const RESOURCE_GROUP = /^[\w.()-]{0,89}[\w()-]$/;
// Container Apps job names: 2-32 lower-case letters, digits or '-', starting with a letter.
const JOB_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
// Container names in a Container Apps template: a lower-case DNS label.
const CONTAINER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A value that `target=aca` cannot do without: empty is reported with what to set. */
function requiredForAca(
  context: ContextReader,
  key: ContextKey,
  pattern: RegExp,
  expected: string,
  requiredBy = 'target=aca',
): string {
  const value = context.string(key, pattern, expected);
  if (value === '') context.problem(`${key} is empty: expected ${expected} (required with ${requiredBy})`);
  return value;
}

function optionalHttpsUrl(context: ContextReader, key: ContextKey, example: string): string {
  const value = context.string(key);
  if (value !== '' && !httpsUrl(value)) {
    context.problem(
      `${key} is ${JSON.stringify(value)}: expected an https:// URL without a path, e.g. ${example}`,
    );
  }
  return value;
}

/** The `target=aca` keys: the job, how the dispatcher signs in to Entra ID, sovereign-cloud endpoints. */
export function readAca(context: ContextReader): AcaStackConfig {
  const subscriptionId = requiredForAca(
    context,
    'acaSubscriptionId',
    UUID,
    'the Azure subscription id of the Container Apps job, a UUID',
  );
  const resourceGroup = requiredForAca(
    context,
    'acaResourceGroup',
    RESOURCE_GROUP,
    'the resource group of the Container Apps job (1-90 letters, digits or _.()-, not ending in a period)',
  );
  const jobName = requiredForAca(
    context,
    'acaJobName',
    JOB_NAME,
    'the Container Apps job name (2-32 lower-case letters, digits or -, starting with a letter)',
  );
  const containerName = context.string(
    'acaContainerName',
    CONTAINER_NAME,
    'a container name of the job template (lower-case letters, digits, -), or empty for the first container',
  );
  const mode = context.oneOf('azureAuth', AZURE_AUTH_MODES);
  let auth: AzureAuthConfig;
  if (mode === 'client-secret') {
    auth = {
      mode,
      credentialsSecretArn: requiredForAca(
        context,
        'azureCredentialsSecretArn',
        SECRET_ARN,
        `${COMPLETE_ARN_HINT} of a Secrets Manager secret holding {"tenantId","clientId","clientSecret"}`,
        'azureAuth=client-secret',
      ),
    };
  } else {
    auth = {
      mode,
      tenantId: requiredForAca(
        context,
        'azureTenantId',
        UUID,
        'the Entra ID tenant (directory) id, a UUID',
        'azureAuth=aws-federation',
      ),
      clientId: requiredForAca(
        context,
        'azureClientId',
        UUID,
        'the client id of the managed identity or app that holds the federated credential, a UUID',
        'azureAuth=aws-federation',
      ),
    };
  }
  return {
    subscriptionId,
    resourceGroup,
    jobName,
    containerName,
    auth,
    authorityHost: optionalHttpsUrl(context, 'azureAuthorityHost', 'https://login.microsoftonline.us'),
    armEndpoint: optionalHttpsUrl(context, 'acaArmEndpoint', 'https://management.usgovcloudapi.net'),
    // The dispatcher's bounds (lambda/launchers/aca/aca-config.ts).
    listSettleSeconds: context.integer('acaListSettleSeconds', 1, 600),
  };
}
