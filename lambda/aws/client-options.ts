import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Time allowed to open a connection to an AWS endpoint. A healthy regional endpoint connects in
 * milliseconds; 3 s leaves room for a slow TLS handshake while still failing long before API
 * Gateway's 29 s.
 */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;

/**
 * Time allowed from sending a request to its response headers. The calls made here (GetSecretValue,
 * GetWebIdentityToken, DynamoDB item writes) answer in well under a second; 5 s means a hung call
 * is cut off and, with `maxAttempts: 2`, retried once inside the launch deadline.
 */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

export interface AwsTimeouts {
  /** @default AWS_CONNECTION_TIMEOUT_MS */
  readonly connectionTimeoutMs?: number;
  /** @default AWS_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
}

/**
 * Options every AWS SDK v3 client here is built with. The SDK's Node handler waits forever by
 * default, and in @smithy/node-http-handler 4.x a `requestTimeout` only logs a warning unless
 * `throwOnRequestTimeout` is set: without both, one hung call holds the request past API Gateway's
 * timeout. Callers still pass an `abortSignal` to `send` for their own deadline.
 */
export function awsClientOptions(timeouts: AwsTimeouts = {}): { requestHandler: NodeHttpHandler } {
  return {
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeouts.connectionTimeoutMs ?? AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: timeouts.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  };
}
