import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type ListTasksCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { getContinuationToken } from '@azure/arm-appcontainers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArmJobApi } from '../../lambda/launchers/aca/arm-job-api.js';
import { armClient, azureStandIn, CLIENT_SECRET } from '../support/aca-rig.js';
import {
  AwsStandIn,
  type Fault,
  faults,
  type Operation,
  type StandInOptions,
} from '../support/aws-stand-in.js';
import {
  type AzureFault,
  type AzureOperation,
  AzureStandIn,
  type AzureStandInOptions,
} from '../support/azure-stand-in.js';

/**
 * The stand-ins judge list lag and run time by Date.now. Tests of those windows fake Date alone and
 * move it: a window is crossed exactly where the test says, however slow a busy machine answers
 * (a real sleep of 350 ms against a 300 ms lag fails once one call takes longer than the margin).
 * Timers stay real, so deadlines and aborts work as they do in production. Undone after each test.
 */
function fakeClock(): (ms: number) => void {
  vi.useFakeTimers({ toFake: ['Date'] });
  return (ms) => vi.advanceTimersByTime(ms);
}
afterEach(() => {
  vi.useRealTimers();
});

describe('AWS stand-in on a bad day, through the real ECS client', () => {
  let standIn: AwsStandIn;
  let ecs: ECSClient;
  afterEach(async () => {
    ecs?.destroy();
    await standIn?.stop();
  });

  async function start(options: StandInOptions = {}): Promise<void> {
    standIn = new AwsStandIn(options);
    const endpoint = await standIn.start();
    ecs = new ECSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
      maxAttempts: 1,
    });
  }

  function runTask(startedBy: string, extra: Partial<RunTaskCommandInput> = {}) {
    return ecs.send(
      new RunTaskCommand({
        cluster: 'agents',
        taskDefinition: 'scalr-agent:1',
        startedBy,
        clientToken: `token-${startedBy}-${extra.cluster ?? 'agents'}`,
        ...extra,
      }),
    );
  }

  async function listAll(input: ListTasksCommandInput): Promise<{ arns: string[]; pages: number }> {
    const arns: string[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListTasksCommand({ ...input, nextToken }));
      pages++;
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return { arns, pages };
  }

  it('keeps a new task out of ListTasks (and DescribeTasks with describeLags) until listLagMs passed', async () => {
    const elapse = fakeClock();
    await start({ listLagMs: 300, describeLags: true });
    const { tasks } = await runTask('agent-lag');
    const arn = tasks?.[0]?.taskArn as string;

    const early = await ecs.send(new ListTasksCommand({ cluster: 'agents', startedBy: 'agent-lag' }));
    const earlyDescribe = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [arn] }));
    expect(early.taskArns).toEqual([]);
    expect(earlyDescribe.tasks).toEqual([]);
    expect(earlyDescribe.failures).toEqual([{ arn, reason: 'MISSING' }]);

    elapse(350);
    const late = await ecs.send(new ListTasksCommand({ cluster: 'agents', startedBy: 'agent-lag' }));
    const lateDescribe = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [arn] }));
    expect(late.taskArns).toEqual([arn]);
    expect(lateDescribe.tasks?.[0]?.taskArn).toBe(arn);
  });

  it('describes a task at once when only listings lag (describeLags off)', async () => {
    await start({ listLagMs: 5_000 });
    const arn = (await runTask('agent-d')).tasks?.[0]?.taskArn as string;

    const listed = await ecs.send(new ListTasksCommand({ cluster: 'agents', startedBy: 'agent-d' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [arn] }));

    expect(listed.taskArns).toEqual([]);
    expect(described.tasks?.map((t) => t.taskArn)).toEqual([arn]);
  });

  it('pages ListTasks with nextToken: listPageSize caps maxResults, all pages cover all tasks once', async () => {
    await start({ listPageSize: 2 });
    const launched: string[] = [];
    for (let i = 0; i < 5; i++) launched.push((await runTask(`agent-p${i}`)).tasks?.[0]?.taskArn as string);

    const first = await ecs.send(new ListTasksCommand({ cluster: 'agents', maxResults: 100 }));
    expect(first.taskArns).toHaveLength(2);
    expect(first.nextToken).toEqual(expect.any(String));

    const all = await listAll({ cluster: 'agents' });
    expect(all.pages).toBe(3);
    expect(all.arns).toEqual(launched);

    const single = await listAll({ cluster: 'agents', maxResults: 1 });
    expect(single.pages).toBe(5);
    expect(single.arns).toEqual(launched);

    await expect(
      ecs.send(new ListTasksCommand({ cluster: 'agents', maxResults: 101 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(
      ecs.send(new ListTasksCommand({ cluster: 'agents', nextToken: 'not-a-token' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('moves a task that stopped (taskRunMs) out of the default listing and into desiredStatus STOPPED', async () => {
    const elapse = fakeClock();
    await start({ taskRunMs: 200 });
    const arn = (await runTask('agent-s')).tasks?.[0]?.taskArn as string;

    expect((await ecs.send(new ListTasksCommand({ cluster: 'agents' }))).taskArns).toEqual([arn]);
    elapse(250);

    const running = await ecs.send(new ListTasksCommand({ cluster: 'agents', startedBy: 'agent-s' }));
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'agents', startedBy: 'agent-s', desiredStatus: 'STOPPED' }),
    );
    const pending = await ecs.send(new ListTasksCommand({ cluster: 'agents', desiredStatus: 'PENDING' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [arn] }));
    expect(running.taskArns).toEqual([]);
    expect(stopped.taskArns).toEqual([arn]);
    expect(pending.taskArns).toEqual([]);
    expect(described.tasks?.[0]).toMatchObject({
      desiredStatus: 'STOPPED',
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
    });
  });

  it('stops tasks on demand with stopTask/stopAll; stoppedVisibleMs lets them age out', async () => {
    const elapse = fakeClock();
    await start({ stoppedVisibleMs: 200 });
    const a = (await runTask('agent-a')).tasks?.[0]?.taskArn as string;
    const b = (await runTask('agent-b')).tasks?.[0]?.taskArn as string;

    expect(standIn.stopTask(a)).toBe(true);
    expect(standIn.stopTask('arn:aws:ecs:us-east-1:123456789012:task/agents/nope')).toBe(false);
    expect((await ecs.send(new ListTasksCommand({ cluster: 'agents' }))).taskArns).toEqual([b]);
    standIn.stopAll();
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'agents', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toEqual([a, b]);
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [a] }));
    expect(described.tasks?.[0]).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });

    elapse(250);
    expect(
      (await ecs.send(new ListTasksCommand({ cluster: 'agents', desiredStatus: 'STOPPED' }))).taskArns,
    ).toEqual([]);
    expect((await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [a] }))).failures).toEqual([
      { arn: a, reason: 'MISSING' },
    ]);
  });

  it('filters ListTasks by cluster (default "default") and startedBy; ARNs carry the cluster', async () => {
    await start();
    const inAgents = (await runTask('agent-c')).tasks?.[0]?.taskArn as string;
    const inOther = (await runTask('agent-c', { cluster: 'other' })).tasks?.[0]?.taskArn as string;
    const inDefault = (await runTask('agent-c', { cluster: undefined, clientToken: 'token-default' }))
      .tasks?.[0]?.taskArn as string;

    expect(inAgents).toMatch(/:task\/agents\//);
    expect(inOther).toMatch(/:task\/other\//);
    expect(inDefault).toMatch(/:task\/default\//);
    expect((await ecs.send(new ListTasksCommand({ cluster: 'other' }))).taskArns).toEqual([inOther]);
    expect(
      (
        await ecs.send(
          new ListTasksCommand({
            cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/agents',
            startedBy: 'agent-c',
          }),
        )
      ).taskArns,
    ).toEqual([inAgents]);
    expect((await ecs.send(new ListTasksCommand({}))).taskArns).toEqual([inDefault]);
    expect(
      (await ecs.send(new ListTasksCommand({ cluster: 'agents', startedBy: 'nobody' }))).taskArns,
    ).toEqual([]);
  });

  it('describes tasks with their tags, overrides and capacity provider; unknown ARNs are MISSING', async () => {
    await start();
    const overrides = {
      containerOverrides: [{ name: 'agent', environment: [{ name: 'DISPATCH_TASK_ID', value: 'atask-7' }] }],
    };
    const arn = (
      await runTask('agent-t', {
        tags: [{ key: 'scalr:task', value: 'atask-7' }],
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        overrides,
      })
    ).tasks?.[0]?.taskArn as string;
    const missing = 'arn:aws:ecs:us-east-1:123456789012:task/agents/0000000000000000000000000000dead';

    const answer = await ecs.send(
      new DescribeTasksCommand({ cluster: 'agents', tasks: [arn, missing], include: ['TAGS'] }),
    );
    const untagged = await ecs.send(new DescribeTasksCommand({ cluster: 'agents', tasks: [arn] }));

    expect(answer.tasks).toHaveLength(1);
    expect(answer.tasks?.[0]).toMatchObject({
      taskArn: arn,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedBy: 'agent-t',
      capacityProviderName: 'FARGATE_SPOT',
      tags: [{ key: 'scalr:task', value: 'atask-7' }],
      overrides,
    });
    expect(answer.tasks?.[0]?.createdAt).toBeInstanceOf(Date);
    expect(answer.failures).toEqual([{ arn: missing, reason: 'MISSING' }]);
    expect(untagged.tasks?.[0]?.tags).toBeUndefined();
    expect(standIn.calls.DescribeTasks).toBe(2);
  });

  it('leaves a hung call open until the client aborts it; hang(true) launches first', async () => {
    const hangs: Partial<Record<Operation, Fault>> = { ListTasks: faults.hang(), RunTask: faults.hang(true) };
    await start({ faultFor: (operation, n) => (n === 1 ? hangs[operation] : undefined) });

    const began = Date.now();
    await expect(
      ecs.send(new ListTasksCommand({ cluster: 'agents' }), { abortSignal: AbortSignal.timeout(200) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    await expect(
      ecs.send(
        new RunTaskCommand({ cluster: 'agents', taskDefinition: 'scalr-agent:1', clientToken: 't-h' }),
        {
          abortSignal: AbortSignal.timeout(200),
        },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(standIn.calls).toMatchObject({ ListTasks: 1, RunTask: 1 });
    expect(standIn.tasks).toHaveLength(1);

    // The retry with the same clientToken gets the task the hung call started.
    const retry = await ecs.send(
      new RunTaskCommand({ cluster: 'agents', taskDefinition: 'scalr-agent:1', clientToken: 't-h' }),
    );
    expect(retry.tasks?.[0]?.taskArn).toBe(standIn.tasks[0]?.taskArn);
  });

  it('loses an answer with faults.lost (the task starts, the answer comes too late)', async () => {
    await start({
      faultFor: (operation, n) => (operation === 'RunTask' && n === 1 ? faults.lost(1_000) : undefined),
    });

    await expect(
      ecs.send(
        new RunTaskCommand({ cluster: 'agents', taskDefinition: 'scalr-agent:1', clientToken: 't-l' }),
        {
          abortSignal: AbortSignal.timeout(150),
        },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(standIn.tasks).toHaveLength(1);
  });

  it('keeps ConflictException resourceIds for a reused clientToken with other parameters', async () => {
    await start();
    const arn = (await runTask('agent-x')).tasks?.[0]?.taskArn as string;

    await expect(runTask('agent-x', { taskDefinition: 'scalr-agent:2' })).rejects.toMatchObject({
      name: 'ConflictException',
      resourceIds: [arn],
    });
  });

  it('badDay() bundles lag, one-task pages and stopping tasks; overrides win', async () => {
    const elapse = fakeClock();
    expect(AwsStandIn.badDay()).toEqual({
      listLagMs: 300,
      describeLags: true,
      listPageSize: 1,
      taskRunMs: 2_000,
    });
    expect(AwsStandIn.badDay({ taskRunMs: 500 })).toMatchObject({ listPageSize: 1, taskRunMs: 500 });

    await start(AwsStandIn.badDay({ listLagMs: 100, taskRunMs: 600 }));
    await runTask('agent-bd1');
    await runTask('agent-bd2');
    expect((await listAll({ cluster: 'agents' })).arns).toEqual([]);
    elapse(150);
    const listed = await listAll({ cluster: 'agents' });
    expect(listed).toMatchObject({ pages: 2 });
    expect(listed.arns).toHaveLength(2);
    elapse(500);
    expect((await listAll({ cluster: 'agents' })).arns).toEqual([]);
    expect((await listAll({ cluster: 'agents', desiredStatus: 'STOPPED' })).arns).toHaveLength(2);
  });
});

describe('Azure stand-in on a bad day, through the real ARM client', () => {
  let standIn: AzureStandIn;
  afterEach(() => standIn?.stop());

  async function start(options: Partial<AzureStandInOptions> = {}) {
    standIn = azureStandIn({ clientSecret: CLIENT_SECRET, ...options });
    const endpoint = await standIn.start();
    const client = armClient(endpoint);
    return { endpoint, client, api: new ArmJobApi(client, 'rg-agents', 'scalr-agent') };
  }

  function faultTable(table: Partial<Record<AzureOperation, Record<number, AzureFault>>>) {
    return (operation: AzureOperation, n: number) => table[operation]?.[n];
  }

  function template(key: string) {
    return {
      containers: [
        { name: 'agent', image: 'scalr/agent:latest', env: [{ name: 'DISPATCH_DEDUP_KEY', value: key }] },
      ],
    };
  }

  it('lists executions newest first, one page per nextLink, an absolute https URL with api-version', async () => {
    const { endpoint, client, api } = await start({ listPageSize: 1 });
    const names: string[] = [];
    for (const key of ['k1', 'k2', 'k3']) {
      const started = await api.start(template(key), AbortSignal.timeout(5_000));
      names.push(started.name as string);
    }

    const pages: { names: (string | undefined)[]; next?: string }[] = [];
    for await (const page of client.jobsExecutions.list('rg-agents', 'scalr-agent').byPage()) {
      pages.push({
        names: page.map((e) => e.name),
        // arm-appcontainers 3 keeps a page's nextLink beside it, read with getContinuationToken.
        next: getContinuationToken(page),
      });
    }

    expect(pages.map((p) => p.names)).toEqual([[names[2]], [names[1]], [names[0]]]);
    expect(pages[2]?.next).toBeUndefined();
    const next = new URL(pages[0]?.next as string);
    expect(next.origin).toBe(endpoint);
    expect(next.pathname).toBe(`${standIn.jobPath}/executions`);
    expect(next.searchParams.get('api-version')).toEqual(expect.any(String));
    expect(next.searchParams.get('$skiptoken')).toEqual(expect.any(String));
    expect(standIn.calls.ListExecutions).toBe(3);
  });

  it('finds the execution carrying the key on page 3 (findExecution reads every page)', async () => {
    const { api } = await start({ listPageSize: 1 });
    for (const key of ['k1', 'k2', 'wanted', 'k4', 'k5'])
      await api.start(template(key), AbortSignal.timeout(5_000));
    const wanted = standIn.executionsWith('DISPATCH_DEDUP_KEY', 'wanted')[0];

    const found = await api.findExecution('wanted', AbortSignal.timeout(5_000));

    expect(found).toEqual({ name: wanted?.name, id: wanted?.id, status: 200 });
    expect(standIn.calls.ListExecutions).toBe(3);

    const absent = await api.findExecution('never-started', AbortSignal.timeout(5_000));
    expect(absent).toBeUndefined();
    expect(standIn.calls.ListExecutions).toBe(3 + 5);
  });

  it('bounds findExecution by its abort signal when a later page hangs', async () => {
    const { api } = await start({
      listPageSize: 1,
      faultFor: faultTable({ ListExecutions: { 2: { kind: 'hang' } } }),
    });
    for (const key of ['k1', 'k2', 'k3']) await api.start(template(key), AbortSignal.timeout(5_000));

    const began = Date.now();
    await expect(api.findExecution('k1', AbortSignal.timeout(300))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(standIn.calls.ListExecutions).toBe(2);
  });

  it('keeps a new execution out of the list until listLagMs passed', async () => {
    const elapse = fakeClock();
    const { api } = await start({ listLagMs: 300 });
    const started = await api.start(template('lagging'), AbortSignal.timeout(5_000));

    expect(await api.findExecution('lagging', AbortSignal.timeout(5_000))).toBeUndefined();
    elapse(350);
    expect(await api.findExecution('lagging', AbortSignal.timeout(5_000))).toMatchObject({
      name: started.name,
    });
  });

  it('start-then-5xx: the execution is created while the SDK sees a 5xx', async () => {
    const { api } = await start({
      faultFor: faultTable({
        StartJob: {
          1: { kind: 'start-then-5xx' },
          2: { kind: 'start-then-5xx', status: 503, retryAfter: '2' },
        },
      }),
    });

    await expect(api.start(template('k500'), AbortSignal.timeout(5_000))).rejects.toMatchObject({
      statusCode: 500,
    });
    const second = api.start(template('k503'), AbortSignal.timeout(5_000));
    await expect(second).rejects.toMatchObject({ statusCode: 503 });
    await second.catch((error: { response?: { headers: { get(name: string): string | undefined } } }) =>
      expect(error.response?.headers.get('retry-after')).toBe('2'),
    );

    expect(standIn.executions).toHaveLength(2);
    expect(await api.findExecution('k500', AbortSignal.timeout(5_000))).toMatchObject({
      name: standIn.executions[0]?.name,
    });
  });

  it('hang: a start never answered is aborted by the signal; with work it still created the execution', async () => {
    const { api } = await start({
      faultFor: faultTable({ StartJob: { 1: { kind: 'hang' }, 2: { kind: 'hang', work: true } } }),
    });

    await expect(api.start(template('h1'), AbortSignal.timeout(200))).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(api.start(template('h2'), AbortSignal.timeout(200))).rejects.toMatchObject({
      name: 'AbortError',
    });

    expect(standIn.executions.map((e) => e.template.containers?.[0]?.env?.[0]?.value)).toEqual(['h2']);
  });

  it('badDay() bundles one-execution pages and list lag; overrides win', () => {
    expect(AzureStandIn.badDay()).toEqual({ listPageSize: 1, listLagMs: 300 });
    expect(AzureStandIn.badDay({ listLagMs: 0, startMode: '202-no-body' })).toEqual({
      listPageSize: 1,
      listLagMs: 0,
      startMode: '202-no-body',
    });
  });
});
