import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startedByFor } from '../../lambda/launchers/ecs/client-token.js';
import { AGENT_TOKEN, Harness, json, scalrBody, toRequest, WEBHOOK_SECRET } from '../support/harness.js';

describe('ECS dispatch through the real SDK against the local stand-in', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(() => h.stop());

  it('answers 202 naming the task once ECS accepted the launch', async () => {
    const answer = await h.deliver({ body: scalrBody('atask-1'), headers: { 'Idempotency-Key': 'atask-1' } });

    expect(answer.statusCode).toBe(202);
    const body = json(answer);
    expect(body).toMatchObject({ status: 'accepted', platform: 'ecs', taskId: 'atask-1', duplicate: false });
    expect(body.launchId).toBe(h.standIn.tasks[0]?.taskArn);
    expect(h.standIn.tasks).toHaveLength(1);
  });

  it('sends RunTask with clientToken, startedBy, tags, network and context overrides but no secret', async () => {
    await h.deliver({ body: scalrBody('atask-2'), headers: { 'Idempotency-Key': 'atask-2' } });

    const input = h.standIn.tasks[0]?.input;
    expect(input).toMatchObject({
      cluster: 'agents',
      taskDefinition: 'scalr-agent',
      count: 1,
      clientToken: 'atask-2',
      startedBy: startedByFor('atask-2'),
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      propagateTags: 'TASK_DEFINITION',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
          securityGroups: ['sg-0123456789abcdef0'],
          assignPublicIp: 'ENABLED',
        },
      },
    });
    expect(input?.tags).toContainEqual({ key: 'scalr:task-id', value: 'atask-2' });
    expect(input?.tags).toContainEqual({ key: 'scalr:run-id', value: 'run-v0abc123' });
    const overrides = JSON.stringify(input?.overrides);
    expect(overrides).toContain('"DISPATCH_TASK_ID"');
    expect(overrides).toContain('"DISPATCH_ACTION"');
    expect(overrides).not.toContain(AGENT_TOKEN);
    expect(JSON.stringify(input)).not.toContain(WEBHOOK_SECRET);
  });

  it('starts exactly one task when the same key arrives 50 times at once and again later', async () => {
    const deliver = () =>
      h.deliver({ body: scalrBody('atask-dup'), headers: { 'Idempotency-Key': 'atask-dup' } });

    const answers = await Promise.all(Array.from({ length: 50 }, deliver));
    const later = await deliver();

    expect(answers.every((answer) => answer.statusCode === 202)).toBe(true);
    expect(later.statusCode).toBe(202);
    expect(h.standIn.tasks).toHaveLength(1);
    const ids = new Set([...answers, later].map((answer) => json(answer).launchId));
    expect(ids).toEqual(new Set([h.standIn.tasks[0]?.taskArn]));
    expect(json(later).duplicate).toBe(true);
  });

  it('starts one task per key across separate containers, through the clientToken alone', async () => {
    const containers = [h.dispatch, h.another(), h.another()];
    const request = toRequest({ body: scalrBody('atask-x'), headers: { 'Idempotency-Key': 'atask-x' } });

    const answers = await Promise.all(
      containers.flatMap((dispatch) => [dispatch(request), dispatch(request)]),
    );

    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(h.standIn.tasks).toHaveLength(1);
    expect(h.standIn.calls.RunTask).toBe(3);
  });
});
