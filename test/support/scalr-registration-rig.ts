import { sdkAwsAccess } from '../../lambda/scalr-registration/aws-access.js';
import {
  onEvent,
  type RegistrationEvent,
  type RegistrationProperties,
  type RegistrationResult,
} from '../../lambda/scalr-registration/registration.js';
import { ScalrApi } from '../../lambda/scalr-registration/scalr-api.js';
import { AwsStandIn } from './aws-stand-in.js';
import { ScalrStandIn } from './scalr-stand-in.js';

export const SCALR_URL = 'https://example.scalr.io';
export const SCALR_API_TOKEN = 'scalr-api-token-7f3e9a1c5b2d4e6f8a0b';
export const SCALR_TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:scalr/api-token-AbCdEf';
export const STACK_ID =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/ScalrPool/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

/**
 * The registration's custom resource handler (`onEvent`, with the real SDK clients and the real
 * Scalr client) against the Scalr API stand-in and the AWS stand-in. The Scalr client's `fetch`
 * sends `https://example.scalr.io` to the stand-in; its waits are recorded instead of slept.
 */
export class RegistrationRig {
  readonly scalr = new ScalrStandIn({ apiToken: SCALR_API_TOKEN, maxPageSize: 2 });
  readonly aws = new AwsStandIn();
  /** The handler's log lines, as written. */
  readonly logs: string[] = [];
  /** Waits the Scalr client asked for (429 Retry-After, backoff). */
  readonly waits: number[] = [];
  /** Limit of one Scalr call. */
  callTimeoutMs = 2_000;
  private scalrUrl = '';

  /** Where the Scalr stand-in listens (for a handler that calls it directly). */
  get scalrEndpoint(): string {
    return this.scalrUrl;
  }
  private saved: Record<string, string | undefined> = {};

  async start(): Promise<this> {
    this.scalrUrl = await this.scalr.start();
    const endpoint = await this.aws.start();
    for (const [name, value] of Object.entries(AwsStandIn.clientEnv(endpoint))) {
      this.saved[name] = process.env[name];
      process.env[name] = value;
    }
    this.aws.secrets.set(SCALR_TOKEN_ARN, SCALR_API_TOKEN);
    return this;
  }

  async stop(): Promise<void> {
    await this.scalr.stop();
    await this.aws.stop();
    for (const [name, value] of Object.entries(this.saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  /** Runs one CloudFormation event through the handler, as the provider framework does. */
  run(event: RegistrationEvent): Promise<RegistrationResult> {
    return onEvent(event, {
      aws: sdkAwsAccess(),
      scalr: (url, token) =>
        new ScalrApi({
          url,
          token,
          fetch: (target, init) => fetch(target.replace(SCALR_URL, this.scalrUrl), init),
          callTimeoutMs: this.callTimeoutMs,
          remainingMs: () => 170_000,
          sleep: async (ms) => {
            this.waits.push(ms);
          },
        }),
      log: (line) => this.logs.push(JSON.stringify({ level: 'info', ...line })),
    });
  }
}

/** A CloudFormation custom resource event for the properties. */
export function cfnEvent(
  requestType: RegistrationEvent['RequestType'],
  properties: RegistrationProperties,
  extra: Partial<RegistrationEvent> = {},
): RegistrationEvent {
  return {
    RequestType: requestType,
    StackId: STACK_ID,
    LogicalResourceId: 'ScalrRegistrationResource1A2B3C4D',
    ResourceProperties: properties,
    ...extra,
  };
}
