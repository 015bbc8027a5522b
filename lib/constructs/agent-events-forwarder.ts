import { Stack } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Props of {@link AgentEventsForwarder}. */
export interface AgentEventsForwarderProps {
  /** The agent cluster in this (the failover) Region. */
  readonly cluster: ecs.ICluster;
  /** The primary stack's Region, whose default event bus receives the events. */
  readonly targetRegion: string;
  /**
   * Prefix of the `startedBy` the dispatcher sets on RunTask.
   * @default 'scalr-'
   */
  readonly startedByPrefix?: string;
}

/**
 * In a failover Region's stack: sends every state change of its agent tasks to the primary Region's
 * default event bus (EventBridge cross-Region routing), where the primary's trail consumer and
 * agent-failure rule match them like their own cluster's. One writer per trail, one alarm, one
 * dashboard; EventBridge retries a delivery for up to 24 hours (docs/operations.md, "Failover agents").
 */
export class AgentEventsForwarder extends Construct {
  readonly rule: events.Rule;
  readonly role: iam.Role;
  /** ARN of the primary Region's default event bus. */
  readonly targetBusArn: string;

  constructor(scope: Construct, id: string, props: AgentEventsForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.targetBusArn = stack.formatArn({
      service: 'events',
      region: props.targetRegion,
      resource: 'event-bus',
      resourceName: 'default',
    });
    // A cross-Region bus target needs a role EventBridge assumes to put the events there.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Forwards the Scalr agent task events of this Region to ${props.targetRegion}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PutToPrimaryBus',
        actions: ['events:PutEvents'],
        resources: [this.targetBusArn],
      }),
    );
    this.rule = new events.Rule(this, 'Rule', {
      description: `Every state change of the Scalr agent tasks, to the primary Region ${props.targetRegion}`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.cluster.clusterArn],
          startedBy: [{ prefix: props.startedByPrefix ?? 'scalr-' }],
        },
      },
      targets: [
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'PrimaryBus', this.targetBusArn), {
          role: this.role,
        }),
      ],
    });
  }
}
