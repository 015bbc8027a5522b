import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The item calls the dispatcher's `DynamoDbLedger` makes (lambda/ledger/dynamodb-ledger.ts), and no others. */
export const LEDGER_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** Props of {@link LaunchLedger}. */
export interface LaunchLedgerProps {
  /**
   * How long a ledger record is kept (`LEDGER_TTL_SECONDS`, DynamoDB TTL). The dispatcher refuses less
   * than a day: Scalr may re-deliver a webhook that long after.
   * @default 604800 (7 days)
   */
  readonly ttlSeconds?: number;
  /**
   * CloudFormation logical ID of the table, for a table that existed before under another construct
   * path: a new logical ID would replace the table and lose its records.
   * @default - derived from the construct path
   */
  readonly logicalId?: string;
  /**
   * What CloudFormation does with the table when it leaves the template (a redeploy without it, a
   * replacement, the stack's deletion).
   * @default RemovalPolicy.RETAIN - a key's record must outlive a redeploy that changes the launch
   * path (ECS remembers a client token 24 h, the record lives `ttlSeconds`): a template that dropped
   * or replaced the table must not take the records with it. Delete it by hand once the stack is gone
   * and `ttlSeconds` have passed.
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The launch ledger: one DynamoDB record per launch key, written with conditional writes, so a
 * re-delivered or retried webhook does not start a second agent — on launch paths the platform does
 * not make idempotent by itself (ACA, Spot then on-demand, failover), and across a redeploy that
 * changes the launch path (every deployed dispatcher consults it, plain ECS too). On demand: about
 * three writes per webhook (claim, attempt, completion).
 */
export class LaunchLedger extends Construct {
  /** Partition key `pk` (String); records expire through the TTL attribute `expiresAt`. */
  readonly table: dynamodb.Table;
  /** `LEDGER_TTL_SECONDS` given to the dispatcher. */
  readonly ttlSeconds: number;

  constructor(scope: Construct, id: string, props: LaunchLedgerProps = {}) {
    super(scope, id);
    this.ttlSeconds = props.ttlSeconds ?? 604_800;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      // Cheap at this size, and a bad deploy or a bug cannot erase the launch records for good.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encryption left at DynamoDB's default (an AWS owned key), as the ACA table always had it: the
      // records hold launch keys and task ids, no secrets, and a KMS key would add cost per request.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.logicalId) {
      (this.table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(props.logicalId);
    }
  }

  /** Settings the dispatcher function needs to use the ledger (see lambda/ledger/ledger-config.ts). */
  dispatcherEnvironment(): Record<string, string> {
    return {
      LEDGER_TABLE_NAME: this.table.tableName,
      LEDGER_TTL_SECONDS: String(this.ttlSeconds),
    };
  }

  /** Lets the role make the ledger's four item calls on this table only (no scans, queries or batch calls). */
  grantLedgerWrites(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeepLaunchLedger',
        actions: [...LEDGER_ITEM_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }
}
