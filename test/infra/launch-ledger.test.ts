import { App, type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../lib/config/stack-config.js';
import { LaunchLedger } from '../../lib/constructs/launch-ledger.js';
import { needsLaunchLedger } from '../../lib/dispatcher-stack.js';
import { ACA_CONTEXT, FAILOVER_CONTEXT } from './stack-fixture.js';

/** A ledger and a role in a bare stack: no bundling, so these tests are fast. */
function ledgerStack(props: ConstructorParameters<typeof LaunchLedger>[2] = {}) {
  const stack = new Stack(new App(), 'LedgerTest');
  const ledger = new LaunchLedger(stack, 'Ledger', props);
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  ledger.grantLedgerWrites(role);
  return { stack, ledger, template: Template.fromStack(stack) };
}

describe('LaunchLedger', () => {
  it('is an on-demand table keyed by pk, expiring through expiresAt, with point-in-time recovery', () => {
    const { template } = ledgerStack();

    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is deleted with the stack only when asked to', () => {
    const { template } = ledgerStack({ removalPolicy: RemovalPolicy.DESTROY });

    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('grants exactly the four item calls, on the table ARN only', () => {
    const { stack, ledger, template } = ledgerStack();
    const tableId = stack.getLogicalId(ledger.table.node.defaultChild as CfnElement);

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'KeepLaunchLedger',
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
          },
        ],
      },
    });
  });

  it('tells the dispatcher the table name and the TTL, seven days unless given', () => {
    expect(ledgerStack().ledger.dispatcherEnvironment()).toEqual({
      LEDGER_TABLE_NAME: expect.any(String),
      LEDGER_TTL_SECONDS: '604800',
    });
    expect(ledgerStack({ ttlSeconds: 86_400 }).ledger.dispatcherEnvironment().LEDGER_TTL_SECONDS).toBe(
      '86400',
    );
  });

  it('keeps a given logical ID, for a table that existed under another construct path', () => {
    const { template } = ledgerStack({ logicalId: 'AcaDedupTable3D54E422' });

    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toEqual(['AcaDedupTable3D54E422']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Resource: { 'Fn::GetAtt': ['AcaDedupTable3D54E422', 'Arn'] } })],
      },
    });
  });
});

describe('needsLaunchLedger (what the launch path needs; the stack creates the ledger in every configuration)', () => {
  const config = (context: Record<string, unknown>) => parseStackConfig((key) => context[key]);

  it('is false for plain single-target ECS, on-demand or Spot alone (RunTask clientToken suffices)', () => {
    expect(needsLaunchLedger(config({}))).toBe(false);
    expect(needsLaunchLedger(config({ capacity: 'FARGATE_SPOT' }))).toBe(false);
  });

  it('is true for Spot then on-demand, for a failover Region, and for the aca target', () => {
    expect(needsLaunchLedger(config({ capacity: 'FARGATE_SPOT_THEN_FARGATE' }))).toBe(true);
    expect(needsLaunchLedger(config({ ...FAILOVER_CONTEXT, capacity: 'FARGATE' }))).toBe(true);
    expect(needsLaunchLedger(config(ACA_CONTEXT))).toBe(true);
  });
});
