/**
 * Reads the CDK context (`cdk.json` defaults, `-c key=value` overrides) into one typed, validated
 * configuration. Pure: it takes a lookup function, so tests pass a plain object.
 */

import { AZURE_AUTH_MODES } from '../../lambda/launchers/aca/aca-config.js';
import { parseCapacityByAction } from '../../lambda/launchers/ecs/ecs-config.js';
import { FARGATE_TASK_SIZES, parseSizeByAction } from '../../lambda/launchers/ecs/fargate-sizes.js';

export { FARGATE_TASK_SIZES };

/** How the stack reads one context key; `app.node.tryGetContext` in `bin/app.ts`. */
export type ContextLookup = (key: string) => unknown;

import { AGENT_EVENTS_DEFAULTS, type AgentEventsConfig, readAgentEvents } from './agent-events-config.js';
import { type Env0StackConfig, readEnv0 } from './env0-config.js';

export const STACK_TARGETS = ['ecs', 'aca'] as const;
export type StackTarget = (typeof STACK_TARGETS)[number];

export const ECS_CAPACITIES = ['FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT_THEN_FARGATE'] as const;
export type EcsCapacity = (typeof ECS_CAPACITIES)[number];

export const SUBNET_TYPES = ['public', 'private'] as const;
export type SubnetType = (typeof SUBNET_TYPES)[number];

/** CloudWatch Logs retention periods, in days, that CloudFormation accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Settings of the webhook API (API Gateway REST API). */
export interface ApiConfig {
  readonly stageName: string;
  /** Steady-state requests per second, on the stage and on the usage plan. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per day allowed for the API key. */
  readonly dailyQuota: number;
  /** Source IPs/CIDRs allowed to call the API; empty = any source (the API key is still required). */
  readonly allowedSourceIps: readonly string[];
  /** Set the account-wide API Gateway CloudWatch role when missing (`manageApiGatewayAccountRole`). */
  readonly manageAccountRole: boolean;
}

/** Settings of the dispatcher Lambda function. */
export interface FunctionConfig {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly launchDeadlineMs: number;
}

/** Where the subnets for the agent tasks come from. */
export type NetworkConfig =
  | { readonly kind: 'new'; readonly cidr: string }
  | {
      readonly kind: 'existing';
      readonly vpcId: string;
      readonly subnetIds: readonly string[];
      /** Existing security groups for the tasks; empty = the stack creates one (egress only). */
      readonly securityGroupIds: readonly string[];
      readonly subnetType: SubnetType;
    };

/** Settings of the Fargate agent (`target=ecs`). */
export interface EcsStackConfig {
  readonly image: string;
  readonly imageTag: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** `SCALR_URL`; empty = the agent reads the account URL from its token. */
  readonly scalrUrl: string;
  readonly capacity: EcsCapacity;
  /** Fargate's SIGTERM-to-SIGKILL time; the agent's own grace shutdown gets 10 s less. */
  readonly stopTimeoutSeconds: number;
  /** Fargate ephemeral storage in GiB (21-200); Scalr asks for 20 GB free per agent. */
  readonly ephemeralStorageGiB: number;
  readonly cpuArchitecture: CpuArchitecture;
  /** Task size per Scalr action (`plan=1024/2048,...`), as RunTask overrides; empty = the task definition's. */
  readonly sizeByAction: string;
  /** Capacity per Scalr action (`plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE`); empty = `capacity` for all. */
  readonly capacityByAction: string;
  /** Where the agent image is pulled from (Docker Hub limits anonymous pulls per IP). */
  readonly imageSource: ImageSource;
  readonly containerInsights: boolean;
  readonly network: NetworkConfig;
  /** `LAUNCH_RATE_PER_SECOND` / `LAUNCH_BURST` of the dispatcher's launch pacer. */
  readonly pacing: PacingConfig;
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

/** The dispatcher's per-process token bucket in front of RunTask (docs/reliability.md, "Pacing"). */
export interface PacingConfig {
  /** Launches per second; 0 turns pacing off. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

export const ASSIGN_PUBLIC_IP = ['DISABLED', 'ENABLED'] as const;
export type AssignPublicIp = (typeof ASSIGN_PUBLIC_IP)[number];

/**
 * The `ecs:SECONDARY` failover target: a cluster of this same stack (same stackName, hence the same
 * task definition family) deployed in another Region. See docs/reliability.md, "Deploy a failover Region".
 */
export interface FailoverConfig {
  readonly region: string;
  readonly clusterName: string;
  readonly subnetIds: readonly string[];
  /** Empty = RunTask uses the VPC's default security group in the failover Region. */
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: AssignPublicIp;
  /** The failover stack's agent task role (its `AgentTaskRoleArn` output). */
  readonly taskRoleArn: string;
  /** The failover stack's agent execution role (its `AgentExecutionRoleArn` output). */
  readonly executionRoleArn: string;
}

/** How the dispatcher proves its identity to Entra ID (`AZURE_AUTH`). */
export type AzureAuthConfig =
  | {
      readonly mode: 'aws-federation';
      /** Entra ID tenant (directory) id. */
      readonly tenantId: string;
      /** Client id of the managed identity or app that holds the federated credential. */
      readonly clientId: string;
    }
  | {
      readonly mode: 'client-secret';
      /** Secrets Manager secret holding `{"tenantId","clientId","clientSecret"}`. */
      readonly credentialsSecretArn: string;
    };

/** Settings of the Azure Container Apps target (`target=aca`); see docs/azure.md. */
export interface AcaStackConfig {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** Container of the job template that gets the `DISPATCH_*` variables; empty = the first. */
  readonly containerName: string;
  readonly auth: AzureAuthConfig;
  /** Entra ID authority for sovereign clouds; empty = the dispatcher's default (public Azure). */
  readonly authorityHost: string;
  /** ARM endpoint for sovereign clouds; empty = the dispatcher's default (public Azure). */
  readonly armEndpoint: string;
  /**
   * `ACA_LIST_SETTLE_SECONDS`: how long after a start that may have succeeded the dispatcher waits
   * before it trusts the job's execution list to show (or not show) that execution.
   */
  readonly listSettleSeconds: number;
}

/** Everything `bin/app.ts` needs to build the stack. */
export interface StackConfig extends AgentEventsConfig {
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
  /**
   * How long a launch ledger record is kept (`LEDGER_TTL_SECONDS`, DynamoDB TTL); used when the stack
   * has a ledger (aca, Spot then on-demand, failover).
   */
  readonly ledgerTtlSeconds: number;
  /** How long a task trail is kept after its last step (`GET /tasks/{taskId}`), in days (7-365). */
  readonly taskTrailDays: number;
  /** Minutes after which an accepted task that is not RUNNING raises the NotRunning alarm (ECS). */
  readonly notRunningAlarmMinutes: number;
  /** Present for `source=env0`. */
  readonly env0?: Env0StackConfig;
}

export const STACK_SOURCES = ['scalr-webhook', 'env0'] as const;
export type StackSource = (typeof STACK_SOURCES)[number];

/** One or more context values are wrong; the message lists every key at fault. */
export class StackConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    /** First line of the message: what was invalid (the CDK context, or a construct's props). */
    heading = 'Invalid CDK context',
  ) {
    super(`${heading}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'StackConfigError';
  }
}

/** Documented context keys and their defaults; `cdk.json` carries the same values. */
export const CONTEXT_DEFAULTS = {
  stackName: 'ScalrAgentDispatcher',
  target: 'ecs',
  logRetentionDays: 30,
  apiStageName: 'prod',
  apiRateLimit: 20,
  apiBurstLimit: 40,
  apiDailyQuota: 20000,
  allowedSourceIps: '',
  manageApiGatewayAccountRole: true,
  functionTimeoutSeconds: 25,
  functionMemoryMb: 256,
  launchDeadlineMs: 20000,
  agentTokenSecretArn: '',
  alarmEmail: '',
  alarmTopicArn: '',
  agentImage: 'scalr/agent',
  agentImageTag: '1.6.0',
  agentCpu: 2048,
  agentMemoryMiB: 4096,
  scalrUrl: '',
  capacity: 'FARGATE',
  stopTimeoutSeconds: 120,
  ephemeralStorageGiB: 30,
  agentCpuArchitecture: 'X86_64',
  agentSizeByAction: '',
  capacityByAction: '',
  imageSource: 'registry',
  dockerHubCredentialsSecretArn: '',
  containerInsights: false,
  vpcCidr: '10.80.0.0/22',
  vpcId: '',
  subnetIds: '',
  securityGroupIds: '',
  subnetType: '',
  launchRatePerSecond: 20,
  launchBurst: 100,
  failoverRegion: '',
  failoverClusterName: '',
  failoverSubnetIds: '',
  failoverSecurityGroupIds: '',
  failoverAssignPublicIp: 'DISABLED',
  failoverTaskRoleArn: '',
  failoverExecutionRoleArn: '',
  acaSubscriptionId: '',
  acaResourceGroup: '',
  acaJobName: '',
  acaContainerName: '',
  azureAuth: 'aws-federation',
  azureTenantId: '',
  azureClientId: '',
  azureCredentialsSecretArn: '',
  azureAuthorityHost: '',
  acaArmEndpoint: '',
  acaListSettleSeconds: 30,
  ledgerTtlSeconds: 604800,
  taskTrailDays: 7,
  notRunningAlarmMinutes: 10,
  source: 'scalr-webhook',
  env0QueueStateUrl: 'https://agent.api.env0.com/deployment-tasks/queue-state',
  env0AgentImageTag: '3.0.706',
  env0AgentTokenSecretArn: '',
  env0LogLevel: '',
  pollingInterval: 30,
  minExecutions: 0,
  maxExecutions: 10,
  targetValue: 1,
  activationTargetValue: 0,
  replicaTimeout: 3600,
  agentStartupSeconds: 60,
  replicaRetryLimit: 0,
  parallelism: 1,
  ...AGENT_EVENTS_DEFAULTS,
} as const;

/** Context keys still read under their former name: former -> current. */
export const FORMER_CONTEXT_KEYS = { dedupTtlSeconds: 'ledgerTtlSeconds' } as const;

export type ContextKey = keyof typeof CONTEXT_DEFAULTS | keyof typeof FORMER_CONTEXT_KEYS;

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const STAGE_NAME = /^[A-Za-z0-9_]{1,128}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;
// Complete ARNs only: the name plus the "-" and six characters Secrets Manager appends. A partial ARN
// would be granted as if complete, and every read would then be denied.
const SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
const COMPLETE_ARN_HINT =
  'the complete ARN, ending in "-" and six characters (aws secretsmanager describe-secret --secret-id <name> --query ARN)';
const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;
// ECS cluster names: up to 255 letters, digits, hyphens and underscores.
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IMAGE = /^[a-z0-9]+([._/:-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure resource groups: 1-90 letters, digits or _.()-, not ending in a period.
const RESOURCE_GROUP = /^[\w.()-]{0,89}[\w()-]$/;
// Container Apps job names: 2-32 lower-case letters, digits or '-', starting with a letter.
const JOB_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
// Container names in a Container Apps template: a lower-case DNS label.
const CONTAINER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Collects problems so one synth reports every wrong key at once. */
export class ContextReader {
  readonly problems: string[] = [];

  constructor(private readonly lookup: ContextLookup) {}

  private raw(key: ContextKey): unknown {
    const value = this.given(key);
    if (value !== undefined) return value;
    return key in FORMER_CONTEXT_KEYS
      ? CONTEXT_DEFAULTS[FORMER_CONTEXT_KEYS[key as keyof typeof FORMER_CONTEXT_KEYS]]
      : CONTEXT_DEFAULTS[key as keyof typeof CONTEXT_DEFAULTS];
  }

  /** The value from the context, or undefined when it is not set. */
  given(key: ContextKey): unknown {
    const value = this.lookup(key);
    return value === null ? undefined : value;
  }

  private fail(key: ContextKey, value: unknown, expected: string): void {
    this.problems.push(`${key} is ${JSON.stringify(value)}: expected ${expected}`);
  }

  string(key: ContextKey, pattern?: RegExp, expected?: string): string {
    const value = this.raw(key);
    if (typeof value !== 'string') {
      this.fail(key, value, expected ?? 'a string');
      return '';
    }
    const trimmed = value.trim();
    if (pattern && trimmed !== '' && !pattern.test(trimmed)) this.fail(key, value, expected ?? 'a string');
    return trimmed;
  }

  oneOf<T extends string>(key: ContextKey, allowed: readonly T[]): T {
    const value = this.raw(key);
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value.trim())) {
      this.fail(key, value, `one of ${allowed.join(', ')}`);
      return allowed[0] as T;
    }
    return value.trim() as T;
  }

  integer(key: ContextKey, min: number, max: number): number {
    const value = this.raw(key);
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      this.fail(key, value, `a whole number from ${min} to ${max}`);
      return min;
    }
    return number;
  }

  boolean(key: ContextKey): boolean {
    const value = this.raw(key);
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.fail(key, value, 'true or false');
    return false;
  }

  /** A JSON array of strings or a comma-separated string; every item must match the pattern. */
  list(key: ContextKey, pattern: RegExp, expected: string, check?: (item: string) => boolean): string[] {
    const value = this.raw(key);
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (typeof value === 'string') items = value.split(',');
    else {
      this.fail(key, value, `a comma-separated list of ${expected}`);
      return [];
    }
    const result: string[] = [];
    for (const item of items) {
      const text = typeof item === 'string' ? item.trim() : item;
      if (text === '') continue;
      if (typeof text !== 'string' || !pattern.test(text) || (check && !check(text))) {
        this.problems.push(`${key} contains ${JSON.stringify(item)}: expected ${expected}`);
        continue;
      }
      result.push(text);
    }
    return result;
  }

  /** The raw value, default applied, without validating it. */
  peek(key: ContextKey): unknown {
    return this.raw(key);
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}

function validCidr(text: string): boolean {
  const match = IPV4_CIDR.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[6] === undefined ? 32 : Number(match[6]);
  return octets.every((octet) => octet <= 255) && prefix <= 32;
}

function httpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.pathname === '/' && !url.search && !url.hash;
  } catch {
    return false;
  }
}

function readNetwork(context: ContextReader): NetworkConfig {
  const vpcId = context.string('vpcId', VPC_ID, 'a VPC id (vpc-0123abcd...) or empty for a new VPC');
  const subnetIds = context.list('subnetIds', SUBNET_ID, 'subnet ids (subnet-0123abcd...)');
  const securityGroupIds = context.list(
    'securityGroupIds',
    SECURITY_GROUP_ID,
    'security group ids (sg-0123abcd...)',
  );
  const subnetTypeText = context.string('subnetType');
  if (vpcId === '') {
    if (subnetIds.length > 0 || securityGroupIds.length > 0) {
      context.problem('subnetIds and securityGroupIds need vpcId: set vpcId to use an existing VPC');
    }
    const cidr = context.string('vpcCidr');
    const prefix = Number(cidr.split('/')[1]);
    if (!validCidr(cidr) || !(prefix >= 16 && prefix <= 24)) {
      context.problem(`vpcCidr is ${JSON.stringify(cidr)}: expected an IPv4 CIDR block from /16 to /24`);
    }
    return { kind: 'new', cidr };
  }
  if (subnetIds.length === 0) {
    context.problem('subnetIds is empty: expected at least one subnet id of the VPC given in vpcId');
  }
  // No default: a default VPC has public subnets only, and a wrong guess fails every task at start.
  if (!(SUBNET_TYPES as readonly string[]).includes(subnetTypeText)) {
    context.problem(
      `subnetType is ${JSON.stringify(subnetTypeText)}: with vpcId, say public (tasks get a public IP; e.g. the default VPC) or private (the subnets route out through a NAT gateway)`,
    );
  }
  const subnetType = subnetTypeText === 'public' ? 'public' : 'private';
  return { kind: 'existing', vpcId, subnetIds, securityGroupIds, subnetType };
}

function readEcs(context: ContextReader): EcsStackConfig {
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
    capacity: context.oneOf('capacity', ECS_CAPACITIES),
    // Fargate caps stopTimeout at 120 s; Scalr's graceful shutdown needs at least 30 s.
    stopTimeoutSeconds: context.integer('stopTimeoutSeconds', 30, 120),
    ephemeralStorageGiB: context.integer('ephemeralStorageGiB', 21, 200),
    cpuArchitecture: context.oneOf('agentCpuArchitecture', CPU_ARCHITECTURES),
    sizeByAction: readByAction(context, 'agentSizeByAction', parseSizeByAction),
    capacityByAction: readByAction(context, 'capacityByAction', parseCapacityByAction),
    imageSource: readImageSource(context),
    containerInsights: context.boolean('containerInsights'),
    network: readNetwork(context),
    pacing: {
      ratePerSecond: context.integer('launchRatePerSecond', 0, 1000),
      burst: context.integer('launchBurst', 1, 10_000),
    },
    ...readFailover(context),
  };
}

/** A per-action setting, checked with the parser the Lambda uses at start-up. */
function readByAction(
  context: ContextReader,
  key: 'agentSizeByAction' | 'capacityByAction',
  parse: (text: string) => unknown,
): string {
  const text = context.string(key);
  try {
    parse(text);
  } catch (error) {
    context.problem(`${key}: ${(error as Error).message}`);
  }
  return text;
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

const FAILOVER_DETAIL_KEYS = [
  'failoverClusterName',
  'failoverSubnetIds',
  'failoverSecurityGroupIds',
  'failoverTaskRoleArn',
  'failoverExecutionRoleArn',
] as const satisfies readonly ContextKey[];

/** The failover keys; every one but failoverRegion is refused without it, so nothing is silently ignored. */
function readFailover(context: ContextReader): { failover?: FailoverConfig } {
  const region = context.string('failoverRegion', REGION, 'an AWS Region name such as us-west-2, or empty');
  const clusterName = context.string(
    'failoverClusterName',
    CLUSTER_NAME,
    'an ECS cluster name (letters, digits, hyphens, underscores)',
  );
  const subnetIds = context.list('failoverSubnetIds', SUBNET_ID, 'subnet ids (subnet-0123abcd...)');
  const securityGroupIds = context.list(
    'failoverSecurityGroupIds',
    SECURITY_GROUP_ID,
    'security group ids (sg-0123abcd...)',
  );
  const assignPublicIp = context.oneOf('failoverAssignPublicIp', ASSIGN_PUBLIC_IP);
  const taskRoleArn = context.string('failoverTaskRoleArn', ROLE_ARN, 'an IAM role ARN');
  const executionRoleArn = context.string('failoverExecutionRoleArn', ROLE_ARN, 'an IAM role ARN');
  if (region === '') {
    const set: string[] = FAILOVER_DETAIL_KEYS.filter((key) => {
      const value = context.peek(key);
      return Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value.trim() !== '';
    });
    if (assignPublicIp !== 'DISABLED') set.push('failoverAssignPublicIp');
    if (set.length > 0) {
      context.problem(`${set.join(', ')} needs failoverRegion: set failoverRegion to add a failover Region`);
    }
    return {};
  }
  const need = (key: ContextKey, empty: boolean, expected: string) => {
    if (empty) context.problem(`${key} is empty: expected ${expected} (required with failoverRegion)`);
  };
  need('failoverClusterName', clusterName === '', 'the agent cluster of the stack in failoverRegion');
  need('failoverSubnetIds', subnetIds.length === 0, 'at least one subnet id in failoverRegion');
  need('failoverTaskRoleArn', taskRoleArn === '', "the failover stack's AgentTaskRoleArn output");
  need(
    'failoverExecutionRoleArn',
    executionRoleArn === '',
    "the failover stack's AgentExecutionRoleArn output",
  );
  return {
    failover: {
      region,
      clusterName,
      subnetIds,
      securityGroupIds,
      assignPublicIp,
      taskRoleArn,
      executionRoleArn,
    },
  };
}

/** A value that `target=aca` cannot do without: empty is reported with what to set. */
function requiredForAca(
  context: ContextReader,
  key: ContextKey,
  pattern: RegExp,
  expected: string,
  requiredBy = 'target=aca',
): string {
  const value = context.string(key, pattern, expected);
  if (value === '') context.problem(`${key} is empty: expected ${expected} (required with ${requiredBy})`);
  return value;
}

function optionalHttpsUrl(context: ContextReader, key: ContextKey, example: string): string {
  const value = context.string(key);
  if (value !== '' && !httpsUrl(value)) {
    context.problem(
      `${key} is ${JSON.stringify(value)}: expected an https:// URL without a path, e.g. ${example}`,
    );
  }
  return value;
}

function readAca(context: ContextReader): AcaStackConfig {
  const subscriptionId = requiredForAca(
    context,
    'acaSubscriptionId',
    UUID,
    'the Azure subscription id of the Container Apps job, a UUID',
  );
  const resourceGroup = requiredForAca(
    context,
    'acaResourceGroup',
    RESOURCE_GROUP,
    'the resource group of the Container Apps job (1-90 letters, digits or _.()-, not ending in a period)',
  );
  const jobName = requiredForAca(
    context,
    'acaJobName',
    JOB_NAME,
    'the Container Apps job name (2-32 lower-case letters, digits or -, starting with a letter)',
  );
  const containerName = context.string(
    'acaContainerName',
    CONTAINER_NAME,
    'a container name of the job template (lower-case letters, digits, -), or empty for the first container',
  );
  const mode = context.oneOf('azureAuth', AZURE_AUTH_MODES);
  let auth: AzureAuthConfig;
  if (mode === 'client-secret') {
    auth = {
      mode,
      credentialsSecretArn: requiredForAca(
        context,
        'azureCredentialsSecretArn',
        SECRET_ARN,
        `${COMPLETE_ARN_HINT} of a Secrets Manager secret holding {"tenantId","clientId","clientSecret"}`,
        'azureAuth=client-secret',
      ),
    };
  } else {
    auth = {
      mode,
      tenantId: requiredForAca(
        context,
        'azureTenantId',
        UUID,
        'the Entra ID tenant (directory) id, a UUID',
        'azureAuth=aws-federation',
      ),
      clientId: requiredForAca(
        context,
        'azureClientId',
        UUID,
        'the client id of the managed identity or app that holds the federated credential, a UUID',
        'azureAuth=aws-federation',
      ),
    };
  }
  return {
    subscriptionId,
    resourceGroup,
    jobName,
    containerName,
    auth,
    authorityHost: optionalHttpsUrl(context, 'azureAuthorityHost', 'https://login.microsoftonline.us'),
    armEndpoint: optionalHttpsUrl(context, 'acaArmEndpoint', 'https://management.usgovcloudapi.net'),
    // The dispatcher's bounds (lambda/launchers/aca/aca-config.ts).
    listSettleSeconds: context.integer('acaListSettleSeconds', 1, 600),
  };
}

/**
 * `ledgerTtlSeconds`, or its former name `dedupTtlSeconds`. cdk.json always carries the new key, so the
 * former name applies while the new one keeps its default; two different non-default values are refused
 * rather than one silently ignored.
 */
function readLedgerTtl(context: ContextReader): number {
  // The dispatcher refuses less than 24 hours: Scalr may re-deliver a webhook that long after.
  const [min, max] = [86_400, 366 * 86_400];
  const current = context.integer('ledgerTtlSeconds', min, max);
  if (context.given('dedupTtlSeconds') === undefined) return current;
  const former = context.integer('dedupTtlSeconds', min, max);
  if (current === CONTEXT_DEFAULTS.ledgerTtlSeconds || current === former) return former;
  context.problem(
    `dedupTtlSeconds is ${former} and ledgerTtlSeconds is ${current}: dedupTtlSeconds is the former name of ledgerTtlSeconds; set only ledgerTtlSeconds`,
  );
  return current;
}

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
  const beforeApi = context.problems.length;
  const api: ApiConfig = {
    stageName: context.string('apiStageName', STAGE_NAME, 'a stage name (letters, digits, underscores)'),
    rateLimit: context.integer('apiRateLimit', 1, 10000),
    burstLimit: context.integer('apiBurstLimit', 1, 5000),
    dailyQuota: context.integer('apiDailyQuota', 1, 10_000_000),
    allowedSourceIps: context.list('allowedSourceIps', IPV4_CIDR, 'IPv4 addresses or CIDR blocks', validCidr),
    manageAccountRole: context.boolean('manageApiGatewayAccountRole'),
  };
  if (context.problems.length === beforeApi && api.burstLimit < api.rateLimit) {
    context.problem(
      `apiBurstLimit is ${api.burstLimit}: expected at least apiRateLimit (${api.rateLimit}), or requests at the steady rate are throttled`,
    );
  }
  // API Gateway gives up after 29 s; the function must answer before that.
  const beforeFn = context.problems.length;
  const timeoutSeconds = context.integer('functionTimeoutSeconds', 5, 28);
  const launchDeadlineMs = context.integer('launchDeadlineMs', 1000, 28000);
  if (context.problems.length === beforeFn && launchDeadlineMs > timeoutSeconds * 1000 - 2000) {
    context.problem(
      `launchDeadlineMs is ${launchDeadlineMs}: expected at most ${timeoutSeconds * 1000 - 2000} (2 s below functionTimeoutSeconds ${timeoutSeconds}), so the function can still answer 503`,
    );
  }
  const fn: FunctionConfig = {
    timeoutSeconds,
    memoryMb: context.integer('functionMemoryMb', 128, 10240),
    launchDeadlineMs,
  };
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
    ledgerTtlSeconds: readLedgerTtl(context),
    taskTrailDays: context.integer('taskTrailDays', 7, 365),
    notRunningAlarmMinutes: context.integer('notRunningAlarmMinutes', 2, 1440),
    ...readAgentEvents(context),
    ...(source === 'env0' ? { env0: readEnv0(context, SECRET_ARN, COMPLETE_ARN_HINT) } : {}),
  };
  if (context.problems.length > 0) throw new StackConfigError(context.problems, heading);
  return config;
}
