import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../config/stack-config.js';

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
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({
      service: 'ecs',
      region: failover.region,
      resource,
      resourceName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const clusterCondition = { ArnEquals: { 'ecs:cluster': arn('cluster', failover.clusterName) } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'RunFailoverAgentTask',
      actions: ['ecs:RunTask'],
      resources: [arn('task-definition', `${family}:*`)],
      conditions: clusterCondition,
    }),
    new iam.PolicyStatement({
      sid: 'TagFailoverAgentTaskAtLaunch',
      actions: ['ecs:TagResource'],
      resources: [arn('task', `${failover.clusterName}/*`)],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    }),
    new iam.PolicyStatement({
      sid: 'PassFailoverAgentRoles',
      actions: ['iam:PassRole'],
      resources: [failover.taskRoleArn, failover.executionRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  ];
  for (const statement of statements) role.addToPrincipalPolicy(statement);

  const ecsArn = (resource: string) =>
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${failover.region}:<AWS::AccountId>:${resource}]`;
  Validations.of(role).acknowledge(
    {
      id: ecsArn(`task-definition/${family}:*`),
      reason:
        'Any revision of the agent task definition family in the failover Region, so a new revision there needs no policy change here.',
    },
    {
      id: ecsArn(`task/${failover.clusterName}/*`),
      reason:
        'Task ids in the failover cluster are only known after RunTask; TagResource is further limited to ecs:CreateAction=RunTask.',
    },
  );
}
