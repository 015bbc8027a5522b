/**
 * Validates `AgentDispatcher` props with the context parser (same defaults, same messages), plus the
 * checks only props need: the construct's name, unknown keys, and resource objects that clash with a
 * setting or do not apply to the target.
 */

import { PULL_MODE_KEYS, SETTING_KEYS } from './dispatcher-settings.js';
import {
  CONTEXT_DEFAULTS,
  parseStackConfig,
  type StackConfig,
  StackConfigError,
  type StackTarget,
} from './stack-config.js';

const HEADING = 'Invalid AgentDispatcher props';
// A CloudFormation stack name's rule: the app names everything after its stack, the construct alike.
const NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** Props that are resources of the consumer's app rather than settings. */
const RESOURCE_KEYS = {
  name: 'any',
  vpc: 'ecs',
  vpcSubnets: 'ecs',
  securityGroups: 'ecs',
  assignPublicIp: 'ecs',
  alarmTopic: 'any',
  agentTokenSecret: 'ecs',
} as const;

/** Whatever the props hold; typed props are checked at compile time, JavaScript callers' at synth. */
type RawProps = Readonly<Record<string, unknown>>;

/** Throws one StackConfigError naming every wrong prop; returns the parsed settings. */
export function parseDispatcherProps(props: object, name: string): StackConfig {
  const raw = props as RawProps;
  const problems: string[] = [];
  const nameValid = NAME.test(name);
  if (!nameValid) {
    problems.push(
      `name is ${JSON.stringify(name)}: expected letters, digits and hyphens, starting with a letter (at most 128)`,
    );
  }
  for (const key of Object.keys(raw)) {
    if (SETTING_KEYS.has(key) || key in RESOURCE_KEYS) continue;
    problems.push(
      key === 'stackName'
        ? 'stackName is not a prop of AgentDispatcher: set name (the stack is yours)'
        : (PULL_MODE_KEYS as readonly string[]).includes(key)
          ? `${key} is an env0 pull-mode setting (Env0PollerStack, docs/env0.md), not a prop of AgentDispatcher`
          : `${key} is not a prop of AgentDispatcher: expected a key of the configuration table (docs/library.md)`,
    );
  }
  let config: StackConfig | undefined;
  try {
    config = parseStackConfig(
      (key) => (key === 'stackName' ? (nameValid ? name : CONTEXT_DEFAULTS.stackName) : raw[key]),
      HEADING,
    );
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    problems.push(...error.problems);
  }
  // Checked even when a setting is wrong, so one run names every problem.
  problems.push(...resourceProblems(raw, config?.target ?? (raw.target === 'aca' ? 'aca' : 'ecs')));
  if (problems.length > 0 || !config) throw new StackConfigError(problems, HEADING);
  return config;
}

function given(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== null && value !== '';
}

function resourceProblems(raw: RawProps, target: StackTarget): string[] {
  const problems: string[] = [];
  for (const [key, needs] of Object.entries(RESOURCE_KEYS)) {
    if (needs === 'ecs' && target !== 'ecs' && given(raw[key])) {
      problems.push(`${key} applies to target=ecs only (the agents run in Azure with target=${target})`);
    }
  }
  if (given(raw.vpc)) {
    const ids = ['vpcId', 'subnetIds', 'securityGroupIds', 'subnetType'].filter((key) => given(raw[key]));
    if (ids.length > 0) {
      problems.push(
        `vpc and ${ids.join(', ')} are both set: give the VPC object (vpc, vpcSubnets, securityGroups) or its ids (vpcId, subnetIds, securityGroupIds, subnetType), not both`,
      );
    }
  } else {
    for (const key of ['vpcSubnets', 'securityGroups', 'assignPublicIp'].filter((k) => given(raw[k]))) {
      problems.push(`${key} needs vpc: it selects within a VPC object given as vpc`);
    }
  }
  for (const [object, arn] of [
    ['alarmTopic', 'alarmTopicArn'],
    ['agentTokenSecret', 'agentTokenSecretArn'],
  ] as const) {
    if (given(raw[object]) && given(raw[arn])) {
      problems.push(`${object} and ${arn} are both set: give one`);
    }
  }
  return problems;
}
