/**
 * Reads the CDK context (`cdk.json` defaults, `-c key=value` overrides) into one typed, validated
 * configuration. Pure: it takes a lookup function, so tests pass a plain object. Each concern's keys
 * are read by its own module (api, agent, capacity, network, failover, aca, trail, env0), every value
 * checked with a valibot schema by the ContextReader; this module puts them together.
 */

import { type AcaStackConfig, readAca } from './aca-config.js';
import { type EcsStackConfig, readEcs } from './agent-config.js';
import { type AgentEventsConfig, readAgentEvents } from './agent-events-config.js';
import { type ApiConfig, type FunctionConfig, readApi, readFunction } from './api-config.js';
import { type ContextLookup, ContextReader, StackConfigError } from './context-reader.js';
import { COMPLETE_ARN_HINT, SECRET_ARN } from './context-schemas.js';
import { type Env0StackConfig, readEnv0 } from './env0-config.js';
import { readScalrRegistration, type ScalrRegistrationConfig } from './scalr-registration-config.js';
import { readTrail, type TrailConfig } from './trail-config.js';

// What moved out of this module, still exported here so its importers keep working.
export type { AcaStackConfig, AzureAuthConfig } from './aca-config.js';
export {
  CPU_ARCHITECTURES,
  type CpuArchitecture,
  type EcsStackConfig,
  FARGATE_TASK_SIZES,
  IMAGE_SOURCES,
  type ImageSource,
} from './agent-config.js';
export type { ApiConfig, FunctionConfig } from './api-config.js';
export {
  type CapacityConfig,
  ECS_CAPACITIES,
  type EcsCapacity,
  type PacingConfig,
} from './capacity-config.js';
export { CONTEXT_DEFAULTS, type ContextKey, FORMER_CONTEXT_KEYS } from './context-defaults.js';
export { type ContextLookup, ContextReader, StackConfigError } from './context-reader.js';
export type { Env0StackConfig } from './env0-config.js';
export { ASSIGN_PUBLIC_IP, type AssignPublicIp, type FailoverConfig } from './failover-config.js';
export { type NetworkConfig, SUBNET_TYPES, type SubnetType } from './network-config.js';
export type { TrailConfig } from './trail-config.js';

export const STACK_TARGETS = ['ecs', 'aca'] as const;
export type StackTarget = (typeof STACK_TARGETS)[number];

export const STACK_SOURCES = ['scalr-webhook', 'env0'] as const;
export type StackSource = (typeof STACK_SOURCES)[number];

/** CloudWatch Logs retention periods, in days, that CloudFormation accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Everything `bin/app.ts` needs to build the stack. */
export interface StackConfig extends TrailConfig, AgentEventsConfig {
  readonly stackName: string;
  /** `scalr-webhook` (Scalr calls the webhook API) or `env0` (a poller reads env0's queue; docs/env0.md). */
  readonly source: StackSource;
  readonly target: StackTarget;
  readonly logRetentionDays: number;
  readonly api: ApiConfig;
  readonly fn: FunctionConfig;
  /**
   * ARN of an existing agent token secret; empty = the stack creates one holding a placeholder.
   * Always empty for `aca`: there the token is a secret of the Container Apps job.
   */
  readonly agentTokenSecretArn: string;
  /** Email address subscribed to the alarm topic; empty = no subscription. */
  readonly alarmEmail: string;
  /** ARN of an existing SNS topic for the alarms; empty = a topic is created only when alarmEmail is set. */
  readonly alarmTopicArn: string;
  /** Present when the target runs agents on ECS Fargate (`target=ecs`). */
  readonly ecs?: EcsStackConfig;
  /** Present when the target starts Azure Container Apps job executions (`target=aca`). */
  readonly aca?: AcaStackConfig;
  /** Present for `source=env0`. */
  readonly env0?: Env0StackConfig;
  /** Present when the stack registers the Scalr pool itself (`scalrApiTokenSecretArn`). */
  readonly scalrRegistration?: ScalrRegistrationConfig;
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Parses and validates the context once. Throws a StackConfigError that names every wrong key and
 * what it expected.
 */
export function parseStackConfig(lookup: ContextLookup, heading?: string): StackConfig {
  const context = new ContextReader(lookup);
  const stackName = context.string(
    'stackName',
    STACK_NAME,
    'a CloudFormation stack name (letters, digits, hyphens; starts with a letter)',
  );
  const source = context.oneOf('source', STACK_SOURCES);
  const target = context.oneOf('target', STACK_TARGETS);
  const retention = context.integer('logRetentionDays', 1, 3653);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    context.problem(`logRetentionDays is ${retention}: expected one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const api = readApi(context);
  const fn = readFunction(context);
  const config: StackConfig = {
    stackName,
    source,
    target,
    logRetentionDays: retention,
    api,
    fn,
    // The aca target keeps the agent token in the Container Apps job, never in AWS.
    agentTokenSecretArn:
      target === 'ecs'
        ? context.string(
            'agentTokenSecretArn',
            SECRET_ARN,
            `${COMPLETE_ARN_HINT} of a Secrets Manager secret, or empty to create the secret`,
          )
        : '',
    alarmEmail: context.string('alarmEmail', EMAIL, 'an email address, or empty'),
    alarmTopicArn: context.string('alarmTopicArn', TOPIC_ARN, 'an SNS topic ARN, or empty'),
    ...(target === 'ecs' ? { ecs: readEcs(context) } : { aca: readAca(context) }),
    ...readTrail(context),
    ...readAgentEvents(context),
    ...(source === 'env0' ? { env0: readEnv0(context) } : {}),
    ...readScalrRegistration(context, SECRET_ARN, COMPLETE_ARN_HINT),
  };
  if (context.problems.length > 0) throw new StackConfigError(context.problems, heading);
  return config;
}
