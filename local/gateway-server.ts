import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from '../lambda/dispatch/create-dispatcher.js';
import type { HttpAnswer } from '../lambda/http/answers.js';
import type { WebhookRequest } from '../lambda/http/request.js';

export interface GatewayServerOptions {
  /** The dispatcher, exactly as the Lambda runs it. */
  readonly dispatch: RequestHandler;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Path served; anything else is 404 like an unknown API Gateway resource. */
  readonly path?: string;
  /** Bodies larger than this are cut off before reaching the handler (API Gateway allows 10 MB). */
  readonly maxReadBytes?: number;
}

export interface GatewayServer {
  readonly url: string;
  /** Stops accepting connections and resolves once in-flight requests have been answered. */
  close(): Promise<void>;
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.statusCode, answer.headers);
  res.end(answer.body);
}

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

/**
 * Serves the dispatcher over plain HTTP on this machine, standing in for API Gateway: same request
 * shape, same answers. Used by `npm start` and by the tests that drive the handler over HTTP.
 */
export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const path = options.path ?? '/trigger';
  const maxReadBytes = options.maxReadBytes ?? 10 * 1024 * 1024;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== path) {
      return send(res, {
        statusCode: 404,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Not Found"}',
      });
    }
    const body = await readBody(req, maxReadBytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return send(res, {
        statusCode: 413,
        headers: { 'content-type': 'application/json' },
        body: '{"message":"Request Too Long"}',
      });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const request: WebhookRequest = { method: req.method ?? 'GET', headers, body, remainingTimeMs: 29_000 };
    send(res, await options.dispatch(request));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
