import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../lambda/dispatch/create-dispatcher.js';
import { Logger } from '../../lambda/log/logger.js';
import type { RegistrationProperties } from '../../lambda/scalr-registration/registration.js';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';
import { type GatewayServer, startGatewayServer } from '../../local/gateway-server.js';
import { buildStack, functionEnvironment } from '../infra/stack-fixture.js';
import { ECS_ENV, scalrBody } from '../support/harness.js';
import {
  cfnEvent,
  RegistrationRig,
  SCALR_API_TOKEN,
  SCALR_TOKEN_ARN,
  SCALR_URL,
} from '../support/scalr-registration-rig.js';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/**
 * Resolves the intrinsic functions of the synthesized template the way CloudFormation would for this
 * deployment: each secret gets an ARN, the API key an id, the REST API an id, the stage its name.
 */
function resolver(resources: Resources) {
  const physical = (logicalId: string): string => {
    const resource = resources[logicalId];
    switch (resource?.Type) {
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbCdEf`;
      case 'AWS::ApiGateway::ApiKey':
        return `key${logicalId.slice(-8).toLowerCase()}`;
      case 'AWS::ApiGateway::RestApi':
        return 'a1b2c3d4e5';
      case 'AWS::ApiGateway::Stage':
        return String(resource.Properties?.StageName);
      default:
        throw new Error(`no physical id for ${logicalId} (${resource?.Type})`);
    }
  };
  const pseudo: Record<string, string> = {
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
    if (v.Ref !== undefined) return pseudo[v.Ref] ?? physical(v.Ref);
    if (v['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  return { resolve, physical };
}

describe('from cdk deploy to a running agent, with the Scalr registration on (stand-ins)', () => {
  const rig = new RegistrationRig();
  let gateway: GatewayServer | undefined;
  let templateJson: string;
  let resources: Resources;
  let properties: RegistrationProperties;
  let webhookSecret: string;
  let apiKey: string;
  let agentTokenArn: string;
  let dispatcherEnv: Record<string, string>;

  beforeAll(async () => {
    const { template } = buildStack({
      stackName: 'ScalrPool',
      scalrUrl: SCALR_URL,
      scalrApiTokenSecretArn: SCALR_TOKEN_ARN,
      scalrAgentPoolName: 'aws-fargate',
    });
    const json = template.toJSON() as { Resources: Resources };
    templateJson = JSON.stringify(json);
    resources = json.Resources;
    const { resolve, physical } = resolver(resources);
    const [custom] = Object.values(resources).filter((r) => r.Type === 'Custom::ScalrAgentPool');
    if (!custom?.Properties) throw new Error('no Custom::ScalrAgentPool in the template');
    const { ServiceToken: _token, ...rest } = custom.Properties;
    properties = Object.fromEntries(
      Object.entries(rest).map(([key, value]) => [key, resolve(value)]),
    ) as unknown as RegistrationProperties;
    const env = functionEnvironment(template);
    dispatcherEnv = {
      WEBHOOK_SECRET_ARN: resolve(env.WEBHOOK_SECRET_ARN),
      AGENT_TOKEN_SECRET_ARN: resolve(env.AGENT_TOKEN_SECRET_ARN),
    };

    // What CloudFormation does before the custom resource runs: the secrets and the API key exist.
    await rig.start();
    webhookSecret = randomBytes(24).toString('hex');
    apiKey = randomBytes(20).toString('hex');
    agentTokenArn = dispatcherEnv.AGENT_TOKEN_SECRET_ARN as string;
    rig.aws.secrets.set(properties.WebhookSecretArn, webhookSecret);
    rig.aws.apiKeys.set(properties.ApiKeyId, apiKey);
    const tokenSecret = Object.entries(resources).find(([id]) => physical(id) === agentTokenArn)?.[1];
    rig.aws.secrets.set(agentTokenArn, String(tokenSecret?.Properties?.SecretString));
  });
  afterAll(async () => {
    await gateway?.close();
    await rig.stop();
  });

  it('the template carries ids and ARNs only: no secret value, no dynamic reference', () => {
    expect(properties).toMatchObject({
      ScalrUrl: SCALR_URL,
      ScalrApiTokenSecretArn: SCALR_TOKEN_ARN,
      PoolName: 'aws-fargate',
      WebhookUrl: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/trigger',
      AgentTokenSecretArn: agentTokenArn,
    });
    expect(properties.WebhookSecretArn).toBe(dispatcherEnv.WEBHOOK_SECRET_ARN);
    const custom = JSON.stringify(
      Object.values(resources).filter((r) => r.Type === 'Custom::ScalrAgentPool'),
    );
    expect(custom).not.toMatch(/resolve:secretsmanager|SecretString|NoEcho/);
    for (const secret of [SCALR_API_TOKEN, webhookSecret, apiKey]) expect(templateJson).not.toContain(secret);
    expect(rig.aws.secrets.get(agentTokenArn)).toBe(AGENT_TOKEN_PLACEHOLDER);
  });

  it('Create leaves a serverless pool matching the stack and a token in the secret; a webhook with its headers starts an agent', async () => {
    const result = await rig.run(cfnEvent('Create', properties));

    const pool = rig.scalr.pools.get(result.PhysicalResourceId);
    expect(pool).toMatchObject({
      name: 'aws-fargate',
      webhookEnabled: true,
      webhookUrl: properties.WebhookUrl,
    });
    const [token, ...others] = rig.scalr.tokensOf(result.PhysicalResourceId);
    expect(others).toEqual([]);
    expect(rig.aws.secrets.get(agentTokenArn)).toBe(token?.token);

    // No secret in the answer to CloudFormation nor in the handler's log lines.
    const seen = `${JSON.stringify(result)}\n${rig.logs.join('\n')}`;
    for (const secret of [SCALR_API_TOKEN, webhookSecret, apiKey, token?.token ?? '']) {
      expect(seen).not.toContain(secret);
    }

    // Scalr calls the pool's URL with the pool's headers: the dispatcher (reading the same secrets)
    // behind the API Gateway stand-in, on the URL's path, with the stack's API key.
    const webhookPath = new URL(properties.WebhookUrl).pathname;
    const dispatch = createDispatcher(
      { ...ECS_ENV, ...dispatcherEnv },
      { logger: new Logger(() => {}, 'error') },
    );
    gateway = await startGatewayServer({ dispatch, apiKey, path: webhookPath });
    const headers = Object.fromEntries((pool?.webhookHeaders ?? []).map((h) => [h.name, h.value]));
    const answer = await fetch(gateway.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': 'atask-deploy-1' },
      body: JSON.stringify(scalrBody('atask-deploy-1')),
      signal: AbortSignal.timeout(30_000),
    });

    expect(answer.status).toBe(202);
    expect(rig.aws.tasks).toHaveLength(1);
    expect(rig.aws.tasks[0]?.input.cluster).toBe(ECS_ENV.ECS_CLUSTER);
  });

  it('a re-sent Create changes nothing; Delete removes pool and token; Create again works', async () => {
    const before = [...rig.scalr.pools.keys()];
    const again = await rig.run(cfnEvent('Create', properties));
    expect([...rig.scalr.pools.keys()]).toEqual(before);
    expect(rig.scalr.tokensOf(again.PhysicalResourceId)).toHaveLength(1);
    expect(rig.scalr.calls.CreatePool).toBe(1);
    expect(rig.scalr.calls.CreateToken).toBe(1);

    await rig.run(cfnEvent('Delete', properties, { PhysicalResourceId: again.PhysicalResourceId }));
    expect(rig.scalr.pools.size).toBe(0);
    expect(rig.scalr.tokens.size).toBe(0);

    const recreated = await rig.run(cfnEvent('Create', properties));
    expect(rig.scalr.pools.get(recreated.PhysicalResourceId)?.webhookEnabled).toBe(true);
    expect(rig.aws.secrets.get(agentTokenArn)).toBe(
      rig.scalr.tokensOf(recreated.PhysicalResourceId)[0]?.token,
    );
  });
});
