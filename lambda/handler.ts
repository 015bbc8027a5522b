import { createDispatcher } from './dispatch/create-dispatcher.js';
import { apiGatewayHandler } from './http/api-gateway-handler.js';

/**
 * API Gateway (REST, proxy integration) entry point. Built once per container: configuration,
 * secret caches, SDK clients and the launcher.
 */
export const handler = apiGatewayHandler(createDispatcher(process.env));
