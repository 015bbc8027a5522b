import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  type CheckResult,
  describeError,
  fail,
  ok,
  type StackFacts,
  skipped,
  warn,
  within,
} from '../check.js';

const NAME = 'agent image pullable';

export interface RegistryEndpoints {
  /** Docker Hub's token service, `https://auth.docker.io`. */
  readonly auth: string;
  /** Docker Hub's registry, `https://registry-1.docker.io`. */
  readonly registry: string;
}

export const DOCKER_HUB: RegistryEndpoints = {
  auth: 'https://auth.docker.io',
  registry: 'https://registry-1.docker.io',
};

const MANIFESTS = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

/** The agent container's image, from the task definition the dispatcher runs; checked on Docker Hub. */
export async function checkAgentImage(
  ecs: ECSClient,
  facts: StackFacts,
  timeoutMs: number,
  hub: RegistryEndpoints = DOCKER_HUB,
): Promise<CheckResult> {
  const family = facts.functionEnv.ECS_TASK_DEFINITION;
  if (!family) return skipped(NAME, 'no ECS_TASK_DEFINITION (not the ecs target)');
  let image: string;
  let credentials = false;
  try {
    const answer = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }), {
      abortSignal: within(timeoutMs),
    });
    const container =
      answer.taskDefinition?.containerDefinitions?.find(
        (c) => c.name === facts.functionEnv.ECS_CONTAINER_NAME,
      ) ?? answer.taskDefinition?.containerDefinitions?.[0];
    image = container?.image ?? '';
    credentials = container?.repositoryCredentials?.credentialsParameter !== undefined;
  } catch (error) {
    return fail(
      NAME,
      `cannot read task definition ${family}: ${describeError(error)}`,
      'allow ecs:DescribeTaskDefinition',
    );
  }
  if (/\.dkr\.ecr\.[^/]+\.amazonaws\.com/.test(image)) {
    return skipped(
      NAME,
      `${image}: an ECR image (a pull-through cache copies it on the first pull); not checked`,
    );
  }
  const ref = dockerHubRef(image);
  if (ref === undefined) return skipped(NAME, `${image}: not on Docker Hub; not checked`);
  try {
    const token = await fetch(
      `${hub.auth}/token?service=registry.docker.io&scope=repository:${ref.repository}:pull`,
      {
        signal: within(timeoutMs),
      },
    );
    if (!token.ok)
      return warn(NAME, `Docker Hub's token service answered ${token.status}`, 'try again later');
    const { token: bearer } = (await token.json()) as { token?: string };
    const manifest = await fetch(`${hub.registry}/v2/${ref.repository}/manifests/${ref.tag}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${bearer ?? ''}`, accept: MANIFESTS },
      signal: within(timeoutMs),
    });
    if (manifest.status === 404) {
      return fail(
        NAME,
        `${image} does not exist on Docker Hub`,
        'fix -c agentImage / -c agentImageTag and redeploy',
      );
    }
    if (manifest.status === 429) {
      return warn(
        NAME,
        `Docker Hub limits anonymous pulls from here already (429)`,
        'use -c imageSource=ecr-pull-through or registry-credentials',
      );
    }
    if (!manifest.ok)
      return warn(NAME, `Docker Hub answered ${manifest.status} for ${image}`, 'try again later');
    return credentials
      ? ok(NAME, `${image} exists; pulled with repository credentials`)
      : warn(
          NAME,
          `${image} exists; pulled anonymously, which Docker Hub limits per IP (all tasks behind one NAT share it)`,
          'use -c imageSource=ecr-pull-through or registry-credentials (docs/deploy.md, cost and image sources)',
        );
  } catch (error) {
    return warn(
      NAME,
      `could not reach Docker Hub from here: ${describeError(error)}`,
      'check from a network with internet access',
    );
  }
}

/** `scalr/agent:1.6.0` → repository `scalr/agent`, tag `1.6.0`; `nginx:1` → `library/nginx`. */
export function dockerHubRef(image: string): { repository: string; tag: string } | undefined {
  const at = image.lastIndexOf(':');
  const slash = image.indexOf('/');
  const [name, tag] = at > slash ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
  const first = name.split('/')[0] ?? '';
  if (name.includes('/') && (first.includes('.') || first.includes(':')) && first !== 'docker.io')
    return undefined;
  const path = name.replace(/^docker\.io\//, '');
  return { repository: path.includes('/') ? path : `library/${path}`, tag };
}
