import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDispatcher } from './dispatch/create-dispatcher.js';
import { requestFromApiGateway } from './http/request.js';

// Built once per container, during Lambda's init phase: configuration, secret caches, SDK clients and
// the launcher (its module is imported lazily, so the top-level await makes init include it).
const dispatch = createDispatcher(process.env);
await dispatch.ready;

/** API Gateway (REST, proxy integration) entry point: adapt the event, dispatch, adapt the answer. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const answer = await dispatch(requestFromApiGateway(event, context));
  return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
}
