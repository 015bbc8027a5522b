import { Stack, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config/network-config.js';
import { readablePath } from './readable-path.js';

/** Props of {@link Network}. */
export interface NetworkProps {
  /**
   * A new VPC (public subnets in two AZs, no NAT gateway) or an existing VPC and subnets, imported
   * without lookups so synth stays offline.
   * @default - a new VPC with CIDR 10.80.0.0/22
   */
  readonly network?: NetworkConfig;
  /**
   * An existing VPC object (a construct library consumer's), used instead of `network`.
   * @default - from `network`
   */
  readonly existing?: ExistingNetwork;
}

/** A VPC of the consumer's app, with the subnets and security groups the agent tasks get. */
export interface ExistingNetwork {
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the agent tasks.
   * @default - the VPC's default selection (private subnets with egress if it has any, else public ones)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Security groups of the agent tasks.
   * @default - a new group allowing all outbound traffic and no inbound
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /**
   * Whether the tasks get a public IP (needed in public subnets to reach Scalr and the registry).
   * @default - true when the selected subnets include a public one
   */
  readonly assignPublicIp?: boolean;
}

/** Where the agent tasks run: the VPC, the subnets handed to RunTask and the tasks' security groups. */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  /** Subnet ids passed to RunTask (`ECS_SUBNETS`). */
  readonly subnetIds: readonly string[];
  /** Security groups attached to every task (`ECS_SECURITY_GROUPS`). */
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  /** Public subnets need a public IP to reach Scalr and Docker Hub; private subnets go through NAT. */
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const network = props.network ?? { kind: 'new', cidr: '10.80.0.0/22' };

    if (props.existing) {
      const selection = props.existing.vpc.selectSubnets(props.existing.subnets);
      this.vpc = props.existing.vpc;
      this.subnetIds = selection.subnetIds;
      this.assignPublicIp = props.existing.assignPublicIp ?? selection.hasPublic;
    } else if (network.kind === 'new') {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(network.cidr),
        maxAzs: 2,
        // Tasks get public IPs instead: a NAT gateway costs more per hour than most pools spend on Fargate.
        natGateways: 0,
        subnetConfiguration: [{ name: 'Agents', subnetType: ec2.SubnetType.PUBLIC }],
        // Restricting the default security group needs a custom-resource Lambda; nothing here uses it.
        restrictDefaultSecurityGroup: false,
      });
      // Name tags from the path as it reads in logical IDs (see readablePath); later tags win.
      for (const tagged of [vpc, ...vpc.publicSubnets]) Tags.of(tagged).add('Name', readablePath(tagged));
      Validations.of(vpc).acknowledge({
        id: 'AwsSolutions-VPC7',
        reason:
          'The VPC only carries outbound HTTPS from short-lived agent tasks; flow logs would add cost without a consumer. Enable them in the account baseline if required.',
      });
      this.vpc = vpc;
      this.subnetIds = vpc.publicSubnets.map((subnet) => subnet.subnetId);
      this.assignPublicIp = true;
    } else {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: network.vpcId,
        // Tokens (Fn::GetAZs), not a lookup: only the VPC id is needed by what this stack creates.
        availabilityZones: Stack.of(this).availabilityZones,
      });
      this.subnetIds = [...network.subnetIds];
      this.assignPublicIp = network.subnetType === 'public';
    }

    if (props.existing?.securityGroups?.length) {
      this.securityGroups = [...props.existing.securityGroups];
    } else if (!props.existing && network.kind === 'existing' && network.securityGroupIds.length > 0) {
      this.securityGroups = network.securityGroupIds.map((sgId, index) =>
        ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${index}`, sgId, { mutable: false }),
      );
    } else {
      this.securityGroups = [
        new ec2.SecurityGroup(this, 'AgentSecurityGroup', {
          vpc: this.vpc,
          description: 'Scalr agent tasks: no inbound, all outbound (Scalr API, registries, providers)',
          allowAllOutbound: true,
        }),
      ];
    }
  }
}
