import { ContainerAppsAPIClient } from '@azure/arm-appcontainers';
import { ClientSecretCredential } from '@azure/identity';
import type { DispatcherOverrides, RequestHandler } from '../../lambda/dispatch/create-dispatcher.js';
import { AzureStandIn, type AzureStandInOptions } from './azure-stand-in.js';
import { startLedgerTable } from './dynalite-table.js';
import { Harness } from './harness.js';

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '0b1f4c6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
export const SUBSCRIPTION_ID = '11111111-2222-4333-8444-555555555555';
export const CLIENT_SECRET = 'azure-client-secret-test-9f8e7d6c5b4a';
export const DEDUP_TABLE = 'dispatcher-dedup';

/** The job template as the operator creates it: the token is a job secret, referenced by name. */
export const JOB_TEMPLATE = {
  containers: [
    {
      name: 'agent',
      image: 'scalr/agent:latest',
      resources: { cpu: 2, memory: '4Gi' },
      env: [
        { name: 'SCALR_URL', value: 'https://example.scalr.io' },
        { name: 'SCALR_AGENT_TOKEN', secretRef: 'scalr-agent-token' },
        { name: 'SCALR_AGENT_SINGLE', value: 'true' },
      ],
    },
  ],
};

/** An Azure stand-in with the rig's tenant, client, subscription and job, for tests without the dispatcher. */
export function azureStandIn(options: Partial<AzureStandInOptions> = {}): AzureStandIn {
  return new AzureStandIn({
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: 'rg-agents',
    jobName: 'scalr-agent',
    jobTemplate: JOB_TEMPLATE,
    ...options,
  });
}

/**
 * The real `@azure/arm-appcontainers` client against a started stand-in (`endpoint`), signed in with
 * CLIENT_SECRET (create the stand-in with `clientSecret: CLIENT_SECRET`). SDK retries are off, as in
 * the dispatcher, unless `maxRetries` says otherwise.
 */
export function armClient(endpoint: string, maxRetries = 0): ContainerAppsAPIClient {
  const credential = new ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET, {
    authorityHost: endpoint,
    disableInstanceDiscovery: true,
  });
  return new ContainerAppsAPIClient(credential, SUBSCRIPTION_ID, {
    endpoint,
    credentialScopes: [`${endpoint}/.default`],
    retryOptions: { maxRetries },
  });
}

export function acaEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LAUNCH_TARGET: 'aca',
    ACA_SUBSCRIPTION_ID: SUBSCRIPTION_ID,
    ACA_RESOURCE_GROUP: 'rg-agents',
    ACA_JOB_NAME: 'scalr-agent',
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_AUTHORITY_HOST: endpoint,
    ACA_ARM_ENDPOINT: endpoint,
    DEDUP_TABLE_NAME: DEDUP_TABLE,
    LAUNCH_DEADLINE_MS: '8000',
    ...extra,
  };
}

/**
 * The ACA target end to end on this machine: the dispatcher with the real Azure and AWS SDKs,
 * the HTTPS Azure/STS stand-in, Secrets Manager from the AWS stand-in, and DynamoDB from dynalite.
 */
export class AcaRig {
  readonly azure: AzureStandIn;
  readonly harness = new Harness();
  endpoint = '';
  private dynamo: Awaited<ReturnType<typeof startLedgerTable>> | undefined;
  private saved: Record<string, string | undefined> = {};

  constructor(options: Partial<AzureStandInOptions> = {}) {
    this.azure = azureStandIn(options);
  }

  async start(env: Record<string, string> = {}, overrides: DispatcherOverrides = {}): Promise<this> {
    this.endpoint = await this.azure.start();
    this.dynamo = await startLedgerTable(DEDUP_TABLE);
    this.setEnv({ AWS_ENDPOINT_URL_STS: this.endpoint, AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.endpoint });
    // The launch ledger is the real DynamoDB one, against dynalite, shared through the table.
    await this.harness.start(acaEnv(this.endpoint, env), { ledger: undefined, ...overrides });
    return this;
  }

  /** DynamoDB goes away (the table's endpoint refuses connections). */
  async stopDynamo(): Promise<void> {
    const table = this.dynamo;
    this.dynamo = undefined;
    await table?.stop();
  }

  /** A second Lambda container: its own memory, token caches and coalescer; same Azure and table. */
  another(env: Record<string, string> = {}): RequestHandler {
    return this.harness.another(acaEnv(this.endpoint, env), { ledger: undefined });
  }

  async stop(): Promise<void> {
    await this.harness.stop();
    await this.azure.stop();
    await this.dynamo?.stop();
    for (const [name, value] of Object.entries(this.saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  private setEnv(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      this.saved[name] = process.env[name];
      process.env[name] = value;
    }
  }
}
