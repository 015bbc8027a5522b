import {
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { within } from '../check.js';

export type EcrProbe =
  | { readonly kind: 'exists' }
  /** Not in ECR, and no pull-through cache rule covers the repository. */
  | { readonly kind: 'missing'; readonly what: 'repository' | 'image' }
  /** Not cached yet: the rule imports it from `upstream` on the first pull. */
  | {
      readonly kind: 'pull-through';
      readonly prefix: string;
      readonly upstream: string;
      readonly upstreamRepository: string;
    };

/** Whether the image is in ECR, or would be fetched by a pull-through cache rule on the first pull. */
export async function probeEcr(
  ecr: ECRClient,
  ref: { registryId: string; repository: string; reference: string },
  timeoutMs: number,
): Promise<EcrProbe> {
  const imageId: ImageIdentifier = ref.reference.startsWith('sha256:')
    ? { imageDigest: ref.reference }
    : { imageTag: ref.reference };
  let what: 'repository' | 'image';
  try {
    const answer = await ecr.send(
      new DescribeImagesCommand({
        registryId: ref.registryId,
        repositoryName: ref.repository,
        imageIds: [imageId],
      }),
      { abortSignal: within(timeoutMs) },
    );
    if ((answer.imageDetails ?? []).length > 0) return { kind: 'exists' };
    what = 'image';
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ImageNotFoundException') what = 'image';
    else if (name === 'RepositoryNotFoundException') what = 'repository';
    else throw error;
  }
  // A pull-through cache creates the repository and imports the tag on the first pull.
  const prefix = ref.repository.split('/')[0] ?? '';
  try {
    const rules = await ecr.send(
      new DescribePullThroughCacheRulesCommand({
        registryId: ref.registryId,
        ecrRepositoryPrefixes: [prefix],
      }),
      { abortSignal: within(timeoutMs) },
    );
    const rule = rules.pullThroughCacheRules?.find((r) => r.ecrRepositoryPrefix === prefix);
    if (rule === undefined) return { kind: 'missing', what };
    return {
      kind: 'pull-through',
      prefix,
      upstream: rule.upstreamRegistryUrl ?? rule.upstreamRegistry ?? 'the upstream registry',
      upstreamRepository: ref.repository.slice(prefix.length + 1),
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'PullThroughCacheRuleNotFoundException') {
      return { kind: 'missing', what };
    }
    throw error;
  }
}
