import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';

/** Props of {@link DispatcherSecrets}. */
export interface DispatcherSecretsProps {
  /**
   * ARN of an existing secret that holds the Scalr agent pool token (plain string).
   * @default - a new secret holding a placeholder that the operator replaces with put-secret-value
   */
  readonly agentTokenSecretArn?: string;
}

/** The webhook secret (generated) and the agent token secret (placeholder or imported). */
export class DispatcherSecrets extends Construct {
  /** Shared secret Scalr sends as `Authorization: Bearer <secret>`; generated, never in the template. */
  readonly webhookSecret: secretsmanager.Secret;
  /** Scalr agent pool token, injected into the agent container by ECS. */
  readonly agentTokenSecret: secretsmanager.ISecret;
  /** True when this stack created the token secret and it still needs the real value. */
  readonly agentTokenCreated: boolean;

  constructor(scope: Construct, id: string, props: DispatcherSecretsProps = {}) {
    super(scope, id);

    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'Scalr webhook secret: the pool sends it as "Authorization: Bearer <value>"',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    if (props.agentTokenSecretArn) {
      const arn = props.agentTokenSecretArn;
      // A complete ARN ends in "-" plus 6 random characters; without them IAM needs a wildcard.
      this.agentTokenSecret = /-[A-Za-z0-9]{6}$/.test(arn)
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AgentTokenSecret', arn)
        : secretsmanager.Secret.fromSecretPartialArn(this, 'AgentTokenSecret', arn);
      this.agentTokenCreated = false;
    } else {
      this.agentTokenSecret = new secretsmanager.Secret(this, 'AgentTokenSecret', {
        description: 'Scalr agent pool token for the serverless agents; replace the placeholder value',
        // A plain string the dispatcher recognises: it refuses to launch until the operator sets the token.
        // CloudFormation only writes it on create, so later deploys keep the value the operator set.
        secretStringValue: SecretValue.unsafePlainText(AGENT_TOKEN_PLACEHOLDER),
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.agentTokenCreated = true;
    }

    for (const secret of [this.webhookSecret, this.agentTokenSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation needs a coordinated change outside AWS: the webhook secret is also stored in the Scalr pool headers and the agent token is issued by Scalr. Rotate both by hand (see docs/deploy.md).',
      });
    }
  }

  /** ARNs for IAM statements; an imported partial ARN gets the `-??????` suffix Secrets Manager adds. */
  policyArns(): string[] {
    return [this.webhookSecret.secretArn, secretPolicyArn(this.agentTokenSecret)];
  }
}

function secretPolicyArn(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn !== undefined ? secret.secretArn : `${secret.secretArn}-??????`;
}
