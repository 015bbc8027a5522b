// Drives a built handler bundle as the Lambda runtime would (plain JS: no loader in the timings):
// `cold` imports it and answers one webhook, then exits (the bench times the whole process);
// `warm N GAP_MS` answers N webhooks GAP_MS apart and prints each latency in ms as a JSON list.
// Usage: node bench/drive-bundle.mjs dist/ecs/handler.mjs cold | warm 300 66
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

if (mode === 'cold') {
  await once();
} else {
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  await once();
  const times = [];
  for (let i = 0; i < Number(count); i++) {
    await sleep(Number(gapMs));
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  console.log(JSON.stringify(times));
}
// The SDK keeps its connection open; Lambda freezes the process instead of waiting for it.
process.exit(0);
