import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { QueueStateError, readPendingCount } from '../../../lambda/poller/queue-state.js';
import { ENV0_TOKEN_PLACEHOLDER } from '../../../lambda/poller/token-placeholder.js';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped, warn } from '../check.js';
import { isSecretNotFound, readSecretText } from '../secret-text.js';

const NAME = 'env0 queue-state';

/**
 * The env0 poller's token opens env0's queue-state: the token secret the poller names is set (not
 * the placeholder), and `GET <QUEUE_STATE_URL>` with it answers a `pendingCount`. The token is sent
 * only to the URL the poller itself uses and is never printed.
 */
export async function checkEnv0Queue(
  secrets: SecretsManagerClient,
  facts: StackFacts,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<CheckResult> {
  const arn = facts.functionEnv.AGENT_TOKEN_SECRET_ARN;
  const url = facts.functionEnv.QUEUE_STATE_URL;
  if (!arn || !url) {
    return facts.functionProblem
      ? fail(NAME, `the poller's settings are unknown: ${facts.functionProblem}`, 'see the message')
      : skipped(NAME, 'the poller names no AGENT_TOKEN_SECRET_ARN / QUEUE_STATE_URL');
  }
  const set =
    facts.outputs.SetAgentTokenCommand ??
    `aws secretsmanager put-secret-value --secret-id ${arn} --secret-string "$ENV0_AGENT_ACCESS_TOKEN" --region ${facts.region}`;
  let token: string;
  try {
    token = (await readSecretText(secrets, arn, timeoutMs)) ?? '';
  } catch (error) {
    if (isSecretNotFound(error)) {
      return fail(NAME, `the token secret ${arn} does not exist (or has no value yet)`, set);
    }
    return awsFailure(NAME, `read ${arn}`, error, `secretsmanager:GetSecretValue on ${arn}`, timeoutMs);
  }
  if (token === '' || token === ENV0_TOKEN_PLACEHOLDER) {
    return fail(NAME, 'the env0 agent access token is not set yet (the secret holds the placeholder)', set);
  }
  try {
    const pending = await readPendingCount({ url, token, timeoutMs, fetch: fetchImpl });
    return ok(NAME, `${new URL(url).host} answered with the token (pendingCount ${pending})`);
  } catch (error) {
    if (!(error instanceof QueueStateError)) throw error;
    if (error.kind === 'unauthorized') {
      return fail(
        NAME,
        error.message,
        `create a new agent access token in env0 (Organization Settings → Agents) and store it: ${set}`,
      );
    }
    if (error.kind === 'invalid') {
      return fail(NAME, error.message, 'check env0QueueStateUrl: it must be the queue-state endpoint');
    }
    return warn(
      NAME,
      `${error.message}; the poller meets the same and waits`,
      'check env0 status and this network, then run doctor again',
    );
  }
}
