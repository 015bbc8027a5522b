import { describeError } from '../check.js';

/** Docker Hub's token service and registry; tests point both at a local stand-in. */
export interface RegistryEndpoints {
  /** Token service, `https://auth.docker.io`. */
  readonly auth: string;
  /** Registry API, `https://registry-1.docker.io`. */
  readonly registry: string;
  /**
   * The token's `service` parameter.
   * @default 'registry.docker.io'
   */
  readonly service?: string;
}

export const DOCKER_HUB: RegistryEndpoints = {
  auth: 'https://auth.docker.io',
  registry: 'https://registry-1.docker.io',
};

/** GitHub's container registry: its token service answers anonymous pull tokens for public images. */
export const GHCR: RegistryEndpoints = {
  auth: 'https://ghcr.io',
  registry: 'https://ghcr.io',
  service: 'ghcr.io',
};

/** Endpoints from `DOCTOR_DOCKER_AUTH_URL` / `DOCTOR_DOCKER_REGISTRY_URL`, each defaulting to Docker Hub. */
export function dockerHubFromEnv(env: NodeJS.ProcessEnv): RegistryEndpoints {
  return {
    auth: env.DOCTOR_DOCKER_AUTH_URL || DOCKER_HUB.auth,
    registry: env.DOCTOR_DOCKER_REGISTRY_URL || DOCKER_HUB.registry,
  };
}

// Multi-architecture images are manifest lists / OCI indexes: without these Docker Hub may answer 404.
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export type ManifestProbe =
  | { readonly kind: 'exists'; readonly rateLimit?: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'limited' }
  | { readonly kind: 'unexpected'; readonly status: number; readonly step: 'token' | 'manifest' }
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * Whether `repository:reference` exists on Docker Hub, asked the way an anonymous `docker pull` asks:
 * a pull token for the repository, then `HEAD /v2/<repository>/manifests/<reference>`. A HEAD does
 * not count against the pull limit; its `ratelimit-*` headers tell what is left for this IP.
 */
export async function probeDockerHub(
  hub: RegistryEndpoints,
  repository: string,
  reference: string,
  timeoutMs: number,
): Promise<ManifestProbe> {
  try {
    const scope = encodeURIComponent(`repository:${repository}:pull`);
    const service = encodeURIComponent(hub.service ?? 'registry.docker.io');
    const token = await fetch(`${hub.auth}/token?service=${service}&scope=${scope}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!token.ok) {
      await token.body?.cancel();
      return { kind: 'unexpected', status: token.status, step: 'token' };
    }
    const { token: bearer, access_token: accessToken } = (await token.json()) as {
      token?: string;
      access_token?: string;
    };
    const manifest = await fetch(`${hub.registry}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${bearer ?? accessToken ?? ''}`, accept: MANIFEST_TYPES },
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Docker Hub answers 401 (not 404) for a repository that does not exist or is private.
    if (manifest.status === 404 || manifest.status === 401) return { kind: 'missing' };
    if (manifest.status === 429) return { kind: 'limited' };
    if (!manifest.ok) return { kind: 'unexpected', status: manifest.status, step: 'manifest' };
    const remaining = manifest.headers.get('ratelimit-remaining');
    const limit = manifest.headers.get('ratelimit-limit');
    return {
      kind: 'exists',
      rateLimit:
        remaining && limit ? `${remaining.split(';')[0]} of ${limit.split(';')[0]} pulls left` : undefined,
    };
  } catch (error) {
    const name = (error as { name?: string }).name;
    return {
      kind: 'unreachable',
      reason: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describeError(error),
    };
  }
}
