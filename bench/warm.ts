import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { AwsStandIn } from '../test/support/aws-stand-in.js';
import { ms, summarize } from './stats.js';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number }>;

export const SECRET = 'bench-webhook-secret';

/** The ECS target every warm bench runs against the stand-in. */
export const BENCH_ECS_ENV = {
  LAUNCH_TARGET: 'ecs',
  WEBHOOK_SECRET: SECRET,
  AGENT_TOKEN: 'bench-agent-token',
  ECS_CLUSTER: 'agents',
  ECS_TASK_DEFINITION: 'scalr-agent',
  ECS_CONTAINER_NAME: 'agent',
  ECS_SUBNETS: 'subnet-0123456789abcdef0',
  // Measures the dispatcher's own overhead: the stand-in has no launch limit, so no client-side pacing.
  LAUNCH_RATE_PER_SECOND: '0',
};
const context = { getRemainingTimeInMillis: () => 25_000, awsRequestId: 'bench' };

function event(taskId: string) {
  return {
    httpMethod: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${SECRET}`,
      'idempotency-key': taskId,
    },
    body: JSON.stringify({ task_id: taskId, action: 'plan', run_id: 'run-1', workspace_id: 'ws-1' }),
    isBase64Encoded: false,
    requestContext: { requestId: taskId },
  };
}

/**
 * Warm latency and throughput of the built Lambda bundle against the local ECS stand-in, next to a
 * bare RunTask call through the same SDK to the same stand-in: the difference is our overhead.
 */
export async function measureWarm(bundle: string, samples = 2000, concurrency = 16) {
  const standIn = new AwsStandIn();
  const endpoint = await standIn.start();
  Object.assign(process.env, AwsStandIn.clientEnv(endpoint), BENCH_ECS_ENV, {
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const { handler } = (await import(bundle)) as { handler: Handler };
  const ecs = new ECSClient({ maxAttempts: 1 });
  try {
    let seq = 0;
    const invoke = async () => {
      const started = performance.now();
      const answer = await handler(event(`atask-bench-${++seq}`), context);
      if (answer.statusCode !== 202) throw new Error(`unexpected ${answer.statusCode}`);
      return performance.now() - started;
    };
    const bareRunTask = async () => {
      const started = performance.now();
      await ecs.send(
        new RunTaskCommand({
          cluster: 'agents',
          taskDefinition: 'scalr-agent',
          clientToken: `bare-${++seq}`,
        }),
      );
      return performance.now() - started;
    };
    for (let i = 0; i < 200; i++) {
      await invoke();
      await bareRunTask();
    }
    const handlerTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let i = 0; i < samples; i++) {
      handlerTimes.push(await invoke());
      bareTimes.push(await bareRunTask());
    }
    const started = performance.now();
    const total = samples;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < total) await invoke();
      }),
    );
    const perSecond = total / ((performance.now() - started) / 1000);
    const h = summarize(handlerTimes);
    const b = summarize(bareTimes);
    return {
      handler: h,
      bareRunTask: b,
      overheadP50: h.p50 - b.p50,
      overheadP99: h.p99 - b.p99,
      webhooksPerSecond: perSecond,
      concurrency,
      launched: standIn.tasks.length,
    };
  } finally {
    await standIn.stop();
  }
}

export function formatWarm(result: Awaited<ReturnType<typeof measureWarm>>): string[] {
  return [
    `warm latency through the handler   p50 ${ms(result.handler.p50)}  p99 ${ms(result.handler.p99)}`,
    `bare RunTask to the same stand-in  p50 ${ms(result.bareRunTask.p50)}  p99 ${ms(result.bareRunTask.p99)}`,
    `dispatcher overhead                p50 ${ms(result.overheadP50)}  p99 ${ms(result.overheadP99)}  (goal p99 <= 2 ms); ratio handler/bare p50 ×${(result.handler.p50 / result.bareRunTask.p50).toFixed(2)}  p99 ×${(result.handler.p99 / result.bareRunTask.p99).toFixed(2)}`,
    `throughput                         ${result.webhooksPerSecond.toFixed(0)} webhooks/s at concurrency ${result.concurrency} (one process, stand-in in-process)`,
  ];
}
