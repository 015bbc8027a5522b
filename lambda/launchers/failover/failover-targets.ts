import { LAUNCH_TARGETS, type LaunchTarget } from '../../config/config.js';
import type { Env } from '../../config/env-reader.js';
import { ConfigError } from '../../errors.js';

const ENTRY = /^([a-z-]+)(?::([A-Z][A-Z0-9_]*))?$/;

/**
 * The environment one failover target sees: every `<PREFIX>_NAME` variable becomes `NAME`, over the
 * primary's. `SECONDARY_ECS_CLUSTER` is `ECS_CLUSTER` and `SECONDARY_AWS_REGION` is `AWS_REGION` for
 * the target `ecs:SECONDARY`; what is not prefixed is inherited from the primary.
 */
export function envForPrefix(env: Env, prefix: string | undefined): Env {
  if (prefix === undefined) return env;
  const start = `${prefix}_`;
  const own = Object.entries(env)
    .filter(([name]) => name.startsWith(start) && name.length > start.length)
    .map(([name, value]) => [name.slice(start.length), value]);
  return { ...env, ...Object.fromEntries(own) };
}

/** Parses `FAILOVER_TARGETS` (`<target>[:<PREFIX>]`, comma-separated) into targets after the primary. */
export function parseFailoverTargets(raw: string): { target: LaunchTarget; prefix?: string; name: string }[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = ENTRY.exec(item);
      const target = match?.[1] as LaunchTarget | undefined;
      if (match === null || target === undefined || !LAUNCH_TARGETS.includes(target)) {
        throw new ConfigError(
          `FAILOVER_TARGETS contains "${item.slice(0, 60)}": expected <target>[:<PREFIX>] with target one of ${LAUNCH_TARGETS.join(', ')} and PREFIX in capitals, e.g. ecs:SECONDARY`,
        );
      }
      return { target, prefix: match[2], name: item };
    });
}

/** One launch target in order: the primary (`LAUNCH_TARGET`) or a `FAILOVER_TARGETS` entry. */
export interface TargetEntry {
  readonly target: LaunchTarget;
  /** Shown in answers, logs and the ledger: `ecs`, `ecs:SECONDARY`, `aca`, ... */
  readonly name: string;
  /** The environment the target reads its settings from. */
  readonly env: Env;
}

/** The primary target followed by the `FAILOVER_TARGETS`, each with its own environment. */
export function targetEntries(env: Env, primary: LaunchTarget): TargetEntry[] {
  const raw = env.FAILOVER_TARGETS?.trim() ?? '';
  const entries = [
    { target: primary, prefix: undefined as string | undefined, name: primary as string },
    ...(raw ? parseFailoverTargets(raw) : []),
  ];
  const names = entries.map((entry) => entry.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new ConfigError(`FAILOVER_TARGETS repeats "${repeated}": give each extra target its own PREFIX`);
  }
  const resolved = entries.map((entry) => ({
    target: entry.target,
    name: entry.name,
    env: envForPrefix(env, entry.prefix),
  }));
  rejectSharedClusters(resolved);
  return resolved;
}

/**
 * Two ECS targets on one cluster would share RunTask client tokens: the second would get a
 * ConflictException for a key the first refused, and could not launch. Spot then on-demand in one
 * cluster is `ECS_CAPACITY=FARGATE_SPOT_THEN_FARGATE`, which keeps the tokens apart.
 */
function rejectSharedClusters(entries: readonly { target: LaunchTarget; name: string; env: Env }[]): void {
  const seen = new Map<string, string>();
  for (const { target, name, env } of entries) {
    if (target !== 'ecs') continue;
    const cluster = `${env.AWS_REGION ?? ''}|${env.ECS_CLUSTER ?? ''}`;
    const other = seen.get(cluster);
    if (other !== undefined) {
      throw new ConfigError(
        `FAILOVER_TARGETS: ${other} and ${name} use the same ECS cluster (${env.ECS_CLUSTER}) in the same Region; give ${name} its own cluster or Region, or use ECS_CAPACITY=FARGATE_SPOT_THEN_FARGATE for Spot then on-demand in one cluster`,
      );
    }
    seen.set(cluster, name);
  }
}
