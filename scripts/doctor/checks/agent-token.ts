import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AGENT_TOKEN_PLACEHOLDER } from '../../../lambda/secrets/agent-token-placeholder.js';
import { type CheckResult, describeError, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'agent token';

/** The pool token must not be the placeholder the stack stored; its value is never printed. */
export async function checkAgentToken(
  secrets: SecretsManagerClient,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const arn = facts.outputs.AgentTokenSecretArn;
  if (!arn) return skipped(NAME, 'no AgentTokenSecretArn output (the aca target keeps the token in Azure)');
  const set = `aws secretsmanager put-secret-value --secret-id ${arn} --secret-string <agent pool token>`;
  try {
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: arn }), {
      abortSignal: within(timeoutMs),
    });
    const value = answer.SecretString?.trim() ?? '';
    if (value === '') return fail(NAME, 'the secret is empty', set);
    if (value === AGENT_TOKEN_PLACEHOLDER) return fail(NAME, 'the secret still holds the placeholder', set);
    return ok(NAME, `set (${value.length} characters)`);
  } catch (error) {
    return fail(
      NAME,
      `cannot read ${arn}: ${describeError(error)}`,
      'run doctor with credentials that may read the secret',
    );
  }
}
