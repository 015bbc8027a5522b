import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { RequestHandler } from '../dispatch/create-dispatcher.js';
import { requestFromApiGateway } from './request.js';

/** The part of the Lambda context the dispatcher reads; the local server provides just this. */
export type LambdaContextLike = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;

/** An API Gateway REST proxy-integration handler. */
export type ApiGatewayHandler = (
  event: APIGatewayProxyEvent,
  context: LambdaContextLike,
) => Promise<APIGatewayProxyResult>;

/**
 * Adapts a dispatcher to API Gateway's proxy integration: event in, result out. The Lambda entry and
 * the local server both use this one adapter, so local runs exercise the deployed code path.
 */
export function apiGatewayHandler(dispatch: RequestHandler): ApiGatewayHandler {
  return async (event, context) => {
    const answer = await dispatch(requestFromApiGateway(event, context));
    return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
  };
}
