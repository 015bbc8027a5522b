import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { AcaStackConfig } from '../config/aca-config.js';

/** Audience Entra ID expects in a federated credential's token. */
export const AZURE_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * Logical ID of the ACA target's de-duplication table (construct path `Aca/DedupTable`), now the launch
 * ledger's: an ACA stack keeps it, so an upgrade updates the table in place instead of replacing it
 * and losing its records.
 */
export const ACA_LEDGER_LOGICAL_ID = 'AcaDedupTable3D54E422';

/** Longest JWT lifetime the dispatcher may ask STS for (`AZURE_FEDERATION_TOKEN_SECONDS` caps at 3600). */
const MAX_TOKEN_SECONDS = 3600;

/** Props of {@link AcaTarget}. */
export interface AcaTargetProps {
  /** The job to start and how to authenticate to Azure (validated by `parseStackConfig`). */
  readonly aca: AcaStackConfig;
}

/**
 * The AWS side of the Azure Container Apps target: the dispatcher's settings and grants. The job
 * itself, its agent token and the Entra identity live in Azure (docs/azure.md); the launch ledger the
 * target needs is the stack's `LaunchLedger`.
 */
export class AcaTarget extends Construct {
  /** True when the dispatcher authenticates with an STS JWT (`aws-federation`), not a client secret. */
  readonly federation: boolean;
  private readonly aca: AcaStackConfig;

  constructor(scope: Construct, id: string, props: AcaTargetProps) {
    super(scope, id);
    this.aca = props.aca;
    this.federation = props.aca.auth.mode === 'aws-federation';
  }

  /** Settings the dispatcher function needs for `LAUNCH_TARGET=aca` (see lambda/launchers/aca/aca-config.ts). */
  dispatcherEnvironment(): Record<string, string> {
    const { aca } = this;
    const environment: Record<string, string> = {
      LAUNCH_TARGET: 'aca',
      ACA_SUBSCRIPTION_ID: aca.subscriptionId,
      ACA_RESOURCE_GROUP: aca.resourceGroup,
      ACA_JOB_NAME: aca.jobName,
      AZURE_AUTH: aca.auth.mode,
      ACA_LIST_SETTLE_SECONDS: String(aca.listSettleSeconds),
    };
    if (aca.auth.mode === 'aws-federation') {
      environment.AZURE_TENANT_ID = aca.auth.tenantId;
      environment.AZURE_CLIENT_ID = aca.auth.clientId;
    } else {
      environment.AZURE_CREDENTIALS_SECRET_ARN = aca.auth.credentialsSecretArn;
    }
    // Empty = the dispatcher's defaults (public Azure).
    if (aca.containerName) environment.ACA_CONTAINER_NAME = aca.containerName;
    if (aca.authorityHost) environment.AZURE_AUTHORITY_HOST = aca.authorityHost;
    if (aca.armEndpoint) environment.ACA_ARM_ENDPOINT = aca.armEndpoint;
    return environment;
  }

  /**
   * With `aws-federation`, lets the dispatcher obtain a JWT for Entra ID from STS. The client-secret
   * read is granted with the other secrets (`DispatcherSecrets.policyArns()`), the ledger's item calls
   * by `LaunchLedger.grantLedgerWrites`.
   */
  grantLaunch(role: iam.IRole): void {
    if (this.aca.auth.mode !== 'aws-federation') return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GetAzureFederationToken',
        actions: ['sts:GetWebIdentityToken'],
        resources: ['*'],
        conditions: {
          'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': AZURE_TOKEN_AUDIENCE },
          NumericLessThanEquals: { 'sts:DurationSeconds': MAX_TOKEN_SECONDS },
        },
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sts:GetWebIdentityToken has no resource type; the statement only allows tokens for the Entra ID audience (api://AzureADTokenExchange), valid at most one hour.',
    });
  }
}
