import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientOptions } from '../../lambda/aws/client-options.js';
import type { FetchLike } from '../../lambda/scalr-registration/scalr-api.js';
import { type CheckResult, fail, ok, type StackFacts } from './check.js';
import { checkAgentImage } from './checks/agent-image.js';
import { checkAgentToken } from './checks/agent-token.js';
import { checkApiGatewayRole } from './checks/api-gateway-role.js';
import { checkOutboundFederation } from './checks/outbound-federation.js';
import { checkScalrPool } from './checks/scalr-pool.js';
import { checkSubnetRoutes } from './checks/subnet-routes.js';
import { checkWebhookPath } from './checks/webhook-path.js';
import { DOCKER_HUB, type RegistryEndpoints } from './image/docker-hub.js';
import { readStackFacts } from './stack-facts.js';

export interface DoctorOptions {
  readonly stack: string;
  readonly region?: string;
  /** Limit of every single call (AWS, the webhook, the registry). */
  readonly timeoutMs: number;
  /** @default DOCKER_HUB */
  readonly dockerHub?: RegistryEndpoints;
  /** How the Scalr check reaches Scalr (tests point it at a stand-in). @default global fetch */
  readonly scalrFetch?: FetchLike;
}

/** Reads the stack, then runs every check; each one reports, none throws. */
export async function runDoctor(
  options: DoctorOptions,
): Promise<{ facts: StackFacts; results: CheckResult[] }> {
  // The user's own credentials and Region (profile, environment, SSO); every call has a deadline.
  const common = (region = options.region) => ({
    maxAttempts: 2,
    ...awsClientOptions({ requestTimeoutMs: options.timeoutMs }),
    ...(region ? { region } : {}),
  });
  const cloudFormation = new CloudFormationClient(common());
  const region = options.region ?? (await cloudFormation.config.region());
  const ecrClients = new Map<string, ECRClient>();
  const clients = {
    cloudFormation,
    lambda: new LambdaClient(common()),
    secrets: new SecretsManagerClient(common()),
    apiGateway: new APIGatewayClient(common()),
    ec2: new EC2Client(common()),
    ecs: new ECSClient(common()),
    iam: new IAMClient(common()),
  };
  const ecrFor = (imageRegion: string) => {
    let client = ecrClients.get(imageRegion);
    if (client === undefined) {
      client = new ECRClient(common(imageRegion));
      ecrClients.set(imageRegion, client);
    }
    return client;
  };
  try {
    const facts = await readStackFacts(clients, options.stack, region, options.timeoutMs);
    const t = options.timeoutMs;
    const results = await Promise.all([
      functionLine(facts),
      checkAgentToken(clients.secrets, facts, t),
      checkAgentImage({ ecs: clients.ecs, ecrFor }, facts, t, options.dockerHub ?? DOCKER_HUB),
      checkSubnetRoutes(clients.ec2, facts, t),
      checkOutboundFederation(clients.iam, facts, t),
      checkApiGatewayRole(clients.apiGateway, region, t),
      checkWebhookPath(clients, facts, t),
      checkScalrPool(clients.secrets, facts, t, options.scalrFetch),
    ]);
    return { facts, results };
  } finally {
    for (const client of [...Object.values(clients), ...ecrClients.values()]) client.destroy();
  }
}

/** The dispatcher function's settings tell the target, the agent's family and subnets. */
function functionLine(facts: StackFacts): CheckResult {
  const name = 'dispatcher function';
  if (facts.functionProblem !== undefined) {
    return fail(
      name,
      facts.functionProblem,
      'the image and subnet checks fall back to the outputs or are skipped',
    );
  }
  const target = facts.functionEnv.LAUNCH_TARGET ?? 'unknown';
  return ok(name, `${facts.functionName ?? '?'} (target ${target})`);
}
