import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../config/failover-config.js';
import { grantEcsLaunch } from './ecs-launch-grants.js';

/** Prefix of the failover target's variables (`FAILOVER_TARGETS=ecs:SECONDARY`). */
export const FAILOVER_PREFIX = 'SECONDARY';

/**
 * Settings the dispatcher needs for the `ecs:SECONDARY` target. Everything not prefixed is inherited
 * from the primary (task definition family, container name, capacity, pacing), so the Region-specific
 * values are all set here — including an empty security group list, so the primary's groups (which do
 * not exist in the other Region) are never inherited.
 */
export function failoverEnvironment(failover: FailoverConfig): Record<string, string> {
  return {
    FAILOVER_TARGETS: `ecs:${FAILOVER_PREFIX}`,
    [`${FAILOVER_PREFIX}_AWS_REGION`]: failover.region,
    [`${FAILOVER_PREFIX}_ECS_CLUSTER`]: failover.clusterName,
    [`${FAILOVER_PREFIX}_ECS_SUBNETS`]: failover.subnetIds.join(','),
    [`${FAILOVER_PREFIX}_ECS_SECURITY_GROUPS`]: failover.securityGroupIds.join(','),
    [`${FAILOVER_PREFIX}_ECS_ASSIGN_PUBLIC_IP`]: failover.assignPublicIp,
  };
}

/** ARN of the agent cluster in the failover Region (its task events are forwarded to this Region). */
export function failoverClusterArn(scope: Construct, failover: FailoverConfig): string {
  return Stack.of(scope).formatArn({
    service: 'ecs',
    region: failover.region,
    resource: 'cluster',
    resourceName: failover.clusterName,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * Mirrors `FargateAgent.grantLaunch` for the cluster in the failover Region: RunTask of the same family
 * on that cluster only, tagging only at launch, PassRole of the failover
 * stack's two agent roles to ECS tasks only.
 */
export function grantFailoverLaunch(
  scope: Construct,
  role: iam.IRole,
  family: string,
  failover: FailoverConfig,
): void {
  grantEcsLaunch(scope, role, {
    where: { region: failover.region, clusterName: failover.clusterName },
    family,
    passRoleArns: [failover.taskRoleArn, failover.executionRoleArn],
    sids: {
      run: 'RunFailoverAgentTask',
      tag: 'TagFailoverAgentTaskAtLaunch',
      pass: 'PassFailoverAgentRoles',
    },
    reasons: {
      family:
        'Any revision of the agent task definition family in the failover Region, so a new revision there needs no policy change here.',
      tasks:
        'Task ids in the failover cluster are only known after RunTask; TagResource is further limited to ecs:CreateAction=RunTask.',
    },
  });
}
