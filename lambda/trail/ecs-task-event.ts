import type { TrailUpdate } from './task-trail.js';

/** The fields of an ECS Task State Change event's `detail` the trail reads (a subset of the Task object). */
export interface EcsTaskDetail {
  readonly taskArn?: string;
  readonly clusterArn?: string;
  readonly lastStatus?: string;
  readonly startedBy?: string;
  readonly capacityProviderName?: string;
  readonly createdAt?: string;
  readonly pullStartedAt?: string;
  /** When the last image pull of the task completed (set from PENDING on; absent before). */
  readonly pullStoppedAt?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers?: readonly { name?: string; exitCode?: number; reason?: string }[];
  readonly overrides?: {
    readonly containerOverrides?: readonly {
      name?: string;
      environment?: readonly { name?: string; value?: string }[];
    }[];
  };
}

export interface EcsTaskEvent {
  readonly 'detail-type'?: string;
  readonly source?: string;
  readonly time?: string;
  readonly region?: string;
  readonly detail?: EcsTaskDetail;
}

export interface EcsEventContext {
  /** The agent container's name: its overrides carry the `DISPATCH_*` context, its exit code is the agent's. */
  readonly containerName: string;
  /** Agent log group and stream prefix (awslogs), for the log link; no link when unset. */
  readonly logGroup?: string;
  readonly logStreamPrefix?: string;
  /**
   * Region of `logGroup`. A task of another Region (failover, events forwarded here) logs to that
   * Region's stack's own group, whose name this one does not know: no link for it.
   * @default - any Region
   */
  readonly logRegion?: string;
}

const iso = (value: string | undefined) =>
  value !== undefined && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;

/**
 * The trail report of one ECS Task State Change event, or undefined when the task is not an agent
 * task of this dispatcher (no `DISPATCH_TASK_ID` override). Times come from the task's own
 * timestamps, not from when the event arrived, so a repeated event reports the same times.
 */
export function updateFromEcsEvent(event: EcsTaskEvent, context: EcsEventContext): TrailUpdate | undefined {
  const detail = event.detail;
  if (event['detail-type'] !== 'ECS Task State Change' || detail === undefined) return undefined;
  const override = detail.overrides?.containerOverrides?.find((o) => o.name === context.containerName);
  const env = new Map((override?.environment ?? []).map((entry) => [entry.name, entry.value]));
  const taskId = env.get('DISPATCH_TASK_ID');
  if (taskId === undefined || taskId === '') return undefined;

  const status = detail.lastStatus;
  const stopped = status === 'STOPPED';
  const agent = detail.containers?.find((c) => c.name === context.containerName);
  const region = event.region ?? /^arn:[^:]+:ecs:([^:]+):/.exec(detail.taskArn ?? '')?.[1];
  return {
    taskId,
    facts: {
      runId: env.get('DISPATCH_RUN_ID'),
      workspaceId: env.get('DISPATCH_WORKSPACE_ID'),
      environmentId: env.get('DISPATCH_ENVIRONMENT_ID'),
      action: env.get('DISPATCH_ACTION'),
      manual: env.has('DISPATCH_MANUAL') ? env.get('DISPATCH_MANUAL') === 'true' : undefined,
      platform: 'ecs',
      launchId: detail.taskArn,
      capacityProvider: detail.capacityProviderName,
      region,
      logsUrl: logsUrl(context, region, detail.taskArn),
      imagePullMs: imagePullMs(detail),
    },
    steps: {
      provisioning: iso(detail.createdAt),
      // A PENDING event without a pull time (no image pull yet) still marks the step.
      pending: iso(detail.pullStartedAt) ?? (status === 'PENDING' ? iso(event.time) : undefined),
      running: iso(detail.startedAt) ?? (status === 'RUNNING' ? iso(event.time) : undefined),
      stopped: stopped ? (iso(detail.stoppedAt) ?? iso(event.time)) : undefined,
    },
    stop: stopped
      ? { stopCode: detail.stopCode, stopReason: detail.stoppedReason, exitCode: agent?.exitCode }
      : undefined,
  };
}

/**
 * How long the task's image pulls took (`pullStoppedAt - pullStartedAt`), once ECS reports both:
 * the task's own timestamps, so every event of the task that has them gives the same figure.
 * Never negative (both come from one clock, but a bad value must not poison the percentiles).
 */
function imagePullMs(detail: EcsTaskDetail): number | undefined {
  const started = iso(detail.pullStartedAt);
  const stopped = iso(detail.pullStoppedAt);
  if (started === undefined || stopped === undefined) return undefined;
  return Math.max(0, Date.parse(stopped) - Date.parse(started));
}

/** CloudWatch console link to the agent container's awslogs stream (`<prefix>/<container>/<task id>`). */
function logsUrl(context: EcsEventContext, region: string | undefined, taskArn: string | undefined) {
  const ecsTaskId = taskArn?.split('/').pop();
  if (!context.logGroup || !context.logStreamPrefix || !region || !ecsTaskId) return undefined;
  if (context.logRegion !== undefined && context.logRegion !== region) return undefined;
  const stream = `${context.logStreamPrefix}/${context.containerName}/${ecsTaskId}`;
  // The console's fragment encodes '%' once more as '$25'.
  const part = (text: string) => encodeURIComponent(encodeURIComponent(text)).replaceAll('%', '$');
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${part(context.logGroup)}/log-events/${part(stream)}`;
}
