import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import { abortable } from '../../aws/abortable.js';
import { ConfigError } from '../../errors.js';
import { secretFetcher } from '../../secrets/secrets-manager-fetcher.js';
import type { AcaConfig } from './aca-config.js';
import { WebIdentityTokenSource } from './web-identity-token.js';

/**
 * Longest one Entra ID token request may take. MSAL does not pass a caller's abort signal on to its
 * HTTP calls, so without this a hung token endpoint holds the request until the platform gives up.
 */
export const ENTRA_REQUEST_TIMEOUT_MS = 5_000;

type PipelinePolicy = NonNullable<TokenCredentialOptions['additionalPolicies']>[number]['policy'];

/** Gives every Entra ID request a timeout (the Azure pipeline's default is none). */
const entraRequestTimeout: PipelinePolicy = {
  name: 'entraRequestTimeout',
  sendRequest(request, next) {
    if (!(request.timeout > 0)) request.timeout = ENTRA_REQUEST_TIMEOUT_MS;
    return next(request);
  },
};

/** The error a caller gets when its own abort signal ends the wait for a token. */
function tokenWaitAborted(): Error {
  return Object.assign(new Error('gave up waiting for an Entra ID token'), { name: 'AbortError' });
}

/** Longest the Secrets Manager read of AZURE_CREDENTIALS_SECRET_ARN may take (two SDK attempts). */
const SECRET_READ_TIMEOUT_MS = 10_000;

export interface CredentialClients {
  readonly sts: () => STSClient;
  readonly secretsManager: () => SecretsManagerClient;
}

/** `{tenantId, clientId, clientSecret}` as stored in AZURE_CREDENTIALS_SECRET_ARN. */
interface StoredCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

function parseStoredCredentials(text: string, secretId: string): StoredCredentials {
  const where = `The secret in AZURE_CREDENTIALS_SECRET_ARN (${secretId})`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message could quote the secret: say only what is wrong.
    throw new ConfigError(`${where} is not JSON: store {"tenantId","clientId","clientSecret"}.`);
  }
  const fields = json as Partial<Record<keyof StoredCredentials, unknown>>;
  const missing = (['tenantId', 'clientId', 'clientSecret'] as const).filter(
    (name) => typeof fields?.[name] !== 'string' || fields[name] === '',
  );
  if (missing.length > 0) throw new ConfigError(`${where} lacks ${missing.join(', ')}.`);
  return fields as StoredCredentials;
}

/**
 * A credential built on first use and rebuilt after a failed build, so a Secrets Manager outage at
 * start-up does not disable the target for the life of the container.
 */
class DeferredCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;

  constructor(private readonly build: () => Promise<TokenCredential>) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= this.build().catch((error: unknown) => {
      this.inner = undefined;
      throw error;
    });
    const inner = await abortable(this.inner, options?.abortSignal, tokenWaitAborted);
    return abortable(inner.getToken(scopes, options), options?.abortSignal, tokenWaitAborted);
  }
}

/**
 * ClientAssertionCredential, but when STS refused the JWT for a reason the operator must fix, that
 * reason is thrown instead of MSAL's wrapper (which does not keep the cause).
 */
class FederatedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly jwt: WebIdentityTokenSource,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await abortable(this.inner.getToken(scopes, options), options?.abortSignal, tokenWaitAborted);
    } catch (error) {
      throw this.jwt.lastFailure() ?? error;
    }
  }
}

/**
 * The Entra ID credential for the configured AZURE_AUTH mode. Both modes skip instance discovery
 * (the authority is configured, and discovery would be one more call on the launch path); tokens
 * are cached by MSAL inside the credential until shortly before they expire.
 */
export function createAzureCredential(config: AcaConfig, clients: CredentialClients): TokenCredential {
  const options: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: true,
    additionalPolicies: [{ policy: entraRequestTimeout, position: 'perRetry' }],
  };
  const auth = config.auth;
  if (auth.mode === 'aws-federation') {
    const jwt = new WebIdentityTokenSource(clients.sts, { durationSeconds: auth.webIdentityTokenSeconds });
    return new FederatedCredential(
      new ClientAssertionCredential(auth.tenantId, auth.clientId, () => jwt.get(), options),
      jwt,
    );
  }
  const fetch = secretFetcher(
    { kind: 'secrets-manager', secretId: auth.credentialsSecretId, envName: 'AZURE_CREDENTIALS_SECRET_ARN' },
    clients.secretsManager,
  );
  return new DeferredCredential(async () => {
    // Shared by every caller waiting for the credential, so bounded by its own timeout.
    const stored = parseStoredCredentials(
      await fetch(AbortSignal.timeout(SECRET_READ_TIMEOUT_MS)),
      auth.credentialsSecretId,
    );
    return new ClientSecretCredential(stored.tenantId, stored.clientId, stored.clientSecret, options);
  });
}
