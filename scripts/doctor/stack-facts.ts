import {
  type CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsFailure, type StackFacts, within } from './check.js';

/** The stack does not exist (or is not visible with these credentials): a usage error, exit 2. */
export class StackNotFoundError extends Error {}

/**
 * Reads the stack's outputs, then finds the dispatcher function among its resources (the one whose
 * environment names `WEBHOOK_SECRET_ARN`, or `QUEUE_STATE_URL` for the env0 poller) and reads its
 * environment.
 */
export async function readStackFacts(
  clients: { cloudFormation: CloudFormationClient; lambda: LambdaClient },
  stackName: string,
  region: string,
  timeoutMs: number,
): Promise<StackFacts> {
  let outputs: Record<string, string>;
  try {
    const answer = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }), {
      abortSignal: within(timeoutMs),
    });
    const stack = answer.Stacks?.[0];
    if (stack === undefined) throw new StackNotFoundError(`stack ${stackName} not found in ${region}`);
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if ((error as { name?: string }).name === 'ValidationError') {
      throw new StackNotFoundError(`stack ${stackName} not found in ${region} (check --stack and --region)`);
    }
    throw error;
  }
  // Only the env0 stack has this output; the function's settings, when read, decide.
  const byOutputs = outputs.StateEncryptionKeySecretArn !== undefined ? 'env0' : 'scalr';
  try {
    const fn = await dispatcherFunction(clients, stackName, timeoutMs);
    if (fn === undefined) {
      return {
        stackName,
        source: byOutputs,
        region,
        outputs,
        functionEnv: {},
        functionSubnets: [],
        functionProblem:
          'no function of the stack has WEBHOOK_SECRET_ARN (Scalr) or QUEUE_STATE_URL (env0) in its environment',
      };
    }
    const source = fn.functionEnv.QUEUE_STATE_URL !== undefined ? 'env0' : 'scalr';
    return { stackName, source, region, outputs, ...fn };
  } catch (error) {
    // The outputs alone still allow most checks: report what is missing instead of stopping here.
    const problem = awsFailure(
      'dispatcher function',
      "read the dispatcher function's settings",
      error,
      'cloudformation:ListStackResources and lambda:GetFunctionConfiguration',
      timeoutMs,
    );
    return {
      stackName,
      source: byOutputs,
      region,
      outputs,
      functionEnv: {},
      functionSubnets: [],
      functionProblem: `${problem.detail} (fix: ${problem.fix})`,
    };
  }
}

async function dispatcherFunction(
  clients: { cloudFormation: CloudFormationClient; lambda: LambdaClient },
  stackName: string,
  timeoutMs: number,
): Promise<Pick<StackFacts, 'functionName' | 'functionEnv' | 'functionSubnets'> | undefined> {
  const functions: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.cloudFormation.send(
      new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken }),
      {
        abortSignal: within(timeoutMs),
      },
    );
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::Lambda::Function' && resource.PhysicalResourceId) {
        functions.push(resource.PhysicalResourceId);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  for (const name of functions) {
    const config = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }), {
      abortSignal: within(timeoutMs),
    });
    const variables = config.Environment?.Variables ?? {};
    if (variables.WEBHOOK_SECRET_ARN !== undefined || variables.QUEUE_STATE_URL !== undefined) {
      return {
        functionName: name,
        functionEnv: variables,
        functionSubnets: config.VpcConfig?.SubnetIds ?? [],
      };
    }
  }
  return undefined;
}
