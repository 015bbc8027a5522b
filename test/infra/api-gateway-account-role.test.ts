import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACA_CONTEXT, buildStack } from './stack-fixture.js';

type Resources = Record<string, { Properties?: Record<string, unknown>; DependsOn?: string[] }>;

const ACCOUNT_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/account']],
};

function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, props));
  expect(ids, type).toHaveLength(1);
  return ids[0] ?? '';
}

function stageOf(template: Template): { DependsOn?: string[] } {
  return Object.values(template.findResources('AWS::ApiGateway::Stage') as Resources)[0] ?? {};
}

describe('API Gateway account CloudWatch role (default: managed)', () => {
  let template: Template;
  let customResourceId: string;
  let cloudWatchRoleId: string;

  beforeAll(() => {
    ({ template } = buildStack());
    customResourceId = logicalIdOf(template, 'Custom::ApiGatewayAccountRole');
    cloudWatchRoleId = logicalIdOf(template, 'AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        },
      },
    });
  });

  it('sets the role through a custom resource, never through AWS::ApiGateway::Account', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.hasResourceProperties('Custom::ApiGatewayAccountRole', {
      ServiceToken: Match.anyValue(),
      RoleArn: { 'Fn::GetAtt': [cloudWatchRoleId, 'Arn'] },
    });
  });

  it('creates the stage only after the custom resource and the execution log group', () => {
    const executionLogsId = logicalIdOf(template, 'AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
    });

    expect(stageOf(template).DependsOn).toEqual(expect.arrayContaining([customResourceId, executionLogsId]));
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.anyValue() }, '/prod']],
      },
      RetentionInDays: 30,
    });
  });

  it('retains the role offered to API Gateway, with the documented push-to-logs policy', () => {
    template.hasResource('AWS::IAM::Role', {
      Properties: Match.objectLike({
        ManagedPolicyArns: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
              ],
            ],
          },
        ],
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it("scopes the handler's role to the account settings and passing that one role to API Gateway only", () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          Match.objectLike({ Sid: 'WriteOwnLogs' }),
          {
            Sid: 'ReadAndSetAccountSettings',
            Effect: 'Allow',
            Action: ['apigateway:GET', 'apigateway:PATCH'],
            Resource: ACCOUNT_ARN,
          },
          {
            Sid: 'PassCloudWatchRole',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: { 'Fn::GetAtt': [cloudWatchRoleId, 'Arn'] },
            Condition: { StringEquals: { 'iam:PassedToService': 'apigateway.amazonaws.com' } },
          },
        ],
      },
    });
  });

  it('grants API Gateway and iam:PassRole nowhere else', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Resources).flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement?: { Action: string | string[] }[] } | undefined)
          ?.Statement ?? [],
    );
    const actions = (statement: { Action: string | string[] }) => [statement.Action].flat();

    expect(
      statements.filter((statement) => actions(statement).some((a) => a.startsWith('apigateway:'))),
    ).toHaveLength(1);
    expect(statements.filter((statement) => actions(statement).includes('iam:PassRole'))).toHaveLength(2);
  });

  it('runs the plain ESM handler on Node.js 24 with a timeout that covers the retries', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'handler.handler',
      Runtime: 'nodejs24.x',
      Timeout: 120,
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
  });

  it('logs execution failures only, without request data', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });
});

describe('API Gateway account CloudWatch role opted out', () => {
  it('creates nothing account-wide with manageApiGatewayAccountRole=false', () => {
    const { template } = buildStack({ manageApiGatewayAccountRole: 'false' });

    template.resourceCountIs('Custom::ApiGatewayAccountRole', 0);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        },
      },
      0,
    );
    expect(stageOf(template).DependsOn).toHaveLength(1);
  });

  it('manages the role for the Azure Container Apps target too', () => {
    const { template } = buildStack(ACA_CONTEXT);

    template.resourceCountIs('Custom::ApiGatewayAccountRole', 1);
  });
});
