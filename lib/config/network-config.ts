import type { ContextReader } from './context-reader.js';
import { SECURITY_GROUP_ID, SUBNET_ID, validCidr } from './context-schemas.js';

export const SUBNET_TYPES = ['public', 'private'] as const;
export type SubnetType = (typeof SUBNET_TYPES)[number];

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

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

/** `vpcCidr` for a new VPC, or `vpcId`, `subnetIds`, `securityGroupIds` and `subnetType` for an existing one. */
export function readNetwork(context: ContextReader): NetworkConfig {
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
