import type { ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped, warn, within } from '../check.js';
import { GHCR, type ManifestProbe, probeDockerHub, type RegistryEndpoints } from '../image/docker-hub.js';
import { probeEcr } from '../image/ecr-image.js';
import { parseImage } from '../image/image-ref.js';

const NAME = 'agent image pullable';
const IMAGE_SOURCES_FIX =
  'deploy with -c imageSource=ecr-pull-through or -c imageSource=registry-credentials (docs/deploy.md, "Agent size, architecture, image source and cost")';

export interface ImageCheckClients {
  readonly ecs: ECSClient;
  /** An ECR client for the image's Region (it may differ from the stack's). */
  readonly ecrFor: (region: string) => ECRClient;
}

/**
 * Reads the agent container's image from the task definition the dispatcher runs and checks that it
 * can be pulled: in ECR (or through a pull-through cache rule), or on Docker Hub.
 */
export async function checkAgentImage(
  clients: ImageCheckClients,
  facts: StackFacts,
  timeoutMs: number,
  hub: RegistryEndpoints,
  ghcr: RegistryEndpoints = GHCR,
): Promise<CheckResult> {
  // The function's setting; without it, the family the stack gives the agent task definition.
  const family =
    facts.functionEnv.ECS_TASK_DEFINITION ??
    facts.outputs.AgentTaskDefinitionFamily ??
    (facts.outputs.AgentCluster ? `${facts.stackName}-agent` : undefined);
  if (!family) return skipped(NAME, 'no agent task definition (not the ecs target)');
  let image: string;
  let credentials = false;
  try {
    const answer = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }), {
      abortSignal: within(timeoutMs),
    });
    const containers = answer.taskDefinition?.containerDefinitions ?? [];
    const container =
      containers.find(
        (c) =>
          c.name ===
          (facts.functionEnv.ECS_CONTAINER_NAME ?? (facts.source === 'env0' ? 'env0-agent' : 'scalr-agent')),
      ) ?? containers[0];
    image = container?.image ?? '';
    credentials = container?.repositoryCredentials?.credentialsParameter !== undefined;
  } catch (error) {
    return awsFailure(NAME, `read task definition ${family}`, error, 'ecs:DescribeTaskDefinition', timeoutMs);
  }
  if (image === '')
    return fail(NAME, `task definition ${family} has no container image`, 'redeploy the stack');
  const ref = parseImage(image);
  if (ref.kind === 'other') return skipped(NAME, `${image}: registry ${ref.registry} is not checked`);
  if (ref.kind === 'ghcr') {
    // Public GitHub packages have no anonymous pull limit worth a warning.
    const probe = await probeDockerHub(ghcr, ref.repository, ref.reference, timeoutMs);
    if (probe.kind === 'missing') {
      return fail(
        NAME,
        `${image} does not exist on ghcr.io (or is private)`,
        'set -c env0AgentImageTag to a published version and redeploy',
      );
    }
    if (probe.kind === 'exists') return ok(NAME, `${image} exists on ghcr.io`);
    const why =
      probe.kind === 'unreachable'
        ? `could not reach ghcr.io from here: ${probe.reason}`
        : probe.kind === 'limited'
          ? 'ghcr.io answered 429 (rate limited)'
          : `ghcr.io's ${probe.step} endpoint answered ${probe.status}`;
    return warn(NAME, `${why}; ${image} not checked`, 'run doctor again from a network with internet access');
  }
  if (ref.kind === 'ecr') {
    try {
      const found = await probeEcr(clients.ecrFor(ref.region), ref, timeoutMs);
      if (found.kind === 'exists') return ok(NAME, `${image} is in ECR`);
      if (found.kind === 'missing') {
        return fail(
          NAME,
          `${image}: the ${found.what} does not exist in ECR and no pull-through cache rule covers it`,
          found.what === 'image'
            ? `push the tag, or set -c agentImageTag to one in the repository (aws ecr list-images --repository-name ${ref.repository} --region ${ref.region})`
            : 'create the repository and push the image, or fix -c agentImage',
        );
      }
      if (!/docker\.io$/.test(found.upstream) && found.upstream !== 'docker-hub') {
        return warn(
          NAME,
          `${image} is not cached yet; pull-through rule ${found.prefix} imports it from ${found.upstream} on the first pull (upstream not checked)`,
        );
      }
      const upstream = await probeDockerHub(hub, found.upstreamRepository, ref.reference, timeoutMs);
      return fromHub(upstream, `${found.upstreamRepository}:${ref.reference}`, () =>
        ok(
          NAME,
          `${image} is not cached yet; pull-through rule ${found.prefix} imports it from Docker Hub (where it exists) on the first pull`,
        ),
      );
    } catch (error) {
      return awsFailure(
        NAME,
        `look up ${image} in ECR`,
        error,
        'ecr:DescribeImages and ecr:DescribePullThroughCacheRules',
        timeoutMs,
      );
    }
  }
  const probe = await probeDockerHub(hub, ref.repository, ref.reference, timeoutMs);
  return fromHub(probe, image, (rateLimit) =>
    credentials
      ? ok(NAME, `${image} exists on Docker Hub; pulled with repository credentials`)
      : warn(
          NAME,
          `${image} exists on Docker Hub but is pulled anonymously: Docker Hub limits anonymous pulls per public IP, and all tasks behind one NAT share it${rateLimit ? ` (from this machine's IP: ${rateLimit} in the current window)` : ''}`,
          IMAGE_SOURCES_FIX,
        ),
  );
}

/** Docker Hub's answer as a report line; `exists` builds the line for an image that is there. */
function fromHub(
  probe: ManifestProbe,
  image: string,
  exists: (rateLimit: string | undefined) => CheckResult,
): CheckResult {
  switch (probe.kind) {
    case 'exists':
      return exists(probe.rateLimit);
    case 'missing':
      return fail(
        NAME,
        `${image} does not exist on Docker Hub (or is private)`,
        'set -c agentImage / -c agentImageTag to an existing image and redeploy',
      );
    case 'limited':
      return warn(
        NAME,
        `Docker Hub refuses anonymous pulls from this IP already (429); NAT-shared agents hit the same limit`,
        IMAGE_SOURCES_FIX,
      );
    case 'unexpected':
      return warn(
        NAME,
        `Docker Hub's ${probe.step} endpoint answered ${probe.status} for ${image}`,
        'try again later',
      );
    default:
      return warn(
        NAME,
        `could not reach Docker Hub from here to check ${image}: ${probe.reason}`,
        'run doctor from a network with internet access',
      );
  }
}
