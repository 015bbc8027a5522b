import { FARGATE_TASK_SIZES, parseSizeByAction } from '../../lambda/launchers/ecs/fargate-sizes.js';
import { type CapacityConfig, readCapacity } from './capacity-config.js';
import type { ContextReader } from './context-reader.js';
import { COMPLETE_ARN_HINT, httpsUrl, SECRET_ARN } from './context-schemas.js';
import { type FailoverConfig, readFailover } from './failover-config.js';
import { type NetworkConfig, readNetwork } from './network-config.js';

export { FARGATE_TASK_SIZES };

/** Settings of the Fargate agent (`target=ecs`). */
export interface EcsStackConfig extends CapacityConfig {
  readonly image: string;
  readonly imageTag: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** `SCALR_URL`; empty = the agent reads the account URL from its token. */
  readonly scalrUrl: string;
  /** Fargate's SIGTERM-to-SIGKILL time; the agent's own grace shutdown gets 10 s less. */
  readonly stopTimeoutSeconds: number;
  /** Fargate ephemeral storage in GiB (21-200); Scalr asks for 20 GB free per agent. */
  readonly ephemeralStorageGiB: number;
  readonly cpuArchitecture: CpuArchitecture;
  /** Task size per Scalr action (`plan=1024/2048,...`), as RunTask overrides; empty = the task definition's. */
  readonly sizeByAction: string;
  /** Where the agent image is pulled from (Docker Hub limits anonymous pulls per IP). */
  readonly imageSource: ImageSource;
  readonly containerInsights: boolean;
  readonly network: NetworkConfig;
  /** Present when a cluster in a second Region takes launches the primary cannot start. */
  readonly failover?: FailoverConfig;
}

export const CPU_ARCHITECTURES = ['X86_64', 'ARM64'] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

export const IMAGE_SOURCES = ['registry', 'ecr-pull-through', 'registry-credentials'] as const;

/**
 * `registry`: pulled as named (Docker Hub anonymously for `scalr/agent`); `ecr-pull-through`: through an
 * ECR pull-through cache rule for Docker Hub in this account and Region; `registry-credentials`: from
 * Docker Hub with the stack's Docker Hub credentials (`repositoryCredentials`).
 */
export type ImageSource =
  | { readonly kind: 'registry' }
  | { readonly kind: 'ecr-pull-through'; readonly credentialsSecretArn: string }
  | { readonly kind: 'registry-credentials'; readonly credentialsSecretArn: string };

const IMAGE = /^[a-z0-9]+([._/:-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;

/** The `target=ecs` keys: the agent's image and task size, and its capacity, network and failover. */
export function readEcs(context: ContextReader): EcsStackConfig {
  const image = context.string('agentImage', IMAGE, 'a container image name such as scalr/agent');
  if (image === '')
    context.problem('agentImage is empty: expected a container image name such as scalr/agent');
  const imageTag = context.string('agentImageTag', IMAGE_TAG, 'a pinned image tag such as 1.6.0');
  if (imageTag === '' || imageTag === 'latest') {
    context.problem(
      `agentImageTag is ${JSON.stringify(imageTag)}: expected a pinned version tag (not "latest"), so every task of a run uses the same agent`,
    );
  }
  const before = context.problems.length;
  const cpu = context.integer('agentCpu', 256, 16384);
  const memoryMiB = context.integer('agentMemoryMiB', 512, 122880);
  const allowed = FARGATE_TASK_SIZES[cpu];
  // Compare the pair only when both values parsed, so one typo is reported once.
  const parsed = context.problems.length === before;
  if (parsed && allowed === undefined) {
    context.problem(`agentCpu is ${cpu}: expected one of ${Object.keys(FARGATE_TASK_SIZES).join(', ')}`);
  } else if (parsed && allowed !== undefined && !allowed.includes(memoryMiB)) {
    context.problem(
      `agentMemoryMiB is ${memoryMiB}: Fargate does not allow it with agentCpu ${cpu}; expected one of ${allowed.join(', ')}`,
    );
  }
  const scalrUrl = context.string('scalrUrl');
  if (scalrUrl !== '' && !httpsUrl(scalrUrl)) {
    context.problem(
      `scalrUrl is ${JSON.stringify(scalrUrl)}: expected the account URL, e.g. https://example.scalr.io`,
    );
  }
  return {
    image,
    imageTag,
    cpu,
    memoryMiB,
    scalrUrl,
    // Fargate caps stopTimeout at 120 s; Scalr's graceful shutdown needs at least 30 s.
    stopTimeoutSeconds: context.integer('stopTimeoutSeconds', 30, 120),
    ephemeralStorageGiB: context.integer('ephemeralStorageGiB', 21, 200),
    cpuArchitecture: context.oneOf('agentCpuArchitecture', CPU_ARCHITECTURES),
    sizeByAction: context.parsedBy('agentSizeByAction', parseSizeByAction),
    imageSource: readImageSource(context),
    containerInsights: context.boolean('containerInsights'),
    ...readCapacity(context),
    network: readNetwork(context),
    ...readFailover(context),
  };
}

function readImageSource(context: ContextReader): ImageSource {
  const kind = context.oneOf('imageSource', IMAGE_SOURCES);
  const secretArn = context.string('dockerHubCredentialsSecretArn', SECRET_ARN, COMPLETE_ARN_HINT);
  if (kind === 'registry') {
    if (secretArn !== '')
      context.problem(
        'dockerHubCredentialsSecretArn needs imageSource=ecr-pull-through or registry-credentials',
      );
    return { kind };
  }
  if (secretArn === '') {
    // ECR's pull-through cache and ECS's repositoryCredentials read differently shaped secrets.
    const shape = kind === 'ecr-pull-through' ? '{"username","accessToken"}' : '{"username","password"}';
    context.problem(
      `dockerHubCredentialsSecretArn is empty: imageSource=${kind} needs a secret holding ${shape} of a Docker Hub account`,
    );
  } else if (kind === 'ecr-pull-through' && !/:secret:ecr-pullthroughcache\//.test(secretArn)) {
    context.problem(
      'dockerHubCredentialsSecretArn: ECR pull-through cache rules only read secrets whose name starts with "ecr-pullthroughcache/"',
    );
  }
  return { kind, credentialsSecretArn: secretArn };
}
