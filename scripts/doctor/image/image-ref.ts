/** Where an image lives and how to name one version of it. */
export type ImageRef =
  | {
      readonly kind: 'ecr';
      readonly registryId: string;
      readonly region: string;
      readonly repository: string;
      /** A tag or a `sha256:` digest. */
      readonly reference: string;
    }
  | { readonly kind: 'docker-hub'; readonly repository: string; readonly reference: string }
  /** GitHub's registry (the env0 agent's home): the same anonymous token flow as Docker Hub. */
  | { readonly kind: 'ghcr'; readonly repository: string; readonly reference: string }
  | { readonly kind: 'other'; readonly registry: string };

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>` */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Splits `name[:tag][@digest]`; the digest wins over the tag, `latest` is the default. */
function splitReference(image: string): { name: string; reference: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { name: image.slice(0, at).replace(/:[^/:]+$/, ''), reference: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  return colon > slash
    ? { name: image.slice(0, colon), reference: image.slice(colon + 1) }
    : { name: image, reference: 'latest' };
}

/**
 * `scalr/agent:1.6.0` → Docker Hub `scalr/agent` at `1.6.0`; `nginx` → `library/nginx` at `latest`;
 * `123456789012.dkr.ecr.eu-west-1.amazonaws.com/cache/scalr/agent:1.6.0` → ECR; `ghcr.io/env0/...` →
 * GitHub's registry; others by registry.
 */
export function parseImage(image: string): ImageRef {
  const { name, reference } = splitReference(image.trim());
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (
    !hasRegistry ||
    first === 'docker.io' ||
    first === 'index.docker.io' ||
    first === 'registry-1.docker.io'
  ) {
    const path = hasRegistry ? name.slice(first.length + 1) : name;
    return { kind: 'docker-hub', repository: path.includes('/') ? path : `library/${path}`, reference };
  }
  const ecr = ECR_HOST.exec(first);
  if (ecr) {
    return {
      kind: 'ecr',
      registryId: ecr[1] ?? '',
      region: ecr[2] ?? '',
      repository: name.slice(first.length + 1),
      reference,
    };
  }
  if (first === 'ghcr.io') return { kind: 'ghcr', repository: name.slice(first.length + 1), reference };
  return { kind: 'other', registry: first };
}
