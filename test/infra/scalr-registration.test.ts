import { describe, expect, it } from 'vitest';
import { parseStackConfig } from '../../lib/config/stack-config.js';
import { buildStack, SCALR_REGISTRATION_CONTEXT } from './stack-fixture.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

function resourcesOf(context: Record<string, unknown>): Resources {
  return (buildStack(context).template.toJSON() as { Resources: Resources }).Resources;
}

type Synthesized = { Resources: Resources; Outputs: Record<string, unknown> };
let registered: Synthesized | undefined;
/** The stack with the registration on, synthesized once for the tests that read it. */
function registeredTemplate() {
  registered ??= buildStack(SCALR_REGISTRATION_CONTEXT).template.toJSON() as Synthesized;
  return registered;
}

describe('Scalr registration (opt-in custom resource)', () => {
  it('is absent without scalrApiTokenSecretArn', () => {
    const resources = resourcesOf({});
    expect(Object.values(resources).filter((r) => r.Type === 'Custom::ScalrAgentPool')).toEqual([]);
  });

  it("grants its function only its own secrets, the stack's API key and its log group", () => {
    const resources = registeredTemplate().Resources;
    const [role] = Object.entries(resources).filter(
      ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('ScalrRegistrationHandlerRole'),
    );
    expect(role).toBeDefined();
    const policies = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(role?.[0] ?? 'none'),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      'ReadApiKeyValue',
      'ReadHeaderAndScalrSecrets',
      'StorePoolToken',
      'WriteOwnLogs',
    ]);
    expect(bySid.ReadHeaderAndScalrSecrets?.Action).toBe('secretsmanager:GetSecretValue');
    const read = JSON.stringify(bySid.ReadHeaderAndScalrSecrets?.Resource);
    expect(read).toContain(SCALR_REGISTRATION_CONTEXT.scalrApiTokenSecretArn);
    expect(read).toMatch(/SecretsWebhookSecret/);
    expect(read).not.toMatch(/AgentTokenSecret/);
    expect(bySid.StorePoolToken?.Action).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:PutSecretValue',
    ]);
    expect(JSON.stringify(bySid.StorePoolToken?.Resource)).toMatch(/SecretsAgentTokenSecret/);
    expect(JSON.stringify(bySid.ReadApiKeyValue?.Resource)).toMatch(/\/apikeys\/.*WebhookApiApiKey/);
    for (const statement of statements) expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
  });

  it('passes ids and ARNs only, and the outputs doctor reads', () => {
    const json = registeredTemplate();
    const [custom] = Object.values(json.Resources).filter((r) => r.Type === 'Custom::ScalrAgentPool');
    expect(Object.keys(custom?.Properties ?? {}).sort()).toEqual([
      'AgentTokenSecretArn',
      'ApiKeyId',
      'HeadersRevision',
      'PoolName',
      'PoolShared',
      'ScalrApiTokenSecretArn',
      'ScalrUrl',
      'ServiceToken',
      'WebhookSecretArn',
      'WebhookUrl',
    ]);
    expect(Object.keys(json.Outputs)).toEqual(
      expect.arrayContaining(['ScalrAgentPoolId', 'ScalrApiUrl', 'ScalrApiTokenSecretArn']),
    );
  });

  it('names every wrong key of the registration at once', () => {
    const parse = (context: Record<string, unknown>) => () => parseStackConfig((key) => context[key]);
    expect(parse({ scalrApiTokenSecretArn: SCALR_REGISTRATION_CONTEXT.scalrApiTokenSecretArn })).toThrow(
      /scalrUrl is empty[\s\S]*scalrAgentPoolId and scalrAgentPoolName are both empty/,
    );
    expect(
      parse({
        ...SCALR_REGISTRATION_CONTEXT,
        scalrAgentPoolId: 'apool-v0abc123def',
      }),
    ).toThrow(/both set/);
    expect(parse({ scalrAgentPoolName: 'x' })).toThrow(/scalrApiTokenSecretArn is empty/);
    expect(
      parse({
        ...SCALR_REGISTRATION_CONTEXT,
        scalrApiTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:partial',
      }),
    ).toThrow(/scalrApiTokenSecretArn/);
    expect(parse({ ...SCALR_REGISTRATION_CONTEXT, target: 'aca' })).toThrow(/target=aca/);
    expect(
      parseStackConfig((key) => (SCALR_REGISTRATION_CONTEXT as Record<string, unknown>)[key])
        .scalrRegistration,
    ).toEqual({
      scalrUrl: 'https://example.scalr.io',
      apiTokenSecretArn: SCALR_REGISTRATION_CONTEXT.scalrApiTokenSecretArn,
      poolId: '',
      poolName: 'aws-fargate',
      poolShared: false,
      headersRevision: 0,
    });
  });
});
