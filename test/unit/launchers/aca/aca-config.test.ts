import { describe, expect, it } from 'vitest';
import { loadAcaConfig } from '../../../../lambda/launchers/aca/aca-config.js';
import { ACA_TARGET_ENV } from '../../../support/aca-env.js';

const BASE = ACA_TARGET_ENV;

describe('loadAcaConfig', () => {
  it('defaults to AWS federation, public Azure and a 30 s settle time for execution listings', () => {
    const config = loadAcaConfig(BASE);

    expect(config).toMatchObject({
      auth: { mode: 'aws-federation', tenantId: BASE.AZURE_TENANT_ID, webIdentityTokenSeconds: 300 },
      authorityHost: 'https://login.microsoftonline.com',
      armEndpoint: 'https://management.azure.com',
      listSettleSeconds: 30,
    });
  });

  it('reads sovereign-cloud endpoints', () => {
    const config = loadAcaConfig({
      ...BASE,
      AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn/',
      ACA_ARM_ENDPOINT: 'https://management.chinacloudapi.cn',
    });

    expect([config.authorityHost, config.armEndpoint]).toEqual([
      'https://login.chinacloudapi.cn',
      'https://management.chinacloudapi.cn',
    ]);
  });

  it('needs only the credentials secret for AZURE_AUTH=client-secret', () => {
    const { AZURE_TENANT_ID: _t, AZURE_CLIENT_ID: _c, ...rest } = BASE;
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:azure-AbCdEf';

    const config = loadAcaConfig({ ...rest, AZURE_AUTH: 'client-secret', AZURE_CREDENTIALS_SECRET_ARN: arn });

    expect(config.auth).toEqual({ mode: 'client-secret', credentialsSecretId: arn });
  });

  it.each([
    ['ACA_SUBSCRIPTION_ID', 'not-a-uuid'],
    ['ACA_JOB_NAME', 'Bad_Name'],
    ['AZURE_CLIENT_ID', ''],
    ['AZURE_AUTH', 'managed-identity'],
    ['ACA_ARM_ENDPOINT', 'http://management.azure.com'],
    ['ACA_LIST_SETTLE_SECONDS', '0'],
  ])('names %s when it is %j', (name, value) => {
    expect(() => loadAcaConfig({ ...BASE, [name]: value })).toThrow(name);
  });

  it('names AZURE_CREDENTIALS_SECRET_ARN when client-secret mode lacks it', () => {
    expect(() => loadAcaConfig({ ...BASE, AZURE_AUTH: 'client-secret' })).toThrow(
      'AZURE_CREDENTIALS_SECRET_ARN',
    );
  });
});
