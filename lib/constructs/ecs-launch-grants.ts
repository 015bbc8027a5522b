import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The cluster agents are started on: one of this stack, or one in another Region (failover). */
export type LaunchCluster =
  | { readonly cluster: ecs.Cluster }
  | { readonly region: string; readonly clusterName: string };

/** What {@link grantEcsLaunch} grants; sids and reasons differ per caller, so each policy reads on its own. */
export interface EcsLaunchGrant {
  readonly where: LaunchCluster;
  /** Task definition family: RunTask of any revision of it. */
  readonly family: string;
  /** The task and execution roles the tasks run with (iam:PassRole to ECS tasks only). */
  readonly passRoleArns: readonly string[];
  readonly sids: {
    readonly run: string;
    readonly tag: string;
    /** With `readActions`: the statement for reading (and stopping) the cluster's tasks. */
    readonly read?: string;
    readonly pass: string;
  };
  /** Actions on the cluster's tasks beyond starting them (DescribeTasks, StopTask); none = no statement. */
  readonly readActions?: readonly string[];
  /** Why cdk-nag's wildcard findings are acceptable: the family's revisions, the cluster's task ids. */
  readonly reasons: { readonly family: string; readonly tasks: string };
}

/**
 * Lets `role` start tasks of one family on one cluster and nothing else: RunTask limited to the cluster,
 * tagging only at launch, the optional reads of the cluster's tasks, PassRole of the two task roles to
 * ECS tasks. No ListTasks: whether a key launched is never decided from a listing. Acknowledges the two
 * wildcard resources (a family's revisions, task ids known only after RunTask) for cdk-nag.
 */
export function grantEcsLaunch(scope: Construct, role: iam.IRole, grant: EcsLaunchGrant): void {
  const stack = Stack.of(scope);
  const region = 'cluster' in grant.where ? undefined : grant.where.region;
  const clusterName = 'cluster' in grant.where ? grant.where.cluster.clusterName : grant.where.clusterName;
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({
      service: 'ecs',
      ...(region === undefined ? {} : { region }),
      resource,
      resourceName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const clusterArn = 'cluster' in grant.where ? grant.where.cluster.clusterArn : arn('cluster', clusterName);
  const clusterCondition = { ArnEquals: { 'ecs:cluster': clusterArn } };
  // Task ids are only known after RunTask: every task of the cluster.
  const tasks = arn('task', `${clusterName}/*`);
  const statements = [
    new iam.PolicyStatement({
      sid: grant.sids.run,
      actions: ['ecs:RunTask'],
      resources: [arn('task-definition', `${grant.family}:*`)],
      conditions: clusterCondition,
    }),
    new iam.PolicyStatement({
      sid: grant.sids.tag,
      actions: ['ecs:TagResource'],
      resources: [tasks],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    }),
    ...(grant.readActions && grant.readActions.length > 0
      ? [
          new iam.PolicyStatement({
            sid: grant.sids.read,
            actions: [...grant.readActions],
            resources: [tasks],
            conditions: clusterCondition,
          }),
        ]
      : []),
    new iam.PolicyStatement({
      sid: grant.sids.pass,
      actions: ['iam:PassRole'],
      resources: [...grant.passRoleArns],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  ];
  for (const statement of statements) role.addToPrincipalPolicy(statement);

  // cdk-nag names a cluster of this stack by its logical id, one elsewhere by its name.
  const clusterInFinding =
    'cluster' in grant.where
      ? `<${stack.resolve(stack.getLogicalId(grant.where.cluster.node.defaultChild as ecs.CfnCluster))}>`
      : clusterName;
  const finding = (resource: string) =>
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${region ?? '<AWS::Region>'}:<AWS::AccountId>:${resource}]`;
  Validations.of(role).acknowledge(
    { id: finding(`task-definition/${grant.family}:*`), reason: grant.reasons.family },
    { id: finding(`task/${clusterInFinding}/*`), reason: grant.reasons.tasks },
  );
}
