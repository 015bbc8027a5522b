import { GetWebIdentityTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lambda/errors.js';
import { WebIdentityTokenSource } from '../../../../lambda/launchers/aca/web-identity-token.js';

const sts = mockClient(STSClient);
// mockClient(Class) stubs the prototype: put it back for the next file in this worker (isolate: false).
afterAll(() => sts.restore());

describe('WebIdentityTokenSource', () => {
  let clock = 0;
  beforeEach(() => {
    sts.reset();
    clock = 1_000_000;
  });
  const source = () =>
    new WebIdentityTokenSource(() => new STSClient({ region: 'us-east-1' }), {
      durationSeconds: 300,
      now: () => clock,
    });

  it('asks STS for an RS256 JWT with the Entra token-exchange audience', async () => {
    sts
      .on(GetWebIdentityTokenCommand)
      .resolves({ WebIdentityToken: 'jwt-1', Expiration: new Date(clock + 300_000) });

    expect(await source().get()).toBe('jwt-1');
    expect(sts.commandCalls(GetWebIdentityTokenCommand)[0]?.args[0].input).toEqual({
      Audience: ['api://AzureADTokenExchange'],
      SigningAlgorithm: 'RS256',
      DurationSeconds: 300,
    });
  });

  it('reuses a JWT until 30 s before it expires, then gets a new one', async () => {
    sts
      .on(GetWebIdentityTokenCommand)
      .resolvesOnce({ WebIdentityToken: 'jwt-1', Expiration: new Date(clock + 300_000) })
      .resolves({ WebIdentityToken: 'jwt-2', Expiration: new Date(clock + 600_000) });
    const tokens = source();

    const first = await tokens.get();
    clock += 269_000;
    const reused = await tokens.get();
    clock += 2_000;
    const renewed = await tokens.get();

    expect([first, reused, renewed]).toEqual(['jwt-1', 'jwt-1', 'jwt-2']);
  });

  it('shares one STS call between concurrent callers', async () => {
    sts
      .on(GetWebIdentityTokenCommand)
      .resolves({ WebIdentityToken: 'jwt-1', Expiration: new Date(clock + 300_000) });
    const tokens = source();

    await Promise.all([tokens.get(), tokens.get(), tokens.get()]);

    expect(sts.commandCalls(GetWebIdentityTokenCommand)).toHaveLength(1);
  });

  it('turns "federation disabled" into a ConfigError with the command that enables it', async () => {
    const disabled = Object.assign(new Error('disabled'), {
      name: 'OutboundWebIdentityFederationDisabledException',
    });
    sts.on(GetWebIdentityTokenCommand).rejects(disabled);
    const tokens = source();

    const error = await tokens.get().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('enable-outbound-web-identity-federation');
    expect(tokens.lastFailure()).toBe(error);
  });

  it('gives the STS call an abort signal of its own', async () => {
    sts
      .on(GetWebIdentityTokenCommand)
      .resolves({ WebIdentityToken: 'jwt-1', Expiration: new Date(clock + 300_000) });

    await source().get();

    const args = sts.commandCalls(GetWebIdentityTokenCommand)[0]?.args as unknown[] | undefined;
    expect(args?.[1]).toMatchObject({ abortSignal: expect.any(AbortSignal) });
  });

  it("stops a caller's wait at its own signal while the STS call hangs", async () => {
    sts.on(GetWebIdentityTokenCommand).callsFake(() => new Promise(() => undefined));

    const error = await source()
      .get(AbortSignal.timeout(20))
      .catch((e: unknown) => e);

    expect((error as Error).name).toBe('AbortError');
  });
});
