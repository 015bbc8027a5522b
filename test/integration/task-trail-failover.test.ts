import type { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '../../lambda/log/logger.js';
import { EmfWriter } from '../../lambda/metrics/emf.js';
import { DynamoDbTrailStore } from '../../lambda/trail/dynamodb-trail-store.js';
import { TrailConsumer } from '../../lambda/trail/trail-consumer.js';
import { buildStack, FAILOVER_CONTEXT } from '../infra/stack-fixture.js';
import { AwsStandIn, faults, type LaunchedTask } from '../support/aws-stand-in.js';
import { matchesPattern, resolvePseudo } from '../support/event-pattern.js';
import { Harness, json, scalrBody, WEBHOOK_SECRET } from '../support/harness.js';
import { logsSubscriptionEvent, startTrailTable, taskStateEvent } from '../support/trail-table.js';

// The primary's capacity retries are the production ones, but their backoff waits take no real time.
vi.mock('../../lambda/launchers/retry.js', async (importOriginal) =>
  (await import('../support/virtual-backoff.js')).withVirtualBackoff(await importOriginal()),
);

const MINUTE = 60_000;
type Table = Awaited<ReturnType<typeof startTrailTable>>;
type Pattern = Record<string, unknown>;

/** The event patterns of the primary stack's rules, as synthesized, by what they are for. */
function rulePatterns(template: Template): { trail: Pattern; failures: Pattern } {
  const rules = Object.entries(template.findResources('AWS::Events::Rule'));
  const find = (idPrefix: string) => {
    const rule = rules.find(([id]) => id.startsWith(idPrefix));
    if (rule === undefined) throw new Error(`no rule ${idPrefix}`);
    return resolvePseudo(rule[1].Properties.EventPattern) as Pattern;
  };
  return { trail: find('TrailAgentTaskStates'), failures: find('AlarmsAgentTaskFailedRule') };
}

/**
 * A failed-over agent end to end: the primary has no capacity, the dispatcher launches on the
 * failover Region's cluster (its own ECS stand-in, us-west-2), and that Region's task events —
 * forwarded to the primary's bus — reach the primary's trail consumer and alarm rule.
 */
describe('failover agents in the trail, the metrics and the alarms', () => {
  let patterns: { trail: Pattern; failures: Pattern };
  let table: Table;
  let secondary: AwsStandIn;
  let harness: Harness;
  let store: DynamoDbTrailStore;
  let consumer: TrailConsumer;
  let metricLines: Record<string, unknown>[];
  let now: number;
  const signal = () => AbortSignal.timeout(5_000);

  beforeAll(() => {
    patterns = rulePatterns(buildStack(FAILOVER_CONTEXT).template);
  });
  beforeEach(async () => {
    table = await startTrailTable();
    store = new DynamoDbTrailStore(table.client, { tableName: table.tableName, ttlSeconds: 7 * 86_400 });
    metricLines = [];
    now = Date.now();
    consumer = new TrailConsumer({
      store,
      metrics: new EmfWriter('AgentDispatcher/Test', (line) => metricLines.push(JSON.parse(line))),
      logger: new Logger(() => undefined),
      ecs: {
        containerName: 'agent',
        logGroup: '/agents/logs',
        logStreamPrefix: 'agent',
        logRegion: 'us-east-1',
      },
      notRunningAfterMs: 10 * MINUTE,
      sweepWindowMs: 360 * MINUTE,
      now: () => now,
    });
    secondary = new AwsStandIn({ region: 'us-west-2' });
    const secondaryEndpoint = await secondary.start();
    harness = new Harness({
      faultFor: (operation) => (operation === 'RunTask' ? faults.capacity() : undefined),
    });
    await harness.start(
      {
        FAILOVER_TARGETS: 'ecs:SECONDARY',
        SECONDARY_ECS_CLUSTER: FAILOVER_CONTEXT.failoverClusterName,
        SECONDARY_AWS_REGION: 'us-west-2',
        SECONDARY_AWS_ENDPOINT_URL_ECS: secondaryEndpoint,
        SECONDARY_ECS_SUBNETS: 'subnet-0b1b2c3d4e5f60711',
        LAUNCH_DEADLINE_MS: '10000',
      },
      { tasks: (taskId, s) => store.read(taskId, s) },
    );
  });
  afterEach(async () => {
    await harness.stop();
    await secondary.stop();
    await table.stop();
  });

  /** Delivers the webhook (failed over) and feeds its accepted line to the consumer. */
  async function failedOver(taskId: string): Promise<LaunchedTask> {
    const answer = await harness.deliver({ body: scalrBody(taskId), headers: { 'idempotency-key': taskId } });
    expect(json(answer)).toMatchObject({ target: 'ecs:SECONDARY', failedOver: true });
    const line = harness.logs.find((l) => l.includes('"launch accepted"') && l.includes(taskId));
    await consumer.handle(logsSubscriptionEvent([line ?? '']), signal());
    const task = secondary.tasks.find((t) =>
      (t.input.tags as { value: string }[]).some((tag) => tag.value === taskId),
    );
    if (task === undefined) throw new Error('no task started in the failover Region');
    return task;
  }

  /** What EventBridge does on the primary's bus: deliver the event to the consumer if the rule matches. */
  async function onPrimaryBus(event: ReturnType<typeof taskStateEvent>) {
    if (matchesPattern(patterns.trail, event)) await consumer.handle(event, signal());
    return { alarmRuleMatched: matchesPattern(patterns.failures, event) };
  }

  it('records RUNNING and the exit of a healthy failover agent, with its Region, and raises nothing', async () => {
    const task = await failedOver('atask-fo-1');
    const created = task.createdAt;
    const times = { createdAt: created, pullStartedAt: created + 2_000, startedAt: created + 20_000 };

    const seen = [
      await onPrimaryBus(taskStateEvent(task, 'PROVISIONING', { createdAt: created })),
      await onPrimaryBus(taskStateEvent(task, 'RUNNING', times)),
      await onPrimaryBus(
        taskStateEvent(task, 'STOPPED', { ...times, stoppedAt: created + 90_000 }, { exitCode: 0 }),
      ),
    ];

    const trail = json(
      await harness.dispatch({
        method: 'GET',
        headers: { authorization: `Bearer ${WEBHOOK_SECRET}` },
        body: Buffer.alloc(0),
        taskId: 'atask-fo-1',
      }),
    );
    expect(trail).toMatchObject({
      status: 'STOPPED',
      target: 'ecs:SECONDARY',
      platform: 'ecs',
      region: 'us-west-2',
      launchId: task.taskArn,
      exitCode: 0,
    });
    expect(trail.runningAfterMs).toBeGreaterThan(0);
    // The agent's log group is the failover stack's: no link to a group of this Region's name.
    expect(trail.logsUrl).toBeUndefined();
    expect(metricLines.find((line) => 'TimeToRunning' in line && 'Region' in line)).toMatchObject({
      Platform: 'ecs',
      Region: 'us-west-2',
    });
    expect(seen.map((s) => s.alarmRuleMatched)).toEqual([false, false, false]);
    now = Date.now() + 15 * MINUTE;
    expect((await consumer.sweep(signal())).overdue).toBe(0);
  });

  it('alarms for a failover agent that exits non-zero or fails to start', async () => {
    const exited = await failedOver('atask-fo-2');
    const unstarted = await failedOver('atask-fo-3');
    const times = { createdAt: exited.createdAt, startedAt: exited.createdAt + 5_000 };

    const exit = await onPrimaryBus(
      taskStateEvent(exited, 'STOPPED', { ...times, stoppedAt: exited.createdAt + 9_000 }, { exitCode: 1 }),
    );
    const notStarted = await onPrimaryBus(
      taskStateEvent(
        unstarted,
        'STOPPED',
        { createdAt: unstarted.createdAt, stoppedAt: unstarted.createdAt + 30_000 },
        { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError' },
      ),
    );

    expect(exit.alarmRuleMatched).toBe(true);
    expect(notStarted.alarmRuleMatched).toBe(true);
    const stops = metricLines.filter((line) => 'AgentsStopped' in line);
    expect(stops.map((line) => [line.ExitCode, line.StopCode])).toEqual([
      ['1', 'none'],
      ['none', 'TaskFailedToStart'],
    ]);
  });

  it('counts a failover agent overdue when its Region sends nothing, so the not-RUNNING alarm fires', async () => {
    await failedOver('atask-fo-4');

    now = Date.now() + 11 * MINUTE;

    expect(await consumer.sweep(signal())).toMatchObject({ overdue: 1, taskIds: ['atask-fo-4'] });
  });

  it('the primary rules would not see the failover Region without its cluster in them (the old template)', () => {
    const event = taskStateEvent(
      {
        taskArn: `arn:aws:ecs:us-west-2:123456789012:task/${FAILOVER_CONTEXT.failoverClusterName}/0abc`,
        cluster: FAILOVER_CONTEXT.failoverClusterName,
        startedBy: 'scalr-0abc',
        capacityProvider: 'FARGATE',
        createdAt: 0,
        input: { overrides: {} },
      } as unknown as LaunchedTask,
      'RUNNING',
      { createdAt: 0, startedAt: 1 },
    );
    const primaryOnly = {
      ...patterns.trail,
      detail: { ...(patterns.trail.detail as Pattern), clusterArn: ['<the primary cluster>'] },
    };

    expect(matchesPattern(patterns.trail, event)).toBe(true);
    expect(matchesPattern(primaryOnly, event)).toBe(false);
  });
});
