import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createExecutionReader,
  updateFromExecution,
} from '../../../lambda/launchers/aca/execution-status.js';
import { Logger } from '../../../lambda/log/logger.js';
import { EmfWriter } from '../../../lambda/metrics/emf.js';
import { createPoller } from '../../../lambda/poller/create-poller.js';
import { acaStatusSource } from '../../../lambda/trail/aca-status-source.js';
import { DynamoDbTrailStore } from '../../../lambda/trail/dynamodb-trail-store.js';
import { StatusSweep } from '../../../lambda/trail/status-sweep.js';
import { TrailConsumer } from '../../../lambda/trail/trail-consumer.js';
import { parseStackConfig } from '../../../lib/config/stack-config.js';
import { Env0PollerStack } from '../../../lib/env0-poller-stack.js';
import { ACA_CONTEXT, testApp } from '../../infra/stack-fixture.js';
import { AcaRig, CLIENT_SECRET } from '../../support/aca-rig.js';
import { type AlarmDefinition, agentAlarms, fires } from '../../support/alarm-metrics.js';
import { ENV0_TOKEN } from '../../support/env0-rig.js';
import { QueueStateStandIn } from '../../support/queue-state-stand-in.js';
import { logsSubscriptionEvent, startTrailTable } from '../../support/trail-table.js';

const MINUTE = 60_000;
const CREDENTIALS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:azure-AbCdEf';

/**
 * env0 agents on Azure Container Apps end to end: the poller (real Azure SDK) starts executions on
 * the ARM stand-in, its `launch accepted` lines feed the trail consumer, and each sweep reads the
 * executions from ARM (RUNNING, the exit) before counting what is overdue. The agents' alarms of
 * the synthesized env0 ACA stack are evaluated on the metrics the consumer wrote.
 */
describe('env0 agents in the trail, the metrics and the alarms (ACA)', () => {
  let alarms: Record<'notRunning' | 'failures', AlarmDefinition>;
  let namespace: string;
  let rig: AcaRig;
  let queue: QueueStateStandIn;
  let table: Awaited<ReturnType<typeof startTrailTable>>;
  let store: DynamoDbTrailStore;
  let consumer: TrailConsumer;
  let metricLines: Record<string, unknown>[];
  let now: number;
  const signal = () => AbortSignal.timeout(20_000);

  beforeAll(() => {
    const config = parseStackConfig(
      (key) =>
        ({
          ...ACA_CONTEXT,
          source: 'env0',
          stackName: 'Env0PoolAzure',
          env0AgentTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:env0/token-AbCdEf',
        })[key],
    );
    const stack = new Env0PollerStack(testApp(), 'Env0PoolAzure', { stackName: 'Env0PoolAzure', config });
    alarms = agentAlarms(Template.fromStack(stack));
    namespace = alarms.failures.Namespace;
  });
  afterEach(async () => {
    await rig.stop();
    await queue.stop();
    await table.stop();
  });

  /** The rig, one poll that starts one execution, and its accepted line delivered to the consumer. */
  async function pollStartsAgent() {
    rig = await new AcaRig({ clientSecret: CLIENT_SECRET }).start();
    queue = new QueueStateStandIn(ENV0_TOKEN);
    table = await startTrailTable();
    rig.harness.standIn.secrets.set(
      CREDENTIALS_ARN,
      JSON.stringify({
        tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        clientId: '0b1f4c6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b',
        clientSecret: CLIENT_SECRET,
      }),
    );
    // The poller's settings, which the stack gives the consumer's sweep as well.
    const env = {
      ...process.env,
      LAUNCH_TARGET: 'aca',
      ACA_SUBSCRIPTION_ID: '11111111-2222-4333-8444-555555555555',
      ACA_RESOURCE_GROUP: 'rg-agents',
      ACA_JOB_NAME: 'scalr-agent',
      AZURE_AUTH: 'client-secret',
      AZURE_CREDENTIALS_SECRET_ARN: CREDENTIALS_ARN,
      AZURE_AUTHORITY_HOST: rig.endpoint,
      ACA_ARM_ENDPOINT: rig.endpoint,
      LEDGER_TABLE_NAME: 'dispatcher-dedup',
      AGENT_TOKEN: ENV0_TOKEN,
      QUEUE_STATE_URL: await queue.start(),
      POLL_BUDGET_MS: '8000',
    };
    store = new DynamoDbTrailStore(table.client, { tableName: table.tableName, ttlSeconds: 7 * 86_400 });
    metricLines = [];
    now = Date.now();
    const logger = new Logger(() => undefined);
    consumer = new TrailConsumer({
      store,
      metrics: new EmfWriter(namespace, (line) => metricLines.push(JSON.parse(line))),
      logger,
      ecs: { containerName: 'env0-agent' },
      notRunningAfterMs: 10 * MINUTE,
      sweepWindowMs: 360 * MINUTE,
      now: () => now,
      statusSweep: new StatusSweep({
        source: acaStatusSource(createExecutionReader(env), updateFromExecution),
        store,
        logger,
        budgetMs: 15_000,
        readTimeoutMs: 5_000,
        maxReads: 100,
        concurrency: 2,
        now: () => now,
      }),
    });

    const logs: string[] = [];
    const { poller } = await createPoller(env, { logger: new Logger((line) => logs.push(line), 'debug') });
    queue.pendingCount = 1;
    expect(await poller.pollOnce()).toMatchObject({ outcome: 'launched', started: 1 });
    const accepted = logs.filter((line) => JSON.parse(line).message === 'launch accepted');
    expect(accepted).toHaveLength(1);
    expect(await consumer.handle(logsSubscriptionEvent(accepted), signal())).toEqual({ recorded: 1 });
    const execution = rig.azure.executions[0];
    if (execution === undefined) throw new Error('no execution started');
    return { key: JSON.parse(accepted[0] as string).taskId as string, execution };
  }
  const sweepAt = async (minutesLater: number) => {
    now = Date.now() + minutesLater * MINUTE;
    return consumer.sweep(signal());
  };
  const firing = () =>
    Object.entries(alarms)
      .filter(([, alarm]) => fires(alarm, metricLines))
      .map(([name]) => name);

  it('records RUNNING and the exit of a healthy execution under its env0 slot key; no alarm fires', async () => {
    const { key, execution } = await pollStartsAgent();

    expect((await sweepAt(11)).overdue).toBe(0);
    expect(await store.read(key, signal())).toMatchObject({ status: 'RUNNING', platform: 'aca' });
    execution.status = 'Succeeded';
    execution.endedAt = Date.now();
    await sweepAt(12);

    expect(key).toMatch(/^env0-[0-9a-f]{10}-/);
    expect(await store.read(key, signal())).toMatchObject({
      status: 'STOPPED',
      exitCode: 0,
      stopCode: 'Succeeded',
      launchId: expect.stringContaining('/executions/'),
    });
    expect(metricLines.filter((line) => 'TimeToRunning' in line).at(-1)).toMatchObject({ Platform: 'aca' });
    expect(firing()).toEqual([]);
  });

  it('alarms on an execution that ends Failed', async () => {
    const { key, execution } = await pollStartsAgent();
    execution.status = 'Failed';
    execution.endedAt = Date.now();

    await sweepAt(11);

    expect(await store.read(key, signal())).toMatchObject({ status: 'STOPPED', stopCode: 'Failed' });
    expect(firing()).toEqual(['failures']);
  });

  it('counts an execution that never runs overdue, so the not-RUNNING alarm fires', async () => {
    const { key } = await pollStartsAgent();
    rig.azure.statusOf = () => 'Processing';

    expect((await sweepAt(5)).overdue).toBe(0);
    expect(firing()).toEqual([]);
    expect((await sweepAt(11)).taskIds).toEqual([key]);
    expect(firing()).toEqual(['notRunning']);
  });
});
