import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AGENT_TOKEN_PLACEHOLDER } from '../../lambda/secrets/agent-token-placeholder.js';

/** Props of {@link DispatcherSecrets}. */
export interface DispatcherSecretsProps {
  /**
   * Whether the target keeps the Scalr agent pool token in AWS. `aca` does not: there the token is a
   * secret of the Container Apps job and never passes through AWS.
   * @default true
   */
  readonly agentToken?: boolean;
  /**
   * ARN of an existing secret that holds the Scalr agent pool token (plain string).
   * @default - a new secret holding a placeholder that the operator replaces with put-secret-value
   */
  readonly agentTokenSecretArn?: string;
  /**
   * An existing secret object holding the Scalr agent pool token (plain string); wins over `agentTokenSecretArn`.
   * @default - from `agentTokenSecretArn`
   */
  readonly agentTokenSecret?: secretsmanager.ISecret;
  /**
   * ARN of an existing secret holding `{"tenantId","clientId","clientSecret"}` (`AZURE_AUTH=client-secret`).
   * @default - none
   */
  readonly azureCredentialsSecretArn?: string;
}

/** The webhook secret (generated), the agent token secret (placeholder or imported) and imported secrets. */
export class DispatcherSecrets extends Construct {
  /** Shared secret Scalr sends as `Authorization: Bearer <secret>`; generated, never in the template. */
  readonly webhookSecret: secretsmanager.Secret;
  /** Scalr agent pool token, injected into the agent container by ECS; absent when `agentToken` is false. */
  readonly agentTokenSecret?: secretsmanager.ISecret;
  /** True when this stack created the token secret and it still needs the real value. */
  readonly agentTokenCreated: boolean;
  /** Azure client credentials, read by the dispatcher; present when `azureCredentialsSecretArn` is given. */
  readonly azureCredentialsSecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: DispatcherSecretsProps = {}) {
    super(scope, id);

    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'Scalr webhook secret: the pool sends it as "Authorization: Bearer <value>"',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    if (props.agentToken === false) {
      this.agentTokenCreated = false;
    } else if (props.agentTokenSecret) {
      this.agentTokenSecret = props.agentTokenSecret;
      this.agentTokenCreated = false;
    } else if (props.agentTokenSecretArn) {
      this.agentTokenSecret = importSecret(this, 'AgentTokenSecret', props.agentTokenSecretArn);
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

    if (props.azureCredentialsSecretArn) {
      this.azureCredentialsSecret = importSecret(
        this,
        'AzureCredentialsSecret',
        props.azureCredentialsSecretArn,
      );
    }

    // Not a given secret object: its findings are its owner's.
    const ownToken = props.agentTokenSecret ? undefined : this.agentTokenSecret;
    for (const secret of [this.webhookSecret, ownToken]) {
      if (!secret) continue;
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation needs a coordinated change outside AWS: the webhook secret is also stored in the Scalr pool headers and the agent token is issued by Scalr. Rotate both by hand (see docs/deploy.md).',
      });
    }
  }

  /**
   * ARNs of the secrets whose value the dispatcher reads (webhook secret, Azure credentials): not the
   * agent token, which it only describes (`agentTokenPolicyArns`).
   */
  readPolicyArns(): string[] {
    return [this.webhookSecret, this.azureCredentialsSecret]
      .filter((secret) => secret !== undefined)
      .flatMap(secretPolicyArns);
  }

  /** ARNs of the agent token secret, for `secretsmanager:DescribeSecret`; empty without one. */
  agentTokenPolicyArns(): string[] {
    return this.agentTokenSecret ? secretPolicyArns(this.agentTokenSecret) : [];
  }

  /** ARNs for IAM statements; an imported partial ARN gets the `-??????` suffix Secrets Manager adds. */
  policyArns(): string[] {
    return [this.webhookSecret, this.agentTokenSecret, this.azureCredentialsSecret]
      .filter((secret) => secret !== undefined)
      .flatMap(secretPolicyArns);
  }
}

/**
 * Imports a secret by ARN without lookups. The stack configuration accepts complete ARNs only (ending
 * in "-" and six characters), but a partial ARN whose name happens to end like that cannot be told
 * apart: the grants cover both forms (`policyArns`, `grantReadBothForms`).
 */
function importSecret(scope: Construct, id: string, arn: string): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn);
}

/** The secret's ARN, and for an imported one also the ARN it would have if it was a partial one. */
function secretPolicyArns(secret: secretsmanager.ISecret): string[] {
  const imported = !(secret instanceof secretsmanager.Secret);
  return imported ? [secret.secretArn, `${secret.secretArn}-??????`] : [secret.secretArn];
}

/** Read access on both forms of an imported secret's ARN (see `importSecret`). */
export function grantReadBothForms(secret: secretsmanager.ISecret, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: secretPolicyArns(secret),
    }),
  );
}
