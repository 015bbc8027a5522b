import { describe, expect, it } from 'vitest';
import { ConfigError, TemporarilyUnavailableError } from '../../../lambda/errors.js';
import type { DockerConfig } from '../../../lambda/launchers/docker/docker-config.js';
import {
  type EngineAnswer,
  type EngineApi,
  EngineTimeoutError,
  EngineUnreachableError,
} from '../../../lambda/launchers/docker/docker-engine.js';
import {
  DockerLauncher,
  MAX_PULLS_PER_REQUEST,
  streamError,
} from '../../../lambda/launchers/docker/docker-launcher.js';
import type { LaunchRequest } from '../../../lambda/launchers/launcher.js';

const CONFIG: DockerConfig = {
  endpoint: { kind: 'unix', socketPath: '/tmp/docker-unit.sock' },
  endpointText: 'unix:///tmp/docker-unit.sock',
  image: 'example/agent:1.0',
  scalrUrl: 'https://example.scalr.io',
};

type Operation = 'inspectImage' | 'pull' | 'create' | 'inspectContainer' | 'start';
type Reply = EngineAnswer | Error | 'hang';

function operationOf(method: string, path: string): Operation {
  if (path.startsWith('/images/create')) return 'pull';
  if (path.startsWith('/images/')) return 'inspectImage';
  if (path.startsWith('/containers/create')) return 'create';
  return method === 'GET' ? 'inspectContainer' : 'start';
}

/** An engine that answers every call from `reply` and counts the calls per operation. */
class FakeEngine implements EngineApi {
  readonly calls: Record<Operation, number> = {
    inspectImage: 0,
    pull: 0,
    create: 0,
    inspectContainer: 0,
    start: 0,
  };
  readonly signals: AbortSignal[] = [];

  constructor(private readonly reply: (operation: Operation, n: number) => Reply | undefined) {}

  call(method: string, path: string, options: { signal: AbortSignal }): Promise<EngineAnswer> {
    const operation = operationOf(method, path);
    this.signals.push(options.signal);
    const answer = this.reply(operation, ++this.calls[operation]) ?? HAPPY[operation];
    if (answer === 'hang') {
      return new Promise((_, reject) =>
        options.signal.addEventListener('abort', () => reject(new EngineTimeoutError(path)), { once: true }),
      );
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

const HAPPY: Record<Operation, EngineAnswer> = {
  inspectImage: { status: 200, body: '{"Id":"sha256:abc"}' },
  pull: { status: 200, body: '{"status":"Downloaded"}\n' },
  create: { status: 201, body: '{"Id":"c0ffee"}' },
  inspectContainer: { status: 200, body: '{"Id":"c0ffee","State":{"Status":"running"}}' },
  start: { status: 204, body: '' },
};
const MISSING = { status: 404, body: '{"message":"No such image: example/agent:1.0"}' };
const message = (status: number, text: string) => ({ status, body: JSON.stringify({ message: text }) });

function launcher(engine: EngineApi): DockerLauncher {
  return new DockerLauncher({
    config: CONFIG,
    engine,
    agentToken: async () => 'agent-token-unit',
    retryAfterSeconds: 7,
    retry: { baseDelayMs: 1, maxDelayMs: 5, minAttemptMs: 50, attemptTimeoutMs: 60_000 },
  });
}

function request(deadlineMs = 2_000): LaunchRequest {
  return { dedupKey: 'atask-unit', taskId: 'atask-unit', manual: false, deadline: Date.now() + deadlineMs };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the launch to fail');
}

describe('DockerLauncher: engine unreachable', () => {
  it.each(['ENOENT', 'ECONNREFUSED'])(
    'answers 503 at once, without retrying, when the engine is down (%s)',
    async (code) => {
      const engine = new FakeEngine(() => new EngineUnreachableError(code));

      const error = await failure(launcher(engine).launch(request()));

      expect(error).toBeInstanceOf(TemporarilyUnavailableError);
      expect((error as TemporarilyUnavailableError).retryAfterSeconds).toBe(7);
      expect(error.message).toContain(`No Docker engine answered at unix:///tmp/docker-unit.sock (${code})`);
      expect(engine.calls.inspectImage).toBe(1);
    },
  );

  it.each(['ECONNRESET', 'EPIPE'])(
    'retries a call the engine dropped (%s), and launches once it answers',
    async (code) => {
      const engine = new FakeEngine((operation, n) =>
        operation === 'start' && n === 1 ? new EngineUnreachableError(code) : undefined,
      );

      const result = await launcher(engine).launch(request());

      expect(result).toMatchObject({ launchId: 'c0ffee', details: { attempts: 2 } });
    },
  );

  it('answers 503 when the engine keeps dropping calls until the deadline', async () => {
    const engine = new FakeEngine(() => new EngineUnreachableError('ECONNRESET'));

    const error = await failure(launcher(engine).launch(request(300)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.message).toContain('(ECONNRESET): it is stopped or restarting');
  });

  it('answers a configuration error with a hint when this user may not use the socket (EACCES)', async () => {
    const engine = new FakeEngine(() => new EngineUnreachableError('EACCES'));

    const error = await failure(launcher(engine).launch(request()));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('(EACCES): this user may not use it (add it to the docker group');
    expect(engine.calls.inspectImage).toBe(1);
  });

  it('answers 503 when the engine says it is restarting until the deadline', async () => {
    const engine = new FakeEngine((operation) =>
      operation === 'inspectImage' ? message(500, 'daemon is restarting') : undefined,
    );

    const error = await failure(launcher(engine).launch(request(300)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.message).toContain('daemon is restarting');
  });

  it('gives up at the deadline when the engine hangs, and passes every call a signal', async () => {
    const engine = new FakeEngine((operation) => (operation === 'create' ? 'hang' : undefined));
    const started = Date.now();

    const error = await failure(launcher(engine).launch(request(400)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(engine.signals.every((signal) => signal instanceof AbortSignal)).toBe(true);
  });
});

describe('DockerLauncher: image pulls', () => {
  it(`pulls at most ${MAX_PULLS_PER_REQUEST} time(s) and answers 503 when the registry is unreachable`, async () => {
    const engine = new FakeEngine((operation) => {
      if (operation === 'inspectImage') return MISSING;
      if (operation === 'pull') {
        return message(
          500,
          'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
        );
      }
      return undefined;
    });

    const error = await failure(launcher(engine).launch(request(5_000)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.message).toContain('could not get the image: pulling example/agent:1.0 failed: Get');
    expect(engine.calls.pull).toBe(1);
    expect(engine.calls.create).toBe(0);
  });

  it('does not pull again on a retry when the pulled image is gone before the create', async () => {
    const engine = new FakeEngine((operation) =>
      operation === 'inspectImage' || operation === 'create' ? MISSING : undefined,
    );

    const error = await failure(launcher(engine).launch(request(5_000)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.message).toContain('still missing after 1 pull(s)');
    expect(engine.calls.pull).toBe(1);
    expect(engine.calls.inspectImage).toBe(2);
  });

  it.each([
    ['429 rate limit', message(429, 'toomanyrequests: You have reached your pull rate limit')],
    ['500 rate limit', message(500, 'toomanyrequests: You have reached your pull rate limit')],
    ['502 from a proxy', message(502, 'received unexpected HTTP status: 502 Bad Gateway')],
  ])('answers 503 after one pull when the registry refuses for now (%s)', async (_, answer) => {
    const engine = new FakeEngine((operation) =>
      operation === 'inspectImage' ? MISSING : operation === 'pull' ? answer : undefined,
    );

    const error = await failure(launcher(engine).launch(request()));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(engine.calls.pull).toBe(1);
  });

  it('answers 503 when a pull fails mid-stream for a network reason', async () => {
    const engine = new FakeEngine((operation) => {
      if (operation === 'inspectImage') return MISSING;
      if (operation === 'pull') return { status: 200, body: '{"error":"net/http: TLS handshake timeout"}\n' };
      return undefined;
    });

    const error = await failure(launcher(engine).launch(request()));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(engine.calls.pull).toBe(1);
  });

  it('cuts a pull off at the deadline and answers 503 advising to pull beforehand', async () => {
    const engine = new FakeEngine((operation) =>
      operation === 'inspectImage' ? MISSING : operation === 'pull' ? 'hang' : undefined,
    );
    const started = Date.now();

    const error = await failure(launcher(engine).launch(request(400)));

    expect(error).toBeInstanceOf(TemporarilyUnavailableError);
    expect(error.message).toContain('did not finish before the launch deadline');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(engine.calls.pull).toBe(1);
  });

  it.each([
    ['404 manifest unknown', message(404, 'manifest for example/agent:1.0 not found: manifest unknown')],
    [
      '404 repository does not exist',
      message(404, 'pull access denied for example/agent, repository does not exist'),
    ],
    ['500 manifest unknown', message(500, 'manifest unknown: manifest unknown')],
    ['a stream error', { status: 200, body: '{"error":"pull access denied for example/agent"}\n' }],
  ])(
    'answers a configuration error naming the image and DOCKER_IMAGE for a missing image (%s)',
    async (_, answer) => {
      const engine = new FakeEngine((operation) =>
        operation === 'inspectImage' ? MISSING : operation === 'pull' ? answer : undefined,
      );

      const error = await failure(launcher(engine).launch(request()));

      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('Docker cannot pull example/agent:1.0 (DOCKER_IMAGE)');
      expect(error.message).toContain('set DOCKER_IMAGE to an image that exists');
      expect(engine.calls.pull).toBe(1);
    },
  );
});

describe('DockerLauncher: exactly once', () => {
  it('reports the existing container when the name is taken (409)', async () => {
    const engine = new FakeEngine((operation) =>
      operation === 'create' ? message(409, 'Conflict') : undefined,
    );

    const result = await launcher(engine).launch(request());

    expect(result).toMatchObject({ launchId: 'c0ffee', duplicate: true });
    expect(engine.calls.start).toBe(0);
  });
});

describe('streamError (pull progress)', () => {
  it('finds the error line of a pull progress stream', () => {
    const stream = '{"status":"Pulling"}\n{"errorDetail":{"message":"denied"},"error":"denied"}\n';

    expect(streamError(stream)).toBe('denied');
  });

  it('finds no error in a successful pull', () => {
    expect(streamError('{"status":"Downloaded"}\n')).toBeUndefined();
  });
});
