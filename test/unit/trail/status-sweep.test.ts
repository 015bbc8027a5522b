import { describe, expect, it } from 'vitest';
import { Logger } from '../../../lambda/log/logger.js';
import { StatusSweep, throttleBackoffMs } from '../../../lambda/trail/status-sweep.js';
import type { TaskTrail, TrailUpdate } from '../../../lambda/trail/task-trail.js';
import { isFailure } from '../../../lambda/trail/trail-consumer.js';

const headers = (value?: string) => ({ get: (name: string) => (name === 'retry-after' ? value : undefined) });

describe('throttleBackoffMs', () => {
  it('reads Retry-After in seconds or as a date, defaults to a minute, and ignores other errors', () => {
    const now = Date.parse('2026-12-04T10:00:00Z');
    expect(throttleBackoffMs({ statusCode: 429, response: { headers: headers('17') } }, now)).toBe(17_000);
    expect(
      throttleBackoffMs(
        { statusCode: 429, response: { headers: headers('Fri, 04 Dec 2026 10:00:30 GMT') } },
        now,
      ),
    ).toBe(30_000);
    expect(throttleBackoffMs({ statusCode: 429, response: { headers: headers() } }, now)).toBe(60_000);
    expect(throttleBackoffMs({ statusCode: 503, response: { headers: headers('5') } }, now)).toBeUndefined();
    expect(throttleBackoffMs(new Error('socket hang up'), now)).toBeUndefined();
  });
});

describe('isFailure', () => {
  it('is a non-zero exit, or a stop that never gave one because the agent failed', () => {
    expect(isFailure({ exitCode: 0, stopCode: 'EssentialContainerExited' })).toBe(false);
    expect(isFailure({ exitCode: 0, stopCode: 'Succeeded' })).toBe(false);
    expect(isFailure({ exitCode: 137 })).toBe(true);
    expect(isFailure({ stopCode: 'TaskFailedToStart' })).toBe(true);
    expect(isFailure({ stopCode: 'Failed' })).toBe(true);
    expect(isFailure({ stopCode: 'SpotInterruption' })).toBe(false);
    expect(isFailure(undefined)).toBe(false);
  });
});

describe('StatusSweep', () => {
  const trail = (taskId: string, platform: string): TaskTrail => ({
    taskId,
    platform,
    launchId: `/x/executions/${taskId}`,
    status: 'ACCEPTED',
    steps: {},
  });

  it('asks only about trails of its platform and ends a pass of hung reads by its own budget', async () => {
    const trails = new Map([
      ['a', trail('a', 'aca')],
      ['b', trail('b', 'ecs')],
      ['c', trail('c', 'aca')],
    ]);
    const asked: string[] = [];
    const sweep = new StatusSweep({
      source: {
        platform: 'aca',
        read: (t, signal) => {
          asked.push(t.taskId);
          // Never answers: only the signal ends it.
          return new Promise<TrailUpdate | undefined>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        },
      },
      store: {
        unfinished: async () => [...trails.keys()],
        read: async (taskId) => trails.get(taskId),
      },
      logger: new Logger(() => undefined),
      budgetMs: 200,
      readTimeoutMs: 60_000,
      maxReads: 10,
      concurrency: 1,
    });

    const pass = await sweep.run(0, AbortSignal.timeout(10_000), async () => undefined);

    expect(asked).toEqual(['a']);
    expect(pass).toMatchObject({ read: 0, throttled: false });
    // 'a' failed by the budget; 'b' and 'c' were never reached.
    expect(pass.failed).toBe(3);
  });
});
