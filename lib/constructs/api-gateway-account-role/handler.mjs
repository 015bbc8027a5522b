/**
 * onEvent handler of the `ApiGatewayAccountRole` custom resource (CDK Provider framework): makes sure
 * API Gateway has a CloudWatch Logs role in this account and Region, without ever replacing or removing
 * one that is already set. Plain ESM with no dependencies beyond the AWS SDK v3 that the Lambda Node.js
 * runtime bundles, so `cdk synth` needs no bundling.
 */

/** Physical id of the custom resource: there is one account setting per Region, nothing to name. */
export const PHYSICAL_RESOURCE_ID = 'api-gateway-account-cloudwatch-role';

/**
 * Retries of UpdateAccount while IAM propagates a new role (seconds, usually): 2, 4, 8, 16, 16, 16, 16 s
 * between 8 attempts, about 80 s, well inside the function's timeout.
 */
export const RETRY = { attempts: 8, firstDelayMs: 2_000, maxDelayMs: 16_000 };

/** Time kept back for answering CloudFormation before the function times out. */
const ANSWER_MARGIN_MS = 5_000;

/** API Gateway refused the role or could not be reached; the message says what to do. */
export class AccountRoleError extends Error {
  /**
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'AccountRoleError';
  }
}

/**
 * API Gateway's answer while a fresh role is not yet assumable: BadRequestException "The role ARN does
 * not have required permissions set to API Gateway". Other bad requests are not retried.
 * @param {unknown} error
 */
export function isRolePropagationError(error) {
  if (!(error instanceof Error)) return false;
  return error.name === 'BadRequestException' && /role/i.test(error.message);
}

/**
 * The decision: on Create/Update set the role only when the account has none; on Delete do nothing.
 * @param {{ RequestType: 'Create' | 'Update' | 'Delete', PhysicalResourceId?: string, ResourceProperties?: Record<string, unknown> }} event
 * @param {{
 *   client: { getAccount(): Promise<string>, updateAccount(roleArn: string): Promise<void> },
 *   sleep?: (ms: number) => Promise<void>,
 *   log?: (line: Record<string, unknown>) => void,
 *   remainingMs?: () => number,
 *   retry?: { attempts: number, firstDelayMs: number, maxDelayMs: number },
 * }} deps
 */
export async function onEvent(event, deps) {
  const {
    client,
    sleep = defaultSleep,
    log = defaultLog,
    remainingMs = () => Infinity,
    retry = RETRY,
  } = deps;
  const PhysicalResourceId = event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID;
  if (event.RequestType === 'Delete') {
    // The account setting outlives the stack: other APIs in the Region may log through it.
    log({ requestType: 'Delete', outcome: 'left_alone' });
    return { PhysicalResourceId };
  }
  const roleArn = event.ResourceProperties?.RoleArn;
  if (typeof roleArn !== 'string' || !roleArn.startsWith('arn:')) {
    throw new AccountRoleError(`RoleArn property is ${JSON.stringify(roleArn)}: expected an IAM role ARN`);
  }

  const current = await client.getAccount();
  if (current) {
    log({ requestType: event.RequestType, outcome: 'already_set', roleArnInUse: current });
    return { PhysicalResourceId, Data: attributes(current, roleArn) };
  }

  for (let attempt = 1; ; attempt++) {
    try {
      await client.updateAccount(roleArn);
      log({ requestType: event.RequestType, outcome: 'set', roleArnInUse: roleArn, attempt });
      return { PhysicalResourceId, Data: attributes(roleArn, roleArn) };
    } catch (error) {
      if (!isRolePropagationError(error)) throw error;
      const delayMs = Math.min(retry.firstDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
      if (attempt >= retry.attempts || delayMs + ANSWER_MARGIN_MS > remainingMs()) {
        throw new AccountRoleError(
          `API Gateway did not accept ${roleArn} as its CloudWatch Logs role after ${attempt} attempts ` +
            `(${error instanceof Error ? error.message : String(error)}). IAM may still be propagating the new role: ` +
            'deploy again, or set the role yourself and deploy with -c manageApiGatewayAccountRole=false (docs/deploy.md).',
          { cause: error },
        );
      }
      log({ requestType: event.RequestType, outcome: 'retrying', attempt, delayMs, error: errorName(error) });
      await sleep(delayMs);
    }
  }
}

/**
 * Custom resource attributes (strings, as CloudFormation wants them).
 * @param {string} roleArnInUse
 * @param {string} ownRoleArn
 */
function attributes(roleArnInUse, ownRoleArn) {
  return { RoleArnInUse: roleArnInUse, SetByThisStack: String(roleArnInUse === ownRoleArn) };
}

/** @param {unknown} error */
function errorName(error) {
  return error instanceof Error ? error.name : typeof error;
}

/** @param {number} ms */
function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @param {Record<string, unknown>} line */
function defaultLog(line) {
  console.log(JSON.stringify({ level: 'info', ...line }));
}

/** The API Gateway client, imported on first use so unit tests need no SDK. */
async function sdkClient() {
  const { APIGatewayClient, GetAccountCommand, UpdateAccountCommand } = await import(
    '@aws-sdk/client-api-gateway'
  );
  const sdk = new APIGatewayClient({});
  return {
    async getAccount() {
      const account = await sdk.send(new GetAccountCommand({}));
      return account.cloudwatchRoleArn ?? '';
    },
    /** @param {string} roleArn */
    async updateAccount(roleArn) {
      await sdk.send(
        new UpdateAccountCommand({
          patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: roleArn }],
        }),
      );
    },
  };
}

/** @type {ReturnType<typeof sdkClient> | undefined} */
let client;

/**
 * Lambda entry (`handler.handler`).
 * @param {Parameters<typeof onEvent>[0]} event
 * @param {{ getRemainingTimeInMillis(): number }} context
 */
export async function handler(event, context) {
  client ??= sdkClient();
  return onEvent(event, { client: await client, remainingMs: () => context.getRemainingTimeInMillis() });
}
