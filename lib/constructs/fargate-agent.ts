// About 360 lines: the cluster, the task definition with its two roles and the three image sources
// (each with the grants and cdk-nag acknowledgements it needs) belong to one agent and change together.
// The launch grant is shared (ecs-launch-grants.ts); the network is its own construct.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecrRepository from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CpuArchitecture, ImageSource } from '../config/agent-config.js';
import type { EcsCapacity } from '../config/capacity-config.js';
import { grantEcsLaunch } from './ecs-launch-grants.js';
import type { Network } from './network.js';
import { grantReadBothForms } from './secrets.js';

/** Props of {@link FargateAgent}. */
export interface FargateAgentProps {
  /** Where the tasks run. */
  readonly network: Network;
  /** Secret holding the Scalr agent pool token; ECS injects it as `SCALR_AGENT_TOKEN`. */
  readonly agentTokenSecret: secretsmanager.ISecret;
  /**
   * Task definition family; the dispatcher runs the latest ACTIVE revision of it.
   * @default - `${stackName}-agent`
   */
  readonly family?: string;
  /**
   * Agent image repository (Docker Hub or any registry the task can pull from anonymously).
   * @default 'scalr/agent'
   */
  readonly image?: string;
  /** Pinned image tag; never `latest`, so every task of a run uses the same agent version. */
  readonly imageTag: string;
  /**
   * Task cpu units (a Fargate size).
   * @default 2048
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB (must fit `cpu`).
   * @default 4096
   */
  readonly memoryMiB?: number;
  /**
   * `SCALR_URL`, the account URL such as https://example.scalr.io.
   * @default - not set: the agent reads the account URL from its token
   */
  readonly scalrUrl?: string;
  /**
   * Capacity the dispatcher asks for (`ECS_CAPACITY`).
   * @default 'FARGATE'
   */
  readonly capacity?: EcsCapacity;
  /**
   * Seconds the agent gets after SIGTERM to report back to Scalr (Fargate maximum: 120).
   * @default 120
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * Ephemeral storage of the task in GiB (Fargate: 21-200; its default of 20 GiB in all leaves less
   * than the 20 GB free Scalr asks for).
   * @default 30
   */
  readonly ephemeralStorageGiB?: number;
  /**
   * `ARM64` runs on Graviton (about 20 % cheaper per vCPU-hour); `scalr/agent` is published for both.
   * @default 'X86_64'
   */
  readonly cpuArchitecture?: CpuArchitecture;
  /**
   * Task size per Scalr action, `plan=1024/2048,...` (`ECS_SIZE_BY_ACTION`), sent as RunTask overrides.
   * @default - every action runs at the task definition's size
   */
  readonly sizeByAction?: string;
  /**
   * Capacity per Scalr action, `plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE` (`ECS_CAPACITY_BY_ACTION`);
   * needs the launch ledger (the stack creates it).
   * @default - every action uses `capacity`
   */
  readonly capacityByAction?: string;
  /**
   * Where the image is pulled from.
   * @default { kind: 'registry' } - as named; Docker Hub pulls are anonymous and rate-limited per IP
   */
  readonly imageSource?: ImageSource;
  /**
   * Repository prefix of the ECR pull-through cache rule (`imageSource` `ecr-pull-through`), 2-30
   * characters, unique in the account and Region.
   * @default - the stack name, lower-case, cut to 20 characters, then `-dockerhub`
   */
  readonly pullThroughPrefix?: string;
  /**
   * CloudWatch Container Insights on the cluster (billed per metric).
   * @default false
   */
  readonly containerInsights?: boolean;
  /**
   * Retention of the agent log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/;

/** Name of the agent container in the task definition (`ECS_CONTAINER_NAME`). */
export const AGENT_CONTAINER_NAME = 'scalr-agent';
/** awslogs stream prefix: streams are `<prefix>/<container>/<ECS task id>`. */
export const AGENT_LOG_STREAM_PREFIX = 'agent';

/** ECS cluster, task definition and roles for single-run Scalr agents on Fargate. */
export class FargateAgent extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  /** Role the agent's Terraform/OpenTofu runs use; empty by default, operators attach what they need. */
  readonly taskRole: iam.Role;
  /** Role ECS uses to pull the image, read the token secret and write logs. */
  readonly executionRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly family: string;
  readonly capacity: EcsCapacity;

  private readonly network: Network;
  private readonly sizeByAction: string;
  private readonly capacityByAction: string;
  private readonly pullThroughPrefix?: string;

  constructor(scope: Construct, id: string, props: FargateAgentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.network = props.network;
    this.family = props.family ?? `${stack.stackName}-agent`;
    this.capacity = props.capacity ?? 'FARGATE';
    this.pullThroughPrefix = props.pullThroughPrefix;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.network.vpc,
      enableFargateCapacityProviders: true,
      containerInsightsV2: props.containerInsights
        ? ecs.ContainerInsights.ENABLED
        : ecs.ContainerInsights.DISABLED,
    });
    if (!props.containerInsights) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-ECS4',
        reason:
          'Container Insights is billed per metric and adds little for single-run tasks; agent logs and the task-failure alarm cover operations. Opt in with -c containerInsights=true.',
      });
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Scalr agent runs: no permissions by default; attach what your Terraform runs need',
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ECS agent: pull the image, read the agent token secret, write the agent logs',
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: this.family,
      cpu: props.cpu ?? 2048,
      memoryLimitMiB: props.memoryMiB ?? 4096,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      ephemeralStorageGiB: props.ephemeralStorageGiB ?? 30,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture:
          props.cpuArchitecture === 'ARM64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      },
    });
    this.sizeByAction = props.sizeByAction ?? '';
    this.capacityByAction = props.capacityByAction ?? '';
    const stopTimeoutSeconds = props.stopTimeoutSeconds ?? 120;

    const environment: Record<string, string> = {
      // One task per webhook: the agent takes one Scalr task, runs it in-process and exits.
      SCALR_AGENT_SINGLE: 'true',
      SCALR_AGENT_DRIVER: 'local',
      // Nothing survives the task, so there is no connection state worth writing to disk.
      SCALR_AGENT_STATE_PERSISTENCE_ENABLED: 'false',
      // Fargate sends SIGTERM and kills after stopTimeout (a Spot interruption gives two minutes): the
      // agent stops Terraform gracefully and keeps 10 s to push the result, as Scalr's Helm charts do.
      SCALR_AGENT_WORKER_ON_STOP_ACTION: 'grace-shutdown',
      SCALR_AGENT_WORKER_GRACE_SHUTDOWN_TIMEOUT: String(stopTimeoutSeconds - 10),
    };
    if (props.scalrUrl) environment.SCALR_URL = props.scalrUrl;

    this.container = this.taskDefinition.addContainer('Agent', {
      containerName: AGENT_CONTAINER_NAME,
      image: this.agentImage(
        props.image ?? 'scalr/agent',
        props.imageTag,
        props.imageSource ?? { kind: 'registry' },
      ),
      command: ['run'],
      essential: true,
      environment,
      secrets: { SCALR_AGENT_TOKEN: ecs.Secret.fromSecretsManager(props.agentTokenSecret) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: AGENT_LOG_STREAM_PREFIX }),
      stopTimeout: Duration.seconds(stopTimeoutSeconds),
    });
    // A given secret ARN might be a partial one that looks complete: grant its other form too.
    if (!(props.agentTokenSecret instanceof secretsmanager.Secret)) {
      grantReadBothForms(props.agentTokenSecret, this.executionRole);
    }
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The plain environment holds only non-secret agent settings (single mode, local driver, Scalr URL); the token comes from Secrets Manager through `secrets`.',
    });
  }

  /**
   * Docker Hub (or any anonymous registry) by default. An ECR repository —
   * e.g. a mirror, to avoid Docker Hub's anonymous pull limits — gets pull rights on the execution role.
   */
  private agentImage(image: string, tag: string, source: ImageSource): ecs.ContainerImage {
    const stack = Stack.of(this);
    if (source.kind === 'registry-credentials') {
      const credentials = secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'RegistryCredentials',
        source.credentialsSecretArn,
      );
      grantReadBothForms(credentials, this.executionRole);
      return ecs.ContainerImage.fromRegistry(`${image}:${tag}`, { credentials });
    }
    if (source.kind === 'ecr-pull-through')
      return this.pullThroughImage(image, tag, source.credentialsSecretArn);
    const ecr = ECR_IMAGE.exec(image);
    if (!ecr) return ecs.ContainerImage.fromRegistry(`${image}:${tag}`);
    // Another account's repository also needs a repository policy that lets this account pull.
    const [, account, region, repositoryName] = ecr;
    const repository = ecrRepository.Repository.fromRepositoryAttributes(this, 'AgentRepository', {
      repositoryName: repositoryName ?? '',
      repositoryArn: stack.formatArn({
        service: 'ecr',
        account,
        region,
        resource: 'repository',
        resourceName: repositoryName,
      }),
    });
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken has no resource type; image pulls are limited to the agent repository.',
    });
    return ecs.ContainerImage.fromEcrRepository(repository, tag);
  }

  /**
   * Docker Hub through an ECR pull-through cache rule in this account and Region: the first pull of a
   * tag copies it into ECR, later pulls are in-Region (faster, and not subject to Docker Hub's per-IP
   * limits). ECR authenticates to Docker Hub with the given secret (`ecr-pullthroughcache/...`).
   */
  private pullThroughImage(image: string, tag: string, credentialArn: string): ecs.ContainerImage {
    const stack = Stack.of(this);
    // ECR allows 2-30 characters: the stack name, shortened, then `-dockerhub`.
    const prefix =
      this.pullThroughPrefix ?? `${stack.stackName.toLowerCase().slice(0, 20).replace(/-+$/, '')}-dockerhub`;
    const rule = new ecrRepository.CfnPullThroughCacheRule(this, 'DockerHubCache', {
      ecrRepositoryPrefix: prefix,
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn,
    });
    // Official images live under library/ on Docker Hub.
    const path = image.includes('/') ? image : `library/${image}`;
    const repositoryArn = stack.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: `${prefix}/*`,
    });
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PullAgentImageThroughCache',
        actions: [
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          // The first pull of a tag creates the cached repository and imports the image.
          'ecr:BatchImportUpstreamImage',
          'ecr:CreateRepository',
        ],
        resources: [repositoryArn],
      }),
    );
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    Validations.of(this.executionRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken has no resource type; pulls are limited to the cache prefix.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/${prefix}/*]`,
        reason:
          'The pull-through cache creates one repository per upstream image under its prefix, named on first pull.',
      },
    );
    const uri = `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${prefix}/${path}:${tag}`;
    // The rule must exist before ECS first pulls through it.
    this.taskDefinition.node.addDependency(rule);
    return ecs.ContainerImage.fromRegistry(uri);
  }

  /** Settings the dispatcher function needs for `LAUNCH_TARGET=ecs` (see lambda/launchers/ecs/ecs-config.ts). */
  dispatcherEnvironment(): Record<string, string> {
    return {
      LAUNCH_TARGET: 'ecs',
      ECS_CLUSTER: this.cluster.clusterName,
      // The family, not the ARN: RunTask uses the latest ACTIVE revision, so a new revision is picked up
      // without touching the function, and a webhook retried across a deploy sends the same RunTask
      // parameters (an ARN would change them, and ECS rejects a reused clientToken with other parameters).
      ECS_TASK_DEFINITION: this.family,
      ECS_CONTAINER_NAME: AGENT_CONTAINER_NAME,
      ECS_SUBNETS: this.network.subnetIds.join(','),
      ECS_SECURITY_GROUPS: this.network.securityGroups.map((sg) => sg.securityGroupId).join(','),
      ECS_ASSIGN_PUBLIC_IP: this.network.assignPublicIp ? 'ENABLED' : 'DISABLED',
      ECS_CAPACITY: this.capacity,
      ...(this.sizeByAction ? { ECS_SIZE_BY_ACTION: this.sizeByAction } : {}),
      ...(this.capacityByAction ? { ECS_CAPACITY_BY_ACTION: this.capacityByAction } : {}),
    };
  }

  /**
   * Lets the dispatcher start agent tasks and nothing else: RunTask of this family on this cluster,
   * tagging only at launch, PassRole of the two task roles to ECS tasks. No ListTasks: whether a key
   * launched is never decided from a listing (the clientToken or the launch ledger decides).
   */
  grantLaunch(role: iam.IRole): void {
    grantEcsLaunch(this, role, {
      where: { cluster: this.cluster },
      family: this.family,
      passRoleArns: [this.taskRole.roleArn, this.executionRole.roleArn],
      // Only after a ConflictException: the conflicting task's tags tell a reused key from a redeploy.
      readActions: ['ecs:DescribeTasks'],
      sids: {
        run: 'RunAgentTask',
        tag: 'TagAgentTaskAtLaunch',
        read: 'ReadAgentTaskTags',
        pass: 'PassAgentRoles',
      },
      reasons: {
        family: 'Any revision of the agent task definition family, so a new revision needs no policy change.',
        tasks:
          'Task ids are only known after RunTask; TagResource is further limited to ecs:CreateAction=RunTask.',
      },
    });
  }
}
