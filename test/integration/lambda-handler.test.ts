import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsStandIn } from '../support/aws-stand-in.js';
import {
  AGENT_TOKEN,
  AGENT_TOKEN_ARN,
  ECS_ENV,
  WEBHOOK_SECRET,
  WEBHOOK_SECRET_ARN,
} from '../support/harness.js';

type Handler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<{ statusCode: number; body: string }>;

const context = { getRemainingTimeInMillis: () => 25_000, awsRequestId: 'req-1' } as unknown as Context;

function event(body: string, headers: Record<string, string>, isBase64Encoded = false): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/trigger',
    body,
    headers,
    isBase64Encoded,
    requestContext: { requestId: 'apigw-1' },
  } as unknown as APIGatewayProxyEvent;
}

describe('Lambda entry point (API Gateway proxy event)', () => {
  const standIn = new AwsStandIn();
  let handler: Handler;

  beforeAll(async () => {
    const endpoint = await standIn.start();
    standIn.secrets.set(WEBHOOK_SECRET_ARN, WEBHOOK_SECRET);
    standIn.secrets.set(AGENT_TOKEN_ARN, AGENT_TOKEN);
    Object.assign(process.env, AwsStandIn.clientEnv(endpoint), ECS_ENV, { LOG_LEVEL: 'error' });
    ({ handler } = (await import('../../lambda/handler.js')) as unknown as { handler: Handler });
  });
  afterAll(() => standIn.stop());

  it('accepts headers in any case and launches', async () => {
    const answer = await handler(
      event('{"task_id":"atask-h1"}', {
        'CONTENT-TYPE': 'application/json',
        authorization: `Bearer ${WEBHOOK_SECRET}`,
        'IDEMPOTENCY-KEY': 'atask-h1',
      }),
      context,
    );

    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ taskId: 'atask-h1', dedupKey: 'atask-h1' });
    expect(standIn.tasks).toHaveLength(1);
  });

  it('decodes a base64-encoded body', async () => {
    const body = Buffer.from('{"task_id":"atask-h2","action":"apply"}').toString('base64');

    const answer = await handler(
      event(body, { 'Content-Type': 'application/json', Authorization: `Bearer ${WEBHOOK_SECRET}` }, true),
      context,
    );

    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body).taskId).toBe('atask-h2');
  });
});
