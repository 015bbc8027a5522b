import { type APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { type CheckResult, describeError, fail, ok, within } from '../check.js';

const NAME = 'API Gateway logging role';

/** Stages with logs need the account-wide CloudWatch role of the Region. */
export async function checkApiGatewayRole(client: APIGatewayClient, timeoutMs: number): Promise<CheckResult> {
  try {
    const account = await client.send(new GetAccountCommand({}), { abortSignal: within(timeoutMs) });
    if (account.cloudwatchRoleArn) return ok(NAME, `set: ${account.cloudwatchRoleArn}`);
    return fail(
      NAME,
      'the account has no API Gateway CloudWatch role in this Region: stages with logs cannot be created',
      'redeploy with -c manageApiGatewayAccountRole=true, or: aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role arn> (docs/deploy.md, "What the stack does to your account")',
    );
  } catch (error) {
    return fail(
      NAME,
      `cannot read the account settings: ${describeError(error)}`,
      'allow apigateway:GET on /account',
    );
  }
}
