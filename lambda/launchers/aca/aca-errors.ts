import { ConfigError, DispatchError } from '../../errors.js';
import type { AcaConfig } from './aca-config.js';

/** ARM answered 429: the start was not accepted; `retryAfterMs` is ARM's own advice. */
export class ArmThrottledError extends Error {
  constructor(
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(`ARM throttled the request (retry after ${retryAfterMs} ms)`, options);
    this.name = 'ArmThrottledError';
  }
}

interface HttpLikeError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  cause?: unknown;
  errorResponse?: { error?: string; errorDescription?: string };
  response?: { headers?: { get(name: string): string | undefined } };
}

/** The first error in the cause chain the dispatcher raised itself (e.g. STS refused the JWT). */
export function dispatchErrorIn(error: unknown): DispatchError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof DispatchError) return current;
    current = (current as HttpLikeError).cause;
  }
  return undefined;
}

/** `Retry-After` of an ARM answer in ms (seconds or an HTTP date), else undefined. */
export function retryAfterMsOf(error: unknown, now = Date.now()): number | undefined {
  const value = (error as HttpLikeError).response?.headers?.get('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Entra answers that mean "these credentials are not accepted", as MSAL words them. */
const ENTRA_REFUSAL =
  /AADSTS\d+|invalid_client|unauthorized_client|invalid_request|invalid_scope|invalid_grant/;

/** Errors `@azure/identity` raises for a token request (AuthenticationRequiredError wraps MSAL's). */
export function isEntraError(error: unknown): boolean {
  const name = (error as HttpLikeError).name;
  return name === 'AuthenticationError' || name === 'AuthenticationRequiredError';
}

function aadstsCode(error: HttpLikeError): string {
  const text = `${error.errorResponse?.errorDescription ?? ''} ${error.message ?? ''}`;
  return /AADSTS\d+/.exec(text)?.[0] ?? error.errorResponse?.error ?? 'no code';
}

function authHint(config: AcaConfig): string {
  return config.auth.mode === 'aws-federation'
    ? `check AZURE_TENANT_ID and AZURE_CLIENT_ID (${config.auth.clientId}), and that the identity has a federated credential whose issuer is this AWS account's outbound federation issuer, whose subject is the function's role ARN and whose audience is api://AzureADTokenExchange`
    : 'check tenantId, clientId and clientSecret (not expired) in the secret named by AZURE_CREDENTIALS_SECRET_ARN';
}

/**
 * Maps an Azure failure that retrying cannot fix to the ConfigError that tells the operator what to
 * change; undefined for failures worth retrying. Messages quote codes only, never tokens.
 */
export function configErrorFor(error: unknown, config: AcaConfig): ConfigError | undefined {
  const own = dispatchErrorIn(error);
  if (own instanceof ConfigError) return own;
  const e = error as HttpLikeError;
  const job = `${config.jobName} in resource group ${config.resourceGroup} of subscription ${config.subscriptionId}`;
  if (isEntraError(e)) {
    const status = e.statusCode ?? 0;
    const refused = (status >= 400 && status < 500) || ENTRA_REFUSAL.test(`${e.message ?? ''}`);
    if (refused) {
      return new ConfigError(`Entra ID refused the token request (${aadstsCode(e)}): ${authHint(config)}.`, {
        cause: error,
      });
    }
    return undefined;
  }
  const status = e.statusCode;
  const code = e.code ?? 'no code';
  if (status === 401) {
    return new ConfigError(
      `ARM rejected the access token (401 ${code}): the identity must belong to the tenant of subscription ${config.subscriptionId}, and AZURE_AUTHORITY_HOST and ACA_ARM_ENDPOINT must name the same cloud.`,
      { cause: error },
    );
  }
  if (status === 403) {
    return new ConfigError(
      `ARM denied the request (403 ${code}): give the identity a role assignment scoped to the job ${job} that allows Microsoft.App/jobs/start/action and Microsoft.App/jobs/read (role assignments can take a few minutes to apply).`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new ConfigError(
      `The Container Apps job was not found (404 ${code}): check ACA_JOB_NAME, ACA_RESOURCE_GROUP and ACA_SUBSCRIPTION_ID (looked for ${job}).`,
      { cause: error },
    );
  }
  if (status === 400 || status === 422) {
    const said = e.message ? ` ARM said: ${e.message.slice(0, 300)}` : '';
    return new ConfigError(
      `ARM refused to start the job ${config.jobName} (${status} ${code}): it must be a Manual-trigger job whose template the execution override can reuse.${said}`,
      { cause: error },
    );
  }
  return undefined;
}
