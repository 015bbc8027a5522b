import { type Env, EnvReader } from '../../config/env-reader.js';
import { ConfigError } from '../../errors.js';

export const AZURE_AUTH_MODES = ['aws-federation', 'client-secret'] as const;
export type AzureAuthMode = (typeof AZURE_AUTH_MODES)[number];

/** How the dispatcher proves its identity to Entra ID. */
export type AzureAuth =
  | {
      readonly mode: 'aws-federation';
      readonly tenantId: string;
      readonly clientId: string;
      /** Lifetime asked of STS for the JWT; Entra only needs it for the token exchange. */
      readonly webIdentityTokenSeconds: number;
    }
  | {
      readonly mode: 'client-secret';
      /** Secrets Manager secret holding `{tenantId, clientId, clientSecret}`. */
      readonly credentialsSecretId: string;
    };

/** Settings of the Azure Container Apps target (`LAUNCH_TARGET=aca`). */
export interface AcaConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** Container of the job template that receives the `DISPATCH_*` variables; default: the first. */
  readonly containerName: string | undefined;
  readonly auth: AzureAuth;
  /** Entra ID authority, e.g. https://login.microsoftonline.us for US Government. */
  readonly authorityHost: string;
  /** ARM endpoint, e.g. https://management.chinacloudapi.cn for Azure China. */
  readonly armEndpoint: string;
  /**
   * How long after a start that may have succeeded (5xx, lost answer) the execution list is trusted:
   * ARM lists lag behind starts, so an earlier look proves nothing.
   */
  readonly listSettleSeconds: number;
  /** How long the job's template is reused before it is read again. */
  readonly templateTtlSeconds: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[\w.()-]{1,90}$/;
// Container Apps job names: lower-case letters, digits and '-', 2-32 characters.
const JOB_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const SECRET_ID = /^(arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+|[\w/+=.@-]{1,512})$/;

function matching(env: EnvReader, name: string, pattern: RegExp, expected: string): string {
  const value = env.required(name, expected);
  if (!pattern.test(value)) throw new ConfigError(`${name} is "${value}": expected ${expected}`);
  return value;
}

function httpsUrl(env: EnvReader, name: string, fallback: string): string {
  const value = env.optional(name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is "${value}": expected an https:// URL`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(`${name} is "${value}": expected an https:// URL`);
  return url.origin;
}

function authFrom(env: EnvReader): AzureAuth {
  const mode = env.oneOf('AZURE_AUTH', AZURE_AUTH_MODES, 'aws-federation');
  if (mode === 'client-secret') {
    return {
      mode,
      credentialsSecretId: matching(
        env,
        'AZURE_CREDENTIALS_SECRET_ARN',
        SECRET_ID,
        'the ARN of a Secrets Manager secret holding {"tenantId","clientId","clientSecret"} (AZURE_AUTH=client-secret)',
      ),
    };
  }
  return {
    mode,
    tenantId: matching(env, 'AZURE_TENANT_ID', UUID, 'the Entra ID tenant (directory) id, a UUID'),
    clientId: matching(
      env,
      'AZURE_CLIENT_ID',
      UUID,
      'the client id of the Entra app or user-assigned identity that trusts this AWS role, a UUID',
    ),
    webIdentityTokenSeconds: env.integer('AZURE_FEDERATION_TOKEN_SECONDS', 300, 60, 3_600),
  };
}

/** Parses the `ACA_*` and `AZURE_*` variables; throws ConfigError naming the variable at fault. */
export function loadAcaConfig(envVars: Env): AcaConfig {
  const env = new EnvReader(envVars);
  return {
    subscriptionId: matching(env, 'ACA_SUBSCRIPTION_ID', UUID, 'the Azure subscription id, a UUID'),
    resourceGroup: matching(
      env,
      'ACA_RESOURCE_GROUP',
      RESOURCE_GROUP,
      'the resource group of the Container Apps job (1-90 letters, digits or ._()-)',
    ),
    jobName: matching(
      env,
      'ACA_JOB_NAME',
      JOB_NAME,
      'the Container Apps job name (2-32 lower-case letters, digits or -)',
    ),
    containerName: env.optional('ACA_CONTAINER_NAME'),
    auth: authFrom(env),
    authorityHost: httpsUrl(env, 'AZURE_AUTHORITY_HOST', 'https://login.microsoftonline.com'),
    armEndpoint: httpsUrl(env, 'ACA_ARM_ENDPOINT', 'https://management.azure.com'),
    listSettleSeconds: env.integer('ACA_LIST_SETTLE_SECONDS', 30, 1, 600),
    templateTtlSeconds: env.integer('ACA_TEMPLATE_TTL_SECONDS', 300, 0, 86_400),
  };
}
