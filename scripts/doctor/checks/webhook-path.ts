import { type APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CheckResult, describeError, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'webhook path (API key + secret)';

/**
 * Proves the API key and the webhook secret without starting an agent: a request with both and a
 * body that API Gateway's model lets through (strings only) but the dispatcher refuses after
 * authenticating (a `task_id` that is not a Scalr id) must be answered 400 `invalid_request`.
 */
export async function checkWebhookPath(
  clients: { apiGateway: APIGatewayClient; secrets: SecretsManagerClient },
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const { WebhookUrl: url, ApiKeyId: keyId, WebhookSecretArn: secretArn } = facts.outputs;
  if (!url || !keyId || !secretArn)
    return skipped(NAME, 'the stack has no WebhookUrl / ApiKeyId / WebhookSecretArn output');
  let apiKey: string;
  let secret: string;
  try {
    const key = await clients.apiGateway.send(new GetApiKeyCommand({ apiKey: keyId, includeValue: true }), {
      abortSignal: within(timeoutMs),
    });
    apiKey = key.value ?? '';
    const answer = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }), {
      abortSignal: within(timeoutMs),
    });
    secret = answer.SecretString?.trim() ?? '';
  } catch (error) {
    return fail(
      NAME,
      `cannot read the API key or the webhook secret: ${describeError(error)}`,
      'allow apigateway:GET on the key and secretsmanager:GetSecretValue',
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, authorization: `Bearer ${secret}` },
      // Not a Scalr id: refused after authentication, so nothing is launched.
      body: JSON.stringify({ task_id: '!doctor-probe', action: 'plan' }),
      signal: within(timeoutMs),
    });
  } catch (error) {
    return fail(
      NAME,
      `${url} did not answer: ${describeError(error)}`,
      'check the URL, the network and the function logs',
    );
  }
  const body = (await response.text()).slice(0, 2000);
  const code = (() => {
    try {
      return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    } catch {
      return undefined;
    }
  })();
  if (response.status === 400 && code === 'invalid_request') {
    return ok(
      NAME,
      `${response.status} for a deliberately bad body: the API key and the webhook secret were accepted`,
    );
  }
  if (response.status === 403) {
    return fail(
      NAME,
      'API Gateway answered 403: the API key or the usage plan refused it',
      'check the usage plan and the key (GetApiKeyCommand output)',
    );
  }
  if (response.status === 401) {
    return fail(
      NAME,
      'the dispatcher answered 401: the webhook secret did not match',
      'see WebhookSecretArn; the header is "Authorization: Bearer <secret>"',
    );
  }
  return fail(
    NAME,
    `unexpected ${response.status}${code ? ` ${code}` : ''}`,
    'read the dispatcher function logs for this request',
  );
}
