import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../lib/config/stack-config.js';
import { buildStack, ledgerTableIds } from './stack-fixture.js';

const problemsOf = (context: Record<string, unknown>): string => {
  try {
    parseStackConfig((key) => context[key]);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

const PULL_THROUGH_SECRET =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf';
const CREDENTIALS_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:docker-hub-login-AbCdEf';

function agentContainer(template: Template): Record<string, unknown> {
  const [definition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const containers = (definition?.Properties.ContainerDefinitions ?? []) as Record<string, unknown>[];
  return containers[0] ?? {};
}

function executionRoleStatements(template: Template): Record<string, unknown>[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('AgentExecutionRole'))
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
}

describe('agent defaults (deploy for real)', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack().template;
  });

  it('lets the agent shut down gracefully inside Fargate stopTimeout, with 10 s to report back', () => {
    const container = agentContainer(template);

    expect(container.StopTimeout).toBe(120);
    expect(container.Environment).toEqual(
      expect.arrayContaining([
        { Name: 'SCALR_AGENT_WORKER_ON_STOP_ACTION', Value: 'grace-shutdown' },
        { Name: 'SCALR_AGENT_WORKER_GRACE_SHUTDOWN_TIMEOUT', Value: '110' },
      ]),
    );
  });

  it('gives every task 30 GiB of ephemeral storage, on x86_64 by default', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      EphemeralStorage: { SizeInGiB: 30 },
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  it('does not size tasks per action unless asked', () => {
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
    );
    expect(JSON.stringify(fn)).not.toContain('ECS_SIZE_BY_ACTION');
  });
});

describe('cheaper agents', () => {
  it('runs on Graviton with agentCpuArchitecture=ARM64, and sizes plans smaller than applies', () => {
    const { template } = buildStack({
      agentCpuArchitecture: 'ARM64',
      agentSizeByAction: 'plan=1024/2048,policy.check=512/1024',
    });

    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ECS_SIZE_BY_ACTION: 'plan=1024/2048,policy.check=512/1024' }),
      },
    });
  });

  it('runs plans on Spot and applies on demand with capacityByAction, through the launch ledger', () => {
    const { template } = buildStack({ capacityByAction: 'plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ECS_CAPACITY_BY_ACTION: 'plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE',
          LEDGER_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
    expect(ledgerTableIds(template)).toHaveLength(1);
  });

  it.each([
    [{ capacityByAction: 'plan=SPOT' }, 'capacityByAction: "plan=SPOT" is not <action>='],
    [
      { agentSizeByAction: 'plan=1024/1024' },
      'agentSizeByAction: plan: memory 1024 MiB is not allowed with cpu 1024',
    ],
    [{ agentCpuArchitecture: 'arm' }, 'agentCpuArchitecture is "arm": expected one of X86_64, ARM64'],
    [{ ephemeralStorageGiB: '20' }, 'ephemeralStorageGiB is "20": expected a whole number from 21 to 200'],
    [{ stopTimeoutSeconds: '20' }, 'stopTimeoutSeconds is "20": expected a whole number from 30 to 120'],
  ])('refuses %j at synth', (context, message) => {
    expect(problemsOf(context)).toContain(message);
  });
});

describe('image sources that avoid Docker Hub pull limits', () => {
  it('pulls through an ECR pull-through cache rule for Docker Hub, granted to that prefix only', () => {
    const { template } = buildStack({
      imageSource: 'ecr-pull-through',
      dockerHubCredentialsSecretArn: PULL_THROUGH_SECRET,
    });

    template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'scalragentdispatcher-dockerhub',
      UpstreamRegistry: 'docker-hub',
      UpstreamRegistryUrl: 'registry-1.docker.io',
      CredentialArn: PULL_THROUGH_SECRET,
    });
    expect(JSON.stringify(agentContainer(template).Image)).toContain(
      '/scalragentdispatcher-dockerhub/scalr/agent:1.6.0',
    );
    const pull = executionRoleStatements(template).find((s) => s.Sid === 'PullAgentImageThroughCache');
    expect(pull?.Action).toEqual([
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchImportUpstreamImage',
      'ecr:CreateRepository',
    ]);
    expect(JSON.stringify(pull?.Resource)).toContain(':repository/scalragentdispatcher-dockerhub/*');
  });

  it('pulls from Docker Hub with the stack given credentials (repositoryCredentials), readable by the execution role', () => {
    const { template } = buildStack({
      imageSource: 'registry-credentials',
      dockerHubCredentialsSecretArn: CREDENTIALS_SECRET,
    });

    expect(agentContainer(template)).toMatchObject({
      Image: 'scalr/agent:1.6.0',
      RepositoryCredentials: { CredentialsParameter: CREDENTIALS_SECRET },
    });
    const reads = executionRoleStatements(template).filter((s) =>
      JSON.stringify(s.Resource).includes('docker-hub-login'),
    );
    expect(reads.flatMap((s) => [s.Resource].flat())).toEqual(
      expect.arrayContaining([CREDENTIALS_SECRET, `${CREDENTIALS_SECRET}-??????`]),
    );
  });

  it.each([
    [
      { imageSource: 'ecr-pull-through' },
      'imageSource=ecr-pull-through needs a secret holding {"username","accessToken"}',
    ],
    [{ imageSource: 'registry-credentials' }, 'needs a secret holding {"username","password"}'],
    [
      { imageSource: 'ecr-pull-through', dockerHubCredentialsSecretArn: CREDENTIALS_SECRET },
      'only read secrets whose name starts with "ecr-pullthroughcache/"',
    ],
    [
      { dockerHubCredentialsSecretArn: CREDENTIALS_SECRET },
      'dockerHubCredentialsSecretArn needs imageSource=',
    ],
  ])('refuses %j at synth', (context, message) => {
    expect(problemsOf(context)).toContain(message);
  });
});

describe('existing VPC and secrets', () => {
  it('needs an explicit subnetType with vpcId: the default VPC has public subnets only', () => {
    expect(problemsOf({ vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-0123456789abcdef0' })).toContain(
      'subnetType is "": with vpcId, say public',
    );
  });

  it('accepts complete secret ARNs only, saying how to get one', () => {
    expect(
      problemsOf({ agentTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/token' }),
    ).toContain('expected the complete ARN, ending in "-" and six characters');
  });

  it('grants the execution role both forms of a given token ARN (a partial one may look complete)', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:scalr/agent-tokens';
    const { template } = buildStack({ agentTokenSecretArn: arn });

    const resources = executionRoleStatements(template).flatMap((s) => [s.Resource].flat());
    expect(resources).toEqual(expect.arrayContaining([arn, `${arn}-??????`]));
  });
});
