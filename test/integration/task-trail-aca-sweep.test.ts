import { afterEach, describe, expect, it } from 'vitest';
import { createExecutionReader, updateFromExecution } from '../../lambda/launchers/aca/execution-status.js';
import { Logger } from '../../lambda/log/logger.js';
import { EmfWriter } from '../../lambda/metrics/emf.js';
import { acaStatusSource } from '../../lambda/trail/aca-status-source.js';
import { DynamoDbTrailStore } from '../../lambda/trail/dynamodb-trail-store.js';
import { StatusSweep } from '../../lambda/trail/status-sweep.js';
import { TrailConsumer } from '../../lambda/trail/trail-consumer.js';
import { AcaRig, acaEnv } from '../support/aca-rig.js';
import type { AzureFault, AzureOperation, AzureStandInOptions } from '../support/azure-stand-in.js';
import { json, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';
import { logsSubscriptionEvent, startTrailTable } from '../support/trail-table.js';

const MINUTE = 60_000;

/**
 * ACA agents in the trail: the dispatcher (real Azure SDK) starts executions on the ARM stand-in,
 * its accepted lines feed the consumer, and each sweep reads the executions from ARM, records
 * RUNNING and the exit, and only then counts what is overdue — one alarm for both platforms.
 */
describe('ACA status sweep: RUNNING and exits from ARM, and the not-RUNNING count', () => {
  let rig: AcaRig;
  let table: Awaited<ReturnType<typeof startTrailTable>>;
  let store: DynamoDbTrailStore;
  let consumer: TrailConsumer;
  let metricLines: Record<string, unknown>[];
  let warnings: string[];
  let now: number;
  const signal = () => AbortSignal.timeout(20_000);

  async function setUp(azure: Partial<AzureStandInOptions> = {}, readTimeoutMs = 2_000) {
    rig = await new AcaRig(azure).start({}, { tasks: (taskId, s) => store.read(taskId, s) });
    table = await startTrailTable();
    store = new DynamoDbTrailStore(table.client, { tableName: table.tableName, ttlSeconds: 7 * 86_400 });
    metricLines = [];
    warnings = [];
    now = Date.now();
    const logger = new Logger((line) => {
      if (line.includes('"warn"')) warnings.push(line);
    });
    consumer = new TrailConsumer({
      store,
      metrics: new EmfWriter('AgentDispatcher/Test', (line) => metricLines.push(JSON.parse(line))),
      logger,
      ecs: { containerName: 'agent' },
      notRunningAfterMs: 10 * MINUTE,
      sweepWindowMs: 360 * MINUTE,
      now: () => now,
      statusSweep: new StatusSweep({
        source: acaStatusSource(createExecutionReader(acaEnv(rig.endpoint)), updateFromExecution),
        store,
        logger,
        budgetMs: 15_000,
        readTimeoutMs,
        maxReads: 100,
        concurrency: 2,
        now: () => now,
      }),
    });
  }
  afterEach(async () => {
    await rig.stop();
    await table.stop();
  });

  async function accept(taskId: string) {
    const answer = await rig.harness.deliver({
      body: scalrBody(taskId),
      headers: { 'Idempotency-Key': taskId },
    });
    expect(answer.statusCode).toBe(202);
    const line = rig.harness.logs.find((l) => l.includes('"launch accepted"') && l.includes(taskId));
    await consumer.handle(logsSubscriptionEvent([line ?? '']), signal());
    const execution = rig.azure.executions.find((e) =>
      e.template.containers?.some((c) =>
        c.env?.some((v) => v.name === 'DISPATCH_TASK_ID' && v.value === taskId),
      ),
    );
    if (execution === undefined) throw new Error('no execution started');
    return execution;
  }
  const trailOf = async (taskId: string) =>
    json(
      await rig.harness.dispatch({
        method: 'GET',
        headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
        body: Buffer.alloc(0),
        taskId,
      }),
    );
  const metric = (name: string) => metricLines.filter((line) => name in line);

  it('records RUNNING, then the exit, of a healthy execution; nothing is overdue', async () => {
    await setUp();
    const execution = await accept('atask-sweep-1');

    now = Date.now() + 11 * MINUTE;
    expect(await consumer.sweep(signal())).toMatchObject({ overdue: 0 });
    expect(await trailOf('atask-sweep-1')).toMatchObject({
      status: 'RUNNING',
      platform: 'aca',
      region: 'westeurope',
    });

    execution.status = 'Succeeded';
    execution.endedAt = Date.now();
    expect(await consumer.sweep(signal())).toMatchObject({ overdue: 0 });

    const trail = await trailOf('atask-sweep-1');
    expect(trail).toMatchObject({ status: 'STOPPED', exitCode: 0, stopCode: 'Succeeded' });
    expect(trail.runningAfterMs).toBeGreaterThanOrEqual(0);
    // By the job's Azure location (from the dispatcher's accepted line), not a literal 'azure'.
    expect(metric('TimeToRunning').at(-1)).toMatchObject({ Platform: 'aca', Region: 'westeurope' });
    expect(metric('AgentsStopped')).toHaveLength(1);
    expect(metric('AgentFailures')).toHaveLength(0);
    expect(metric('StatusReadFailures').map((l) => l.StatusReadFailures)).toEqual([0, 0]);
    // A stopped trail is not asked about again.
    const reads = rig.azure.calls.GetExecution;
    await consumer.sweep(signal());
    expect(rig.azure.calls.GetExecution).toBe(reads);
  });

  it('counts AgentFailures for a Failed execution (the failure alarm) and an execution that never runs as overdue', async () => {
    await setUp();
    const failed = await accept('atask-sweep-2');
    const stuck = await accept('atask-sweep-3');
    failed.status = 'Failed';
    failed.endedAt = Date.now();
    stuck.status = 'Processing';

    now = Date.now() + 11 * MINUTE;
    const result = await consumer.sweep(signal());

    expect(result).toMatchObject({ overdue: 1, taskIds: ['atask-sweep-3'] });
    expect(metric('AgentFailures')).toEqual([expect.objectContaining({ Platform: 'aca', AgentFailures: 1 })]);
    expect(await trailOf('atask-sweep-2')).toMatchObject({ status: 'STOPPED', stopCode: 'Failed' });
    expect(await trailOf('atask-sweep-3')).toMatchObject({ status: 'PENDING' });
  });

  it('honours 429 + Retry-After: stops reading, counts what it could not read, and waits before asking again', async () => {
    let throttle = true;
    await setUp({
      faultFor: (operation: AzureOperation): AzureFault | undefined =>
        operation === 'GetExecution' && throttle
          ? { kind: 'status', status: 429, code: 'TooManyRequests', retryAfter: '120' }
          : undefined,
    });
    await accept('atask-sweep-4');
    await accept('atask-sweep-5');
    await accept('atask-sweep-6');
    now = Date.now() + 2 * MINUTE;

    const first = await consumer.sweep(signal());
    const readsAfterThrottle = rig.azure.calls.GetExecution;
    throttle = false;
    now += 60_000;
    await consumer.sweep(signal());

    expect(first.overdue).toBe(0);
    // Two workers each asked once before the 429 stopped them; the third trail was never asked.
    expect(readsAfterThrottle).toBeLessThanOrEqual(2);
    expect(rig.azure.calls.GetExecution).toBe(readsAfterThrottle);
    expect(metric('StatusReadFailures').map((l) => l.StatusReadFailures)).toEqual([3, 1]);
    expect(warnings.join('\n')).toContain('"retryAfterMs":120000');

    now += 61_000;
    await consumer.sweep(signal());
    expect(await trailOf('atask-sweep-6')).toMatchObject({ status: 'RUNNING' });
  });

  it('bounds a hung ARM read by its own timeout and still counts the overdue task', async () => {
    await setUp(
      { faultFor: (operation) => (operation === 'GetExecution' ? { kind: 'hang' } : undefined) },
      500,
    );
    await accept('atask-sweep-7');
    now = Date.now() + 11 * MINUTE;

    const result = await consumer.sweep(signal());

    expect(result).toMatchObject({ overdue: 1, taskIds: ['atask-sweep-7'] });
    expect(metric('StatusReadFailures').at(-1)).toMatchObject({ StatusReadFailures: 1 });
  });

  it('treats an execution ARM does not show yet (read lag) as unknown, not as a failure', async () => {
    await setUp({ getLagMs: 60 * MINUTE });
    await accept('atask-sweep-8');
    now = Date.now() + 2 * MINUTE;

    await consumer.sweep(signal());

    expect(await trailOf('atask-sweep-8')).toMatchObject({ status: 'ACCEPTED' });
    expect(metric('StatusReadFailures').at(-1)).toMatchObject({ StatusReadFailures: 0 });
    expect(metric('AgentFailures')).toHaveLength(0);
  });
});
