import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { type CheckResult, describeError, fail, ok, type StackFacts, skipped, within } from '../check.js';

const NAME = 'agent subnets route out';

/**
 * Each agent subnet needs a default route: to a NAT gateway, or to an internet gateway when tasks get
 * a public IP. A subnet without an explicit association uses its VPC's main route table.
 */
export async function checkSubnetRoutes(
  ec2: EC2Client,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const subnetIds = (facts.functionEnv.ECS_SUBNETS ?? '').split(',').filter(Boolean);
  if (subnetIds.length === 0) return skipped(NAME, 'no ECS_SUBNETS (not the ecs target)');
  const publicIp = facts.functionEnv.ECS_ASSIGN_PUBLIC_IP === 'ENABLED';
  try {
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }), {
      abortSignal: within(timeoutMs),
    });
    const vpcIds = [
      ...new Set((subnets.Subnets ?? []).map((s) => s.VpcId).filter((id): id is string => !!id)),
    ];
    const tables = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }),
      { abortSignal: within(timeoutMs) },
    );
    const problems: string[] = [];
    for (const subnet of subnets.Subnets ?? []) {
      const table = routeTableOf(tables.RouteTables ?? [], subnet.SubnetId ?? '', subnet.VpcId ?? '');
      const route = table?.Routes?.find(
        (r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.State !== 'blackhole',
      );
      if (route?.NatGatewayId) continue;
      if (route?.GatewayId?.startsWith('igw-')) {
        if (!publicIp)
          problems.push(`${subnet.SubnetId} routes to an internet gateway but tasks get no public IP`);
        continue;
      }
      problems.push(`${subnet.SubnetId} has no default route (0.0.0.0/0) to a NAT or internet gateway`);
    }
    const missing = subnetIds.filter((id) => !(subnets.Subnets ?? []).some((s) => s.SubnetId === id));
    for (const id of missing) problems.push(`${id} was not found`);
    if (problems.length === 0)
      return ok(NAME, `${subnetIds.length} subnet(s), public IP ${publicIp ? 'on' : 'off'}`);
    return fail(
      NAME,
      problems.join('; '),
      publicIp
        ? 'add a 0.0.0.0/0 route to an internet gateway, or use other subnets'
        : 'add a NAT gateway route (0.0.0.0/0) to these subnets, or redeploy with -c subnetType=public for public subnets',
    );
  } catch (error) {
    return fail(
      NAME,
      `cannot read the subnets: ${describeError(error)}`,
      'allow ec2:DescribeSubnets and ec2:DescribeRouteTables',
    );
  }
}

function routeTableOf(
  tables: readonly RouteTable[],
  subnetId: string,
  vpcId: string,
): RouteTable | undefined {
  const explicit = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
  return explicit ?? tables.find((t) => t.VpcId === vpcId && t.Associations?.some((a) => a.Main));
}
