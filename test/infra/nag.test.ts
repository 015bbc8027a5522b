import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  ACA_CLIENT_SECRET_CONTEXT,
  ACA_CONTEXT,
  buildStack,
  FAILOVER_CONTEXT,
  IMPORTED_VPC_CONTEXT,
  SCALR_REGISTRATION_CONTEXT,
} from './stack-fixture.js';

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Every cdk-nag acknowledgement recorded anywhere in the tree (metadata data: `{ [ruleId]: reason }`). */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .filter(([id]) => id.includes('AwsSolutions-'))
    .map(([id, reason]) => ({ id, reason }));
}

const VARIANTS = {
  'default new VPC': {},
  'existing VPC, token secret, alarm email': IMPORTED_VPC_CONTEXT,
  'existing VPC without security groups, alarm topic, Container Insights': {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    subnetIds: 'subnet-0a1b2c3d4e5f60711',
    subnetType: 'public',
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alarms',
    containerInsights: 'true',
  },
  'agent image mirrored to ECR': {
    agentImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/scalr-agent',
  },
  'failover Region (ecs:SECONDARY) with launch pacing': FAILOVER_CONTEXT,
  'Docker Hub through an ECR pull-through cache, Graviton, sizes per action': {
    imageSource: 'ecr-pull-through',
    dockerHubCredentialsSecretArn:
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
    agentCpuArchitecture: 'ARM64',
    agentSizeByAction: 'plan=1024/2048',
  },
  'Docker Hub with repository credentials': {
    imageSource: 'registry-credentials',
    dockerHubCredentialsSecretArn:
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:docker-hub-login-AbCdEf',
  },
  'API Gateway account role left to the operator': { manageApiGatewayAccountRole: 'false' },
  'Scalr registration on (custom resource creates the pool, stores its token)': SCALR_REGISTRATION_CONTEXT,
  'Azure Container Apps target with federation': ACA_CONTEXT,
  'Azure Container Apps target with a client secret and alarm email': ACA_CLIENT_SECRET_CONTEXT,
};

describe('cdk-nag AwsSolutionsChecks', () => {
  for (const [name, context] of Object.entries(VARIANTS)) {
    it(`reports no unacknowledged finding for the ${name}`, () => {
      const { stack } = buildStack(context);

      const report = new AwsSolutionsChecks().validateScope(stack);

      expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
      expect(report.success).toBe(true);
    });
  }

  it('gives every acknowledgement a written reason', () => {
    const { stack } = buildStack();
    const { stack: acaStack } = buildStack(ACA_CONTEXT);
    const { stack: failoverStack } = buildStack(FAILOVER_CONTEXT);

    const acks = [
      ...acknowledgements(stack),
      ...acknowledgements(acaStack),
      ...acknowledgements(failoverStack),
    ];

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^(Annotation::)?AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, ack.id).toBeGreaterThan(40);
    }
  });
});
