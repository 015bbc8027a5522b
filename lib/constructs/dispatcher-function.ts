import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { aliasArgs, type BundleTarget, externalModulesFor } from '../lambda-bundling.js';
import { type BundledCode, bundledFunction } from './bundled-function.js';
import { dispatcherCode } from './dispatcher-code.js';

/** Props of {@link DispatcherFunction}. */
export interface DispatcherFunctionProps {
  /** ARN of the webhook secret (`WEBHOOK_SECRET_ARN`). */
  readonly webhookSecretArn: string;
  /**
   * ARN of the agent token secret (`AGENT_TOKEN_SECRET_ARN`).
   * @default - not set (`aca`: the token is a secret of the Container Apps job)
   */
  readonly agentTokenSecretArn?: string;
  /**
   * Launch target the bundle is built for: `ecs` leaves the Azure SDK and the ACA launcher out,
   * `aca` bundles everything (see `externalModulesFor`).
   * @default 'ecs'
   */
  readonly bundleTarget?: BundleTarget;
  /** ARNs the function may call `secretsmanager:GetSecretValue` on (partial ARNs end in `-??????`). */
  readonly secretPolicyArns: readonly string[];
  /**
   * Tell a set agent token with `secretsmanager:DescribeSecret` on these ARNs instead of reading it
   * (`AGENT_TOKEN_CHECK`): `stored` for a secret the stack created with the placeholder, `exists` for
   * an imported one. Leave the agent token's ARNs out of `secretPolicyArns` then.
   * @default - the value is read (`AGENT_TOKEN_CHECK=value`; its ARN must be in `secretPolicyArns`)
   */
  readonly agentTokenCheck?: { readonly mode: 'stored' | 'exists'; readonly policyArns: readonly string[] };
  /** Target-specific environment, e.g. `FargateAgent.dispatcherEnvironment()`. */
  readonly launchEnvironment: Readonly<Record<string, string>>;
  /**
   * Function timeout; must stay below API Gateway's 29 s integration timeout.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
  /**
   * Time budget for one launch (`LAUNCH_DEADLINE_MS`); below the timeout so a 503 can still be sent.
   * @default 20000
   */
  readonly launchDeadlineMs?: number;
  /**
   * Memory size in MB (also scales CPU, hence cold start).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Handler source file, bundled by esbuild at synth time.
   * @default - `lambda/handler.ts` inside the repository, the prebuilt bundle in the npm package
   * (see `dispatcherCode`)
   */
  readonly entry?: string;
}

/** The Lambda function that answers Scalr's webhook and starts one agent per task. */
export class DispatcherFunction extends Construct {
  /** A `NodejsFunction` when bundled from source, a plain `Function` from the prebuilt bundle. */
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DispatcherFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(25);
    const launchDeadlineMs = props.launchDeadlineMs ?? 20_000;
    if (!timeout.isUnresolved() && timeout.toMilliseconds() >= 29_000) {
      throw new Error(`DispatcherFunction timeout must stay below API Gateway's 29 s`);
    }
    if (!timeout.isUnresolved() && launchDeadlineMs >= timeout.toMilliseconds()) {
      throw new Error('DispatcherFunction launchDeadlineMs must stay below the function timeout');
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Own role instead of AWSLambdaBasicExecutionRole: logs only to this log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Scalr agent dispatcher: write its logs, read its secrets, start agents',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...props.secretPolicyArns],
      }),
    );
    if (props.agentTokenCheck && props.agentTokenCheck.policyArns.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          // Whether the agent token is set, never its value: the webhook path does not hold the token.
          sid: 'DescribeAgentToken',
          actions: ['secretsmanager:DescribeSecret'],
          resources: [...props.agentTokenCheck.policyArns],
        }),
      );
    }

    const common = {
      description: 'Scalr serverless agent pool: starts one single-run agent per webhook',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      // JSON platform lines; the handler writes its own JSON lines to stdout, which CloudWatch keeps as-is
      // (the failed-launch metric filter reads their `outcome`). No log-level filter: the handler's
      // lower-case `level` values are its own, and Lambda must not drop lines it cannot classify.
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.launchEnvironment,
        WEBHOOK_SECRET_ARN: props.webhookSecretArn,
        ...(props.agentTokenSecretArn ? { AGENT_TOKEN_SECRET_ARN: props.agentTokenSecretArn } : {}),
        ...(props.agentTokenSecretArn && props.agentTokenCheck
          ? { AGENT_TOKEN_CHECK: props.agentTokenCheck.mode }
          : {}),
        LAUNCH_DEADLINE_MS: String(launchDeadlineMs),
      },
    };
    const bundleTarget = props.bundleTarget ?? 'ecs';
    const code: BundledCode =
      props.entry === undefined ? dispatcherCode(bundleTarget) : { kind: 'source', entry: props.entry };
    // Same settings as `npm run build`, aliases included.
    this.function = bundledFunction(this, 'Function', code, common, {
      externalModules: externalModulesFor(bundleTarget),
      esbuildArgs: aliasArgs(),
    });
  }
}
