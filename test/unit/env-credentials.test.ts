import { describe, expect, it } from 'vitest';
import { defaultProvider } from '../../lambda/aws/env-credentials.js';

describe('environment-only credential provider (the Lambda bundle alias of credential-provider-node)', () => {
  it('reads the key pair and session token Lambda sets', async () => {
    const provide = defaultProvider(undefined, {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-value-1',
      AWS_SESSION_TOKEN: 'session-token-1',
    });

    await expect(provide()).resolves.toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret-value-1',
      sessionToken: 'session-token-1',
    });
  });

  it('reads the variables at each call, so a changed environment is seen', async () => {
    const env: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: 'AKIDONE', AWS_SECRET_ACCESS_KEY: 's1' };
    const provide = defaultProvider(undefined, env);
    await provide();

    env.AWS_ACCESS_KEY_ID = 'AKIDTWO';

    await expect(provide()).resolves.toMatchObject({ accessKeyId: 'AKIDTWO' });
  });

  it('fails naming the missing variables without echoing any value', async () => {
    const provide = defaultProvider(undefined, {
      AWS_ACCESS_KEY_ID: 'AKIDPRESENT',
      AWS_SESSION_TOKEN: 'tok-9',
    });

    const failure = (await provide().catch((error: unknown) => error)) as Error;

    expect(failure).toBeInstanceOf(Error);
    expect(failure.name).toBe('CredentialsProviderError');
    expect(failure.message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(failure.message).not.toContain('AKIDPRESENT');
    expect(failure.message).not.toContain('tok-9');
  });
});
