import type { ContextKey } from './context-defaults.js';
import type { ContextReader } from './context-reader.js';
import { REGION, SECURITY_GROUP_ID, SUBNET_ID } from './context-schemas.js';

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

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// ECS cluster names: up to 255 letters, digits, hyphens and underscores.
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

const FAILOVER_DETAIL_KEYS = [
  'failoverClusterName',
  'failoverSubnetIds',
  'failoverSecurityGroupIds',
  'failoverTaskRoleArn',
  'failoverExecutionRoleArn',
] as const satisfies readonly ContextKey[];

/** The failover keys; every one but failoverRegion is refused without it, so nothing is silently ignored. */
export function readFailover(context: ContextReader): { failover?: FailoverConfig } {
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
