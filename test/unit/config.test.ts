import { describe, expect, it } from 'vitest';
import { loadDispatcherConfig } from '../../lambda/config/config.js';
import { ConfigError } from '../../lambda/errors.js';
import { loadEcsConfig } from '../../lambda/launchers/ecs/ecs-config.js';
import { ECS_ENV } from '../support/harness.js';

describe('loadDispatcherConfig', () => {
  it('reads secrets from ARNs and applies defaults', () => {
    const config = loadDispatcherConfig({
      WEBHOOK_SECRET_ARN: ECS_ENV.WEBHOOK_SECRET_ARN,
      AGENT_TOKEN_SECRET_ARN: 'agent',
    });

    expect(config).toMatchObject({
      target: 'ecs',
      webhookSecret: { kind: 'secrets-manager', secretId: ECS_ENV.WEBHOOK_SECRET_ARN },
      agentToken: { kind: 'secrets-manager', secretId: 'agent' },
      launchDeadlineMs: 20_000,
      maxBodyBytes: 65_536,
    });
  });

  it('accepts literal secrets for local runs', () => {
    const config = loadDispatcherConfig({ WEBHOOK_SECRET: 'w', AGENT_TOKEN: 't' });

    expect(config.webhookSecret).toEqual({ kind: 'literal', value: 'w', envName: 'WEBHOOK_SECRET' });
  });

  it('needs no agent token for aca, where the token is a secret of the Container Apps job', () => {
    const config = loadDispatcherConfig({ LAUNCH_TARGET: 'aca', WEBHOOK_SECRET: 'w' });

    expect(config.agentToken).toBeUndefined();
  });

  it.each([
    [{ AGENT_TOKEN: 't' }, /WEBHOOK_SECRET_ARN is not set/],
    [{ WEBHOOK_SECRET: 'w' }, /AGENT_TOKEN_SECRET_ARN is not set/],
    [
      { WEBHOOK_SECRET: 'w', AGENT_TOKEN: 't', LAUNCH_TARGET: 'k8s' },
      /LAUNCH_TARGET is "k8s": expected one of ecs, aca/,
    ],
    [
      { WEBHOOK_SECRET: 'w', AGENT_TOKEN: 't', LAUNCH_DEADLINE_MS: '30000' },
      /LAUNCH_DEADLINE_MS is "30000": expected a whole number from 1000 to 28000/,
    ],
    [
      { WEBHOOK_SECRET_ARN: 'not a secret id!', AGENT_TOKEN: 't' },
      /WEBHOOK_SECRET_ARN is "not a secret id!"/,
    ],
  ])('names the variable at fault: %o', (env, message) => {
    expect(() => loadDispatcherConfig(env)).toThrow(ConfigError);
    expect(() => loadDispatcherConfig(env)).toThrow(message);
  });
});

describe('loadEcsConfig', () => {
  it('parses lists and enums', () => {
    expect(loadEcsConfig(ECS_ENV)).toMatchObject({
      cluster: 'agents',
      subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroups: ['sg-0123456789abcdef0'],
      assignPublicIp: 'ENABLED',
      capacity: 'FARGATE',
    });
  });

  it.each([
    [{ ECS_CLUSTER: '' }, /ECS_CLUSTER is not set/],
    [{ ECS_SUBNETS: 'subnet-123,vpc-0123456789abcdef0' }, /ECS_SUBNETS contains "subnet-123"/],
    [{ ECS_SECURITY_GROUPS: 'default' }, /ECS_SECURITY_GROUPS contains "default"/],
    [
      { ECS_CAPACITY: 'EC2' },
      /ECS_CAPACITY is "EC2": expected one of FARGATE, FARGATE_SPOT, FARGATE_SPOT_THEN_FARGATE/,
    ],
    [{ ECS_ASSIGN_PUBLIC_IP: 'yes' }, /ECS_ASSIGN_PUBLIC_IP is "yes"/],
  ])('names the variable at fault: %o', (override, message) => {
    expect(() => loadEcsConfig({ ...ECS_ENV, ...override })).toThrow(message);
  });
});
