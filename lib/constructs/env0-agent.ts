import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV0_TOKEN_PLACEHOLDER } from '../../lambda/poller/token-placeholder.js';
import { grantEcsLaunch } from './ecs-launch-grants.js';
import type { Network } from './network.js';

export const ENV0_CONTAINER_NAME = 'env0-agent';
export const ENV0_AGENT_IMAGE = 'ghcr.io/env0/deployment-agent';
/** awslogs stream prefix of the agent (`env0/env0-agent/<task id>`), for the trail's log link. */
export const ENV0_LOG_STREAM_PREFIX = 'env0';

/** Props of {@link Env0Agent}. */
export interface Env0AgentProps {
  readonly network: Network;
  /** Task definition family. */
  readonly family: string;
  /** Pinned tag of `ghcr.io/env0/deployment-agent` (X.Y.Z): never `latest`, an upgrade mid-deployment breaks it. */
  readonly imageTag: string;
  /**
   * ARN of an existing secret holding the env0 agent access token.
   * @default - a new secret holding a placeholder the operator replaces
   */
  readonly agentTokenSecretArn?: string;
  /**
   * `DEPLOYMENT_LOGS_LOG_LEVEL` of the agent.
   * @default - not set
   */
  readonly logLevel?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The env0 deployment agent as a single-run Fargate task (2 vCPU / 4 GiB, as env0's guide), its
 * cluster, and its two secrets: the agent access token and the state encryption key.
 */
export class Env0Agent extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly family: string;
  readonly taskRole: iam.Role;
  readonly executionRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly agentTokenSecret: secretsmanager.ISecret;
  /**
   * `ENV0_STATE_ENCRYPTION_KEY`: generated once (44 base64 characters), never rotated and kept when
   * the stack is deleted. Every agent must share it: another key makes stored state unreadable.
   */
  readonly stateEncryptionKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: Env0AgentProps) {
    super(scope, id);
    this.family = props.family;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.network.vpc,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason:
        'Short single-run agent tasks; Container Insights costs per metric and is off by default as in the Scalr pool.',
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.agentTokenSecret = props.agentTokenSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AgentTokenSecret', props.agentTokenSecretArn)
      : new secretsmanager.Secret(this, 'AgentTokenSecret', {
          description: 'env0 agent access token; replace the placeholder value',
          secretStringValue: SecretValue.unsafePlainText(ENV0_TOKEN_PLACEHOLDER),
          removalPolicy: RemovalPolicy.DESTROY,
        });
    this.stateEncryptionKey = new secretsmanager.Secret(this, 'StateEncryptionKey', {
      description:
        'ENV0_STATE_ENCRYPTION_KEY shared by every env0 agent: never change it (state becomes unreadable)',
      // 44 characters of [A-Za-z0-9] are valid base64 (33 bytes, ~262 bits of entropy).
      generateSecretString: { passwordLength: 44, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const secret of [this.agentTokenSecret, this.stateEncryptionKey]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The access token is issued by env0 (rotate it there, then put-secret-value); the state encryption key must never change or encrypted state is lost.',
      });
    }

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'env0 agent: pull the image, read its two secrets, write its logs',
    });
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'env0 agent task role: no AWS permissions (deployments bring their own credentials)',
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: this.family,
      cpu: 2048,
      memoryLimitMiB: 4096,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      ephemeralStorageGiB: 30,
    });
    this.taskDefinition.addContainer('Agent', {
      containerName: ENV0_CONTAINER_NAME,
      image: ecs.ContainerImage.fromRegistry(`${ENV0_AGENT_IMAGE}:${props.imageTag}`),
      entryPoint: ['/bin/sh', '-c'],
      command: ['update-ca-certificates; node --enable-source-maps start-agent.js;'],
      essential: true,
      environment: {
        ENV0_STAGE: 'prod',
        ...(props.logLevel ? { DEPLOYMENT_LOGS_LOG_LEVEL: props.logLevel } : {}),
      },
      secrets: {
        AGENT_ACCESS_TOKEN: ecs.Secret.fromSecretsManager(this.agentTokenSecret),
        ENV0_STATE_ENCRYPTION_KEY: ecs.Secret.fromSecretsManager(this.stateEncryptionKey),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: ENV0_LOG_STREAM_PREFIX }),
      stopTimeout: Duration.seconds(120),
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The plain environment holds ENV0_STAGE and the log level only; both secrets come through `secrets`.',
    });
  }

  /** What the poller's launcher needs for `LAUNCH_TARGET=ecs` (lambda/launchers/ecs/ecs-config.ts). */
  pollerEnvironment(network: Network): Record<string, string> {
    return {
      LAUNCH_TARGET: 'ecs',
      ECS_CLUSTER: this.cluster.clusterName,
      ECS_TASK_DEFINITION: this.family,
      ECS_CONTAINER_NAME: ENV0_CONTAINER_NAME,
      ECS_SUBNETS: network.subnetIds.join(','),
      ECS_SECURITY_GROUPS: network.securityGroups.map((sg) => sg.securityGroupId).join(','),
      ECS_ASSIGN_PUBLIC_IP: network.assignPublicIp ? 'ENABLED' : 'DISABLED',
      ECS_CAPACITY: 'FARGATE',
    };
  }

  /**
   * RunTask of this family on this cluster (tagging at launch), DescribeTasks and StopTask
   * (`replicaTimeout`) on this cluster's tasks, PassRole of the two task roles. No ListTasks.
   */
  grantPoll(role: iam.IRole): void {
    grantEcsLaunch(this, role, {
      where: { cluster: this.cluster },
      family: this.family,
      passRoleArns: [this.taskRole.roleArn, this.executionRole.roleArn],
      readActions: ['ecs:DescribeTasks', 'ecs:StopTask'],
      sids: {
        run: 'RunEnv0Agent',
        tag: 'TagEnv0AgentAtLaunch',
        read: 'ReadAndStopEnv0Agents',
        pass: 'PassEnv0AgentRoles',
      },
      reasons: {
        family: 'Any revision of the env0 agent family: RunTask uses the latest active one.',
        tasks: 'Task ids exist only after RunTask; limited to this cluster by the ecs:cluster condition.',
      },
    });
  }
}
