import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackConfig } from './config/stack-config.js';
import { AcaTarget, AZURE_TOKEN_AUDIENCE } from './constructs/aca-target.js';
import { ENV0_CONTAINER_NAME, ENV0_LOG_STREAM_PREFIX, Env0Agent } from './constructs/env0-agent.js';
import { Env0Monitoring } from './constructs/env0-monitoring.js';
import { Env0Poller } from './constructs/env0-poller.js';
import { LaunchLedger } from './constructs/launch-ledger.js';
import { Network } from './constructs/network.js';
import { TaskTrail } from './constructs/task-trail.js';

/** Props of {@link Env0PollerStack}. */
export interface Env0PollerStackProps extends StackProps {
  /** Validated configuration with `source=env0`. */
  readonly config: StackConfig;
}

/**
 * env0 pull mode (`-c source=env0`): a scheduled poller reads env0's queue-state and starts single-run
 * env0 agents on Fargate (or as Container Apps job executions). No webhook API: env0 calls nobody, so
 * a public endpoint would only be attack surface. The launch ledger table holds the pool's lease and
 * its agents, and the ACA target's launch records.
 */
export class Env0PollerStack extends Stack {
  readonly network?: Network;
  readonly agent?: Env0Agent;
  readonly aca?: AcaTarget;
  readonly ledger: LaunchLedger;
  readonly poller: Env0Poller;
  /**
   * The agents' task trail: one item per agent, keyed by its slot key (`env0-…`), fed by the poller's
   * `launch accepted` lines, the agent tasks' ECS events or (ACA) the status sweep.
   */
  readonly trail: TaskTrail;
  /** Poll metrics' alarms (stopped, failing, token refused) and dashboard. */
  readonly monitoring: Env0Monitoring;

  constructor(scope: Construct, id: string, props: Env0PollerStackProps) {
    super(scope, id, {
      description: 'env0 pull-mode agent pool: scheduled queue-state poller + single-run agents',
      ...props,
    });
    const { config } = props;
    const env0 = config.env0;
    if (!env0) throw new Error('Env0PollerStack needs source=env0');
    const retention = config.logRetentionDays as logs.RetentionDays;
    this.ledger = new LaunchLedger(this, 'Ledger', { ttlSeconds: config.ledgerTtlSeconds });

    let launchEnvironment: Record<string, string>;
    let tokenSecretArn: string;
    if (config.ecs) {
      this.network = new Network(this, 'Network', { network: config.ecs.network });
      this.agent = new Env0Agent(this, 'Agent', {
        network: this.network,
        family: `${config.stackName}-env0-agent`,
        imageTag: env0.agentImageTag,
        agentTokenSecretArn: env0.agentTokenSecretArn || undefined,
        logLevel: env0.logLevel || undefined,
        logRetention: retention,
      });
      launchEnvironment = this.agent.pollerEnvironment(this.network);
      tokenSecretArn = this.agent.agentTokenSecret.secretArn;
    } else {
      if (!config.aca || !env0.agentTokenSecretArn) {
        throw new Error(
          'source=env0 with target=aca needs env0AgentTokenSecretArn (checked by stack-config)',
        );
      }
      this.aca = new AcaTarget(this, 'Aca', { aca: config.aca });
      launchEnvironment = this.aca.dispatcherEnvironment();
      tokenSecretArn = env0.agentTokenSecretArn;
    }
    const metricNamespace = `AgentDispatcher/${this.stackName}`;
    this.poller = new Env0Poller(this, 'Poller', {
      metricNamespace,
      env0,
      launchEnvironment: { ...launchEnvironment, ...this.ledger.dispatcherEnvironment() },
      agentTokenSecretArn: tokenSecretArn,
      agentTokenImported: env0.agentTokenSecretArn !== '',
      bundleTarget: config.target,
      logRetention: retention,
    });
    this.agent?.grantPoll(this.poller.role);
    this.aca?.grantLaunch(this.poller.role);
    this.ledger.grantLedgerWrites(this.poller.role);
    this.trail = this.addTaskTrail(config, metricNamespace, retention);
    this.monitoring = new Env0Monitoring(this, 'Monitoring', {
      metricNamespace,
      pollerFunction: this.poller.function,
      scheduleMinutes: env0.scheduleMinutes,
      agents: {
        platform: this.agent ? 'ecs' : 'aca',
        notRunningAfterMinutes: config.notRunningAlarmMinutes,
      },
      topicArn: config.alarmTopicArn || undefined,
      email: config.alarmEmail || undefined,
    });

    new CfnOutput(this, 'PollerLogGroup', {
      description: 'Logs of the poller: one "poll" line per poll (outcome, reason, pending, active, started)',
      value: this.poller.logGroup.logGroupName,
    });
    new CfnOutput(this, 'TaskTrailTableName', {
      description:
        'Trails of the env0 agents (key: the slot key env0-…, in the poller\'s "launch accepted" lines)',
      value: this.trail.table.tableName,
    });
    if (this.aca?.federation) {
      // As a Scalr pool's outputs (docs/azure.md): the poller starts the executions with its own role.
      new CfnOutput(this, 'AzureFederatedCredentialSubject', {
        description:
          "Subject of the Entra ID federated credential: the poller function's role ARN (docs/azure.md tells how to confirm the JWT's sub claim once)",
        value: this.poller.role.roleArn,
      });
      new CfnOutput(this, 'AzureFederatedCredentialAudience', {
        description: 'Audience of the Entra ID federated credential',
        value: AZURE_TOKEN_AUDIENCE,
      });
      new CfnOutput(this, 'GetAzureFederatedCredentialIssuerCommand', {
        description:
          "Prints the issuer of the Entra ID federated credential: the account's outbound identity federation issuer (enable it once with aws iam enable-outbound-web-identity-federation)",
        value: 'aws iam get-outbound-web-identity-federation-info --query IssuerIdentifier --output text',
      });
      new CfnOutput(this, 'AzureTrailFederatedCredentialSubject', {
        description:
          "Subject of a second Entra ID federated credential (same identity, issuer and audience as the poller's): the trail consumer's role ARN, whose sweep reads the executions' status",
        value: this.trail.consumerRole.roleArn,
      });
    }
    new CfnOutput(this, 'PollerDashboard', {
      description: 'CloudWatch dashboard of the env0 poller (polls by decision, queue, pool)',
      value: this.monitoring.dashboard.dashboardName,
    });
    if (this.agent) {
      new CfnOutput(this, 'SetAgentTokenCommand', {
        description: 'Stores the env0 agent access token (export ENV0_AGENT_ACCESS_TOKEN first)',
        value: Fn.join('', [
          'aws secretsmanager put-secret-value --secret-id ',
          this.agent.agentTokenSecret.secretArn,
          ' --secret-string "$ENV0_AGENT_ACCESS_TOKEN"',
        ]),
      });
      new CfnOutput(this, 'StateEncryptionKeySecretArn', {
        description:
          'ENV0_STATE_ENCRYPTION_KEY (retained on deletion; give a failover Region the same value)',
        value: this.agent.stateEncryptionKey.secretArn,
      });
      new CfnOutput(this, 'AgentCluster', { value: this.agent.cluster.clusterName });
      new CfnOutput(this, 'AgentLogGroup', { value: this.agent.logGroup.logGroupName });
      new CfnOutput(this, 'AgentTaskDefinitionFamily', {
        description: 'Task definition family of the env0 agent (npm run doctor checks its image)',
        value: this.agent.family,
      });
    }
  }

  /**
   * The agents' trail, as the Scalr pool keeps it: the poller's `launch accepted` lines (subscription)
   * give the received (poll decision) and accepted steps; the env0 cluster's Task State Change events
   * (`startedBy` env0-…) or, on ACA, the status sweep give RUNNING and the exit.
   */
  private addTaskTrail(config: StackConfig, metricNamespace: string, retention: logs.RetentionDays) {
    const trail = new TaskTrail(this, 'Trail', {
      dispatcherLogGroup: this.poller.logGroup,
      naming: { owner: 'env0 agent pool', agents: 'env0 agent' },
      agentTasks: this.agent && {
        cluster: this.agent.cluster,
        containerName: ENV0_CONTAINER_NAME,
        logGroup: this.agent.logGroup,
        logStreamPrefix: ENV0_LOG_STREAM_PREFIX,
        startedByPrefix: 'env0-',
      },
      statusSweep: this.aca && {
        platform: 'aca',
        environment: this.aca.dispatcherEnvironment(),
        secretArns: config.aca?.auth.mode === 'client-secret' ? [config.aca.auth.credentialsSecretArn] : [],
      },
      ttlDays: config.taskTrailDays,
      notRunningAfterMinutes: config.notRunningAlarmMinutes,
      metricNamespace,
      logRetention: retention,
    });
    // The sweep signs in to Azure as the poller does (docs/azure.md).
    this.aca?.grantLaunch(trail.consumerRole);
    return trail;
  }
}
