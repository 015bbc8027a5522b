import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AGENT_TOKEN_PLACEHOLDER } from '../../../lambda/secrets/agent-token-placeholder.js';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped } from '../check.js';
import { isSecretNotFound, readSecretText } from '../secret-text.js';

const NAME = 'agent token';

/** The pool token must not be the placeholder the stack stored; its value is never printed. */
export async function checkAgentToken(
  secrets: SecretsManagerClient,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const arn = facts.outputs.AgentTokenSecretArn;
  if (!arn) return skipped(NAME, 'no AgentTokenSecretArn output (the aca target keeps the token in Azure)');
  const set = `aws secretsmanager put-secret-value --secret-id ${arn} --secret-string "$SCALR_AGENT_POOL_TOKEN" --region ${facts.region}`;
  let value: string;
  try {
    const text = await readSecretText(secrets, arn, timeoutMs);
    if (text === undefined) return fail(NAME, 'the secret holds binary data, not the token text', set);
    value = text;
  } catch (error) {
    if (isSecretNotFound(error)) {
      return fail(NAME, `the secret ${arn} does not exist (or has no value yet)`, set);
    }
    return awsFailure(NAME, `read ${arn}`, error, `secretsmanager:GetSecretValue on ${arn}`, timeoutMs);
  }
  if (value === '') return fail(NAME, 'the secret is empty', set);
  if (value === AGENT_TOKEN_PLACEHOLDER) return fail(NAME, 'the secret still holds the placeholder', set);
  return ok(NAME, 'set (not the placeholder)');
}
