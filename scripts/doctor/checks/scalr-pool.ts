import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type FetchLike, ScalrApi, ScalrApiError } from '../../../lambda/scalr-registration/scalr-api.js';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped } from '../check.js';
import { readSecretText } from '../secret-text.js';

const NAME = 'scalr pool';
const REDEPLOY =
  'deploy the stack again (the registration rewrites the URL and headers), or fix the pool in Scalr';

/**
 * With the Scalr registration on (`ScalrAgentPoolId` output): the pool exists, is serverless, calls
 * the stack's `WebhookUrl`, and sends exactly `x-api-key` and `Authorization`, both sensitive. Scalr
 * never returns a sensitive header's value, so the values are not compared here: the webhook check
 * proves the stack's key and secret work, and each deploy rewrites them into the pool.
 */
export async function checkScalrPool(
  secrets: SecretsManagerClient,
  facts: StackFacts,
  timeoutMs: number,
  fetch?: FetchLike,
): Promise<CheckResult> {
  const poolId = facts.outputs.ScalrAgentPoolId;
  const url = facts.outputs.ScalrApiUrl;
  const tokenArn = facts.outputs.ScalrApiTokenSecretArn;
  const webhookUrl = facts.outputs.WebhookUrl;
  if (!poolId || !url || !tokenArn) {
    return skipped(
      NAME,
      'the Scalr registration is off (no ScalrAgentPoolId output): the pool is set up by hand',
    );
  }
  let token: string;
  try {
    token = (await readSecretText(secrets, tokenArn, timeoutMs)) ?? '';
  } catch (error) {
    return awsFailure(
      NAME,
      `read the Scalr API token ${tokenArn}`,
      error,
      `secretsmanager:GetSecretValue on ${tokenArn}`,
      timeoutMs,
    );
  }
  if (token === '')
    return fail(NAME, `the Scalr API token secret ${tokenArn} is empty`, 'store a Scalr API token in it');
  const scalr = new ScalrApi({ url, token, fetch, callTimeoutMs: timeoutMs, attempts: 2 });
  let pool: Awaited<ReturnType<ScalrApi['readPool']>>;
  try {
    pool = await scalr.readPool(poolId);
  } catch (error) {
    const message = error instanceof ScalrApiError ? error.message : String(error);
    return fail(
      NAME,
      `cannot read pool ${poolId}: ${message}`.slice(0, 400),
      'check the token, its agent-pools:read permission and scalrUrl',
    );
  }
  if (pool === undefined) return fail(NAME, `Scalr has no pool ${poolId} in ${url}`, REDEPLOY);
  const problems: string[] = [];
  if (!pool.webhookEnabled) problems.push('serverless (webhook) execution is off');
  if (pool.webhookUrl !== webhookUrl) {
    problems.push(`its webhook URL is ${JSON.stringify(pool.webhookUrl)}, the stack's is ${webhookUrl}`);
  }
  const names = pool.webhookHeaders.map((h) => h.name.toLowerCase()).sort();
  if (names.join(',') !== 'authorization,x-api-key') {
    problems.push(`its headers are [${names.join(', ')}], expected authorization and x-api-key`);
  }
  const plain = pool.webhookHeaders.filter((h) => !h.sensitive).map((h) => h.name);
  if (plain.length > 0) problems.push(`headers not marked sensitive: ${plain.join(', ')}`);
  if (problems.length > 0)
    return fail(NAME, `pool ${pool.id} (${pool.name}): ${problems.join('; ')}`, REDEPLOY);
  return ok(
    NAME,
    `pool ${pool.id} (${pool.name}) calls ${webhookUrl} with x-api-key and Authorization, both sensitive (values are write-only in Scalr)`,
  );
}
