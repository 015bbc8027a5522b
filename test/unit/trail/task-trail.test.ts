import { describe, expect, it } from 'vitest';
import { updateFromLogLine } from '../../../lambda/trail/accepted-log.js';
import { updateFromEcsEvent } from '../../../lambda/trail/ecs-task-event.js';
import { MemoryTrailStore } from '../../../lambda/trail/memory-trail-store.js';
import { checkedTaskId } from '../../../lambda/trail/task-answer.js';
import { applyUpdate, statusOf } from '../../../lambda/trail/task-trail.js';

const T = (s: number) => new Date(Date.UTC(2026, 10, 2, 10, 0, s)).toISOString();

describe('task trail merge', () => {
  it('derives the status from the latest step present, whatever the order of arrival', () => {
    expect(statusOf({})).toBe('RECEIVED');
    expect(statusOf({ running: T(9), provisioning: T(1) })).toBe('RUNNING');
    expect(statusOf({ stopped: T(30), accepted: T(0) })).toBe('STOPPED');
  });

  it('keeps the first value of every fact and step: a late or repeated report changes nothing', () => {
    const first = applyUpdate(undefined, {
      taskId: 'atask-1',
      facts: { launchId: 'arn:1' },
      steps: { running: T(9) },
    });
    const after = applyUpdate(first, {
      taskId: 'atask-1',
      facts: { launchId: 'arn:other', runId: 'run-1' },
      steps: { running: T(50), provisioning: T(1) },
    });

    expect(after).toMatchObject({ launchId: 'arn:1', runId: 'run-1', status: 'RUNNING' });
    expect(after.steps).toEqual({ running: T(9), provisioning: T(1) });
  });

  it('memory store returns the trail as it was before each report', async () => {
    const store = new MemoryTrailStore(2);
    expect(await store.record({ taskId: 'a', steps: { accepted: T(0) } })).toBeUndefined();
    expect((await store.record({ taskId: 'a', steps: { running: T(5) } }))?.status).toBe('ACCEPTED');
    await store.record({ taskId: 'b' });
    await store.record({ taskId: 'c' });
    expect(await store.read('a')).toBeUndefined();
  });
});

describe('reports from the sources', () => {
  it('reads Scalr ids from the agent container overrides of an ECS event, and ignores other containers', () => {
    const event = {
      'detail-type': 'ECS Task State Change',
      region: 'eu-west-1',
      detail: {
        taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/agents/0123abcd',
        lastStatus: 'STOPPED',
        createdAt: T(0),
        startedAt: T(8),
        stoppedAt: T(40),
        stopCode: 'EssentialContainerExited',
        containers: [
          { name: 'sidecar', exitCode: 0 },
          { name: 'scalr-agent', exitCode: 2 },
        ],
        overrides: {
          containerOverrides: [
            { name: 'sidecar', environment: [{ name: 'DISPATCH_TASK_ID', value: 'wrong' }] },
            {
              name: 'scalr-agent',
              environment: [
                { name: 'DISPATCH_TASK_ID', value: 'atask-9' },
                { name: 'DISPATCH_RUN_ID', value: 'run-9' },
              ],
            },
          ],
        },
      },
    };

    const update = updateFromEcsEvent(event, {
      containerName: 'scalr-agent',
      logGroup: '/stack/agent',
      logStreamPrefix: 'agent',
    });

    expect(update).toMatchObject({
      taskId: 'atask-9',
      facts: { runId: 'run-9', platform: 'ecs' },
      steps: { provisioning: T(0), running: T(8), stopped: T(40) },
      stop: { exitCode: 2, stopCode: 'EssentialContainerExited' },
    });
    expect(update?.facts?.logsUrl).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fstack$252Fagent/log-events/agent$252Fscalr-agent$252F0123abcd',
    );
  });

  it('takes received and accepted from a launched log line, only the facts from a duplicate', () => {
    const line = (outcome: string) =>
      JSON.stringify({
        time: T(2),
        message: 'launch accepted',
        outcome,
        taskId: 'atask-3',
        dedupKey: 'atask-3',
        durationMs: 2000,
        platform: 'ecs',
        launchId: 'arn:task',
        capacityProvider: 'FARGATE_SPOT',
      });

    expect(updateFromLogLine(line('launched'))).toMatchObject({
      taskId: 'atask-3',
      facts: { capacityProvider: 'FARGATE_SPOT', launchId: 'arn:task' },
      steps: { received: T(0), accepted: T(2) },
    });
    expect(updateFromLogLine(line('duplicate'))?.steps).toEqual({});
    expect(updateFromLogLine('{"message":"launch failed","taskId":"x"}')).toBeUndefined();
  });

  it("takes an ACA job's location from the accepted line as the trail's region; none on ECS lines", () => {
    const line = (extra: Record<string, unknown>) =>
      JSON.stringify({ time: T(2), message: 'launch accepted', taskId: 'atask-4', durationMs: 1, ...extra });

    expect(updateFromLogLine(line({ platform: 'aca', region: 'westeurope' }))?.facts?.region).toBe(
      'westeurope',
    );
    expect(updateFromLogLine(line({ platform: 'ecs' }))?.facts).not.toHaveProperty('region');
  });

  it('gives the image pull duration of an ECS event only when both pull times are there', () => {
    const event = (detail: Record<string, unknown>) => ({
      'detail-type': 'ECS Task State Change',
      region: 'eu-west-1',
      detail: {
        lastStatus: 'RUNNING',
        overrides: {
          containerOverrides: [
            { name: 'agent', environment: [{ name: 'DISPATCH_TASK_ID', value: 'atask-5' }] },
          ],
        },
        ...detail,
      },
    });
    const pullOf = (detail: Record<string, unknown>) =>
      updateFromEcsEvent(event(detail), { containerName: 'agent' })?.facts?.imagePullMs;

    expect(pullOf({ pullStartedAt: T(1), pullStoppedAt: T(7) })).toBe(6_000);
    expect(pullOf({ pullStartedAt: T(1) })).toBeUndefined();
    expect(pullOf({ pullStartedAt: T(1), pullStoppedAt: 'not a time' })).toBeUndefined();
    expect(pullOf({ pullStartedAt: T(7), pullStoppedAt: T(1) })).toBe(0);
  });

  it('checks the task id of GET /tasks/{taskId}, naming the field', () => {
    expect(checkedTaskId('atask-v0abc%3A1')).toBe('atask-v0abc:1');
    for (const bad of ['', '-lead', 'a'.repeat(129), 'a b', 'a%2Fb']) {
      expect(() => checkedTaskId(bad)).toThrow(expect.objectContaining({ field: 'taskId' }));
    }
  });
});
