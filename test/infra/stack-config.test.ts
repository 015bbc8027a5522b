import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_DEFAULTS,
  parseStackConfig,
  type StackConfig,
  StackConfigError,
} from '../../lib/config/stack-config.js';

const parse = (context: Record<string, unknown> = {}): StackConfig => parseStackConfig((key) => context[key]);

/** The problems of a failed parse, or fails the test when parsing succeeds. */
function problemsOf(context: Record<string, unknown>): string {
  try {
    parse(context);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).message;
  }
  throw new Error('expected parseStackConfig to throw');
}

describe('parseStackConfig', () => {
  it('builds the default configuration from no context at all', () => {
    const config = parse();

    expect(config.stackName).toBe('ScalrAgentDispatcher');
    expect(config.target).toBe('ecs');
    expect(config.api).toEqual({
      stageName: 'prod',
      rateLimit: 20,
      burstLimit: 40,
      dailyQuota: 20000,
      allowedSourceIps: [],
      manageAccountRole: true,
    });
    expect(config.fn).toEqual({ timeoutSeconds: 25, memoryMb: 256, launchDeadlineMs: 20000 });
    expect(config.ecs).toMatchObject({
      image: 'scalr/agent',
      imageTag: '1.6.0',
      cpu: 2048,
      memoryMiB: 4096,
      capacity: 'FARGATE',
      stopTimeoutSeconds: 120,
      network: { kind: 'new', cidr: '10.80.0.0/22' },
    });
  });

  it('reads the same defaults from cdk.json as the code documents', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    };

    expect(cdkJson.context).toEqual(CONTEXT_DEFAULTS);
    expect(parse(cdkJson.context)).toEqual(parse());
  });

  it('accepts -c overrides, which arrive as strings', () => {
    const config = parse({
      stackName: 'ScalrPoolStaging',
      apiRateLimit: '50',
      apiBurstLimit: '100',
      agentCpu: '4096',
      agentMemoryMiB: '16384',
      containerInsights: 'true',
      capacity: 'FARGATE_SPOT',
    });

    expect(config.stackName).toBe('ScalrPoolStaging');
    expect(config.api.rateLimit).toBe(50);
    expect(config.ecs).toMatchObject({
      cpu: 4096,
      memoryMiB: 16384,
      containerInsights: true,
      capacity: 'FARGATE_SPOT',
    });
  });

  it('reads manageApiGatewayAccountRole=false and refuses a value that is not a boolean', () => {
    expect(parse({ manageApiGatewayAccountRole: 'false' }).api.manageAccountRole).toBe(false);
    expect(problemsOf({ manageApiGatewayAccountRole: 'no' })).toContain(
      'manageApiGatewayAccountRole is "no": expected true or false',
    );
  });

  it('imports an existing VPC from ids given as a string or a JSON array', () => {
    const config = parse({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      securityGroupIds: 'sg-0123456789abcdef0, sg-0123456789abcdef1',
      subnetType: 'public',
    });

    expect(config.ecs?.network).toEqual({
      kind: 'existing',
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'],
      subnetType: 'public',
    });
  });

  it('rejects an unknown capacity, naming the key and the allowed values', () => {
    expect(problemsOf({ capacity: 'SPOT' })).toContain(
      'capacity is "SPOT": expected one of FARGATE, FARGATE_SPOT, FARGATE_SPOT_THEN_FARGATE',
    );
  });

  it('rejects a malformed subnet id', () => {
    expect(
      problemsOf({ vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-12,subnet-0123456789abcdef0' }),
    ).toContain('subnetIds contains "subnet-12": expected subnet ids (subnet-0123abcd...)');
  });

  it('rejects a cpu/memory pair Fargate does not allow', () => {
    expect(problemsOf({ agentCpu: 1024, agentMemoryMiB: 512 })).toContain(
      'agentMemoryMiB is 512: Fargate does not allow it with agentCpu 1024; expected one of 2048, 3072',
    );
    expect(problemsOf({ agentCpu: 3000 })).toContain('agentCpu is 3000: expected one of 256, 512, 1024');
  });

  it('rejects the latest tag so every task runs a pinned agent version', () => {
    expect(problemsOf({ agentImageTag: 'latest' })).toContain('agentImageTag is "latest": expected a pinned');
  });

  it('keeps the launch deadline below the function timeout', () => {
    expect(problemsOf({ functionTimeoutSeconds: 10, launchDeadlineMs: 9000 })).toContain(
      'launchDeadlineMs is 9000: expected at most 8000',
    );
    expect(problemsOf({ functionTimeoutSeconds: 29 })).toContain(
      'functionTimeoutSeconds is 29: expected a whole number from 5 to 28',
    );
  });

  it('needs subnets with an existing VPC and a VPC with subnets', () => {
    expect(problemsOf({ vpcId: 'vpc-0123456789abcdef0' })).toContain('subnetIds is empty');
    expect(problemsOf({ subnetIds: 'subnet-0123456789abcdef0' })).toContain(
      'subnetIds and securityGroupIds need vpcId',
    );
  });

  it('rejects malformed ids, addresses and ARNs', () => {
    const message = problemsOf({
      vpcId: 'vpc-XYZ',
      subnetIds: 'subnet-0123456789abcdef0',
      securityGroupIds: 'sg-1',
      allowedSourceIps: '203.0.113.300',
      agentTokenSecretArn: 'arn:aws:s3:::bucket',
      scalrUrl: 'http://example.scalr.io',
      logRetentionDays: 31,
    });

    expect(message).toContain('vpcId is "vpc-XYZ"');
    expect(message).toContain('securityGroupIds contains "sg-1"');
    expect(message).toContain('allowedSourceIps contains "203.0.113.300"');
    expect(message).toContain('agentTokenSecretArn is "arn:aws:s3:::bucket"');
    expect(message).toContain('scalrUrl is "http://example.scalr.io"');
    expect(message).toContain('logRetentionDays is 31');
  });

  it('rejects a VPC CIDR outside /16-/24 once, and an empty image', () => {
    const error = (() => {
      try {
        parse({ vpcCidr: '10.0.0.0/8', agentImage: '' });
      } catch (caught) {
        return caught as StackConfigError;
      }
      throw new Error('expected a StackConfigError');
    })();

    expect(error.problems).toHaveLength(2);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'vpcCidr is "10.0.0.0/8": expected an IPv4 CIDR block from /16 to /24',
        'agentImage is empty: expected a container image name such as scalr/agent',
      ]),
    );
  });

  it('reports every wrong key in one error', () => {
    const error = (() => {
      try {
        parse({ capacity: 'SPOT', agentCpu: 'lots', apiRateLimit: 0 });
      } catch (caught) {
        return caught as StackConfigError;
      }
      throw new Error('expected a StackConfigError');
    })();

    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/^Invalid CDK context:\n {2}- /);
  });

  it('refuses targets the stack cannot deploy', () => {
    expect(problemsOf({ target: 'gke' })).toContain('target is "gke": expected one of ecs, aca');
  });
});

describe('parseStackConfig with target=aca', () => {
  const ACA = {
    target: 'aca',
    acaSubscriptionId: '00000000-0000-4000-8000-000000000001',
    acaResourceGroup: 'rg-scalr-agents',
    acaJobName: 'scalr-agent',
    azureTenantId: '00000000-0000-4000-8000-000000000002',
    azureClientId: '00000000-0000-4000-8000-000000000003',
  };

  it('reads the Azure settings with federation, the default TTL and no ECS settings', () => {
    const config = parse(ACA);

    expect(config.target).toBe('aca');
    expect(config.ecs).toBeUndefined();
    expect(config.agentTokenSecretArn).toBe('');
    expect(config.aca).toEqual({
      subscriptionId: ACA.acaSubscriptionId,
      resourceGroup: 'rg-scalr-agents',
      jobName: 'scalr-agent',
      containerName: '',
      auth: { mode: 'aws-federation', tenantId: ACA.azureTenantId, clientId: ACA.azureClientId },
      authorityHost: '',
      armEndpoint: '',
      listSettleSeconds: 30,
    });
    expect(config.ledgerTtlSeconds).toBe(604800);
  });

  it('reads client-secret auth, sovereign-cloud endpoints and a TTL override', () => {
    const config = parse({
      ...ACA,
      azureTenantId: '',
      azureClientId: '',
      azureAuth: 'client-secret',
      azureCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/azure-AbCdEf',
      acaContainerName: 'agent',
      azureAuthorityHost: 'https://login.microsoftonline.us',
      acaArmEndpoint: 'https://management.usgovcloudapi.net',
      acaListSettleSeconds: '120',
      ledgerTtlSeconds: '86400',
    });

    expect(config.aca).toMatchObject({
      containerName: 'agent',
      auth: {
        mode: 'client-secret',
        credentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/azure-AbCdEf',
      },
      authorityHost: 'https://login.microsoftonline.us',
      armEndpoint: 'https://management.usgovcloudapi.net',
      listSettleSeconds: 120,
    });
    expect(config.ledgerTtlSeconds).toBe(86400);
  });

  it('names every missing Azure key at once', () => {
    const error = (() => {
      try {
        parse({ target: 'aca' });
      } catch (caught) {
        return caught as StackConfigError;
      }
      throw new Error('expected a StackConfigError');
    })();

    expect(error.problems).toHaveLength(5);
    expect(error.message).toContain(
      'acaSubscriptionId is empty: expected the Azure subscription id of the Container Apps job, a UUID (required with target=aca)',
    );
    for (const key of ['acaResourceGroup', 'acaJobName', 'azureTenantId', 'azureClientId']) {
      expect(error.message).toContain(`${key} is empty: expected`);
    }
    expect(error.message).toContain('(required with azureAuth=aws-federation)');
  });

  it('rejects a subscription id that is not a UUID', () => {
    expect(problemsOf({ ...ACA, acaSubscriptionId: 'my-subscription' })).toContain(
      'acaSubscriptionId is "my-subscription": expected the Azure subscription id of the Container Apps job, a UUID',
    );
  });

  it('needs the credentials secret with client-secret auth', () => {
    const message = problemsOf({ ...ACA, azureAuth: 'client-secret' });

    expect(message).toContain(
      'azureCredentialsSecretArn is empty: expected the complete ARN, ending in "-" and six characters (aws secretsmanager describe-secret --secret-id <name> --query ARN) of a Secrets Manager secret holding {"tenantId","clientId","clientSecret"} (required with azureAuth=client-secret)',
    );
    expect(message).not.toContain('azureTenantId');
  });

  it('keeps launch ledger records at least a day', () => {
    expect(problemsOf({ ...ACA, ledgerTtlSeconds: '3600' })).toContain(
      'ledgerTtlSeconds is "3600": expected a whole number from 86400 to 31622400',
    );
    expect(problemsOf({ ...ACA, dedupTtlSeconds: '3600' })).toContain(
      'dedupTtlSeconds is "3600": expected a whole number from 86400 to 31622400',
    );
  });

  it('still reads the former name dedupTtlSeconds while ledgerTtlSeconds keeps its default', () => {
    expect(parse({ ...ACA, dedupTtlSeconds: '86400' }).ledgerTtlSeconds).toBe(86400);
    // cdk.json carries ledgerTtlSeconds at its default: the former key given with -c still applies.
    expect(parse({ ...CONTEXT_DEFAULTS, dedupTtlSeconds: '1209600' }).ledgerTtlSeconds).toBe(1209600);
    expect(parse({ dedupTtlSeconds: '86400', ledgerTtlSeconds: '86400' }).ledgerTtlSeconds).toBe(86400);
  });

  it('refuses ledgerTtlSeconds and its former name with different values', () => {
    expect(problemsOf({ dedupTtlSeconds: '86400', ledgerTtlSeconds: '172800' })).toContain(
      'dedupTtlSeconds is 86400 and ledgerTtlSeconds is 172800: dedupTtlSeconds is the former name of ledgerTtlSeconds; set only ledgerTtlSeconds',
    );
  });

  it('trusts the ACA execution list from 1 to 600 seconds after a start', () => {
    expect(problemsOf({ ...ACA, acaListSettleSeconds: '0' })).toContain(
      'acaListSettleSeconds is "0": expected a whole number from 1 to 600',
    );
    expect(problemsOf({ ...ACA, acaListSettleSeconds: 601 })).toContain(
      'acaListSettleSeconds is 601: expected a whole number from 1 to 600',
    );
  });

  it('rejects malformed Azure names, ARNs, URLs and auth modes', () => {
    const message = problemsOf({
      ...ACA,
      acaResourceGroup: 'rg.',
      acaJobName: 'Scalr_Agent',
      acaContainerName: 'Agent',
      azureTenantId: 'contoso.onmicrosoft.com',
      azureAuthorityHost: 'http://login.microsoftonline.us',
      acaArmEndpoint: 'https://management.azure.com/subscriptions',
    });

    expect(message).toContain('acaResourceGroup is "rg."');
    expect(message).toContain('acaJobName is "Scalr_Agent"');
    expect(message).toContain('acaContainerName is "Agent"');
    expect(message).toContain('azureTenantId is "contoso.onmicrosoft.com"');
    expect(message).toContain('azureAuthorityHost is "http://login.microsoftonline.us"');
    expect(message).toContain('acaArmEndpoint is "https://management.azure.com/subscriptions"');
    expect(problemsOf({ ...ACA, azureAuth: 'managed-identity' })).toContain(
      'azureAuth is "managed-identity": expected one of aws-federation, client-secret',
    );
    expect(
      problemsOf({ ...ACA, azureAuth: 'client-secret', azureCredentialsSecretArn: 'scalr/azure' }),
    ).toContain('azureCredentialsSecretArn is "scalr/azure"');
  });

  it('ignores the ECS-only keys, and ignores the Azure keys with target=ecs', () => {
    const aca = parse({ ...ACA, capacity: 'SPOT', agentImageTag: 'latest', agentTokenSecretArn: 'nope' });
    const ecs = parse({ acaSubscriptionId: 'nope', acaListSettleSeconds: 0 });

    expect(aca.ecs).toBeUndefined();
    expect(ecs.aca).toBeUndefined();
  });
});

describe('parseStackConfig pacing and failover keys', () => {
  const FAILOVER = {
    failoverRegion: 'us-west-2',
    failoverClusterName: 'agents-dr',
    failoverSubnetIds: 'subnet-0b1b2c3d4e5f60711',
    failoverTaskRoleArn: 'arn:aws:iam::123456789012:role/dr-task',
    failoverExecutionRoleArn: 'arn:aws:iam::123456789012:role/dr-exec',
  };

  it('paces at Fargate rates and has no failover by default', () => {
    const config = parse();
    expect(config.ecs?.pacing).toEqual({ ratePerSecond: 20, burst: 100 });
    expect(config.ecs?.failover).toBeUndefined();
  });

  it('accepts pacing overrides, 0 turning pacing off, and rejects out-of-range values', () => {
    expect(parse({ launchRatePerSecond: '0', launchBurst: '1' }).ecs?.pacing).toEqual({
      ratePerSecond: 0,
      burst: 1,
    });
    const problems = problemsOf({ launchRatePerSecond: '1001', launchBurst: '0' });
    expect(problems).toContain('launchRatePerSecond is "1001": expected a whole number from 0 to 1000');
    expect(problems).toContain('launchBurst is "0": expected a whole number from 1 to 10000');
  });

  it('reads a failover Region with its cluster, subnets, roles and the DISABLED default', () => {
    expect(parse({ ...FAILOVER, failoverSecurityGroupIds: ['sg-0b1b2c3d4e5f60733'] }).ecs?.failover).toEqual({
      region: 'us-west-2',
      clusterName: 'agents-dr',
      subnetIds: ['subnet-0b1b2c3d4e5f60711'],
      securityGroupIds: ['sg-0b1b2c3d4e5f60733'],
      assignPublicIp: 'DISABLED',
      taskRoleArn: FAILOVER.failoverTaskRoleArn,
      executionRoleArn: FAILOVER.failoverExecutionRoleArn,
    });
  });

  it('names every key a failover Region requires', () => {
    const problems = problemsOf({ failoverRegion: 'us-west-2' });
    for (const key of [
      'failoverClusterName',
      'failoverSubnetIds',
      'failoverTaskRoleArn',
      'failoverExecutionRoleArn',
    ]) {
      expect(problems).toContain(`${key} is empty`);
    }
    expect(problems).not.toContain('failoverSecurityGroupIds');
  });

  it('refuses failover details without failoverRegion', () => {
    expect(problemsOf({ ...FAILOVER, failoverRegion: '', failoverAssignPublicIp: 'ENABLED' })).toContain(
      'failoverClusterName, failoverSubnetIds, failoverTaskRoleArn, failoverExecutionRoleArn, failoverAssignPublicIp needs failoverRegion',
    );
    expect(problemsOf({ failoverSecurityGroupIds: 'sg-0b1b2c3d4e5f60733' })).toContain(
      'failoverSecurityGroupIds needs failoverRegion',
    );
  });

  it('rejects malformed failover values', () => {
    const problems = problemsOf({
      ...FAILOVER,
      failoverRegion: 'Oregon',
      failoverClusterName: 'agents dr',
      failoverSubnetIds: 'subnet-12',
      failoverAssignPublicIp: 'yes',
      failoverTaskRoleArn: 'dr-task',
    });
    expect(problems).toContain('failoverRegion is "Oregon"');
    expect(problems).toContain('failoverClusterName is "agents dr"');
    expect(problems).toContain('failoverSubnetIds contains "subnet-12"');
    expect(problems).toContain('failoverAssignPublicIp is "yes": expected one of DISABLED, ENABLED');
    expect(problems).toContain('failoverTaskRoleArn is "dr-task"');
  });

  it('ignores the pacing and failover keys with target=aca', () => {
    const aca = parse({
      target: 'aca',
      acaSubscriptionId: '00000000-0000-4000-8000-000000000001',
      acaResourceGroup: 'rg-scalr-agents',
      acaJobName: 'scalr-agent',
      azureTenantId: '00000000-0000-4000-8000-000000000002',
      azureClientId: '00000000-0000-4000-8000-000000000003',
      launchRatePerSecond: 'fast',
      failoverRegion: 'us-west-2',
    });
    expect(aca.ecs).toBeUndefined();
  });
});
