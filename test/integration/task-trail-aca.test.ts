import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTrailStore } from '../../lambda/trail/memory-trail-store.js';
import { AcaRig } from '../support/aca-rig.js';
import { json, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';

function taskRequest(taskId: string) {
  return {
    method: 'GET',
    headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
    body: Buffer.alloc(0),
    taskId,
  };
}

describe('task trail on ACA: steps read from the execution status in ARM when asked', () => {
  let rig: AcaRig;
  afterEach(() => rig.stop());

  async function accepted(taskId: string) {
    // The trail as the consumer would have it from the dispatcher's log line; ARM gives the rest.
    rig = await new AcaRig().start({}, { trail: new MemoryTrailStore() });
    const answer = await rig.harness.deliver({
      body: scalrBody(taskId),
      headers: { 'Idempotency-Key': taskId },
    });
    expect(answer.statusCode).toBe(202);
    const execution = rig.azure.executions[0];
    if (execution === undefined) throw new Error('no execution started');
    return execution;
  }

  it('answers RUNNING with the execution start time while ARM says Running', async () => {
    const execution = await accepted('atask-aca-trail-1');

    const answer = await rig.harness.dispatch(taskRequest('atask-aca-trail-1'));

    expect(answer.statusCode).toBe(200);
    const trail = json(answer);
    expect(trail).toMatchObject({
      taskId: 'atask-aca-trail-1',
      status: 'RUNNING',
      platform: 'aca',
      launchId: execution.id,
    });
    expect((trail.steps as Record<string, string>).running).toBe(
      new Date(execution.startedAt ?? 0).toISOString(),
    );
    expect(rig.azure.calls.GetExecution).toBe(1);
  });

  it('answers STOPPED with exit code 0 for Succeeded and the stop code for Failed', async () => {
    const execution = await accepted('atask-aca-trail-2');
    execution.status = 'Failed';
    execution.endedAt = Date.now();

    const trail = json(await rig.harness.dispatch(taskRequest('atask-aca-trail-2')));

    expect(trail).toMatchObject({ status: 'STOPPED', stopCode: 'Failed' });
    expect(trail.exitCode).toBeUndefined();
    expect((trail.steps as Record<string, string>).stopped).toBe(new Date(execution.endedAt).toISOString());
  });

  it('answers 503 when ARM does not answer the status read in time', async () => {
    rig = await new AcaRig({
      faultFor: (operation) => (operation === 'GetExecution' ? { kind: 'hang' } : undefined),
    }).start({ LAUNCH_DEADLINE_MS: '2000' }, { trail: new MemoryTrailStore() });
    const delivered = await rig.harness.deliver({
      body: scalrBody('atask-aca-3'),
      headers: { 'Idempotency-Key': 'atask-aca-3' },
    });
    expect(delivered.statusCode).toBe(202);

    const answer = await rig.harness.dispatch(taskRequest('atask-aca-3'));

    expect(answer.statusCode).toBe(503);
    expect(json(answer).error).toMatchObject({ code: 'temporarily_unavailable' });
  });
});
