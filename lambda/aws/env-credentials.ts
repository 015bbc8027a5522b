/**
 * Credentials from the environment only: what Lambda always provides (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`). The Lambda bundle aliases
 * `@aws-sdk/credential-provider-node` to this module (lib/lambda-bundling.ts), so it does not carry
 * the SDK's whole chain (INI files, SSO, IMDS, STS clients), about a fifth of the bundle. Local mode
 * and tests run the sources, with the SDK's own chain.
 */
export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly accountId?: string;
}

/** Same shape as the SDK's `defaultProvider(init)`: returns the provider the client calls per request. */
export function defaultProvider(
  _init?: unknown,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<EnvCredentials> {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      // Names the variables only; never their values.
      throw Object.assign(
        new Error(
          'No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them).',
        ),
        { name: 'CredentialsProviderError', tryNextLink: false },
      );
    }
    return {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
    };
  };
}
