import {
  GetWebIdentityTokenCommand,
  type GetWebIdentityTokenCommandOutput,
  type STSClient,
} from '@aws-sdk/client-sts';
import { type AbortSignalish, abortable } from '../../aws/abortable.js';
import { ConfigError } from '../../errors.js';

/** The audience Entra ID expects in a federated credential's assertion. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** STS errors that only the operator can fix, with what to do. */
const STS_CONFIG_HINTS: Record<string, string> = {
  OutboundWebIdentityFederationDisabledException:
    'outbound identity federation is off for this AWS account: run "aws iam enable-outbound-web-identity-federation" once',
  AccessDenied:
    "the function's role may not call sts:GetWebIdentityToken for the audience api://AzureADTokenExchange",
  AccessDeniedException:
    "the function's role may not call sts:GetWebIdentityToken for the audience api://AzureADTokenExchange",
  ValidationError: 'the token request was refused (are you on the STS global endpoint? use a regional one)',
};

export interface WebIdentityTokenOptions {
  /** Lifetime asked of STS, 60-3600 s. */
  readonly durationSeconds: number;
  /** A token is replaced this long before it expires, so Entra never sees an expired one. */
  readonly refreshMarginMs?: number;
  /**
   * One STS call is abandoned after this long, whoever waits for it, so a hung call cannot hold
   * back every later one. @default 10_000
   */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/**
 * Gets AWS-signed JWTs for Entra ID from STS `GetWebIdentityToken` (outbound identity federation)
 * and reuses each one until shortly before it expires. Concurrent callers share one STS call.
 */
export class WebIdentityTokenSource {
  private token: { value: string; refreshAt: number } | undefined;
  /** Why the last fetch failed, when the operator must act; MSAL drops the cause when it wraps errors. */
  private failure: ConfigError | undefined;
  private inFlight: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly sts: () => STSClient,
    private readonly options: WebIdentityTokenOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * A JWT with audience `api://AzureADTokenExchange` that is valid for a while yet. A caller's
   * `signal` ends its own wait (the shared STS call goes on, bounded by `timeoutMs`).
   */
  async get(signal?: AbortSignalish): Promise<string> {
    if (this.token !== undefined && this.now() < this.token.refreshAt) return this.token.value;
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return abortable(this.inFlight, signal, () =>
      Object.assign(new Error('gave up waiting for STS GetWebIdentityToken'), { name: 'AbortError' }),
    );
  }

  private async fetch(): Promise<string> {
    const requestedAt = this.now();
    let answer: GetWebIdentityTokenCommandOutput;
    try {
      answer = await this.sts().send(
        new GetWebIdentityTokenCommand({
          Audience: [AZURE_TOKEN_EXCHANGE_AUDIENCE],
          SigningAlgorithm: 'RS256',
          DurationSeconds: this.options.durationSeconds,
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) },
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const hint = STS_CONFIG_HINTS[name];
      if (hint !== undefined) {
        this.failure = new ConfigError(`AWS STS refused GetWebIdentityToken (${name}): ${hint}.`, {
          cause: error,
        });
        throw this.failure;
      }
      throw error;
    }
    const value = answer.WebIdentityToken;
    if (value === undefined || value === '')
      throw new Error('STS answered GetWebIdentityToken without a token');
    const expiresAt = answer.Expiration?.getTime() ?? requestedAt + this.options.durationSeconds * 1000;
    // Short-lived tokens are kept for half their life, so one token request can reuse its JWT.
    const margin = Math.min(this.options.refreshMarginMs ?? 30_000, (expiresAt - requestedAt) / 2);
    this.token = { value, refreshAt: expiresAt - margin };
    this.failure = undefined;
    return value;
  }

  /** The configuration error of the last failed fetch, if any (cleared by a successful one). */
  lastFailure(): ConfigError | undefined {
    return this.failure;
  }
}
