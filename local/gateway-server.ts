import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentialMatches } from '../lambda/auth/bearer.js';
import type { RequestHandler } from '../lambda/dispatch/create-dispatcher.js';
import { type ApiGatewayHandler, apiGatewayHandler } from '../lambda/http/api-gateway-handler.js';
import type { Logger } from '../lambda/log/logger.js';
import { proxyEventFrom } from './proxy-event.js';

export interface GatewayServerOptions {
  /** The Lambda handler, exactly as deployed. Give this or `dispatch`. */
  readonly handler?: ApiGatewayHandler;
  /** A dispatcher; it is wrapped in the same API Gateway adapter as the Lambda entry. */
  readonly dispatch?: RequestHandler;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Path served; anything else is 403 Missing Authentication Token, as API Gateway answers. */
  readonly path?: string;
  /**
   * Also serve `GET <tasksPath>/{taskId}` (the task trail) with the same handler and API key.
   * @default - not served
   */
  readonly tasksPath?: string;
  /** Bodies larger than this are refused before reaching the handler (API Gateway allows 10 MB). */
  readonly maxReadBytes?: number;
  /** When set, requests must carry it in `x-api-key`, as with an API Gateway usage plan. */
  readonly apiKey?: string;
  /** Gets one line per request the gateway answers itself; the dispatcher logs the others. */
  readonly logger?: Logger;
  /** Time the integration may take before the gateway answers 504, like API Gateway's 29 s. */
  readonly integrationTimeoutMs?: number;
  /** On close, connections still busy after this long are cut. */
  readonly shutdownGraceMs?: number;
}

export interface GatewayServer {
  readonly url: string;
  /** Requests being answered right now. */
  readonly inFlight: number;
  /** Stops accepting connections and resolves once in-flight requests have been answered. */
  close(): Promise<void>;
}

/** Answers API Gateway itself gives, before or instead of the integration. */
const GATEWAY_ANSWERS = {
  forbidden: { status: 403, body: '{"message":"Forbidden"}', type: 'ForbiddenException' },
  // What a REST API answers for a path or method it has no resource for.
  notFound: {
    status: 403,
    body: '{"message":"Missing Authentication Token"}',
    type: 'MissingAuthenticationTokenException',
  },
  tooLarge: { status: 413, body: '{"message":"Request Too Long"}', type: 'RequestTooLongException' },
  badGateway: {
    status: 502,
    body: '{"message":"Internal server error"}',
    type: 'InternalServerErrorException',
  },
  timeout: { status: 504, body: '{"message":"Endpoint request timed out"}', type: 'IntegrationTimeout' },
} as const;
type GatewayAnswer = (typeof GATEWAY_ANSWERS)[keyof typeof GATEWAY_ANSWERS];

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `<prefix>/{taskId}` as API Gateway routes it: one non-empty path segment after the prefix. */
function taskRoute(prefix: string, pathname: string) {
  const segment = pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length + 1) : undefined;
  if (segment === undefined || segment === '' || segment.includes('/')) return undefined;
  return { resource: `${prefix}/{taskId}`, parameters: { taskId: segment } };
}

/**
 * Serves the Lambda handler over plain HTTP on this machine, standing in for API Gateway: the API key
 * check, the size limit and the integration timeout in front, then a proxy event to the same handler
 * the Lambda runs. Used by `npm start` and by tests that drive the handler over HTTP.
 */
export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const handler = options.handler ?? (options.dispatch ? apiGatewayHandler(options.dispatch) : undefined);
  if (handler === undefined) throw new Error('startGatewayServer needs a handler or a dispatch function');
  const path = options.path ?? '/trigger';
  const maxReadBytes = options.maxReadBytes ?? 10 * 1024 * 1024;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
  let inFlight = 0;
  let closing: Promise<void> | undefined;

  const answer = (res: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    // While shutting down, no connection is kept for another request.
    if (closing !== undefined) res.setHeader('connection', 'close');
    res.writeHead(status, headers);
    res.end(body);
  };

  const gatewayAnswer = (req: IncomingMessage, res: ServerResponse, which: GatewayAnswer, id: string) => {
    options.logger?.warn('request answered by the gateway', {
      outcome: 'rejected',
      code: which.type,
      status: which.status,
      method: req.method,
      path: new URL(req.url ?? '/', 'http://local').pathname,
      requestId: id,
    });
    res.setHeader('connection', 'close');
    answer(
      res,
      which.status,
      { 'content-type': 'application/json', 'x-amzn-errortype': which.type },
      which.body,
    );
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);
    const url = new URL(req.url ?? '/', 'http://local');
    const task = options.tasksPath === undefined ? undefined : taskRoute(options.tasksPath, url.pathname);
    if (url.pathname !== path && task === undefined) {
      return gatewayAnswer(req, res, GATEWAY_ANSWERS.notFound, requestId);
    }
    const apiKey = firstHeader(req.headers['x-api-key']);
    if (
      options.apiKey !== undefined &&
      (apiKey === undefined || !credentialMatches(apiKey, options.apiKey))
    ) {
      return gatewayAnswer(req, res, GATEWAY_ANSWERS.forbidden, requestId);
    }
    if (Number(req.headers['content-length'] ?? 0) > maxReadBytes) {
      return gatewayAnswer(req, res, GATEWAY_ANSWERS.tooLarge, requestId);
    }
    const body = await readBody(req, maxReadBytes);
    if (body === undefined) return gatewayAnswer(req, res, GATEWAY_ANSWERS.tooLarge, requestId);

    const event = proxyEventFrom({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      requestId,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      resourcePath: task?.resource ?? path,
      pathParameters: task?.parameters,
      apiKey,
    });
    const deadline = Date.now() + integrationTimeoutMs;
    const context = { awsRequestId: requestId, getRemainingTimeInMillis: () => deadline - Date.now() };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), integrationTimeoutMs);
    });
    try {
      const result = await Promise.race([handler(event, context), timedOut]);
      if (result === 'timeout') return gatewayAnswer(req, res, GATEWAY_ANSWERS.timeout, requestId);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
      answer(res, result.statusCode, headers, result.body);
    } catch {
      // A handler that throws is a Lambda error; API Gateway hides it behind a 502.
      gatewayAnswer(req, res, GATEWAY_ANSWERS.badGateway, requestId);
    } finally {
      clearTimeout(timer);
    }
  };

  const server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
    });
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}${path}`,
    get inFlight() {
      return inFlight;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Busy connections close after their answer (see `answer`); this only cuts stragglers.
        setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 30_000).unref();
      });
      return closing;
    },
  };
}
