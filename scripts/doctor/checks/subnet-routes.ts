import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { awsFailure, type CheckResult, fail, ok, type StackFacts, skipped, warn, within } from '../check.js';

const NAME = 'subnets route out';

/** A subnet and what reaching the internet from it needs. */
interface SubnetUse {
  readonly subnetId: string;
  /** Who runs there: the agent tasks, the dispatcher function, or both. */
  readonly users: string[];
  /** Whether what runs there gets a public IP (agent tasks with ECS_ASSIGN_PUBLIC_IP=ENABLED; a Lambda never). */
  publicIp: boolean;
}

/**
 * Every subnet the agent tasks (`ECS_SUBNETS`) or the dispatcher function (its VPC configuration) run
 * in needs a default route: to a NAT gateway, or to an internet gateway when what runs there gets a
 * public IP. A subnet without an explicit association uses its VPC's main route table.
 */
export async function checkSubnetRoutes(
  ec2: EC2Client,
  facts: StackFacts,
  timeoutMs: number,
): Promise<CheckResult> {
  const uses = subnetUses(facts);
  if (uses.length === 0) {
    if (facts.functionProblem && facts.outputs.AgentCluster) {
      return fail(NAME, `the agent subnets are unknown: ${facts.functionProblem}`, 'see the message');
    }
    return skipped(NAME, 'no ECS_SUBNETS and the function runs outside a VPC (not the ecs target)');
  }
  const ids = uses.map((use) => use.subnetId);
  let subnets: { SubnetId?: string; VpcId?: string }[];
  let tables: RouteTable[];
  try {
    const described = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: ids }), {
      abortSignal: within(timeoutMs),
    });
    subnets = described.Subnets ?? [];
    const vpcIds = [...new Set(subnets.map((s) => s.VpcId).filter((id): id is string => !!id))];
    tables =
      vpcIds.length === 0
        ? []
        : ((
            await ec2.send(
              new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }),
              {
                abortSignal: within(timeoutMs),
              },
            )
          ).RouteTables ?? []);
  } catch (error) {
    if ((error as { name?: string }).name === 'InvalidSubnetID.NotFound') {
      return fail(
        NAME,
        `a subnet does not exist: ${describeMissing(error)}`,
        'redeploy with existing subnets',
      );
    }
    return awsFailure(
      NAME,
      'read the subnets',
      error,
      'ec2:DescribeSubnets and ec2:DescribeRouteTables',
      timeoutMs,
    );
  }
  const failures: string[] = [];
  const doubts: string[] = [];
  const tablesAtFault = new Set<string>();
  for (const use of uses) {
    const subnet = subnets.find((s) => s.SubnetId === use.subnetId);
    const who = use.users.join(' and ');
    if (subnet === undefined) {
      failures.push(`${use.subnetId} (${who}) was not found`);
      continue;
    }
    const table = routeTableOf(tables, use.subnetId, subnet.VpcId ?? '');
    const route = table?.Routes?.find(
      (r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.State !== 'blackhole',
    );
    const where = table ? `route table ${table.RouteTableId}` : 'no route table';
    if (route?.NatGatewayId) continue;
    if (route?.GatewayId?.startsWith('igw-')) {
      if (!use.publicIp) {
        tablesAtFault.add(table?.RouteTableId ?? '<rtb>');
        failures.push(
          `${use.subnetId} (${who}, ${where}) routes to internet gateway ${route.GatewayId} but gets no public IP: it needs a NAT gateway`,
        );
      }
      continue;
    }
    const other = route === undefined ? undefined : otherTarget(route);
    if (other !== undefined) {
      doubts.push(
        `${use.subnetId} (${who}) sends 0.0.0.0/0 to ${other}; whether that reaches the internet is not checked`,
      );
      continue;
    }
    tablesAtFault.add(table?.RouteTableId ?? '<rtb>');
    failures.push(
      `${use.subnetId} (${who}, ${where}) has no 0.0.0.0/0 route to a NAT gateway or an internet gateway`,
    );
  }
  if (failures.length > 0) {
    const agentPublic = uses.some((use) => use.users.includes('agent tasks') && use.publicIp);
    const rtb = [...tablesAtFault].join(' / ');
    return fail(
      NAME,
      [...failures, ...doubts].join('; '),
      agentPublic
        ? `add a default route to an internet gateway: aws ec2 create-route --route-table-id ${rtb} --destination-cidr-block 0.0.0.0/0 --gateway-id <igw-id>; or deploy with other subnets`
        : `add a default route to a NAT gateway: aws ec2 create-route --route-table-id ${rtb} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-id>; or, for subnets with an internet gateway, give agent tasks a public IP (-c subnetType=public)`,
    );
  }
  if (doubts.length > 0) return warn(NAME, doubts.join('; '), 'make sure that path has a NAT on its way out');
  const publicIp = uses.some((use) => use.publicIp);
  return ok(NAME, `${uses.length} subnet(s) route out${publicIp ? ' (agent tasks with a public IP)' : ''}`);
}

function subnetUses(facts: StackFacts): SubnetUse[] {
  const uses = new Map<string, SubnetUse>();
  const add = (subnetId: string, user: string, publicIp: boolean) => {
    const use = uses.get(subnetId) ?? { subnetId, users: [], publicIp };
    use.users.push(user);
    // Both run there: the one without a public IP decides.
    use.publicIp = use.publicIp && publicIp;
    uses.set(subnetId, use);
  };
  const agentPublicIp = facts.functionEnv.ECS_ASSIGN_PUBLIC_IP === 'ENABLED';
  for (const id of (facts.functionEnv.ECS_SUBNETS ?? '').split(',')) {
    if (id.trim() !== '') add(id.trim(), 'agent tasks', agentPublicIp);
  }
  for (const id of facts.functionSubnets) add(id, 'dispatcher function', false);
  return [...uses.values()];
}

/** A default route through something doctor cannot see past (transit gateway, appliance, peering). */
function otherTarget(route: Route): string | undefined {
  return (
    route.TransitGatewayId ??
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.VpcPeeringConnectionId ??
    route.CoreNetworkArn ??
    (route.GatewayId && route.GatewayId !== 'local' ? route.GatewayId : undefined)
  );
}

function describeMissing(error: unknown): string {
  return ((error as { message?: string }).message ?? '').slice(0, 200);
}

function routeTableOf(
  tables: readonly RouteTable[],
  subnetId: string,
  vpcId: string,
): RouteTable | undefined {
  const explicit = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
  return explicit ?? tables.find((t) => t.VpcId === vpcId && t.Associations?.some((a) => a.Main));
}
