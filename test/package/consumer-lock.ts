/**
 * A package-lock.json for a consumer app, cut from this repository's lockfile: the packages the
 * consumer depends on and their dependencies, at the versions and integrity hashes this repository
 * installed. `npm ci --offline` then installs them from the local npm cache, with no registry lookup.
 */

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [key: string]: unknown;
}

export interface Lockfile {
  readonly name?: string;
  readonly lockfileVersion: number;
  readonly packages: Record<string, LockEntry>;
}

/** Flags that describe the repository's tree (dev-only, peer-only), not the consumer's. */
const TREE_FLAGS = ['dev', 'devOptional', 'peer', 'optional'];

export function consumerLock(
  repo: Lockfile,
  root: { name: string; dependencies: Record<string, string> },
  extra: Record<string, LockEntry>,
): Lockfile {
  const packages: Record<string, LockEntry> = {
    '': { name: root.name, dependencies: root.dependencies },
    ...extra,
  };
  const queue = Object.keys(root.dependencies).filter((name) => !(`node_modules/${name}` in extra));
  for (const entry of Object.values(extra)) queue.push(...requires(entry));
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const path = `node_modules/${name}`;
    if (path in packages) continue;
    const entry = repo.packages[path];
    if (!entry) throw new Error(`${name} is not in the repository's lockfile`);
    packages[path] = withoutTreeFlags(entry);
    // Nested copies (bundled dependencies, or versions that differ from the hoisted one) come along.
    for (const [nestedPath, nested] of Object.entries(repo.packages)) {
      if (nestedPath.startsWith(`${path}/node_modules/`)) packages[nestedPath] = withoutTreeFlags(nested);
    }
    for (const dependency of requires(entry)) {
      if (!(`${path}/node_modules/${dependency}` in repo.packages)) queue.push(dependency);
    }
  }
  return { name: root.name, lockfileVersion: 3, packages };
}

/** What an installed package needs next to it: dependencies and non-optional peers. */
function requires(entry: LockEntry): string[] {
  const peers = Object.keys(entry.peerDependencies ?? {}).filter(
    (peer) => !entry.peerDependenciesMeta?.[peer]?.optional,
  );
  return [...Object.keys(entry.dependencies ?? {}), ...peers];
}

function withoutTreeFlags(entry: LockEntry): LockEntry {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !TREE_FLAGS.includes(key)));
}
