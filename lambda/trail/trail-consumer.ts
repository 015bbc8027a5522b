import { gunzipSync } from 'node:zlib';
import type { Logger } from '../log/logger.js';
import type { EmfWriter } from '../metrics/emf.js';
import { updateFromLogLine } from './accepted-log.js';
import { type EcsEventContext, type EcsTaskEvent, updateFromEcsEvent } from './ecs-task-event.js';
import type { StatusSweep } from './status-sweep.js';
import type { TaskTrail, TrailStop, TrailUpdate } from './task-trail.js';
import type { TrailStore } from './trail-store.js';

/** The store calls the consumer makes: record reports, and find overdue trails for the sweep. */
export interface ConsumerStore extends Pick<TrailStore, 'record'> {
  overdue(from: number, to: number, signal: AbortSignal): Promise<string[]>;
}

export interface TrailConsumerOptions {
  readonly store: ConsumerStore;
  readonly metrics: EmfWriter;
  readonly logger: Logger;
  readonly ecs: EcsEventContext;
  /** A trail accepted this long ago and neither RUNNING nor STOPPED is overdue. */
  readonly notRunningAfterMs: number;
  /** How far back the sweep looks past `notRunningAfterMs`: older overdue trails stop counting. */
  readonly sweepWindowMs: number;
  /**
   * Platforms without task events (ACA): each sweep first asks the platform about unfinished trails
   * and records RUNNING and the exit, within the pass's own deadline.
   * @default - none (ECS reports through its events)
   */
  readonly statusSweep?: StatusSweep;
  readonly now?: () => number;
}

/** A CloudWatch Logs subscription delivery (base64 gzip JSON). */
interface LogsEvent {
  readonly awslogs: { readonly data: string };
}

/** What the sweep found; the Lambda returns it, which helps a manual invoke. */
export interface SweepResult {
  readonly overdue: number;
  readonly taskIds: readonly string[];
}

const SHOWN_IDS = 20;

/**
 * Keeps the task trails: the dispatcher's `launch accepted` log lines (received, accepted), the ECS
 * Task State Change events (provisioning to stopped), and a scheduled sweep that counts trails
 * accepted but not RUNNING in time — an absence no event reports. Every report is idempotent, so
 * EventBridge's and the subscription's retries and duplicates are harmless; metrics are emitted
 * only when a step is recorded for the first time.
 */
export class TrailConsumer {
  private readonly now: () => number;

  constructor(private readonly options: TrailConsumerOptions) {
    this.now = options.now ?? Date.now;
  }

  async handle(event: unknown, signal: AbortSignal): Promise<SweepResult | { recorded: number }> {
    const input = event as Partial<LogsEvent> & EcsTaskEvent;
    if (input.awslogs?.data !== undefined)
      return { recorded: await this.fromLogs(input.awslogs.data, signal) };
    if (input['detail-type'] === 'Scheduled Event') return this.sweep(signal);
    if (input['detail-type'] === 'ECS Task State Change') {
      const update = updateFromEcsEvent(input, this.options.ecs);
      if (update === undefined) return { recorded: 0 };
      await this.record(update, signal);
      return { recorded: 1 };
    }
    this.options.logger.warn('event ignored', { source: input.source, detailType: input['detail-type'] });
    return { recorded: 0 };
  }

  /** Counts overdue trails and emits `OverdueTasks` (also when 0, so the alarm always has data). */
  async sweep(signal: AbortSignal): Promise<SweepResult> {
    const to = this.now() - this.options.notRunningAfterMs;
    const from = to - this.options.sweepWindowMs;
    await this.statusPass(from, signal);
    const taskIds = await this.options.store.overdue(from, to, signal);
    this.options.metrics.emit([{ name: 'OverdueTasks', value: taskIds.length, unit: 'Count' }]);
    if (taskIds.length > 0) {
      this.options.logger.warn('tasks accepted but not RUNNING in time', {
        overdue: taskIds.length,
        taskIds: taskIds.slice(0, SHOWN_IDS).join(','),
      });
    }
    return { overdue: taskIds.length, taskIds: taskIds.slice(0, SHOWN_IDS) };
  }

  /**
   * Asks the platforms without events about unfinished trails first, so a healthy ACA agent is
   * RUNNING before the count. Its failure never stops the count: the alarm must keep its data.
   */
  private async statusPass(from: number, signal: AbortSignal): Promise<void> {
    const sweep = this.options.statusSweep;
    if (sweep === undefined) return;
    try {
      const pass = await sweep.run(from, signal, (update, s) => this.record(update, s));
      // A pass skipped while the platform's Retry-After runs still counts: the reads are not being made.
      const failures = pass.throttled ? Math.max(1, pass.failed) : pass.failed;
      this.options.metrics.emit([{ name: 'StatusReadFailures', value: failures, unit: 'Count' }]);
    } catch (error) {
      this.options.metrics.emit([{ name: 'StatusReadFailures', value: 1, unit: 'Count' }]);
      this.options.logger.warn('status sweep failed', { error: (error as Error).name });
    }
  }

  private async fromLogs(data: string, signal: AbortSignal): Promise<number> {
    const batch = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as {
      messageType?: string;
      logEvents?: { message?: string }[];
    };
    if (batch.messageType !== 'DATA_MESSAGE') return 0;
    let recorded = 0;
    for (const entry of batch.logEvents ?? []) {
      const update = updateFromLogLine(entry.message ?? '');
      if (update === undefined) continue;
      await this.record(update, signal);
      recorded++;
    }
    return recorded;
  }

  private async record(update: TrailUpdate, signal: AbortSignal): Promise<void> {
    const before = await this.options.store.record(update, signal);
    this.firstTimeMetrics(before, update);
  }

  /**
   * `TimeToRunning` when RUNNING is first recorded (once without dimensions, once by `Platform` and
   * `Region` for the per-platform percentiles); `ImagePullTime` by `Platform` and `Region` when the
   * pull duration is; `AgentsStopped` by exit and stop code when STOPPED is. "First" is what the
   * store's answer (the trail before this report) says, so a repeated or late event emits nothing.
   */
  private firstTimeMetrics(before: TaskTrail | undefined, update: TrailUpdate): void {
    const pullMs = update.facts?.imagePullMs;
    if (pullMs !== undefined && before?.imagePullMs === undefined) {
      this.options.metrics.emit(
        [{ name: 'ImagePullTime', value: pullMs, unit: 'Milliseconds' }],
        runningDimensions(before, update),
        { taskId: update.taskId },
      );
    }
    const running = update.steps?.running;
    if (running !== undefined && before?.steps.running === undefined) {
      const from =
        before?.steps.received ??
        update.steps?.received ??
        before?.steps.provisioning ??
        update.steps?.provisioning;
      if (from !== undefined) {
        // Clocks of two services: never negative, or CloudWatch drops the percentiles of the period.
        const value = Math.max(0, Date.parse(running) - Date.parse(from));
        const metric = [{ name: 'TimeToRunning', value, unit: 'Milliseconds' as const }];
        this.options.metrics.emit(metric, {}, { taskId: update.taskId });
        this.options.metrics.emit(metric, runningDimensions(before, update), { taskId: update.taskId });
      }
    }
    if (update.steps?.stopped !== undefined && before?.steps.stopped === undefined) {
      const exitCode = update.stop?.exitCode;
      this.options.metrics.emit(
        [{ name: 'AgentsStopped', value: 1, unit: 'Count' }],
        {
          ExitCode: exitCode === undefined ? 'none' : String(exitCode),
          StopCode: update.stop?.stopCode ?? 'none',
        },
        { taskId: update.taskId },
      );
      // An agent that stopped without ever RUNNING failed, whatever stopped it (a UserInitiated stop of
      // a task stuck in PENDING has no exit code and no failed stop code).
      const neverRan = before?.steps.running === undefined && update.steps?.running === undefined;
      if (isFailure(update.stop) || neverRan) {
        this.options.metrics.emit(
          [{ name: 'AgentFailures', value: 1, unit: 'Count' }],
          { Platform: runningDimensions(before, update).Platform as string },
          { taskId: update.taskId, exitCode, stopCode: update.stop?.stopCode },
        );
      }
    }
  }
}

/** Where the agent ran, for `TimeToRunning` by platform and Region; `unknown` when no report said. */
export function runningDimensions(
  before: TaskTrail | undefined,
  update: TrailUpdate,
): Record<string, string> {
  return {
    Platform: update.facts?.platform ?? before?.platform ?? 'unknown',
    Region: update.facts?.region ?? before?.region ?? 'unknown',
  };
}

/** Stops without an exit code that are failures: ECS could not start the task; ACA's non-success states. */
const FAILED_STOPS = new Set(['TaskFailedToStart', 'Failed', 'Degraded', 'Stopped']);

/** A non-zero exit, or a stop that never gave one because the agent failed (the alarm's definition). */
export function isFailure(stop: TrailStop | undefined): boolean {
  if (stop?.exitCode !== undefined) return stop.exitCode !== 0;
  return FAILED_STOPS.has(stop?.stopCode ?? '');
}
