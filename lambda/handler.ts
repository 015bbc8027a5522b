import { createDispatcher } from './dispatch/create-dispatcher.js';
import { apiGatewayHandler } from './http/api-gateway-handler.js';

// Built once per container, during Lambda's init phase: configuration, secret caches, SDK clients and
// the launcher (its module is imported lazily, so the top-level await makes init include it).
const dispatch = createDispatcher(process.env);
await dispatch.ready;

/** API Gateway (REST, proxy integration) entry point: adapt the event, dispatch, adapt the answer. */
export const handler = apiGatewayHandler(dispatch);
