import type { Template } from 'aws-cdk-lib/assertions';
import { Template as Templates } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Logger } from '../../../lambda/log/logger.js';
import { EmfWriter } from '../../../lambda/metrics/emf.js';
import { DynamoDbTrailStore } from '../../../lambda/trail/dynamodb-trail-store.js';
import { TrailConsumer } from '../../../lambda/trail/trail-consumer.js';
import { parseStackConfig } from '../../../lib/config/stack-config.js';
import { Env0PollerStack } from '../../../lib/env0-poller-stack.js';
import { testApp } from '../../infra/stack-fixture.js';
import { type AlarmDefinition, agentAlarms, fires } from '../../support/alarm-metrics.js';
import type { LaunchedTask } from '../../support/aws-stand-in.js';
import { Env0EcsRig } from '../../support/env0-rig.js';
import { matchesPattern, resolvePseudo } from '../../support/event-pattern.js';
import { logsSubscriptionEvent, startTrailTable, taskStateEvent } from '../../support/trail-table.js';

const MINUTE = 60_000;
const NAMESPACE = 'AgentDispatcher/Env0Pool';
type Pattern = Record<string, unknown>;

/** The env0 stack as synthesized (ECS target): its trail rule and the agents' alarms. */
function env0Template(): Template {
  const app = testApp();
  const config = parseStackConfig((key) => ({ source: 'env0', stackName: 'Env0Pool' })[key]);
  return Templates.fromStack(new Env0PollerStack(app, 'Env0Pool', { stackName: 'Env0Pool', config }));
}

/**
 * env0 agents end to end against the stand-ins: the poller (real ECS SDK) reads the queue stand-in and
 * starts an agent; its `launch accepted` line goes to the trail consumer as the log subscription
 * delivers it, the agent task's ECS events as the env0 stack's rule lets them through, and the
 * sweep counts what is overdue. The agents' alarms are read from the synthesized template and
 * evaluated on the metrics the consumer wrote.
 */
describe('env0 agents in the trail, the metrics and the alarms (ECS)', () => {
  let rulePattern: Pattern;
  let subscriptionPattern: string;
  let alarms: Record<'notRunning' | 'failures', AlarmDefinition>;
  let rig: Env0EcsRig;
  let table: Awaited<ReturnType<typeof startTrailTable>>;
  let store: DynamoDbTrailStore;
  let consumer: TrailConsumer;
  let metricLines: Record<string, unknown>[];
  let now: number;
  const signal = () => AbortSignal.timeout(5_000);

  beforeAll(() => {
    const template = env0Template();
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { 'detail-type': ['ECS Task State Change'] } },
      }),
    );
    rulePattern = resolvePseudo(rule?.Properties.EventPattern) as Pattern;
    // The cluster is the stack's own (a GetAtt): the stand-in's cluster stands for it.
    const detail = rulePattern.detail as Pattern;
    expect(detail.clusterArn).toEqual(['<unresolved>']);
    detail.clusterArn = ['arn:aws:ecs:us-east-1:123456789012:cluster/env0-agents'];
    const [filter] = Object.values(template.findResources('AWS::Logs::SubscriptionFilter'));
    subscriptionPattern = filter?.Properties.FilterPattern as string;
    alarms = agentAlarms(template);
  });
  beforeEach(async () => {
    rig = await new Env0EcsRig().start();
    table = await startTrailTable();
    store = new DynamoDbTrailStore(table.client, { tableName: table.tableName, ttlSeconds: 7 * 86_400 });
    metricLines = [];
    now = Date.now();
    consumer = new TrailConsumer({
      store,
      metrics: new EmfWriter(NAMESPACE, (line) => metricLines.push(JSON.parse(line))),
      logger: new Logger(() => undefined),
      ecs: { containerName: 'env0-agent', logGroup: '/env0/agents', logStreamPrefix: 'env0' },
      notRunningAfterMs: 10 * MINUTE,
      sweepWindowMs: 360 * MINUTE,
      now: () => now,
    });
  });
  afterEach(async () => {
    await rig.stop();
    await table.stop();
  });

  /** One poll with one pending deployment; its accepted lines reach the consumer through the subscription. */
  async function pollStartsAgent(): Promise<{ key: string; task: LaunchedTask }> {
    // Queue reads are not under test here: a first, cold read on a loaded machine gets time.
    const { poller } = await rig.poller({ QUEUE_STATE_TIMEOUT_MS: '5000', POLL_BUDGET_MS: '15000' });
    rig.queue.pendingCount = 1;
    expect(await poller.pollOnce()).toMatchObject({ outcome: 'launched', started: 1 });
    expect(subscriptionPattern).toBe('{ $.message = "launch accepted" }');
    const accepted = rig.logs.filter((line) => JSON.parse(line).message === 'launch accepted');
    expect(accepted).toHaveLength(1);
    expect(await consumer.handle(logsSubscriptionEvent(accepted), signal())).toEqual({ recorded: 1 });
    const task = rig.aws.tasks[0];
    if (task === undefined) throw new Error('no agent started');
    const key = JSON.parse(accepted[0] as string).taskId as string;
    return { key, task };
  }

  /** What EventBridge does: the env0 trail rule lets the event through to the consumer, or not. */
  async function onBus(event: ReturnType<typeof taskStateEvent>): Promise<boolean> {
    if (!matchesPattern(rulePattern, event)) return false;
    await consumer.handle(event, signal());
    return true;
  }
  const event = (
    task: LaunchedTask,
    status: Parameters<typeof taskStateEvent>[1],
    times: Parameters<typeof taskStateEvent>[2],
    stop: Parameters<typeof taskStateEvent>[3] = {},
  ) => taskStateEvent(task, status, times, stop, 'env0-agent');
  const sweepAt = async (minutesLater: number) => {
    now = Date.now() + minutesLater * MINUTE;
    return consumer.sweep(signal());
  };
  const firing = () =>
    Object.entries(alarms)
      .filter(([, alarm]) => fires(alarm, metricLines))
      .map(([name]) => name);

  it('records accepted, RUNNING and exit 0 of a healthy agent under its env0 slot key; no alarm fires', async () => {
    const { key, task } = await pollStartsAgent();
    const created = task.createdAt;
    const times = { createdAt: created, pullStartedAt: created + 3_000, startedAt: created + 25_000 };

    const through = [
      await onBus(event(task, 'PROVISIONING', { createdAt: created })),
      await onBus(event(task, 'RUNNING', times)),
      await onBus(event(task, 'STOPPED', { ...times, stoppedAt: created + 120_000 }, { exitCode: 0 })),
    ];
    const sweep = await sweepAt(11);

    expect(through).toEqual([true, true, true]);
    expect(key).toMatch(/^env0-[0-9a-f]{10}-/);
    expect(task.startedBy).toMatch(/^env0-/);
    const trail = await store.read(key, signal());
    expect(trail).toMatchObject({
      taskId: key,
      dedupKey: key,
      status: 'STOPPED',
      platform: 'ecs',
      launchId: task.taskArn,
      region: 'us-east-1',
      exitCode: 0,
    });
    expect(Object.keys(trail?.steps ?? {})).toEqual(
      expect.arrayContaining(['received', 'accepted', 'provisioning', 'pending', 'running', 'stopped']),
    );
    expect(trail?.logsUrl).toContain(`env0${encodeURIComponent('%2F')}env0-agent`.replaceAll('%', '$'));
    // Poll (the decision) to RUNNING: once as the aggregate, once by platform and Region.
    const received = Date.parse(trail?.steps.received as string);
    const toRunning = metricLines.filter((line) => 'TimeToRunning' in line);
    expect(toRunning.map((line) => line.TimeToRunning)).toEqual([
      times.startedAt - received,
      times.startedAt - received,
    ]);
    expect(toRunning[1]).toMatchObject({ Platform: 'ecs', Region: 'us-east-1' });
    expect(sweep.overdue).toBe(0);
    expect(firing()).toEqual([]);
  });

  it.each([
    ['exits non-zero', { exitCode: 1, stopCode: 'EssentialContainerExited' }, true],
    ['fails to start (image pull, secret)', { stopCode: 'TaskFailedToStart' }, false],
    ['is stopped before RUNNING (replicaTimeout)', { stopCode: 'UserInitiated' }, false],
  ])('alarms on an agent that %s', async (_name, stop, ran) => {
    const { key, task } = await pollStartsAgent();
    const created = task.createdAt;
    const times = { createdAt: created, ...(ran ? { startedAt: created + 20_000 } : {}) };

    await onBus(event(task, 'STOPPED', { ...times, stoppedAt: created + 60_000 }, stop));
    await sweepAt(11);

    expect(await store.read(key, signal())).toMatchObject({ status: 'STOPPED', ...stop });
    expect(metricLines.find((line) => 'AgentFailures' in line)).toMatchObject({
      AgentFailures: 1,
      Platform: 'ecs',
      taskId: key,
    });
    expect(firing()).toEqual(['failures']);
  });

  it('counts an agent that never reaches RUNNING overdue, so the not-RUNNING alarm fires', async () => {
    const { key, task } = await pollStartsAgent();
    await onBus(event(task, 'PROVISIONING', { createdAt: task.createdAt }));

    const early = await sweepAt(5);
    expect(early.overdue).toBe(0);
    expect(firing()).toEqual([]);

    const late = await sweepAt(11);
    expect(late.taskIds).toEqual([key]);
    expect(firing()).toEqual(['notRunning']);
  });

  it("lets no Scalr agent's events into the env0 trail", async () => {
    const { task } = await pollStartsAgent();
    const scalr = { ...task, startedBy: `scalr-${(task.startedBy ?? '').slice(5)}` };
    expect(await onBus(event(scalr, 'RUNNING', { createdAt: 1, startedAt: 2 }))).toBe(false);
  });
});
