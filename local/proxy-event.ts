import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** What the local gateway knows about one HTTP request. */
export interface LocalRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/trigger?x=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly requestId: string;
  readonly sourceIp: string;
  /** The resource path the gateway routes to the function, e.g. `/trigger`. */
  readonly resourcePath: string;
  readonly apiKey?: string;
  /** Path parameters of the resource, e.g. `{ taskId }` for `/tasks/{taskId}`. */
  readonly pathParameters?: Record<string, string>;
  readonly now?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(body: Buffer): boolean {
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the REST API proxy-integration event API Gateway would send for this request. Text bodies go
 * as text and other bytes as base64, as API Gateway does with a binary media type configured.
 */
export function proxyEventFrom(request: LocalRequest): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://local');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(', ');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const text = isUtf8(request.body);
  const now = request.now ?? Date.now();
  return {
    resource: request.resourcePath,
    path: url.pathname,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: request.body.length === 0 ? null : request.body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId: request.requestId,
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: request.resourcePath,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: request.apiKey ?? null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: (request.headers['user-agent'] as string | undefined) ?? null,
        userArn: null,
      },
    },
  };
}
