import { Aws, CfnOutput, Fn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type AcaTarget, AZURE_TOKEN_AUDIENCE } from './constructs/aca-target.js';
import type { DispatcherDashboard } from './constructs/dashboard.js';
import type { DispatcherFunction } from './constructs/dispatcher-function.js';
import type { FargateAgent } from './constructs/fargate-agent.js';
import type { LaunchLedger } from './constructs/launch-ledger.js';
import type { Network } from './constructs/network.js';
import type { ScalrRegistration } from './constructs/scalr-registration.js';
import type { DispatcherSecrets } from './constructs/secrets.js';
import type { TaskTrail } from './constructs/task-trail.js';
import type { WebhookApi } from './constructs/webhook-api.js';

/**
 * The parts of a pool the outputs name; `AgentDispatcher` has them all. A structural type, so this
 * module does not import the construct that calls it.
 */
export interface OutputSources extends Construct {
  readonly secrets: DispatcherSecrets;
  readonly dispatcher: DispatcherFunction;
  readonly webhookApi: WebhookApi;
  readonly trail: TaskTrail;
  readonly dashboard: DispatcherDashboard;
  readonly network?: Network;
  readonly agent?: FargateAgent;
  readonly aca?: AcaTarget;
  readonly ledger: LaunchLedger;
  readonly scalrRegistration?: ScalrRegistration;
}

/** Outputs that make the next step copy-paste; under the construct, so two pools get distinct ones. */
export function addDispatcherOutputs(pool: OutputSources): void {
  const region = `--region ${Aws.REGION}`;
  const apiKeyCommand = Fn.join('', [
    'aws apigateway get-api-key --api-key ',
    pool.webhookApi.apiKey.keyId,
    ` --include-value --query value --output text ${region}`,
  ]);
  const webhookSecretCommand = Fn.join('', [
    'aws secretsmanager get-secret-value --secret-id ',
    pool.secrets.webhookSecret.secretArn,
    ` --query SecretString --output text ${region}`,
  ]);
  new CfnOutput(pool, 'WebhookUrl', {
    description: 'Webhook URL to set on the Scalr agent pool',
    value: pool.webhookApi.webhookUrl,
  });
  new CfnOutput(pool, 'ApiKeyId', {
    description: 'Id of the API key',
    value: pool.webhookApi.apiKey.keyId,
  });
  new CfnOutput(pool, 'GetApiKeyCommand', {
    description: 'Prints the value for the x-api-key header',
    value: apiKeyCommand,
  });
  new CfnOutput(pool, 'WebhookSecretArn', {
    description: 'Secret sent as "Authorization: Bearer <value>"',
    value: pool.secrets.webhookSecret.secretArn,
  });
  new CfnOutput(pool, 'GetWebhookSecretCommand', {
    description: 'Prints the webhook secret for the Authorization header',
    value: webhookSecretCommand,
  });
  const agentTokenSecret = pool.secrets.agentTokenSecret;
  if (agentTokenSecret) {
    new CfnOutput(pool, 'AgentTokenSecretArn', {
      description: 'Secret holding the Scalr agent pool token',
      value: agentTokenSecret.secretArn,
    });
    new CfnOutput(pool, 'SetAgentTokenCommand', {
      description: 'Stores the Scalr agent pool token (export SCALR_AGENT_POOL_TOKEN first)',
      value: Fn.join('', [
        'aws secretsmanager put-secret-value --secret-id ',
        agentTokenSecret.secretArn,
        ` --secret-string "$SCALR_AGENT_POOL_TOKEN" ${region}`,
      ]),
    });
  }
  new CfnOutput(pool, 'ScalrPoolHeaders', {
    description: 'Headers to configure on the Scalr agent pool (mark both sensitive)',
    value: Fn.join('', [
      'x-api-key: $(',
      apiKeyCommand,
      ') ; Authorization: Bearer $(',
      webhookSecretCommand,
      ')',
    ]),
  });
  if (pool.agent && pool.network) {
    new CfnOutput(pool, 'AgentCluster', {
      description: 'ECS cluster of the agent tasks (aws ecs list-tasks --cluster ...)',
      value: pool.agent.cluster.clusterName,
    });
    new CfnOutput(pool, 'AgentLogGroup', {
      description: 'Logs of the agent tasks',
      value: pool.agent.logGroup.logGroupName,
    });
    // What a stack in another Region needs to use this one as its failover target.
    new CfnOutput(pool, 'AgentTaskRoleArn', {
      description: 'Agent task role (failoverTaskRoleArn of a stack that fails over to this Region)',
      value: pool.agent.taskRole.roleArn,
    });
    new CfnOutput(pool, 'AgentExecutionRoleArn', {
      description:
        'Agent execution role (failoverExecutionRoleArn of a stack that fails over to this Region)',
      value: pool.agent.executionRole.roleArn,
    });
    new CfnOutput(pool, 'FailoverContextArgs', {
      description: 'Context arguments for a stack in another Region that fails over to this one',
      value: Fn.join('', [
        `-c failoverRegion=${Aws.REGION} -c failoverClusterName=`,
        pool.agent.cluster.clusterName,
        ' -c failoverSubnetIds=',
        Fn.join(',', [...pool.network.subnetIds]),
        ' -c failoverSecurityGroupIds=',
        Fn.join(
          ',',
          pool.network.securityGroups.map((sg) => sg.securityGroupId),
        ),
        ` -c failoverAssignPublicIp=${pool.network.assignPublicIp ? 'ENABLED' : 'DISABLED'}`,
        ' -c failoverTaskRoleArn=',
        pool.agent.taskRole.roleArn,
        ' -c failoverExecutionRoleArn=',
        pool.agent.executionRole.roleArn,
      ]),
    });
  }
  new CfnOutput(pool, 'LedgerTableName', {
    description:
      'DynamoDB table of the launch ledger (one record per launch key, expiring after LEDGER_TTL_SECONDS; kept when the stack is deleted)',
    value: pool.ledger.table.tableName,
  });
  new CfnOutput(pool, 'TaskTrailTableName', {
    description: 'DynamoDB table of the task trails (GET /tasks/{taskId}; docs/operations.md)',
    value: pool.trail.table.tableName,
  });
  new CfnOutput(pool, 'DashboardName', {
    description: 'CloudWatch dashboard of the pool (webhooks, 503s, time to RUNNING, stopped agents)',
    value: pool.dashboard.dashboard.dashboardName,
  });
  if (pool.aca) addAzureOutputs(pool, pool.aca);
  if (pool.scalrRegistration) addScalrOutputs(pool, pool.scalrRegistration);
}

/** What `npm run doctor` reads to check the registered pool (ids and ARNs, no secret). */
function addScalrOutputs(pool: OutputSources, registration: ScalrRegistration): void {
  const config = registration.registration;
  new CfnOutput(pool, 'ScalrAgentPoolId', {
    description: 'Scalr agent pool the stack registered (serverless webhook and pool token set on deploy)',
    value: registration.poolId,
  });
  new CfnOutput(pool, 'ScalrApiUrl', {
    description: 'Scalr account URL the pool is registered in',
    value: config.scalrUrl,
  });
  new CfnOutput(pool, 'ScalrApiTokenSecretArn', {
    description: 'Secret holding the Scalr API token the registration (and npm run doctor) use',
    value: config.apiTokenSecretArn,
  });
}

/** What the operator and, with federation, the Entra ID federated credential need (docs/azure.md). */
function addAzureOutputs(pool: OutputSources, aca: AcaTarget): void {
  if (!aca.federation) return;
  new CfnOutput(pool, 'AzureFederatedCredentialSubject', {
    description:
      "Subject of the Entra ID federated credential: the dispatcher function's role ARN (docs/azure.md tells how to confirm the JWT's sub claim once)",
    value: pool.dispatcher.role.roleArn,
  });
  new CfnOutput(pool, 'AzureTrailFederatedCredentialSubject', {
    description:
      "Subject of a second Entra ID federated credential (same identity, issuer and audience): the trail consumer's role ARN, whose sweep reads the executions' status",
    value: pool.trail.consumerRole.roleArn,
  });
  new CfnOutput(pool, 'AzureFederatedCredentialAudience', {
    description: 'Audience of the Entra ID federated credential',
    value: AZURE_TOKEN_AUDIENCE,
  });
  new CfnOutput(pool, 'GetAzureFederatedCredentialIssuerCommand', {
    description:
      "Prints the issuer of the Entra ID federated credential: the account's outbound identity federation issuer (enable it once with aws iam enable-outbound-web-identity-federation)",
    value: 'aws iam get-outbound-web-identity-federation-info --query IssuerIdentifier --output text',
  });
}
