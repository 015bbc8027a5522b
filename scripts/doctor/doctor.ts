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
import { checkEnv0Queue } from './checks/env0-queue.js';
import { checkOutboundFederation } from './checks/outbound-federation.js';
import { checkScalrPool } from './checks/scalr-pool.js';
import { checkStateKey } from './checks/state-key.js';
import { checkSubnetRoutes } from './checks/subnet-routes.js';
import { checkWebhookPath } from './checks/webhook-path.js';
import { DOCKER_HUB, GHCR, type RegistryEndpoints } from './image/docker-hub.js';
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
  /** @default GHCR */
  readonly ghcr?: RegistryEndpoints;
  /** env0's queue-state is asked with this (tests); @default fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Reads the stack, then runs every check of its kind (a Scalr webhook pool or an env0 pull-mode
 * pool, told by the stack itself); each one reports, none throws.
 */
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
    const image = () =>
      checkAgentImage(
        { ecs: clients.ecs, ecrFor },
        facts,
        t,
        options.dockerHub ?? DOCKER_HUB,
        options.ghcr ?? GHCR,
      );
    if (facts.source === 'env0') {
      const results = await Promise.all([
        functionLine(facts),
        checkEnv0Queue(clients.secrets, facts, t, options.fetch),
        image(),
        checkSubnetRoutes(clients.ec2, facts, t),
        checkStateKey(clients, facts, t),
      ]);
      return { facts, results };
    }
    const results = await Promise.all([
      functionLine(facts),
      checkAgentToken(clients.secrets, facts, t),
      image(),
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
  const name = facts.source === 'env0' ? 'env0 poller function' : 'dispatcher function';
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
