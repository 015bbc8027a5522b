import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsClientOptions } from '../aws/client-options.js';
import type { AwsAccess } from './registration.js';

/** Limit of one AWS call of the registration (each also carries its own abort signal). */
const CALL_TIMEOUT_MS = 10_000;

/**
 * The registration's AWS calls through the SDK: Secrets Manager (the Scalr API token, the webhook
 * secret, the agent token secret) and API Gateway (the API key's value). Errors name the call and
 * the resource, never a value.
 */
export function sdkAwsAccess(): AwsAccess {
  const options = { maxAttempts: 3, ...awsClientOptions({ requestTimeoutMs: CALL_TIMEOUT_MS }) };
  const secrets = new SecretsManagerClient(options);
  const apiGateway = new APIGatewayClient(options);
  const signal = () => ({ abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS * 2) });
  return {
    async secretValue(arn) {
      const answer = await named(`secretsmanager:GetSecretValue on ${arn}`, () =>
        secrets.send(new GetSecretValueCommand({ SecretId: arn }), signal()),
      );
      if (answer.SecretString === undefined) {
        throw new Error(`the secret ${arn} holds no text (SecretString): store the value as a plain string`);
      }
      return answer.SecretString;
    },
    async apiKeyValue(id) {
      const key = await named(`apigateway:GET on API key ${id}`, () =>
        apiGateway.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }), signal()),
      );
      if (!key.value) throw new Error(`API Gateway returned no value for API key ${id}`);
      return key.value;
    },
    async currentVersionId(arn) {
      const described = await named(`secretsmanager:DescribeSecret on ${arn}`, () =>
        secrets.send(new DescribeSecretCommand({ SecretId: arn }), signal()),
      );
      const versions = Object.entries(described.VersionIdsToStages ?? {});
      return versions.find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
    },
    async putSecretValue(arn, value, versionId) {
      await named(`secretsmanager:PutSecretValue on ${arn}`, () =>
        secrets.send(
          new PutSecretValueCommand({ SecretId: arn, SecretString: value, ClientRequestToken: versionId }),
          signal(),
        ),
      );
    },
  };
}

/** Runs one call; a failure names the call and the AWS error, without the request's content. */
async function named<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new Error(`${what} failed: ${e?.name ?? 'Error'}: ${(e?.message ?? String(error)).slice(0, 200)}`);
  }
}
