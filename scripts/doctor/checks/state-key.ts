import {
  type CloudFormationClient,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'state encryption key';

/**
 * `ENV0_STATE_ENCRYPTION_KEY` must outlive every agent: the secret exists and is not scheduled for
 * deletion (DescribeSecret: its value is never read), and the stack keeps it when deleted or replaced
 * (`DeletionPolicy: Retain` in the deployed template).
 */
export async function checkStateKey(
  clients: { secrets: SecretsManagerClient; cloudFormation: CloudFormationClient },
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const arn = facts.outputs.StateEncryptionKeySecretArn;
  if (!arn) return skipped(NAME, 'no StateEncryptionKeySecretArn output (the aca target keeps it in Azure)');
  try {
    const secret = await clients.secrets.send(new DescribeSecretCommand({ SecretId: arn }), {
      abortSignal: within(timeoutMs),
    });
    if (secret.DeletedDate !== undefined) {
      return fail(
        NAME,
        `the key ${arn} is scheduled for deletion (since ${secret.DeletedDate.toISOString()}): agents could no longer read encrypted state`,
        `aws secretsmanager restore-secret --secret-id ${arn} --region ${facts.region}`,
      );
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      return fail(
        NAME,
        `the key ${arn} does not exist: state encrypted with it is unreadable`,
        'restore the secret from its backup under the same value; a new key cannot read old state',
      );
    }
    return awsFailure(NAME, `describe ${arn}`, error, `secretsmanager:DescribeSecret on ${arn}`, timeoutMs);
  }
  let policy: string | undefined;
  try {
    const logicalId = await logicalIdOf(clients.cloudFormation, facts.stackName, arn, timeoutMs);
    if (logicalId === undefined)
      return fail(NAME, `${arn} is not a resource of ${facts.stackName}`, 'redeploy');
    const template = await clients.cloudFormation.send(
      new GetTemplateCommand({ StackName: facts.stackName, TemplateStage: 'Processed' }),
      { abortSignal: within(timeoutMs) },
    );
    const body = JSON.parse(template.TemplateBody ?? '{}') as {
      Resources?: Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
    };
    const resource = body.Resources?.[logicalId];
    policy =
      resource?.DeletionPolicy === 'Retain' && resource.UpdateReplacePolicy === 'Retain'
        ? 'Retain'
        : undefined;
  } catch (error) {
    return awsFailure(
      NAME,
      "read the stack's template",
      error,
      'cloudformation:ListStackResources and cloudformation:GetTemplate',
      timeoutMs,
    );
  }
  if (policy !== 'Retain') {
    return fail(
      NAME,
      'the stack does not retain the key: deleting or replacing the stack would delete it',
      'deploy this version of the stack (it sets DeletionPolicy and UpdateReplacePolicy Retain) before any delete',
    );
  }
  return ok(NAME, 'present, not scheduled for deletion, retained by the stack');
}

async function logicalIdOf(
  cloudFormation: CloudFormationClient,
  stackName: string,
  physicalId: string,
  timeoutMs: number,
): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await cloudFormation.send(
      new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken }),
      {
        abortSignal: within(timeoutMs),
      },
    );
    const found = page.StackResourceSummaries?.find((r) => r.PhysicalResourceId === physicalId);
    if (found?.LogicalResourceId) return found.LogicalResourceId;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}
