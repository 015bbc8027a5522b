import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientOptions } from '../../lambda/aws/client-options.js';
import type { CheckResult, StackFacts } from './check.js';
import { checkAgentImage, DOCKER_HUB, type RegistryEndpoints } from './checks/agent-image.js';
import { checkAgentToken } from './checks/agent-token.js';
import { checkApiGatewayRole } from './checks/api-gateway-role.js';
import { checkOutboundFederation } from './checks/outbound-federation.js';
import { checkSubnetRoutes } from './checks/subnet-routes.js';
import { checkWebhookPath } from './checks/webhook-path.js';
import { readStackFacts } from './stack-facts.js';

export interface DoctorOptions {
  readonly stack: string;
  readonly region?: string;
  readonly timeoutMs: number;
  readonly dockerHub?: RegistryEndpoints;
}

/** Reads the stack, then runs every check; each one reports, none throws. */
export async function runDoctor(
  options: DoctorOptions,
): Promise<{ facts: StackFacts; results: CheckResult[] }> {
  // The user's own credentials and Region (profile, environment, SSO); every call has a deadline.
  const common = () => ({
    maxAttempts: 2,
    ...awsClientOptions({ requestTimeoutMs: options.timeoutMs }),
    ...(options.region ? { region: options.region } : {}),
  });
  const cloudFormation = new CloudFormationClient(common());
  const region = options.region ?? (await cloudFormation.config.region());
  const clients = {
    cloudFormation,
    lambda: new LambdaClient(common()),
    secrets: new SecretsManagerClient(common()),
    apiGateway: new APIGatewayClient(common()),
    ec2: new EC2Client(common()),
    ecs: new ECSClient(common()),
    iam: new IAMClient(common()),
  };
  try {
    const facts = await readStackFacts(clients, options.stack, region, options.timeoutMs);
    const t = options.timeoutMs;
    const results = await Promise.all([
      checkAgentToken(clients.secrets, facts, t),
      checkAgentImage(clients.ecs, facts, t, options.dockerHub ?? DOCKER_HUB),
      checkSubnetRoutes(clients.ec2, facts, t),
      checkOutboundFederation(clients.iam, facts, t),
      checkApiGatewayRole(clients.apiGateway, t),
      checkWebhookPath(clients, facts, t),
    ]);
    return { facts, results };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}
