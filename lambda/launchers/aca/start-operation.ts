import {
  createSerializer,
  type OperationParameter,
  type OperationQueryParameter,
  type OperationSpec,
  type OperationURLParameter,
} from '@azure/core-client';

// The start operation of `@azure/arm-appcontainers`, written out so the launcher can send it once
// through the client (`client.sendOperationRequest`) instead of through `jobs.beginStart`.

const urlParameter = (name: string): OperationURLParameter => ({
  parameterPath: name,
  mapper: { serializedName: name, required: true, type: { name: 'String' } },
});

const constantHeader = (name: string, value: string): OperationParameter => ({
  parameterPath: name,
  mapper: { serializedName: name, defaultValue: value, isConstant: true, type: { name: 'String' } },
});

/** The client's own api-version (`client.apiVersion`), as the SDK's operations send it. */
const apiVersion: OperationQueryParameter = {
  parameterPath: 'apiVersion',
  mapper: { serializedName: 'api-version', required: true, type: { name: 'String' } },
};

/**
 * POST .../jobs/{job}/start as `@azure/arm-appcontainers` 3.0.0 describes it (its `startOperationSpec`),
 * sent once, without the long-running-operation poller. The template is sent as built (job-template.ts
 * writes only the wire fields); answers and errors are read as plain JSON (ARM's `error.code`/`message`).
 */
export const startOperationSpec: OperationSpec = {
  path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.App/jobs/{jobName}/start',
  httpMethod: 'POST',
  responses: { 200: {}, 201: {}, 202: {}, 204: {}, default: {} },
  requestBody: {
    parameterPath: 'template',
    mapper: { serializedName: 'template', type: { name: 'Object' } },
  },
  queryParameters: [apiVersion],
  urlParameters: [urlParameter('subscriptionId'), urlParameter('resourceGroupName'), urlParameter('jobName')],
  headerParameters: [
    constantHeader('Accept', 'application/json'),
    constantHeader('Content-Type', 'application/json'),
  ],
  mediaType: 'json',
  serializer: createSerializer({}, false),
};
