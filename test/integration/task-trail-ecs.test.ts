import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Logger } from '../../lambda/log/logger.js';
import { EmfWriter } from '../../lambda/metrics/emf.js';
import { DynamoDbTrailStore } from '../../lambda/trail/dynamodb-trail-store.js';
import { TrailConsumer } from '../../lambda/trail/trail-consumer.js';
import { Harness, json, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';
import { logsSubscriptionEvent, startTrailTable, taskStateEvent } from '../support/trail-table.js';

type Table = Awaited<ReturnType<typeof startTrailTable>>;
const MINUTE = 60_000;

/** A GET /tasks/{taskId} as API Gateway hands it to the function. */
function taskRequest(taskId: string, auth = `Bearer ${WEBHOOK_SECRET}`) {
  return { method: 'GET', headers: { authorization: auth }, body: Buffer.alloc(0), taskId };
}

describe('task trail on ECS: webhook log line + ECS events -> DynamoDB -> GET /tasks/{taskId}', () => {
  let table: Table;
  let harness: Harness;
  let store: DynamoDbTrailStore;
  let metricLines: Record<string, unknown>[];
  let consumer: TrailConsumer;
  let now: number;
  const signal = () => AbortSignal.timeout(5_000);

  beforeEach(async () => {
    table = await startTrailTable();
    now = Date.now();
    store = new DynamoDbTrailStore(table.client, { tableName: table.tableName, ttlSeconds: 7 * 86_400 });
    metricLines = [];
    consumer = new TrailConsumer({
      store,
      metrics: new EmfWriter('AgentDispatcher/Test', (line) => metricLines.push(JSON.parse(line))),
      logger: new Logger(() => undefined),
      ecs: { containerName: 'agent', logGroup: '/agents/logs', logStreamPrefix: 'agent' },
      notRunningAfterMs: 10 * MINUTE,
      sweepWindowMs: 360 * MINUTE,
      now: () => now,
    });
    harness = await new Harness().start({}, { tasks: (taskId, s) => store.read(taskId, s) });
  });
  afterEach(async () => {
    await harness.stop();
    await table.stop();
  });

  /** Sends the webhook and feeds its `launch accepted` log line to the consumer, as the subscription does. */
  async function acceptWebhook(taskId: string) {
    const answer = await harness.deliver({ body: scalrBody(taskId), headers: { 'idempotency-key': taskId } });
    expect(answer.statusCode).toBe(202);
    const line = harness.logs.find((l) => l.includes('"launch accepted"') && l.includes(taskId));
    await consumer.handle(logsSubscriptionEvent([line ?? '']), signal());
    const task = harness.standIn.tasks.find((t) =>
      (t.input.tags as { value: string }[]).some((tag) => tag.value === taskId),
    );
    if (task === undefined) throw new Error('no task started');
    return task;
  }
  const metric = (name: string) => metricLines.filter((line) => name in line);

  it('answers the whole trail with Scalr ids, steps in order, exit code, stop code and a log link', async () => {
    const task = await acceptWebhook('atask-trail-1');
    const created = task.createdAt;
    const times = {
      createdAt: created,
      pullStartedAt: created + 2_000,
      startedAt: created + 9_000,
      stoppedAt: created + 60_000,
    };
    await consumer.handle(taskStateEvent(task, 'PROVISIONING', { createdAt: created }), signal());
    await consumer.handle(taskStateEvent(task, 'RUNNING', times), signal());
    await consumer.handle(
      taskStateEvent(task, 'STOPPED', times, {
        exitCode: 0,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
      }),
      signal(),
    );

    const answer = await harness.dispatch(taskRequest('atask-trail-1'));

    expect(answer.statusCode).toBe(200);
    const trail = json(answer);
    expect(trail).toMatchObject({
      taskId: 'atask-trail-1',
      status: 'STOPPED',
      dedupKey: 'atask-trail-1',
      runId: 'run-v0abc123',
      workspaceId: 'ws-v0def456',
      environmentId: 'env-v0ghi789',
      action: 'plan',
      platform: 'ecs',
      launchId: task.taskArn,
      capacityProvider: 'FARGATE',
      exitCode: 0,
      stopCode: 'EssentialContainerExited',
    });
    const steps = trail.steps as Record<string, string>;
    expect(Object.keys(steps)).toEqual(
      expect.arrayContaining(['received', 'accepted', 'provisioning', 'pending', 'running', 'stopped']),
    );
    expect(steps.running).toBe(new Date(times.startedAt).toISOString());
    expect(Date.parse(steps.received as string)).toBeLessThanOrEqual(Date.parse(steps.accepted as string));
    expect(trail.logsUrl).toContain(
      encodeURIComponent(encodeURIComponent(task.taskArn.split('/').pop() as string)).replaceAll('%', '$'),
    );
    expect(answer.body).not.toContain(WEBHOOK_SECRET);
  });

  it('keeps the trail monotonic when events repeat and arrive out of order, and counts each step once', async () => {
    const task = await acceptWebhook('atask-trail-2');
    const created = task.createdAt;
    const running = { createdAt: created, pullStartedAt: created + 1_000, startedAt: created + 5_000 };
    const stopped = { ...running, stoppedAt: created + 30_000 };

    await consumer.handle(
      taskStateEvent(task, 'STOPPED', stopped, { exitCode: 3, stopCode: 'EssentialContainerExited' }),
      signal(),
    );
    await consumer.handle(taskStateEvent(task, 'RUNNING', running), signal());
    await consumer.handle(taskStateEvent(task, 'RUNNING', running), signal());
    await consumer.handle(taskStateEvent(task, 'PROVISIONING', { createdAt: created }), signal());
    await consumer.handle(
      taskStateEvent(task, 'STOPPED', stopped, { exitCode: 3, stopCode: 'EssentialContainerExited' }),
      signal(),
    );

    const trail = json(await harness.dispatch(taskRequest('atask-trail-2')));
    expect(trail.status).toBe('STOPPED');
    expect(trail.exitCode).toBe(3);
    expect(metric('AgentsStopped')).toHaveLength(1);
    expect(metric('AgentsStopped')[0]).toMatchObject({ ExitCode: '3', StopCode: 'EssentialContainerExited' });
    // Once as the aggregate, once by platform and Region (the dashboard's per-platform percentiles).
    expect(metric('TimeToRunning')).toHaveLength(2);
    const received = Date.parse((trail.steps as Record<string, string>).received as string);
    expect(metric('TimeToRunning').map((line) => line.TimeToRunning)).toEqual([
      running.startedAt - received,
      running.startedAt - received,
    ]);
    expect(metric('TimeToRunning')[1]).toMatchObject({ Platform: 'ecs', Region: 'us-east-1' });
    expect(trail).toMatchObject({ region: 'us-east-1', runningAfterMs: running.startedAt - received });
  });

  it('records the image pull once: imagePullMs in the answer, one ImagePullTime by platform and Region, whatever the order', async () => {
    const task = await acceptWebhook('atask-trail-pull');
    const created = task.createdAt;
    const pulling = { createdAt: created, pullStartedAt: created + 1_000 };
    const running = { ...pulling, pullStoppedAt: created + 8_500, startedAt: created + 9_000 };
    const stopped = { ...running, stoppedAt: created + 40_000 };

    // A PENDING event while the pull runs has no pullStoppedAt: no figure yet.
    await consumer.handle(taskStateEvent(task, 'PENDING', pulling), signal());
    expect(json(await harness.dispatch(taskRequest('atask-trail-pull'))).imagePullMs).toBeUndefined();
    expect(metric('ImagePullTime')).toHaveLength(0);

    // STOPPED before RUNNING, then RUNNING twice, then a late PENDING: the figure is taken once.
    await consumer.handle(taskStateEvent(task, 'STOPPED', stopped, { exitCode: 0 }), signal());
    await consumer.handle(taskStateEvent(task, 'RUNNING', running), signal());
    await consumer.handle(taskStateEvent(task, 'RUNNING', running), signal());
    await consumer.handle(taskStateEvent(task, 'PENDING', pulling), signal());

    const trail = json(await harness.dispatch(taskRequest('atask-trail-pull')));
    expect(trail.imagePullMs).toBe(7_500);
    expect(trail.runningAfterMs).toBeGreaterThan(trail.imagePullMs as number);
    expect(metric('ImagePullTime')).toEqual([
      expect.objectContaining({ ImagePullTime: 7_500, Platform: 'ecs', Region: 'us-east-1' }),
    ]);
    expect(metric('TimeToRunning')).toHaveLength(2);
  });

  it('builds a trail from ECS events alone when the log line comes late, without losing RUNNING', async () => {
    const answer = await harness.deliver({
      body: scalrBody('atask-trail-3'),
      headers: { 'idempotency-key': 'atask-trail-3' },
    });
    expect(answer.statusCode).toBe(202);
    const task = harness.standIn.tasks[0];
    if (task === undefined) throw new Error('no task started');
    await consumer.handle(
      taskStateEvent(task, 'RUNNING', { createdAt: task.createdAt, startedAt: task.createdAt + 4_000 }),
      signal(),
    );
    expect(json(await harness.dispatch(taskRequest('atask-trail-3'))).status).toBe('RUNNING');

    const line = harness.logs.find((l) => l.includes('"launch accepted"')) ?? '';
    await consumer.handle(logsSubscriptionEvent([line]), signal());

    const trail = json(await harness.dispatch(taskRequest('atask-trail-3')));
    expect(trail.status).toBe('RUNNING');
    expect(trail.dedupKey).toBe('atask-trail-3');
    now = Date.now() + 11 * MINUTE;
    expect((await consumer.sweep(signal())).overdue).toBe(0);
  });

  it('sweeps: an accepted task not RUNNING after N minutes is counted overdue until it runs', async () => {
    const task = await acceptWebhook('atask-trail-4');
    await acceptWebhook('atask-trail-5');
    now = Date.now() + 5 * MINUTE;
    expect((await consumer.sweep(signal())).overdue).toBe(0);

    now = Date.now() + 11 * MINUTE;
    const late = await consumer.sweep(signal());
    expect(late.overdue).toBe(2);
    expect([...late.taskIds].sort()).toEqual(['atask-trail-4', 'atask-trail-5']);

    await consumer.handle(
      taskStateEvent(task, 'RUNNING', { createdAt: task.createdAt, startedAt: task.createdAt + 1_000 }),
      signal(),
    );
    const after = await consumer.sweep(signal());
    expect(after.taskIds).toEqual(['atask-trail-5']);
    expect(metric('OverdueTasks').map((line) => line.OverdueTasks)).toEqual([0, 2, 1]);
  });

  it('ignores events of tasks it did not start and log lines that are not accepted launches', async () => {
    const task = await acceptWebhook('atask-trail-6');
    const foreign = {
      ...task,
      input: { ...task.input, overrides: { containerOverrides: [{ name: 'agent' }] } },
    };

    const fromEvent = await consumer.handle(
      taskStateEvent(foreign, 'RUNNING', { createdAt: 1, startedAt: 2 }),
      signal(),
    );
    const fromLogs = await consumer.handle(
      logsSubscriptionEvent(['not json', '{"message":"request rejected"}']),
      signal(),
    );

    expect(fromEvent).toEqual({ recorded: 0 });
    expect(fromLogs).toEqual({ recorded: 0 });
  });
});

describe('GET /tasks/{taskId}: auth, validation, 404', () => {
  let harness: Harness;
  afterEach(() => harness.stop());

  it('needs the webhook secret, checks the id, answers 404 for an unknown task in the webhook error shape', async () => {
    harness = await new Harness().start({}, { tasks: async () => undefined });

    const noAuth = await harness.dispatch(taskRequest('atask-x', 'Bearer wrong'));
    const badId = await harness.dispatch(taskRequest('atask x;drop'));
    const unknown = await harness.dispatch(taskRequest('atask-unknown'));
    const post = await harness.dispatch({ ...taskRequest('atask-unknown'), method: 'POST' });

    expect(noAuth.statusCode).toBe(401);
    expect(json(noAuth)).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(badId.statusCode).toBe(400);
    expect(json(badId).error).toMatchObject({ code: 'invalid_request', field: 'taskId' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toEqual({
      error: { code: 'not_found', message: expect.stringContaining('atask-unknown') },
    });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('answers 503 with Retry-After when the trail store does not answer in time', async () => {
    await harness.stop();
    harness = await new Harness().start(
      {},
      {
        tasks: (_id, signal) =>
          new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
    );
    const answer = await harness.dispatch({ ...taskRequest('atask-slow'), remainingTimeMs: 3_000 });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
  });

  it('answers a lookup that ignores its deadline from the backstop, without counting a failed launch', async () => {
    await harness.stop();
    // A store that never settles and ignores the abort: only the answer backstop can answer.
    harness = await new Harness().start({}, { tasks: () => new Promise(() => undefined) });
    const answer = await harness.dispatch({ ...taskRequest('atask-stuck'), remainingTimeMs: 3_000 });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(harness.logs.some((line) => line.includes('"task lookup failed"'))).toBe(true);
    expect(harness.logs.some((line) => line.includes('"launch failed"'))).toBe(false);
  });
});
