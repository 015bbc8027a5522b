/**
 * The context keys as typed construct props. Derived from `CONTEXT_DEFAULTS`, so a key added there (and
 * read in `parseStackConfig`) is a prop of `AgentDispatcher` at once, with the same default and the same
 * validation; only a key whose values are a fixed set or a list needs a line below to get a narrower type.
 */

import type { AzureAuthMode } from '../../lambda/launchers/aca/aca-config.js';
import {
  type AssignPublicIp,
  CONTEXT_DEFAULTS,
  type ContextLookup,
  type CpuArchitecture,
  type EcsCapacity,
  FORMER_CONTEXT_KEYS,
  type ImageSource,
  type StackTarget,
  type SubnetType,
} from './stack-config.js';

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : never;

/** Keys of a list: an array here, or a comma-separated string as on the command line. */
type ListKey =
  | 'allowedSourceIps'
  | 'subnetIds'
  | 'securityGroupIds'
  | 'failoverSubnetIds'
  | 'failoverSecurityGroupIds';

/** Keys whose values are a fixed set. */
interface EnumSettings {
  readonly target?: StackTarget;
  readonly capacity?: EcsCapacity;
  readonly agentCpuArchitecture?: CpuArchitecture;
  readonly subnetType?: SubnetType | '';
  readonly imageSource?: ImageSource['kind'];
  readonly failoverAssignPublicIp?: AssignPublicIp;
  readonly azureAuth?: AzureAuthMode;
}

/**
 * Context keys of env0 pull mode (`-c source=env0`): settings of `Env0PollerStack` (docs/env0.md), not
 * of the Scalr webhook pool, so they are not props of `AgentDispatcher`.
 */
export const PULL_MODE_KEYS = [
  'source',
  'env0QueueStateUrl',
  'env0AgentImageTag',
  'env0AgentTokenSecretArn',
  'env0LogLevel',
  'pollingInterval',
  'minExecutions',
  'maxExecutions',
  'targetValue',
  'activationTargetValue',
  'replicaTimeout',
  'agentStartupSeconds',
  'replicaRetryLimit',
  'parallelism',
] as const satisfies readonly (keyof typeof CONTEXT_DEFAULTS)[];

/**
 * Context keys that are not settings of one dispatcher: the stack's name is the construct's `name`,
 * and the env0 pull-mode keys belong to the poller.
 */
type AppOnlyKey = 'stackName' | (typeof PULL_MODE_KEYS)[number];

type SettingKey = Exclude<keyof typeof CONTEXT_DEFAULTS, AppOnlyKey>;

/**
 * Every context key of the README's configuration table but `stackName`, all optional, with the same
 * defaults and the same validation (`parseStackConfig`). Numbers are numbers here, lists arrays or
 * comma-separated strings.
 */
export type DispatcherSettings = {
  readonly [K in Exclude<SettingKey, ListKey | keyof EnumSettings>]?: Widen<(typeof CONTEXT_DEFAULTS)[K]>;
} & { readonly [K in ListKey]?: string | readonly string[] } & EnumSettings;

/**
 * The names of the settings, for telling a setting from a resource prop or a typo; former names of keys
 * (`FORMER_CONTEXT_KEYS`) are still read, though not part of the type.
 */
export const SETTING_KEYS: ReadonlySet<string> = new Set(
  [...Object.keys(CONTEXT_DEFAULTS), ...Object.keys(FORMER_CONTEXT_KEYS)].filter(
    (key) => key !== 'stackName' && !(PULL_MODE_KEYS as readonly string[]).includes(key),
  ),
);

/**
 * The settings given in the CDK context (`cdk.json`, `-c key=value`), unvalidated: `-c` gives strings
 * where the props have numbers or booleans, which the construct's parser accepts as the context parser
 * always has.
 */
export function contextSettings(lookup: ContextLookup): DispatcherSettings {
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = lookup(key);
    if (value !== undefined && value !== null) settings[key] = value;
  }
  return settings as DispatcherSettings;
}
