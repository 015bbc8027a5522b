import { type APIGatewayClient, GetAccountCommand } from '@aws-sdk/client-api-gateway';
import { awsFailure, type CheckResult, fail, ok, within } from '../check.js';

const NAME = 'API Gateway logging role';

/** Stages with logs need the account-wide CloudWatch role of the Region (`apigateway:GET /account`). */
export async function checkApiGatewayRole(
  client: APIGatewayClient,
  region: string,
  timeoutMs: number,
): Promise<CheckResult> {
  try {
    const account = await client.send(new GetAccountCommand({}), { abortSignal: within(timeoutMs) });
    if (account.cloudwatchRoleArn) return ok(NAME, `set: ${account.cloudwatchRoleArn}`);
    return fail(
      NAME,
      `the account has no API Gateway CloudWatch role in ${region}: stages with logs cannot be created or updated`,
      `redeploy with -c manageApiGatewayAccountRole=true (the default), or set it yourself: aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role arn> --region ${region} (a role apigateway.amazonaws.com may assume, with AmazonAPIGatewayPushToCloudWatchLogs; docs/deploy.md, "Setting the role yourself")`,
    );
  } catch (error) {
    return awsFailure(NAME, 'read the account settings', error, 'apigateway:GET on /account', timeoutMs);
  }
}
