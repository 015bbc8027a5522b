import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDispatcher } from './dispatch/create-dispatcher.js';
import { requestFromApiGateway } from './http/request.js';

// Built once per container: configuration, secret caches, SDK clients and the launcher.
const dispatch = createDispatcher(process.env);

/** API Gateway (REST, proxy integration) entry point: adapt the event, dispatch, adapt the answer. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const answer = await dispatch(requestFromApiGateway(event, context));
  return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
}
