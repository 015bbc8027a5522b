import type { LaunchRequest, LaunchResult } from '../launchers/launcher.js';
import type { TrailUpdate } from './task-trail.js';

/** The message of the dispatcher's log line for an accepted webhook; the trail is fed from it. */
export const ACCEPTED_MESSAGE = 'launch accepted';

/** What the dispatcher knew when the platform accepted: the report for the trail. */
export function acceptedUpdate(
  request: LaunchRequest,
  result: LaunchResult,
  receivedAt: number,
  acceptedAt: number,
): TrailUpdate {
  const details = result.details ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    taskId: request.taskId,
    facts: {
      dedupKey: request.dedupKey,
      runId: request.runId,
      workspaceId: request.workspaceId,
      environmentId: request.environmentId,
      action: request.action,
      manual: request.manual,
      target: text(details.target),
      platform: result.platform,
      launchId: result.launchId,
      capacityProvider: text(details.capacityProvider),
      region: text(details.region),
    },
    // A duplicate delivery was received later than the launch: only the first one's times count.
    steps: result.duplicate
      ? {}
      : { received: new Date(receivedAt).toISOString(), accepted: new Date(acceptedAt).toISOString() },
  };
}

/**
 * The report carried by one dispatcher log line (`launch accepted`, with `outcome`, `time`,
 * `durationMs` and the correlation fields), or undefined for any other line.
 */
export function updateFromLogLine(line: string): TrailUpdate | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (entry.message !== ACCEPTED_MESSAGE || typeof entry.taskId !== 'string') return undefined;
  const acceptedAt = Date.parse(String(entry.time));
  if (Number.isNaN(acceptedAt)) return undefined;
  const text = (name: string) => (typeof entry[name] === 'string' ? (entry[name] as string) : undefined);
  const request: LaunchRequest = {
    taskId: entry.taskId,
    dedupKey: text('dedupKey') ?? entry.taskId,
    manual: entry.manual === true,
    action: text('action'),
    runId: text('runId'),
    workspaceId: text('workspaceId'),
    environmentId: text('environmentId'),
    deadline: 0,
  };
  const result: LaunchResult = {
    platform: text('platform') ?? 'unknown',
    launchId: text('launchId') ?? '',
    duplicate: entry.outcome === 'duplicate',
    details: {
      target: text('target') ?? '',
      capacityProvider: text('capacityProvider') ?? '',
      region: text('region') ?? '',
    },
  };
  const durationMs = typeof entry.durationMs === 'number' ? entry.durationMs : 0;
  const update = acceptedUpdate(request, result, acceptedAt - durationMs, acceptedAt);
  const facts = Object.fromEntries(Object.entries(update.facts ?? {}).filter(([, v]) => v !== ''));
  return { ...update, facts };
}
