import { Logger, logLevelFrom } from '../lambda/log/logger.js';
import { startLocalServer } from './local-server.js';
import { localSettings } from './local-settings.js';
import { localLogSink } from './log-format.js';

const HELP = `Usage: npm start [-- --help]

Serves the dispatcher on http://HOST:PORT/trigger behind a local stand-in of API Gateway
(x-api-key check, 10 MB body limit, 29 s integration timeout) in front of the Lambda handler.

Environment:
  HOST, PORT          where to listen (default 127.0.0.1, 8080; PORT=0 picks a free port)
  LAUNCH_TARGET       dry-run (default) | docker | ecs | aca
  API_KEY             x-api-key to require (generated and printed when unset)
  WEBHOOK_SECRET      Bearer secret to require (generated and printed when unset)
  AGENT_TOKEN         Scalr agent pool token (a dummy is used for dry-run when unset)
  SCALR_URL, DOCKER_HOST, DOCKER_IMAGE   for LAUNCH_TARGET=docker
  ECS_*, AWS_*        for LAUNCH_TARGET=ecs (and for a dry-run plan with real values)
  LOG_LEVEL           debug | info | warn | error (default info)
  LOG_FORMAT          json | text (default: text on a terminal, JSON when piped)
  SOURCE=env0         run the env0 queue poller instead (docs/env0.md, "Local mode")

Logs go to stdout (one readable line per event on a terminal, JSON lines when piped or with
LOG_FORMAT=json); the banner goes to stderr. See docs/local-mode.md.
`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`Unknown argument: ${argv[0]}\n\n${HELP}`);
    return 2;
  }
  if (process.env.SOURCE === 'env0')
    return (await import('./env0-poller-main.js')).runLocalPoller(process.env);
  const logger = new Logger(localLogSink(process.env), logLevelFrom(process.env.LOG_LEVEL));
  let local: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    local = await startLocalServer(localSettings(process.env), logger);
  } catch (error) {
    process.stderr.write(`Cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stderr.write(local.banner);

  // First signal: stop accepting and let in-flight requests finish. A second one exits at once.
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130));
      logger.info('shutting down', { signal, inFlight: local.server.inFlight });
      local.server.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('stopped');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
