import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, logLevelFrom } from '../lambda/log/logger.js';
import { createPoller } from '../lambda/poller/create-poller.js';
import { localLogSink } from './log-format.js';

/**
 * `SOURCE=env0 npm start`: the env0 poller on this machine with the dry-run (default) or Docker
 * target. Without QUEUE_STATE_URL it serves its own queue-state on 127.0.0.1 whose pendingCount is
 * PENDING_COUNT (default 1) and can be changed with `curl -X PUT .../pending/<n>`.
 */
export async function runLocalPoller(env: NodeJS.ProcessEnv): Promise<number> {
  const logger = new Logger(localLogSink(env), logLevelFrom(env.LOG_LEVEL), { source: 'env0' });
  const token = env.AGENT_TOKEN ?? randomBytes(18).toString('base64url');
  let pending = Number(env.PENDING_COUNT ?? '1');
  let url = env.QUEUE_STATE_URL;
  const server = createServer((req, res) => {
    const set = /^\/pending\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'PUT' && set) {
      pending = Number(set[1]);
      res.writeHead(204).end();
    } else if (req.headers.authorization !== token) res.writeHead(401).end();
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ pendingCount: pending }));
  });
  if (url === undefined) {
    await new Promise<void>((resolve) => server.listen(Number(env.QUEUE_PORT ?? 0), '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    url = `${base}/deployment-tasks/queue-state`;
    process.stderr.write(`env0 poller (local mode)\n  queue-state   ${url} (pendingCount ${pending})\n`);
    process.stderr.write(`  change it     curl -X PUT ${base}/pending/3\n`);
  }
  const target = env.LAUNCH_TARGET ?? 'dry-run';
  process.stderr.write(`  target        ${target}, polling every ${env.POLLING_INTERVAL_SECONDS ?? 30} s\n`);
  let runtime: Awaited<ReturnType<typeof createPoller>>;
  try {
    runtime = await createPoller(
      { ...env, LAUNCH_TARGET: target, AGENT_TOKEN: token, QUEUE_STATE_URL: url },
      { logger },
    );
  } catch (error) {
    process.stderr.write(`Cannot start: ${(error as Error).message}\n`);
    server.close();
    return 1;
  }
  const { poller, config } = runtime;
  let stopped = false;
  process.once('SIGINT', () => {
    stopped = true;
  });
  while (!stopped) {
    await poller.pollOnce();
    const until = Date.now() + config.pollingIntervalSeconds * 1000;
    while (!stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await poller.release();
  server.close();
  return 0;
}
