import { type APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  awsFailure,
  type CheckResult,
  describeError,
  fail,
  ok,
  type StackFacts,
  skipped,
  within,
} from '../check.js';
import { readSecretText } from '../secret-text.js';

const NAME = 'webhook path (API key + secret)';

/**
 * The probe's body. The REST API's request model only lets strings through, so `{"task_id": 5}` would
 * be refused by API Gateway before the function runs and prove nothing about the webhook secret. A
 * string that is not a Scalr id passes the model and is refused by the dispatcher with 400
 * `invalid_request` naming `task_id` — after it checked the secret, and before anything is launched.
 */
export const PROBE_BODY = JSON.stringify({ task_id: '!doctor-probe', action: 'plan' });

/**
 * Proves the API key and the webhook secret without starting an agent: a request with both and a
 * body the dispatcher refuses after authenticating must be answered 400 `invalid_request`.
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
    if (!key.value) return fail(NAME, `API key ${keyId} has no value`, 'redeploy the stack');
    if (key.enabled === false) {
      return fail(
        NAME,
        `API key ${keyId} is disabled`,
        `aws apigateway update-api-key --api-key ${keyId} --patch-operations op=replace,path=/enabled,value=true --region ${facts.region}`,
      );
    }
    apiKey = key.value;
  } catch (error) {
    return awsFailure(NAME, `read API key ${keyId}`, error, `apigateway:GET on /apikeys/${keyId}`, timeoutMs);
  }
  try {
    secret = (await readSecretText(clients.secrets, secretArn, timeoutMs)) ?? '';
  } catch (error) {
    return awsFailure(
      NAME,
      'read the webhook secret',
      error,
      `secretsmanager:GetSecretValue on ${secretArn}`,
      timeoutMs,
    );
  }
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, authorization: `Bearer ${secret}` },
      body: PROBE_BODY,
      signal: within(timeoutMs),
    });
    body = (await response.text()).slice(0, 4000);
  } catch (error) {
    const timedOut = ['TimeoutError', 'AbortError'].includes((error as { name?: string }).name ?? '');
    return fail(
      NAME,
      timedOut
        ? `${url} gave no answer within ${timeoutMs} ms (timeout)`
        : `${url} could not be reached: ${describeError(error)}${causeCode(error)}`,
      'check the URL and the network; then the function logs (AgentDispatcher alarms, CloudWatch Logs)',
    );
  }
  return judge(response, body);
}

/** The answer to the probe as a report line. */
function judge(response: Response, body: string): CheckResult {
  const parsed = parseJson(body);
  const code = parsed?.error?.code;
  const status = response.status;
  if (status === 400 && code === 'invalid_request') {
    const field = parsed?.error?.field;
    return ok(
      NAME,
      `400 invalid_request${field ? ` (${field})` : ''} for a deliberately bad body: the API key and the webhook secret were accepted`,
    );
  }
  if (status === 403) {
    return fail(
      NAME,
      `API Gateway answered 403 (${parsed?.message ?? 'Forbidden'}): the API key was refused`,
      'check that the key is enabled and in the usage plan of the stage (aws apigateway get-usage-plan-keys), and that the URL is the WebhookUrl output; a resource policy (allowedSourceIps) may also refuse this machine',
    );
  }
  if (status === 401) {
    return fail(
      NAME,
      'the dispatcher answered 401: the webhook secret was refused',
      'the function reads WEBHOOK_SECRET_ARN; check that it names the WebhookSecretArn output and that Scalr sends "Authorization: Bearer <that secret>"',
    );
  }
  if (status === 400) {
    // API Gateway's own 400s carry `message`, not the dispatcher's `error.code`.
    return fail(
      NAME,
      `400 from API Gateway (${parsed?.message ?? 'no dispatcher error code'}): the API key was accepted but the dispatcher was not reached`,
      'check the REST API request model and validator (redeploy the stack)',
    );
  }
  if (status >= 200 && status < 300) {
    return fail(
      NAME,
      `${status}: the dispatcher accepted a probe it should have refused (an agent may have been started)`,
      'the deployed function is not this version of the dispatcher: redeploy',
    );
  }
  const errorType = response.headers.get('x-amzn-errortype')?.split(':')[0];
  const what = code ?? errorType ?? parsed?.message ?? 'no error code';
  return fail(
    NAME,
    `${status} ${what}`,
    `read the dispatcher function logs for this request (x-amzn-requestid ${response.headers.get('x-amzn-requestid') ?? 'unknown'})`,
  );
}

function parseJson(
  body: string,
): { error?: { code?: string; field?: string }; message?: string } | undefined {
  try {
    return JSON.parse(body) as { error?: { code?: string; field?: string }; message?: string };
  } catch {
    return undefined;
  }
}

/** Node's fetch hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`. */
function causeCode(error: unknown): string {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code ? ` (${code})` : '';
}
