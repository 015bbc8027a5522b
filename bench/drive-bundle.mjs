// Drives a built handler bundle as the Lambda runtime would (plain JS: no loader in the timings):
// `cold` imports it and answers one webhook, then exits (the bench times the whole process);
// `warm N GAP_MS` answers N webhooks GAP_MS apart and, alternating with them, sends N bare RunTask
// calls over node:http to the same endpoint (no SDK, no dispatcher: the floor of the round trip).
// Prints {"handler":[ms...],"floor":[ms...]}.
// Usage: node bench/drive-bundle.mjs dist/ecs/handler.mjs cold | warm 300 66
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundle, mode, count = '0', gapMs = '0'] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(resolve(bundle)).href);
const secret = process.env.WEBHOOK_SECRET;
const context = { getRemainingTimeInMillis: () => 25_000, awsRequestId: 'bench' };
let seq = 0;

async function once() {
  const taskId = `atask-${process.pid}-${++seq}`;
  const answer = await handler(
    {
      httpMethod: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${secret}`,
        'idempotency-key': taskId,
      },
      body: JSON.stringify({ task_id: taskId, action: 'plan', run_id: 'run-1', workspace_id: 'ws-1' }),
      isBase64Encoded: false,
      requestContext: { requestId: taskId },
    },
    context,
  );
  if (answer.statusCode !== 202) throw new Error(`handler answered ${answer.statusCode}: ${answer.body}`);
}

const agent = new Agent({ keepAlive: true });
function bareRunTask() {
  const endpoint = new URL(process.env.AWS_ENDPOINT_URL_ECS);
  const body = JSON.stringify({
    cluster: 'agents',
    taskDefinition: 'scalr-agent',
    clientToken: `floor-${process.pid}-${++seq}`,
  });
  return new Promise((done, fail) => {
    const call = request(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: 'POST',
        path: '/',
        agent,
        timeout: 5_000,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonEC2ContainerServiceV20141113.RunTask',
          'content-length': Buffer.byteLength(body),
        },
      },
      (answer) => {
        answer.resume();
        answer.on('end', () =>
          answer.statusCode === 200 ? done() : fail(new Error(`RunTask ${answer.statusCode}`)),
        );
      },
    );
    call.on('timeout', () => call.destroy(new Error('RunTask timed out')));
    call.on('error', fail);
    call.end(body);
  });
}

if (mode === 'cold') {
  await once();
} else {
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const timed = async (call) => {
    await sleep(Number(gapMs));
    const started = performance.now();
    await call();
    return performance.now() - started;
  };
  await once();
  await bareRunTask();
  const times = { handler: [], floor: [] };
  for (let i = 0; i < Number(count); i++) {
    times.handler.push(await timed(once));
    times.floor.push(await timed(bareRunTask));
  }
  console.log(JSON.stringify(times));
}
// The SDK keeps its connection open; Lambda freezes the process instead of waiting for it.
process.exit(0);
