import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonAnswer } from '../../lambda/http/answers.js';
import type { ApiGatewayHandler } from '../../lambda/http/api-gateway-handler.js';
import { Logger } from '../../lambda/log/logger.js';
import { type GatewayServer, startGatewayServer } from '../../local/gateway-server.js';

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the local API Gateway stand-in', () => {
  let server: GatewayServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('hands the handler the proxy event API Gateway would send', async () => {
    const events: APIGatewayProxyEvent[] = [];
    const handler: ApiGatewayHandler = async (event) => {
      events.push(event);
      return { statusCode: 202, body: '{}' };
    };
    server = await startGatewayServer({ handler, apiKey: 'k' });

    await fetch(`${server.url}?a=1`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'Idempotency-Key': 'atask-e', 'content-type': 'application/json' },
      body: Buffer.from([0xff, 0x00]),
    });

    const event = events[0];
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/trigger',
      resource: '/trigger',
      queryStringParameters: { a: '1' },
      isBase64Encoded: true,
      body: Buffer.from([0xff, 0x00]).toString('base64'),
      requestContext: { stage: 'local', identity: { apiKey: 'k', sourceIp: '127.0.0.1' } },
    });
    expect(event?.headers['idempotency-key']).toBe('atask-e');
  });

  it('answers 403 Missing Authentication Token for another path, like a REST API', async () => {
    let called = 0;
    server = await startGatewayServer({
      dispatch: async () => {
        called++;
        return jsonAnswer(202, {});
      },
    });

    const answer = await fetch(server.url.replace('/trigger', '/other'), { method: 'POST', body: '{}' });

    expect(answer.status).toBe(403);
    expect(await answer.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(called).toBe(0);
  });

  it('answers 413 without calling the handler when the body is over the limit', async () => {
    let called = 0;
    server = await startGatewayServer({
      dispatch: async () => {
        called++;
        return jsonAnswer(202, {});
      },
      maxReadBytes: 1024,
    });

    const answer = await fetch(server.url, { method: 'POST', body: 'x'.repeat(2048) });

    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ message: 'Request Too Long' });
    expect(called).toBe(0);
  });

  it('answers 502 like API Gateway when the handler throws, and logs it once', async () => {
    const logs: string[] = [];
    server = await startGatewayServer({
      handler: async () => {
        throw new Error('boom');
      },
      logger: new Logger((line) => logs.push(line)),
    });

    const answer = await fetch(server.url, { method: 'POST', body: '{}' });

    expect(answer.status).toBe(502);
    expect(await answer.json()).toEqual({ message: 'Internal server error' });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(answer.headers.get('x-amzn-requestid'));
  });

  it('answers 504 when the integration takes longer than its timeout', async () => {
    const gate = deferred();
    server = await startGatewayServer({
      handler: async () => {
        await gate.promise;
        return { statusCode: 202, body: '{}' };
      },
      integrationTimeoutMs: 50,
    });

    const answer = await fetch(server.url, { method: 'POST', body: '{}' });
    gate.release();

    expect(answer.status).toBe(504);
  });

  it('answers requests in flight before shutting down, and refuses new ones', async () => {
    const gate = deferred();
    server = await startGatewayServer({
      handler: async () => {
        await gate.promise;
        return { statusCode: 202, body: '{"status":"accepted"}' };
      },
    });
    const running = server;
    const inFlight = fetch(running.url, { method: 'POST', body: '{}' });
    await until(() => running.inFlight === 1);

    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    const refused = await fetch(running.url, { method: 'POST', body: '{}' }).then(
      () => false,
      () => true,
    );
    expect(closed).toBe(false);
    gate.release();
    const answer = await inFlight;
    await closing;

    expect(refused).toBe(true);
    expect(answer.status).toBe(202);
    expect(await answer.json()).toEqual({ status: 'accepted' });
    expect(closed).toBe(true);
  });
});
