import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';

/**
 * The throughput baseline of `npm run bench`: a bare node:http server that makes the same single
 * RunTask call per webhook as the dispatcher (same SDK, same stand-in) and nothing else: no API key,
 * no authentication, no validation, no logging, no deadlines. Prints its URL on stderr, like `npm start`.
 */
const ecs = new ECSClient({ maxAttempts: 1 });
const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { task_id: taskId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { task_id: string };
  try {
    const answer = await ecs.send(
      new RunTaskCommand({
        cluster: process.env.ECS_CLUSTER,
        taskDefinition: process.env.ECS_TASK_DEFINITION,
        clientToken: taskId,
      }),
    );
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ launchId: answer.tasks?.[0]?.taskArn }));
  } catch {
    res.writeHead(503).end();
  }
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/trigger\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
